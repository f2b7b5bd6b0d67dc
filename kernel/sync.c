// SPDX-License-Identifier: MIT
/*
 * mutex, cond, waitgroup and once: zero-initialized objects are ready to
 * use. Waiters park on a queue guarded by a small spinlock inside the
 * object.
 */
#include <stddef.h>

#include <weft.h>

#include <kernel/panic.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <kernel/time.h>

#define MUTEX_LOCKED 1u
#define MUTEX_WAITERS 2u

/* Spins of a contended lock before parking: a holder on another CPU
 * usually lets go within a few hundred cycles. */
#define MUTEX_SPINS 100

struct sync_waiter {
	struct g *g;
	struct sync_waiter *next;
	uint64_t since; /* mutex: when it first queued */
	bool handoff; /* mutex: woken as the owner */
};

_Static_assert(sizeof(((mutex_t *)0)->wait_lock) == sizeof(spinlock_t), "wait_lock is a spinlock");

static spinlock_t *wait_lock(unsigned int *word)
{
	return (spinlock_t *)word;
}

static void wq_push(void **head, void **tail, struct sync_waiter *w)
{
	w->next = NULL;
	if (*tail)
		((struct sync_waiter *)*tail)->next = w;
	else
		*head = w;
	*tail = w;
}

static struct sync_waiter *wq_pop(void **head, void **tail)
{
	struct sync_waiter *w = *head;

	if (w) {
		*head = w->next;
		if (!*head)
			*tail = NULL;
	}
	return w;
}

/* ---- mutex ---- */

/*
 * Go's sync.Mutex in outline. An unlock with waiters releases the mutex
 * and wakes the first waiter, which then competes with tasks that are
 * running and barge in: under contention the lock goes to whoever is on a
 * CPU, which keeps throughput high. A waiter that has waited more than
 * MUTEX_STARVE_NS is handed the mutex directly instead, so nobody waits
 * for ever. A waiter that loses the race goes back to the front.
 */
#define MUTEX_STARVE_NS 1000000ull

/*
 * On one CPU (kernel/cpu.h's single_cpu), where the arch has cheap
 * interrupt-atomic instructions (ARCH_HAS_LOCAL_RMW), the state is a count
 * instead, as in Linux's first mutexes: 0 unlocked, UP_LOCKED (-1) locked, and below
 * that locked with tasks perhaps queued. mutex_lock subtracts 1 and owns
 * the mutex if it was 0; mutex_unlock adds 1 and is done if that makes 0.
 * Each is one instruction that interrupts cannot split, several times
 * cheaper than a compare-and-swap. The rest runs under the wait lock,
 * which on one CPU means nothing else runs, so plain accesses do.
 */
#define UP_LOCKED ((unsigned int)-1)
#define UP_CONTENDED ((unsigned int)-2)
static bool cas_u32(unsigned int *p, unsigned int old, unsigned int new)
{
	return __atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

int mutex_trylock(mutex_t *m)
{
#ifdef ARCH_HAS_LOCAL_RMW
	if (single_cpu)
		return cas_u32(&m->state, 0, UP_LOCKED);
#endif

	unsigned int s = __atomic_load_n(&m->state, __ATOMIC_RELAXED);

	return !(s & MUTEX_LOCKED) && cas_u32(&m->state, s, s | MUTEX_LOCKED);
}

static void wq_push_front(void **head, void **tail, struct sync_waiter *w)
{
	w->next = *head;
	*head = w;
	if (!*tail)
		*tail = w;
}

/* Queue me on m (wait lock held) and park until woken: at the back the
 * first time, at the front after losing the race for the mutex. */
static void mutex_wait(mutex_t *m, struct sync_waiter *me, bool requeue)
{
	if (!requeue)
		me->since = now_ns();
	me->handoff = false;
	if (requeue)
		wq_push_front(&m->head, &m->tail, me);
	else
		wq_push(&m->head, &m->tail, me);
	gopark_unlock(wait_lock(&m->wait_lock), "mutex");
}

static __attribute__((noinline)) void mutex_lock_slow(mutex_t *m)
{
	/* Before the scheduler runs there is one task and no contention. */
	if (!current_g())
		panic("mutex_lock: contended before the scheduler started");

	struct sync_waiter me = { .g = current_g() };
	spinlock_t *wl = wait_lock(&m->wait_lock);
	bool requeue = false;

	for (;;) {
		for (int i = 0; i < MUTEX_SPINS && num_cpu() > 1; i++) {
			if (mutex_trylock(m))
				return;
			arch_cpu_relax();
		}
		spin_lock(wl);
		unsigned int s = __atomic_load_n(&m->state, __ATOMIC_RELAXED);
		bool queued = false;

		while (!queued) {
			if (!(s & MUTEX_LOCKED)) {
				if (__atomic_compare_exchange_n(&m->state, &s, s | MUTEX_LOCKED,
								false, __ATOMIC_ACQUIRE,
								__ATOMIC_RELAXED)) {
					spin_unlock(wl);
					return;
				}
			} else if (__atomic_compare_exchange_n(&m->state, &s, s | MUTEX_WAITERS,
							       false, __ATOMIC_RELAXED,
							       __ATOMIC_RELAXED)) {
				queued = true;
			}
		}
		mutex_wait(m, &me, requeue);
		if (me.handoff) {
			/* Pair with the release store in mutex_unlock, so the
			 * previous owner's writes are visible. */
			(void)__atomic_load_n(&m->state, __ATOMIC_ACQUIRE);
			return;
		}
		requeue = true;
	}
}

static __noreturn void unlock_unlocked(mutex_t *m)
{
	panic("mutex_unlock of an unlocked mutex %p", (void *)m);
}

#ifdef ARCH_HAS_LOCAL_RMW
static __attribute__((noinline)) void mutex_lock_slow_up(mutex_t *m)
{
	struct sync_waiter me = { .g = current_g() };
	spinlock_t *wl = wait_lock(&m->wait_lock);
	bool requeue = false;

	for (;;) {
		spin_lock(wl);
		unsigned int s = m->state;

		/* Taken or not, it is now marked as perhaps having waiters,
		 * so that the owner's unlock comes here to wake them. */
		m->state = UP_CONTENDED;
		if (s == 0) {
			spin_unlock(wl);
			return;
		}
		mutex_wait(m, &me, requeue);
		if (me.handoff)
			return;
		requeue = true;
	}
}

/* An unlock whose count did not come back to 0: a waiter, or a bug. */
static __attribute__((noinline)) void mutex_unlock_slow_up(mutex_t *m, int sum)
{
	spinlock_t *wl = wait_lock(&m->wait_lock);

	if (sum > 0)
		unlock_unlocked(m);

	spin_lock(wl);
	struct sync_waiter *w = wq_pop(&m->head, &m->tail);

	if (w && now_ns() - w->since >= MUTEX_STARVE_NS) {
		/* Starving: hand the mutex over, still locked. */
		w->handoff = true;
		m->state = m->head ? UP_CONTENDED : UP_LOCKED;
	} else {
		/* The woken task marks it contended again if others wait. */
		m->state = 0;
	}
	spin_unlock(wl);
	if (w)
		goready(w->g);
}

#endif

void mutex_lock(mutex_t *m)
{
#ifdef ARCH_HAS_LOCAL_RMW
	if (single_cpu) {
		if (__builtin_expect(!arch_dec_local(&m->state), 0))
			mutex_lock_slow_up(m);
		return;
	}
#endif
	if (!cas_u32(&m->state, 0, MUTEX_LOCKED))
		mutex_lock_slow(m);
}

/* Release the mutex (held, with waiters) and wake the first waiter. */
static __attribute__((noinline)) void mutex_unlock_slow(mutex_t *m)
{
	spinlock_t *wl = wait_lock(&m->wait_lock);

	spin_lock(wl);
	struct sync_waiter *w = wq_pop(&m->head, &m->tail);
	unsigned int waiters = m->head ? MUTEX_WAITERS : 0;

	if (w && now_ns() - w->since >= MUTEX_STARVE_NS) {
		/* Starving: hand the mutex over, still locked. */
		w->handoff = true;
		__atomic_store_n(&m->state, MUTEX_LOCKED | waiters, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&m->state, waiters, __ATOMIC_RELEASE);
	}
	spin_unlock(wl);
	if (w)
		goready(w->g);
}

void mutex_unlock(mutex_t *m)
{
#ifdef ARCH_HAS_LOCAL_RMW
	if (single_cpu) {
		int sum = arch_inc_local(&m->state);

		if (__builtin_expect(sum != 0, 0))
			mutex_unlock_slow_up(m, sum);
		return;
	}
#endif
	if (cas_u32(&m->state, MUTEX_LOCKED, 0))
		return;
	if (!(__atomic_load_n(&m->state, __ATOMIC_RELAXED) & MUTEX_LOCKED))
		unlock_unlocked(m);
	mutex_unlock_slow(m);
}

/* ---- cond ---- */

void cond_wait(cond_t *cv, mutex_t *m)
{
	struct sync_waiter me = { .g = current_g() };
	spinlock_t *wl = wait_lock(&cv->wait_lock);

	spin_lock(wl);
	wq_push(&cv->head, &cv->tail, &me);
	/* Queued before the mutex is released, so a signal sent after the
	 * release cannot be missed. */
	mutex_unlock(m);
	gopark_unlock(wl, "cond");
	mutex_lock(m);
}

void cond_signal(cond_t *cv)
{
	spinlock_t *wl = wait_lock(&cv->wait_lock);

	spin_lock(wl);
	struct sync_waiter *w = wq_pop(&cv->head, &cv->tail);

	spin_unlock(wl);
	if (w)
		goready(w->g);
}

void cond_broadcast(cond_t *cv)
{
	spinlock_t *wl = wait_lock(&cv->wait_lock);

	spin_lock(wl);
	struct sync_waiter *w = cv->head;

	cv->head = cv->tail = NULL;
	spin_unlock(wl);
	while (w) {
		struct sync_waiter *next = w->next; /* w is gone once its G runs */

		goready(w->g);
		w = next;
	}
}

/* ---- waitgroup ---- */

/*
 * The counter changes with one atomic add, as in Go's WaitGroup; only the
 * change that brings it to zero takes the lock, to wake the waiters. It
 * cannot skip the lock when it sees no waiter: one may be between its
 * check of the counter and queueing itself, both under the lock. The
 * waiters are woken only if the counter is still zero then: an Add that
 * raced with the change (a reuse before they returned, which Go calls
 * misuse) leaves them for the next zero rather than waking them early.
 */
static __attribute__((noinline)) void wg_zero(waitgroup_t *wg)
{
	spinlock_t *wl = wait_lock(&wg->wait_lock);
	struct sync_waiter *w = NULL;

	spin_lock(wl);
	if (__atomic_load_n(&wg->count, __ATOMIC_ACQUIRE) == 0) {
		w = wg->head;
		wg->head = wg->tail = NULL;
	}
	spin_unlock(wl);
	while (w) {
		struct sync_waiter *next = w->next;

		goready(w->g);
		w = next;
	}
}

void wg_add(waitgroup_t *wg, int delta)
{
	int count = __atomic_add_fetch(&wg->count, delta, __ATOMIC_ACQ_REL);

	if (__builtin_expect(count > 0, 1))
		return;
	if (count < 0)
		panic("wg_add: negative waitgroup counter");
	wg_zero(wg);
}

void wg_done(waitgroup_t *wg)
{
	wg_add(wg, -1);
}

void wg_wait(waitgroup_t *wg)
{
	struct sync_waiter me = { .g = current_g() };
	spinlock_t *wl = wait_lock(&wg->wait_lock);

	spin_lock(wl);
	if (__atomic_load_n(&wg->count, __ATOMIC_ACQUIRE) == 0) {
		spin_unlock(wl);
		return;
	}
	wq_push(&wg->head, &wg->tail, &me);
	gopark_unlock(wl, "waitgroup");
}

/* ---- once ---- */

void once_do(once_t *o, void (*fn)(void))
{
	if (__atomic_load_n(&o->done, __ATOMIC_ACQUIRE))
		return;
	mutex_lock(&o->m);
	if (!o->done) {
		fn();
		__atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
	}
	mutex_unlock(&o->m);
}
