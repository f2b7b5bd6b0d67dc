/* SPDX-License-Identifier: MIT */
/*
 * x86_64 tests: register-level probes for switch_test.c, which C cannot
 * write because the compiler owns the registers.
 */
#include <arch/asm.h>
#include "switch_test.h"

/* What the switch probes put in the callee-saved registers. */
#define PAT 0x5a5a0000
#define PAT_MXCSR 0x3f80		/* round down, all exceptions masked */
#define PAT_FCW 0x0b7f			/* round up, 53-bit precision */
#define CLOB 0x3c3c0000
#define CLOB_MXCSR 0xdf80		/* toward zero, flush to zero */
#define CLOB_FCW 0x027f

	.text

/* Set MXCSR and the x87 control word to the ABI's defaults (uses 8 bytes
 * at (%rsp)). */
.macro fp_defaults
	movl	$0x1f80, (%rsp)
	ldmxcsr	(%rsp)
	movw	$0x37f, 4(%rsp)
	fldcw	4(%rsp)
.endm

/*
 * int x86_test_switch_probe(struct arch_context *save, const struct arch_context *load)
 *
 * Put patterns in rbx, rbp, r12-r15, MXCSR and the x87 control word,
 * arch_ctx_switch(save, load), and once switched back return how many of
 * the eight differ. MXCSR and the control word are back at the defaults.
 */
FUNC(x86_test_switch_probe)
	pushq	%rbp
	movq	%rsp, %rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp			/* scratch; rsp 16-byte aligned */
	movl	$PAT_MXCSR, (%rsp)
	ldmxcsr	(%rsp)
	movw	$PAT_FCW, 4(%rsp)
	fldcw	4(%rsp)
	movq	$PAT + 1, %rbx
	movq	$PAT + 2, %r12
	movq	$PAT + 3, %r13
	movq	$PAT + 4, %r14
	movq	$PAT + 5, %r15
	movq	$PAT + 6, %rbp
	call	arch_ctx_switch
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	cmpq	$PAT + 1, %rbx
	setne	%cl
	addl	%ecx, %eax
	cmpq	$PAT + 2, %r12
	setne	%cl
	addl	%ecx, %eax
	cmpq	$PAT + 3, %r13
	setne	%cl
	addl	%ecx, %eax
	cmpq	$PAT + 4, %r14
	setne	%cl
	addl	%ecx, %eax
	cmpq	$PAT + 5, %r15
	setne	%cl
	addl	%ecx, %eax
	cmpq	$PAT + 6, %rbp
	setne	%cl
	addl	%ecx, %eax
	stmxcsr	(%rsp)
	cmpl	$PAT_MXCSR, (%rsp)
	setne	%cl
	addl	%ecx, %eax
	fnstcw	4(%rsp)
	cmpw	$PAT_FCW, 4(%rsp)
	setne	%cl
	addl	%ecx, %eax
	fp_defaults
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
END(x86_test_switch_probe)

/*
 * void x86_test_switch_clobbered(struct arch_context *save, const struct arch_context *load)
 *
 * arch_ctx_switch(save, load) with other values in every callee-saved
 * register, MXCSR and the x87 control word; returns, once switched back,
 * with the caller's registers and the default MXCSR and control word.
 */
FUNC(x86_test_switch_clobbered)
	pushq	%rbp
	movq	%rsp, %rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	movl	$CLOB_MXCSR, (%rsp)
	ldmxcsr	(%rsp)
	movw	$CLOB_FCW, 4(%rsp)
	fldcw	4(%rsp)
	movq	$CLOB + 1, %rbx
	movq	$CLOB + 2, %r12
	movq	$CLOB + 3, %r13
	movq	$CLOB + 4, %r14
	movq	$CLOB + 5, %r15
	movq	$CLOB + 6, %rbp
	call	arch_ctx_switch
	fp_defaults
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
END(x86_test_switch_clobbered)

/*
 * void x86_test_spin(const struct x86_test_regs *expect, struct x86_test_regs *got, int avx)
 *
 * Load every general register but rsp, RFLAGS.DF, xmm0-15 (and the upper
 * halves of ymm0-15 when `avx`), the x87 st(0), MXCSR and the x87 control
 * word from `expect`, spin until x86_test_spin_stop is non-zero touching
 * none of them, then store them all in `got`. Returns with the ABI's
 * defaults. A task that is preempted while spinning must find them all as
 * they were.
 */
#define F_SAVED_RBP TR_SIZE
#define F_GOT (TR_SIZE + 8)
#define F_AVX (TR_SIZE + 16)
#define F_SCRATCH (TR_SIZE + 24)
#define F_SIZE (TR_SIZE + 64)

.macro each_xmm op
	.irp reg, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	\op	\reg
	.endr
.endm
.macro load_xmm n
	movdqa	TR_XMM + 16 * \n(%rsp), %xmm\n
.endm
.macro load_ymmh n
	vinsertf128 $1, TR_YMMH + 16 * \n(%rsp), %ymm\n, %ymm\n
.endm
.macro store_xmm n
	movdqa	%xmm\n, TR_XMM + 16 * \n(%rsp)
.endm
.macro store_ymmh n
	vextractf128 $1, %ymm\n, TR_YMMH + 16 * \n(%rsp)
.endm

FUNC(x86_test_spin)
	pushq	%rbp
	movq	%rsp, %rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$F_SIZE + 64, %rsp
	andq	$-64, %rsp			/* for movdqa, and the copy below */
	movq	%rbp, F_SAVED_RBP(%rsp)
	movq	%rsi, F_GOT(%rsp)
	movl	%edx, F_AVX(%rsp)
	/* Work on a copy at (%rsp): rsp is the one register left to address it. */
	movq	%rdi, %rsi
	movq	%rsp, %rdi
	movl	$TR_SIZE, %ecx
	cld
	rep movsb

	ldmxcsr	TR_MXCSR(%rsp)
	fldcw	TR_FCW(%rsp)
	fldl	TR_ST0(%rsp)
	each_xmm load_xmm
	cmpl	$0, F_AVX(%rsp)
	je	1f
	each_xmm load_ymmh
1:	movq	TR_GPR + 0(%rsp), %rax
	movq	TR_GPR + 8(%rsp), %rbx
	movq	TR_GPR + 16(%rsp), %rcx
	movq	TR_GPR + 24(%rsp), %rdx
	movq	TR_GPR + 32(%rsp), %rsi
	movq	TR_GPR + 40(%rsp), %rdi
	movq	TR_GPR + 48(%rsp), %rbp
	movq	TR_GPR + 56(%rsp), %r8
	movq	TR_GPR + 64(%rsp), %r9
	movq	TR_GPR + 72(%rsp), %r10
	movq	TR_GPR + 80(%rsp), %r11
	movq	TR_GPR + 88(%rsp), %r12
	movq	TR_GPR + 96(%rsp), %r13
	movq	TR_GPR + 104(%rsp), %r14
	movq	TR_GPR + 112(%rsp), %r15
	std					/* DF must survive too */

2:	cmpl	$0, x86_test_spin_stop(%rip)
	je	2b

	pushfq
	popq	TR_RFLAGS(%rsp)			/* addressed after the pop */
	cld
	movq	%rax, TR_GPR + 0(%rsp)
	movq	%rbx, TR_GPR + 8(%rsp)
	movq	%rcx, TR_GPR + 16(%rsp)
	movq	%rdx, TR_GPR + 24(%rsp)
	movq	%rsi, TR_GPR + 32(%rsp)
	movq	%rdi, TR_GPR + 40(%rsp)
	movq	%rbp, TR_GPR + 48(%rsp)
	movq	%r8, TR_GPR + 56(%rsp)
	movq	%r9, TR_GPR + 64(%rsp)
	movq	%r10, TR_GPR + 72(%rsp)
	movq	%r11, TR_GPR + 80(%rsp)
	movq	%r12, TR_GPR + 88(%rsp)
	movq	%r13, TR_GPR + 96(%rsp)
	movq	%r14, TR_GPR + 104(%rsp)
	movq	%r15, TR_GPR + 112(%rsp)
	each_xmm store_xmm
	cmpl	$0, F_AVX(%rsp)
	je	3f
	each_xmm store_ymmh
	vzeroupper
3:	fstpl	TR_ST0(%rsp)
	stmxcsr	TR_MXCSR(%rsp)
	fnstcw	TR_FCW(%rsp)
	movl	$0x1f80, F_SCRATCH(%rsp)
	ldmxcsr	F_SCRATCH(%rsp)
	movw	$0x37f, F_SCRATCH + 4(%rsp)
	fldcw	F_SCRATCH + 4(%rsp)

	movq	%rsp, %rsi
	movq	F_GOT(%rsp), %rdi
	movl	$TR_SIZE, %ecx
	rep movsb
	movq	F_SAVED_RBP(%rsp), %rbp
	leaq	-40(%rbp), %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
END(x86_test_spin)

	.section .note.GNU-stack, "", @progbits
