// SPDX-License-Identifier: MIT
/* Tasks (Gs): creation, exit, reuse of dead Gs and their stacks, and the
 * task dump that panics print. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <weft.h>

#include <kernel/ksym.h>
#include <kernel/libc.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>

#include "sched_internal.h"

/* Dead Gs a P keeps before handing half to the global list (Go's gfput). */
#define GFREE_LOCAL_MAX 64

static int next_id = 1;
static int ntasks;
static struct g *allgs; /* every G ever made, linked by alllink */

static struct {
	spinlock_t lock;
	struct g *list;
	int n;
} gfree_global;

static const char *const status_names[] = {
	[G_IDLE] = "idle",	 [G_RUNNABLE] = "runnable", [G_RUNNING] = "running",
	[G_WAITING] = "waiting", [G_DEAD] = "dead",
};

/* Reuse a dead G whose stack has the right limit, or NULL. Preemption off. */
static struct g *gfget(struct p *p, size_t stack_max)
{
	if (!p->gfree && __atomic_load_n(&gfree_global.n, __ATOMIC_RELAXED)) {
		/* Refill half the local cache from the global list. */
		spin_lock(&gfree_global.lock);
		while (p->ngfree < GFREE_LOCAL_MAX / 2 && gfree_global.list) {
			struct g *g = gfree_global.list;

			gfree_global.list = g->schedlink;
			__atomic_store_n(&gfree_global.n, gfree_global.n - 1, __ATOMIC_RELAXED);
			g->schedlink = p->gfree;
			p->gfree = g;
			p->ngfree++;
		}
		spin_unlock(&gfree_global.lock);
	}
	struct g *g = p->gfree;

	if (g) {
		p->gfree = g->schedlink;
		p->ngfree--;
		if (g->stack.max != stack_max) {
			stack_free(&g->stack);
			g->stack.max = 0;
		}
	}
	return g;
}

/* Keep a dead G for reuse. Scheduler stack, preemption off. */
static void gfput(struct p *p, struct g *g)
{
	g->schedlink = p->gfree;
	p->gfree = g;
	if (++p->ngfree < GFREE_LOCAL_MAX)
		return;
	spin_acquire(&gfree_global.lock);
	while (p->ngfree > GFREE_LOCAL_MAX / 2) {
		struct g *x = p->gfree;

		p->gfree = x->schedlink;
		p->ngfree--;
		x->schedlink = gfree_global.list;
		gfree_global.list = x;
		__atomic_store_n(&gfree_global.n, gfree_global.n + 1, __ATOMIC_RELAXED);
	}
	spin_release(&gfree_global.lock);
}

static void goexit0(struct g *g)
{
	struct cpu *c = this_cpu();

	g->status = G_DEAD;
	g->fn = NULL;
	g->arg = NULL;
	g->wait_reason = NULL;
	/* Release: a task that sees the count drop also sees what the exited
	 * task wrote (tests wait for num_tasks() to settle). */
	__atomic_fetch_sub(&ntasks, 1, __ATOMIC_RELEASE);
	stack_trim(&g->stack);
	gfput(c->p, g);
	schedule();
}

/* First code of every G, reached from execute() with locks == 1. */
static void task_entry(void *arg)
{
	struct g *g = arg;

	libc_task_switch_in(g);
	preempt_enable();
	g->fn(g->arg);
	task_exit();
}

void task_exit(void)
{
	libc_task_exit(current_g());
	preempt_disable();
	mcall(goexit0);
	__builtin_unreachable();
}

static struct g *g_alloc(size_t stack_max)
{
	struct g *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	if (stack_alloc(&g->stack, stack_max) < 0) {
		free(g);
		return NULL;
	}
	/* Publish it on allgs for dumps; never unlinked, since Gs are reused. */
	g->alllink = __atomic_load_n(&allgs, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&allgs, &g->alllink, g, false, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED))
		;
	return g;
}

/* Make g ready to run fn(arg) as a new task. */
static void g_prepare(struct g *g, void (*fn)(void *), void *arg)
{
	g->fn = fn;
	g->arg = arg;
	g->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	g->status = G_RUNNABLE;
	g->wait_reason = NULL;
	g->select_done = 0;
	g->param = NULL;
	arch_ctx_init(&g->ctx, g->stack.lo, g->stack.hi, task_entry, g);
	__atomic_fetch_add(&ntasks, 1, __ATOMIC_RELAXED);
}

int go_opts(void (*fn)(void *), void *arg, const struct task_opts *opts)
{
	size_t max = opts && opts->stack_max ? opts->stack_max : stack_default_max;

	preempt_disable();
	struct g *g = gfget(this_cpu()->p, max);

	preempt_enable();
	if (!g || !g->stack.max) {
		if (g && stack_alloc(&g->stack, max) < 0) {
			/* Keep the G itself for later; report no memory. */
			g->status = G_DEAD;
			preempt_disable();
			gfput(this_cpu()->p, g);
			preempt_enable();
			return -ENOMEM;
		}
		if (!g && !(g = g_alloc(max)))
			return -ENOMEM;
	}
	libc_task_init(g);
	g_prepare(g, fn, arg);
	/* Once queued, g may run, exit and be reused before we look again. */
	int id = g->id;

	/* Go's newproc: the new G runs next on this P. */
	preempt_disable();
	sched_runqput(this_cpu()->p, g, true);
	preempt_enable();
	return id;
}

int go(void (*fn)(void *), void *arg)
{
	return go_opts(fn, arg, NULL);
}

void task_init_main(void (*fn)(void *), void *arg)
{
	struct g *g = g_alloc(stack_default_max);

	if (!g)
		panic("no memory for the main task");
	libc_task_init(g);
	g_prepare(g, fn, arg);
	BUG_ON(g->id != 1);
	__atomic_store_n(&cpus[0].p->runnext, g, __ATOMIC_RELEASE);
}

int task_id(void)
{
	struct g *g = current_g();

	return g ? g->id : 0;
}

int num_tasks(void)
{
	return __atomic_load_n(&ntasks, __ATOMIC_ACQUIRE);
}

/* The frames of a switched-out G, from where it parked: the scheduler's
 * own frames (mcall, gopark, ...) are left out. */
static void dump_frames(const struct g *g)
{
	static const char *const internal[] = { "mcall", "gopark", "kernel_preempt", "yield" };
	uintptr_t fp = arch_ctx_fp(&g->ctx), pc, off;
	int shown = 0;

	while (shown < 5 && arch_frame_next(&fp, &pc, g->stack.lo, g->stack.hi) && pc) {
		const char *name = ksym_lookup(pc - 1, &off);
		bool skip = false;

		for (unsigned int i = 0; shown == 0 && name && i < ARRAY_SIZE(internal); i++)
			skip |= strcmp(name, internal[i]) == 0;
		if (skip)
			continue;
		printk("        %p %s+0x%lx\n", (void *)pc, name ? name : "?", (unsigned long)off);
		shown++;
	}
}

void task_dump_all(void)
{
	struct g *self = this_cpu()->curg;

	printk("tasks:\n");
	for (struct g *g = __atomic_load_n(&allgs, __ATOMIC_ACQUIRE); g; g = g->alllink) {
		if (g->status == G_DEAD || g->status == G_IDLE)
			continue;
		printk("  task %d [%s%s%s]%s\n", g->id, status_names[g->status],
		       g->wait_reason ? ": " : "", g->wait_reason ? g->wait_reason : "",
		       g == self ? " (this task)" : "");
		if (g != self && g->status != G_RUNNING)
			dump_frames(g);
	}
}
