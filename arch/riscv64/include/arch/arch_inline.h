/* SPDX-License-Identifier: MIT */
/*
 * riscv64: inline part of the arch contract. Interrupt masking is
 * sstatus.SIE; barriers are fences that also order device (I/O) accesses
 * against memory, as virtio rings need.
 */
#ifndef WEFT_ARCH_RISCV64_INLINE_H
#define WEFT_ARCH_RISCV64_INLINE_H

#include <stdbool.h>

#include <arch/csr.h>

#define arch_barrier() __asm__ __volatile__("" ::: "memory")

/* Full barrier: all earlier memory and I/O accesses before all later ones. */
static inline void arch_mb(void)
{
	__asm__ __volatile__("fence iorw, iorw" ::: "memory");
}

/* Reads (memory and device) before later reads. */
static inline void arch_rmb(void)
{
	__asm__ __volatile__("fence ir, ir" ::: "memory");
}

/* Writes to memory before later device writes (a ring update before its notify). */
static inline void arch_wmb(void)
{
	__asm__ __volatile__("fence ow, ow" ::: "memory");
}

/* Zihintpause PAUSE ("fence w, 0"), which cores without it execute as a no-op fence. */
static inline void arch_cpu_relax(void)
{
	__asm__ __volatile__(".insn i 0x0f, 0, x0, x0, 0x010" ::: "memory");
}

static inline void arch_irq_disable(void)
{
	__asm__ __volatile__("csrci sstatus, %0" : : "i"(SSTATUS_SIE) : "memory");
}

static inline void arch_irq_enable(void)
{
	__asm__ __volatile__("csrsi sstatus, %0" : : "i"(SSTATUS_SIE) : "memory");
}

static inline bool arch_irq_enabled(void)
{
	return (csr_read(sstatus) & SSTATUS_SIE) != 0;
}

/* Disable interrupts; the returned flags hold the old sstatus.SIE. */
static inline unsigned long arch_irq_save(void)
{
	unsigned long old;

	__asm__ __volatile__("csrrci %0, sstatus, %1" : "=r"(old) : "i"(SSTATUS_SIE) : "memory");
	return old & SSTATUS_SIE;
}

static inline void arch_irq_restore(unsigned long flags)
{
	csr_set(sstatus, flags & SSTATUS_SIE);
}

#endif
