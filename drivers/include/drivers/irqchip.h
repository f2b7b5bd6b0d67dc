/* SPDX-License-Identifier: MIT */
/*
 * Interrupt controllers (PLIC, GICv2, GICv3, LAPIC/IOAPIC). Which one a
 * machine has is found at run time, so the driver registers an ops table.
 * Interrupt numbers are the controller's own (GIC INTIDs, PLIC sources,
 * x86 vectors).
 */
#ifndef WEFT_DRIVERS_IRQCHIP_H
#define WEFT_DRIVERS_IRQCHIP_H

#include <stdbool.h>
#include <stdint.h>

struct irqchip {
	const char *name;
	/* Per-CPU setup (CPU interface, redistributor); called on each CPU. */
	void (*init_cpu)(void);
	/* Unmask / mask interrupt `irq`, routed to this CPU. */
	void (*enable)(unsigned int irq);
	void (*disable)(unsigned int irq);
	/* Acknowledge the highest-priority pending interrupt: its number, or
	 * IRQCHIP_SPURIOUS if none. */
	unsigned int (*claim)(void);
	/* Signal the end of handling `irq` (EOI). */
	void (*complete)(unsigned int irq);
	/* Raise software interrupt `irq` (a GIC SGI) on the CPU with hardware
	 * id `hwid` (MPIDR affinity on Arm), once that CPU ran init_cpu.
	 * Earlier memory writes are visible to the target when it takes the
	 * interrupt. From any context. NULL when the chip has no IPIs (the
	 * arch then uses its firmware's). */
	void (*send_ipi)(unsigned int irq, uint64_t hwid);
};

#define IRQCHIP_SPURIOUS 0xffffffffu

/* The machine's interrupt controller, once registered. */
extern const struct irqchip *irqchip;

void irqchip_register(const struct irqchip *chip);

/* irqchip->send_ipi, if there is a chip that can: false when not sent. */
static inline bool irqchip_send_ipi(unsigned int irq, uint64_t hwid)
{
	if (!irqchip || !irqchip->send_ipi)
		return false;
	irqchip->send_ipi(irq, hwid);
	return true;
}

/* Claim and handle every pending interrupt, calling kernel_irq() for each
 * (or `local` first, for interrupts the arch handles itself such as its
 * timer; `local` returns true when it took the interrupt). Interrupt
 * context. */
void irqchip_dispatch(bool (*local)(unsigned int irq));

#endif
