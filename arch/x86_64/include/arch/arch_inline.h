/* SPDX-License-Identifier: MIT */
/*
 * x86_64: inline part of the arch contract. Interrupt masking is RFLAGS.IF;
 * the saved "flags" are the whole RFLAGS word. The GS base points at this
 * CPU's struct cpu (arch/x86_64/smp.c, arch_common/x86_cpu_ops.h); GS
 * belongs to the CPU, never to a task, so no switch saves or restores it.
 */
#ifndef WEFT_ARCH_X86_64_INLINE_H
#define WEFT_ARCH_X86_64_INLINE_H

#include <stdbool.h>
#include <stdint.h>

#define X86_RFLAGS_IF (1ul << 9)

struct cpu;

/*
 * What arch_ctx_switch saves (arch/x86_64/switch.S): the System V
 * callee-saved registers, and the control parts of the FP state that the
 * ABI makes callee-saved too, the MXCSR control bits and the x87 control
 * word (System V AMD64 ABI §3.2.1). Offsets: arch/x86_64/asm_offsets.h.
 */
struct arch_context {
	uint64_t rsp, rbx, rbp, r12, r13, r14, r15;
	uint32_t mxcsr;
	uint16_t fpucw;
};

/* The frame pointer a switched-out context resumes with. */
static inline uintptr_t arch_ctx_fp(const struct arch_context *ctx)
{
	return (uintptr_t)ctx->rbp;
}

#define arch_barrier() __asm__ __volatile__("" ::: "memory")

/* Full barrier: x86 is TSO, but a store followed by a load to another
 * location can still be reordered (SDM vol. 3 §9.2.2), which only MFENCE
 * (or a locked instruction) prevents. */
static inline void arch_mb(void)
{
	__asm__ __volatile__("mfence" ::: "memory");
}

/* Loads are not reordered with other loads, nor stores with other stores,
 * on write-back memory (SDM vol. 3 §9.2.2): a compiler barrier suffices,
 * also for virtio rings in coherent RAM. */
static inline void arch_rmb(void)
{
	arch_barrier();
}

static inline void arch_wmb(void)
{
	arch_barrier();
}

static inline void arch_cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

static inline void arch_irq_disable(void)
{
	__asm__ __volatile__("cli" ::: "memory");
}

static inline void arch_irq_enable(void)
{
	__asm__ __volatile__("sti" ::: "memory");
}

static inline unsigned long arch_irq_flags(void)
{
	unsigned long flags;

	__asm__ __volatile__("pushfq; popq %0" : "=r"(flags) : : "memory");
	return flags;
}

static inline bool arch_irq_enabled(void)
{
	return (arch_irq_flags() & X86_RFLAGS_IF) != 0;
}

static inline unsigned long arch_irq_save(void)
{
	unsigned long flags = arch_irq_flags();

	arch_irq_disable();
	return flags;
}

static inline void arch_irq_restore(unsigned long flags)
{
	if (flags & X86_RFLAGS_IF)
		arch_irq_enable();
}

#include <arch_common/x86_cpu_ops.h>
#include <arch_common/x86_local_rmw.h>

#endif
