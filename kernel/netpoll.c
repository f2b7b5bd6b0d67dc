// SPDX-License-Identifier: MIT
/*
 * The netpoller (kernel/include/kernel/netpoll.h). Each source's `waiter`
 * is the only shared state: the parked task publishes itself there, and
 * whoever takes it back with an exchange (the task itself on a recheck, a
 * CPU polling, or the interrupt handler) owns the wakeup, so a task is
 * readied exactly once however the three race.
 */
#include <stddef.h>

#include <kernel/netpoll.h>
#include <kernel/panic.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>

#include "sched_internal.h"

static struct netpoll *sources; /* pushed at the head, never removed */
static spinlock_t sources_lock;

void netpoll_add(struct netpoll *np)
{
	BUG_ON(!np->pending || !np->arm || !np->disarm);
	np->waiter = NULL;
	spin_lock(&sources_lock);
	for (struct netpoll *s = sources; s; s = s->next)
		if (s == np)
			panic("netpoll: source %s added twice", np->name ? np->name : "?");
	np->next = sources;
	__atomic_store_n(&sources, np, __ATOMIC_RELEASE);
	spin_unlock(&sources_lock);
}

/* Take the waiter back, if it is still there: the caller then owns its
 * wakeup. */
static struct g *take_waiter(struct netpoll *np)
{
	struct g *g = __atomic_exchange_n(&np->waiter, NULL, __ATOMIC_ACQ_REL);

	if (g)
		__atomic_fetch_sub(&sched_io_waiters, 1, __ATOMIC_RELEASE);
	return g;
}

/* gopark's commit, on the scheduler stack with the task's context saved:
 * publish the task, arm the interrupt, and look once more, since work that
 * arrived before arm() raised no interrupt. */
static bool wait_commit(void *arg)
{
	struct netpoll *np = arg;
	struct g *g = this_cpu()->mcall_g;

	__atomic_fetch_add(&sched_io_waiters, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&np->waiter, g, __ATOMIC_RELEASE);
	np->arm(np);
	if (np->pending(np) && take_waiter(np) == g) {
		np->disarm(np);
		return false; /* keep running */
	}
	/* Parked, or already readied by whoever took the waiter. */
	return true;
}

void netpoll_wait(struct netpoll *np)
{
	if (np->pending(np))
		return;
	gopark(wait_commit, np, "netpoll");
}

void netpoll_ready(struct netpoll *np)
{
	np->disarm(np);
	struct g *g = take_waiter(np);

	if (g) {
		np->wakeups_irq++;
		goready(g);
	}
}

int netpoll_poll(void)
{
	int n = 0;

	for (struct netpoll *np = __atomic_load_n(&sources, __ATOMIC_ACQUIRE); np; np = np->next) {
		if (!__atomic_load_n(&np->waiter, __ATOMIC_RELAXED) || !np->pending(np))
			continue;
		struct g *g = take_waiter(np);

		if (g) {
			np->disarm(np);
			np->wakeups_poll++;
			goready(g);
			n++;
		}
	}
	return n;
}
