// SPDX-License-Identifier: MIT
/* hosted: CPU setup, the console on fd 1, interrupt masking and power off. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <arch.h>
#include <kernel/console.h>
#include "hosted.h"

const char arch_name[] = "hosted";

__thread struct hosted_irq_state hosted_irq = { .disabled = 1 };

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
}

void hosted_irq_replay(void)
{
	while (hosted_irq.pending && !hosted_irq.disabled) {
		hosted_irq.pending = 0;
		hosted_irq.disabled = 1;
		hosted_timer_irq();
		hosted_irq.disabled = 0;
	}
}

void arch_cpu_wait_irq(void)
{
	sigset_t block, old;

	/* Block the interrupt signals, then check and wait atomically:
	 * sigsuspend unblocks and sleeps in one step, so that a signal that
	 * arrives in between is not lost. */
	sigemptyset(&block);
	sigaddset(&block, HOSTED_SIG_TIMER);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (!hosted_irq.pending) {
		hosted_irq.disabled = 0;
		sigsuspend(&old);
		hosted_irq.disabled = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	hosted_irq.disabled = 0;
	hosted_irq_replay();
	hosted_irq.disabled = 1;
}

void arch_system_off(int status)
{
	fflush(stdout);
	_exit(status);
}
