// SPDX-License-Identifier: MIT
/* Early memory: one arena carved from the boot memory map (see mem.h). */
#include <weft.h>

#include <kernel/kernel.h>
#include <kernel/mem.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/spinlock.h>

extern char __executable_start[], _end[];

static uintptr_t arena_start, arena_end, brk;
static spinlock_t brk_lock;

/* Whether [a, a+n) overlaps [b, b+m). */
static bool overlaps(uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
	return a < b + m && b < a + n;
}

/* The largest stretch of region r that overlaps no reserved range. */
static void largest_gap(const struct mem_region *r, const struct mem_region *rsv, unsigned nrsv,
			uint64_t *best_base, uint64_t *best_size)
{
	uint64_t end = r->base + r->size;

	/* A gap starts at the region's start or right after a reserved range. */
	for (unsigned i = 0; i <= nrsv; i++) {
		uint64_t start = i == nrsv ? r->base : rsv[i].base + rsv[i].size;
		uint64_t stop = end;

		if (start < r->base || start >= end)
			continue;
		for (unsigned j = 0; j < nrsv; j++) {
			if (overlaps(start, 1, rsv[j].base, rsv[j].size))
				stop = start; /* start itself is reserved */
			else if (rsv[j].base > start && rsv[j].base < stop)
				stop = rsv[j].base;
		}
		if (stop - start > *best_size) {
			*best_base = start;
			*best_size = stop - start;
		}
	}
}

void mem_init(void)
{
	struct mem_region rsv[BOOT_MAX_REGIONS + 1];
	unsigned n = 0;
	uint64_t base = 0, size = 0;

	for (unsigned i = 0; i < boot.nreserved; i++)
		rsv[n++] = boot.reserved[i];
	rsv[n++] = (struct mem_region){ (uintptr_t)__executable_start,
					(uintptr_t)_end - (uintptr_t)__executable_start };
	for (unsigned i = 0; i < boot.nmem; i++)
		largest_gap(&boot.mem[i], rsv, n, &base, &size);
	if (size < 4096)
		panic("no usable RAM outside the image and firmware ranges (%u regions)",
		      boot.nmem);
	arena_start = brk = ALIGN_UP((uintptr_t)base, 64);
	arena_end = (uintptr_t)(base + size);
}

void *mem_sbrk(intptr_t incr)
{
	unsigned long flags = spin_lock_irqsave(&brk_lock);
	uintptr_t old = brk;
	void *ret = NULL;

	if ((incr >= 0 && (uintptr_t)incr <= arena_end - brk) ||
	    (incr < 0 && (uintptr_t)-incr <= brk - arena_start)) {
		brk += (uintptr_t)incr;
		ret = (void *)old;
	}
	spin_unlock_irqrestore(&brk_lock, flags);
	return ret;
}

void mem_stats(struct memstats *ms)
{
	ms->total = boot_mem_total(&boot);
	/* Only the arena can be handed out before the page allocator exists. */
	ms->free = arena_end - READ_ONCE(brk);
	ms->heap_in_use = READ_ONCE(brk) - arena_start;
	ms->stack_in_use = 0;
}
