/* SPDX-License-Identifier: MIT */
/*
 * riscv64: trap entry and exit. Every trap (exception or interrupt, from
 * S-mode: there is no U-mode) saves all registers in a struct trap_frame on
 * the current stack and calls riscv_trap(); the frame's sepc and sstatus are
 * restored on the way out, so a handler may change where the code resumes
 * (trap.c does, to preempt a task). Also arch_cpu_wait_irq, where the
 * kernel lets an interrupt in on purpose.
 */
#include <arch/asm.h>
#include <arch/csr.h>
#include <arch/trap_frame.h>

	.text

/* void riscv_trap_entry(void): stvec, direct mode. */
FUNC(riscv_trap_entry)
	addi	sp, sp, -TF_SIZE
	sd	x1, TF_REG(1)(sp)
	sd	x3, TF_REG(3)(sp)
	sd	x4, TF_REG(4)(sp)
	sd	x5, TF_REG(5)(sp)
	sd	x6, TF_REG(6)(sp)
	sd	x7, TF_REG(7)(sp)
	sd	x8, TF_REG(8)(sp)
	sd	x9, TF_REG(9)(sp)
	sd	x10, TF_REG(10)(sp)
	sd	x11, TF_REG(11)(sp)
	sd	x12, TF_REG(12)(sp)
	sd	x13, TF_REG(13)(sp)
	sd	x14, TF_REG(14)(sp)
	sd	x15, TF_REG(15)(sp)
	sd	x16, TF_REG(16)(sp)
	sd	x17, TF_REG(17)(sp)
	sd	x18, TF_REG(18)(sp)
	sd	x19, TF_REG(19)(sp)
	sd	x20, TF_REG(20)(sp)
	sd	x21, TF_REG(21)(sp)
	sd	x22, TF_REG(22)(sp)
	sd	x23, TF_REG(23)(sp)
	sd	x24, TF_REG(24)(sp)
	sd	x25, TF_REG(25)(sp)
	sd	x26, TF_REG(26)(sp)
	sd	x27, TF_REG(27)(sp)
	sd	x28, TF_REG(28)(sp)
	sd	x29, TF_REG(29)(sp)
	sd	x30, TF_REG(30)(sp)
	sd	x31, TF_REG(31)(sp)
	addi	t0, sp, TF_SIZE		/* sp before the trap */
	sd	t0, TF_REG(2)(sp)
	sd	zero, TF_REG(0)(sp)
	sd	zero, TF_WALK_FP(sp)

	csrr	t0, sepc
	csrr	t1, sstatus
	csrr	t2, scause
	csrr	t3, stval
	sd	t0, TF_SEPC(sp)
	sd	t1, TF_SSTATUS(sp)
	sd	t2, TF_SCAUSE(sp)
	sd	t3, TF_STVAL(sp)

	/*
	 * The FP registers belong to the interrupted code and are not saved:
	 * turn the FPU off, so that FP use in a handler faults loudly instead
	 * of corrupting them. sret gets the old FS back from the frame.
	 */
	li	t0, SSTATUS_FS
	csrc	sstatus, t0

	/* A frame record (ra at fp-8, fp at fp-16) links a backtrace taken
	 * inside the handler to the interrupted code. */
	ld	t0, TF_SEPC(sp)
	addi	sp, sp, -16
	sd	t0, 8(sp)
	sd	fp, 0(sp)
	addi	fp, sp, 16

	addi	a0, sp, 16
	call	riscv_trap		/* void riscv_trap(struct trap_frame *tf) */
	addi	sp, sp, 16

	ld	t0, TF_SEPC(sp)
	ld	t1, TF_SSTATUS(sp)
	csrw	sepc, t0
	csrw	sstatus, t1

	ld	x1, TF_REG(1)(sp)
	ld	x3, TF_REG(3)(sp)
	ld	x4, TF_REG(4)(sp)
	ld	x5, TF_REG(5)(sp)
	ld	x6, TF_REG(6)(sp)
	ld	x7, TF_REG(7)(sp)
	ld	x8, TF_REG(8)(sp)
	ld	x9, TF_REG(9)(sp)
	ld	x10, TF_REG(10)(sp)
	ld	x11, TF_REG(11)(sp)
	ld	x12, TF_REG(12)(sp)
	ld	x13, TF_REG(13)(sp)
	ld	x14, TF_REG(14)(sp)
	ld	x15, TF_REG(15)(sp)
	ld	x16, TF_REG(16)(sp)
	ld	x17, TF_REG(17)(sp)
	ld	x18, TF_REG(18)(sp)
	ld	x19, TF_REG(19)(sp)
	ld	x20, TF_REG(20)(sp)
	ld	x21, TF_REG(21)(sp)
	ld	x22, TF_REG(22)(sp)
	ld	x23, TF_REG(23)(sp)
	ld	x24, TF_REG(24)(sp)
	ld	x25, TF_REG(25)(sp)
	ld	x26, TF_REG(26)(sp)
	ld	x27, TF_REG(27)(sp)
	ld	x28, TF_REG(28)(sp)
	ld	x29, TF_REG(29)(sp)
	ld	x30, TF_REG(30)(sp)
	ld	x31, TF_REG(31)(sp)
	ld	x2, TF_REG(2)(sp)
	sret
END(riscv_trap_entry)

/*
 * void arch_cpu_wait_irq(void)
 * WFI wakes on any interrupt that is pending and enabled in sie, even with
 * sstatus.SIE clear (Privileged Architecture §3.3.3), so one that arrives
 * after the caller's check is not lost. Then sstatus.SIE opens for one
 * instruction to take it: the trap comes in at riscv_wait_irq_window, which
 * riscv_trap() treats as interrupts disabled, since the caller's are.
 */
FUNC(arch_cpu_wait_irq)
	wfi
	csrsi	sstatus, SSTATUS_SIE
	.globl	riscv_wait_irq_window
riscv_wait_irq_window:
	csrci	sstatus, SSTATUS_SIE
	ret
END(arch_cpu_wait_irq)
