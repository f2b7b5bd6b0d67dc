// SPDX-License-Identifier: MIT
/* Device interrupt dispatch. */
#include <errno.h>

#include <arch.h>
#include <kernel/irq.h>
#include <kernel/printk.h>

static struct {
	irq_handler_t fn;
	void *arg;
} handlers[IRQ_MAX];

int irq_register(unsigned int irq, irq_handler_t fn, void *arg)
{
	if (irq >= IRQ_MAX)
		return -EINVAL;
	if (handlers[irq].fn)
		return -EBUSY;
	handlers[irq].arg = arg;
	__atomic_store_n(&handlers[irq].fn, fn, __ATOMIC_RELEASE);
	return 0;
}

void kernel_irq(unsigned int irq)
{
	irq_handler_t fn =
		irq < IRQ_MAX ? __atomic_load_n(&handlers[irq].fn, __ATOMIC_ACQUIRE) : NULL;

	if (fn)
		fn(irq, handlers[irq].arg);
	else
		printk("weft: interrupt %u has no handler\n", irq);
}
