/* SPDX-License-Identifier: MIT */
/* Device interrupt handlers, by the irqchip's interrupt number. */
#ifndef WEFT_KERNEL_IRQ_H
#define WEFT_KERNEL_IRQ_H

#define IRQ_MAX 1024

typedef void (*irq_handler_t)(unsigned int irq, void *arg);

/* Call `fn(irq, arg)` from interrupt context when `irq` arrives. Returns 0,
 * -EINVAL for a number out of range, or -EBUSY if it already has a handler. */
int irq_register(unsigned int irq, irq_handler_t fn, void *arg);

#endif
