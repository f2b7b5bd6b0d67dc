// SPDX-License-Identifier: MIT
/*
 * riscv64: trap dispatch. Interrupts go to the timer, the IPI handler or the
 * interrupt controller, and on the way out may send the interrupted task to
 * be preempted; exceptions are unexpected and become kernel_fault() reports,
 * with the cause decoded from scause (RISC-V Privileged Architecture
 * 20211203, §4.1.9, table 4.2) and stval as the faulting address.
 */
#include <stddef.h>

#include <arch.h>
#include <arch/csr.h>
#include <arch/trap_frame.h>
#include <drivers/irqchip.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include "asm_offsets.h"
#include "riscv64.h"

_Static_assert(offsetof(struct trap_frame, regs) == TF_REG(0), "trap_frame.regs");
_Static_assert(offsetof(struct trap_frame, sepc) == TF_SEPC, "trap_frame.sepc");
_Static_assert(offsetof(struct trap_frame, sstatus) == TF_SSTATUS, "trap_frame.sstatus");
_Static_assert(offsetof(struct trap_frame, scause) == TF_SCAUSE, "trap_frame.scause");
_Static_assert(offsetof(struct trap_frame, stval) == TF_STVAL, "trap_frame.stval");
_Static_assert(offsetof(struct trap_frame, walk_fp) == TF_WALK_FP, "trap_frame.walk_fp");
_Static_assert(sizeof(struct trap_frame) == TF_SIZE, "trap_frame size");
_Static_assert(TF_SIZE % 16 == 0, "the trap frame keeps sp 16-byte aligned");
/* The preemption record lands on the top of the trap frame (see
 * trap_preempt): it must spare what the exit path reads (regs, sepc, sstatus)
 * however the interrupted sp was aligned. */
_Static_assert(TF_SIZE - PREEMPT_REC_SIZE - 15 >= TF_SSTATUS + 8, "preemption record");
_Static_assert(PREEMPT_REC_SIZE % 16 == 0 && PF_SIZE % 16 == 0, "preemption frames");

/* Frame records never sit further apart than this (as in kernel/panic.c). */
#define WALK_SPAN (1024 * 1024)

static volatile bool probing, probe_trapped;

void riscv_trap_init(void)
{
	/* Direct mode (low bits 0): every trap enters at riscv_trap_entry. */
	csr_write(stvec, (unsigned long)riscv_trap_entry);
	csr_write(sscratch, 0);
}

void riscv_probe_begin(void)
{
	probe_trapped = false;
	probing = true;
	arch_barrier();
}

bool riscv_probe_end(void)
{
	arch_barrier();
	probing = false;
	return !probe_trapped;
}

static const char *exception_name(unsigned long code)
{
	switch (code) {
	case EXC_INSN_MISALIGNED:
		return "misaligned instruction fetch";
	case EXC_INSN_ACCESS:
		return "instruction access fault";
	case EXC_ILLEGAL_INSN:
		return "illegal instruction";
	case EXC_BREAKPOINT:
		/* GCC's __builtin_trap() is ebreak on RISC-V, and no debugger
		 * plants breakpoints in this kernel. */
		return "illegal instruction (ebreak: __builtin_trap or a breakpoint)";
	case EXC_LOAD_MISALIGNED:
		return "misaligned load";
	case EXC_LOAD_ACCESS:
		return "load access fault";
	case EXC_STORE_MISALIGNED:
		return "misaligned store/AMO";
	case EXC_STORE_ACCESS:
		return "store/AMO access fault";
	case EXC_ECALL_U:
		return "environment call from U-mode";
	case EXC_ECALL_S:
		return "environment call from S-mode";
	case EXC_INSN_PAGE_FAULT:
		return "instruction page fault";
	case EXC_LOAD_PAGE_FAULT:
		return "load page fault";
	case EXC_STORE_PAGE_FAULT:
		return "store/AMO page fault";
	default:
		return "unknown exception";
	}
}

/* Exceptions that leave the faulting address in stval (§4.1.9). */
static bool exception_has_addr(unsigned long code)
{
	switch (code) {
	case EXC_INSN_MISALIGNED:
	case EXC_INSN_ACCESS:
	case EXC_LOAD_MISALIGNED:
	case EXC_LOAD_ACCESS:
	case EXC_STORE_MISALIGNED:
	case EXC_STORE_ACCESS:
	case EXC_INSN_PAGE_FAULT:
	case EXC_LOAD_PAGE_FAULT:
	case EXC_STORE_PAGE_FAULT:
		return true;
	default:
		return false;
	}
}

static bool in_text(uintptr_t pc)
{
	extern const char __executable_start[], __etext[];

	return pc >= (uintptr_t)__executable_start && pc < (uintptr_t)__etext;
}

/*
 * Choose where a backtrace of `tf` starts. With -fno-omit-frame-pointer, GCC
 * gives a function that calls others the record {fp-16: caller's fp, fp-8:
 * return address}, but a leaf function keeps its return address in ra and
 * stores only the caller's fp, at fp-8. A fault in a leaf would then lose
 * its caller, so build the full record from the saved ra.
 */
static void frame_prepare_walk(struct trap_frame *tf)
{
	uintptr_t fp = tf->regs[8], lo = (uintptr_t)(tf + 1), hi = lo + WALK_SPAN;
	uintptr_t ra = tf->regs[1], at8;

	if ((fp & 7) || fp < lo + 16 || fp > hi) {
		/* s0 is no frame pointer here (code built without them, or
		 * hand-written assembly): end the walk at the faulting pc
		 * rather than read through it. */
		tf->walk_record[0] = 0;
		tf->walk_record[1] = 0;
		tf->walk_fp = (uintptr_t)&tf->walk_record[2];
		return;
	}
	at8 = ((const uintptr_t *)fp)[-1];
	if (in_text(at8) || !in_text(ra) || (at8 & 7) || at8 <= fp || at8 > hi)
		return;
	tf->walk_record[0] = at8;
	tf->walk_record[1] = ra;
	tf->walk_fp = (uintptr_t)&tf->walk_record[2];
}

static __noreturn void trap_fault(struct trap_frame *tf, unsigned long code)
{
	struct fault_info fi = {
		.cause = exception_name(code),
		.addr = tf->stval,
		.has_addr = exception_has_addr(code),
	};

	frame_prepare_walk(tf);
	kernel_fault(tf, &fi);
}

static void trap_interrupt(unsigned long code)
{
	switch (code) {
	case IRQ_S_TIMER:
		riscv_timer_irq();
		break;
	case IRQ_S_EXT:
		if (irqchip)
			irqchip_dispatch(NULL);
		break;
	case IRQ_S_SOFT:
		/* SBI send_ipi sets sip.SSIP; S-mode clears it (§4.1.3). */
		csr_clear(sip, SIP_SSIP);
		kernel_ipi();
		break;
	default:
		printk("riscv64: spurious interrupt %lu ignored\n", code);
		break;
	}
}

/*
 * Make the interrupted task call kernel_preempt() when the trap returns: push
 * a preemption record (asm_offsets.h) below its sp, holding its sp, s0 and
 * pc, and resume it in riscv_preempt_trampoline on top of that record
 * instead. The trap frame sits right below the interrupted sp, so the record
 * overwrites the frame's last fields, which the exit path no longer reads
 * (checked at the top of this file). The psABI has no red zone: nothing
 * below sp is live.
 */
static void trap_preempt(struct trap_frame *tf)
{
	uintptr_t sp = tf->regs[2], fp = tf->regs[8], pc = tf->sepc;
	uintptr_t rec = (sp - PREEMPT_REC_SIZE) & ~(uintptr_t)15;

	*(uint64_t *)(rec + PREEMPT_REC_SP) = sp;
	*(uint64_t *)(rec + PREEMPT_REC_SP + 8) = 0;
	*(uint64_t *)(rec + PREEMPT_REC_FP) = fp;
	*(uint64_t *)(rec + PREEMPT_REC_PC) = pc;
	tf->regs[2] = rec;
	tf->sepc = (uintptr_t)riscv_preempt_trampoline;
}

/* Length of the instruction at pc: 2 for a compressed one (bits [1:0] != 11). */
static unsigned int insn_len(uintptr_t pc)
{
	return (*(const volatile uint16_t *)pc & 3) == 3 ? 4 : 2;
}

/* void riscv_trap(struct trap_frame *tf): from vectors.S, interrupts and the FPU off. */
void riscv_trap(struct trap_frame *tf);
void riscv_trap(struct trap_frame *tf)
{
	unsigned long cause = tf->scause;
	unsigned long code = cause & ~SCAUSE_INTERRUPT;

	if (cause & SCAUSE_INTERRUPT) {
		trap_interrupt(code);
		/* Every trap comes from S-mode task or kernel code; the
		 * scheduler knows which may be preempted. SPIE says whether
		 * the interrupted code had interrupts on, except in
		 * arch_cpu_wait_irq, whose caller has them off. */
		bool irqs_were_enabled = (tf->sstatus & SSTATUS_SPIE) &&
					 tf->sepc != (uintptr_t)riscv_wait_irq_window;

		if (sched_preempt_on_irq_exit(irqs_were_enabled))
			trap_preempt(tf);
		return;
	}
	if (code == EXC_ILLEGAL_INSN && probing) {
		probe_trapped = true;
		tf->sepc += insn_len(tf->sepc);
		return;
	}
	trap_fault(tf, code);
}

uintptr_t arch_frame_pc(const struct trap_frame *tf)
{
	return tf->sepc;
}

uintptr_t arch_frame_fp(const struct trap_frame *tf)
{
	return tf->walk_fp ? tf->walk_fp : tf->regs[8];
}

void arch_frame_dump(const struct trap_frame *tf)
{
	/* clang-format off */
	static const char *const names[32] = {
		"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
		"s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
		"a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
		"s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
	};
	/* clang-format on */

	for (int i = 1; i < 32; i++)
		printk("  %-4s %016llx%s", names[i], (unsigned long long)tf->regs[i],
		       i % 4 == 0 || i == 31 ? "\n" : "");
	printk("  sepc %016llx  sstatus %016llx  scause %016llx  stval %016llx\n",
	       (unsigned long long)tf->sepc, (unsigned long long)tf->sstatus,
	       (unsigned long long)tf->scause, (unsigned long long)tf->stval);
}

/*
 * RISC-V frame record (GCC, -fno-omit-frame-pointer): [fp-8] = return
 * address, [fp-16] = caller's fp. Callers' frames lie above (the stack grows
 * down), so a caller's fp that is not above this one ends the walk at the
 * next step: code built without frame pointers (newlib) uses s0 as an
 * ordinary register, and its value must never be read as an address.
 */
bool arch_frame_next(uintptr_t *fp, uintptr_t *pc, uintptr_t lo, uintptr_t hi)
{
	uintptr_t f = *fp, next;

	if (!f || (f & 7) || f < lo || f > hi || f < 16)
		return false;
	*pc = ((const uintptr_t *)f)[-1];
	next = ((const uintptr_t *)f)[-2];
	*fp = next > f ? next : 0;
	return true;
}
