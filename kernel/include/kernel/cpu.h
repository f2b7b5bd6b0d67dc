/* SPDX-License-Identifier: MIT */
/*
 * A CPU (Go's M) and its preemption count. Split from sched.h so that
 * spinlock.h can inline preempt_disable()/preempt_enable(), which every
 * lock and channel operation pays for, without including the scheduler.
 */
#ifndef WEFT_KERNEL_CPU_H
#define WEFT_KERNEL_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include <arch.h>
#include <kernel/stack.h>
#include <kernel/types.h>

#define MAX_CPUS 64

struct g;
struct heap_cache;
struct p;

struct cpu {
	/* An arch whose per-CPU base register points at this struct (x86's
	 * GS) keeps a pointer to it here, for arch_cpu_self(), and to its own
	 * per-CPU data in `arch`. */
	struct cpu *self;
	void *arch;
	struct g *curg; /* the G running, or NULL on the scheduler stack */
	int locks; /* preemption is off while > 0 */
	volatile bool need_resched; /* the slice ended or timers are due */
	unsigned int idx;
	uint64_t hwid;
	struct p *p; /* NULL for a CPU beyond procs */
	/* Its P's heap cache (Go's p.mcache), for malloc to find with one
	 * per-CPU load; NULL while it has no P (heap_cache_attach). */
	struct heap_cache *mcache;

	/* The scheduler stack (g0) and mcall's hand-off. */
	struct arch_context g0_ctx;
	uintptr_t g0_stack_lo, g0_stack_top;
	struct stack g0_stack, trap_stack;
	void (*mcall_fn)(struct g *);
	struct g *mcall_g;
	bool (*park_unlock)(void *arg);
	void *park_arg;
	/* The G that left this CPU (sched_leave) and whose leaving the next
	 * code here finishes once its context is saved: requeue it (yield),
	 * run park_unlock (gopark) or free it (exit), as switch_prev_how
	 * says. NULL when there is nothing to do. */
	struct g *switch_prev;
	int switch_prev_how;

	bool started; /* a secondary CPU reached kernel_secondary_main */
	bool spinning; /* looking for work to steal */
	volatile bool woken_spinning; /* wakep() woke it to spin */
	/* Time slices are sampled, as Go's sysmon does, so that a switch
	 * reads no clock (a counter read costs more than the rest of a
	 * switch on some hosts). The timer looks every half slice whether
	 * p->schedtick moved since slice_tick, its last look. If it did, a
	 * new slice began within the last half slice, and slice_seen becomes
	 * now; if it did not, the same slice has run since before slice_seen,
	 * and once that is a whole slice ago the G is asked to step aside.
	 * A G so runs for at least a whole slice and at most one and a half.
	 * slice_next is the time of the next look. The timer is only re-armed
	 * when it is not already armed for a look, so that a switch costs no
	 * timer write either. */
	uint32_t slice_tick;
	uint64_t slice_seen; /* arch cycles */
	uint64_t slice_next; /* arch cycles */
	bool slice_armed; /* the armed deadline includes a slice check */
	uint64_t armed; /* the timer's deadline in arch cycles, or UINT64_MAX */
	uint32_t fastrand;
	uint64_t ticks; /* timer interrupts taken */
	uint64_t preemptions;
} __cacheline_aligned;

/* The running CPU; stable only while preemption is off. */
static inline struct cpu *this_cpu(void)
{
	return arch_cpu_self();
}

/*
 * True on a machine with one CPU, from the start of the scheduler: nothing
 * then runs concurrently with the CPU but its own interrupt handlers, so a
 * lock need only be atomic against those, as in Linux's uniprocessor
 * kernels. A spinlock is released with a plain store (preemption, or
 * interrupts for the irqsave kind, are already off while it is held; it is
 * still taken with an exchange, kernel/spinlock.h says why), and where the
 * arch has ARCH_HAS_LOCAL_RMW a mutex is a count (kernel/sync.c). Under
 * TSan it stays false: TSan learns happens-before from the atomic
 * operations.
 */
#ifdef __SANITIZE_THREAD__
#define single_cpu false
#else
extern bool single_cpu;
#endif

/*
 * Preemption control: preemption is off while this CPU's `locks` count is
 * non-zero. A G preempted between finding its CPU and raising the count
 * would raise it on a CPU it no longer runs on, so the count is raised
 * through the arch's per-CPU register where that cannot happen
 * (ARCH_HAS_CPU_OPS), and with interrupts masked elsewhere.
 * preempt_enable() yields if the slice ended while preemption was off; a
 * G preempted between dropping the count and that check makes it on the
 * CPU it then runs on, whose check it is.
 */
static inline void preempt_disable(void)
{
#ifdef ARCH_HAS_CPU_OPS
	arch_cpu_inc(locks);
#else
	unsigned long flags = arch_irq_save();

	this_cpu()->locks++;
	arch_irq_restore(flags);
#endif
}

/* The rare half of preempt_enable() (sched.c). */
void preempt_resched(void);

static inline void preempt_enable(void)
{
#ifdef ARCH_HAS_CPU_OPS
	bool resched = arch_cpu_dec(locks) && arch_cpu_load(need_resched);
#else
	unsigned long flags = arch_irq_save();
	struct cpu *c = this_cpu();
	bool resched = --c->locks == 0 && c->need_resched;

	arch_irq_restore(flags);
#endif
	if (__builtin_expect(resched, 0))
		preempt_resched();
}

/* Drop the count without yielding: the caller is about to yield or
 * switch anyway, or runs where preemption cannot happen. */
static inline void preempt_enable_no_resched(void)
{
#ifdef ARCH_HAS_CPU_OPS
	(void)arch_cpu_dec(locks);
#else
	unsigned long flags = arch_irq_save();

	this_cpu()->locks--;
	arch_irq_restore(flags);
#endif
}

/* The running G, or NULL on a scheduler stack or before sched_start(). */
static inline struct g *current_g(void)
{
#ifdef ARCH_HAS_CPU_OPS
	return arch_cpu_load(curg);
#else
	unsigned long flags = arch_irq_save();
	struct g *g = this_cpu()->curg;

	arch_irq_restore(flags);
	return g;
#endif
}

#endif
