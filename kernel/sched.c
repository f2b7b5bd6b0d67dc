// SPDX-License-Identifier: MIT
/*
 * The scheduler loop: run queues, finding work, parking and readying,
 * idling, preemption and deadlock detection. The algorithms are Go's
 * (runtime/proc.go: runqput, runqget, runqgrab, findrunnable, wakep,
 * checkdead); kernel/include/kernel/sched.h describes the model.
 */
#include <errno.h>
#include <stdlib.h>

#include <weft.h>

#include <kernel/bootargs.h>
#include <kernel/console.h>
#include <kernel/heap.h>
#include <kernel/kernel.h>
#include <kernel/libc.h>
#include <kernel/netpoll.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/time.h>

#include "sched_internal.h"

#define G0_STACK_SIZE (32 * 1024)
#define TRAP_STACK_SIZE (32 * 1024)

struct cpu cpus[MAX_CPUS];
struct p ps[MAX_CPUS];
int sched_nprocs = 1;
bool sched_running;
#ifndef __SANITIZE_THREAD__
bool single_cpu;
#endif
uint32_t sched_ntimers;
uint32_t sched_io_waiters;
static uint64_t timeslice_cycles;
static uint64_t slice_look_cycles; /* half a slice: see struct cpu */

/* How long a deadlock must last before it is reported (checkdead). */
#define DEADLOCK_CONFIRM_NS (10 * NSEC_PER_MSEC)

/* Gs the global run queue holds in its ring before its list takes over. */
#define GLOBRUNQ_RING 4096

/* Global state, Go's `sched`. Its lock is taken from interrupt context
 * (goready there), so always with interrupts masked. */
static struct {
	spinlock_t lock;
	/* The global run queue, in order: runq_ring[runq_ring_head...] (a
	 * ring of runq_ring_n), then the list runq_head...runq_tail through
	 * schedlink, which takes Gs only while the ring is full or the list
	 * is not empty. Gs come and go in batches of up to half a P's ring,
	 * which the ring moves as pointers; the list touches each G, a cache
	 * and TLB miss apiece (g_prefetch). */
	struct g *runq_ring[GLOBRUNQ_RING];
	uint32_t runq_ring_head, runq_ring_n;
	struct g *runq_head, *runq_tail;
	uint32_t runq_size; /* both together */
	uint64_t idle_mask; /* Ps whose CPU is idle or about to be */
	uint32_t nmspinning; /* CPUs looking for work to steal */
	uint64_t dead_since; /* now_ns() when checkdead first saw a deadlock, or 0 */
} sched;

static void wakep_slow(void);

/* New work exists: if a P is idle and no CPU is already spinning, wake one
 * to look for it (Go's wakep). Any context. Inline for the common case,
 * where no P is idle. */
static inline void wakep(void)
{
	if (sched_running && __atomic_load_n(&sched.idle_mask, __ATOMIC_ACQUIRE))
		wakep_slow();
}

/* ---- small helpers ---- */

static uint32_t fastrand(struct cpu *c)
{
	uint32_t x = c->fastrand; /* xorshift32, seeded non-zero */

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	c->fastrand = x;
	return x;
}

uint32_t sched_fastrand(void)
{
	unsigned long flags = arch_irq_save();
	uint32_t r = fastrand(this_cpu());

	arch_irq_restore(flags);
	return r;
}

static uint32_t fastrandn(struct cpu *c, uint32_t n)
{
	return (uint32_t)(((uint64_t)fastrand(c) * n) >> 32);
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* preempt_enable() dropped the count to 0 with a preemption pending. */
void preempt_resched(void)
{
	/* Never from an interrupt handler or inside an irqsave section. */
	if (arch_irq_enabled() && current_g() && sched_running)
		kernel_preempt();
}

/* ---- the global run queue (sched.lock held) ---- */

static void globrunqputbatch(struct g *const *batch, uint32_t n)
{
	uint32_t i = 0;

	for (; i < n && !sched.runq_head && sched.runq_ring_n < GLOBRUNQ_RING; i++) {
		uint32_t slot = (sched.runq_ring_head + sched.runq_ring_n++) % GLOBRUNQ_RING;

		sched.runq_ring[slot] = batch[i];
	}
	for (; i < n; i++) {
		batch[i]->schedlink = NULL;
		if (sched.runq_tail)
			sched.runq_tail->schedlink = batch[i];
		else
			sched.runq_head = batch[i];
		sched.runq_tail = batch[i];
	}
	/* Written under sched.lock, read without it as a hint. */
	__atomic_store_n(&sched.runq_size, sched.runq_size + n, __ATOMIC_RELAXED);
}

static void globrunqput(struct g *g)
{
	globrunqputbatch(&g, 1);
}

static struct g *globrunqpop(void)
{
	struct g *g;

	if (sched.runq_ring_n) {
		g = sched.runq_ring[sched.runq_ring_head];
		sched.runq_ring_head = (sched.runq_ring_head + 1) % GLOBRUNQ_RING;
		sched.runq_ring_n--;
	} else if ((g = sched.runq_head)) {
		sched.runq_head = g->schedlink;
		if (!sched.runq_head)
			sched.runq_tail = NULL;
	} else {
		return NULL;
	}
	__atomic_store_n(&sched.runq_size, sched.runq_size - 1, __ATOMIC_RELAXED);
	return g;
}

static void runqput(struct p *p, struct g *g, bool next);

/* Take a fair share of the global queue (at most `max`, 0 = no limit, and
 * at most half a ring): return one and put the rest on p's ring. */
static struct g *globrunqget(struct p *p, uint32_t max)
{
	uint32_t n;

	if (sched.runq_size == 0)
		return NULL;
	n = sched.runq_size / (uint32_t)sched_nprocs + 1;
	if (n > sched.runq_size)
		n = sched.runq_size;
	if (max > 0 && n > max)
		n = max;
	if (n > RUNQ_SIZE / 2)
		n = RUNQ_SIZE / 2;
	struct g *g = globrunqpop();

	while (--n > 0)
		runqput(p, globrunqpop(), false);
	return g;
}

/* ---- the per-P ring (Go's runqput, runqget, runqgrab, runqsteal) ---- */

/* Move half of a full ring, plus g, to the global queue. Owner only. */
static bool runqputslow(struct p *p, struct g *g, uint32_t h, uint32_t t)
{
	struct g *batch[RUNQ_SIZE / 2 + 1];
	uint32_t n = (t - h) / 2;

	BUG_ON(n != RUNQ_SIZE / 2);
	for (uint32_t i = 0; i < n; i++)
		batch[i] = p->runq[(h + i) % RUNQ_SIZE];
	if (!__atomic_compare_exchange_n(&p->runq_head, &h, h + n, false, __ATOMIC_RELEASE,
					 __ATOMIC_RELAXED))
		return false;
	batch[n] = g;

	unsigned long flags = spin_lock_irqsave(&sched.lock);

	globrunqputbatch(batch, n + 1);
	spin_unlock_irqrestore(&sched.lock, flags);
	return true;
}

/* With a single P nobody but its owner touches its queue: stealing needs
 * another P, interrupt handlers use the global queue (goready), and CPUs
 * beyond procs= never look. The owner can then take from it without the
 * compare-and-swaps that guard against thieves. */
static bool runq_owner_only(void)
{
	return sched_nprocs == 1;
}

/* Put g at the tail of p's ring (or, when it is full, half of it with g on
 * the global queue). Owner only. */
static inline void runqput_ring(struct p *p, struct g *g)
{
	for (;;) {
		uint32_t h = __atomic_load_n(&p->runq_head, __ATOMIC_ACQUIRE);
		uint32_t t = p->runq_tail;

		if (t - h < RUNQ_SIZE) {
			/* Relaxed atomics for the slots that thieves read: a
			 * thief with a stale head may read one the owner is
			 * rewriting, and then fails its CAS on the head. */
			__atomic_store_n(&p->runq[t % RUNQ_SIZE], g, __ATOMIC_RELAXED);
			__atomic_store_n(&p->runq_tail, t + 1, __ATOMIC_RELEASE);
			return;
		}
		if (runqputslow(p, g, h, t))
			return;
	}
}

/* Make g p's runnext; the G it displaces, or NULL. Owner only. */
static inline struct g *runnext_swap(struct p *p, struct g *g)
{
	struct g *old;

	if (runq_owner_only()) {
		old = __atomic_load_n(&p->runnext, __ATOMIC_RELAXED);
		__atomic_store_n(&p->runnext, g, __ATOMIC_RELAXED);
	} else {
		old = __atomic_exchange_n(&p->runnext, g, __ATOMIC_ACQ_REL);
	}
	return old;
}

/* Put g on p's ring, or in runnext when `next` (the old runnext then goes
 * to the ring). Owner only. */
static inline void runqput(struct p *p, struct g *g, bool next)
{
	if (next && !(g = runnext_swap(p, g)))
		return;
	runqput_ring(p, g);
}

/* The ring half of runqput(p, g, true) out of line, for goready, which
 * mostly finds runnext empty (a spawn mostly does not). */
static __attribute__((noinline)) void runqput_displaced(struct p *p, struct g *g)
{
	runqput_ring(p, g);
}

void sched_runqput(struct p *p, struct g *g, bool next)
{
	runqput(p, g, next);
	wakep();
}

/* Take a G from p: runnext first (it inherits the slice), then the ring.
 * Owner only. */
static inline struct g *runqget(struct p *p, bool *inherit)
{
	struct g *next = __atomic_load_n(&p->runnext, __ATOMIC_ACQUIRE);

	if (runq_owner_only()) {
		uint32_t h = __atomic_load_n(&p->runq_head, __ATOMIC_RELAXED);

		*inherit = next != NULL;
		if (next) {
			__atomic_store_n(&p->runnext, NULL, __ATOMIC_RELAXED);
			return next;
		}
		uint32_t t = __atomic_load_n(&p->runq_tail, __ATOMIC_RELAXED);

		if (h == t)
			return NULL;
		next = p->runq[h % RUNQ_SIZE];
		__atomic_store_n(&p->runq_head, h + 1, __ATOMIC_RELEASE);
		if (t - h > 1)
			g_prefetch(p->runq[(h + 1) % RUNQ_SIZE]);
		return next;
	}

	if (next && __atomic_compare_exchange_n(&p->runnext, &next, NULL, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
		*inherit = true;
		return next;
	}
	*inherit = false;
	for (;;) {
		uint32_t h = __atomic_load_n(&p->runq_head, __ATOMIC_ACQUIRE);
		uint32_t t = p->runq_tail;

		if (t == h)
			return NULL;
		struct g *g = p->runq[h % RUNQ_SIZE];

		if (__atomic_compare_exchange_n(&p->runq_head, &h, h + 1, false, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			return g;
	}
}

static bool runq_empty(struct p *p)
{
	/* runqput sets runnext before moving the old one to the ring, so a
	 * consistent snapshot can only err towards "not empty". */
	for (;;) {
		uint32_t h = __atomic_load_n(&p->runq_head, __ATOMIC_ACQUIRE);
		uint32_t t = __atomic_load_n(&p->runq_tail, __ATOMIC_ACQUIRE);
		struct g *next = __atomic_load_n(&p->runnext, __ATOMIC_ACQUIRE);

		if (t == __atomic_load_n(&p->runq_tail, __ATOMIC_ACQUIRE))
			return h == t && !next;
	}
}

/* Copy half of victim's ring into batch[batch_head...] (and, with
 * steal_next, its runnext when the ring is empty); returns how many. */
static uint32_t runqgrab(struct p *victim, struct g **batch, uint32_t batch_head, bool steal_next)
{
	for (;;) {
		uint32_t h = __atomic_load_n(&victim->runq_head, __ATOMIC_ACQUIRE);
		uint32_t t = __atomic_load_n(&victim->runq_tail, __ATOMIC_ACQUIRE);
		uint32_t n = t - h;

		n = n - n / 2;
		if (n == 0) {
			struct g *next = __atomic_load_n(&victim->runnext, __ATOMIC_ACQUIRE);

			if (!steal_next || !next)
				return 0;
			/* The victim may be about to run it: give it a moment,
			 * as Go does, so that a ping-pong pair stays on one
			 * CPU. */
			for (int i = 0; i < 100; i++)
				arch_cpu_relax();
			if (!__atomic_compare_exchange_n(&victim->runnext, &next, NULL, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				continue;
			__atomic_store_n(&batch[batch_head % RUNQ_SIZE], next, __ATOMIC_RELAXED);
			return 1;
		}
		if (n > RUNQ_SIZE / 2)
			continue; /* an inconsistent h and t */
		for (uint32_t i = 0; i < n; i++)
			__atomic_store_n(&batch[(batch_head + i) % RUNQ_SIZE],
					 __atomic_load_n(&victim->runq[(h + i) % RUNQ_SIZE],
							 __ATOMIC_RELAXED),
					 __ATOMIC_RELAXED);
		if (__atomic_compare_exchange_n(&victim->runq_head, &h, h + n, false,
						__ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return n;
	}
}

/* Steal half of victim's Gs onto p's ring and return one of them. */
static struct g *runqsteal(struct p *p, struct p *victim, bool steal_next)
{
	uint32_t t = p->runq_tail;
	uint32_t n = runqgrab(victim, p->runq, t, steal_next);

	if (n == 0)
		return NULL;
	n--;
	struct g *g = p->runq[(t + n) % RUNQ_SIZE];

	if (n)
		__atomic_store_n(&p->runq_tail, t + n, __ATOMIC_RELEASE);
	return g;
}

/* Try every other P in random order, four passes, the last one also taking
 * runnext (Go's stealWork). */
static struct g *stealwork(struct cpu *c)
{
	int n = sched_nprocs;

	for (int pass = 0; pass < 4; pass++) {
		/* A random start and a stride coprime with n visit every P
		 * once (Go's randomOrder). */
		uint32_t start = fastrandn(c, (uint32_t)n), stride;

		do
			stride = 1 + fastrandn(c, (uint32_t)n);
		while (n > 1 && gcd(stride, (uint32_t)n) != 1);
		for (int i = 0; i < n; i++) {
			struct p *victim = &ps[(start + (uint32_t)i * stride) % (uint32_t)n];

			if (victim == c->p)
				continue;
			struct g *g = runqsteal(c->p, victim, pass == 3);

			if (g)
				return g;
		}
	}
	return NULL;
}

/* ---- waking idle CPUs ---- */

/* Claim an idle P other than `self`, clearing its bit; -1 if none. */
static int pidle_claim(int self)
{
	uint64_t m = __atomic_load_n(&sched.idle_mask, __ATOMIC_ACQUIRE);

	for (;;) {
		uint64_t others = m & ~(1ull << self);

		if (!others)
			return -1;
		int victim = __builtin_ctzll(others);

		if (__atomic_compare_exchange_n(&sched.idle_mask, &m, m & ~(1ull << victim), false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return victim;
	}
}

/* wakep() once some P is idle. */
static __attribute__((noinline)) void wakep_slow(void)
{
	uint32_t zero = 0;

	if (__atomic_load_n(&sched.nmspinning, __ATOMIC_ACQUIRE) != 0 ||
	    !__atomic_compare_exchange_n(&sched.nmspinning, &zero, 1, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return;
	unsigned long flags = arch_irq_save();
	int victim = pidle_claim((int)this_cpu()->idx);

	arch_irq_restore(flags);
	if (victim < 0) {
		__atomic_fetch_sub(&sched.nmspinning, 1, __ATOMIC_ACQ_REL);
		return;
	}
	__atomic_store_n(&cpus[victim].woken_spinning, true, __ATOMIC_RELEASE);
	arch_ipi_send((unsigned int)victim);
}

/* A spinning CPU found work: stop spinning, and if it was the last
 * spinner, wake another to keep looking (Go's resetspinning). */
static void resetspinning(struct cpu *c)
{
	c->spinning = false;
	if (__atomic_sub_fetch(&sched.nmspinning, 1, __ATOMIC_ACQ_REL) == 0)
		wakep();
}

/* ---- readying, parking, switching ---- */

void goready(struct g *g)
{
	preempt_disable();
	goready_preempt_off(g);
	preempt_enable_no_resched();
}

void goready_preempt_off(struct g *g)
{
	struct cpu *c = this_cpu();

	BUG_ON(g->status != G_WAITING);
	g->status = G_RUNNABLE;
	if (__builtin_expect(arch_irq_enabled() && c->p && sched_running, 1)) {
		struct g *old = runnext_swap(c->p, g);

		if (old)
			runqput_displaced(c->p, old);
	} else {
		/* An interrupt handler (which may have interrupted this P's
		 * owner in the middle of changing its ring) or an irqsave
		 * section: the global queue is always safe. */
		unsigned long flags = spin_lock_irqsave(&sched.lock);

		globrunqput(g);
		spin_unlock_irqrestore(&sched.lock, flags);
	}
	wakep();
}

static void finish_switch_slow(struct cpu *c, struct g *prev)
{
	if (c->switch_prev_how == SWITCH_PARK) {
		/* prev may run elsewhere as soon as its lock is released. */
		if (c->park_unlock && !c->park_unlock(c->park_arg)) {
			/* Not parked after all: it runs next. */
			prev->status = G_RUNNABLE;
			runqput(c->p, prev, true);
		}
	} else {
		task_exit_finish(prev);
	}
}

/* sched_finish_switch() on CPU c: yields, the common case, inline. */
static inline __attribute__((always_inline)) void finish_switch(struct cpu *c)
{
	struct g *prev = c->switch_prev;

	if (!prev)
		return;
	c->switch_prev = NULL;
	if (__builtin_expect(c->switch_prev_how == SWITCH_YIELD, 1)) {
		runqput(c->p, prev, false);
	} else if (__builtin_expect(c->switch_prev_how == SWITCH_PARK_UNLOCK, 1)) {
		/* The count the lock was taken with stays: it is the one
		 * that whatever runs next on this CPU drops, like a count a
		 * G yields or parks with (gopark_unlock). */
		spin_release(c->park_arg);
	} else {
		finish_switch_slow(c, prev);
	}
}

void sched_finish_switch(void)
{
	finish_switch(this_cpu());
}

static void mcall_entry(void *arg)
{
	struct cpu *c = arg;

	c->curg = NULL;
	c->mcall_fn(c->mcall_g);
	panic("mcall: scheduler function returned");
}

void mcall(void (*fn)(struct g *))
{
	struct cpu *c = this_cpu();
	struct g *g = c->curg;

	/* gopark callers hold the lock that their unlock callback releases
	 * on the scheduler stack, so more than one count may be held. */
	BUG_ON(!g || c->locks < 1);
	c->mcall_fn = fn;
	c->mcall_g = g;
	arch_ctx_init(&c->g0_ctx, c->g0_stack_lo, c->g0_stack_top, mcall_entry, c);
	libc_task_switch_out(g);
	arch_ctx_switch(&g->ctx, &c->g0_ctx);
	sched_finish_switch();
	libc_task_switch_in(g);
}

/* A G starts on a CPU whose timer has no slice check armed (it was idle,
 * or on its scheduler stack when timers fired): whatever slice ran before
 * is over, and a new one starts now. */
static void slice_start(struct cpu *c)
{
	c->slice_tick = c->p->schedtick;
	c->slice_seen = arch_cycles();
	c->slice_next = c->slice_seen + slice_look_cycles;
	sched_arm_timer(c);
}

/*
 * The fast path out of the running G g (preemption off, c->switch_prev
 * set): when this P has another G ready and nothing else wants the
 * scheduler loop (a slice to end, timers due, or the global queue's turn),
 * switch straight to that G instead of through the scheduler stack, which
 * halves the context switches of a yield or a channel handoff. Returns
 * false, having done nothing, when the caller must go through g0; else
 * returns once g runs again.
 */
static inline __attribute__((always_inline)) bool switch_direct(struct cpu *c, struct g *g)
{
	struct p *p = c->p;
	struct g *next;
	bool inherit;

	if (c->need_resched ||
	    (p->schedtick % 61 == 0 && __atomic_load_n(&sched.runq_size, __ATOMIC_RELAXED)))
		return false;
	/* A timer may be due whose interrupt has not been taken yet (it is
	 * masked, or under TSan not delivered until the thread calls into
	 * the runtime, which a loop of yields never does): once this CPU's
	 * deadline, which is never after its first timer, has passed, let
	 * the scheduler loop run the timers. No timers, no clock read. */
	if (timers_pending(p) && arch_cycles() >= c->armed)
		return false;
	next = runqget(p, &inherit);
	if (!next)
		return false;
	c->mcall_g = g; /* park callbacks find the parking G there */
	next->status = G_RUNNING;
	c->curg = next;
	if (!inherit)
		p->schedtick++;
	if (!c->slice_armed)
		slice_start(c);
	libc_task_switch_out(g);
	arch_ctx_switch(&g->ctx, &next->ctx);
	/* g may resume on another CPU: find it again (the barrier keeps the
	 * compiler from reusing c). */
	arch_barrier();
	finish_switch(this_cpu());
	libc_task_switch_in(g);
	return true;
}

/* Run g on this CPU; `inherit` keeps the running time slice. */
static __noreturn void execute(struct cpu *c, struct g *g, bool inherit)
{
	struct arch_context discard;

	g->status = G_RUNNING;
	c->curg = g;
	c->need_resched = false;
	if (!inherit)
		c->p->schedtick++;
	if (!c->slice_armed)
		slice_start(c); /* a CPU coming out of idle */
	arch_ctx_switch(&discard, &g->ctx);
	__builtin_unreachable();
}

static void leave_m(struct g *g)
{
	(void)g;
	sched_finish_switch();
	schedule();
}

/*
 * The running G leaves its CPU (preemption off) as `how` says. Its share of
 * the work (requeue it, release the lock it waits under, free it) must wait
 * until its context is saved, or another CPU could run it from a half-saved
 * one: the next code to run on this CPU does it, sched_finish_switch(),
 * whether that is the G it switches straight to or schedule() on g0.
 * Returns once the G runs again; never for SWITCH_EXIT.
 */
static inline __attribute__((always_inline)) void leave(int how)
{
	struct cpu *c = this_cpu();
	struct g *g = c->curg;

	c->switch_prev = g;
	c->switch_prev_how = how;
	if (!switch_direct(c, g))
		mcall(leave_m);
}

/* The hot callers, yield() and the parks, inline leave(). */
void sched_leave(int how)
{
	leave(how);
}

/* Park the running G, which holds at least one count (leave() hands it
 * on), as `how` says, with `arg` for the switch's finish (gopark's unlock
 * callback takes it; gopark_unlock's is the lock); returns when it is
 * readied and runs again. */
static inline __attribute__((always_inline)) void park(int how, void *arg, const char *reason)
{
	struct cpu *c = this_cpu();
	struct g *g = c->curg;

	BUG_ON(!g || c->locks < 1);
	g->wait_reason = reason;
	c->park_arg = arg;
	/* Nobody can ready g before its wait is committed (by unlock, or
	 * by releasing the lock). */
	g->status = G_WAITING;
	leave(how);
	g->wait_reason = NULL;
	preempt_enable();
}

void gopark(bool (*unlock)(void *arg), void *arg, const char *reason)
{
	preempt_disable();
	this_cpu()->park_unlock = unlock;
	park(SWITCH_PARK, arg, reason);
}

/* The count that spin_lock(lock) raised keeps preemption off until the
 * switch; the switch then releases the lock and hands the count on. */
void gopark_unlock(spinlock_t *lock, const char *reason)
{
	park(SWITCH_PARK_UNLOCK, lock, reason);
}

/* yield() goes to the back of this P's ring (Go's Gosched uses the global
 * queue under its lock; the ring keeps yield lock-free). */
void yield(void)
{
	if (!sched_running)
		return;
	preempt_disable();
	this_cpu()->curg->status = G_RUNNABLE;
	leave(SWITCH_YIELD);
	preempt_enable();
}

/* A preempted G goes to the global queue, as in Go, so that a CPU-bound G
 * cannot keep its P's other Gs waiting. */
static void gopreempt_m(struct g *g)
{
	g->status = G_RUNNABLE;
	this_cpu()->preemptions++;
	unsigned long flags = spin_lock_irqsave(&sched.lock);

	globrunqput(g);
	spin_unlock_irqrestore(&sched.lock, flags);
	schedule();
}

void kernel_preempt(void)
{
	preempt_disable();
	mcall(gopreempt_m);
	preempt_enable();
}

bool sched_preempt_on_irq_exit(bool irqs_were_enabled)
{
	struct cpu *c = this_cpu();

	if (!c->need_resched || !c->curg || c->locks != 0 || !irqs_were_enabled)
		return false;
	c->need_resched = false;
	return true;
}

bool sched_stopping;

/* A panic elsewhere: halt here, with interrupts off, for good. */
static void stop_if_asked(void)
{
	if (!__atomic_load_n(&sched_stopping, __ATOMIC_ACQUIRE))
		return;
	arch_irq_disable();
	for (;;)
		arch_cpu_wait_irq();
}

void sched_stop_other_cpus(void)
{
	__atomic_store_n(&sched_stopping, true, __ATOMIC_RELEASE);
	if (!sched_running)
		return;
	unsigned int self = this_cpu()->idx;

	for (unsigned int i = 0; i < MAX_CPUS && cpus[i].g0_stack_top; i++)
		if (i != self)
			arch_ipi_send(i);
}

/* ---- time slices and timers ---- */

void sched_arm_timer(struct cpu *c)
{
	uint64_t when = UINT64_MAX;
	uint64_t t = c->p ? timers_next(c->p) : UINT64_MAX;

	c->slice_armed = c->curg != NULL;
	if (c->slice_armed)
		when = c->slice_next;
	if (t != UINT64_MAX && time_deadline_cycles(t) < when)
		when = time_deadline_cycles(t);
	c->armed = when;
	if (when == UINT64_MAX)
		arch_timer_cancel();
	else
		arch_timer_set_deadline(when);
}

void sched_arm_timer_before(struct cpu *c, uint64_t when_ns)
{
	uint64_t when = time_deadline_cycles(when_ns);

	if (when < c->armed) {
		c->armed = when;
		arch_timer_set_deadline(when);
	}
}

/* The CPU's deadline passed (interrupt context): ask the running G to step
 * aside if its slice is over or timers are due, else re-arm. */
void sched_timer_tick(void)
{
	struct cpu *c = this_cpu();

	stop_if_asked();
	c->ticks++;
	c->armed = UINT64_MAX; /* the one-shot has fired */
	c->slice_armed = false;
	if (!sched_running || !c->p)
		return;
	uint64_t now = arch_cycles();
	bool timers_due = timers_pending(c->p) && time_deadline_cycles(timers_next(c->p)) <= now;
	bool slice_over = false;

	if (c->curg && c->slice_tick != c->p->schedtick) {
		c->slice_tick = c->p->schedtick;
		c->slice_seen = now;
		c->slice_next = now + slice_look_cycles;
	} else if (c->curg) {
		slice_over = now - c->slice_seen >= timeslice_cycles;
		c->slice_next = c->slice_seen + timeslice_cycles;
	}

	/* Something is due: the running G is asked to step aside, and the
	 * scheduler loop (which this CPU is in, or returns to) runs the due
	 * timers and re-arms. Re-arming here would only fire again at once. */
	if (c->curg && (slice_over || timers_due)) {
		c->need_resched = true;
		/* The interrupt exit may not be able to act on it (a lock is
		 * held, or on hosted the task is inside the host's C library):
		 * come back soon to ask again, rather than never. */
		c->armed = now + timeslice_cycles / 8;
		c->slice_armed = true;
		arch_timer_set_deadline(c->armed);
	} else if (!timers_due) {
		sched_arm_timer(c);
	}
}

void sched_dump_tasks(void)
{
	if (sched_running)
		task_dump_all();
}

void kernel_ipi(void)
{
	/* Taking the interrupt already ends arch_cpu_wait_irq(). */
	stop_if_asked();
}

/* ---- finding work ---- */

/* Every P idle, nothing queued, no timer armed and no device that could
 * wake a task: nothing can ever run again. sched.lock held. */
static bool looks_dead(void)
{
	uint64_t all = sched_nprocs == 64 ? ~0ull : (1ull << sched_nprocs) - 1;

	if ((__atomic_load_n(&sched.idle_mask, __ATOMIC_ACQUIRE) & all) != all)
		return false;
	if (sched.runq_size || __atomic_load_n(&sched_ntimers, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&sched_io_waiters, __ATOMIC_ACQUIRE))
		return false;
	for (int i = 0; i < sched_nprocs; i++)
		if (!runq_empty(&ps[i]))
			return false;
	return true;
}

/*
 * Go's checkdead, from idle() with sched.lock held. The state it reads is
 * not all under that lock, so a G on its way from one place to another
 * could look lost for a moment. CI once reported a deadlock on aarch64 at
 * two CPUs while a task slept, and its cause was not found; so a deadlock
 * must still hold DEADLOCK_CONFIRM_NS after it was first seen, with
 * nothing seen alive in between. Returns 0, or the now_ns() time at which
 * this CPU must look again.
 */
static uint64_t checkdead(void)
{
	if (!looks_dead()) {
		sched.dead_since = 0;
		return 0;
	}
	uint64_t now = now_ns();

	if (!sched.dead_since)
		sched.dead_since = now;
	if (now - sched.dead_since < DEADLOCK_CONFIRM_NS)
		return sched.dead_since + DEADLOCK_CONFIRM_NS;
	spin_release(&sched.lock);
	sched_stop_other_cpus();
	console_force_unlocked();
	printk("\nfatal: all tasks are asleep - deadlock!\n\n");
	task_dump_all();
	kernel_exit(PANIC_EXIT_STATUS);
}

/* Sleep until an interrupt: this CPU's timer, an IPI from wakep(), or a
 * device. Returns with the CPU no longer marked idle; `spinning` when
 * wakep() chose it to look for work. */
static void idle(struct cpu *c)
{
	uint64_t bit = 1ull << c->idx;
	unsigned long flags = arch_irq_save();

	__atomic_store_n(&c->woken_spinning, false, __ATOMIC_RELAXED);
	spin_acquire(&sched.lock);
	if (sched.runq_size) {
		spin_release(&sched.lock);
		arch_irq_restore(flags);
		return;
	}
	__atomic_fetch_or(&sched.idle_mask, bit, __ATOMIC_ACQ_REL);
	uint64_t look_again = checkdead();

	spin_release(&sched.lock);

	/* Work queued on some P while this CPU was still counted as spinning
	 * may have skipped wakep(); look once more before sleeping. */
	bool work = false;

	for (int i = 0; i < sched_nprocs && !work; i++)
		work = !runq_empty(&ps[i]);
	if (!work && !__atomic_load_n(&c->woken_spinning, __ATOMIC_ACQUIRE)) {
		sched_arm_timer(c);
		if (look_again)
			sched_arm_timer_before(c, look_again);
		arch_cpu_wait_irq();
	}
	/* Leave the idle set, unless a waker already took us out of it. */
	uint64_t old = __atomic_fetch_and(&sched.idle_mask, ~bit, __ATOMIC_ACQ_REL);

	if (!(old & bit)) {
		/* Only wakep() clears another CPU's bit, after counting it
		 * in nmspinning; its woken_spinning store may not have
		 * landed yet, so the bit alone decides. */
		c->spinning = true;
	}
	arch_irq_restore(flags);
}

/* Find a runnable G, idling until there is one (Go's findrunnable). */
static struct g *findrunnable(struct cpu *c, bool *inherit)
{
	struct p *p = c->p;
	struct g *g;
	unsigned long flags;

	for (;;) {
		if (timers_pending(p))
			timers_run(p, now_ns());

		/* Fairness: now and then the global queue goes first. */
		if (p->schedtick % 61 == 0 && __atomic_load_n(&sched.runq_size, __ATOMIC_RELAXED)) {
			flags = spin_lock_irqsave(&sched.lock);
			g = globrunqget(p, 1);
			spin_unlock_irqrestore(&sched.lock, flags);
			if (g) {
				*inherit = false;
				return g;
			}
		}
		if ((g = runqget(p, inherit)))
			return g;
		*inherit = false;
		if (__atomic_load_n(&sched.runq_size, __ATOMIC_RELAXED)) {
			flags = spin_lock_irqsave(&sched.lock);
			g = globrunqget(p, 0);
			spin_unlock_irqrestore(&sched.lock, flags);
			if (g)
				return g;
		}

		/* Devices with work whose tasks are parked (Go's netpoll(0)). */
		if (netpoll_poll())
			continue;

		/* Spin to steal, but keep spinners to at most half the busy
		 * Ps, as Go does. */
		uint32_t busy = (uint32_t)sched_nprocs -
				(uint32_t)__builtin_popcountll(
					__atomic_load_n(&sched.idle_mask, __ATOMIC_ACQUIRE));

		if (sched_nprocs > 1 &&
		    (c->spinning ||
		     2 * __atomic_load_n(&sched.nmspinning, __ATOMIC_ACQUIRE) < busy)) {
			if (!c->spinning) {
				c->spinning = true;
				__atomic_fetch_add(&sched.nmspinning, 1, __ATOMIC_ACQ_REL);
			}
			if ((g = stealwork(c)))
				return g;
		}
		if (c->spinning) {
			c->spinning = false;
			__atomic_fetch_sub(&sched.nmspinning, 1, __ATOMIC_ACQ_REL);
		}
		idle(c);
	}
}

__noreturn void schedule(void)
{
	struct cpu *c = this_cpu();
	bool inherit;
	struct g *g = findrunnable(c, &inherit);

	if (c->spinning)
		resetspinning(c);
	execute(c, g, inherit);
}

/* ---- boot ---- */

void sched_early_init(void)
{
	cpus[0].idx = 0;
	cpus[0].fastrand = 0x9e3779b9u;
	cpus[0].locks = 0;
	arch_cpu_set_self(&cpus[0]);
	libc_cpu_init();
}

/* The CPU's scheduler and trap stacks, each with a guard page below. */
static void alloc_cpu_stacks(struct cpu *c)
{
	if (stack_alloc_backed(&c->g0_stack, G0_STACK_SIZE, (int)c->idx, "scheduler") < 0 ||
	    stack_alloc_backed(&c->trap_stack, TRAP_STACK_SIZE, (int)c->idx, "trap") < 0)
		panic("no memory for CPU %u's scheduler and trap stacks", c->idx);
	c->g0_stack_lo = c->g0_stack.lo;
	c->g0_stack_top = c->g0_stack.hi;
}

void kernel_secondary_main(unsigned int idx)
{
	struct cpu *c = &cpus[idx];

	BUG_ON(this_cpu() != c);
	libc_cpu_init();
	arch_cpu_set_trap_stack(c->trap_stack.lo, c->trap_stack.hi);
	__atomic_store_n(&c->started, true, __ATOMIC_RELEASE);
	if (!c->p) {
		/* More CPUs than Ps (procs=): this one has nothing to do. */
		for (;;)
			arch_cpu_wait_irq();
	}
	c->locks = 1;
	arch_irq_enable();
	schedule();
}

static void boot_cpu_enter(void *arg)
{
	(void)arg;
	this_cpu()->locks = 1;
	schedule();
}

void sched_start(void (*main_fn)(void *), void *arg)
{
	unsigned int ncpus = boot.ncpus ? boot.ncpus : 1;

	timeslice_cycles =
		time_ns_to_cycles(bootargs_u64(&kernel_bootargs, "timeslice", 10 * NSEC_PER_MSEC,
					       100 * NSEC_PER_USEC, 10 * NSEC_PER_SEC));
	slice_look_cycles = timeslice_cycles / 2;
	sched_nprocs = (int)bootargs_u64(&kernel_bootargs, "procs", ncpus, 1, ncpus);
#ifndef __SANITIZE_THREAD__
	single_cpu = ncpus == 1;
#endif
	for (int i = 0; i < sched_nprocs; i++) {
		ps[i].id = i;
		cpus[i].p = &ps[i];
		heap_cache_attach(&cpus[i]);
		timers_init(&ps[i]);
	}
	for (unsigned int i = 0; i < ncpus; i++) {
		cpus[i].idx = i;
		cpus[i].hwid = boot.cpu_hwid[i];
		cpus[i].fastrand = 0x9e3779b9u * (i + 1);
		cpus[i].armed = UINT64_MAX;
		alloc_cpu_stacks(&cpus[i]);
	}
	arch_cpu_set_trap_stack(cpus[0].trap_stack.lo, cpus[0].trap_stack.hi);
	task_init_main(main_fn, arg);
	sched_running = true;

	for (unsigned int i = 1; i < ncpus; i++) {
		int err = arch_cpu_start(i, cpus[i].hwid, cpus[i].g0_stack_top, &cpus[i]);
		uint64_t deadline = now_ns() + 10 * NSEC_PER_SEC;

		/* Wait for it, so that a CPU that never comes up is reported
		 * rather than counted on (generously: emulated CPUs on a busy
		 * host can take seconds). */
		while (!err && !__atomic_load_n(&cpus[i].started, __ATOMIC_ACQUIRE))
			if (now_ns() > deadline)
				err = -ETIMEDOUT;

		if (err < 0)
			printk("weft: CPU %u (id %llx) did not start (%d); running without it\n", i,
			       (unsigned long long)cpus[i].hwid, err);
	}
	/* The boot CPU leaves its boot stack for its scheduler stack. */
	struct arch_context boot_ctx;

	arch_ctx_init(&cpus[0].g0_ctx, cpus[0].g0_stack_lo, cpus[0].g0_stack_top, boot_cpu_enter,
		      NULL);
	arch_ctx_switch(&boot_ctx, &cpus[0].g0_ctx);
	__builtin_unreachable();
}

int num_cpu(void)
{
	return sched_nprocs;
}
