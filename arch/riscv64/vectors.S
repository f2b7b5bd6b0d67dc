/* SPDX-License-Identifier: MIT */
/*
 * riscv64: trap entry and exit. Every trap (exception or interrupt, from
 * S-mode: there is no U-mode) saves all registers in a struct trap_frame on
 * the CPU's trap stack and calls riscv_trap(); the frame's sepc and sstatus
 * are restored on the way out, so a handler may change where the code
 * resumes (trap.c does, to preempt a task). Also arch_cpu_wait_irq, where
 * the kernel lets an interrupt in on purpose, and the memory probes whose
 * faults trap.c turns into an error return.
 */
#include <arch/asm.h>
#include <arch/csr.h>
#include <arch/trap_frame.h>
#include "asm_offsets.h"

#define EMERGENCY_STACK_SIZE (16 * 1024)

	.text

/*
 * void riscv_trap_entry(void): stvec, direct mode.
 *
 * sscratch always points at this CPU's struct riscv_trap_cpu (trap.c,
 * offsets in asm_offsets.h). The entry swaps it with tp to have somewhere
 * to put sp, t0 and t1 before anything else, then picks the stack:
 *  - a trap from task or scheduler code (depth 0) goes to the top of the
 *    CPU's trap stack, so that a task whose own stack has run into its
 *    guard page is handled on a good one (arch_cpu_set_trap_stack; before
 *    that, and on a CPU without one, the trap stays on the current stack);
 *  - a trap taken while handling one stays where it is, unless sp has run
 *    down into the trap stack's guard page: then the report goes on the
 *    emergency stack (.Loverflow), since no frame fits where sp is.
 * Nothing between the two sscratch swaps can fault: the per-CPU block is
 * in .bss, and the frame goes where it was just checked to fit.
 */
FUNC(riscv_trap_entry)
	csrrw	tp, sscratch, tp
	sd	sp, TC_SAVE_SP(tp)
	sd	t0, TC_SAVE_T0(tp)
	sd	t1, TC_SAVE_T1(tp)
	ld	t0, TC_DEPTH(tp)
	addi	t1, t0, 1
	sd	t1, TC_DEPTH(tp)
	bnez	t0, 1f
	ld	t1, TC_TOP(tp)
	beqz	t1, .Lsave
	mv	sp, t1
	j	.Lsave
1:	ld	t0, TC_OVF_LO(tp)
	sub	t0, sp, t0
	ld	t1, TC_OVF_LEN(tp)
	bltu	t0, t1, .Loverflow

.Lsave:
	addi	sp, sp, -TF_SIZE
	sd	x1, TF_REG(1)(sp)
	sd	x3, TF_REG(3)(sp)
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
	ld	t0, TC_SAVE_SP(tp)
	sd	t0, TF_REG(2)(sp)
	ld	t0, TC_SAVE_T0(tp)
	sd	t0, TF_REG(5)(sp)
	ld	t0, TC_SAVE_T1(tp)
	sd	t0, TF_REG(6)(sp)
	/* s1 is saved: it carries the overflow flag across the call below. */
	ld	s1, TC_OVERFLOW(tp)
	/* sscratch back to the per-CPU block, for a nested trap; tp back
	 * to the interrupted one, this CPU's struct cpu. */
	csrrw	t0, sscratch, tp
	sd	t0, TF_REG(4)(sp)
	mv	tp, t0
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
	bnez	s1, .Lreport_overflow
	call	riscv_trap		/* void riscv_trap(struct trap_frame *tf) */
	addi	sp, sp, 16

	ld	t0, TF_SEPC(sp)
	ld	t1, TF_SSTATUS(sp)
	csrw	sepc, t0
	csrw	sstatus, t1
	/* This trap is over (interrupts stay off until sret). */
	csrrw	tp, sscratch, tp
	ld	t0, TC_DEPTH(tp)
	addi	t0, t0, -1
	sd	t0, TC_DEPTH(tp)
	csrrw	tp, sscratch, tp

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

/*
 * The trap stack overflowed (tp: the per-CPU block, sscratch: the
 * interrupted tp). There is one emergency stack: the first CPU here
 * reports on it through riscv_trap_stack_overflow(tf) (trap.c), which ends
 * the image; any other waits for that, interrupts off.
 */
.Loverflow:
	lla	t0, emergency_owner
	li	t1, 1
	amoswap.w.aq t1, t1, (t0)
	bnez	t1, 2f
	li	t0, 1
	sd	t0, TC_OVERFLOW(tp)
	lla	sp, emergency_stack_top
	j	.Lsave
2:	wfi
	j	2b

.Lreport_overflow:
	call	riscv_trap_stack_overflow	/* never returns */
1:	wfi
	j	1b
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

/*
 * long riscv_probe_load(const uint64_t *p, uint64_t *val)
 * long riscv_probe_store(uint64_t *p, uint64_t val)
 * One access that may fault: 0, or the negative errno trap.c leaves in a0
 * when it does (-EFAULT: nothing mapped, -EACCES: not allowed). The fault is
 * never passed on to kernel_page_fault. For tests of the page tables.
 */
FUNC(riscv_probe_load)
	.globl	riscv_probe_load_insn
riscv_probe_load_insn:
	ld	t0, 0(a0)
	sd	t0, 0(a1)
	li	a0, 0
	.globl	riscv_probe_out
riscv_probe_out:
	ret
END(riscv_probe_load)

FUNC(riscv_probe_store)
	.globl	riscv_probe_store_insn
riscv_probe_store_insn:
	sd	a1, 0(a0)
	li	a0, 0
	ret
END(riscv_probe_store)

/*
 * long riscv_probe_exec(const void *code)
 * Call `code`, which returns at once: 0, or the negative errno trap.c
 * leaves in a0 when fetching it faults (the fault has ra =
 * riscv_probe_exec_ret, which is how trap.c knows it).
 */
FUNC(riscv_probe_exec)
	addi	sp, sp, -16
	sd	ra, 8(sp)
	sd	s0, 0(sp)
	addi	s0, sp, 16
	jalr	a0
	.globl	riscv_probe_exec_ret
riscv_probe_exec_ret:
	li	a0, 0
	.globl	riscv_probe_exec_out
riscv_probe_exec_out:
	ld	ra, 8(sp)
	ld	s0, 0(sp)
	addi	sp, sp, 16
	ret
END(riscv_probe_exec)

/* The emergency stack of .Loverflow, and who holds it. */
	.section .bss.emergency_stack, "aw", %nobits
	.balign	16
emergency_stack:
	.skip	EMERGENCY_STACK_SIZE
emergency_stack_top:
	.balign	4
emergency_owner:
	.skip	4
