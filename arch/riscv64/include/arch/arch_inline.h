/* SPDX-License-Identifier: MIT */
/*
 * riscv64: inline part of the arch contract. Interrupt masking is
 * sstatus.SIE; barriers are fences that also order device (I/O) accesses
 * against memory, as virtio rings need. The per-CPU pointer lives in tp,
 * which the psABI reserves for the thread pointer and which nothing here
 * uses otherwise (no __thread in the kernel or newlib): each CPU sets it once
 * and no switch ever saves or restores it.
 */
#ifndef WEFT_ARCH_RISCV64_INLINE_H
#define WEFT_ARCH_RISCV64_INLINE_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/csr.h>

struct cpu;

/*
 * What arch_ctx_switch saves: the registers the psABI makes callee-saved
 * (sp, s0-s11, fs0-fs11) and ra, where the switch returns to. Also fcsr: the
 * psABI gives it thread storage duration (C11 <fenv.h>), so each task keeps
 * its own rounding mode and flags. Offsets in arch/riscv64/asm_offsets.h.
 */
struct arch_context {
	uint64_t sp;
	uint64_t ra;
	uint64_t s[12]; /* s[0] is s0, the frame pointer */
	uint64_t fs[12]; /* raw bits of fs0-fs11 (integers: copying one never touches the FPU) */
	uint64_t fcsr;
};

#define arch_barrier() __asm__ __volatile__("" ::: "memory")

/*
 * This CPU's struct cpu. volatile: after a switch the same code may run on
 * another CPU, so the compiler must not reuse a value read before a call.
 */
static inline struct cpu *arch_cpu_self(void)
{
	struct cpu *c;

	__asm__ __volatile__("mv %0, tp" : "=r"(c));
	return c;
}

/* The frame pointer (s0) a switched-out context saved, to walk its stack. */
static inline uintptr_t arch_ctx_fp(const struct arch_context *ctx)
{
	return (uintptr_t)ctx->s[0];
}

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

#include <arch/cpu_ops.h>

#endif
