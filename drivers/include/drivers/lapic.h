/* SPDX-License-Identifier: MIT */
/*
 * The local APIC (Intel SDM vol. 3 ch. 10 and 11.x; one per CPU): its id,
 * end of interrupt, interprocessor interrupts and its timer. It is used in
 * whichever mode the firmware left it, xAPIC (registers in MMIO) or x2APIC
 * (registers in MSRs).
 * Every function acts on the local APIC of the calling CPU.
 */
#ifndef WEFT_DRIVERS_LAPIC_H
#define WEFT_DRIVERS_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include <kernel/types.h>

/* The local APIC timer counts the bus clock divided by this. */
#define LAPIC_TIMER_DIVIDER 16

/* Physical address of the xAPIC registers (IA32_APIC_BASE), which must be
 * mapped uncached before lapic_init; 0 in x2APIC mode. */
paddr_t lapic_mmio_base(void);

/* Enable this CPU's local APIC with `spurious_vector`, accept every
 * priority, and mask the timer and error interrupts. Interrupts disabled. */
void lapic_init(uint8_t spurious_vector);

/* This CPU's APIC id (32 bits in x2APIC mode, 8 in xAPIC mode). */
uint32_t lapic_id(void);

/* Signal the end of the interrupt being handled. Interrupt context. */
void lapic_eoi(void);

/* Send INIT to the CPU with APIC id `apic_id`: it stops and waits,
 * halted, for a start-up IPI (SDM vol. 3 §8.4.4). Only this INIT is sent,
 * never the level de-assert that CPUs before the Pentium 4 needed. */
void lapic_send_init(uint32_t apic_id);

/* Send a start-up IPI: a CPU waiting after INIT starts in real mode at
 * physical address page << 12 (SDM vol. 3 §8.4.4.1). A running CPU ignores
 * it. */
void lapic_send_startup(uint32_t apic_id, uint8_t page);

/* Send interrupt `vector` to the CPU with APIC id `apic_id`. The caller
 * keeps interrupts disabled: in xAPIC mode the ICR takes two writes, which
 * an interrupt handler sending an IPI of its own must not split. */
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);

/* Point the timer at `vector`, masked, in TSC-deadline mode (armed by
 * writing IA32_TSC_DEADLINE, SDM vol. 3 §10.5.4.1) or in one-shot mode. */
void lapic_timer_init(uint8_t vector, bool tsc_deadline);

/* One-shot mode: interrupt after `count` ticks of the divided bus clock
 * (0 stops the timer). Unmasks the timer. */
void lapic_timer_oneshot(uint32_t count);

/* TSC-deadline mode: interrupt once the TSC reaches `tsc` (0 disarms). */
void lapic_timer_deadline(uint64_t tsc);

/* Ticks left in the current one-shot count. */
uint32_t lapic_timer_current(void);

#endif
