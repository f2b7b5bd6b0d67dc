// SPDX-License-Identifier: MIT
/*
 * hosted: CPU exceptions are signals. SIGSEGV, SIGBUS, SIGILL and SIGFPE run
 * on an alternate signal stack (so that a blown stack can still be reported)
 * and become kernel_fault() with the registers from the ucontext.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include <arch.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include "hosted.h"

struct trap_frame {
	ucontext_t *uc;
};

#define ALTSTACK_SIZE (64 * 1024)

static const char *fault_cause(int sig, int code, const ucontext_t *uc)
{
	switch (sig) {
	case SIGSEGV: {
		/* #GP (a non-canonical address, a privileged instruction) comes
		 * from the kernel with no fault address. */
		if (code == SI_KERNEL)
			return "general protection fault";
		greg_t err = uc->uc_mcontext.gregs[REG_ERR];
		bool write = (err & 2) != 0;

		/* The x86 page-fault error code: bit 1 write, bit 4 fetch. */
		if (code == SEGV_ACCERR && (err & 16))
			return "page fault: instruction fetch from non-executable memory";
		if (code == SEGV_ACCERR)
			return write ? "page fault: write to read-only memory" :
				       "page fault: read of protected memory";
		return write ? "page fault: write to an unmapped address" :
			       "page fault: read of an unmapped address";
	}
	case SIGBUS:
		return code == BUS_ADRALN ? "misaligned access" : "bus error";
	case SIGILL:
		return "illegal instruction";
	case SIGFPE:
		return code == FPE_INTDIV ? "integer divide by zero" : "arithmetic exception";
	case SIGTRAP:
		return "breakpoint";
	default:
		return "unexpected signal";
	}
}

/* This thread's trap stack (its sigaltstack), to catch its overflow. */
static __thread uintptr_t trap_lo, trap_hi;

/* A signal frame with the full x86 state takes a few KiB; below this much
 * room, a nested trap would run into the guard page, where the host kills
 * the process without a word. */
#define TRAP_STACK_MARGIN (8 * 1024)

static __thread bool debug_overflow;

static void fault_signal(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct trap_frame tf = { uc };
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

	if (sp >= trap_lo && sp < trap_lo + TRAP_STACK_MARGIN) {
		hosted_irq.disabled = 1;
		panic_at(
			&tf,
			"cpu %u: trap stack overflow (nested traps reached %p, the stack is %p-%p)",
			arch_cpu_self() ? arch_cpu_self()->idx : 0, (void *)sp, (void *)trap_lo,
			(void *)trap_hi);
	}
	if (sig == SIGTRAP && debug_overflow)
		__asm__ volatile(
			"int3"); /* arch_debug_trap_stack_overflow: nest until the margin */

	uintptr_t addr = (uintptr_t)si->si_addr;
	greg_t err = uc->uc_mcontext.gregs[REG_ERR];

	if (sig == SIGSEGV && si->si_code != SI_KERNEL && hosted_in_stack_region(addr)) {
		int was = hosted_irq.disabled;
		bool handled;

		hosted_irq.disabled = 1;
		handled = kernel_page_fault(&tf, addr, err & 2, err & 16);
		hosted_irq.disabled = was;
		if (handled)
			return;
	}

	struct fault_info fi = {
		.cause = fault_cause(sig, si->si_code, uc),
		.addr = (uintptr_t)si->si_addr,
		.has_addr = (sig == SIGSEGV || sig == SIGBUS) && si->si_code != SI_KERNEL,
	};

	hosted_irq.disabled = 1;
	kernel_fault(&tf, &fi);
}

void arch_cpu_set_trap_stack(uintptr_t lo, uintptr_t top)
{
	stack_t ss = { .ss_sp = (void *)lo, .ss_size = top - lo };

	if (sigaltstack(&ss, NULL) < 0)
		panic("hosted: sigaltstack failed");
	trap_lo = lo;
	trap_hi = top;
}

void arch_debug_trap_stack_overflow(void)
{
	debug_overflow = true;
	__asm__ volatile("int3");
	panic("arch_debug_trap_stack_overflow: the trap returned");
}

void hosted_trap_init(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
	/* Per thread: every CPU thread takes its own faults, on this stack
	 * until the kernel gives it a guarded one (arch_cpu_set_trap_stack). */
	static __thread char altstack[ALTSTACK_SIZE] __attribute__((aligned(16)));
	stack_t ss = { .ss_sp = altstack, .ss_size = ALTSTACK_SIZE };
	struct sigaction sa;

	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_signal;
	/* SA_NODEFER: a fault inside the handler (a nested trap) is taken,
	 * not left pending forever. */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, HOSTED_SIG_TIMER);
	sigaddset(&sa.sa_mask, HOSTED_SIG_IPI);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

uintptr_t arch_frame_pc(const struct trap_frame *tf)
{
	return (uintptr_t)tf->uc->uc_mcontext.gregs[REG_RIP];
}

uintptr_t arch_frame_fp(const struct trap_frame *tf)
{
	return (uintptr_t)tf->uc->uc_mcontext.gregs[REG_RBP];
}

void arch_frame_dump(const struct trap_frame *tf)
{
	static const struct {
		const char *name;
		int reg;
	} regs[] = {
		{ "rax", REG_RAX }, { "rbx", REG_RBX },	   { "rcx", REG_RCX }, { "rdx", REG_RDX },
		{ "rsi", REG_RSI }, { "rdi", REG_RDI },	   { "rbp", REG_RBP }, { "rsp", REG_RSP },
		{ "r8", REG_R8 },   { "r9", REG_R9 },	   { "r10", REG_R10 }, { "r11", REG_R11 },
		{ "r12", REG_R12 }, { "r13", REG_R13 },	   { "r14", REG_R14 }, { "r15", REG_R15 },
		{ "rip", REG_RIP }, { "rflags", REG_EFL },
	};
	const greg_t *g = tf->uc->uc_mcontext.gregs;

	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		printk("  %-6s %016llx%s", regs[i].name, (unsigned long long)g[regs[i].reg],
		       i % 4 == 3 || i + 1 == sizeof(regs) / sizeof(regs[0]) ? "\n" : "");
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
