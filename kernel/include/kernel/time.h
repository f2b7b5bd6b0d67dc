/* SPDX-License-Identifier: MIT */
/* Monotonic time from the arch counter, and the CPU's one-shot timer. */
#ifndef WEFT_KERNEL_TIME_H
#define WEFT_KERNEL_TIME_H

#include <stdint.h>

#define NSEC_PER_SEC 1000000000ull
#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_USEC 1000ull

/* Nanoseconds since boot; monotonic, on every CPU. */
uint64_t now_ns(void);

/* Conversions between arch counter cycles and nanoseconds (no overflow for
 * centuries of uptime). */
uint64_t time_cycles_to_ns(uint64_t cycles);
uint64_t time_ns_to_cycles(uint64_t ns);

/* The arch counter value at which now_ns() reaches `ns`. */
uint64_t time_deadline_cycles(uint64_t ns);

/* Record the counter value that is time 0. Called once, early, at boot. */
void time_init(void);

/* Number of timer interrupts this boot has taken, on all CPUs. */
uint64_t time_irq_count(void);

/*
 * Wait at least `ns`, halting the CPU until its timer interrupt fires (no
 * busy loop). Only before the scheduler owns the timer; tasks use
 * sleep_ns(). Called with interrupts enabled.
 */
void time_sleep_irq(uint64_t ns);

#endif
