/* SPDX-License-Identifier: MIT */
/*
 * aarch64: inline part of the arch contract. Interrupts are masked with
 * PSTATE.I (DAIF bit 7); FIQ, SError and debug stay as the boot left them.
 * TPIDR_EL1 holds this CPU's struct cpu: it belongs to the CPU, never to a
 * task, so no context switch or preemption ever saves or restores it.
 */
#ifndef WEFT_ARCH_AARCH64_INLINE_H
#define WEFT_ARCH_AARCH64_INLINE_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/sysreg.h>

struct cpu;

/*
 * What arch_ctx_switch saves (switch.S; offsets in arch/aarch64/asm_offsets.h):
 * the AAPCS64 callee-saved registers, x19-x28, the frame pointer x29, the
 * link register x30 (where the switch returns to) and the low 64 bits of
 * v8-v15 (d8-d15), plus FPCR and FPSR, which belong to the task (a rounding
 * mode set with fesetround must not leak into other tasks).
 */
struct arch_context {
	uint64_t sp;
	uint64_t x19_x28[10];
	uint64_t fp; /* x29 */
	uint64_t lr; /* x30 */
	uint64_t d8_d15[8];
	uint64_t fpcr, fpsr;
};

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

/*
 * This CPU's struct cpu, in one instruction. Not volatile, so the compiler
 * may reuse the value within a stretch of code; the dummy read of the stack
 * makes every call and memory clobber (a context switch among them) force a
 * fresh read, since a task may have moved to another CPU meanwhile. Linux's
 * __kern_my_cpu_offset does the same.
 */
static inline struct cpu *arch_cpu_self(void)
{
	struct cpu *c;

	__asm__("mrs %0, tpidr_el1"
		: "=r"(c)
		: "Q"(*(const unsigned long *)__builtin_frame_address(0)));
	return c;
}

/* The frame pointer a switched-out context saved, to walk its stack. */
static inline uintptr_t arch_ctx_fp(const struct arch_context *ctx)
{
	return (uintptr_t)ctx->fp;
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
