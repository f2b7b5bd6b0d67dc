// SPDX-License-Identifier: MIT
/* Device interrupt dispatch: one exclusive handler, or a chain of shared ones, per line. */
#include <errno.h>
#include <stdbool.h>

#include <arch.h>
#include <kernel/irq.h>
#include <kernel/printk.h>
#include <kernel/spinlock.h>

struct irq_action {
	irq_handler_t fn;
	void *arg;
	struct irq_action *next; /* the next shared handler of the line */
};

/*
 * The first handler of each line lives in the table, further shared ones in
 * a pool. Registration publishes a complete action with a release store
 * (of fn for the first, of the previous action's next for the others), so
 * that kernel_irq, which takes no lock, sees either nothing or all of it.
 */
static struct irq_action handlers[IRQ_MAX];
static bool shared[IRQ_MAX];
static struct irq_action pool[IRQ_SHARED_MAX];
static unsigned int pool_used;
static spinlock_t register_lock; /* serializes registration only */

static int add(unsigned int irq, irq_handler_t fn, void *arg, bool share)
{
	struct irq_action *a, *last;
	unsigned long flags;
	int err = 0;

	if (irq >= IRQ_MAX || !fn)
		return -EINVAL;
	flags = spin_lock_irqsave(&register_lock);
	if (!handlers[irq].fn) {
		shared[irq] = share;
		handlers[irq].arg = arg;
		handlers[irq].next = NULL;
		__atomic_store_n(&handlers[irq].fn, fn, __ATOMIC_RELEASE);
	} else if (!share || !shared[irq]) {
		err = -EBUSY;
	} else if (pool_used == IRQ_SHARED_MAX) {
		err = -ENOMEM;
	} else {
		a = &pool[pool_used++];
		a->fn = fn;
		a->arg = arg;
		a->next = NULL;
		for (last = &handlers[irq]; last->next; last = last->next)
			;
		__atomic_store_n(&last->next, a, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&register_lock, flags);
	return err;
}

int irq_register(unsigned int irq, irq_handler_t fn, void *arg)
{
	return add(irq, fn, arg, false);
}

int irq_register_shared(unsigned int irq, irq_handler_t fn, void *arg)
{
	return add(irq, fn, arg, true);
}

unsigned int irq_handler_count(unsigned int irq)
{
	unsigned int n = 0;

	if (irq >= IRQ_MAX || !__atomic_load_n(&handlers[irq].fn, __ATOMIC_ACQUIRE))
		return 0;
	for (const struct irq_action *a = &handlers[irq]; a;
	     a = __atomic_load_n(&a->next, __ATOMIC_ACQUIRE))
		n++;
	return n;
}

void kernel_irq(unsigned int irq)
{
	irq_handler_t fn =
		irq < IRQ_MAX ? __atomic_load_n(&handlers[irq].fn, __ATOMIC_ACQUIRE) : NULL;

	if (!fn) {
		printk("weft: interrupt %u has no handler\n", irq);
		return;
	}
	fn(irq, handlers[irq].arg);
	for (const struct irq_action *a = __atomic_load_n(&handlers[irq].next, __ATOMIC_ACQUIRE); a;
	     a = __atomic_load_n(&a->next, __ATOMIC_ACQUIRE))
		a->fn(irq, a->arg);
}
