// SPDX-License-Identifier: MIT
/* The registered interrupt controller and the claim/handle/complete loop. */
#include <arch.h>
#include <drivers/irqchip.h>

const struct irqchip *irqchip;

void irqchip_register(const struct irqchip *chip)
{
	irqchip = chip;
}

void irqchip_dispatch(bool (*local)(unsigned int irq))
{
	unsigned int irq;

	while ((irq = irqchip->claim()) != IRQCHIP_SPURIOUS) {
		if (!local || !local(irq))
			kernel_irq(irq);
		irqchip->complete(irq);
	}
}
