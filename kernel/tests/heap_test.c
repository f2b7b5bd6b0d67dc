// SPDX-License-Identifier: MIT
/* The heap behind malloc: classes and alignment, the C library's calls,
 * accounting, a multi-CPU stress with frees on other CPUs, and running out
 * of memory. */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <weft.h>

#include <kernel/heap.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/test.h>
#include <kernel/time.h>

#include "../heap_sizeclasses.h"

/*
 * Under a hosted sanitizer build the C library's malloc is the sanitizer's
 * (libc/malloc.c says why): there the tests that need malloc itself are
 * left out, and the rest call the heap directly, which they do everywhere
 * so that the heap is what they check.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LIBC_IS_HEAP 0
#else
#define LIBC_IS_HEAP 1
#endif

static uint32_t xorshift(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* A pattern that differs for every object (seed) and every word, and
 * whose first n bytes are the same whatever size was filled. */
static void fill(void *p, size_t n, uint32_t seed)
{
	uint64_t *w = p, v = seed * 0x9e3779b97f4a7c15ull, tail;
	size_t i;

	for (i = 0; i < n / 8; i++)
		w[i] = v + i;
	tail = v + i;
	memcpy(&w[i], &tail, n % 8);
}

static bool intact(const void *p, size_t n, uint32_t seed)
{
	const uint64_t *w = p, v = seed * 0x9e3779b97f4a7c15ull;
	uint64_t tail;
	size_t i;

	for (i = 0; i < n / 8; i++)
		if (w[i] != v + i)
			return false;
	tail = v + i;
	return memcmp(&w[i], &tail, n % 8) == 0;
}

/*
 * Tests that compare heap_in_use before and after need every CPU up first:
 * on hosted, starting a CPU's thread allocates the host C library's
 * per-thread data from this heap, and the boot CPU may still be starting
 * them while the first tests run. Returns once a task has run on each CPU
 * (or after a second).
 */
static uint64_t cpus_seen;
static waitgroup_t cpus_wg;

static int cpu_now(void)
{
	preempt_disable();
	int cpu = (int)this_cpu()->idx;

	preempt_enable();
	return cpu;
}

static void cpu_spotter(void *arg)
{
	uint64_t deadline = *(uint64_t *)arg;
	uint64_t all = num_cpu() >= 64 ? ~0ull : (1ull << num_cpu()) - 1;

	while (__atomic_load_n(&cpus_seen, __ATOMIC_RELAXED) != all && now_ns() < deadline) {
		__atomic_fetch_or(&cpus_seen, 1ull << (cpu_now() % 64), __ATOMIC_RELAXED);
		yield();
	}
	wg_done(&cpus_wg);
}

static void wait_all_cpus_running(void)
{
	static uint64_t deadline;

	deadline = now_ns() + NSEC_PER_SEC;
	cpus_seen = 0;
	wg_add(&cpus_wg, num_cpu());
	for (int i = 0; i < num_cpu(); i++)
		if (go(cpu_spotter, &deadline) < 0)
			wg_done(&cpus_wg);
	wg_wait(&cpus_wg);
}

/* ---- classes, alignment, accounting ---- */

TEST(heap, every_size_gets_its_own_aligned_room)
{
	static void *objs[400];
	static size_t sizes[400];
	int n = 0;

	/* Every class boundary and its neighbours, then large sizes. */
	for (unsigned int c = 1; c < HEAP_NCLASSES && n + 3 <= 300; c++)
		for (int d = -1; d <= 1; d++)
			sizes[n++] = heap_class_size[c] + (size_t)d;
	for (size_t s = HEAP_SMALL_MAX + 1; s <= 1024 * 1024 && n < 400; s = s * 3 / 2)
		sizes[n++] = s;
	sizes[0] = 0;
	for (int i = 0; i < n; i++) {
		objs[i] = heap_alloc(sizes[i]);
		ASSERT_TRUE(objs[i] != NULL);
		EXPECT_UEQ((uintptr_t)objs[i] % HEAP_MIN_ALIGN, 0);
		EXPECT_UGE(heap_usable_size(objs[i]), sizes[i]);
		fill(objs[i], sizes[i], (uint32_t)i);
	}
	/* No two objects overlap: each still holds its own pattern. */
	for (int i = 0; i < n; i++) {
		EXPECT_TRUE(intact(objs[i], sizes[i], (uint32_t)i));
		heap_free(objs[i]);
	}
	/* Small sizes are rounded to their class, large ones to pages. */
	void *p = heap_alloc(100);

	EXPECT_UEQ(heap_usable_size(p), heap_class_size[heap_size_to_class16[(100 + 15) / 16]]);
	heap_free(p);
	p = heap_alloc(HEAP_SMALL_MAX + 1);
	EXPECT_UEQ(heap_usable_size(p), HEAP_SMALL_MAX + PAGE_SIZE);
	heap_free(p);
	EXPECT_UEQ(heap_usable_size(NULL), 0);
}

TEST(heap, in_use_counts_live_objects_exactly)
{
	wait_all_cpus_running();
	uint64_t before = heap_in_use_bytes();
	void *small = heap_alloc(100), *large = heap_alloc(100000);

	ASSERT_TRUE(small && large);
	/* Nothing else allocates while the test runs. */
	EXPECT_UEQ(heap_in_use_bytes() - before, heap_usable_size(small) + 25 * PAGE_SIZE);
	heap_free(large);
	EXPECT_UEQ(heap_in_use_bytes() - before, heap_usable_size(small));
	heap_free(small);
	EXPECT_UEQ(heap_in_use_bytes(), before);

	struct memstats ms;

	read_memstats(&ms);
	EXPECT_UEQ(ms.heap_in_use, heap_in_use_bytes());
}

TEST(heap, aligned_objects)
{
	static const size_t sizes[] = { 1, 24, 100, 4000, 5000, 40000, 300000 };

	for (size_t align = 1; align <= 1024 * 1024; align *= 2) {
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			void *p = heap_alloc_aligned(align, sizes[i]);

			ASSERT_TRUE(p != NULL);
			EXPECT_UEQ((uintptr_t)p % align, 0);
			EXPECT_UEQ((uintptr_t)p % HEAP_MIN_ALIGN, 0);
			EXPECT_UGE(heap_usable_size(p), sizes[i]);
			fill(p, sizes[i], (uint32_t)align);
			EXPECT_TRUE(intact(p, sizes[i], (uint32_t)align));
			heap_free(p);
		}
	}
	EXPECT_TRUE(heap_alloc_aligned(0, 16) == NULL);
	EXPECT_TRUE(heap_alloc_aligned(48, 16) == NULL);
}

TEST(heap, realloc_keeps_contents)
{
	/* Through small and large sizes, up and down. */
	static const size_t steps[] = { 1,     16,     17,    100,   1000, 5000, 32768,
					40000, 300000, 70000, 33000, 2000, 30,	 0 };
	size_t had = 0;
	unsigned char *p = NULL;
	uint64_t before = heap_in_use_bytes();

	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		size_t n = steps[i];
		unsigned char *q = heap_realloc(p, n);

		if (n == 0) {
			EXPECT_TRUE(q == NULL); /* freed */
			break;
		}
		ASSERT_TRUE(q != NULL);
		EXPECT_TRUE(intact(q, MIN(had, n), 7));
		EXPECT_UGE(heap_usable_size(q), n);
		fill(q, n, 7);
		p = q;
		had = n;
	}
	EXPECT_UEQ(heap_in_use_bytes(), before);

	/* Shrinking a large object in place gives back its tail. */
	p = heap_alloc(400000);
	ASSERT_TRUE(p != NULL);
	fill(p, 400000, 9);
	uint64_t big = heap_in_use_bytes();

	EXPECT_TRUE(heap_realloc(p, 100000) == p);
	EXPECT_UEQ(big - heap_in_use_bytes(), (98 - 25) * PAGE_SIZE);
	EXPECT_TRUE(intact(p, 100000, 9));
	heap_free(p);
}

TEST(heap, calloc_zeroes_reused_memory)
{
	static const size_t sizes[] = { 8, 200, 3000, 20000, 100000 };

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned char *p = heap_alloc(sizes[i]);

		ASSERT_TRUE(p != NULL);
		memset(p, 0xa5, sizes[i]);
		heap_free(p);
		/* The object just freed is the first one handed out again. */
		unsigned char *q = heap_calloc(1, sizes[i]);

		ASSERT_TRUE(q != NULL);
		size_t nonzero = 0;

		for (size_t j = 0; j < sizes[i]; j++)
			nonzero += q[j] != 0;
		EXPECT_UEQ(nonzero, 0);
		heap_free(q);
	}
	EXPECT_TRUE(heap_calloc(SIZE_MAX / 2, 4) == NULL);
}

/* The C library's names route to the heap and report errors through errno
 * (newlib's per-task errno, or the host's). */
TEST(heap, libc_calls_and_their_errors)
{
	if (!LIBC_IS_HEAP)
		return;
	void *p = malloc(40);

	ASSERT_TRUE(p != NULL);
	EXPECT_UEQ(malloc_usable_size(p), heap_usable_size(p)); /* one of the heap's objects */
	free(p);

	unsigned char *z = calloc(10, 10);

	ASSERT_TRUE(z != NULL);
	EXPECT_EQ(z[0] | z[99], 0);
	z = realloc(z, 5000);
	ASSERT_TRUE(z != NULL);
	EXPECT_EQ(z[0] | z[99], 0);
	free(z);

	/* volatile: the compiler would reject the constant as too large. */
	volatile size_t huge = SIZE_MAX - 100;

	errno = 0;
	EXPECT_TRUE(malloc(huge) == NULL);
	EXPECT_EQ(errno, ENOMEM);
	errno = 0;
	EXPECT_TRUE(calloc(huge / 8, 16) == NULL);
	EXPECT_EQ(errno, ENOMEM);
	errno = 0;
	p = malloc(10);
	void *q = realloc(p, huge);

	EXPECT_TRUE(q == NULL);
	EXPECT_EQ(errno, ENOMEM);
	if (!q)
		free(p); /* still valid after a failed realloc */

	p = memalign(256, 100);
	EXPECT_UEQ((uintptr_t)p % 256, 0);
	free(p);
	p = aligned_alloc(8192, 8192);
	EXPECT_UEQ((uintptr_t)p % 8192, 0);
	free(p);
	p = valloc(10);
	EXPECT_UEQ((uintptr_t)p % PAGE_SIZE, 0);

	/* The SVID statistics see a live large object, and trimming keeps it. */
#ifdef __GLIBC__
#define MALLINFO mallinfo2 /* hosted: glibc deprecates mallinfo */
#else
#define MALLINFO mallinfo
#endif
	struct MALLINFO before = MALLINFO();
	void *big = malloc(256 << 10);

	ASSERT_TRUE(big != NULL);
	struct MALLINFO during = MALLINFO();

	EXPECT_TRUE((size_t)during.uordblks >= (size_t)before.uordblks + (256 << 10));
	EXPECT_TRUE(during.arena >= during.uordblks);
	malloc_trim(0);
	memset(big, 0x5a, 256 << 10);
	free(big);
	EXPECT_EQ(mallopt(M_TRIM_THRESHOLD, 0), 0);
	free(p);
	p = pvalloc(10);
	EXPECT_UEQ((uintptr_t)p % PAGE_SIZE, 0);
	EXPECT_UGE(malloc_usable_size(p), PAGE_SIZE);
	free(p);

	void *out = &out;

	EXPECT_EQ(posix_memalign(&out, 64, 1000), 0);
	EXPECT_UEQ((uintptr_t)out % 64, 0);
	free(out);
	/* Bad alignments: EINVAL, and *out untouched. */
	out = &out;
	EXPECT_EQ(posix_memalign(&out, 24, 16), EINVAL);
	EXPECT_EQ(posix_memalign(&out, sizeof(void *) / 2, 16), EINVAL);
	EXPECT_EQ(posix_memalign(&out, 0, 16), EINVAL);
	EXPECT_TRUE(out == &out);
	EXPECT_EQ(posix_memalign(&out, 4096, huge), ENOMEM);
	errno = 0;
	EXPECT_TRUE(aligned_alloc(48, 96) == NULL);
	EXPECT_EQ(errno, EINVAL);
	errno = 0;
	EXPECT_TRUE(memalign(0, 16) == NULL);
	EXPECT_EQ(errno, EINVAL);
	errno = 0;
	EXPECT_TRUE(memalign(100, 16) == NULL);
	EXPECT_EQ(errno, EINVAL);
}

/* ---- many CPUs: random sizes, frees on other CPUs ---- */

#define NWORKERS 4
#define SLOTS 32
#define ITERS 3000

struct obj {
	void *p;
	size_t n;
	uint32_t seed;
	int cpu; /* where it was allocated */
};

struct worker {
	int idx;
	chan_t *inbox, *next; /* objects to free, from the previous worker; to the next */
	uint32_t rng;
	struct obj slots[SLOTS];
	int corrupt, nalloc, remote, cross_cpu;
};

static struct worker workers[NWORKERS];
static waitgroup_t stress_ready, stress_drained;
static int stress_produced; /* workers that have stopped sending */
static chan_t *stress_start;

/* 1 B to 256 KiB, mostly small, as programs allocate. */
static size_t random_size(uint32_t *rng)
{
	uint32_t r = xorshift(rng) % 100, limit = r < 60 ? 256 :
						  r < 90 ? 4096 :
						  r < 98 ? 32768 :
							   262144;

	return 1 + xorshift(rng) % limit;
}

static void check_and_free(struct worker *w, struct obj *o)
{
	if (!intact(o->p, o->n, o->seed))
		w->corrupt++;
	if (o->cpu != cpu_now())
		w->cross_cpu++;
	heap_free(o->p);
}

static void drain_inbox(struct worker *w)
{
	struct obj o;

	while (chan_tryrecv(w->inbox, &o) == 0) {
		check_and_free(w, &o);
		w->remote++;
	}
}

static void stress_worker(void *arg)
{
	struct worker *w = arg;
	int go_ahead;

	wg_done(&stress_ready);
	chan_recv(stress_start, &go_ahead);
	for (int i = 0; i < ITERS; i++) {
		struct obj o = { .n = random_size(&w->rng), .seed = xorshift(&w->rng) };

		o.p = heap_alloc(o.n);
		if (!o.p) {
			w->corrupt += 1000; /* out of memory is a failure here */
			break;
		}
		o.cpu = cpu_now();
		fill(o.p, o.n, o.seed);
		w->nalloc++;
		if (xorshift(&w->rng) % 3 == 0) {
			/* A third goes to the next worker to be freed. */
			while (chan_trysend(w->next, &o) != 0) {
				drain_inbox(w);
				yield();
			}
		} else {
			struct obj *slot = &w->slots[xorshift(&w->rng) % SLOTS];

			if (slot->p)
				check_and_free(w, slot);
			*slot = o;
		}
		drain_inbox(w);
	}
	for (int s = 0; s < SLOTS; s++)
		if (w->slots[s].p)
			check_and_free(w, &w->slots[s]);
	/* Once every worker has stopped sending, whatever is left in the
	 * inbox is all there will be. Until then keep draining: a worker
	 * still sending may be waiting for room in this inbox. */
	__atomic_fetch_add(&stress_produced, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&stress_produced, __ATOMIC_ACQUIRE) < NWORKERS) {
		drain_inbox(w);
		yield();
	}
	drain_inbox(w);
	wg_done(&stress_drained);
}

/* What the P caches may keep pinned after everything is freed: each object
 * a cache holds (fewer than two batches per class) can keep its span, and
 * each class keeps one empty span; plus the span structures. */
static uint64_t cache_pin_bound(void)
{
	uint64_t per_p = 0, kept = 0;

	for (unsigned int c = 1; c < HEAP_NCLASSES; c++) {
		per_p += (2u * heap_class_batch[c] - 1) * heap_class_npages[c] * PAGE_SIZE;
		kept += heap_class_npages[c] * PAGE_SIZE;
	}
	return per_p * (uint64_t)num_cpu() + kept + 16 * PAGE_SIZE;
}

TEST(heap, stress_on_all_cpus_with_remote_frees)
{
	int go_ahead = 1;

	wait_all_cpus_running();
	stress_start = chan_make(sizeof(int), 0);
	ASSERT_TRUE(stress_start != NULL);
	for (int i = 0; i < NWORKERS; i++) {
		memset(&workers[i], 0, sizeof(workers[i]));
		workers[i].idx = i;
		workers[i].rng = 0x12345u * (uint32_t)(i + 1);
		workers[i].inbox = chan_make(sizeof(struct obj), 16);
		ASSERT_TRUE(workers[i].inbox != NULL);
	}
	for (int i = 0; i < NWORKERS; i++)
		workers[i].next = workers[(i + 1) % NWORKERS].inbox;
	wg_add(&stress_ready, NWORKERS);
	stress_produced = 0;
	wg_add(&stress_drained, NWORKERS);
	for (int i = 0; i < NWORKERS; i++)
		ASSERT_GT(go(stress_worker, &workers[i]), 0);
	/* The workers exist and wait: from here until they finish, only their
	 * objects come and go. */
	wg_wait(&stress_ready);
	uint64_t in_use = heap_in_use_bytes(), sys = heap_sys_bytes();

	for (int i = 0; i < NWORKERS; i++)
		chan_send(stress_start, &go_ahead);
	wg_wait(&stress_drained);

	int corrupt = 0, nalloc = 0, remote = 0, cross = 0;

	for (int i = 0; i < NWORKERS; i++) {
		corrupt += workers[i].corrupt;
		nalloc += workers[i].nalloc;
		remote += workers[i].remote;
		cross += workers[i].cross_cpu;
	}
	EXPECT_EQ(corrupt, 0);
	EXPECT_EQ(nalloc, NWORKERS * ITERS);
	/* A third, give or take chance. */
	EXPECT_GT(remote, nalloc / 4);
	EXPECT_LT(remote, nalloc * 2 / 5);
	if (num_cpu() > 1)
		EXPECT_GT(cross, 0);
	/* Every object is back: heap_in_use counts live objects only, so it
	 * is exactly where it was, whatever the caches keep. */
	EXPECT_UEQ(heap_in_use_bytes(), in_use);
	/* And the pages came back too, but for what caches may pin. */
	EXPECT_ULE(heap_sys_bytes(), sys + cache_pin_bound());
	for (int i = 0; i < NWORKERS; i++)
		chan_free(workers[i].inbox);
	chan_free(stress_start);
}

/* ---- out of memory ---- */

static void *oom_alloc(size_t n)
{
	if (!LIBC_IS_HEAP)
		return heap_alloc(n);
	errno = 0;
	void *p = malloc(n);

	/* Checked here so that every failure is seen, not only the last. */
	if (!p && errno != ENOMEM)
		test_fail(__FILE__, __LINE__, "malloc(%zu) failed with errno %d, not ENOMEM", n,
			  errno);
	return p;
}

static void oom_free(void *p)
{
	if (LIBC_IS_HEAP)
		free(p);
	else
		heap_free(p);
}

static waitgroup_t oom_wg;
static int oom_ran;

static void oom_task(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&oom_ran, 1, __ATOMIC_RELAXED);
	wg_done(&oom_wg);
}

/* Allocate objects of `size` until NULL, linking them through their first
 * word onto *list; returns how many. */
static long fill_memory(void **list, size_t size)
{
	long n = 0;
	void *p;

	while ((p = oom_alloc(size))) {
		*(void **)p = *list;
		*list = p;
		n++;
	}
	return n;
}

static void free_list(void *list)
{
	while (list) {
		void *next = *(void **)list;

		oom_free(list);
		list = next;
	}
}

TEST(heap, out_of_memory_is_null_and_recoverable)
{
	static const size_t sizes[] = { 1024 * 1024, 64 * 1024, 4096, 64 };
	void *list = NULL;
	long got[ARRAY_SIZE(sizes)];
	wait_all_cpus_running();
	/* Gives this task its errno (newlib allocates the task's C library
	 * state on first use) before memory runs out and before counting. */
	errno = 0;
	uint64_t in_use = heap_in_use_bytes();

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		got[i] = fill_memory(&list, sizes[i]);
	EXPECT_GT(got[0], 16);
	EXPECT_TRUE(oom_alloc(1) == NULL); /* nothing left, not even a little */
	free_list(list);
	EXPECT_UEQ(heap_in_use_bytes(), in_use);

	/* Everything came back: about the same again fits (less what
	 * single pages cached per CPU keep from merging into large blocks). */
	list = NULL;
	long again = fill_memory(&list, sizes[0]);

	EXPECT_GE(again, got[0] * 9 / 10);
	free_list(list);
	EXPECT_UEQ(heap_in_use_bytes(), in_use);

	/* And the scheduler still has what it needs. */
	oom_ran = 0;
	wg_add(&oom_wg, 100);
	for (int i = 0; i < 100; i++)
		ASSERT_GT(go(oom_task, NULL), 0);
	wg_wait(&oom_wg);
	EXPECT_EQ(oom_ran, 100);
}
