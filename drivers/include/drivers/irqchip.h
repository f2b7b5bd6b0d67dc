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
};

#define IRQCHIP_SPURIOUS 0xffffffffu

/* The machine's interrupt controller, once registered. */
extern const struct irqchip *irqchip;

void irqchip_register(const struct irqchip *chip);

/* Claim and handle every pending interrupt, calling kernel_irq() for each
 * (or `local` first, for interrupts the arch handles itself such as its
 * timer; `local` returns true when it took the interrupt). Interrupt
 * context. */
void irqchip_dispatch(bool (*local)(unsigned int irq));

#endif
