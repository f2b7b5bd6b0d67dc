// SPDX-License-Identifier: MIT
/* hosted: CPU setup, the console on fd 1, interrupt masking, the interrupt
 * signals, and power off. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <arch.h>
#include <kernel/console.h>
#include <kernel/sched.h>
#include "hosted.h"

const char arch_name[] = "hosted";

__thread struct hosted_irq_state hosted_irq = { .disabled = 1 };
unsigned long hosted_fence_word; /* arch_mb() and friends under TSan */

static void stdout_putc(struct console *con, char c)
{
	(void)con;
	while (write(1, &c, 1) < 0)
		;
}

static struct console stdout_console = { .name = "stdout", .putc = stdout_putc };

void arch_console_init(const struct boot_info *bi)
{
	(void)bi;
	console_register(&stdout_console);
}

void arch_cpu_init(const struct boot_info *bi)
{
	(void)bi;
	hosted_trap_init();
	hosted_irq_init();
	hosted_smp_init_boot_cpu();
}

/* ThreadSanitizer delivers asynchronous signals late, from its own code,
 * with a context that is not the interrupted one: there, tasks are
 * preempted only where preemption is re-enabled (preempt_enable). */
#if defined(__SANITIZE_THREAD__)
#define HOSTED_CAN_INJECT 0
#else
#define HOSTED_CAN_INJECT 1
#endif

extern char __executable_start[], __etext[];
extern void hosted_preempt_trampoline(void);

/* Redirect the interrupted thread into hosted_preempt_trampoline, which
 * saves everything and calls kernel_preempt() (Go's asyncPreempt). The
 * interrupted rip goes below the 128-byte red zone, which C code on the
 * host may be using. */
static void inject_preempt(ucontext_t *uc)
{
	greg_t *r = uc->uc_mcontext.gregs;
	uint64_t *sp = (uint64_t *)(r[REG_RSP] - 128 - 8);

	*sp = (uint64_t)r[REG_RIP];
	r[REG_RSP] = (greg_t)sp;
	r[REG_RIP] = (greg_t)hosted_preempt_trampoline;
}

void hosted_irq_dispatch(int bits, ucontext_t *uc)
{
	if (bits & HOSTED_IRQ_TIMER)
		kernel_timer_tick();
	if (bits & HOSTED_IRQ_IPI)
		kernel_ipi();
	if (!uc)
		return;
	/* Only our own code is preempted: the host's C library keeps
	 * per-thread state (stdio locks, errno) that a task must not carry
	 * to another thread half-way through a call. */
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];

	if (HOSTED_CAN_INJECT && pc >= (uintptr_t)__executable_start && pc < (uintptr_t)__etext &&
	    sched_preempt_on_irq_exit(true))
		inject_preempt(uc);
}

static void irq_signal(int sig, siginfo_t *si, void *ucv)
{
	int bit = sig == HOSTED_SIG_TIMER ? HOSTED_IRQ_TIMER : HOSTED_IRQ_IPI;
	int saved_errno = errno; /* the handler makes system calls */

	(void)si;
	if (hosted_irq.disabled) {
		__atomic_fetch_or(&hosted_irq.pending, bit, __ATOMIC_RELAXED);
		return;
	}
	hosted_irq.disabled = 1;
	hosted_irq_dispatch(bit, ucv);
	hosted_irq.disabled = 0;
	errno = saved_errno;
}

void hosted_irq_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = irq_signal;
	/* On the trap stack: a task stack may have nothing mapped below its
	 * stack pointer, and the host cannot fault pages in for us there. */
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	/* The handlers never nest: each masks both interrupt signals. */
	sigaddset(&sa.sa_mask, HOSTED_SIG_TIMER);
	sigaddset(&sa.sa_mask, HOSTED_SIG_IPI);
	sigaction(HOSTED_SIG_TIMER, &sa, NULL);
	sigaction(HOSTED_SIG_IPI, &sa, NULL);
}

void hosted_irq_replay(void)
{
	int bits;

	/* Interrupts stay masked while the handlers run; anything that
	 * arrives meanwhile is pending again and runs on the next turn. */
	while (!hosted_irq.disabled &&
	       (bits = __atomic_exchange_n(&hosted_irq.pending, 0, __ATOMIC_RELAXED))) {
		hosted_irq.disabled = 1;
		hosted_irq_dispatch(bits, NULL);
		hosted_irq.disabled = 0;
	}
}

void arch_cpu_wait_irq(void)
{
	sigset_t block, old;

	/* Block the interrupt signals, then check and wait atomically:
	 * sigsuspend unblocks and sleeps in one step, so a signal that
	 * arrives in between is not lost. */
	sigemptyset(&block);
	sigaddset(&block, HOSTED_SIG_TIMER);
	sigaddset(&block, HOSTED_SIG_IPI);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (!hosted_irq.pending) {
		sigset_t wait = old;

		sigdelset(&wait, HOSTED_SIG_TIMER);
		sigdelset(&wait, HOSTED_SIG_IPI);
		hosted_irq.disabled = 0;
		sigsuspend(&wait);
		hosted_irq.disabled = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	int bits = __atomic_exchange_n(&hosted_irq.pending, 0, __ATOMIC_RELAXED);

	if (bits)
		hosted_irq_dispatch(bits, NULL);
}

void arch_system_off(int status)
{
	fflush(stdout);
#ifdef __SANITIZE_THREAD__
	/* TSan's _exit finalizes, taking its internal locks, which a CPU
	 * stopped by a panic may hold: leave without it (races are reported
	 * when found, not at exit). */
	syscall(SYS_exit_group, status);
#endif
	_exit(status);
}
