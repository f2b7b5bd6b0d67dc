/* SPDX-License-Identifier: MIT */
/* x86_64: the 256 interrupt and exception entry stubs, and the common trap entry and exit. */
#include <arch/asm.h>
#include "x86_64.h"

/*
 * One stub per vector, X86_VECTOR_STUB_SIZE bytes apart so that the IDT
 * (trap.c) can compute their addresses. Each pushes a zero error code where
 * the CPU pushes none (SDM vol. 3 Table 6-1), then its vector number.
 */
.macro VECTOR n
	.org	x86_vector_stubs + \n * X86_VECTOR_STUB_SIZE, 0xcc
	.if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	pushq	$0
	.endif
	pushq	$\n
	jmp	x86_trap_entry
.endm

	.text
	.balign	X86_VECTOR_STUB_SIZE
	.globl	x86_vector_stubs
	.hidden	x86_vector_stubs
	.type	x86_vector_stubs, @function
x86_vector_stubs:
	.altmacro
	.set	vec, 0
	.rept	256
	VECTOR	%vec
	.set	vec, vec + 1
	.endr
	.noaltmacro
	/* gas rejects an .org that moves backwards: a stub that outgrew
	 * X86_VECTOR_STUB_SIZE fails the build. */
	.org	x86_vector_stubs + 256 * X86_VECTOR_STUB_SIZE, 0xcc
	.size	x86_vector_stubs, . - x86_vector_stubs

/*
 * Common entry: save the general registers as a struct trap_frame (its
 * layout is checked in trap.c), call x86_trap(tf), restore and return. The
 * stack is an IST stack, 16-byte aligned by the CPU, and the 22 words of the
 * frame keep it aligned for the call.
 */
FUNC(x86_trap_entry)
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	cld				/* the C ABI wants DF clear */
	movq	%rsp, %rdi
	call	x86_trap
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp		/* vector and error code */
	iretq
END(x86_trap_entry)

	.section .note.GNU-stack, "", @progbits
