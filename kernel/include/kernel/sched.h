/* SPDX-License-Identifier: MIT */
/*
 * The scheduler: Go's G/M/P model (runtime/proc.go) as a kernel.
 *
 *   G (struct g)    a task: saved context, stack, status, wait reason.
 *   M (struct cpu)  a hardware CPU (a pthread on hosted), with its own
 *                   scheduler stack (g0), interrupt state and timer.
 *   P (struct p)    the right to run Gs: a lock-free ring of 256 runnable Gs
 *                   plus a runnext slot, a timer heap and a cache of dead Gs.
 *
 * Each M is bound to one P for its whole life (procs= boot option, default
 * one per CPU; CPUs beyond procs stay halted): Weft has no blocking system
 * calls, so an M never has to hand its P to another, which is the one reason
 * Go separates them.
 *
 * A G switches out through mcall(), which saves its callee-saved context
 * and runs a function on the M's scheduler stack (g0), as in Go, or, when
 * it yields, parks or exits and its P has another G ready, straight to that
 * G (sched_leave). A
 * G that used up its time slice is made to call kernel_preempt() from its
 * own stack by the interrupt exit path, after the arch saved its full
 * register and FP state there (Go's asyncPreempt), so preemption reuses the
 * cooperative path.
 *
 * Preemption is off while this CPU's `locks` count is non-zero (spinlocks
 * raise it) and in the scheduler itself. Lock order: chan locks (by
 * address) → sched.lock → a P's timer lock.
 */
#ifndef WEFT_KERNEL_SCHED_H
#define WEFT_KERNEL_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include <arch.h>
#include <kernel/cpu.h>
#include <kernel/spinlock.h>
#include <kernel/stack.h>

#define RUNQ_SIZE 256
/* Dead Gs a P keeps before handing half to the global list (Go's gfput). */
#define GFREE_LOCAL_MAX 64

enum g_status {
	G_IDLE, /* just allocated, or reused from the free list */
	G_RUNNABLE, /* on a run queue */
	G_RUNNING, /* on a CPU */
	G_WAITING, /* parked; wait_reason says why */
	G_DEAD, /* exited; its struct and stack wait for reuse */
};

struct g {
	struct arch_context ctx; /* callee-saved registers when switched out */
	struct stack stack;
	int id;
	enum g_status status;
	const char *wait_reason;
	void (*fn)(void *);
	void *arg;

	struct g *schedlink; /* run queues and free lists */
	struct g *alllink, *allprev; /* every G not freed (task.c) */

	/* select: the first waker to CAS this from 0 wins (Go's selectDone). */
	uint32_t select_done;
	void *param; /* what the waker left: the winning waiter */

	bool system; /* a kernel service task, left out of num_tasks() */
	struct timer *sleep_timer; /* for sleep_ns, on the G's stack */
	void *libc; /* the C library's per-task state */
	int libc_errno; /* hosted: errno saved across switches */
	void *net_sem; /* lwIP's per-task semaphore, made on first use (kernel/net/) */
};

struct timer {
	uint64_t when; /* now_ns() deadline */
	void (*fn)(struct timer *t); /* runs on the scheduler stack */
	void *arg;
	struct p *p; /* heap it is on, NULL when not armed */
	int index; /* position in that heap */
	bool running; /* fn is running (timer_del waits for it) */
};

struct p {
	int id;
	/* Run queue: the owner pushes at tail; the owner and thieves take from
	 * head with CAS. runnext is the G made ready by the running G, which
	 * runs next and inherits the time slice (so a ping-pong pair cannot
	 * starve the queue). */
	uint32_t runq_head, runq_tail;
	struct g *runq[RUNQ_SIZE];
	struct g *runnext;

	uint32_t schedtick; /* incremented on every schedule() */

	spinlock_t timer_lock;
	struct timer **timers; /* 4-ary min-heap on when */
	int ntimers, timers_cap;

	/* Dead Gs to reuse, with their stacks, newest last: an array, so that
	 * moving a batch to or from the global list touches no G (see
	 * g_prefetch in kernel/sched_internal.h for why that matters). */
	struct g *gfree[GFREE_LOCAL_MAX];
	int ngfree;
} __cacheline_aligned;

/* Boot: set up CPU 0 as the boot CPU (before anything uses this_cpu()),
 * then the Ps and the other CPUs, then run `main_fn(arg)` as G 1 on the
 * boot CPU. sched_start() never returns. */
void sched_early_init(void);
__noreturn void sched_start(void (*main_fn)(void *), void *arg);

/*
 * Park the running G with `reason` (must be a string literal). After the G's
 * context is saved, `unlock(arg)` runs on the scheduler stack; if it returns
 * false the G continues at once. Used with a lock held that protects the
 * queue the G was put on, which `unlock` releases. Returns when readied.
 */
void gopark(bool (*unlock)(void *arg), void *arg, const char *reason);

/* gopark() whose unlock releases the spinlock `lock` (taken with
 * spin_lock) and always parks: the common case, which a switch finishes
 * without an indirect call (Go's goparkunlock). */
void gopark_unlock(spinlock_t *lock, const char *reason);

/* Make a waiting G runnable on this CPU's P (next, inheriting the slice).
 * Safe from interrupt context. */
void goready(struct g *g);

/* goready() for a caller that has preemption off already (holds a lock,
 * say): saves raising and dropping the count again. */
void goready_preempt_off(struct g *g);

/*
 * Timers: fn runs on the scheduler stack of the CPU whose P holds the
 * timer, at or after `when`, and must not block. timer_add arms it on this
 * CPU's P (-ENOMEM if the heap cannot grow); timer_add_nogrow never
 * allocates (-ENOSPC when the heap needs timer_reserve() first). timer_del
 * disarms it and returns whether it was still armed; if it had fired, it
 * waits for fn to finish, so the timer's memory may be reused afterwards.
 * Every armed timer must be deleted or have fired before it goes away.
 */
int timer_add(struct timer *t);
int timer_add_nogrow(struct timer *t);
int timer_reserve(void);
bool timer_del(struct timer *t);

/*
 * Start a kernel service task (the network stack's threads, a NIC's poll
 * task): go_opts() with `stack_max` (0: the default), but left out of
 * num_tasks(), as Go leaves its system goroutines out of NumGoroutine, so
 * that the count an app sees is its own tasks. The task id, or -ENOMEM /
 * -EINVAL.
 */
int go_system(void (*fn)(void *), void *arg, size_t stack_max);

/* Leave the running task (task.c). */
__noreturn void task_exit(void);

/* A random number from this CPU's generator. */
uint32_t sched_fastrand(void);

/* Called by the arch's interrupt exit, with the interrupted context's IRQ
 * state: whether to make the interrupted G call kernel_preempt() now. */
bool sched_preempt_on_irq_exit(bool irqs_were_enabled);

/* The preemption entry, called on a G's own stack after the arch saved all
 * of its registers (the arch's preempt trampoline). */
void kernel_preempt(void);

/* The timer interrupt's share of scheduling (called by kernel_timer_tick). */
void sched_timer_tick(void);

/* Print every G (id, status, wait reason, top frames), for panics. */
void sched_dump_tasks(void);

/* Call fn(lo, size) for the mapped part of every live task's stack, its G
 * included, without locks: for a hosted leak checker at exit, which scans
 * the host threads' stacks but not the tasks'. */
void task_for_each_stack(void (*fn)(const void *lo, size_t size));

/* Dead Gs kept, with their stacks' top pages, beyond the caches that are
 * always kept: the surplus that the scavenger frees once it stays unused
 * (kernel/task.c). task_free_surplus() frees it now and returns how many
 * it freed; task context, for tests that measure memory. */
int task_surplus(void);
int task_free_surplus(void);

/* Stop every other CPU (they halt with interrupts off), so that a panic's
 * report is the last thing printed. Any context. */
void sched_stop_other_cpus(void);

/* Number of Ps. */
extern int sched_nprocs;

#endif
