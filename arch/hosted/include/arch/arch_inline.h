/* SPDX-License-Identifier: MIT */
/*
 * hosted: inline part of the arch contract. "Interrupts" are signals (the
 * per-thread timer signal and the IPI signal); masking them is a per-thread
 * flag that the signal handler honours, which costs no system call. A signal
 * that arrives while masked is left pending and run on unmask.
 */
#ifndef WEFT_ARCH_HOSTED_INLINE_H
#define WEFT_ARCH_HOSTED_INLINE_H

#include <stdbool.h>

struct hosted_irq_state {
	volatile int disabled;
	volatile int pending;
};
extern __thread struct hosted_irq_state hosted_irq;

/* Run interrupts that arrived while masked; called on unmask. */
void hosted_irq_replay(void);

#define arch_barrier() __asm__ __volatile__("" ::: "memory")

static inline void arch_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void arch_rmb(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

static inline void arch_wmb(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void arch_cpu_relax(void)
{
	__builtin_ia32_pause();
}

static inline void arch_irq_disable(void)
{
	hosted_irq.disabled = 1;
	arch_barrier();
}

static inline void arch_irq_enable(void)
{
	arch_barrier();
	hosted_irq.disabled = 0;
	arch_barrier();
	if (hosted_irq.pending)
		hosted_irq_replay();
}

static inline bool arch_irq_enabled(void)
{
	return !hosted_irq.disabled;
}

static inline unsigned long arch_irq_save(void)
{
	unsigned long was = (unsigned long)hosted_irq.disabled;

	arch_irq_disable();
	return was;
}

static inline void arch_irq_restore(unsigned long was_disabled)
{
	if (!was_disabled)
		arch_irq_enable();
}

#endif
