// SPDX-License-Identifier: MIT
/* The monotonic clock and the one-shot timer interrupt. */
#include <weft.h>

#include <arch.h>
#include <kernel/test.h>
#include <kernel/time.h>

TEST(time, monotonic)
{
	uint64_t prev = now_ns();

	for (int i = 0; i < 10000; i++) {
		uint64_t t = now_ns();

		ASSERT_UGE(t, prev);
		prev = t;
	}
	EXPECT_GT(arch_cycles_hz(), 0);
}

TEST(time, conversions_round_trip)
{
	EXPECT_UEQ(time_cycles_to_ns(arch_cycles_hz()), NSEC_PER_SEC);
	EXPECT_UEQ(time_ns_to_cycles(NSEC_PER_SEC), arch_cycles_hz());
	/* A deadline converted from ns is never early. */
	EXPECT_UGE(time_cycles_to_ns(time_ns_to_cycles(1)), 1);
	/* A century of uptime does not overflow. */
	EXPECT_UEQ(time_cycles_to_ns(time_ns_to_cycles(100ull * 365 * 86400 * NSEC_PER_SEC)),
		   100ull * 365 * 86400 * NSEC_PER_SEC);
}

TEST(time, sleep_100ms_through_timer_interrupt)
{
	uint64_t irqs = time_irq_count();
	uint64_t t0 = now_ns();

	sleep_ns(100 * NSEC_PER_MSEC);
	uint64_t dt = now_ns() - t0;

	EXPECT_UGE(dt, 100 * NSEC_PER_MSEC);
	/* The sleeper was woken by a timer interrupt, not by polling. */
	EXPECT_GT(time_irq_count(), irqs);
	EXPECT_TRUE(arch_irq_enabled());
}

TEST(time, sleep_zero_and_short)
{
	uint64_t t0 = now_ns();

	sleep_ns(0);
	sleep_ns(1);
	EXPECT_UGE(now_ns() - t0, 1);
}
