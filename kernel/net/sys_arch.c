// SPDX-License-Identifier: MIT
/*
 * lwIP's OS layer (lwIP's doc/sys_arch.txt and src/include/lwip/sys.h) on
 * the scheduler: mailboxes are channels, mutexes are task mutexes,
 * semaphores are a count plus a wake-up channel, threads are tasks.
 * Everything that blocks parks only the calling task; timeouts come from
 * chan_select's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include <lwip/err.h>
#include <lwip/sys.h>

#include <arch.h>
#include <kernel/panic.h>
#include <kernel/net.h>
#include <kernel/printk.h>
#include <kernel/random.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>

#define NS_PER_MS 1000000ull

/* ---- time ---- */

u32_t sys_now(void)
{
	return (u32_t)(now_ns() / NS_PER_MS);
}

void sys_init(void)
{
}

/* ---- semaphores ----
 * lwIP signals from task context only (never from an interrupt: frames
 * reach it from the poll task). A waiter takes a unit of `count` if there
 * is one, else parks on `wake`, which holds at most one token; a signal
 * adds a unit and drops a token in. A woken waiter that finds the unit
 * already taken by another waits again, so the count is exact even with
 * several waiters. */
struct sys_sem {
	spinlock_t lock;
	u32_t count;
	chan_t *wake;
};

err_t sys_sem_new(sys_sem_t *sem, u8_t count)
{
	struct sys_sem *s = calloc(1, sizeof(*s));

	if (!s)
		return ERR_MEM;
	s->wake = chan_make(1, 1);
	if (!s->wake) {
		free(s);
		return ERR_MEM;
	}
	s->count = count;
	*sem = s;
	return ERR_OK;
}

void sys_sem_free(sys_sem_t *sem)
{
	struct sys_sem *s = *sem;

	/* A signaller may still be inside sys_sem_signal (its unit already
	 * taken by the waiter that now frees the semaphore): wait for it to
	 * let go of the lock, its last touch of s. */
	spin_lock(&s->lock);
	spin_unlock(&s->lock);
	chan_free(s->wake);
	free(s);
}

void sys_sem_signal(sys_sem_t *sem)
{
	struct sys_sem *s = *sem;
	char token = 0;

	/* The token goes in under the lock: once a waiter can take the unit
	 * (which needs the lock), this signaller is done with s, and the
	 * waiter may free it (a task's semaphore goes when the task exits). */
	spin_lock(&s->lock);
	s->count++;
	(void)chan_trysend(s->wake, &token); /* already full: a waiter will see it */
	spin_unlock(&s->lock);
}

static bool sem_take(struct sys_sem *s)
{
	bool took = false;

	spin_lock(&s->lock);
	if (s->count) {
		s->count--;
		took = true;
	}
	spin_unlock(&s->lock);
	return took;
}

/* Wait on a channel for at most timeout_ms (0: forever). Returns false on
 * timeout. `elem` receives the element. */
static bool chan_wait(chan_t *c, void *elem, uint64_t start, u32_t timeout_ms)
{
	struct chan_case cs = { .chan = c, .op = CHAN_RECV, .elem = elem };
	int64_t left = -1;

	if (timeout_ms) {
		uint64_t deadline = start + timeout_ms * NS_PER_MS, now = now_ns();

		if (now >= deadline)
			return false;
		left = (int64_t)(deadline - now);
	}
	return chan_select(&cs, 1, left) == 0;
}

u32_t sys_arch_sem_wait(sys_sem_t *sem, u32_t timeout)
{
	struct sys_sem *s = *sem;
	uint64_t start = now_ns();
	char token;

	while (!sem_take(s)) {
		if (!chan_wait(s->wake, &token, start, timeout))
			return SYS_ARCH_TIMEOUT;
	}
	return (u32_t)((now_ns() - start) / NS_PER_MS);
}

int net_task_enter(void)
{
	struct g *g = current_g();

	if (!g->net_sem && sys_sem_new((sys_sem_t *)&g->net_sem, 0) != ERR_OK)
		return -ENOMEM;
	return 0;
}

sys_sem_t *weft_lwip_task_sem(void)
{
	/* The socket calls made it (net_task_enter); lwIP's own tasks make
	 * it here, where there is no error to return. */
	if (net_task_enter() < 0)
		panic("lwip: no memory for task %d's semaphore", current_g()->id);
	return (sys_sem_t *)&current_g()->net_sem;
}

void net_task_exit(struct g *g)
{
	if (g->net_sem)
		sys_sem_free((sys_sem_t *)&g->net_sem);
	g->net_sem = NULL;
}

/* ---- mutexes: a zeroed mutex_t is ready ---- */

err_t sys_mutex_new(sys_mutex_t *m)
{
	*m = (mutex_t){ 0 };
	return ERR_OK;
}

void sys_mutex_free(sys_mutex_t *m)
{
	(void)m;
}

void sys_mutex_lock(sys_mutex_t *m)
{
	mutex_lock(m);
}

void sys_mutex_unlock(sys_mutex_t *m)
{
	mutex_unlock(m);
}

/* ---- mailboxes: channels of pointers ---- */

err_t sys_mbox_new(sys_mbox_t *mbox, int size)
{
	*mbox = chan_make(sizeof(void *), size > 0 ? (size_t)size : 32);
	return *mbox ? ERR_OK : ERR_MEM;
}

void sys_mbox_free(sys_mbox_t *mbox)
{
	chan_free(*mbox);
}

void sys_mbox_post(sys_mbox_t *mbox, void *msg)
{
	chan_send(*mbox, &msg);
}

err_t sys_mbox_trypost(sys_mbox_t *mbox, void *msg)
{
	return chan_trysend(*mbox, &msg) == 0 ? ERR_OK : ERR_MEM;
}

/* Nothing in Weft posts from an interrupt, but lwIP's API has the name. */
err_t sys_mbox_trypost_fromisr(sys_mbox_t *mbox, void *msg)
{
	return sys_mbox_trypost(mbox, msg);
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *mbox, void **msg, u32_t timeout)
{
	uint64_t start = now_ns();
	void *m;

	if (!chan_wait(*mbox, &m, start, timeout)) {
		if (msg)
			*msg = NULL;
		return SYS_ARCH_TIMEOUT;
	}
	if (msg)
		*msg = m;
	return (u32_t)((now_ns() - start) / NS_PER_MS);
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mbox, void **msg)
{
	void *m;

	if (chan_tryrecv(*mbox, &m) != 0)
		return SYS_MBOX_EMPTY;
	if (msg)
		*msg = m;
	return 0;
}

/* ---- threads are tasks ---- */

sys_thread_t sys_thread_new(const char *name, lwip_thread_fn fn, void *arg, int stacksize, int prio)
{
	int id;

	(void)stacksize; /* stacks grow on demand */
	(void)prio; /* one priority */
	id = go_system(fn, arg, 0);
	if (id < 0)
		panic("lwip: cannot start task %s: %d", name, id);
	return id;
}

/* ---- SYS_ARCH_PROTECT ----
 * lwIP takes this for a few instructions at a time (pbuf reference counts,
 * the socket table, socket event flags) and may nest it. A spinlock with
 * preemption off, recursive per CPU: preemption is off while it is held,
 * so the owning CPU cannot change under us. Nothing blocks inside. */
static spinlock_t protect_lock;
static struct cpu *protect_owner;
static int protect_depth;

sys_prot_t sys_arch_protect(void)
{
	struct cpu *me;

	preempt_disable();
	me = this_cpu();
	if (__atomic_load_n(&protect_owner, __ATOMIC_RELAXED) != me) {
		spin_acquire(&protect_lock);
		__atomic_store_n(&protect_owner, me, __ATOMIC_RELAXED);
	}
	protect_depth++;
	return 0;
}

void sys_arch_unprotect(sys_prot_t lev)
{
	(void)lev;
	if (--protect_depth == 0) {
		__atomic_store_n(&protect_owner, NULL, __ATOMIC_RELAXED);
		spin_release(&protect_lock);
	}
	preempt_enable();
}

/* ---- cc.h hooks ---- */

uint32_t weft_lwip_rand(void)
{
	return random_u32();
}

void weft_lwip_assert(const char *msg, const char *file, int line)
{
	panic("lwip: assertion \"%s\" failed at %s:%d", msg, file, line);
}

void weft_lwip_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

#ifdef __SANITIZE_THREAD__
/*
 * lwIP 2.1.3 reads a netconn's flags byte without the core lock on the
 * application side (is it non-blocking? has the mailbox closed?) while the
 * tcpip task updates other bits of it under the lock. That is lwIP's
 * design, not the port's; these are the two readers. TSan calls this
 * function for its built-in suppressions.
 */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
	return "race:netconn_write_vectors_partly\n"
	       "race:netconn_recv_data\n";
}
#endif
