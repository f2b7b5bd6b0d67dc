/* SPDX-License-Identifier: MIT */
/*
 * Device interrupt handlers, by the irqchip's interrupt number.
 *
 * A line has either one exclusive handler (irq_register) or any number of
 * shared ones (irq_register_shared), which kernel_irq() calls in the order
 * they were added: level-triggered lines such as PCI INTx may be wired to
 * several devices, and each handler checks its own device's status.
 * Handlers are never removed.
 */
#ifndef WEFT_KERNEL_IRQ_H
#define WEFT_KERNEL_IRQ_H

#define IRQ_MAX 1024

/* Shared handlers across all lines, beyond the first one of each line. */
#define IRQ_SHARED_MAX 64

typedef void (*irq_handler_t)(unsigned int irq, void *arg);

/* Call `fn(irq, arg)` from interrupt context when `irq` arrives. Returns 0,
 * -EINVAL for a number out of range, or -EBUSY if it already has a handler.
 * Task context (or boot, before interrupts are on). */
int irq_register(unsigned int irq, irq_handler_t fn, void *arg);

/* Add `fn(irq, arg)` to the handlers of `irq`, which other shared handlers
 * may use too. Returns 0, -EINVAL for a number out of range, -EBUSY if the
 * line has an exclusive handler, or -ENOMEM when IRQ_SHARED_MAX handlers
 * share lines already. Task context; the handler may run before this
 * returns, if the line is enabled. */
int irq_register_shared(unsigned int irq, irq_handler_t fn, void *arg);

/* Number of handlers of `irq` (0 when it has none). */
unsigned int irq_handler_count(unsigned int irq);

#endif
