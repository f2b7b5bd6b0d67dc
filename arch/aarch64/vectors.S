/* SPDX-License-Identifier: MIT */
/*
 * aarch64: the EL1 exception vector table (VBAR_EL1) and the common entry
 * and exit path, which saves a struct trap_frame on the current stack and
 * calls aarch64_trap(). Only general registers are saved: the kernel's
 * trap paths are built with -mgeneral-regs-only.
 */
#include <arch/aarch64.h>
#include <arch/asm.h>

/* Each vector has 0x80 bytes (32 instructions): room to make the frame, free two registers
 * and branch to the common code with the vector number in x1. */
.macro ventry n
	.balign	0x80
	sub	sp, sp, #TF_SIZE
	stp	x0, x1, [sp, #TF_X(0)]
	mov	x1, #\n
	b	trap_entry
.endm

	.text
	.balign	2048			/* VBAR_EL1 bits [10:0] are RES0 */
/* extern char vectors[]; -- the table VBAR_EL1 points at, never called */
FUNC(vectors)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	ventry	\n
	.endr
END(vectors)

/*
 * From a vector, with x0 and x1 saved and x1 = the vector number: save the
 * rest of the frame, call void aarch64_trap(struct trap_frame *tf, unsigned
 * long vector), and return to where the exception was taken, restoring ELR
 * and SPSR from the frame (a handler may change them).
 */
LOCAL_FUNC(trap_entry)
	stp	x2, x3, [sp, #TF_X(2)]
	stp	x4, x5, [sp, #TF_X(4)]
	stp	x6, x7, [sp, #TF_X(6)]
	stp	x8, x9, [sp, #TF_X(8)]
	stp	x10, x11, [sp, #TF_X(10)]
	stp	x12, x13, [sp, #TF_X(12)]
	stp	x14, x15, [sp, #TF_X(14)]
	stp	x16, x17, [sp, #TF_X(16)]
	stp	x18, x19, [sp, #TF_X(18)]
	stp	x20, x21, [sp, #TF_X(20)]
	stp	x22, x23, [sp, #TF_X(22)]
	stp	x24, x25, [sp, #TF_X(24)]
	stp	x26, x27, [sp, #TF_X(26)]
	stp	x28, x29, [sp, #TF_X(28)]
	add	x2, sp, #TF_SIZE
	stp	x30, x2, [sp, #TF_X(30)]	/* x30, then sp (TF_SP) */
	mrs	x2, elr_el1
	mrs	x3, spsr_el1
	stp	x2, x3, [sp, #TF_ELR]
	mrs	x2, esr_el1
	mrs	x3, far_el1
	stp	x2, x3, [sp, #TF_ESR]
	/* A frame record for the interrupted code, so backtraces go through. */
	ldr	x2, [sp, #TF_ELR]
	stp	x29, x2, [sp, #TF_FRAME]
	add	x29, sp, #TF_FRAME
	str	xzr, [sp, #TF_WALK_FP]

	mov	x0, sp
	bl	aarch64_trap

	ldp	x2, x3, [sp, #TF_ELR]
	msr	elr_el1, x2
	msr	spsr_el1, x3
	ldp	x0, x1, [sp, #TF_X(0)]
	ldp	x2, x3, [sp, #TF_X(2)]
	ldp	x4, x5, [sp, #TF_X(4)]
	ldp	x6, x7, [sp, #TF_X(6)]
	ldp	x8, x9, [sp, #TF_X(8)]
	ldp	x10, x11, [sp, #TF_X(10)]
	ldp	x12, x13, [sp, #TF_X(12)]
	ldp	x14, x15, [sp, #TF_X(14)]
	ldp	x16, x17, [sp, #TF_X(16)]
	ldp	x18, x19, [sp, #TF_X(18)]
	ldp	x20, x21, [sp, #TF_X(20)]
	ldp	x22, x23, [sp, #TF_X(22)]
	ldp	x24, x25, [sp, #TF_X(24)]
	ldp	x26, x27, [sp, #TF_X(26)]
	ldp	x28, x29, [sp, #TF_X(28)]
	ldr	x30, [sp, #TF_X(30)]
	add	sp, sp, #TF_SIZE
	eret
END(trap_entry)
