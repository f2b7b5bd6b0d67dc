// SPDX-License-Identifier: MIT
/*
 * x86_64: the IDT, and every vector's C handler: exceptions become
 * kernel_fault() with a decoded cause, the local APIC timer becomes
 * kernel_timer_tick(), other vectors go to kernel_irq().
 *
 * Every vector runs on an IST stack (SDM vol. 3 §6.14.5), never on the
 * interrupted one, because a task's stack grows by page faults and may end
 * at an unmapped page:
 *  - external interrupts on X86_IST_IRQ, the kernel's per-CPU trap stack
 *    (arch_cpu_set_trap_stack);
 *  - every other exception, page faults included, on X86_IST_EXC, the
 *    arch's exception stack (mmu.c);
 *  - #DF, NMI and #MC on stacks of their own, because they can arrive
 *    inside another handler.
 * The CPU switches to an IST stack at its top even when already on it, so
 * a trap must never arrive on the stack it would use while that is in use.
 * Interrupts cannot: every gate clears IF and no handler sets it. An
 * exception inside an interrupt handler (say a page fault of the stack the
 * preemption code writes to) lands on the exception stack and returns. An
 * exception inside an exception handler has overwritten its own outer
 * frame: it is reported, never returned from, on the #DF stack
 * (nested_fault). The arch's stacks and the trap stack have unmapped guard
 * pages below them, so an overflow of any of them is a page fault that
 * names it.
 *
 * Leaf functions of the host's libgcc, which the image links and which is
 * built with the SysV red zone, keep the 128 bytes below their stack
 * pointer: the interrupted stack is never written below it.
 *
 * Interrupt-entry C code is built with -mgeneral-regs-only (arch.mk), so
 * vectors.S saves no SSE state: the interrupted task's XMM registers are
 * still live when the handler returns. A task that is preempted saves them
 * itself, on its own stack, in x86_preempt_trampoline (switch.S).
 */
#include <stddef.h>
#include <string.h>

#include <arch.h>
#include <arch/x86.h>
#include <drivers/lapic.h>
#include <kernel/ksym.h>
#include <kernel/mm.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include "x86_64.h"

_Static_assert(offsetof(struct trap_frame, rax) == 14 * 8, "vectors.S pushes rax first");
_Static_assert(offsetof(struct trap_frame, r15) == 0, "vectors.S pushes r15 last");
_Static_assert(offsetof(struct trap_frame, vector) == 15 * 8, "vectors.S: vector above rax");
_Static_assert(offsetof(struct trap_frame, error) == 16 * 8, "vectors.S: error above vector");
_Static_assert(offsetof(struct trap_frame, rip) == 17 * 8, "the CPU's frame starts at rip");
_Static_assert(sizeof(struct trap_frame) == TRAP_FRAME_SIZE, "vectors.S keeps rsp aligned");

/* An IDT gate descriptor (SDM vol. 3 §6.14.1). */
struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type; /* P, DPL, type: 0x8e is a present DPL-0 interrupt gate */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gates are 16 bytes");

static struct idt_gate idt[256] __attribute__((aligned(16)));

/* Exception vectors (SDM vol. 3 Table 6-1). */
enum {
	X86_DE = 0,
	X86_DB = 1,
	X86_NMI = 2,
	X86_BP = 3,
	X86_OF = 4,
	X86_BR = 5,
	X86_UD = 6,
	X86_NM = 7,
	X86_DF = 8,
	X86_TS = 10,
	X86_NP = 11,
	X86_SS = 12,
	X86_GP = 13,
	X86_PF = 14,
	X86_MF = 16,
	X86_AC = 17,
	X86_MC = 18,
	X86_XM = 19,
	X86_VE = 20,
	X86_CP = 21,
};

static unsigned int vector_ist(unsigned int v)
{
	switch (v) {
	case X86_DF:
		return X86_IST_DF;
	case X86_NMI:
		return X86_IST_NMI;
	case X86_MC:
		return X86_IST_MC;
	default:
		return v < 32 ? X86_IST_EXC : X86_IST_IRQ;
	}
}

void x86_idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uintptr_t)idt };

	__asm__ __volatile__("lidt %0" : : "m"(idtr));
}

void x86_idt_init(void)
{
	for (unsigned int v = 0; v < 256; v++) {
		uintptr_t stub = (uintptr_t)x86_vector_stubs + v * X86_VECTOR_STUB_SIZE;

		idt[v] = (struct idt_gate){
			.offset_lo = (uint16_t)stub,
			.selector = X86_KERNEL_CS,
			.ist = (uint8_t)vector_ist(v),
			.type = 0x8e,
			.offset_mid = (uint16_t)(stub >> 16),
			.offset_hi = (uint32_t)(stub >> 32),
		};
	}
	x86_idt_load();
}

/* ---- decoding a fault ---- */

extern const char __executable_start[], __text_start[], __etext[];

static uint64_t gpr(const struct trap_frame *tf, unsigned int n)
{
	const uint64_t regs[16] = { tf->rax, tf->rcx, tf->rdx, tf->rbx, tf->rsp, tf->rbp,
				    tf->rsi, tf->rdi, tf->r8,  tf->r9,	tf->r10, tf->r11,
				    tf->r12, tf->r13, tf->r14, tf->r15 };

	return regs[n & 15];
}

static bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/*
 * The memory address that the instruction at tf->rip uses, for a #GP or #SS
 * that reports none: the CPU raises those, not #PF, for a non-canonical
 * address. Decodes the ModRM/SIB forms of the common one- and two-byte
 * opcodes and the moffs forms of mov (SDM vol. 2 §2.1); returns false for
 * anything else, for RIP- and FS/GS-relative forms, and for code outside
 * the image.
 */
static bool fault_operand(const struct trap_frame *tf, uint64_t *ea)
{
	const uint8_t *p = (const uint8_t *)tf->rip;
	unsigned int rex = 0;

	if (tf->rip < (uintptr_t)__executable_start || tf->rip + 16 > (uintptr_t)__etext)
		return false;
	for (int i = 0; i < 4; i++, p++) {
		if (*p == 0x64 || *p == 0x65 || *p == 0x67)
			return false; /* FS/GS base, 32-bit addressing */
		if (*p != 0x26 && *p != 0x2e && *p != 0x36 && *p != 0x3e && *p != 0x66 &&
		    *p != 0xf0 && *p != 0xf2 && *p != 0xf3)
			break;
	}
	if ((*p & 0xf0) == 0x40)
		rex = *p++;
	if (*p == 0x0f) {
		p++;
		/* Two-byte opcodes without ModRM: jcc, bswap, system instructions. */
		if ((*p >= 0x80 && *p <= 0x8f) || (*p >= 0xc8 && *p <= 0xcf) || *p == 0x05 ||
		    *p == 0x06 || *p == 0x07 || *p == 0x08 || *p == 0x09 || *p == 0x0b ||
		    (*p >= 0x30 && *p <= 0x37) || *p == 0xa0 || *p == 0xa1 || *p == 0xa2 ||
		    *p == 0xa8 || *p == 0xa9 || *p == 0x0f || *p == 0x38 || *p == 0x3a)
			return false;
		p++;
	} else if (*p >= 0xa0 && *p <= 0xa3) {
		/* mov between rAX and a 64-bit absolute address (moffs64) */
		uint64_t a = 0;

		for (int i = 8; i >= 1; i--)
			a = a << 8 | p[i];
		*ea = a;
		return true;
	} else {
		uint8_t op = *p++;
		bool modrm = (op < 0x40 && (op & 7) < 4) || op == 0x63 || op == 0x69 ||
			     op == 0x6b || (op >= 0x80 && op <= 0x8f && op != 0x8d) || op == 0xc0 ||
			     op == 0xc1 || op == 0xc6 || op == 0xc7 || (op >= 0xd0 && op <= 0xd3) ||
			     op == 0xf6 || op == 0xf7 || op == 0xfe || op == 0xff;

		if (!modrm)
			return false;
	}

	unsigned int mod = *p >> 6, rm = *p & 7;
	uint64_t addr = 0;

	p++;
	if (mod == 3)
		return false; /* a register operand */
	if (rm == 4) {
		unsigned int sib = *p++;
		unsigned int index = ((sib >> 3) & 7) | ((rex & 2) << 2);
		unsigned int base = (sib & 7) | ((rex & 1) << 3);

		if (index != 4)
			addr += gpr(tf, index) << (sib >> 6);
		if ((base & 7) == 5 && mod == 0) {
			addr += (uint64_t)(int64_t)(int32_t)(p[0] | p[1] << 8 | p[2] << 16 |
							     (uint32_t)p[3] << 24);
			p += 4;
		} else {
			addr += gpr(tf, base);
		}
	} else if (rm == 5 && mod == 0) {
		return false; /* RIP-relative: always near the image */
	} else {
		addr += gpr(tf, rm | ((rex & 1) << 3));
	}
	if (mod == 1)
		addr += (uint64_t)(int64_t)(int8_t)p[0];
	else if (mod == 2)
		addr += (uint64_t)(int64_t)(int32_t)(p[0] | p[1] << 8 | p[2] << 16 |
						     (uint32_t)p[3] << 24);
	*ea = addr;
	return true;
}

/* Page-fault error code bits (SDM vol. 3 §4.7). */
#define PF_PRESENT (1u << 0)
#define PF_WRITE (1u << 1)
#define PF_RSVD (1u << 3)
#define PF_FETCH (1u << 4)
#define PF_PK (1u << 5)

static const char *page_fault_cause(uint64_t err)
{
	bool present = err & PF_PRESENT, write = err & PF_WRITE, fetch = err & PF_FETCH;

	if (err & PF_RSVD)
		return "page fault: reserved bit set in a page-table entry";
	if (err & PF_PK)
		return "page fault: protection-key violation";
	if (fetch)
		return present ? "page fault: instruction fetch from non-executable memory" :
				 "page fault: execute of an unmapped address";
	if (write)
		return present ? "page fault: write to read-only memory" :
				 "page fault: write to an unmapped address";
	return present ? "page fault: read of a protected page" :
			 "page fault: read of an unmapped address";
}

static const char *const exception_names[32] = {
	[X86_DE] = "integer divide by zero",
	[X86_DB] = "debug exception",
	[X86_NMI] = "non-maskable interrupt",
	[X86_BP] = "breakpoint",
	[X86_OF] = "overflow (into)",
	[X86_BR] = "bound range exceeded",
	[X86_UD] = "illegal instruction",
	[X86_NM] = "FPU not available",
	[X86_DF] = "double fault",
	[9] = "coprocessor segment overrun",
	[X86_TS] = "invalid TSS",
	[X86_NP] = "segment not present",
	[X86_SS] = "stack-segment fault",
	[X86_GP] = "general protection fault",
	[X86_PF] = "page fault",
	[X86_MF] = "x87 floating-point exception",
	[X86_AC] = "misaligned access (alignment check)",
	[X86_MC] = "machine check",
	[X86_XM] = "SIMD floating-point exception",
	[X86_VE] = "virtualization exception",
	[X86_CP] = "control-protection exception",
	[28] = "hypervisor injection exception",
	[29] = "VMM communication exception",
	[30] = "security exception",
};

/*
 * Backtraces follow the rbp chain, which misses the caller of a function
 * that has no frame record at the faulting instruction: one that has not
 * run its prologue yet, or that gcc built without one (a leaf that never
 * returns, such as a __builtin_trap()), or a call to data, which never
 * runs at all (a W^X fault). For such a fatal fault, when [rsp]
 * is a return address from a call to this very function, write the missing
 * record {rbp, return address} just below rsp and start the walk there.
 * The interrupted stack is dead, so writing to it is harmless.
 */
static const struct trap_frame *fatal_tf;
static uintptr_t fatal_fp;

static bool in_text(uintptr_t a)
{
	return a >= (uintptr_t)__text_start && a < (uintptr_t)__etext;
}

/* Whether `ret` follows a direct call to `fn`, or an indirect call. */
static bool returns_from_call_to(uintptr_t ret, uintptr_t fn)
{
	const uint8_t *p = (const uint8_t *)ret;
	int32_t rel;

	if (!in_text(ret - 6) || !in_text(ret))
		return false;
	if (p[-5] == 0xe8) {
		memcpy(&rel, p - 4, sizeof(rel));
		return ret + (uintptr_t)(intptr_t)rel == fn;
	}
	/* Indirect calls, FF /2 (SDM vol. 2 "CALL"): through a register, or
	 * through memory at [reg], [reg + disp8] or [reg + disp32], without
	 * or with a SIB byte. */
	return (p[-2] == 0xff && (p[-1] & 0xf8) == 0xd0) ||
	       (p[-2] == 0xff && (p[-1] & 0xf8) == 0x10 && (p[-1] & 7) != 4 && (p[-1] & 7) != 5) ||
	       (p[-3] == 0xff && (p[-2] & 0xf8) == 0x50 && (p[-2] & 7) != 4) ||
	       (p[-4] == 0xff && p[-3] == 0x54) ||
	       (p[-6] == 0xff && (p[-5] & 0xf8) == 0x90 && (p[-5] & 7) != 4);
}

static bool stack_writable(uintptr_t a)
{
	uint64_t size;

	return (x86_mmu_lookup(a, &size) & (PTE_P | PTE_W)) == (PTE_P | PTE_W);
}

/* When [rsp] returns from a call to `fn`, write {rbp, [rsp]} below rsp
 * and start the walk there. */
static void frame_below_sp(const struct trap_frame *tf, uintptr_t fn)
{
	uintptr_t *sp = (uintptr_t *)tf->rsp;

	if ((tf->rsp & 7) || !stack_writable(tf->rsp - 8) || !stack_writable(tf->rsp) ||
	    !returns_from_call_to(sp[0], fn))
		return;
	sp[-1] = tf->rbp;
	fatal_fp = tf->rsp - 8;
	fatal_tf = tf;
}

static void fault_frame(const struct trap_frame *tf)
{
	uintptr_t off, fn;

	/* A call to data or through a wild pointer: the caller is at [rsp]. */
	if (!in_text(tf->rip)) {
		frame_below_sp(tf, tf->rip);
		return;
	}
	if (!ksym_lookup(tf->rip, &off))
		return;
	fn = tf->rip - off;

	const uint8_t *p = (const uint8_t *)fn;
	bool push_rbp = p[0] == 0x55; /* push %rbp */
	bool framed = push_rbp && p[1] == 0x48 && p[2] == 0x89 && p[3] == 0xe5; /* mov %rsp,%rbp */

	if (framed && off >= 4)
		return; /* rbp is this function's frame */
	if (push_rbp && off == 1) {
		fatal_fp = tf->rsp; /* [rsp] = the caller's rbp, [rsp + 8] = return address */
		fatal_tf = tf;
	} else if (off == 0 || !push_rbp) {
		frame_below_sp(tf, fn);
	}
}

/* The words for exception tf->vector; `cause` holds them when they need
 * formatting. cr2 is the page-fault address. */
static void describe(const struct trap_frame *tf, uint64_t cr2, struct fault_info *fi, char *cause,
		     size_t size)
{
	unsigned int v = (unsigned int)tf->vector;
	const char *name = exception_names[v] ? exception_names[v] : "reserved exception";
	uint64_t ea;

	*fi = (struct fault_info){ .cause = name };
	switch (v) {
	case X86_PF:
		fi->cause = page_fault_cause(tf->error);
		fi->addr = cr2;
		fi->has_addr = true;
		break;
	case X86_GP:
	case X86_SS:
		if (tf->error == 0 && fault_operand(tf, &ea) && !canonical(ea)) {
			ksnprintf(cause, size, "%s: non-canonical address", name);
			fi->cause = cause;
			fi->addr = ea;
			fi->has_addr = true;
			break;
		}
		/* fall through */
	case X86_TS:
	case X86_NP:
	case X86_CP:
		if (tf->error) {
			ksnprintf(cause, size, "%s (error code 0x%llx)", name,
				  (unsigned long long)tf->error);
			fi->cause = cause;
		}
		break;
	}
}

static __noreturn void fault(struct trap_frame *tf, uint64_t cr2)
{
	struct fault_info fi;
	char cause[96];

	describe(tf, cr2, &fi, cause, sizeof(cause));
	fault_frame(tf);
	kernel_fault(tf, &fi);
}

/* An overflow of a stack whose guard [guard_lo, lo) holds the fault
 * address: what overflowed is `what`. */
static __noreturn void stack_overflow(struct trap_frame *tf, uint64_t cr2, const char *what)
{
	struct fault_info fi = { .addr = cr2, .has_addr = true };
	char cause[96];

	ksnprintf(cause, sizeof(cause), "%s overflow on CPU %u", what,
		  (unsigned int)(x86_this_percpu() - x86_percpus));
	fi.cause = cause;
	kernel_fault(tf, &fi);
}

struct nested {
	struct trap_frame *tf;
	uint64_t cr2;
};

/* An exception taken on the exception stack, reported from the #DF stack
 * so as not to overwrite the frames the backtrace walks. */
static void nested_fault(void *arg)
{
	const struct nested *n = arg;
	struct x86_percpu *pc = x86_this_percpu();
	struct fault_info fi;
	char cause[96], both[160];

	if (n->tf->vector == X86_PF && n->cr2 >= pc->exc_lo - PAGE_SIZE && n->cr2 < pc->exc_lo)
		stack_overflow(n->tf, n->cr2, "exception stack");
	describe(n->tf, n->cr2, &fi, cause, sizeof(cause));
	ksnprintf(both, sizeof(both), "%s, while handling an exception", fi.cause);
	fi.cause = both;
	kernel_fault(n->tf, &fi);
}

/*
 * A page fault: a missing page goes to the kernel (a task's stack grows),
 * except the guard of the trap stack, which has overflowed. Returns true
 * when the access is to be retried.
 */
static bool page_fault(struct trap_frame *tf, uint64_t cr2)
{
	struct x86_percpu *pc = x86_this_percpu();

	if (tf->error & (PF_PRESENT | PF_RSVD))
		return false; /* permissions: fatal */
	if (pc->trap_lo && cr2 >= pc->trap_guard_lo && cr2 < pc->trap_lo)
		stack_overflow(tf, cr2, "trap stack");
	return kernel_page_fault(tf, cr2, tf->error & PF_WRITE, tf->error & PF_FETCH);
}

static void exception(struct trap_frame *tf)
{
	unsigned int v = (unsigned int)tf->vector;
	uint64_t cr2 = v == X86_PF ? x86_read_cr2() : 0;
	struct x86_percpu *pc = x86_this_percpu();

	if (vector_ist(v) == X86_IST_EXC && tf->rsp >= pc->exc_lo - PAGE_SIZE &&
	    tf->rsp < pc->exc_hi) {
		struct nested n = { tf, cr2 };

		x86_call_on_stack(nested_fault, &n, pc->ist_top[X86_IST_DF - 1]);
	}
	if (v == X86_PF && page_fault(tf, cr2))
		return;
	fault(tf, cr2);
}

/*
 * Make the interrupted task call x86_preempt_trampoline (switch.S) when
 * iretq returns to it: push the interrupted rip on the task's own stack,
 * below the 128-byte red zone that leaf functions of the host's libgcc may
 * be using, and resume there instead. The trampoline saves everything,
 * calls kernel_preempt() and returns to the interrupted rip with `ret
 * $128`. The task's stack is written from the handler, which is fine: it
 * is the stack the task would push onto next anyway.
 */
static void preempt_inject(struct trap_frame *tf)
{
	uint64_t *sp = (uint64_t *)(tf->rsp - 128 - 8);
	uint64_t size;

	/* The task's stack may not reach that far down yet: grow it here, as
	 * the task's own push would have, rather than fault in this handler.
	 * If the kernel declines, the write below faults and is reported. */
	if (!(x86_mmu_lookup((uintptr_t)sp, &size) & PTE_P))
		kernel_page_fault(tf, (uintptr_t)sp, true, false);
	*sp = tf->rip;
	tf->rsp = (uintptr_t)sp;
	tf->rip = (uintptr_t)x86_preempt_trampoline;
}

void x86_trap(struct trap_frame *tf)
{
	unsigned int v = (unsigned int)tf->vector;
	struct x86_percpu *pc = x86_this_percpu();

	/* Taken in HLT: catch up on the shootdowns skipped meanwhile. */
	if (__atomic_load_n(&pc->tlb_state, __ATOMIC_RELAXED) != X86_TLB_RUNNING)
		x86_tlb_wakeup(pc);

	if (v < 32) {
		exception(tf);
		return;
	}
	if (v == X86_VEC_SPURIOUS)
		return; /* a spurious interrupt takes no EOI (SDM vol. 3 §10.9) */
	if (v == X86_VEC_TIMER)
		x86_timer_irq();
	else if (v == X86_VEC_IPI)
		kernel_ipi();
	else if (v == X86_VEC_SHOOTDOWN)
		x86_tlb_shootdown_serve();
	else
		kernel_irq(v);
	lapic_eoi();
	/* Everything runs in ring 0, so every interrupt comes from kernel or
	 * task code; the scheduler decides whether that was a task it may
	 * preempt (interrupts were on, no lock held, a G was running). */
	if (sched_preempt_on_irq_exit(tf->rflags & X86_RFLAGS_IF))
		preempt_inject(tf);
}

/* ---- frames ---- */

uintptr_t arch_frame_pc(const struct trap_frame *tf)
{
	return tf->rip;
}

uintptr_t arch_frame_fp(const struct trap_frame *tf)
{
	return tf == fatal_tf && fatal_fp ? fatal_fp : tf->rbp;
}

void arch_frame_dump(const struct trap_frame *tf)
{
	const struct {
		const char *name;
		uint64_t v;
	} regs[] = {
		{ "rax", tf->rax },	{ "rbx", tf->rbx },	   { "rcx", tf->rcx },
		{ "rdx", tf->rdx },	{ "rsi", tf->rsi },	   { "rdi", tf->rdi },
		{ "rbp", tf->rbp },	{ "rsp", tf->rsp },	   { "r8", tf->r8 },
		{ "r9", tf->r9 },	{ "r10", tf->r10 },	   { "r11", tf->r11 },
		{ "r12", tf->r12 },	{ "r13", tf->r13 },	   { "r14", tf->r14 },
		{ "r15", tf->r15 },	{ "rip", tf->rip },	   { "rflags", tf->rflags },
		{ "error", tf->error }, { "cr2", x86_read_cr2() },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(regs); i++)
		printk("  %-6s %016llx%s", regs[i].name, (unsigned long long)regs[i].v,
		       i % 4 == 3 || i + 1 == ARRAY_SIZE(regs) ? "\n" : "");
}

/* x86-64 frame: [fp] = caller's fp, [fp + 8] = return address. */
bool arch_frame_next(uintptr_t *fp, uintptr_t *pc, uintptr_t lo, uintptr_t hi)
{
	uintptr_t f = *fp;

	if (!f || (f & 7) || f < lo || f + 16 > hi)
		return false;
	*pc = ((uintptr_t *)f)[1];
	*fp = ((uintptr_t *)f)[0];
	return true;
}

/* ---- for the trap-stack overflow test ---- */

static void (*volatile overflow_next)(void *);

static void overflow_recurse(void *arg)
{
	volatile char pad[256];

	pad[0] = 1;
	overflow_next(arg);
	pad[1] = pad[0];
}

/* Run, as an interrupt handler does, on this CPU's trap stack, and recurse
 * until it overflows into its guard: page_fault reports it. */
void arch_debug_trap_stack_overflow(void)
{
	struct x86_percpu *pc;

	arch_irq_disable();
	pc = x86_this_percpu();
	if (!pc->trap_lo)
		panic("arch_debug_trap_stack_overflow: CPU %u has no trap stack",
		      (unsigned int)(pc - x86_percpus));
	overflow_next = overflow_recurse;
	x86_call_on_stack(overflow_recurse, NULL, pc->trap_hi);
	panic("arch_debug_trap_stack_overflow: the trap stack did not overflow");
}
