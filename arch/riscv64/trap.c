// SPDX-License-Identifier: MIT
/*
 * riscv64: trap dispatch. Interrupts go to the timer, the IPI handler or the
 * interrupt controller, and on the way out may send the interrupted task to
 * be preempted. A page fault on an address with no mapping goes to
 * kernel_page_fault(), which grows task stacks; every other exception is
 * unexpected and becomes a kernel_fault() report, with the cause decoded
 * from scause (RISC-V Privileged Architecture 20211203, §4.1.9, table 4.2)
 * and the page tables, and stval as the faulting address. Also the per-CPU
 * trap stacks that vectors.S switches to.
 */
#include <errno.h>
#include <stddef.h>

#include <arch.h>
#include <arch/csr.h>
#include <arch/trap_frame.h>
#include <drivers/irqchip.h>
#include <kernel/mm.h>
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

/*
 * What the trap entry (vectors.S) needs on each CPU; sscratch points at it.
 * Only that CPU touches it, with interrupts off.
 */
struct riscv_trap_cpu {
	uint64_t save_sp, save_t0, save_t1; /* the entry's scratch */
	uint64_t depth; /* traps in progress */
	uint64_t top; /* the trap stack's top, or 0 */
	uint64_t ovf_lo, ovf_len; /* where a nested trap's sp means overflow */
	uint64_t overflow; /* the entry went to the emergency stack */
	/* The last spurious fault retried, until the next trap that is
	 * not the same fault again (see trap_page_fault). */
	uint64_t retry_pc, retry_addr;
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct riscv_trap_cpu, save_sp) == TC_SAVE_SP, "tc.save_sp");
_Static_assert(offsetof(struct riscv_trap_cpu, save_t0) == TC_SAVE_T0, "tc.save_t0");
_Static_assert(offsetof(struct riscv_trap_cpu, save_t1) == TC_SAVE_T1, "tc.save_t1");
_Static_assert(offsetof(struct riscv_trap_cpu, depth) == TC_DEPTH, "tc.depth");
_Static_assert(offsetof(struct riscv_trap_cpu, top) == TC_TOP, "tc.top");
_Static_assert(offsetof(struct riscv_trap_cpu, ovf_lo) == TC_OVF_LO, "tc.ovf_lo");
_Static_assert(offsetof(struct riscv_trap_cpu, ovf_len) == TC_OVF_LEN, "tc.ovf_len");
_Static_assert(offsetof(struct riscv_trap_cpu, overflow) == TC_OVERFLOW, "tc.overflow");

static struct riscv_trap_cpu trap_cpus[MAX_CPUS];

/* Frame records never sit further apart than this (as in kernel/panic.c). */
#define WALK_SPAN (1024 * 1024)

static volatile bool probing, probe_trapped;

/* arch_debug_trap_stack_overflow asked for the next ebreak to overflow. */
static volatile bool debug_overflow;

void riscv_trap_init(unsigned int idx)
{
	/* Direct mode (low bits 0): every trap enters at riscv_trap_entry. */
	csr_write(stvec, (unsigned long)riscv_trap_entry);
	csr_write(sscratch, (unsigned long)&trap_cpus[idx]);
}

void arch_cpu_set_trap_stack(uintptr_t lo, uintptr_t top)
{
	struct riscv_trap_cpu *tc = (struct riscv_trap_cpu *)csr_read(sscratch);

	/*
	 * A nested trap whose sp is in the guard page below lo, or so close
	 * above it that the frame and its record no longer fit, has
	 * overflowed. Deeper than one page below lo is some other mapping,
	 * which only a stack switch gets to.
	 */
	tc->ovf_lo = lo - PAGE_SIZE;
	tc->ovf_len = PAGE_SIZE + TF_SIZE + 16;
	tc->top = top & ~(uintptr_t)15;
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
 * Where a made-up frame record for `tf` goes: on the interrupted stack just
 * below its sp, where nothing is live (the psABI has no red zone), so that
 * the walk from it onwards stays on one stack, as backtrace_print's bounds
 * require. In the frame itself when the frame is on that stack already
 * (a nested trap) or that page cannot be written (an overflowed stack).
 */
static uint64_t *walk_record_slot(struct trap_frame *tf)
{
	uintptr_t sp = tf->regs[2] & ~(uintptr_t)15;

	if (sp == (uintptr_t)(tf + 1) || !riscv_mmu_can_write(sp - 16))
		return tf->walk_record;
	return (uint64_t *)(sp - 16);
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
	uintptr_t fp = tf->regs[8], lo = tf->regs[2], hi = lo + WALK_SPAN;
	uintptr_t ra = tf->regs[1], at8;
	uint64_t *rec;

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
	rec = walk_record_slot(tf);
	rec[0] = at8;
	rec[1] = ra;
	tf->walk_fp = (uintptr_t)&rec[2];
}

static __noreturn void trap_fault_cause(struct trap_frame *tf, const char *cause, bool has_addr)
{
	struct fault_info fi = {
		.cause = cause,
		.addr = tf->stval,
		.has_addr = has_addr,
	};

	frame_prepare_walk(tf);
	kernel_fault(tf, &fi);
}

static __noreturn void trap_fault(struct trap_frame *tf, unsigned long code)
{
	trap_fault_cause(tf, exception_name(code), exception_has_addr(code));
}

/*
 * A fault in one of vectors.S's probes returns `err` from the probe instead
 * of being reported. Whether it was one is told by the faulting pc (a load
 * or store probe) or, for an instruction fetch, by the return address that
 * riscv_probe_exec's call left in ra.
 */
static bool probe_fixup(struct trap_frame *tf, unsigned long code, long err)
{
	if (code == EXC_INSN_PAGE_FAULT || code == EXC_INSN_ACCESS) {
		if (tf->regs[1] != (uintptr_t)riscv_probe_exec_ret)
			return false;
		tf->sepc = (uintptr_t)riscv_probe_exec_out;
	} else if (tf->sepc == (uintptr_t)riscv_probe_load_insn ||
		   tf->sepc == (uintptr_t)riscv_probe_store_insn) {
		tf->sepc = (uintptr_t)riscv_probe_out;
	} else {
		return false;
	}
	tf->regs[10] = (uint64_t)err;
	return true;
}

/*
 * Page faults (scause 12, 13, 15). RISC-V reports a missing mapping and a
 * forbidden access with the same cause (§4.3.2), so the page tables tell
 * them apart. There is a third kind: a mapping another CPU has just made
 * (arch_mmu_map, arch_mmu_map_device) that this one has not seen, because
 * a hart may keep an invalid entry cached until its own SFENCE.VMA
 * (§4.2.1), or a table entry that it cached for a table page since freed
 * (arch_mmu_unmap). That one is fenced, whole (an address-specific fence
 * need not drop cached table entries), and retried, once: a second fault at
 * the same place is a mapping the MMU refuses for a reason not checked here.
 */
static void trap_page_fault(struct trap_frame *tf, unsigned long code)
{
	struct riscv_trap_cpu *tc = (struct riscv_trap_cpu *)csr_read(sscratch);
	bool exec = code == EXC_INSN_PAGE_FAULT, write = code == EXC_STORE_PAGE_FAULT;
	uintptr_t addr = tf->stval;
	uint64_t pte = riscv_mmu_lookup(addr, NULL);
	uint64_t need = exec ? PTE_X : write ? PTE_W : PTE_R;

	if (pte & PTE_V) {
		if ((pte & need) && !(tc->retry_pc == tf->sepc && tc->retry_addr == addr)) {
			tc->retry_pc = tf->sepc;
			tc->retry_addr = addr;
			riscv_sfence_vma_all();
			return;
		}
		tc->retry_pc = tc->retry_addr = 0;
		if (probe_fixup(tf, code, -EACCES))
			return;
		if (pte & need)
			trap_fault_cause(tf, "page fault: a valid mapping the MMU refuses", true);
		trap_fault_cause(tf,
				 exec ? "page fault: instruction fetch from non-executable memory" :
				 write ? "page fault: write to read-only memory" :
					 "page fault: read of unreadable memory",
				 true);
	}
	tc->retry_pc = tc->retry_addr = 0;
	if (probe_fixup(tf, code, -EFAULT))
		return;
	if (kernel_page_fault(tf, addr, write, exec))
		return;
	trap_fault_cause(tf,
			 exec  ? "page fault: instruction fetch from an unmapped address" :
			 write ? "page fault: write to an unmapped address" :
				 "page fault: read of an unmapped address",
			 true);
}

/*
 * Recurse until the trap stack runs into its guard page, for
 * arch_debug_trap_stack_overflow. The limit only keeps the compiler from
 * seeing an endless recursion.
 */
static volatile unsigned long exhaust_limit = ~0ul;

__attribute__((noinline)) static unsigned long trap_stack_exhaust(unsigned long depth)
{
	volatile uint64_t frame[64];

	frame[0] = depth;
	if (depth >= exhaust_limit)
		return frame[0];
	return trap_stack_exhaust(depth + 1) + frame[0];
}

void arch_debug_trap_stack_overflow(void)
{
	debug_overflow = true;
	arch_barrier();
	__asm__ __volatile__("ebreak");
	for (;;)
		arch_cpu_wait_irq();
}

/* void riscv_trap_stack_overflow(struct trap_frame *tf): from vectors.S, on
 * the emergency stack, for a trap whose sp had run into the guard page below
 * the trap stack (tf is that trap's frame). */
__noreturn void riscv_trap_stack_overflow(struct trap_frame *tf);
__noreturn void riscv_trap_stack_overflow(struct trap_frame *tf)
{
	struct fault_info fi = {
		.cause = "trap stack overflow",
		.addr = tf->regs[2],
		.has_addr = true,
	};

	printk("riscv64: CPU %u's trap stack overflowed: sp %p, then %s at %p\n",
	       this_cpu() ? this_cpu()->idx : 0, (void *)tf->regs[2],
	       exception_name(tf->scause & ~SCAUSE_INTERRUPT), (void *)tf->stval);
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
		riscv_tlb_serve();
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
		/* A retried spurious fault was not repeated at once. */
		((struct riscv_trap_cpu *)csr_read(sscratch))->retry_pc = 0;
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
	switch (code) {
	case EXC_ILLEGAL_INSN:
		if (probing) {
			probe_trapped = true;
			tf->sepc += insn_len(tf->sepc);
			return;
		}
		break;
	case EXC_INSN_PAGE_FAULT:
	case EXC_LOAD_PAGE_FAULT:
	case EXC_STORE_PAGE_FAULT:
		trap_page_fault(tf, code);
		return;
	case EXC_INSN_ACCESS:
	case EXC_LOAD_ACCESS:
	case EXC_STORE_ACCESS:
		if (probe_fixup(tf, code, -EFAULT))
			return;
		break;
	case EXC_BREAKPOINT:
		if (debug_overflow)
			trap_stack_exhaust(0);
		break;
	default:
		break;
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
