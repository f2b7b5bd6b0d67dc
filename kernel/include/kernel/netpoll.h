/* SPDX-License-Identifier: MIT */
/*
 * The netpoller: how the scheduler waits for devices (Go's netpoll.go,
 * with NAPI's interrupt discipline).
 *
 * A source (one NIC queue pair, say) has one task that drains it and then
 * parks in netpoll_wait(). While that task is parked:
 *   - a CPU that runs out of work polls every parked source's pending()
 *     before it idles (Go's netpoll(0) in findrunnable), and readies the
 *     task of any source with work, without an interrupt;
 *   - the source's interrupt is armed, so that a system with every CPU
 *     idle sleeps until the device has something; its handler calls
 *     netpoll_ready(), which disarms it and readies the task.
 * While the task runs, the interrupt stays off and nothing polls: it
 * drains the device itself. Nothing spins when no packets arrive.
 *
 * A parked source counts as a device that can wake a task, so a system
 * with a NIC is never declared deadlocked.
 */
#ifndef WEFT_KERNEL_NETPOLL_H
#define WEFT_KERNEL_NETPOLL_H

#include <stdbool.h>
#include <stdint.h>

struct g;

struct netpoll {
	/* Set by the owner before netpoll_add(); none of them may block. */
	/* Whether the source has work (a used ring moved): cheap and
	 * lock-free, from any context. After arm() returns, work that
	 * arrives either shows in pending() or raises the interrupt. */
	bool (*pending)(struct netpoll *np);
	void (*arm)(struct netpoll *np); /* enable the source's interrupt */
	void (*disarm)(struct netpoll *np); /* disable it (an interrupt may still arrive) */
	const char *name;

	/* Private to kernel/netpoll.c. */
	struct g *waiter; /* the parked task, or NULL */
	struct netpoll *next;
	uint64_t wakeups_irq, wakeups_poll; /* how the waiter was readied */
};

/* Make `np` known to the scheduler. Task context; sources are never
 * removed. */
void netpoll_add(struct netpoll *np);

/* Park the calling task until np->pending(). One task per source. */
void netpoll_wait(struct netpoll *np);

/* The source's interrupt handler calls this: disarm, and ready the
 * waiter if there is one. Interrupt context (or any). */
void netpoll_ready(struct netpoll *np);

/* For the scheduler (findrunnable): ready the waiter of every parked
 * source with work; returns how many were readied. Never blocks. */
int netpoll_poll(void);

#endif
