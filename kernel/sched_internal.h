/* SPDX-License-Identifier: MIT */
/* Private interfaces between the scheduler's files (sched.c, task.c,
 * timer.c). */
#ifndef WEFT_KERNEL_SCHED_INTERNAL_H
#define WEFT_KERNEL_SCHED_INTERNAL_H

#include <kernel/sched.h>

extern struct cpu cpus[MAX_CPUS];
extern struct p ps[MAX_CPUS];
extern bool sched_running;

/* Armed timers on all Ps, and tasks a device interrupt can wake: while
 * either is non-zero, every CPU idle is not a deadlock. */
extern uint32_t sched_ntimers;
extern uint32_t sched_io_waiters;

/* Put a runnable G on p's queue (runnext when `next`) and wake an idle CPU
 * if one could take it. Owner CPU with preemption off. */
void sched_runqput(struct p *p, struct g *g, bool next);

/*
 * Start loading g into the cache. Each G lives on a page of its own (at the
 * top of its stack), so a G the CPU has not touched for a while costs a TLB
 * miss and a cache miss per line; fetched early, ahead of the G that is
 * about to run or be reused, that cost overlaps other work.
 */
static inline void g_prefetch(const struct g *g)
{
	for (size_t off = 0; off < sizeof(*g); off += 64)
		__builtin_prefetch((const char *)g + off, 1);
}

/* Switch the running G out and run fn(g) on the scheduler stack. */
void mcall(void (*fn)(struct g *));

/* How the running G leaves its CPU (cpu.switch_prev_how): to the back of
 * its P's ring, parked (gopark's unlock runs once it is off, or
 * gopark_unlock's spinlock is released), or exited. */
enum { SWITCH_YIELD, SWITCH_PARK, SWITCH_PARK_UNLOCK, SWITCH_EXIT };

/* Leave the running G's CPU (preemption off), straight for this P's next G
 * when the scheduler loop is not needed, else through g0. Returns once
 * the G runs again; never for SWITCH_EXIT. */
void sched_leave(int how);

/* The first thing to run after a G left, on any path (the next G, or
 * schedule() on g0): finish that leaving. Preemption off. */
void sched_finish_switch(void);

/* An exited G's share of sched_finish_switch() (task.c): status, stack
 * trim, G cache, count. Runs on another stack than g's. */
void task_exit_finish(struct g *g);
__noreturn void schedule(void);

/* Timers (timer.c). */
void timers_init(struct p *p);
uint64_t timers_next(struct p *p); /* earliest deadline, or UINT64_MAX */
void timers_run(struct p *p, uint64_t now);

/* Whether p has any armed timer (a hint, read without its lock). */
static inline bool timers_pending(struct p *p)
{
	return __atomic_load_n(&p->ntimers, __ATOMIC_RELAXED) != 0;
}

/* This CPU's deadline: the earlier of the slice end and the P's first
 * timer. Interrupts masked or preemption off. */
void sched_arm_timer(struct cpu *c);

/* Bring this CPU's deadline forward to now_ns() time `when_ns` if that is
 * earlier. Interrupts masked. */
void sched_arm_timer_before(struct cpu *c, uint64_t when_ns);

/* Gs (task.c). */
void task_init_main(void (*fn)(void *), void *arg);
void task_dump_all(void);

/* Set once a panic has begun: CPUs that see it halt. */
extern bool sched_stopping;

#endif
