// SPDX-License-Identifier: MIT
/*
 * Timers: a 4-ary min-heap per P (Go's runtime/time.go layout), run by the
 * P's own CPU on its scheduler stack. The CPU's one-shot deadline is always
 * the earlier of its slice end and its heap's top, so an idle CPU sleeps
 * until exactly the next timer and no periodic tick runs.
 */
#include <errno.h>
#include <stdlib.h>

#include <weft.h>

#include <kernel/panic.h>
#include <kernel/sched.h>
#include <kernel/time.h>

#include "sched_internal.h"

static void heap_swap(struct timer **h, int i, int j)
{
	struct timer *t = h[i];

	h[i] = h[j];
	h[j] = t;
	h[i]->index = i;
	h[j]->index = j;
}

static void sift_up(struct timer **h, int i)
{
	while (i > 0) {
		int parent = (i - 1) / 4;

		if (h[parent]->when <= h[i]->when)
			break;
		heap_swap(h, i, parent);
		i = parent;
	}
}

static void sift_down(struct timer **h, int n, int i)
{
	for (;;) {
		int min = i, c = 4 * i + 1;

		for (int k = c; k < c + 4 && k < n; k++)
			if (h[k]->when < h[min]->when)
				min = k;
		if (min == i)
			return;
		heap_swap(h, i, min);
		i = min;
	}
}

/* Remove entry i of p's heap. p->timer_lock held. */
static void heap_remove(struct p *p, int i)
{
	int last = p->ntimers - 1;

	__atomic_store_n(&p->ntimers, last, __ATOMIC_RELAXED); /* see timers_pending */

	/* timer_del reads t->p without the lock. */
	__atomic_store_n(&p->timers[i]->p, NULL, __ATOMIC_RELEASE);
	if (i != last) {
		p->timers[i] = p->timers[last];
		p->timers[i]->index = i;
		sift_down(p->timers, p->ntimers, i);
		sift_up(p->timers, i);
	}
	__atomic_fetch_sub(&sched_ntimers, 1, __ATOMIC_RELAXED);
}

uint64_t timers_next(struct p *p)
{
	uint64_t when = UINT64_MAX;
	unsigned long flags = spin_lock_irqsave(&p->timer_lock);

	if (p->ntimers)
		when = p->timers[0]->when;
	spin_unlock_irqrestore(&p->timer_lock, flags);
	return when;
}

void timers_run(struct p *p, uint64_t now)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&p->timer_lock);

		if (!p->ntimers || p->timers[0]->when > now) {
			spin_unlock_irqrestore(&p->timer_lock, flags);
			return;
		}
		struct timer *t = p->timers[0];

		/* timer_del() reads t->p without the lock, and once it sees
		 * NULL it waits only while `running` is set: so `running` is
		 * set first, and heap_remove's release store of t->p = NULL
		 * publishes it. (Set after, a timer_del in between returned at
		 * once, its caller's stack frame holding the timer went on to
		 * other uses, and t->fn then ran on that memory: a select
		 * timeout readied whatever "G" it found there.) */
		__atomic_store_n(&t->running, true, __ATOMIC_RELAXED);
		heap_remove(p, 0);
		spin_unlock_irqrestore(&p->timer_lock, flags);
		t->fn(t);
		__atomic_store_n(&t->running, false, __ATOMIC_RELEASE);
	}
}

#define TIMERS_INITIAL 64

/* Each P starts with room for TIMERS_INITIAL timers, so that the first
 * sleep on a P allocates nothing: it cannot fail for want of memory, and a
 * heap measured around it does not change. */
void timers_init(struct p *p)
{
	p->timers = malloc(TIMERS_INITIAL * sizeof(*p->timers));
	if (!p->timers)
		panic("no memory for P %d's timer heap", p->id);
	p->timers_cap = TIMERS_INITIAL;
}

/* Grow p's heap outside its lock (malloc may block); false on no memory. */
static bool heap_reserve(struct p *p)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&p->timer_lock);
		int need = p->ntimers + 1, cap = p->timers_cap;

		spin_unlock_irqrestore(&p->timer_lock, flags);
		if (need <= cap)
			return true;
		int ncap = cap ? 2 * cap : TIMERS_INITIAL;
		struct timer **nh = malloc((size_t)ncap * sizeof(*nh));

		if (!nh)
			return false;
		flags = spin_lock_irqsave(&p->timer_lock);
		if (p->timers_cap == cap) {
			for (int i = 0; i < p->ntimers; i++)
				nh[i] = p->timers[i];
			struct timer **old = p->timers;

			p->timers = nh;
			p->timers_cap = ncap;
			nh = old;
		}
		spin_unlock_irqrestore(&p->timer_lock, flags);
		free(nh);
	}
}

/* Arm t on this CPU's P without allocating (the scheduler stack must not
 * block); -ENOSPC when the heap is full and must grow first. */
int timer_add_nogrow(struct timer *t)
{
	int err = -ENOSPC;

	preempt_disable();
	struct cpu *c = this_cpu();
	struct p *p = c->p;
	unsigned long flags = spin_lock_irqsave(&p->timer_lock);

	if (p->ntimers < p->timers_cap) {
		t->p = p;
		t->index = p->ntimers;
		__atomic_store_n(&p->ntimers, t->index + 1, __ATOMIC_RELAXED);
		p->timers[t->index] = t;
		sift_up(p->timers, t->index);
		__atomic_fetch_add(&sched_ntimers, 1, __ATOMIC_RELAXED);
		sched_arm_timer_before(c, t->when);
		err = 0;
	}
	spin_unlock_irqrestore(&p->timer_lock, flags);
	preempt_enable();
	return err;
}

int timer_reserve(void)
{
	preempt_disable();
	struct p *p = this_cpu()->p;

	preempt_enable();
	return heap_reserve(p) ? 0 : -ENOMEM;
}

int timer_add(struct timer *t)
{
	int err;

	while ((err = timer_add_nogrow(t)) == -ENOSPC)
		if (timer_reserve() < 0)
			return -ENOMEM;
	return err;
}

bool timer_del(struct timer *t)
{
	for (;;) {
		struct p *p = __atomic_load_n(&t->p, __ATOMIC_ACQUIRE);

		if (!p) {
			/* Fired, or firing: wait until its function is done
			 * with it. */
			while (__atomic_load_n(&t->running, __ATOMIC_ACQUIRE))
				arch_cpu_relax();
			return false;
		}
		unsigned long flags = spin_lock_irqsave(&p->timer_lock);

		if (t->p == p) {
			heap_remove(p, t->index);
			spin_unlock_irqrestore(&p->timer_lock, flags);
			return true;
		}
		spin_unlock_irqrestore(&p->timer_lock, flags);
	}
}

/* ---- sleep ---- */

static void sleep_wake(struct timer *t)
{
	goready(t->arg);
}

/* Runs on the scheduler stack once the G is parked, so the wakeup can never
 * come before the park. */
static bool sleep_commit(void *arg)
{
	return timer_add_nogrow(arg) == 0;
}

void sleep_ns(uint64_t ns)
{
	struct g *g = current_g();

	if (!g) {
		time_sleep_irq(ns);
		return;
	}
	if (ns == 0) {
		yield();
		return;
	}
	struct timer t = { .when = now_ns() + ns, .fn = sleep_wake, .arg = g };

	while (now_ns() < t.when) {
		gopark(sleep_commit, &t, "sleep");
		if (timer_del(&t) || now_ns() >= t.when)
			continue;
		/* Not parked: the heap was full. Grow it here, where
		 * allocating may block; with no memory at all, wait by
		 * yielding rather than sleeping short. */
		if (timer_reserve() < 0)
			yield();
	}
	timer_del(&t);
}
