// SPDX-License-Identifier: MIT
/* Tasks, channels, select, timers and sync: the Go semantics users rely
 * on, on every arch at 1 and 4 CPUs. */
#include <errno.h>
#include <string.h>

#include <weft.h>

#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <kernel/test.h>
#include <kernel/time.h>

/* ---- tasks ---- */

static waitgroup_t spawn_wg;
static int spawn_ran;

static void spawn_fn(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&spawn_ran, 1, __ATOMIC_RELAXED);
	wg_done(&spawn_wg);
}

TEST(sched, spawn_100000_tasks)
{
	int before = num_tasks();

	spawn_ran = 0;
	/* In waves, so that the fixed-size stacks of this stage fit in RAM. */
	for (int wave = 0; wave < 100; wave++) {
		wg_add(&spawn_wg, 1000);
		for (int i = 0; i < 1000; i++)
			ASSERT_GT(go(spawn_fn, NULL), 0);
		wg_wait(&spawn_wg);
	}
	EXPECT_EQ(spawn_ran, 100000);
	EXPECT_EQ(test_settle_tasks(before, NSEC_PER_SEC), before);
}

static void id_fn(void *arg)
{
	__atomic_store_n((int *)arg, task_id(), __ATOMIC_RELEASE);
}

TEST(sched, task_ids)
{
	int id = 0;

	EXPECT_EQ(task_id(), 1);
	int got = go(id_fn, &id);

	ASSERT_GT(got, 1);
	while (__atomic_load_n(&id, __ATOMIC_ACQUIRE) == 0)
		yield();
	EXPECT_EQ(id, got);
	EXPECT_GE(num_cpu(), 1);
}

/* ---- the concurrent prime sieve ---- */

struct filter {
	chan_t *in, *out;
	int prime;
};

static void generate(void *arg)
{
	chan_t *out = arg;

	for (int i = 2;; i++)
		if (chan_send(out, &i) < 0)
			return;
}

static void filter(void *arg)
{
	struct filter *f = arg;
	int x;

	while (chan_recv(f->in, &x) == 0)
		if (x % f->prime != 0 && chan_send(f->out, &x) < 0)
			break;
}

TEST(sched, prime_sieve_1000th_is_7919)
{
	enum { N = 1000 };
	static struct filter filters[N];
	static chan_t *chans[N + 1];
	int prime = 0;

	chans[0] = chan_make(sizeof(int), 0);
	ASSERT_TRUE(chans[0] != NULL);
	ASSERT_GT(go(generate, chans[0]), 0);
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(chan_recv(chans[i], &prime), 0);
		chans[i + 1] = chan_make(sizeof(int), 0);
		filters[i] = (struct filter){ chans[i], chans[i + 1], prime };
		ASSERT_GT(go(filter, &filters[i]), 0);
	}
	EXPECT_EQ(prime, 7919);
	/* Tear the chain down: closing each channel ends the task reading
	 * it, and the writer of the next one sees -EPIPE. */
	for (int i = 0; i <= N; i++)
		chan_close(chans[i]);
	EXPECT_EQ(test_settle_tasks(1, NSEC_PER_SEC), 1);
	for (int i = 0; i <= N; i++)
		chan_free(chans[i]);
}

/* ---- ping-pong ---- */

static void pong(void *arg)
{
	chan_t **c = arg;
	int x;

	while (chan_recv(c[0], &x) == 0)
		chan_send(c[1], &(int){ x + 1 });
}

TEST(sched, pingpong_100000_round_trips)
{
	chan_t *c[2] = { chan_make(sizeof(int), 0), chan_make(sizeof(int), 0) };
	int x = 0;

	ASSERT_GT(go(pong, c), 0);
	for (int i = 0; i < 100000; i++) {
		ASSERT_EQ(chan_send(c[0], &x), 0);
		ASSERT_EQ(chan_recv(c[1], &x), 0);
	}
	EXPECT_EQ(x, 100000);
	chan_close(c[0]);
	EXPECT_EQ(test_settle_tasks(1, NSEC_PER_SEC), 1);
	chan_free(c[0]);
	chan_free(c[1]);
}

/* ---- producers and consumers ---- */

#define PC_ITEMS 1000000
#define PC_TASKS 8

static chan_t *pc_chan;
static waitgroup_t pc_prod_wg, pc_cons_wg;
static uint64_t pc_sum, pc_count;

static void producer(void *arg)
{
	uint64_t base = (uintptr_t)arg;

	for (uint64_t i = 0; i < PC_ITEMS / PC_TASKS; i++) {
		uint64_t v = base * (PC_ITEMS / PC_TASKS) + i + 1;

		chan_send(pc_chan, &v);
	}
	wg_done(&pc_prod_wg);
}

static void consumer(void *arg)
{
	uint64_t v, sum = 0, n = 0;

	(void)arg;
	while (chan_recv(pc_chan, &v) == 0) {
		sum += v;
		n++;
	}
	__atomic_fetch_add(&pc_sum, sum, __ATOMIC_RELAXED);
	__atomic_fetch_add(&pc_count, n, __ATOMIC_RELAXED);
	wg_done(&pc_cons_wg);
}

TEST(sched, producers_consumers_1m_items)
{
	pc_chan = chan_make(sizeof(uint64_t), 128);
	ASSERT_TRUE(pc_chan != NULL);
	EXPECT_EQ(chan_cap(pc_chan), 128);
	pc_sum = pc_count = 0;
	wg_add(&pc_prod_wg, PC_TASKS);
	wg_add(&pc_cons_wg, PC_TASKS);
	for (uintptr_t i = 0; i < PC_TASKS; i++) {
		ASSERT_GT(go(producer, (void *)i), 0);
		ASSERT_GT(go(consumer, NULL), 0);
	}
	wg_wait(&pc_prod_wg);
	chan_close(pc_chan);
	wg_wait(&pc_cons_wg);
	EXPECT_UEQ(pc_count, PC_ITEMS);
	EXPECT_UEQ(pc_sum, (uint64_t)PC_ITEMS * (PC_ITEMS + 1) / 2);
	EXPECT_EQ(chan_len(pc_chan), 0);
	chan_free(pc_chan);
}

/* ---- select ---- */

TEST(select, fairness_between_two_ready_channels)
{
	chan_t *a = chan_make(sizeof(int), 1), *b = chan_make(sizeof(int), 1);
	int x, hits[2] = { 0, 0 };

	for (int i = 0; i < 10000; i++) {
		chan_trysend(a, &i);
		chan_trysend(b, &i);
		struct chan_case cases[2] = { { a, CHAN_RECV, &x, 0 }, { b, CHAN_RECV, &x, 0 } };
		int r = chan_select(cases, 2, -1);

		ASSERT_TRUE(r == 0 || r == 1);
		hits[r]++;
	}
	EXPECT_GE(hits[0], 4000);
	EXPECT_LE(hits[0], 6000);
	EXPECT_EQ(hits[0] + hits[1], 10000);
	chan_free(a);
	chan_free(b);
}

TEST(select, timeout_and_poll)
{
	chan_t *c = chan_make(sizeof(int), 0);
	int x;
	struct chan_case cs[1] = { { c, CHAN_RECV, &x, 0 } };

	EXPECT_EQ(chan_select(cs, 1, 0), -EAGAIN);
	uint64_t t0 = now_ns();

	EXPECT_EQ(chan_select(cs, 1, 20 * (int64_t)NSEC_PER_MSEC), -ETIMEDOUT);
	EXPECT_UGE(now_ns() - t0, 20 * NSEC_PER_MSEC);
	/* A timeout with no cases at all just sleeps. */
	EXPECT_EQ(chan_select(NULL, 0, (int64_t)NSEC_PER_MSEC), -ETIMEDOUT);
	chan_free(c);
}

static void send_later(void *arg)
{
	sleep_ns(5 * NSEC_PER_MSEC);
	chan_send(arg, &(int){ 42 });
}

TEST(select, blocks_until_a_case_is_ready)
{
	chan_t *c = chan_make(sizeof(int), 0), *never = chan_make(sizeof(int), 0);
	int x = 0, y = 0;
	struct chan_case cs[3] = {
		{ never, CHAN_RECV, &y, 0 },
		{ NULL, CHAN_RECV, &y, 0 }, /* NULL channels never fire */
		{ c, CHAN_RECV, &x, 0 },
	};

	ASSERT_GT(go(send_later, c), 0);
	EXPECT_EQ(chan_select(cs, 3, 5 * (int64_t)NSEC_PER_SEC), 2);
	EXPECT_EQ(x, 42);
	EXPECT_EQ(cs[2].closed, 0);
	chan_free(c);
	chan_free(never);
}

TEST(select, send_case_and_closed_channels)
{
	chan_t *c = chan_make(sizeof(int), 1), *closed = chan_make(sizeof(int), 0);
	int v = 7, x = -1;

	chan_close(closed);
	struct chan_case send_case[1] = { { c, CHAN_SEND, &v, 0 } };

	EXPECT_EQ(chan_select(send_case, 1, 0), 0);
	EXPECT_EQ(chan_len(c), 1);
	EXPECT_EQ(chan_select(send_case, 1, 0), -EAGAIN); /* full */

	struct chan_case recv_closed[1] = { { closed, CHAN_RECV, &x, 0 } };

	EXPECT_EQ(chan_select(recv_closed, 1, -1), 0);
	EXPECT_EQ(recv_closed[0].closed, 1);
	EXPECT_EQ(x, 0);
	chan_free(c);
	chan_free(closed);
}

/* ---- close ---- */

TEST(chan, close_drains_then_epipe)
{
	chan_t *c = chan_make(sizeof(int), 4);
	int x;

	for (int i = 1; i <= 3; i++)
		ASSERT_EQ(chan_send(c, &i), 0);
	chan_close(c);
	EXPECT_EQ(chan_send(c, &x), -EPIPE);
	EXPECT_EQ(chan_trysend(c, &x), -EPIPE);
	for (int i = 1; i <= 3; i++) {
		ASSERT_EQ(chan_recv(c, &x), 0);
		EXPECT_EQ(x, i);
	}
	x = 99;
	EXPECT_EQ(chan_recv(c, &x), -EPIPE);
	EXPECT_EQ(x, 0);
	EXPECT_EQ(chan_tryrecv(c, &x), -EPIPE);
	chan_free(c);
}

static void recv_until_closed(void *arg)
{
	int x;

	*(int *)((chan_t **)arg)[1] = chan_recv(((chan_t **)arg)[0], &x);
}

TEST(chan, close_wakes_blocked_receivers)
{
	chan_t *c = chan_make(sizeof(int), 0);
	int result = 1;
	void *args[2] = { c, &result };

	ASSERT_GT(go(recv_until_closed, args), 0);
	sleep_ns(NSEC_PER_MSEC); /* let it block in chan_recv */
	chan_close(c);
	EXPECT_EQ(test_settle_tasks(1, NSEC_PER_SEC), 1);
	EXPECT_EQ(result, -EPIPE);
	chan_free(c);
}

TEST(chan, trysend_tryrecv)
{
	chan_t *c = chan_make(sizeof(int), 1);
	int x;

	EXPECT_EQ(chan_tryrecv(c, &x), -EAGAIN);
	EXPECT_EQ(chan_trysend(c, &(int){ 5 }), 0);
	EXPECT_EQ(chan_trysend(c, &(int){ 6 }), -EAGAIN);
	EXPECT_EQ(chan_tryrecv(c, &x), 0);
	EXPECT_EQ(x, 5);
	EXPECT_EQ(chan_send(NULL, &x), -EINVAL);
	chan_free(c);
}

/* ---- sync ---- */

static mutex_t mu;
static long counter;
static waitgroup_t mu_wg;

static void incrementer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100000; i++) {
		mutex_lock(&mu);
		counter++;
		mutex_unlock(&mu);
	}
	wg_done(&mu_wg);
}

TEST(sync, mutex_8_tasks_x_100000)
{
	counter = 0;
	wg_add(&mu_wg, 8);
	for (int i = 0; i < 8; i++)
		ASSERT_GT(go(incrementer, NULL), 0);
	wg_wait(&mu_wg);
	EXPECT_EQ(counter, 800000);
	EXPECT_EQ(mutex_trylock(&mu), 1);
	EXPECT_EQ(mutex_trylock(&mu), 0);
	mutex_unlock(&mu);
}

/*
 * Tasks that never yield and spend nearly all their time inside the
 * mutex: the end of a time slice lands inside the critical section, so
 * the others find it held, queue and are woken, on one CPU (where the
 * fast paths are single instructions that only interrupts must not
 * split) as on several.
 */
static mutex_t hot_mu;
static volatile int hot_owner;
static long hot_total, hot_overlaps;
static uint64_t hot_until;
static waitgroup_t hot_wg;

static void hot_locker(void *arg)
{
	int me = (int)(uintptr_t)arg;
	long mine = 0;

	while (now_ns() < hot_until) {
		mutex_lock(&hot_mu);
		hot_owner = me;
		for (volatile int spin = 0; spin < 2000; spin++)
			;
		if (hot_owner != me)
			hot_overlaps++;
		hot_total++;
		mutex_unlock(&hot_mu);
		mine++;
	}
	mutex_lock(&hot_mu);
	hot_total -= mine;
	mutex_unlock(&hot_mu);
	wg_done(&hot_wg);
}

TEST(sync, mutex_held_across_preemption)
{
	int n = num_cpu() + 2;

	hot_total = hot_overlaps = 0;
	/* Several time slices (10 ms by default) of each task. */
	hot_until = now_ns() + 200 * NSEC_PER_MSEC;
	wg_add(&hot_wg, n);
	for (int i = 1; i <= n; i++)
		ASSERT_GT(go(hot_locker, (void *)(uintptr_t)i), 0);
	wg_wait(&hot_wg);
	EXPECT_EQ(hot_overlaps, 0);
	EXPECT_EQ(hot_total, 0); /* every increment was counted by its task */
	EXPECT_EQ(mutex_trylock(&hot_mu), 1);
	mutex_unlock(&hot_mu);
}

static mutex_t cv_mu;
static cond_t cv;
static int cv_ready, cv_woken;

static void cond_waiter(void *arg)
{
	(void)arg;
	mutex_lock(&cv_mu);
	while (!cv_ready)
		cond_wait(&cv, &cv_mu);
	cv_woken++;
	mutex_unlock(&cv_mu);
}

TEST(sync, cond_signal_and_broadcast)
{
	cv_ready = cv_woken = 0;
	for (int i = 0; i < 10; i++)
		ASSERT_GT(go(cond_waiter, NULL), 0);
	sleep_ns(5 * NSEC_PER_MSEC);
	mutex_lock(&cv_mu);
	EXPECT_EQ(cv_woken, 0);
	cv_ready = 1;
	cond_signal(&cv);
	mutex_unlock(&cv_mu);
	cond_broadcast(&cv);
	EXPECT_EQ(test_settle_tasks(1, NSEC_PER_SEC), 1);
	mutex_lock(&cv_mu);
	EXPECT_EQ(cv_woken, 10);
	mutex_unlock(&cv_mu);
}

static int once_calls;

static void once_fn(void)
{
	once_calls++;
}

static once_t once;
static waitgroup_t once_wg;

static void once_task(void *arg)
{
	(void)arg;
	once_do(&once, once_fn);
	wg_done(&once_wg);
}

TEST(sync, once_and_waitgroup)
{
	wg_add(&once_wg, 16);
	for (int i = 0; i < 16; i++)
		ASSERT_GT(go(once_task, NULL), 0);
	wg_wait(&once_wg);
	EXPECT_EQ(once_calls, 1);
	wg_wait(&once_wg); /* a zero counter does not block */
}

static waitgroup_t gate_wg, back_wg;
static int gate_passed;

static void gate_waiter(void *arg)
{
	(void)arg;
	wg_wait(&gate_wg);
	__atomic_fetch_add(&gate_passed, 1, __ATOMIC_RELAXED);
	wg_done(&back_wg);
}

/* Waiters stay parked while the counter is up and all wake when it
 * reaches zero, round after round on one reused waitgroup: the last
 * wg_done races the waiters' own checks on other CPUs. */
TEST(sync, waitgroup_wakes_every_waiter_at_zero_each_round)
{
	for (int round = 0; round < 200; round++) {
		wg_add(&gate_wg, 1);
		wg_add(&back_wg, 4);
		for (int i = 0; i < 4; i++)
			ASSERT_GT(go(gate_waiter, NULL), 0);
		if (round % 50 == 0) {
			sleep_ns(1000000); /* let them all park */
			EXPECT_EQ(__atomic_load_n(&gate_passed, __ATOMIC_RELAXED), round * 4);
		}
		wg_done(&gate_wg);
		wg_wait(&back_wg);
		ASSERT_EQ(__atomic_load_n(&gate_passed, __ATOMIC_RELAXED), (round + 1) * 4);
	}
}

static waitgroup_t zero_wg;
static int zero_go, zero_started, zero_in_done, zero_returned;

static void flag_set(int *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
}

static bool flag_get(int *flag)
{
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

static void zero_doner(void *arg)
{
	(void)arg;
	flag_set(&zero_started);
	/* Yield, not spin: the main task may wait for its timer on this CPU
	 * (TSan's hosted build defers the timer signal past a spin). */
	while (!flag_get(&zero_go))
		yield();
	flag_set(&zero_in_done);
	wg_done(&zero_wg);
	flag_set(&zero_returned);
}

/* Spin until *flag is set or ns pass; whether it was set. */
static bool spin_for(int *flag, uint64_t ns)
{
	uint64_t t0 = now_ns();

	while (!flag_get(flag) && now_ns() - t0 < ns)
		arch_cpu_relax();
	return flag_get(flag);
}

/* A waiter checks the counter and queues itself under the waitgroup's
 * lock, so the change to zero must take that lock before it looks for
 * waiters: one that looked without it could find none yet and wake
 * nobody. Hold the lock as such a waiter does, and see the last wg_done
 * wait for it. */
TEST(sync, waitgroup_zero_waits_for_a_waiter_between_check_and_queue)
{
	spinlock_t *wl = (spinlock_t *)&zero_wg.wait_lock;

	if (num_cpu() < 2) {
		printk("    (skipped: needs two CPUs)\n");
		return;
	}
	wg_add(&zero_wg, 1);
	ASSERT_GT(go(zero_doner, NULL), 0);
	for (int i = 0; i < 1000 && !flag_get(&zero_started); i++)
		sleep_ns(1000000);
	ASSERT_TRUE(flag_get(&zero_started));

	spin_lock(wl);
	flag_set(&zero_go);
	bool in_done = spin_for(&zero_in_done, 100000000);
	bool early = in_done && spin_for(&zero_returned, 2000000);

	spin_unlock(wl);
	if (!in_done)
		printk("    (skipped: the other task did not run within 100 ms)\n");
	EXPECT_FALSE(early);
	for (int i = 0; i < 1000 && !flag_get(&zero_returned); i++)
		sleep_ns(1000000);
	EXPECT_TRUE(flag_get(&zero_returned));
	wg_wait(&zero_wg);
}

/* ---- preemption, stealing, timers ---- */

static volatile uint64_t spin_counts[64];
static volatile int spin_stop;

static void spinner(void *arg)
{
	uintptr_t i = (uintptr_t)arg;

	while (!spin_stop)
		spin_counts[i]++;
}

TEST(sched, preemption_of_tasks_that_never_yield)
{
	int n = num_cpu() + 2, lagging;
	uint64_t before[64], deadline;

	spin_stop = 0;
	for (int i = 0; i < n; i++) {
		spin_counts[i] = 0;
		ASSERT_GT(go(spinner, (void *)(uintptr_t)i), 0);
	}
	sleep_ns(5 * NSEC_PER_MSEC);
	for (int i = 0; i < n; i++)
		before[i] = spin_counts[i];
	/*
	 * main keeps waking up although every CPU is busy with spinners, and
	 * every spinner gets CPU time while more spinners than CPUs exist.
	 * How soon depends on how much of the host the vCPUs get, so wait
	 * for it rather than timing it; with no preemption main never wakes.
	 */
	deadline = now_ns() + 5 * NSEC_PER_SEC;
	do {
		sleep_ns(10 * NSEC_PER_MSEC);
		lagging = 0;
		for (int i = 0; i < n; i++)
			lagging += spin_counts[i] == before[i];
	} while (lagging && now_ns() < deadline);
	for (int i = 0; i < n; i++)
		EXPECT_UGE(spin_counts[i], before[i] + 1);
	spin_stop = 1;
	EXPECT_EQ(test_settle_tasks(1, NSEC_PER_SEC), 1);
}

static int slice_n, slice_started, slice_gave_up;
static waitgroup_t slice_wg;

/* Spins until every spinner has started, or for at most 5 s. */
static void slice_spinner(void *arg)
{
	uint64_t deadline = now_ns() + 5 * NSEC_PER_SEC;

	(void)arg;
	__atomic_add_fetch(&slice_started, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&slice_started, __ATOMIC_RELAXED) < slice_n) {
		if (now_ns() > deadline) {
			__atomic_add_fetch(&slice_gave_up, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	wg_done(&slice_wg);
}

/*
 * More spinners than CPUs, each waiting for the last one to start, while
 * main waits with no timer of its own: only the end of a time slice can
 * take a spinner off its CPU and let the others start.
 */
TEST(sched, preemption_ends_time_slices)
{
	slice_n = num_cpu() + 2;
	slice_started = 0;
	slice_gave_up = 0;
	wg_add(&slice_wg, slice_n);
	for (int i = 0; i < slice_n; i++)
		ASSERT_GT(go(slice_spinner, NULL), 0);
	wg_wait(&slice_wg);
	EXPECT_EQ(slice_gave_up, 0); /* wg_wait ordered the spinners before this */
	EXPECT_EQ(test_settle_tasks(1, NSEC_PER_SEC), 1);
}

static volatile uint64_t cpu_hits[MAX_CPUS];
static waitgroup_t steal_wg;

static void cpu_bound(void *arg)
{
	volatile uint64_t x = 0;

	(void)arg;
	for (int i = 0; i < 20000; i++)
		x += (uint64_t)i;
	preempt_disable();
	cpu_hits[this_cpu()->idx]++;
	preempt_enable();
	wg_done(&steal_wg);
}

static void spawner(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10000; i++)
		while (go(cpu_bound, NULL) < 0)
			yield(); /* out of memory for now: let some finish first */
}

TEST(sched, stealing_spreads_work_to_every_cpu)
{
	memset((void *)cpu_hits, 0, sizeof(cpu_hits));
	wg_add(&steal_wg, 10000);
	ASSERT_GT(go(spawner, NULL), 0);
	wg_wait(&steal_wg);
	for (int i = 0; i < num_cpu(); i++)
		EXPECT_UGE(cpu_hits[i], 1);
}

static int early_wakeups;
static waitgroup_t sleep_wg;

static void sleeper(void *arg)
{
	uint64_t ns = (uintptr_t)arg;
	uint64_t t0 = now_ns();

	sleep_ns(ns);
	if (now_ns() - t0 < ns)
		__atomic_fetch_add(&early_wakeups, 1, __ATOMIC_RELAXED);
	wg_done(&sleep_wg);
}

TEST(timer, thousand_sleepers_never_wake_early)
{
	early_wakeups = 0;
	wg_add(&sleep_wg, 1000);
	for (int i = 0; i < 1000; i++) {
		uint64_t ns = (uint64_t)(sched_fastrand() % 50000) * NSEC_PER_USEC;

		ASSERT_GT(go(sleeper, (void *)(uintptr_t)ns), 0);
	}
	wg_wait(&sleep_wg);
	EXPECT_EQ(early_wakeups, 0);
}
