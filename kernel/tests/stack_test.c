// SPDX-License-Identifier: MIT
/* Stacks that grow page by page, and what parked tasks cost. */
#include <errno.h>
#include <string.h>

#include <weft.h>

#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/stack.h>
#include <kernel/test.h>
#include <kernel/time.h>

static struct memstats deepest; /* read at the bottom of the recursion */

/*
 * Recurse in frames of about 1 KiB until the stack reaches down to `stop`,
 * each frame filled with a pattern of its own address; returns how many
 * frames were found changed on the way back up. Depth is measured in
 * bytes, not calls, so that sanitizer redzones do not change the test.
 */
static __attribute__((noinline)) int recurse(uintptr_t stop)
{
	volatile unsigned char frame[1024];
	unsigned char mark = (unsigned char)((uintptr_t)frame >> 10);
	int bad = 0;

	memset((unsigned char *)frame, mark, sizeof(frame));
	if ((uintptr_t)frame <= stop)
		read_memstats(&deepest);
	else
		bad = recurse(stop);
	return bad + (frame[0] != mark || frame[sizeof(frame) - 1] != mark);
}

struct deep {
	size_t bytes;
	int bad;
	struct memstats start; /* read by the task before it recursed */
	waitgroup_t wg;
};

static void deep_fn(void *arg)
{
	struct deep *d = arg;
	uintptr_t top = (uintptr_t)__builtin_frame_address(0);

	read_memstats(&d->start);
	d->bad = recurse(top - d->bytes);
	wg_done(&d->wg);
}

/* Up to 10 s: 100 000 tasks exiting on a slow emulated machine. */
static void settle(int n)
{
	test_settle_tasks(n, 10 * NSEC_PER_SEC);
}

/* Run the recursion in a task with the given limit; *start and *peak are
 * what memstats said when it began and at its deepest. */
static void run_deep(size_t stack_max, size_t bytes, struct memstats *start, struct memstats *peak)
{
	struct deep d = { .bytes = bytes };
	struct task_opts o = { .stack_max = stack_max };
	int tasks = num_tasks();

	task_free_surplus(); /* or the scavenger may free some meanwhile */
	wg_add(&d.wg, 1);
	ASSERT_GT(go_opts(deep_fn, &d, &o), 0);
	wg_wait(&d.wg);
	settle(tasks); /* its stack is trimmed by the time it is gone */
	*start = d.start;
	*peak = deepest;
	EXPECT_EQ(d.bad, 0);
}

TEST(stack, grows_to_900k_and_gives_the_pages_back)
{
	struct memstats before, peak, after;

	run_deep(0, 900 * 1024, &before, &peak);
	read_memstats(&after);
	printk("    stack_in_use: %llu KiB at the start, %llu KiB 900 KiB deep, %llu KiB after\n",
	       (unsigned long long)before.stack_in_use >> 10,
	       (unsigned long long)peak.stack_in_use >> 10,
	       (unsigned long long)after.stack_in_use >> 10);
	/* The frames really were backed while the task ran... */
	EXPECT_GE(peak.stack_in_use, before.stack_in_use + 880 * 1024);
	/* ...and all but the top page went back when it exited. */
	EXPECT_LE(after.stack_in_use, before.stack_in_use + 16 * 1024);
}

TEST(stack, an_8m_limit_allows_8x_the_depth)
{
	struct memstats start, peak;

	run_deep(8 << 20, 8 * 900 * 1024, &start, &peak);
	EXPECT_GE(peak.stack_in_use, start.stack_in_use + 8 * 880 * 1024);
}

static void nop(void *arg)
{
	(void)arg;
}

TEST(stack, limits_out_of_range_are_einval)
{
	struct task_opts tiny = { .stack_max = 4096 };
	struct task_opts huge = { .stack_max = (size_t)1 << 40 };

	EXPECT_EQ(go_opts(nop, NULL, &tiny), -EINVAL);
	EXPECT_EQ(go_opts(nop, NULL, &huge), -EINVAL);
}

/* Slots an odd number of pages apart, so that the stacks' top pages use
 * every set of a TLB (kernel/stack.c): the rule, and stacks laid out by it. */
TEST(stack, slots_are_an_odd_number_of_pages_apart)
{
	static const size_t limits[] = { STACK_MIN, STACK_MIN + PAGE_SIZE, 64 * 1024, 1024 * 1024,
					 8 * 1024 * 1024 };
	struct stack a, b;

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		size_t slot = stack_slot_bytes(limits[i]);

		EXPECT_EQ(slot % PAGE_SIZE, 0);
		EXPECT_EQ(slot / PAGE_SIZE % 2, 1);
		EXPECT_GE(slot - limits[i], (size_t)STACK_GUARD);
		EXPECT_LE(slot - limits[i], (size_t)STACK_GUARD + PAGE_SIZE);
	}
	ASSERT_EQ(stack_alloc(&a, 1024 * 1024), 0);
	ASSERT_EQ(stack_alloc(&b, 1024 * 1024), 0);
	uintptr_t apart = a.hi > b.hi ? a.hi - b.hi : b.hi - a.hi;

	EXPECT_NE(apart, 0);
	EXPECT_EQ(apart % stack_slot_bytes(1024 * 1024), 0);
	stack_free(&a);
	stack_free(&b);
}

/* Each parked task holds one page of stack; its struct g lives there too. */
static volatile int parked;

static void park_fn(void *arg)
{
	int v;

	__atomic_fetch_add(&parked, 1, __ATOMIC_RELAXED);
	chan_recv(arg, &v);
}

#define NPARKED 100000

#define BURST 3000

/* Start BURST tasks with 64 KiB stacks parked on c; returns once all are. */
static void burst(chan_t *c)
{
	struct task_opts o = { .stack_max = 64 * 1024 };

	parked = 0;
	for (int i = 0; i < BURST; i++)
		ASSERT_GT(go_opts(park_fn, c, &o), 0);
	while (__atomic_load_n(&parked, __ATOMIC_RELAXED) < BURST)
		sleep_ns(NSEC_PER_MSEC);
}

/*
 * The Gs of a burst of tasks outlive it (kernel/task.c): a second burst
 * maps no new stacks, and what stays unused is freed within a second. The
 * per-P and global arrays keep up to 1024 + 64 per CPU for good.
 */
TEST(stack, dead_tasks_are_reused_then_scavenged)
{
	const uint64_t kept = (1024 + 64 * (uint64_t)num_cpu()) * PAGE_SIZE;
	struct memstats before, idle, second, end;
	int tasks = num_tasks();
	chan_t *c = chan_make(sizeof(int), 0);

	ASSERT_TRUE(c != NULL);
	if (mm_total_bytes() >> 4 < 2 * BURST * PAGE_SIZE) {
		printk("    (skipped: the surplus of dead tasks is limited to 1/16 of RAM)\n");
		chan_free(c);
		return;
	}
	read_memstats(&before);
	burst(c);
	chan_close(c);
	settle(tasks);
	chan_free(c);
	read_memstats(&idle);

	c = chan_make(sizeof(int), 0);
	ASSERT_TRUE(c != NULL);
	burst(c);
	read_memstats(&second);
	chan_close(c);
	settle(tasks);
	chan_free(c);
	printk("    stacks: %llu KiB before, %llu after a burst, %llu during the next\n",
	       (unsigned long long)(before.stack_in_use >> 10),
	       (unsigned long long)(idle.stack_in_use >> 10),
	       (unsigned long long)(second.stack_in_use >> 10));
	/* Reused: at most a sixteenth of the tasks needed a new page. */
	EXPECT_LE(second.stack_in_use, idle.stack_in_use + BURST / 16 * PAGE_SIZE);

	EXPECT_GT(task_surplus(), 0);

	uint64_t deadline = now_ns() + 5 * NSEC_PER_SEC;

	while (task_surplus() && now_ns() < deadline)
		sleep_ns(10 * NSEC_PER_MSEC);
	read_memstats(&end);
	EXPECT_EQ(task_surplus(), 0);
	EXPECT_LE(end.stack_in_use, before.stack_in_use + kept);
}

TEST(stack, parked_100000_tasks_cost_a_page_each)
{
	/*
	 * With the default 1 MiB reservation, a task's page tables alone take
	 * 2 KiB on a 4 KiB-granule MMU (256 leaf entries keep its range
	 * private), so 100 000 of them do not fit 512 MiB; a 64 KiB limit
	 * keeps that share to 256 bytes. See docs/ARCHITECTURE.md.
	 */
	struct task_opts o = { .stack_max = 64 * 1024 };
	struct memstats start, full, end;
	int tasks = num_tasks();

	if (mm_total_bytes() < (400ull << 20)) {
		printk("    (skipped: needs MEM=512M, have %llu MiB)\n",
		       (unsigned long long)(mm_total_bytes() >> 20));
		return;
	}
	chan_t *c = chan_make(sizeof(int), 0);

	ASSERT_TRUE(c != NULL);
	/* Warm up: fill the caches of dead tasks (1024 global, 64 per P, in
	 * kernel/task.c) and of pages, so that what they keep afterwards is
	 * in the start figure too, not counted as the tasks' cost. */
	int warm = 1024 + 64 * num_cpu() + 64;

	parked = 0;
	for (int i = 0; i < warm; i++)
		ASSERT_GT(go_opts(park_fn, c, &o), 0);
	while (__atomic_load_n(&parked, __ATOMIC_RELAXED) < warm)
		sleep_ns(NSEC_PER_MSEC);
	chan_close(c);
	settle(tasks);
	chan_free(c);
	c = chan_make(sizeof(int), 0);
	parked = 0;

	task_free_surplus(); /* what the warm-up left beyond the caches */
	read_memstats(&start);
	for (int i = 0; i < NPARKED; i++)
		ASSERT_GT(go_opts(park_fn, c, &o), 0);
	while (__atomic_load_n(&parked, __ATOMIC_RELAXED) < NPARKED)
		sleep_ns(NSEC_PER_MSEC);
	read_memstats(&full);

	uint64_t used = (full.total - full.free) - (start.total - start.free);

	printk("    %d parked tasks: %llu bytes each (stacks %llu, heap %llu)\n", NPARKED,
	       (unsigned long long)(used / NPARKED),
	       (unsigned long long)((full.stack_in_use - start.stack_in_use) / NPARKED),
	       (unsigned long long)((full.heap_in_use - start.heap_in_use) / NPARKED));
	EXPECT_LE(used / NPARKED, 4608u);

	chan_close(c); /* every receiver gets -EPIPE and exits */
	settle(tasks);
	EXPECT_EQ(num_tasks(), tasks);
	chan_free(c);
	/* Within 1 %: the dead tasks' pages went back. Up to a sixteenth of
	 * RAM of their Gs and top pages stays cached for reuse, as in Go,
	 * until the scavenger frees what stayed unused (two periods of
	 * kernel/task.c's, a second). */
	uint64_t deadline = now_ns() + 5 * NSEC_PER_SEC;

	do {
		sleep_ns(10 * NSEC_PER_MSEC);
		read_memstats(&end);
	} while (end.free + start.free / 100 < start.free && now_ns() < deadline);
	EXPECT_GE(end.free + start.free / 100, start.free);
}
