/* SPDX-License-Identifier: MIT */
/* x86_64 (System V ABI): cooperative context switch, the first entry of a
 * new context, and the preemption trampoline. */
#include <arch/asm.h>
#include "asm_offsets.h"

	.text

/* void arch_ctx_switch(struct arch_context *save, const struct arch_context *load) */
FUNC(arch_ctx_switch)
	/* First, to overlap the rest: see arch/hosted/switch.S. */
	stmxcsr	CTX_MXCSR(%rdi)
	fnstcw	CTX_FPUCW(%rdi)
	movq	%rsp, CTX_RSP(%rdi)
	movq	%rbx, CTX_RBX(%rdi)
	movq	%rbp, CTX_RBP(%rdi)
	movq	%r12, CTX_R12(%rdi)
	movq	%r13, CTX_R13(%rdi)
	movq	%r14, CTX_R14(%rdi)
	movq	%r15, CTX_R15(%rdi)

	movq	CTX_RSP(%rsi), %rsp
	movq	CTX_RBX(%rsi), %rbx
	movq	CTX_RBP(%rsi), %rbp
	movq	CTX_R12(%rsi), %r12
	movq	CTX_R13(%rsi), %r13
	movq	CTX_R14(%rsi), %r14
	movq	CTX_R15(%rsi), %r15
	/* LDMXCSR and FLDCW are slow (serializing on many CPUs) and the
	 * values almost never differ between tasks: load them only when they
	 * differ from what the CPU holds, which is what was just saved. */
	movl	CTX_MXCSR(%rsi), %eax
	cmpl	CTX_MXCSR(%rdi), %eax
	jne	1f
2:	movw	CTX_FPUCW(%rsi), %ax
	cmpw	CTX_FPUCW(%rdi), %ax
	jne	3f
	ret
1:	ldmxcsr	CTX_MXCSR(%rsi)
	jmp	2b
3:	fldcw	CTX_FPUCW(%rsi)
	ret
END(arch_ctx_switch)

/*
 * The first switch into a context made by arch_ctx_init returns here, with
 * fn in r12, arg in r13 and rsp 16-byte aligned: calls fn(arg), which
 * never returns. The zero frame pointer ends backtraces in fn's caller.
 */
FUNC(x86_ctx_start)
	movq	%r13, %rdi
	xorl	%ebp, %ebp
	callq	*%r12
	ud2
END(x86_ctx_start)

/*
 * void x86_preempt_trampoline(void)
 *
 * The interrupt exit (trap.c) sends a task here instead of back to where
 * it was interrupted, with [rsp] = the interrupted rip and the red zone
 * (128 bytes) above it; every other register is the task's. Save all of
 * them, the FP/SIMD state included, call kernel_preempt() (which may
 * return on another CPU), restore them and return to the interrupted rip
 * with rsp as it was (Go's asyncPreempt). Interrupts are on, as they were
 * in the task; one that comes in here may preempt again, which nests.
 *
 * {rbp, rip} at the top make a frame record, so that a backtrace from
 * kernel_preempt continues into the interrupted function.
 */
FUNC(x86_preempt_trampoline)
	pushq	%rbp
	movq	%rsp, %rbp
	pushfq
	cld				/* the ABI wants DF clear at a call */
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rbx		/* callee-saved: survives kernel_preempt */
	movl	x86_xsave_size(%rip), %eax
	testl	%eax, %eax
	jnz	1f

	/* FXSAVE: 512 bytes, 16-byte aligned (SDM vol. 1 §10.5.1). */
	subq	$512, %rsp
	andq	$-64, %rsp
	fxsaveq	(%rsp)
	fninit			/* an empty x87 stack, as the ABI promises callees */
	callq	kernel_preempt
	fxrstorq (%rsp)
	jmp	2f

	/* XSAVE: x86_xsave_size bytes, 64-byte aligned, every enabled
	 * component (edx:eax = all ones). XRSTOR faults unless the header's
	 * reserved bytes (and XCOMP_BV, for the standard form) are zero, and
	 * XSAVE leaves them as they are: clear them (SDM vol. 1 §13.4.2). */
1:	subq	%rax, %rsp
	andq	$-64, %rsp
	xorl	%ecx, %ecx
	movq	%rcx, 512(%rsp)
	movq	%rcx, 520(%rsp)
	movq	%rcx, 528(%rsp)
	movq	%rcx, 536(%rsp)
	movq	%rcx, 544(%rsp)
	movq	%rcx, 552(%rsp)
	movq	%rcx, 560(%rsp)
	movq	%rcx, 568(%rsp)
	movl	$-1, %eax
	movl	$-1, %edx
	xsaveq	(%rsp)
	fninit
	callq	kernel_preempt
	movl	$-1, %eax
	movl	$-1, %edx
	xrstorq	(%rsp)

2:	movq	%rbx, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	popfq
	popq	%rbp
	ret	$128			/* pop rip, then skip the red zone */
END(x86_preempt_trampoline)

	.section .note.GNU-stack, "", @progbits
