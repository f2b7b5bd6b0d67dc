/* SPDX-License-Identifier: MIT */
/*
 * riscv64: the cooperative context switch, the first entry of a new context,
 * and the preemption trampoline that an interrupt sends a task through.
 * Layouts are in asm_offsets.h.
 */
#include <arch/asm.h>
#include <arch/csr.h>
#include "asm_offsets.h"

	.text

/*
 * void arch_ctx_switch(struct arch_context *save, const struct arch_context *load)
 * Called, never from a trap handler, with the FPU on (sstatus.FS != Off, as
 * everywhere outside trap handlers). Leaves sstatus, and so the interrupt
 * state, as it is; tp stays this CPU's.
 */
FUNC(arch_ctx_switch)
	sd	sp, CTX_SP(a0)
	sd	ra, CTX_RA(a0)
	sd	s0, CTX_S(0)(a0)
	sd	s1, CTX_S(1)(a0)
	sd	s2, CTX_S(2)(a0)
	sd	s3, CTX_S(3)(a0)
	sd	s4, CTX_S(4)(a0)
	sd	s5, CTX_S(5)(a0)
	sd	s6, CTX_S(6)(a0)
	sd	s7, CTX_S(7)(a0)
	sd	s8, CTX_S(8)(a0)
	sd	s9, CTX_S(9)(a0)
	sd	s10, CTX_S(10)(a0)
	sd	s11, CTX_S(11)(a0)
	fsd	fs0, CTX_FS(0)(a0)
	fsd	fs1, CTX_FS(1)(a0)
	fsd	fs2, CTX_FS(2)(a0)
	fsd	fs3, CTX_FS(3)(a0)
	fsd	fs4, CTX_FS(4)(a0)
	fsd	fs5, CTX_FS(5)(a0)
	fsd	fs6, CTX_FS(6)(a0)
	fsd	fs7, CTX_FS(7)(a0)
	fsd	fs8, CTX_FS(8)(a0)
	fsd	fs9, CTX_FS(9)(a0)
	fsd	fs10, CTX_FS(10)(a0)
	fsd	fs11, CTX_FS(11)(a0)
	frcsr	t0
	sd	t0, CTX_FCSR(a0)

	ld	sp, CTX_SP(a1)
	ld	ra, CTX_RA(a1)
	ld	s0, CTX_S(0)(a1)
	ld	s1, CTX_S(1)(a1)
	ld	s2, CTX_S(2)(a1)
	ld	s3, CTX_S(3)(a1)
	ld	s4, CTX_S(4)(a1)
	ld	s5, CTX_S(5)(a1)
	ld	s6, CTX_S(6)(a1)
	ld	s7, CTX_S(7)(a1)
	ld	s8, CTX_S(8)(a1)
	ld	s9, CTX_S(9)(a1)
	ld	s10, CTX_S(10)(a1)
	ld	s11, CTX_S(11)(a1)
	fld	fs0, CTX_FS(0)(a1)
	fld	fs1, CTX_FS(1)(a1)
	fld	fs2, CTX_FS(2)(a1)
	fld	fs3, CTX_FS(3)(a1)
	fld	fs4, CTX_FS(4)(a1)
	fld	fs5, CTX_FS(5)(a1)
	fld	fs6, CTX_FS(6)(a1)
	fld	fs7, CTX_FS(7)(a1)
	fld	fs8, CTX_FS(8)(a1)
	fld	fs9, CTX_FS(9)(a1)
	fld	fs10, CTX_FS(10)(a1)
	fld	fs11, CTX_FS(11)(a1)
	ld	t0, CTX_FCSR(a1)
	fscsr	t0
	ret
END(arch_ctx_switch)

/*
 * The first switch into a context from arch_ctx_init returns here, with fn
 * in s1, arg in s2 and s0 = 0: call fn(arg) with a zero return address, so
 * that a backtrace ends at fn. fn never returns (if it did, the jump to 0
 * would be reported as a fault).
 */
FUNC(riscv_ctx_start)
	mv	a0, s2
	li	ra, 0
	jr	s1
END(riscv_ctx_start)

/*
 * void riscv_preempt_trampoline(void)
 * Where trap.c sends a task whose time slice is over (arch.h, "Preemption";
 * Go's asyncPreempt). It arrives with every register as the interrupt found
 * it, interrupts enabled, except sp, which points at the preemption record
 * (asm_offsets.h) holding the interrupted sp, s0 and pc. Saves all integer
 * registers but tp (this CPU's, and the task may come back on another CPU),
 * all FP registers and fcsr, calls kernel_preempt(), restores them and
 * resumes at the interrupted pc with sret, the one way to jump without a
 * free register. The task's FPU is on: trap exit gave back its sstatus.FS.
 */
FUNC(riscv_preempt_trampoline)
	addi	sp, sp, -PF_SIZE
	sd	x1, PF_X(1)(sp)
	sd	x3, PF_X(3)(sp)
	sd	x5, PF_X(5)(sp)
	sd	x6, PF_X(6)(sp)
	sd	x7, PF_X(7)(sp)
	sd	x8, PF_X(8)(sp)
	sd	x9, PF_X(9)(sp)
	sd	x10, PF_X(10)(sp)
	sd	x11, PF_X(11)(sp)
	sd	x12, PF_X(12)(sp)
	sd	x13, PF_X(13)(sp)
	sd	x14, PF_X(14)(sp)
	sd	x15, PF_X(15)(sp)
	sd	x16, PF_X(16)(sp)
	sd	x17, PF_X(17)(sp)
	sd	x18, PF_X(18)(sp)
	sd	x19, PF_X(19)(sp)
	sd	x20, PF_X(20)(sp)
	sd	x21, PF_X(21)(sp)
	sd	x22, PF_X(22)(sp)
	sd	x23, PF_X(23)(sp)
	sd	x24, PF_X(24)(sp)
	sd	x25, PF_X(25)(sp)
	sd	x26, PF_X(26)(sp)
	sd	x27, PF_X(27)(sp)
	sd	x28, PF_X(28)(sp)
	sd	x29, PF_X(29)(sp)
	sd	x30, PF_X(30)(sp)
	sd	x31, PF_X(31)(sp)
	fsd	f0, PF_F(0)(sp)
	fsd	f1, PF_F(1)(sp)
	fsd	f2, PF_F(2)(sp)
	fsd	f3, PF_F(3)(sp)
	fsd	f4, PF_F(4)(sp)
	fsd	f5, PF_F(5)(sp)
	fsd	f6, PF_F(6)(sp)
	fsd	f7, PF_F(7)(sp)
	fsd	f8, PF_F(8)(sp)
	fsd	f9, PF_F(9)(sp)
	fsd	f10, PF_F(10)(sp)
	fsd	f11, PF_F(11)(sp)
	fsd	f12, PF_F(12)(sp)
	fsd	f13, PF_F(13)(sp)
	fsd	f14, PF_F(14)(sp)
	fsd	f15, PF_F(15)(sp)
	fsd	f16, PF_F(16)(sp)
	fsd	f17, PF_F(17)(sp)
	fsd	f18, PF_F(18)(sp)
	fsd	f19, PF_F(19)(sp)
	fsd	f20, PF_F(20)(sp)
	fsd	f21, PF_F(21)(sp)
	fsd	f22, PF_F(22)(sp)
	fsd	f23, PF_F(23)(sp)
	fsd	f24, PF_F(24)(sp)
	fsd	f25, PF_F(25)(sp)
	fsd	f26, PF_F(26)(sp)
	fsd	f27, PF_F(27)(sp)
	fsd	f28, PF_F(28)(sp)
	fsd	f29, PF_F(29)(sp)
	fsd	f30, PF_F(30)(sp)
	fsd	f31, PF_F(31)(sp)
	frcsr	t0
	sd	t0, PF_FCSR(sp)

	/* The record's {fp, pc} pair sits just below this frame pointer:
	 * backtraces go kernel_preempt -> here -> the interrupted code. */
	addi	s0, sp, PF_SIZE + PREEMPT_REC_SIZE
	call	kernel_preempt		/* void kernel_preempt(void), kernel/sched.c */

	ld	t0, PF_FCSR(sp)
	fscsr	t0
	fld	f0, PF_F(0)(sp)
	fld	f1, PF_F(1)(sp)
	fld	f2, PF_F(2)(sp)
	fld	f3, PF_F(3)(sp)
	fld	f4, PF_F(4)(sp)
	fld	f5, PF_F(5)(sp)
	fld	f6, PF_F(6)(sp)
	fld	f7, PF_F(7)(sp)
	fld	f8, PF_F(8)(sp)
	fld	f9, PF_F(9)(sp)
	fld	f10, PF_F(10)(sp)
	fld	f11, PF_F(11)(sp)
	fld	f12, PF_F(12)(sp)
	fld	f13, PF_F(13)(sp)
	fld	f14, PF_F(14)(sp)
	fld	f15, PF_F(15)(sp)
	fld	f16, PF_F(16)(sp)
	fld	f17, PF_F(17)(sp)
	fld	f18, PF_F(18)(sp)
	fld	f19, PF_F(19)(sp)
	fld	f20, PF_F(20)(sp)
	fld	f21, PF_F(21)(sp)
	fld	f22, PF_F(22)(sp)
	fld	f23, PF_F(23)(sp)
	fld	f24, PF_F(24)(sp)
	fld	f25, PF_F(25)(sp)
	fld	f26, PF_F(26)(sp)
	fld	f27, PF_F(27)(sp)
	fld	f28, PF_F(28)(sp)
	fld	f29, PF_F(29)(sp)
	fld	f30, PF_F(30)(sp)
	fld	f31, PF_F(31)(sp)
	ld	x1, PF_X(1)(sp)
	ld	x3, PF_X(3)(sp)
	ld	x6, PF_X(6)(sp)
	ld	x7, PF_X(7)(sp)
	ld	x8, PF_X(8)(sp)
	ld	x9, PF_X(9)(sp)
	ld	x10, PF_X(10)(sp)
	ld	x11, PF_X(11)(sp)
	ld	x12, PF_X(12)(sp)
	ld	x13, PF_X(13)(sp)
	ld	x14, PF_X(14)(sp)
	ld	x15, PF_X(15)(sp)
	ld	x16, PF_X(16)(sp)
	ld	x17, PF_X(17)(sp)
	ld	x18, PF_X(18)(sp)
	ld	x19, PF_X(19)(sp)
	ld	x20, PF_X(20)(sp)
	ld	x21, PF_X(21)(sp)
	ld	x22, PF_X(22)(sp)
	ld	x23, PF_X(23)(sp)
	ld	x24, PF_X(24)(sp)
	ld	x25, PF_X(25)(sp)
	ld	x26, PF_X(26)(sp)
	ld	x27, PF_X(27)(sp)
	ld	x28, PF_X(28)(sp)
	ld	x29, PF_X(29)(sp)
	ld	x30, PF_X(30)(sp)
	ld	x31, PF_X(31)(sp)

	/*
	 * Resume through sret: mask interrupts, so that no trap overwrites
	 * sepc before sret uses it, and return to S-mode (SPP) with
	 * interrupts on (SPIE), as they were when the task was interrupted
	 * (trap.c preempts only then). t0 is the last scratch, then sp.
	 */
	csrci	sstatus, SSTATUS_SIE
	ld	t0, PF_SIZE + PREEMPT_REC_PC(sp)
	csrw	sepc, t0
	li	t0, SSTATUS_SPP | SSTATUS_SPIE
	csrs	sstatus, t0
	ld	x5, PF_X(5)(sp)
	ld	sp, PF_SIZE + PREEMPT_REC_SP(sp)
	sret
END(riscv_preempt_trampoline)
