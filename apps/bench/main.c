// SPDX-License-Identifier: MIT
/*
 * bench: the runtime's costs, measured the way bench/go/main.go measures Go's,
 * so that `make bench` can print weft/Go ratios. Each line is
 * "bench <name> <value> <unit>".
 *
 *   spawn     go() a task that signals a waitgroup; ns per task
 *   yield     two tasks yield to each other; ns per yield
 *   unbuf_rt  round trip over two unbuffered channels; ns per round trip
 *   buf       send then receive on a buffered channel; ns per pair
 *   mutex     uncontended lock + unlock; ns per pair
 *   parked    RAM per task parked on a channel; bytes per task
 *
 * `bench malloc` runs only the allocator's: malloc1_N is a malloc + free
 * pair of N bytes on one task, malloc2_N the same on two tasks at once
 * (wall time per pair done by either, so half of malloc1_N is perfect
 * scaling); bench/c/malloc.c runs the same loop on glibc. `bench malloc1`
 * runs only the one-task loops, for make bench to run two such processes
 * at once.
 *
 * `bench NAME` runs only benchmark NAME, ten times as long, for profiling.
 * `bench quick` runs a hundredth of the iterations, for emulators; under
 * QEMU's -icount shift=0 a nanosecond is one instruction, so the figures
 * are then instructions per operation. `bench N` runs N times as many.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft.h>

/* Iterations are base * scale / 100. */
static int scale = 100;

static int iters(int base)
{
	return (int)((long)base * scale / 100);
}

static void report(const char *name, double value, const char *unit)
{
	printf("bench %s %.1f %s\n", name, value, unit);
}

static waitgroup_t wg;

static void done_fn(void *arg)
{
	(void)arg;
	wg_done(&wg);
}

/* Spawn n tasks, at most 1000 alive at once (as Go's scheduler keeps
 * them bounded), and wait for them all. */
static void spawn_batches(int n)
{
	for (int i = 0; i < n; i++) {
		wg_add(&wg, 1);
		go(done_fn, NULL);
		if (i % 1000 == 999)
			wg_wait(&wg);
	}
	wg_wait(&wg);
}

/* The first batch, untimed, makes the 1000 stacks that the others reuse
 * (on hosted, a fresh stack's guard costs the host microseconds). */
static void bench_spawn(void)
{
	int n = iters(200000);

	spawn_batches(1000);
	uint64_t t0 = now_ns();

	spawn_batches(n);
	report("spawn", (double)(now_ns() - t0) / n, "ns/op");
}

static int yield_n;

static void yielder(void *arg)
{
	(void)arg;
	for (int i = 0; i < yield_n; i++)
		yield();
	wg_done(&wg);
}

static void bench_yield(void)
{
	yield_n = iters(1000000);
	wg_add(&wg, 2);
	uint64_t t0 = now_ns();

	go(yielder, NULL);
	go(yielder, NULL);
	wg_wait(&wg);
	report("yield", (double)(now_ns() - t0) / (2.0 * yield_n), "ns/op");
}

static chan_t *ping, *pong;

static void ponger(void *arg)
{
	int x;

	(void)arg;
	while (chan_recv(ping, &x) == 0)
		chan_send(pong, &x);
}

static void bench_unbuffered(void)
{
	int n = iters(500000), x = 0;

	ping = chan_make(sizeof(int), 0);
	pong = chan_make(sizeof(int), 0);
	go(ponger, NULL);
	uint64_t t0 = now_ns();

	for (int i = 0; i < n; i++) {
		chan_send(ping, &x);
		chan_recv(pong, &x);
	}
	report("unbuf_rt", (double)(now_ns() - t0) / n, "ns/op");
	chan_close(ping);
}

static void bench_buffered(void)
{
	int n = iters(5000000), x = 0;
	chan_t *c = chan_make(sizeof(int), 128);
	uint64_t t0 = now_ns();

	for (int i = 0; i < n; i++) {
		chan_send(c, &i);
		chan_recv(c, &x);
	}
	report("buf", (double)(now_ns() - t0) / n, "ns/op");
	chan_free(c);
}

static void bench_mutex(void)
{
	static mutex_t m;
	int n = iters(20000000);
	uint64_t t0 = now_ns();

	for (int i = 0; i < n; i++) {
		mutex_lock(&m);
		mutex_unlock(&m);
	}
	report("mutex", (double)(now_ns() - t0) / n, "ns/op");
}

/*
 * RAM in use, by Weft's own count (memstats), on every arch. On hosted the
 * process's resident set would also count the emulation: the host's page
 * tables for the stack region, and the arena page that accounts for each
 * stack page besides the host page that holds it.
 */
static double used_bytes(void)
{
	struct memstats ms;

	read_memstats(&ms);
	return (double)(ms.total - ms.free);
}

static void parker(void *arg)
{
	int x;

	chan_recv(arg, &x);
	wg_done(&wg);
}

static void bench_parked(void)
{
	int n = scale >= 100 ? 100000 : 1000, started = 0;
	chan_t *c = chan_make(sizeof(int), 0);
	double before = used_bytes();

	for (; started < n; started++) {
		wg_add(&wg, 1);
		if (go(parker, c) < 0) {
			wg_done(&wg);
			break; /* out of memory: measure what fit */
		}
	}
	for (int i = 0; i < 1000 && num_tasks() < started + 1; i++)
		sleep_ns(1000000);
	sleep_ns(10000000);
	if (started)
		report("parked", (used_bytes() - before) / started, "B/task");
	if (started < n)
		printf("bench parked: only %d of %d tasks fit\n", started, n);
	chan_close(c);
	wg_wait(&wg);
}

/* n malloc + free pairs; the asm keeps the compiler from eliding them
 * (the same loop as bench/c/malloc.c). */
static void bench_malloc_loop(size_t size, long n)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(size);

		__asm__ __volatile__("" : : "r"(p) : "memory");
		free(p);
	}
}

static size_t malloc_size;
static long malloc_n;
static int malloc_started;

static void malloc_task(void *arg)
{
	(void)arg;
	/* Start together, so that both run at once on two CPUs. */
	__atomic_fetch_add(&malloc_started, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&malloc_started, __ATOMIC_RELAXED) < 2)
		yield();
	bench_malloc_loop(malloc_size, malloc_n);
	wg_done(&wg);
}

static const size_t malloc_sizes[] = { 16, 64, 256, 1024, 4096 };
#define NR_MALLOC_SIZES (sizeof(malloc_sizes) / sizeof(malloc_sizes[0]))

/* malloc1_SIZE: n pairs on this task, after a tenth as many untimed. */
static void bench_malloc1(size_t size, long n)
{
	char name[32];

	bench_malloc_loop(size, n / 10); /* warm up */
	uint64_t t0 = now_ns();

	bench_malloc_loop(size, n);
	snprintf(name, sizeof(name), "malloc1_%zu", size);
	report(name, (double)(now_ns() - t0) / n, "ns/op");
}

static void bench_malloc(void)
{
	long n = iters(20000000);

	for (size_t i = 0; i < NR_MALLOC_SIZES; i++) {
		char name[32];

		bench_malloc1(malloc_sizes[i], n);
		malloc_size = malloc_sizes[i];
		malloc_n = n;
		malloc_started = 0;
		wg_add(&wg, 2);
		uint64_t t0 = now_ns();

		go(malloc_task, NULL);
		go(malloc_task, NULL);
		wg_wait(&wg);
		snprintf(name, sizeof(name), "malloc2_%zu", malloc_sizes[i]);
		report(name, (double)(now_ns() - t0) / (2.0 * n), "ns/op");
	}
}

/* malloc + free pairs of the first size, untimed, for `ns` nanoseconds. */
static void malloc_for(uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (now_ns() < end)
		bench_malloc_loop(malloc_sizes[0], 100000);
}

/*
 * `bench malloc1`: only the one-task loops. make bench runs two of these
 * processes at once, each on one CPU, to find what this host gives two
 * copies of exactly this loop when they share nothing at all: the
 * ceiling for malloc2_N, which shares one heap. Half a second of the loop
 * before and after the timed part keeps both processes busy while the
 * other times its own, whichever started first.
 */
static void bench_malloc_alone(void)
{
	malloc_for(500000000);
	for (size_t i = 0; i < NR_MALLOC_SIZES; i++)
		bench_malloc1(malloc_sizes[i], iters(20000000));
	malloc_for(500000000);
}

static const struct {
	const char *name;
	void (*fn)(void);
} benches[] = {
	{ "spawn", bench_spawn },  { "yield", bench_yield }, { "unbuf_rt", bench_unbuffered },
	{ "buf", bench_buffered }, { "mutex", bench_mutex }, { "parked", bench_parked },
};

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "malloc") == 0) {
		bench_malloc();
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "malloc1") == 0) {
		bench_malloc_alone();
		return 0;
	}
	/* One benchmark alone, ten times as long: for profiling. */
	for (size_t i = 0; argc > 1 && i < sizeof(benches) / sizeof(benches[0]); i++) {
		if (strcmp(argv[1], benches[i].name) == 0) {
			scale = 1000;
			benches[i].fn();
			return 0;
		}
	}
	if (argc > 1 && strcmp(argv[1], "quick") == 0)
		scale = 1;
	else if (argc > 1 && atoi(argv[1]) > 0)
		scale = 100 * atoi(argv[1]);
	printf("bench arch=%s cpus=%d\n", sys_arch(), num_cpu());
	report("boot", (double)now_ns(), "ns");
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		/* too few tasks in quick mode to mean anything */
		if (scale < 100 && benches[i].fn == bench_parked)
			continue;
		benches[i].fn();
	}
	return 0;
}
