// SPDX-License-Identifier: MIT
/* Tasks (Gs): creation, exit, reuse of dead Gs and their stacks, and the
 * task dump that panics print. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <weft.h>

#include <kernel/ksym.h>
#include <kernel/mm.h>
#include <kernel/net.h>
#include <kernel/libc.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/time.h>

#include "sched_internal.h"

/*
 * Dead Gs are kept for reuse, each holding its stack's top page: 64 per P,
 * then GFREE_GLOBAL_MAX in the global array (4 MiB, always kept), then any
 * number on the global surplus list, so that a burst of many thousand short
 * tasks reuses stacks instead of mapping and unmapping a page for each (on
 * hosted, bursts of 10 000 cost 6 us a task that way). The scavenger, a
 * timer, frees the surplus Gs that stayed unused for a whole period, the
 * way Go frees dead Gs' stacks at each GC, so the memory of a past burst
 * goes back within two periods. The surplus never holds more than a
 * sixteenth of RAM, and a spawn that finds no memory frees it all first.
 */
#define GFREE_GLOBAL_MAX 1024
#define SCAVENGE_PERIOD_NS NSEC_PER_SEC
#define SURPLUS_RAM_SHIFT 4

static int next_id = 1;
static int ntasks;
static struct g *allgs; /* every G not freed, linked by alllink */
static spinlock_t allgs_lock;

static struct {
	spinlock_t lock;
	struct g *g[GFREE_GLOBAL_MAX]; /* g[0..n-1], newest last */
	int n;
	struct g *surplus; /* linked by schedlink, newest first */
	int nsurplus;
	int surplus_low; /* the fewest on it since the scavenger last ran */
	int freeing; /* taken off it and being freed */
	bool scavenging; /* the scavenger's timer is armed */
	struct timer scavenger;
} gfree_global;

static void g_free_many(struct g *list);
static void g_free_list(struct g *list);
static void scavenger_arm(void);

_Static_assert(STACK_FREE_BATCH >= GFREE_LOCAL_MAX / 2, "a gfput frees at most one batch");

static const char *const status_names[] = {
	[G_IDLE] = "idle",	 [G_RUNNABLE] = "runnable", [G_RUNNING] = "running",
	[G_WAITING] = "waiting", [G_DEAD] = "dead",
};

/* Change the surplus count (gfree_global.lock held), which gfget and
 * task_surplus read without the lock. */
static void surplus_count_add(int d)
{
	__atomic_store_n(&gfree_global.nsurplus, gfree_global.nsurplus + d, __ATOMIC_RELAXED);
}

/* A dead G to reuse, or NULL. Preemption off. */
static struct g *gfget(struct p *p)
{
	if (!p->ngfree && (__atomic_load_n(&gfree_global.n, __ATOMIC_RELAXED) ||
			   __atomic_load_n(&gfree_global.nsurplus, __ATOMIC_RELAXED))) {
		/* Refill half the local cache from the global array, or else
		 * from the surplus. */
		const int half = GFREE_LOCAL_MAX / 2;

		spin_lock(&gfree_global.lock);
		int k = gfree_global.n < half ? gfree_global.n : half;
		int n = gfree_global.n - k;

		memcpy(p->gfree, &gfree_global.g[n], (size_t)k * sizeof(p->gfree[0]));
		__atomic_store_n(&gfree_global.n, n, __ATOMIC_RELAXED);
		for (; k < half && gfree_global.surplus; k++) {
			p->gfree[k] = gfree_global.surplus;
			gfree_global.surplus = gfree_global.surplus->schedlink;
			surplus_count_add(-1);
		}
		if (gfree_global.nsurplus < gfree_global.surplus_low)
			gfree_global.surplus_low = gfree_global.nsurplus;
		p->ngfree = k;
		spin_unlock(&gfree_global.lock);
	}
	if (!p->ngfree)
		return NULL;
	struct g *g = p->gfree[--p->ngfree];

	if (p->ngfree)
		g_prefetch(p->gfree[p->ngfree - 1]); /* the next spawn's */
	return g;
}

/* At most this many dead Gs on the surplus list: a sixteenth of RAM, at a
 * page each. */
static int surplus_max(void)
{
	static int max;

	if (!max)
		max = (int)MIN(mm_total_bytes() >> SURPLUS_RAM_SHIFT >> PAGE_SHIFT,
			       (uint64_t)INT_MAX);
	return max;
}

static void gfput_overflow(struct p *p);

/* Keep a dead G for reuse: on this P, in the global array, or on the
 * surplus list for the scavenger to free if it stays unused; beyond the
 * surplus list's limit, free it with its stack. Scheduler stack,
 * preemption off. */
static inline void gfput(struct p *p, struct g *g)
{
	p->gfree[p->ngfree++] = g;
	if (__builtin_expect(p->ngfree == GFREE_LOCAL_MAX, 0))
		gfput_overflow(p);
}

/* gfput() found this P's cache full: the older half goes (the newer Gs'
 * stacks are warmer). */
static __attribute__((noinline)) void gfput_overflow(struct p *p)
{
	struct g *doomed = NULL;
	const int half = GFREE_LOCAL_MAX / 2;
	bool arm = false;

	spin_acquire(&gfree_global.lock);
	int room = GFREE_GLOBAL_MAX - gfree_global.n;
	int k = room < half ? room : half;

	memcpy(&gfree_global.g[gfree_global.n], p->gfree, (size_t)k * sizeof(p->gfree[0]));
	__atomic_store_n(&gfree_global.n, gfree_global.n + k, __ATOMIC_RELAXED);
	for (; k < half; k++) {
		struct g *x = p->gfree[k];

		if (gfree_global.nsurplus < surplus_max()) {
			x->schedlink = gfree_global.surplus;
			gfree_global.surplus = x;
			surplus_count_add(1);
		} else {
			x->schedlink = doomed;
			doomed = x;
		}
	}
	if (gfree_global.nsurplus && !gfree_global.scavenging) {
		gfree_global.scavenging = arm = true;
		gfree_global.surplus_low = gfree_global.nsurplus;
	}
	spin_release(&gfree_global.lock);
	p->ngfree -= half;
	memmove(p->gfree, p->gfree + half, (size_t)p->ngfree * sizeof(p->gfree[0]));
	if (arm)
		scavenger_arm();
	if (doomed)
		g_free_many(doomed);
}

/* Take the first n Gs off the surplus list, to be freed with
 * surplus_free() (gfree_global.lock held). */
static struct g *surplus_take(int n)
{
	struct g *first = gfree_global.surplus, *last = first;

	if (!n)
		return NULL;
	for (int i = 1; i < n; i++)
		last = last->schedlink;
	gfree_global.surplus = last->schedlink;
	last->schedlink = NULL;
	surplus_count_add(-n);
	__atomic_fetch_add(&gfree_global.freeing, n, __ATOMIC_RELAXED);
	return first;
}

static void surplus_free(struct g *list, int n)
{
	g_free_list(list);
	__atomic_fetch_sub(&gfree_global.freeing, n, __ATOMIC_RELEASE);
}

/* Free the surplus Gs that nobody took since the last run: as many as the
 * list's low-water mark. On the scheduler stack, as a timer. */
static void scavenge(struct timer *t)
{
	(void)t;
	spin_lock(&gfree_global.lock);
	int n = gfree_global.surplus_low;
	struct g *doomed = surplus_take(n);
	bool again = gfree_global.nsurplus > 0;

	gfree_global.surplus_low = gfree_global.nsurplus;
	gfree_global.scavenging = again;
	spin_unlock(&gfree_global.lock);
	surplus_free(doomed, n);
	if (again)
		scavenger_arm();
}

/* Free the whole surplus now. */
static int surplus_free_all(void)
{
	spin_lock(&gfree_global.lock);
	int n = gfree_global.nsurplus;
	struct g *doomed = surplus_take(n);

	gfree_global.surplus_low = 0;
	spin_unlock(&gfree_global.lock);
	surplus_free(doomed, n);
	return n;
}

int task_surplus(void)
{
	return __atomic_load_n(&gfree_global.nsurplus, __ATOMIC_RELAXED) +
	       __atomic_load_n(&gfree_global.freeing, __ATOMIC_ACQUIRE);
}

/* Also when a spawn is out of memory. Waits for a scavenger pass running
 * on another CPU, so that memory stays put once it returns. */
int task_free_surplus(void)
{
	int n = surplus_free_all();

	while (__atomic_load_n(&gfree_global.freeing, __ATOMIC_ACQUIRE))
		sleep_ns(NSEC_PER_MSEC);
	return n;
}

/* Run the scavenger a period from now. Without room in this P's timer heap
 * (which the scheduler stack cannot grow), the surplus goes at once. */
static void scavenger_arm(void)
{
	gfree_global.scavenger.fn = scavenge;
	gfree_global.scavenger.when = now_ns() + SCAVENGE_PERIOD_NS;
	if (timer_add_nogrow(&gfree_global.scavenger) < 0) {
		spin_lock(&gfree_global.lock);
		gfree_global.scavenging = false;
		spin_unlock(&gfree_global.lock);
		surplus_free_all();
	}
}

void task_exit_finish(struct g *g)
{
	struct cpu *c = this_cpu();

	g->status = G_DEAD;
	g->fn = NULL;
	g->arg = NULL;
	g->wait_reason = NULL;
	stack_trim(&g->stack);
	bool counted = !g->system;

	gfput(c->p, g);
	/* Release: a task that sees the count drop also sees what the exited
	 * task wrote, its stack trimmed and any batch of surplus stacks its
	 * exit set off freed (tests wait for num_tasks() to settle). g may be
	 * running again elsewhere by now: this touches only the count. */
	if (counted)
		__atomic_fetch_sub(&ntasks, 1, __ATOMIC_RELEASE);
}

/* First code of every G, reached from execute() or a direct switch with
 * locks == 1. */
static void task_entry(void *arg)
{
	struct g *g = arg;

	sched_finish_switch();
	libc_task_switch_in(g);
	preempt_enable();
	g->fn(g->arg);
	task_exit();
}

void task_exit(void)
{
	struct g *g = current_g();

	if (g->net_sem) /* only a task that used sockets has one */
		net_task_exit(g);
	libc_task_exit(g);
	preempt_disable();
	sched_leave(SWITCH_EXIT);
	panic("task %d ran again after it exited", current_g()->id);
}

/* The G that lives at the top of stack st. */
static struct g *g_of_stack(const struct stack *st)
{
	return (struct g *)(st->hi - ALIGN_UP(sizeof(struct g), 64));
}

/*
 * A new G with a stack of stack_max bytes. The G itself sits at the top of
 * its stack's first page, which every task maps anyway, so that a parked
 * task costs one page and its share of page table (Linux kept its
 * thread_info there for the same reason). The stack proper ends below it.
 */
static struct g *g_alloc(size_t stack_max, int *err)
{
	struct stack st;

	*err = stack_alloc(&st, stack_max);
	if (*err < 0)
		return NULL;

	struct g *g = g_of_stack(&st);

	memset(g, 0, sizeof(*g));
	g->stack = st;
	stack_moved(&g->stack);
	/* On allgs for dumps until it is freed. */
	unsigned long flags = spin_lock_irqsave(&allgs_lock);

	g->alllink = allgs;
	if (allgs)
		allgs->allprev = g;
	__atomic_store_n(&allgs, g, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&allgs_lock, flags);
	return g;
}

/* Free a list of any length of dead Gs, STACK_FREE_BATCH at a time. */
static void g_free_list(struct g *list)
{
	while (list) {
		struct g *batch = list, **link = &list;

		for (int i = 0; i < STACK_FREE_BATCH && *link; i++)
			link = &(*link)->schedlink;
		list = *link;
		*link = NULL;
		g_free_many(batch);
	}
}

/* Take a G off allgs. */
static void g_unlink(struct g *g)
{
	unsigned long flags = spin_lock_irqsave(&allgs_lock);

	if (g->allprev)
		g->allprev->alllink = g->alllink;
	else
		allgs = g->alllink;
	if (g->alllink)
		g->alllink->allprev = g->allprev;
	spin_unlock_irqrestore(&allgs_lock, flags);
}

/* Free a list of at most STACK_FREE_BATCH dead Gs (linked by schedlink)
 * with one TLB shootdown. */
static void g_free_many(struct g *list)
{
	struct stack *st[STACK_FREE_BATCH];
	size_t n = 0;

	for (; list; list = list->schedlink) {
		BUG_ON(n == STACK_FREE_BATCH);
		g_unlink(list);
		st[n++] = &list->stack;
	}
	/* Reads what it needs from each (they live in those stacks) before
	 * unmapping any. */
	stack_free_many(st, n);
}

/* Where g's stack ends: right below the G. */
static uintptr_t g_stack_top(const struct g *g)
{
	return (uintptr_t)g;
}

/* Make g ready to run fn(arg) as a new task. */
static void g_prepare(struct g *g, void (*fn)(void *), void *arg, bool system)
{
	g->fn = fn;
	g->arg = arg;
	g->system = system;
	g->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	g->stack.owner = g->id;
	g->status = G_RUNNABLE;
	g->wait_reason = NULL;
	g->select_done = 0;
	g->param = NULL;
	arch_ctx_init(&g->ctx, g->stack.lo, g_stack_top(g), task_entry, g);
	if (!system)
		__atomic_fetch_add(&ntasks, 1, __ATOMIC_RELAXED);
}

/* spawn() without a dead G of the right size to reuse: free g, if it
 * has a stack of another size, and make a new one. */
static __attribute__((noinline)) struct g *spawn_new_g(struct g *g, size_t max, int *err)
{
	if (g) {
		/* A stack of another size: make a new G rather than keep both. */
		g->schedlink = NULL;
		g_free_many(g);
	}
	if (!(g = g_alloc(max, err)) && *err == -ENOMEM && task_free_surplus())
		g = g_alloc(max, err);
	return g;
}

static int spawn(void (*fn)(void *), void *arg, size_t max, bool system)
{
	int err;

	if (max < STACK_MIN || max > STACK_MAX_LIMIT)
		return -EINVAL;
	max = ALIGN_UP(max, PAGE_SIZE);
	/* Preemption stays off from taking a dead G to queueing it, unless
	 * a new one must be made, which may take its time. */
	preempt_disable();
	struct g *g = gfget(this_cpu()->p);

	if (__builtin_expect(!g || g->stack.max != max, 0)) {
		preempt_enable();
		if (!(g = spawn_new_g(g, max, &err)))
			return err;
		preempt_disable();
	}
	libc_task_init(g);
	g_prepare(g, fn, arg, system);
	/* Once queued, g may run, exit and be reused before we look again. */
	int id = g->id;

	/* Go's newproc: the new G runs next on this P. */
	sched_runqput(this_cpu()->p, g, true);
	preempt_enable();
	return id;
}

int go_opts(void (*fn)(void *), void *arg, const struct task_opts *opts)
{
	return spawn(fn, arg, opts && opts->stack_max ? opts->stack_max : stack_default_max, false);
}

int go(void (*fn)(void *), void *arg)
{
	return go_opts(fn, arg, NULL);
}

int go_system(void (*fn)(void *), void *arg, size_t stack_max)
{
	return spawn(fn, arg, stack_max ? stack_max : stack_default_max, true);
}

void task_init_main(void (*fn)(void *), void *arg)
{
	int err;
	struct g *g = g_alloc(stack_default_max, &err);

	if (!g)
		panic("cannot make the main task's stack (%d)", err);
	libc_task_init(g);
	g_prepare(g, fn, arg, false);
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
	static const char *const internal[] = { "mcall",  "switch_direct", "sched_leave",
						"gopark", "gopark_unlock", "kernel_preempt",
						"yield" };
	uintptr_t fp = arch_ctx_fp(&g->ctx), pc, off;
	int shown = 0;

	while (shown < 5 && arch_frame_next(&fp, &pc, g->stack.lo, g_stack_top(g)) && pc) {
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

void task_for_each_stack(void (*fn)(const void *lo, size_t size))
{
	for (struct g *g = __atomic_load_n(&allgs, __ATOMIC_ACQUIRE); g; g = g->alllink) {
		if (g->status == G_DEAD || g->status == G_IDLE || !g->stack.mapped_lo)
			continue;
		fn((const void *)g->stack.mapped_lo, (uintptr_t)(g + 1) - g->stack.mapped_lo);
	}
}

void task_dump_all(void)
{
	struct g *self = this_cpu()->curg;

	printk("tasks:\n");
	for (struct g *g = __atomic_load_n(&allgs, __ATOMIC_ACQUIRE); g; g = g->alllink) {
		if (g->status == G_DEAD || g->status == G_IDLE)
			continue;
		printk("  task %d [%s%s%s]%s%s\n", g->id, status_names[g->status],
		       g->wait_reason ? ": " : "", g->wait_reason ? g->wait_reason : "",
		       g->system ? " (kernel)" : "", g == self ? " (this task)" : "");
		if (g != self && g->status != G_RUNNING)
			dump_frames(g);
	}
}
