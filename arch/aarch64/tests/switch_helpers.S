/* SPDX-License-Identifier: MIT */
/*
 * aarch64 tests: register-level probes for switch_test.c, which C cannot
 * write because the compiler owns the registers.
 */
#include <arch/asm.h>

	.text

/* A probe's frame: the caller's x29, x30, x19-x28, d8-d15, FPCR and FPSR,
 * then a spare slot for the probe itself. */
#define SAVE_FPCR 160
#define SAVE_SPARE 176
#define SAVE_SIZE 192

.macro save_callee
	stp	x29, x30, [sp, #-SAVE_SIZE]!
	mov	x29, sp
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x9, fpcr
	mrs	x10, fpsr
	stp	x9, x10, [sp, #SAVE_FPCR]
.endm

.macro restore_callee
	ldp	x9, x10, [sp, #SAVE_FPCR]
	msr	fpcr, x9
	msr	fpsr, x10
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldp	x29, x30, [sp], #SAVE_SIZE
.endm

/* The FPCR and FPSR a probe runs with: FPCR rounding toward zero (RMode,
 * bits [23:22]) and default NaN (DN, bit 25); FPSR cumulative flags IOC,
 * DZC, OFC and IXC, and QC (bit 27). */
#define PROBE_FPCR 0x02c00000
#define PROBE_FPSR 0x08000017

/* x19-x28 = base + 19..28, d8-d15 = base + 8..15 (as bits), through x9. */
.macro load_callee_patterns base
	ldr	x9, =\base
	.irp	n, 19,20,21,22,23,24,25,26,27,28
	add	x\n, x9, #\n
	.endr
	.irp	n, 8,9,10,11,12,13,14,15
	add	x10, x9, #\n
	fmov	d\n, x10
	.endr
.endm

/* x0 = how many of x19-x28, d8-d15, FPCR and FPSR differ from the
 * patterns load_callee_patterns PAT and the probe's FPCR and FPSR. */
#define PAT 0x5a5a000000000000
.macro count_mismatches
	mov	x0, #0
	ldr	x9, =PAT
	.irp	n, 19,20,21,22,23,24,25,26,27,28
	add	x10, x9, #\n
	cmp	x\n, x10
	cinc	x0, x0, ne
	.endr
	.irp	n, 8,9,10,11,12,13,14,15
	add	x10, x9, #\n
	fmov	x11, d\n
	cmp	x11, x10
	cinc	x0, x0, ne
	.endr
	mrs	x10, fpcr
	ldr	x11, =PROBE_FPCR
	cmp	x10, x11
	cinc	x0, x0, ne
	mrs	x10, fpsr
	ldr	x11, =PROBE_FPSR
	cmp	x10, x11
	cinc	x0, x0, ne
.endm

/*
 * int aarch64_test_switch_probe(struct arch_context *save, const struct arch_context *load)
 * Loads patterns into x19-x28 and d8-d15, and PROBE_FPCR and PROBE_FPSR,
 * switches to `load`, and once something switches back to `save`, returns
 * how many of them changed.
 */
FUNC(aarch64_test_switch_probe)
	save_callee
	load_callee_patterns PAT
	ldr	x9, =PROBE_FPCR
	msr	fpcr, x9
	ldr	x9, =PROBE_FPSR
	msr	fpsr, x9
	bl	arch_ctx_switch
	count_mismatches
	restore_callee
	ret
END(aarch64_test_switch_probe)

/*
 * void aarch64_test_switch_clobbered(struct arch_context *save, const struct arch_context *load)
 * Switches to `load` with other values in every callee-saved register and
 * FPCR = FPSR = 0, so that a switch that failed to restore them shows.
 */
FUNC(aarch64_test_switch_clobbered)
	save_callee
	load_callee_patterns 0x0bad000000000000
	msr	fpcr, xzr
	msr	fpsr, xzr
	bl	arch_ctx_switch
	restore_callee
	ret
END(aarch64_test_switch_clobbered)

/*
 * void aarch64_test_spin(uint64_t deadline, uint64_t base, struct spin_regs *out)
 * Spins until CNTVCT_EL0 reaches `deadline` with every general register but
 * sp and the loop's scratch x1 holding a pattern (x<n> = base + n, x0 the
 * deadline), q<n> = {base + 0x100 + n, its complement}, NZCV = N and C,
 * and PROBE_FPCR / PROBE_FPSR; then writes them all to `out` (x[0..30],
 * q[0..31] as two halves each, nzcv, fpcr, fpsr: switch_test.c) and
 * returns. The loop changes no flag, so NZCV is checked too. Made for
 * preemption to hit.
 */
FUNC(aarch64_test_spin)
	save_callee
	str	x2, [sp, #SAVE_SPARE]
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	add	x3, x1, #(0x100 + \n)
	mvn	x4, x3
	mov	v\n\().d[0], x3
	mov	v\n\().d[1], x4
	.endr
	ldr	x3, =PROBE_FPCR
	msr	fpcr, x3
	ldr	x3, =PROBE_FPSR
	msr	fpsr, x3
	mov	x3, #0xa0000000		/* N and C */
	msr	nzcv, x3
	.irp	n, 2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	add	x\n, x1, #\n
	.endr
1:	mrs	x1, cntvct_el0
	sub	x1, x1, x0
	tbnz	x1, #63, 1b		/* not yet: the flags stay as they are */

	ldr	x1, [sp, #SAVE_SPARE]
	str	x0, [x1, #0]
	.irp	n, 2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	str	x\n, [x1, #(\n * 8)]
	.endr
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	str	q\n, [x1, #(256 + \n * 16)]
	.endr
	mrs	x2, nzcv
	mrs	x3, fpcr
	mrs	x4, fpsr
	str	x2, [x1, #768]
	str	x3, [x1, #776]
	str	x4, [x1, #784]
	restore_callee
	ret
END(aarch64_test_spin)
