// SPDX-License-Identifier: MIT
/* The page allocator: exact sizes, no overlap, merging, every CPU at once. */
#include <string.h>

#include <weft.h>

#include <kernel/mm.h>
#include <kernel/test.h>

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
