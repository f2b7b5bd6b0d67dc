/* SPDX-License-Identifier: MIT */
/*
 * riscv64 tests: register-level probes for switch_test.c, which C cannot
 * write because the compiler owns the registers.
 */
#include <arch/asm.h>

	.text

/* Callee-saved state of a probe's caller: ra, s0-s11, fs0-fs11, fcsr. */
#define SAVE_SIZE 224

.macro save_callee
	addi	sp, sp, -SAVE_SIZE
	sd	ra, 0(sp)
	sd	s0, 8(sp)
	sd	s1, 16(sp)
	sd	s2, 24(sp)
	sd	s3, 32(sp)
	sd	s4, 40(sp)
	sd	s5, 48(sp)
	sd	s6, 56(sp)
	sd	s7, 64(sp)
	sd	s8, 72(sp)
	sd	s9, 80(sp)
	sd	s10, 88(sp)
	sd	s11, 96(sp)
	fsd	fs0, 104(sp)
	fsd	fs1, 112(sp)
	fsd	fs2, 120(sp)
	fsd	fs3, 128(sp)
	fsd	fs4, 136(sp)
	fsd	fs5, 144(sp)
	fsd	fs6, 152(sp)
	fsd	fs7, 160(sp)
	fsd	fs8, 168(sp)
	fsd	fs9, 176(sp)
	fsd	fs10, 184(sp)
	fsd	fs11, 192(sp)
	frcsr	t0
	sd	t0, 200(sp)
.endm

.macro restore_callee
	ld	t0, 200(sp)
	fscsr	t0
	ld	ra, 0(sp)
	ld	s0, 8(sp)
	ld	s1, 16(sp)
	ld	s2, 24(sp)
	ld	s3, 32(sp)
	ld	s4, 40(sp)
	ld	s5, 48(sp)
	ld	s6, 56(sp)
	ld	s7, 64(sp)
	ld	s8, 72(sp)
	ld	s9, 80(sp)
	ld	s10, 88(sp)
	ld	s11, 96(sp)
	fld	fs0, 104(sp)
	fld	fs1, 112(sp)
	fld	fs2, 120(sp)
	fld	fs3, 128(sp)
	fld	fs4, 136(sp)
	fld	fs5, 144(sp)
	fld	fs6, 152(sp)
	fld	fs7, 160(sp)
	fld	fs8, 168(sp)
	fld	fs9, 176(sp)
	fld	fs10, 184(sp)
	fld	fs11, 192(sp)
	addi	sp, sp, SAVE_SIZE
.endm

/* Put pattern (base + n) in s<n> and its bits in fs<n>; fcsr = 0x45
 * (rounding down, flags NX and NV). */
#define PAT 0x5a5a000000000000
.macro load_patterns base
	li	t1, \base
	addi	s0, t1, 0
	addi	s1, t1, 1
	addi	s2, t1, 2
	addi	s3, t1, 3
	addi	s4, t1, 4
	addi	s5, t1, 5
	addi	s6, t1, 6
	addi	s7, t1, 7
	addi	s8, t1, 8
	addi	s9, t1, 9
	addi	s10, t1, 10
	addi	s11, t1, 11
	fmv.d.x	fs0, s0
	fmv.d.x	fs1, s1
	fmv.d.x	fs2, s2
	fmv.d.x	fs3, s3
	fmv.d.x	fs4, s4
	fmv.d.x	fs5, s5
	fmv.d.x	fs6, s6
	fmv.d.x	fs7, s7
	fmv.d.x	fs8, s8
	fmv.d.x	fs9, s9
	fmv.d.x	fs10, s10
	fmv.d.x	fs11, s11
.endm

/* Count (in a0) the s/fs registers that differ from load_patterns PAT. */
.macro count_mismatches
	li	a0, 0
	li	t1, PAT
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11
	addi	t2, t1, \n
	sub	t3, s\n, t2
	snez	t3, t3
	add	a0, a0, t3
	fmv.x.d	t3, fs\n
	sub	t3, t3, t2
	snez	t3, t3
	add	a0, a0, t3
	.endr
	frcsr	t3
	addi	t3, t3, -0x45
	snez	t3, t3
	add	a0, a0, t3
.endm

/*
 * int riscv_test_switch_probe(struct arch_context *save, const struct arch_context *load)
 * Loads patterns into s0-s11, fs0-fs11 and fcsr, switches to `load`, and
 * once something switches back to `save`, returns how many of them changed.
 */
FUNC(riscv_test_switch_probe)
	save_callee
	load_patterns PAT
	li	t0, 0x45
	fscsr	t0
	call	arch_ctx_switch
	count_mismatches
	restore_callee
	ret
END(riscv_test_switch_probe)

/*
 * void riscv_test_switch_clobbered(struct arch_context *save, const struct arch_context *load)
 * Switches to `load` with different values in every callee-saved register
 * and fcsr = 0, so that a switch that failed to restore them shows.
 */
FUNC(riscv_test_switch_clobbered)
	save_callee
	load_patterns 0x0bad000000000000
	fscsr	zero
	call	arch_ctx_switch
	restore_callee
	ret
END(riscv_test_switch_clobbered)

/* f<f> holds the bits of x<x>; fcheck branches to .Lspin_fail if not. */
.macro fset f, x
	fmv.d.x	f\f, x\x
.endm
.macro fcheck f, x
	fmv.x.d	t6, f\f
	bne	t6, x\x, .Lspin_fail
.endm

/*
 * int riscv_test_spin(uint64_t expect[32], uint64_t deadline)
 * Spins until the `time` CSR reaches deadline with every register but sp,
 * gp, tp and t6 (the scratch) holding expect[n] (x<n>), f<n> the bits of
 * expect[5 + n % 26], and fcsr = expect[0], checking them all on every
 * round. expect[27] must be expect itself (s11 points at the table) and
 * expect[2] and [3] are written here (sp, then the deadline). Returns 0,
 * or 1 at the first register found changed. Made for preemption to hit.
 */
FUNC(riscv_test_spin)
	save_callee
	sd	sp, 16(a0)
	sd	a1, 24(a0)
	mv	s11, a0
	ld	t6, 0(s11)
	fscsr	t6
	.irp	n, 1,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,28,29,30
	ld	x\n, (\n * 8)(s11)
	.endr
	fset	0, 5
	fset	1, 6
	fset	2, 7
	fset	3, 8
	fset	4, 9
	fset	5, 10
	fset	6, 11
	fset	7, 12
	fset	8, 13
	fset	9, 14
	fset	10, 15
	fset	11, 16
	fset	12, 17
	fset	13, 18
	fset	14, 19
	fset	15, 20
	fset	16, 21
	fset	17, 22
	fset	18, 23
	fset	19, 24
	fset	20, 25
	fset	21, 26
	fset	22, 27
	fset	23, 28
	fset	24, 29
	fset	25, 30
	fset	26, 5
	fset	27, 6
	fset	28, 7
	fset	29, 8
	fset	30, 9
	fset	31, 10
.Lspin:
	.irp	n, 1,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	ld	t6, (\n * 8)(s11)
	bne	x\n, t6, .Lspin_fail
	.endr
	fcheck	0, 5
	fcheck	1, 6
	fcheck	2, 7
	fcheck	3, 8
	fcheck	4, 9
	fcheck	5, 10
	fcheck	6, 11
	fcheck	7, 12
	fcheck	8, 13
	fcheck	9, 14
	fcheck	10, 15
	fcheck	11, 16
	fcheck	12, 17
	fcheck	13, 18
	fcheck	14, 19
	fcheck	15, 20
	fcheck	16, 21
	fcheck	17, 22
	fcheck	18, 23
	fcheck	19, 24
	fcheck	20, 25
	fcheck	21, 26
	fcheck	22, 27
	fcheck	23, 28
	fcheck	24, 29
	fcheck	25, 30
	fcheck	26, 5
	fcheck	27, 6
	fcheck	28, 7
	fcheck	29, 8
	fcheck	30, 9
	fcheck	31, 10
	ld	t6, 16(s11)
	bne	sp, t6, .Lspin_fail
	/* t5 is scratch here, then reloaded: the next round checks it. */
	frcsr	t6
	ld	t5, 0(s11)
	bne	t6, t5, .Lspin_fail
	rdtime	t6
	ld	t5, 24(s11)
	bgeu	t6, t5, .Lspin_done
	ld	t5, 30 * 8(s11)
	j	.Lspin
.Lspin_done:
	li	a0, 0
	j	1f
.Lspin_fail:
	li	a0, 1
1:	restore_callee
	ret
END(riscv_test_spin)
