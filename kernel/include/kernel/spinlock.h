/* SPDX-License-Identifier: MIT */
/*
 * Spinlocks for short critical sections that may run in interrupt context.
 * spin_lock_irqsave() masks interrupts on this CPU for the duration. A
 * zero-initialized spinlock_t is unlocked.
 */
#ifndef WEFT_KERNEL_SPINLOCK_H
#define WEFT_KERNEL_SPINLOCK_H

#include <arch.h>

typedef struct {
	volatile unsigned int locked;
} spinlock_t;

static inline void spin_lock(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			arch_cpu_relax();
}

static inline int spin_trylock(spinlock_t *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = arch_irq_save();

	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	spin_unlock(l);
	arch_irq_restore(flags);
}

#endif
