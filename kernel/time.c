// SPDX-License-Identifier: MIT
/* Monotonic time, and a halting sleep on the CPU's one-shot timer. */
#include <arch.h>
#include <kernel/sched.h>
#include <kernel/time.h>

static uint64_t boot_cycles;
static uint64_t cycles_hz;
static uint64_t irq_count;
static uint64_t timer_fired;

void time_init(void)
{
	cycles_hz = arch_cycles_hz();
	boot_cycles = arch_cycles();
}

uint64_t time_cycles_to_ns(uint64_t cycles)
{
	return (uint64_t)((unsigned __int128)cycles * NSEC_PER_SEC / cycles_hz);
}

uint64_t time_ns_to_cycles(uint64_t ns)
{
	/* Round up, so that a deadline is never early. */
	return (uint64_t)(((unsigned __int128)ns * cycles_hz + NSEC_PER_SEC - 1) / NSEC_PER_SEC);
}

uint64_t now_ns(void)
{
	return time_cycles_to_ns(arch_cycles() - boot_cycles);
}

uint64_t time_irq_count(void)
{
	return __atomic_load_n(&irq_count, __ATOMIC_RELAXED);
}

uint64_t time_deadline_cycles(uint64_t ns)
{
	return boot_cycles + time_ns_to_cycles(ns);
}

void kernel_timer_tick(void)
{
	__atomic_fetch_add(&irq_count, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&timer_fired, 1, __ATOMIC_RELEASE);
	sched_timer_tick();
}

void time_sleep_irq(uint64_t ns)
{
	uint64_t deadline = arch_cycles() + time_ns_to_cycles(ns);
	unsigned long flags = arch_irq_save();

	while (arch_cycles() < deadline) {
		__atomic_store_n(&timer_fired, 0, __ATOMIC_RELAXED);
		arch_timer_set_deadline(deadline);
		while (!__atomic_load_n(&timer_fired, __ATOMIC_ACQUIRE))
			arch_cpu_wait_irq();
	}
	arch_timer_cancel();
	arch_irq_restore(flags);
}
