/* SPDX-License-Identifier: MIT */
/*
 * aarch64: the cooperative context switch, the first entry of a new context,
 * and the preemption trampoline that an interrupt sends a task through.
 * Layouts are in asm_offsets.h. Register roles: AAPCS64 (Arm IHI 0055),
 * "General-purpose registers" and "SIMD and Floating-Point registers".
 */
#include <arch/aarch64.h>
#include <arch/asm.h>
#include "asm_offsets.h"

	.text

/*
 * void arch_ctx_switch(struct arch_context *save, const struct arch_context *load)
 * Saves the callee-saved registers, FPCR and FPSR in `save` and continues
 * from `load`, returning to its x30. Leaves DAIF (the interrupt state) and
 * TPIDR_EL1 (this CPU) as they are. Clobbers only the temporaries x9-x12.
 */
FUNC(arch_ctx_switch)
	mov	x9, sp
	str	x9, [x0, #CTX_SP]
	stp	x19, x20, [x0, #CTX_X19 + 0]
	stp	x21, x22, [x0, #CTX_X19 + 16]
	stp	x23, x24, [x0, #CTX_X19 + 32]
	stp	x25, x26, [x0, #CTX_X19 + 48]
	stp	x27, x28, [x0, #CTX_X19 + 64]
	stp	x29, x30, [x0, #CTX_FP]
	stp	d8, d9, [x0, #CTX_D8 + 0]
	stp	d10, d11, [x0, #CTX_D8 + 16]
	stp	d12, d13, [x0, #CTX_D8 + 32]
	stp	d14, d15, [x0, #CTX_D8 + 48]
	mrs	x10, fpcr
	mrs	x11, fpsr
	stp	x10, x11, [x0, #CTX_FPCR]

	ldr	x9, [x1, #CTX_SP]
	mov	sp, x9
	ldp	x19, x20, [x1, #CTX_X19 + 0]
	ldp	x21, x22, [x1, #CTX_X19 + 16]
	ldp	x23, x24, [x1, #CTX_X19 + 32]
	ldp	x25, x26, [x1, #CTX_X19 + 48]
	ldp	x27, x28, [x1, #CTX_X19 + 64]
	ldp	x29, x30, [x1, #CTX_FP]
	ldp	d8, d9, [x1, #CTX_D8 + 0]
	ldp	d10, d11, [x1, #CTX_D8 + 16]
	ldp	d12, d13, [x1, #CTX_D8 + 32]
	ldp	d14, d15, [x1, #CTX_D8 + 48]
	ldp	x10, x11, [x1, #CTX_FPCR]
	/* A write to FPCR may be self-synchronizing, and so slow (Linux's
	 * fpsimd_restore skips it for the same reason): only when it changes. */
	mrs	x12, fpcr
	cmp	x10, x12
	b.eq	1f
	msr	fpcr, x10
1:	msr	fpsr, x11
	ret
END(arch_ctx_switch)

/*
 * The first switch into a context from arch_ctx_init returns here, with fn
 * in x19, arg in x20 and x29 = 0: enter fn(arg) with a zero link register,
 * so that fn's frame record {0, 0} ends backtraces. fn never returns (if it
 * did, the branch to 0 would be reported as a fault).
 */
FUNC(aarch64_ctx_start)
	mov	x0, x20
	mov	x29, xzr
	mov	x30, xzr
	br	x19
END(aarch64_ctx_start)

/*
 * void aarch64_preempt_trampoline(void)
 * Where trap.c sends a task whose time slice is over (arch.h, "Preemption";
 * Go's asyncPreempt). It arrives by eret with every register as the
 * interrupt found it, IRQs masked, and the interrupted pc and PSTATE in
 * this CPU's struct aarch64_percpu, which it copies into its frame
 * (PF_ELR, PF_SPSR) before anything can unmask IRQs: the first store may
 * fault to grow the stack, but a page fault never preempts or switches.
 * Saves x0-x30, q0-q31, FPCR and FPSR (NZCV is in the saved PSTATE), calls
 * kernel_preempt() with IRQs on, as the task had them, restores everything
 * and resumes at the interrupted pc with eret, the one way to restore pc,
 * sp and PSTATE together without a free register. TPIDR_EL1 is never
 * touched: the task may come back on another CPU.
 */
FUNC(aarch64_preempt_trampoline)
	sub	sp, sp, #PF_SIZE
	stp	x0, x1, [sp, #PF_X(0)]
	mrs	x0, tpidrro_el0
	ldp	x0, x1, [x0, #PCPU_PREEMPT_PC]
	str	x0, [sp, #PF_ELR]
	str	x1, [sp, #PF_SPSR]
	stp	x2, x3, [sp, #PF_X(2)]
	stp	x4, x5, [sp, #PF_X(4)]
	stp	x6, x7, [sp, #PF_X(6)]
	stp	x8, x9, [sp, #PF_X(8)]
	stp	x10, x11, [sp, #PF_X(10)]
	stp	x12, x13, [sp, #PF_X(12)]
	stp	x14, x15, [sp, #PF_X(14)]
	stp	x16, x17, [sp, #PF_X(16)]
	stp	x18, x19, [sp, #PF_X(18)]
	stp	x20, x21, [sp, #PF_X(20)]
	stp	x22, x23, [sp, #PF_X(22)]
	stp	x24, x25, [sp, #PF_X(24)]
	stp	x26, x27, [sp, #PF_X(26)]
	stp	x28, x29, [sp, #PF_X(28)]
	str	x30, [sp, #PF_X(30)]
	mrs	x0, fpcr
	mrs	x1, fpsr
	stp	x0, x1, [sp, #PF_FPCR]
	stp	q0, q1, [sp, #PF_Q(0)]
	stp	q2, q3, [sp, #PF_Q(2)]
	stp	q4, q5, [sp, #PF_Q(4)]
	stp	q6, q7, [sp, #PF_Q(6)]
	stp	q8, q9, [sp, #PF_Q(8)]
	stp	q10, q11, [sp, #PF_Q(10)]
	stp	q12, q13, [sp, #PF_Q(12)]
	stp	q14, q15, [sp, #PF_Q(14)]
	stp	q16, q17, [sp, #PF_Q(16)]
	stp	q18, q19, [sp, #PF_Q(18)]
	stp	q20, q21, [sp, #PF_Q(20)]
	stp	q22, q23, [sp, #PF_Q(22)]
	stp	q24, q25, [sp, #PF_Q(24)]
	stp	q26, q27, [sp, #PF_Q(26)]
	stp	q28, q29, [sp, #PF_Q(28)]
	stp	q30, q31, [sp, #PF_Q(30)]
	/* A frame record {x29, pc} for the interrupted code: backtraces go
	 * kernel_preempt -> here -> the interrupted function. */
	ldr	x1, [sp, #PF_ELR]
	stp	x29, x1, [sp, #PF_FRAME]
	add	x29, sp, #PF_FRAME

	msr	daifclr, #2
	bl	kernel_preempt		/* void kernel_preempt(void), kernel/sched.c */

	ldp	q0, q1, [sp, #PF_Q(0)]
	ldp	q2, q3, [sp, #PF_Q(2)]
	ldp	q4, q5, [sp, #PF_Q(4)]
	ldp	q6, q7, [sp, #PF_Q(6)]
	ldp	q8, q9, [sp, #PF_Q(8)]
	ldp	q10, q11, [sp, #PF_Q(10)]
	ldp	q12, q13, [sp, #PF_Q(12)]
	ldp	q14, q15, [sp, #PF_Q(14)]
	ldp	q16, q17, [sp, #PF_Q(16)]
	ldp	q18, q19, [sp, #PF_Q(18)]
	ldp	q20, q21, [sp, #PF_Q(20)]
	ldp	q22, q23, [sp, #PF_Q(22)]
	ldp	q24, q25, [sp, #PF_Q(24)]
	ldp	q26, q27, [sp, #PF_Q(26)]
	ldp	q28, q29, [sp, #PF_Q(28)]
	ldp	q30, q31, [sp, #PF_Q(30)]
	ldp	x0, x1, [sp, #PF_FPCR]
	msr	fpcr, x0
	msr	fpsr, x1
	ldp	x2, x3, [sp, #PF_X(2)]
	ldp	x4, x5, [sp, #PF_X(4)]
	ldp	x6, x7, [sp, #PF_X(6)]
	ldp	x8, x9, [sp, #PF_X(8)]
	ldp	x10, x11, [sp, #PF_X(10)]
	ldp	x12, x13, [sp, #PF_X(12)]
	ldp	x14, x15, [sp, #PF_X(14)]
	ldp	x16, x17, [sp, #PF_X(16)]
	ldp	x18, x19, [sp, #PF_X(18)]
	ldp	x20, x21, [sp, #PF_X(20)]
	ldp	x22, x23, [sp, #PF_X(22)]
	ldp	x24, x25, [sp, #PF_X(24)]
	ldp	x26, x27, [sp, #PF_X(26)]
	ldp	x28, x29, [sp, #PF_X(28)]
	ldr	x30, [sp, #PF_X(30)]
	/* Mask everything from here to the eret, so that no exception
	 * overwrites ELR_EL1 or SPSR_EL1 before it uses them; the eret puts
	 * back the interrupted DAIF, NZCV and the rest of PSTATE. */
	msr	daifset, #0xf
	ldr	x0, [sp, #PF_ELR]
	ldr	x1, [sp, #PF_SPSR]
	msr	elr_el1, x0
	msr	spsr_el1, x1
	ldp	x0, x1, [sp, #PF_X(0)]
	add	sp, sp, #PF_SIZE
	eret
END(aarch64_preempt_trampoline)
