// SPDX-License-Identifier: MIT
/* The page allocator (exact sizes, no overlap, merging, every CPU at once),
 * and page table changes as every CPU sees them. */
#include <string.h>

#include <weft.h>

#include <arch.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/stack.h>
#include <kernel/test.h>
#include <kernel/time.h>

/* Fill a run of pages with a pattern derived from its address. */
static void fill(paddr_t pa, size_t npages)
{
	uint64_t *w = mm_va(pa);

	for (size_t i = 0; i < npages * PAGE_SIZE / 8; i += 512)
		w[i] = pa ^ i;
}

static bool intact(paddr_t pa, size_t npages)
{
	const uint64_t *w = mm_va(pa);

	for (size_t i = 0; i < npages * PAGE_SIZE / 8; i += 512)
		if (w[i] != (pa ^ i))
			return false;
	return true;
}

TEST(mm, runs_are_exact_disjoint_and_given_back)
{
	static const size_t sizes[] = { 1, 2, 3, 5, 17, 64, 100, 257, 1000 };
	paddr_t pa[ARRAY_SIZE(sizes)];
	uint64_t start = mm_free_bytes();

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t before = mm_free_bytes();

		pa[i] = mm_pages_alloc(sizes[i]);
		ASSERT_TRUE(pa[i] != 0);
		EXPECT_TRUE(PAGE_ALIGNED(pa[i]));
		EXPECT_TRUE(mm_is_ram(pa[i], sizes[i] * PAGE_SIZE));
		/* Runs of more than one page are exact: no rounding to a power of two. */
		if (sizes[i] > 1)
			EXPECT_EQ(before - mm_free_bytes(), sizes[i] * PAGE_SIZE);
		fill(pa[i], sizes[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		EXPECT_TRUE(intact(pa[i], sizes[i]));
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		mm_pages_free(pa[i], sizes[i]);
	EXPECT_EQ(mm_free_bytes(), start);
}

TEST(mm, freed_pieces_merge_back_into_large_blocks)
{
	/* About the largest run there is, freed in two-page pieces (which go
	 * straight to the buddy lists, not the per-CPU caches) in a scrambled
	 * order: only merging makes a run that large again. */
	size_t n = (size_t)(mm_free_bytes() / PAGE_SIZE) & ~(size_t)1;
	paddr_t pa = 0;

	while (n >= 2 && !(pa = mm_pages_alloc(n)))
		n = (n - n / 16) & ~(size_t)1;
	ASSERT_TRUE(pa != 0);
	size_t pieces = n / 2;

	/* Every other piece first, so that no free finds its buddy free
	 * until the second pass. */
	for (size_t j = 1; j < pieces; j += 2)
		mm_pages_free(pa + 2 * j * PAGE_SIZE, 2);
	for (size_t j = 0; j < pieces; j += 2)
		mm_pages_free(pa + 2 * j * PAGE_SIZE, 2);
	paddr_t again = mm_pages_alloc(n);

	EXPECT_TRUE(again != 0);
	if (again)
		mm_pages_free(again, n);
}

TEST(mm, outside_ram_is_not_ram)
{
	extern char __executable_start[];

	EXPECT_FALSE(mm_is_ram(0, PAGE_SIZE));
	EXPECT_FALSE(mm_is_ram(mm_pa(__executable_start), PAGE_SIZE));
}

struct churn {
	int cpu_hits[64];
	int bad;
	waitgroup_t wg;
};

static void churn_fn(void *arg)
{
	struct churn *c = arg;
	paddr_t held[48];
	unsigned seed = (unsigned)task_id() * 2654435761u;

	for (int round = 0; round < 200; round++) {
		int n = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 48;

		for (int i = 0; i < n; i++) {
			held[i] = mm_pages_alloc(1);
			if (!held[i]) {
				n = i;
				break;
			}
			fill(held[i], 1);
		}
		yield();
		for (int i = 0; i < n; i++) {
			if (!intact(held[i], 1))
				__atomic_fetch_add(&c->bad, 1, __ATOMIC_RELAXED);
			mm_pages_free(held[i], 1);
		}
	}
	wg_done(&c->wg);
}

TEST(mm, single_pages_from_every_cpu)
{
	static struct churn c;
	uint64_t start = mm_free_bytes();

	memset(&c, 0, sizeof(c));
	wg_add(&c.wg, 16);
	for (int i = 0; i < 16; i++)
		ASSERT_GT(go(churn_fn, &c), 0);
	wg_wait(&c.wg);
	EXPECT_EQ(c.bad, 0);
	/* Every page came back (the per-CPU caches count as free); only the
	 * 16 tasks' own stacks may still be mapped while they exit. */
	EXPECT_LE(start - MIN(start, mm_free_bytes()), 32 * PAGE_SIZE);
}

/*
 * Every CPU reads a page through its TLB; the page is unmapped and a new
 * one mapped at the same address; then every CPU must read the new one.
 * A CPU that missed the shootdown reads the old page, which is kept intact
 * (not freed) so that a stale translation shows as its old contents.
 */
#define REMAP_OLD 0x01d01d01d01d01d0ull
#define REMAP_NEW 0x0e0e0e0e0e0e0e0eull

static struct remap {
	volatile uint64_t *page;
	volatile int pause, stop, remapped;
	int paused, readers;
	uint64_t warm, fresh; /* CPUs that read before and after the remap */
	int stale;
	waitgroup_t wg;
} rm;

static void remap_reader(void *arg)
{
	bool paused = false;

	(void)arg;
	while (!__atomic_load_n(&rm.stop, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&rm.pause, __ATOMIC_ACQUIRE)) {
			/* Nothing reads the page while it is being swapped. */
			if (!paused)
				__atomic_fetch_add(&rm.paused, 1, __ATOMIC_ACQ_REL);
			paused = true;
			yield();
			continue;
		}
		paused = false;
		preempt_disable();
		int remapped = __atomic_load_n(&rm.remapped, __ATOMIC_ACQUIRE);
		uint64_t v = rm.page[PAGE_SIZE / 16];
		uint64_t bit = 1ull << this_cpu()->idx;

		preempt_enable();
		/* Not a spinner: under TSan nothing is preempted (see
		 * tests/test_sanitizers.py), and main must get a CPU. */
		yield();
		if (!remapped) {
			__atomic_fetch_or(&rm.warm, bit, __ATOMIC_RELAXED);
		} else if (v == REMAP_NEW) {
			__atomic_fetch_or(&rm.fresh, bit, __ATOMIC_RELAXED);
		} else {
			__atomic_fetch_add(&rm.stale, 1, __ATOMIC_RELAXED);
			__atomic_fetch_or(&rm.fresh, bit, __ATOMIC_RELAXED);
		}
	}
	wg_done(&rm.wg);
}

/* Wait up to 5 s for `mask` to cover the CPUs that run tasks. */
static bool every_cpu_in(uint64_t *mask)
{
	uint64_t all = num_cpu() >= 64 ? ~0ull : (1ull << num_cpu()) - 1;
	uint64_t deadline = now_ns() + 5 * NSEC_PER_SEC;

	while ((__atomic_load_n(mask, __ATOMIC_RELAXED) & all) != all && now_ns() < deadline)
		sleep_ns(NSEC_PER_MSEC);
	return (__atomic_load_n(mask, __ATOMIC_RELAXED) & all) == all;
}

static void fill_page(volatile uint64_t *w, uint64_t v)
{
	for (size_t i = 0; i < PAGE_SIZE / 8; i++)
		w[i] = v;
}

TEST(mm, a_page_mapped_anew_is_what_every_cpu_reads)
{
	struct stack st;
	paddr_t old_pa, new_pa, got;

	memset(&rm, 0, sizeof(rm));
	ASSERT_EQ(stack_alloc(&st, 64 * 1024), 0);
	/* The bottom page of a fresh stack slot: unmapped, and no task's. */
	rm.page = (volatile uint64_t *)st.lo;
	old_pa = mm_pages_alloc(1);
	new_pa = mm_pages_alloc(1);
	ASSERT_NE(old_pa, 0);
	ASSERT_NE(new_pa, 0);
	ASSERT_EQ(arch_mmu_map(st.lo, old_pa, false), 0);
	fill_page(rm.page, REMAP_OLD);

	rm.readers = num_cpu() + 2; /* more than CPUs: every CPU runs one */
	wg_add(&rm.wg, rm.readers);
	for (int i = 0; i < rm.readers; i++)
		ASSERT_GT(go(remap_reader, NULL), 0);
	EXPECT_TRUE(every_cpu_in(&rm.warm));

	__atomic_store_n(&rm.pause, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&rm.paused, __ATOMIC_ACQUIRE) < rm.readers)
		sleep_ns(NSEC_PER_MSEC);
	arch_mmu_unmap(st.lo, 1, &got);
	EXPECT_EQ(got, old_pa);
	ASSERT_EQ(arch_mmu_map(st.lo, new_pa, false), 0);
	fill_page(rm.page, REMAP_NEW);
	__atomic_store_n(&rm.remapped, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&rm.pause, 0, __ATOMIC_RELEASE);

	EXPECT_TRUE(every_cpu_in(&rm.fresh));
	__atomic_store_n(&rm.stop, 1, __ATOMIC_RELEASE);
	wg_wait(&rm.wg);
	EXPECT_EQ(rm.stale, 0);

	arch_mmu_unmap(st.lo, 1, &got);
	EXPECT_EQ(got, new_pa);
	mm_pages_free(old_pa, 1);
	mm_pages_free(new_pa, 1);
	stack_free(&st);
}
