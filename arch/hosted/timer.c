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

/*
 * The clock is the TSC (invariant on the hosts Weft runs on: "constant_tsc
 * nonstop_tsc"), a few cycles to read where the vDSO's clock_gettime takes
 * tens of nanoseconds, and the scheduler reads it on every switch. Its rate
 * is measured against CLOCK_MONOTONIC once at boot; timer deadlines are
 * converted back to CLOCK_MONOTONIC for timer_settime.
 */
static uint64_t tsc_hz, tsc0, mono0;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void tsc_calibrate(void)
{
	uint64_t m0 = mono_ns(), c0 = __builtin_ia32_rdtsc(), m1, c1;

	do {
		m1 = mono_ns();
		c1 = __builtin_ia32_rdtsc();
	} while (m1 - m0 < 20000000); /* 20 ms: a few ppm of error */
	tsc_hz = (uint64_t)((unsigned __int128)(c1 - c0) * 1000000000ull / (m1 - m0));
	tsc0 = c1;
	mono0 = m1;
}

uint64_t arch_cycles(void)
{
	return __builtin_ia32_rdtsc();
}

uint64_t arch_cycles_hz(void)
{
	if (!tsc_hz)
		tsc_calibrate();
	return tsc_hz;
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

void arch_timer_set_deadline(uint64_t deadline_cycles)
{
	struct itimerspec its = { 0 };
	uint64_t deadline = mono0;

	if (deadline_cycles > tsc0)
		deadline += (uint64_t)((unsigned __int128)(deadline_cycles - tsc0) * 1000000000ull /
				       tsc_hz);
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
