// SPDX-License-Identifier: MIT
/*
 * aarch64: exception dispatch. IRQs go to the interrupt controller (the timer
 * PPI and the IPI SGI first), and on the way out may preempt the interrupted
 * task; every synchronous exception the kernel did not expect is decoded
 * from ESR_EL1 into words a user can act on and becomes kernel_fault().
 * Syndrome encodings: Arm ARM, "ESR_EL1".
 */
#include <stddef.h>

#include <arch.h>
#include <arch/aarch64.h>
#include <arch/sysreg.h>
#include <drivers/irqchip.h>
#include <kernel/ksym.h>
#include <kernel/mm.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include "asm_offsets.h"
#include "pte.h"

_Static_assert(offsetof(struct trap_frame, x[0]) == TF_X(0), "TF_X");
_Static_assert(offsetof(struct trap_frame, x[30]) == TF_X(30), "TF_X");
_Static_assert(offsetof(struct trap_frame, sp) == TF_SP, "TF_SP");
_Static_assert(offsetof(struct trap_frame, elr) == TF_ELR, "TF_ELR");
_Static_assert(offsetof(struct trap_frame, spsr) == TF_SPSR, "TF_SPSR");
_Static_assert(offsetof(struct trap_frame, esr) == TF_ESR, "TF_ESR");
_Static_assert(offsetof(struct trap_frame, far) == TF_FAR, "TF_FAR");
_Static_assert(offsetof(struct trap_frame, frame) == TF_FRAME, "TF_FRAME");
_Static_assert(offsetof(struct trap_frame, walk_fp) == TF_WALK_FP, "TF_WALK_FP");
_Static_assert(sizeof(struct trap_frame) == TF_SIZE && TF_SIZE % 16 == 0, "TF_SIZE");
_Static_assert(offsetof(struct aarch64_percpu, trap_limit) == PCPU_TRAP_LIMIT, "PCPU_TRAP_LIMIT");
_Static_assert(offsetof(struct aarch64_percpu, emerg_top) == PCPU_EMERG_TOP, "PCPU_EMERG_TOP");
_Static_assert(offsetof(struct aarch64_percpu, preempt_pc) == PCPU_PREEMPT_PC, "PCPU_PREEMPT_PC");
_Static_assert(offsetof(struct aarch64_percpu, preempt_spsr) == PCPU_PREEMPT_SPSR,
	       "PCPU_PREEMPT_SPSR");

/* The preemption frame ends at the interrupted sp, with the pc and PSTATE
 * it resumes at on top. */
_Static_assert(PF_ELR == PF_SIZE - 16 && PF_SPSR == PF_SIZE - 8, "PF_ELR");
_Static_assert(PF_SIZE % 16 == 0 && PF_Q(0) % 16 == 0, "PF_SIZE");
_Static_assert(PF_X(30) < PF_FPCR && PF_FPSR < PF_Q(0) && PF_Q(31) + 16 <= PF_ELR, "PF layout");

/* Exception classes, ESR_EL1.EC. */
#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_FP_ACCESS 0x07
#define EC_BTI 0x0d
#define EC_ILLEGAL_STATE 0x0e
#define EC_SVC64 0x15
#define EC_SYSREG 0x18
#define EC_SVE 0x19
#define EC_IABT_LOWER 0x20
#define EC_IABT_CUR 0x21
#define EC_PC_ALIGN 0x22
#define EC_DABT_LOWER 0x24
#define EC_DABT_CUR 0x25
#define EC_SP_ALIGN 0x26
#define EC_FP_EXC64 0x2c
#define EC_SERROR 0x2f
#define EC_BREAKPT_LOWER 0x30
#define EC_BREAKPT_CUR 0x31
#define EC_STEP_LOWER 0x32
#define EC_STEP_CUR 0x33
#define EC_WATCHPT_LOWER 0x34
#define EC_WATCHPT_CUR 0x35
#define EC_BRK64 0x3c

/* ISS of instruction and data aborts. */
#define ISS_FSC_MASK 0x3f /* fault status code, IFSC / DFSC */
#define FSC_TYPE(fsc) ((fsc)&0x3c) /* the kinds that carry a level in bits [1:0] */
#define FSC_TRANSLATION 0x04
#define FSC_PERMISSION 0x0c
#define ISS_WNR (1u << 6) /* data abort caused by a write */
#define ISS_CM (1u << 8) /* data abort from cache maintenance */
#define ISS_FNV (1u << 10) /* FAR is not valid */

/* Human name of an abort's fault status code; *level is the translation
 * table level for the codes that carry one, else -1. */
static const char *fsc_name(unsigned int fsc, int *level)
{
	*level = (int)(fsc & 3);
	switch (fsc & 0x3c) {
	case 0x00:
		return "address size fault";
	case 0x04:
		return "translation fault";
	case 0x08:
		return "access flag fault";
	case 0x0c:
		return "permission fault";
	}
	*level = -1;
	switch (fsc) {
	case 0x10:
		return "synchronous external abort";
	case 0x11:
		return "tag check fault";
	case 0x14:
	case 0x15:
	case 0x16:
	case 0x17:
		*level = (int)(fsc & 3);
		return "synchronous external abort on a table walk";
	case 0x18:
		return "synchronous parity or ECC error";
	case 0x21:
		return "alignment fault";
	case 0x30:
		return "TLB conflict abort";
	case 0x31:
		return "unsupported atomic hardware update";
	default:
		return "fault";
	}
}

/* Describe a synchronous exception: cause into buf, the faulting address
 * into fi. */
static void sync_decode(const struct trap_frame *tf, struct fault_info *fi, char *buf, size_t size)
{
	unsigned int ec = (unsigned int)(tf->esr >> ESR_EC_SHIFT) & ESR_EC_MASK;
	unsigned int iss = (unsigned int)(tf->esr & ESR_ISS_MASK);
	const char *what;
	int level;

	fi->cause = buf;
	fi->addr = tf->elr;
	fi->has_addr = false;
	switch (ec) {
	case EC_DABT_CUR:
	case EC_DABT_LOWER:
	case EC_IABT_CUR:
	case EC_IABT_LOWER: {
		bool data = ec == EC_DABT_CUR || ec == EC_DABT_LOWER;

		const char *access = !data	   ? "execute" :
				     iss & ISS_CM  ? "cache maintenance" :
				     iss & ISS_WNR ? "write" :
						     "read";

		what = fsc_name(iss & ISS_FSC_MASK, &level);
		/* W^X at work: name the rule that was broken. */
		if (FSC_TYPE(iss & ISS_FSC_MASK) == FSC_PERMISSION && (!data || iss & ISS_WNR) &&
		    !(iss & ISS_CM))
			ksnprintf(buf, size, "%s (%s, level %d)",
				  data ? "write to read-only memory" :
					 "instruction fetch from non-executable memory",
				  what, level);
		else if (level >= 0)
			ksnprintf(buf, size, "%s abort: %s, level %d (%s)",
				  data ? "data" : "instruction", what, level, access);
		else
			ksnprintf(buf, size, "%s abort: %s (%s)", data ? "data" : "instruction",
				  what, access);
		fi->addr = tf->far;
		fi->has_addr = !(iss & ISS_FNV);
		return;
	}
	case EC_PC_ALIGN:
		ksnprintf(buf, size, "misaligned pc");
		fi->addr = tf->far;
		fi->has_addr = true;
		return;
	case EC_SP_ALIGN:
		ksnprintf(buf, size, "misaligned stack pointer");
		fi->addr = tf->sp;
		fi->has_addr = true;
		return;
	case EC_UNKNOWN:
		what = "illegal instruction (undefined)";
		break;
	case EC_BRK64:
		what = "illegal instruction (brk)";
		break;
	case EC_FP_ACCESS:
	case EC_SVE:
		what = "FP/SIMD instruction with FP/SIMD disabled";
		break;
	case EC_ILLEGAL_STATE:
		what = "illegal execution state";
		break;
	case EC_BTI:
		what = "branch target exception";
		break;
	case EC_SVC64:
		what = "supervisor call (svc)";
		break;
	case EC_SYSREG:
		what = "trapped system register access";
		break;
	case EC_WFX:
		what = "trapped wfi/wfe";
		break;
	case EC_FP_EXC64:
		what = "floating-point exception";
		break;
	case EC_BREAKPT_CUR:
	case EC_BREAKPT_LOWER:
		what = "hardware breakpoint";
		break;
	case EC_STEP_CUR:
	case EC_STEP_LOWER:
		what = "software step";
		break;
	case EC_WATCHPT_CUR:
	case EC_WATCHPT_LOWER:
		what = "watchpoint";
		fi->addr = tf->far;
		break;
	default:
		ksnprintf(buf, size, "exception class 0x%x, syndrome 0x%x", ec, iss);
		return;
	}
	/* For instruction faults the address is that of the instruction. */
	ksnprintf(buf, size, "%s", what);
	fi->has_addr = true;
}

static bool in_text(uintptr_t pc)
{
	extern const char __executable_start[], __etext[];

	return pc >= (uintptr_t)__executable_start && pc < (uintptr_t)__etext;
}

/*
 * Choose where a backtrace of `tf` starts. A function's frame record {x29,
 * x30} exists only between its prologue and epilogue, and GCC schedules
 * other instructions around those: a fault there (or in a function without
 * a record) finds x29 still naming the caller's frame and the return address
 * only in x30, so the walk would skip the caller. We can tell by x30: inside
 * the function the record belongs to, x30 either equals the record's return
 * address or, after a call, points into the faulting function itself.
 *
 * The made-up record {x29, x30} must sit on the stack the walk goes on
 * with, since a backtrace walks up one stack: in the trap frame when that
 * is on the interrupted stack (a nested trap), else just below the
 * interrupted sp, which the dying code no longer uses. Only on the way to
 * kernel_fault; the probes keep a bad sp or fp from faulting again.
 */
static void frame_prepare_walk(struct trap_frame *tf, bool other_stack)
{
	uintptr_t fp = tf->x[29], lr = tf->x[30], pc_off, lr_off, rec = tf->sp - 16;
	const char *pc_fn = ksym_lookup(tf->elr, &pc_off);
	const char *lr_fn = ksym_lookup(lr, &lr_off);
	uint64_t ret;

	/* A pc outside every function (a call through a wild pointer) has its
	 * caller only in x30, too. */
	if (!in_text(lr) || (lr & 3) || (pc_fn && pc_fn == lr_fn))
		return;
	if (fp && !(fp & 7) && fp >= tf->sp && aarch64_probe_read(fp + 8, &ret) == 0 && ret == lr)
		return;
	if (other_stack && !(tf->sp & 15) && aarch64_probe_write(rec, fp) == 0 &&
	    aarch64_probe_write(rec + 8, lr) == 0) {
		tf->walk_fp = rec;
		return;
	}
	tf->frame[0] = fp;
	tf->frame[1] = lr;
	tf->walk_fp = (uintptr_t)tf->frame;
}

/* Interrupts the arch handles itself: its timer and the IPI. */
static bool local_irq(unsigned int irq)
{
	if (irq == AARCH64_IPI_SGI) {
		kernel_ipi();
		return true;
	}
	return aarch64_timer_irq(irq);
}

/*
 * The end of an IRQ (arch.h, "Preemption"). If the scheduler wants the
 * interrupted task off the CPU, return into aarch64_preempt_trampoline
 * (switch.S) instead, with IRQs masked, leaving the interrupted pc and
 * PSTATE in this CPU's struct aarch64_percpu for it; the trampoline builds
 * its frame on the task's own stack, whichever of SP_EL0 (a task) or SP_EL1
 * (before the trap stack is set) that is. An IRQ cannot interrupt another
 * exception's handler, which runs with IRQs masked, so SPSR.I tells whether
 * the task could be interrupted at all.
 */
static void irq_exit_preempt(struct trap_frame *tf, unsigned long vector)
{
	extern char aarch64_preempt_trampoline[];
	struct aarch64_percpu *pc = aarch64_percpu_self();

	if (TRAP_GROUP(vector) > TRAP_GROUP_EL1_SPX || !pc ||
	    !sched_preempt_on_irq_exit(!(tf->spsr & DAIF_I)))
		return;
	pc->preempt_pc = tf->elr;
	pc->preempt_spsr = tf->spsr;
	tf->elr = (uintptr_t)aarch64_preempt_trampoline;
	tf->spsr |= DAIF_I;
}

/* A fault in one of probe.S's probes: resume it with x0 = the syndrome. */
static bool probe_fixup(struct trap_frame *tf, bool data)
{
	extern char aarch64_probe_read_insn[], aarch64_probe_write_insn[];
	extern char aarch64_probe_fault[], aarch64_probe_exec_ret[];

	if (data && (tf->elr == (uintptr_t)aarch64_probe_read_insn ||
		     tf->elr == (uintptr_t)aarch64_probe_write_insn)) {
		tf->elr = (uintptr_t)aarch64_probe_fault;
	} else if (!data && tf->x[30] == (uintptr_t)aarch64_probe_exec_ret && tf->elr == tf->x[9]) {
		tf->elr = (uintptr_t)aarch64_probe_exec_ret;
	} else {
		return false;
	}
	tf->x[0] = tf->esr;
	return true;
}

/*
 * Instruction and data aborts the kernel resolves: a probe's, and a
 * translation fault (nothing mapped) that kernel_page_fault mapped, such as
 * a task's stack growing. True when the access can be retried or resumed.
 */
static bool abort_handled(struct trap_frame *tf)
{
	unsigned int ec = (unsigned int)(tf->esr >> ESR_EC_SHIFT) & ESR_EC_MASK;
	unsigned int iss = (unsigned int)(tf->esr & ESR_ISS_MASK);
	bool data = ec == EC_DABT_CUR || ec == EC_DABT_LOWER;

	if (!data && ec != EC_IABT_CUR && ec != EC_IABT_LOWER)
		return false;
	if (probe_fixup(tf, data))
		return true;
	if (FSC_TYPE(iss & ISS_FSC_MASK) != FSC_TRANSLATION || (iss & ISS_FNV))
		return false;
	return kernel_page_fault(tf, tf->far, data && (iss & ISS_WNR) && !(iss & ISS_CM), !data);
}

/* A nested trap found the trap stack used up (vectors.S) and moved to the
 * emergency stack: report it. The frame's sp is the overflowing one. */
static __attribute__((noreturn)) void trap_stack_overflow(struct trap_frame *tf)
{
	const struct aarch64_percpu *pc = aarch64_percpu_self();
	char cause[160], what[80];
	struct fault_info fi;

	sync_decode(tf, &fi, what, sizeof(what));
	ksnprintf(cause, sizeof(cause), "trap stack overflow (stack %p-%p): %s",
		  (void *)pc->trap_lo, (void *)pc->trap_top, what);
	fi.cause = cause;
	frame_prepare_walk(tf, true);
	kernel_fault(tf, &fi);
}

void aarch64_trap(struct trap_frame *tf, unsigned long vector)
{
	unsigned int kind = TRAP_KIND(vector);
	struct fault_info fi = { 0 };
	char what[80], cause[112];

	if (vector & TRAP_OVERFLOW)
		trap_stack_overflow(tf);
	if (kind == TRAP_IRQ && irqchip) {
		irqchip_dispatch(local_irq);
		irq_exit_preempt(tf, vector);
		return;
	}
	if (kind == TRAP_SYNC && abort_handled(tf))
		return;
	if (kind == TRAP_SYNC) {
		sync_decode(tf, &fi, what, sizeof(what));
	} else {
		/* Weft routes nothing to FIQs: any of these is a bug or a
		 * hardware error. */
		ksnprintf(what, sizeof(what), "%s",
			  kind == TRAP_IRQ ? "IRQ before the interrupt controller was set up" :
			  kind == TRAP_FIQ ? "FIQ" :
					     "SError (asynchronous external abort)");
	}
	/* The kernel runs at EL1, so the EL0 vector groups mean something
	 * switched levels behind our back. */
	ksnprintf(cause, sizeof(cause), "%s%s", what,
		  TRAP_GROUP(vector) <= TRAP_GROUP_EL1_SPX ? "" : " (from EL0)");
	fi.cause = cause;
	frame_prepare_walk(tf, TRAP_GROUP(vector) != TRAP_GROUP_EL1_SPX);
	kernel_fault(tf, &fi);
}

uintptr_t arch_frame_pc(const struct trap_frame *tf)
{
	return (uintptr_t)tf->elr;
}

uintptr_t arch_frame_fp(const struct trap_frame *tf)
{
	return tf->walk_fp ? (uintptr_t)tf->walk_fp : (uintptr_t)tf->x[29];
}

void arch_frame_dump(const struct trap_frame *tf)
{
	for (int i = 0; i < 31; i++)
		printk("  x%-2d %016llx%s", i, (unsigned long long)tf->x[i],
		       i % 4 == 3 ? "\n" : "");
	printk("  sp  %016llx\n", (unsigned long long)tf->sp);
	printk("  pc  %016llx  pstate %08llx  esr %08llx  far %016llx\n",
	       (unsigned long long)tf->elr, (unsigned long long)tf->spsr,
	       (unsigned long long)tf->esr, (unsigned long long)tf->far);
}

/* AAPCS64 frame record: x29 points at {caller's x29, return address}. */
bool arch_frame_next(uintptr_t *fp, uintptr_t *pc, uintptr_t lo, uintptr_t hi)
{
	uintptr_t f = *fp;

	if (!f || (f & 7) || f < lo || f + 16 > hi)
		return false;
	*pc = ((const uintptr_t *)f)[1];
	*fp = ((const uintptr_t *)f)[0];
	return true;
}

/* ---- per-CPU state and the trap stack ---- */

/* The emergency stack a trap stack overflow is reported on: printing, the
 * backtrace and the task dump, on a CPU that may have no other. */
#define EMERG_PAGES 4

static struct aarch64_percpu percpus[MAX_CPUS];

void aarch64_percpu_init(unsigned int idx)
{
	__asm__ __volatile__("msr tpidrro_el0, %0" ::"r"(&percpus[idx]) : "memory");
}

void arch_cpu_set_trap_stack(uintptr_t lo, uintptr_t top)
{
	struct aarch64_percpu *pc = aarch64_percpu_self();

	BUG_ON(!pc || (top & 15) || top - lo <= TF_SIZE);
	if (!pc->emerg_top) {
		paddr_t pa = mm_pages_alloc(EMERG_PAGES);

		if (!pa)
			panic("no memory for CPU %u's emergency stack", this_cpu()->idx);
		pc->emerg_top = (uintptr_t)mm_va(pa) + EMERG_PAGES * PAGE_SIZE;
	}
	pc->trap_lo = lo;
	pc->trap_top = top;
	/* A nested trap must find room for its frame above the guard. The check is
	 * armed only once SP_EL1 is this stack, so that nothing on the boot stack
	 * looks like an overflow. */
	pc->trap_limit = 0;
	aarch64_set_trap_sp(top);
	pc->trap_limit = lo + TF_SIZE;
}

void arch_debug_trap_stack_overflow(void)
{
	const struct aarch64_percpu *pc = aarch64_percpu_self();

	if (!pc || !pc->trap_limit)
		panic("arch_debug_trap_stack_overflow: this CPU has no trap stack");
	/* A handler whose frames reached the guard page: sp just above it. */
	aarch64_store_below(pc->trap_lo + 64);
}
