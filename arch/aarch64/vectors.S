/* SPDX-License-Identifier: MIT */
/*
 * aarch64: the EL1 exception vector table (VBAR_EL1) and the common entry
 * and exit path, which saves a struct trap_frame and calls aarch64_trap().
 *
 * Tasks and the scheduler run on SP_EL0 (PSTATE.SP = 0), so a trap from
 * them is taken on SP_EL1, this CPU's trap stack (arch_cpu_set_trap_stack),
 * by the hardware: a task that overflowed its own stack has its page fault
 * handled on a good one. A trap taken on SP_EL1 is nested (or early boot):
 * before using the stack it checks that sp is above the trap stack's
 * limit, and if not, moves to this CPU's emergency stack to report the
 * overflow instead of faulting again and again on the guard page.
 *
 * Only general registers are saved on every trap: the kernel's trap paths
 * are built with -mgeneral-regs-only. Synchronous exceptions, the page
 * fault path, save the FP/SIMD registers too, because the generic code it
 * calls may zero a page with newlib's memset, which uses q0.
 */
#include <arch/aarch64.h>
#include <arch/asm.h>

#define FP_SAVE_SIZE (32 * 16 + 16) /* q0-q31, FPCR and FPSR */

/* Each vector has 0x80 bytes (32 instructions); a longer one would shift the next. */
.macro vsize n
	.if	. - .Lvec_\n > 0x80
	.error	"exception vector \n is longer than 0x80 bytes"
	.endif
.endm

/* From SP_EL0 (or EL0): SP_EL1 is the top of the trap stack. */
.macro ventry_sp0 n
	.balign	0x80
.Lvec_\n\():
	sub	sp, sp, #TF_SIZE
	stp	x0, x1, [sp, #TF_X(0)]
	mrs	x0, sp_el0
	str	x0, [sp, #TF_SP]
	mov	x1, #\n
	b	trap_entry
	vsize	\n
.endm

/*
 * Nested, on SP_EL1. TPIDR_EL0 is the scratch register that frees x0;
 * TPIDRRO_EL0 is this CPU's struct aarch64_percpu (or 0 very early). On
 * overflow, sp and the emergency stack top are swapped without a second
 * register (add/sub), the overflowing sp goes into the frame, and the
 * check is turned off so that traps while reporting are not overflows.
 */
.macro ventry_spx n
	.balign	0x80
.Lvec_\n\():
	msr	tpidr_el0, x0
	mrs	x0, tpidrro_el0
	cbz	x0, 1f
	ldr	x0, [x0, #PCPU_TRAP_LIMIT]
	cbz	x0, 1f
	cmp	sp, x0
	b.lo	2f
1:	mrs	x0, tpidr_el0
	sub	sp, sp, #TF_SIZE
	stp	x0, x1, [sp, #TF_X(0)]
	add	x0, sp, #TF_SIZE
	str	x0, [sp, #TF_SP]
	mov	x1, #\n
	b	trap_entry
2:	mrs	x0, tpidrro_el0
	str	xzr, [x0, #PCPU_TRAP_LIMIT]
	ldr	x0, [x0, #PCPU_EMERG_TOP]
	add	sp, sp, x0		/* sp = old + top */
	sub	x0, sp, x0		/* x0 = old */
	sub	sp, sp, x0		/* sp = top */
	sub	sp, sp, #TF_SIZE
	str	x0, [sp, #TF_SP]
	mrs	x0, tpidr_el0
	stp	x0, x1, [sp, #TF_X(0)]
	mov	x1, #(\n + TRAP_OVERFLOW)
	b	trap_entry
	vsize	\n
.endm

	.text
	.balign	2048			/* VBAR_EL1 bits [10:0] are RES0 */
/* extern char vectors[]; -- the table VBAR_EL1 points at, never called */
FUNC(vectors)
	.irp	n, 0, 1, 2, 3
	ventry_sp0 \n
	.endr
	.irp	n, 4, 5, 6, 7
	ventry_spx \n
	.endr
	.irp	n, 8, 9, 10, 11, 12, 13, 14, 15
	ventry_sp0 \n
	.endr
END(vectors)

/*
 * From a vector, with x0, x1 and sp saved and x1 = the vector number: save
 * the rest of the frame, call void aarch64_trap(struct trap_frame *tf,
 * unsigned long vector), and return to where the exception was taken,
 * restoring ELR and SPSR from the frame (a handler may change them).
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
	str	x30, [sp, #TF_X(30)]
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
	and	x2, x1, #3
	cbnz	x2, 1f			/* not TRAP_SYNC */
	bl	trap_sync_fp
	b	2f
1:	bl	aarch64_trap
2:
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

/*
 * aarch64_trap(tf, vector) for a synchronous exception, with the FP/SIMD
 * registers saved around it (see the top). x0, x1 as for aarch64_trap; a
 * frame record keeps backtraces going through.
 */
LOCAL_FUNC(trap_sync_fp)
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	sub	sp, sp, #FP_SAVE_SIZE
	stp	q0, q1, [sp, #16]
	stp	q2, q3, [sp, #48]
	stp	q4, q5, [sp, #80]
	stp	q6, q7, [sp, #112]
	stp	q8, q9, [sp, #144]
	stp	q10, q11, [sp, #176]
	stp	q12, q13, [sp, #208]
	stp	q14, q15, [sp, #240]
	stp	q16, q17, [sp, #272]
	stp	q18, q19, [sp, #304]
	stp	q20, q21, [sp, #336]
	stp	q22, q23, [sp, #368]
	stp	q24, q25, [sp, #400]
	stp	q26, q27, [sp, #432]
	stp	q28, q29, [sp, #464]
	stp	q30, q31, [sp, #496]
	mrs	x2, fpcr
	mrs	x3, fpsr
	stp	x2, x3, [sp, #0]
	bl	aarch64_trap
	ldp	x2, x3, [sp, #0]
	msr	fpcr, x2
	msr	fpsr, x3
	ldp	q0, q1, [sp, #16]
	ldp	q2, q3, [sp, #48]
	ldp	q4, q5, [sp, #80]
	ldp	q6, q7, [sp, #112]
	ldp	q8, q9, [sp, #144]
	ldp	q10, q11, [sp, #176]
	ldp	q12, q13, [sp, #208]
	ldp	q14, q15, [sp, #240]
	ldp	q16, q17, [sp, #272]
	ldp	q18, q19, [sp, #304]
	ldp	q20, q21, [sp, #336]
	ldp	q22, q23, [sp, #368]
	ldp	q24, q25, [sp, #400]
	ldp	q26, q27, [sp, #432]
	ldp	q28, q29, [sp, #464]
	ldp	q30, q31, [sp, #496]
	add	sp, sp, #FP_SAVE_SIZE
	ldp	x29, x30, [sp], #16
	ret
END(trap_sync_fp)

/*
 * void aarch64_set_trap_sp(uintptr_t top)
 * SP_EL1 can only be written while it is the stack pointer: select it, set
 * it, and go back to SP_EL0 holding the stack the caller was on (on the
 * first call, the one it had on SP_EL1). Leaf; interrupts off.
 */
FUNC(aarch64_set_trap_sp)
	mrs	x1, spsel
	cbz	x1, 1f
	mov	x2, sp
	mov	sp, x0
	msr	sp_el0, x2
	msr	spsel, #0
	ret
1:	msr	spsel, #1
	mov	sp, x0
	msr	spsel, #0
	ret
END(aarch64_set_trap_sp)

/*
 * void aarch64_store_below(uintptr_t sp) -- never returns
 * Move to SP_EL1 at `sp` and store 128 bytes below it, as a handler whose
 * frames ran into the guard page would: the abort is taken with sp below
 * the trap stack's limit and must be reported as an overflow.
 */
FUNC(aarch64_store_below)
	msr	daifset, #2
	msr	spsel, #1
	mov	sp, x0
	str	xzr, [sp, #-128]
1:	wfi
	b	1b
END(aarch64_store_below)
