// SPDX-License-Identifier: MIT
/*
 * hosted: the clock is CLOCK_MONOTONIC in nanoseconds, and each CPU thread's
 * one-shot timer is a POSIX timer that signals that thread alone
 * (SIGEV_THREAD_ID), standing in for a timer interrupt.
 */
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <arch.h>
#include <kernel/panic.h>
#include "hosted.h"

static __thread timer_t cpu_timer;

uint64_t arch_cycles(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t arch_cycles_hz(void)
{
	return 1000000000ull;
}

void hosted_timer_init_cpu(void)
{
	struct sigevent sev;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = HOSTED_SIG_TIMER;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &cpu_timer) < 0)
		panic("hosted: timer_create failed; no timer interrupt for this CPU");
}

void arch_timer_init(const struct boot_info *bi)
{
	(void)bi;
	hosted_timer_init_cpu();
}

void arch_timer_set_deadline(uint64_t deadline)
{
	struct itimerspec its = { 0 };

	/* A zero it_value would disarm: a deadline in the past fires at once. */
	if (deadline == 0)
		deadline = 1;
	its.it_value.tv_sec = (time_t)(deadline / 1000000000ull);
	its.it_value.tv_nsec = (long)(deadline % 1000000000ull);
	timer_settime(cpu_timer, TIMER_ABSTIME, &its, NULL);
}

void arch_timer_cancel(void)
{
	struct itimerspec its = { 0 };

	timer_settime(cpu_timer, 0, &its, NULL);
}
