/* SPDX-License-Identifier: MIT */
/*
 * aarch64: inline part of the arch contract. Interrupts are masked with
 * PSTATE.I (DAIF bit 7); FIQ, SError and debug stay as the boot left them.
 */
#ifndef WEFT_ARCH_AARCH64_INLINE_H
#define WEFT_ARCH_AARCH64_INLINE_H

#include <stdbool.h>

#include <arch/sysreg.h>

#define arch_barrier() __asm__ __volatile__("" ::: "memory")

/* Full-system barriers: they order normal memory against device accesses and
 * other observers such as a virtio device (Arm ARM B2.3.12). */
static inline void arch_mb(void)
{
	__asm__ __volatile__("dsb sy" ::: "memory");
}

static inline void arch_rmb(void)
{
	__asm__ __volatile__("dsb ld" ::: "memory");
}

static inline void arch_wmb(void)
{
	__asm__ __volatile__("dsb st" ::: "memory");
}

static inline void arch_cpu_relax(void)
{
	__asm__ __volatile__("yield" ::: "memory");
}

static inline void arch_irq_disable(void)
{
	__asm__ __volatile__("msr daifset, #2" ::: "memory");
}

static inline void arch_irq_enable(void)
{
	__asm__ __volatile__("msr daifclr, #2" ::: "memory");
}

static inline bool arch_irq_enabled(void)
{
	unsigned long daif;

	__asm__ __volatile__("mrs %0, daif" : "=r"(daif));
	return !(daif & DAIF_I);
}

/* Returns the whole DAIF value, which arch_irq_restore() writes back. */
static inline unsigned long arch_irq_save(void)
{
	unsigned long daif;

	__asm__ __volatile__("mrs %0, daif\n\tmsr daifset, #2" : "=r"(daif) : : "memory");
	return daif;
}

static inline void arch_irq_restore(unsigned long daif)
{
	__asm__ __volatile__("msr daif, %0" : : "r"(daif) : "memory");
}

#endif
