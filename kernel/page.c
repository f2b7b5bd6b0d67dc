// SPDX-License-Identifier: MIT
/*
 * Physical pages: a binary buddy allocator over the boot memory map, with a
 * per-CPU cache of single pages in front of it (see kernel/include/kernel/mm.h).
 *
 * Every page has one word of metadata, in tables indexed by physical
 * address in 64 MiB chunks (only chunks that hold RAM have a table). The
 * word is the heap's span pointer while the page is in use
 * (mm_page_owner), and a tag while the page heads a free block:
 * PAGE_FREE_TAG | order << 1. Pointers are even, so the two never mix. A
 * free block of 2^order pages is aligned to its size in physical address,
 * its buddy is at pa ^ (PAGE_SIZE << order), and the free lists link
 * through the first bytes of each free block.
 *
 * Locking: page_lock (irqsave) guards the free lists, the tags and nfree.
 * A CPU's cache and fault reserve are touched only by that CPU, with
 * interrupts off. Interrupts off does not stop a stack fault, though: the
 * code filling the reserve can grow its own stack and so run the fault
 * path, which pops the reserve, in the middle of a push. So the fault path
 * uses only the reserve (never the cache), and pushes claim their slot with
 * a compare-and-swap on the count (reserve_push).
 */
#include <errno.h>
#include <string.h>

#include <weft.h>

#include <arch.h>
#include <kernel/boot_info.h>
#include <kernel/heap.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <kernel/stack.h>

#define MAX_ORDER 19 /* blocks of up to 2^18 pages (1 GiB) */
#define PAGE_FREE_TAG 1ul
#define PAGE_NOT_RAM 3ul
#define PCACHE_MAX 64 /* single pages kept per CPU */
#define PCACHE_BATCH 32 /* moved to or from the buddy lists at once */
#define RESERVE_MAX 8 /* pages kept per CPU for the page-fault path */

struct free_block {
	struct free_block *next, *prev;
};

struct pcache {
	unsigned int n;
	paddr_t pages[PCACHE_MAX];
	unsigned int nreserve;
	paddr_t reserve[RESERVE_MAX];
};

static spinlock_t page_lock;
static int page_lock_cpu = -1; /* who holds page_lock, for the fault path */
static struct free_block free_lists[MAX_ORDER]; /* circular, with a head node */
static uint64_t nfree; /* pages on the free lists */
static uint64_t ntotal; /* pages handed to the allocator */
static struct pcache pcaches[MAX_CPUS];

uintptr_t **mm_chunk_tables; /* [chunk - mm_chunk_first], or NULL (mm.h) */
uint64_t mm_chunk_first, mm_chunk_count;

extern char __executable_start[], _end[];

/* page_lock, always with interrupts off. */
static void page_lock_acquire(void)
{
	struct cpu *c = this_cpu();

	spin_acquire(&page_lock);
	page_lock_cpu = c ? (int)c->idx : -2;
}

static void page_lock_release(void)
{
	page_lock_cpu = -1;
	spin_release(&page_lock);
}

static paddr_t buddy_alloc(unsigned int order);
static void buddy_free(paddr_t pa, unsigned int order);

/* Put pa in this CPU's fault reserve: false when it is full. A fault taken
 * between the slot's store and the count's update pops below the count we
 * read, and the swap fails and retries with the new count; the release
 * keeps the store before the count. */
static bool reserve_push(struct pcache *pc, paddr_t pa)
{
	unsigned int n = __atomic_load_n(&pc->nreserve, __ATOMIC_RELAXED);

	do {
		if (n >= RESERVE_MAX)
			return false;
		pc->reserve[n] = pa;
	} while (!__atomic_compare_exchange_n(&pc->nreserve, &n, n + 1, false, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	return true;
}

/* Top up a CPU's fault reserve; page_lock held. */
static void reserve_fill(struct pcache *pc)
{
	paddr_t pa;

	while (__atomic_load_n(&pc->nreserve, __ATOMIC_RELAXED) < RESERVE_MAX &&
	       (pa = buddy_alloc(0)))
		if (!reserve_push(pc, pa)) {
			buddy_free(pa, 0);
			break;
		}
}

/* ---- per-page metadata ---- */

static uintptr_t *meta_word(paddr_t pa)
{
	return (uintptr_t *)mm_page_owner(pa);
}

/* The heap writes the words of the pages it holds while the buddy code
 * reads its neighbours' words: relaxed atomics, so neither tears. */
static void meta_set(paddr_t pa, uintptr_t v)
{
	__atomic_store_n(meta_word(pa), v, __ATOMIC_RELAXED);
}

/* ---- the buddy lists (page_lock held) ---- */

static void list_add(unsigned int order, paddr_t pa)
{
	struct free_block *b = mm_va(pa), *head = &free_lists[order];

	b->next = head->next;
	b->prev = head;
	head->next->prev = b;
	head->next = b;
	meta_set(pa, PAGE_FREE_TAG | (uintptr_t)order << 2);
}

static void list_del(unsigned int order, paddr_t pa)
{
	struct free_block *b = mm_va(pa);

	b->prev->next = b->next;
	b->next->prev = b->prev;
	meta_set(pa, 0);
	(void)order;
}

static bool is_free_head(paddr_t pa, unsigned int order)
{
	uintptr_t *w = meta_word(pa);

	return w && __atomic_load_n(w, __ATOMIC_RELAXED) == (PAGE_FREE_TAG | (uintptr_t)order << 2);
}

/* Free the block of 2^order pages at pa, merging it with free buddies. */
static void buddy_free(paddr_t pa, unsigned int order)
{
	nfree += 1ul << order;
	while (order < MAX_ORDER - 1) {
		paddr_t buddy = pa ^ (PAGE_SIZE << order);

		if (!is_free_head(buddy, order))
			break;
		list_del(order, buddy);
		pa = MIN(pa, buddy);
		order++;
	}
	list_add(order, pa);
}

/* Take a block of 2^order pages, splitting a larger one; 0 if none. */
static paddr_t buddy_alloc(unsigned int order)
{
	unsigned int o = order;

	while (o < MAX_ORDER && free_lists[o].next == &free_lists[o])
		o++;
	if (o == MAX_ORDER)
		return 0;

	paddr_t pa = mm_pa(free_lists[o].next);

	list_del(o, pa);
	while (o > order) { /* give back the upper halves */
		o--;
		list_add(o, pa + (PAGE_SIZE << o));
	}
	nfree -= 1ul << order;
	return pa;
}

/* Free an arbitrary page-aligned run, as the largest aligned blocks. */
static void buddy_free_run(paddr_t pa, size_t npages)
{
	while (npages) {
		unsigned int order = 0;

		while (order + 1 < MAX_ORDER && !(pa & ((PAGE_SIZE << (order + 1)) - 1)) &&
		       (1ul << (order + 1)) <= npages)
			order++;
		buddy_free(pa, order);
		pa += PAGE_SIZE << order;
		npages -= 1ul << order;
	}
}

/* ---- public allocation ---- */

static unsigned int order_for(size_t npages)
{
	unsigned int order = 0;

	while ((1ul << order) < npages)
		order++;
	return order;
}

static struct pcache *this_pcache(void)
{
	struct cpu *c = this_cpu();

	return c ? &pcaches[c->idx] : NULL;
}

paddr_t mm_pages_alloc(size_t npages)
{
	unsigned long flags;
	paddr_t pa = 0;

	if (npages == 0)
		return 0;
	if (npages == 1) {
		flags = arch_irq_save();
		struct pcache *pc = this_pcache();

		if (pc && pc->n == 0) {
			page_lock_acquire();
			reserve_fill(pc);
			while (pc->n < PCACHE_BATCH && (pa = buddy_alloc(0)))
				pc->pages[pc->n++] = pa;
			page_lock_release();
		}
		pa = pc && pc->n ? pc->pages[--pc->n] : 0;
		arch_irq_restore(flags);
		if (pc)
			return pa;
	}

	unsigned int order = order_for(npages);

	if (order >= MAX_ORDER)
		return 0;
	flags = arch_irq_save();
	page_lock_acquire();
	pa = buddy_alloc(order);
	/* Return the tail beyond npages: allocations are exact. */
	if (pa && npages < (1ul << order))
		buddy_free_run(pa + npages * PAGE_SIZE, (1ul << order) - npages);
	page_lock_release();
	arch_irq_restore(flags);
	return pa;
}

void mm_pages_free(paddr_t pa, size_t npages)
{
	unsigned long flags;

	if (!npages)
		return;
	BUG_ON(!PAGE_ALIGNED(pa) || !mm_is_ram(pa, npages * PAGE_SIZE));
	if (npages == 1) {
		flags = arch_irq_save();
		struct pcache *pc = this_pcache();

		if (pc) {
			if (pc->n == PCACHE_MAX) {
				page_lock_acquire();
				while (pc->n > PCACHE_MAX - PCACHE_BATCH)
					buddy_free(pc->pages[--pc->n], 0);
				page_lock_release();
			}
			pc->pages[pc->n++] = pa;
			arch_irq_restore(flags);
			return;
		}
		arch_irq_restore(flags);
	}
	flags = arch_irq_save();
	page_lock_acquire();
	buddy_free_run(pa, npages);
	page_lock_release();
	arch_irq_restore(flags);
}

paddr_t mm_page_alloc_zeroed(void)
{
	paddr_t pa = mm_pages_alloc(1);

	if (pa)
		memset(mm_va(pa), 0, PAGE_SIZE);
	return pa;
}

paddr_t mm_page_alloc_atomic(void)
{
	struct pcache *pc = this_pcache();
	paddr_t pa;

	unsigned int n = pc ? __atomic_load_n(&pc->nreserve, __ATOMIC_RELAXED) : 0;

	if (n) {
		pa = pc->reserve[n - 1];
		__atomic_store_n(&pc->nreserve, n - 1, __ATOMIC_RELAXED);
		return pa;
	}
	/* The reserve is for when the interrupted code holds page_lock on this
	 * very CPU; otherwise take the lock (whoever holds it lets go soon)
	 * and refill the reserve while at it. */
	if (pc && READ_ONCE(page_lock_cpu) == (int)this_cpu()->idx)
		return 0;
	page_lock_acquire();
	pa = buddy_alloc(0);
	if (pc && pa)
		reserve_fill(pc);
	page_lock_release();
	return pa;
}

void mm_page_free_atomic(paddr_t pa)
{
	struct pcache *pc = this_pcache();

	if (pc)
		reserve_push(pc, pa);
}

/* ---- accounting ---- */

bool mm_is_ram(paddr_t pa, size_t size)
{
	for (paddr_t p = ALIGN_DOWN(pa, PAGE_SIZE); p < pa + size; p += PAGE_SIZE) {
		uintptr_t *w = meta_word(p);

		if (!w || __atomic_load_n(w, __ATOMIC_RELAXED) == PAGE_NOT_RAM)
			return false;
	}
	return size != 0;
}

uint64_t mm_total_bytes(void)
{
	return ntotal * PAGE_SIZE;
}

uint64_t mm_free_bytes(void)
{
	uint64_t pages = READ_ONCE(nfree);

	for (unsigned int i = 0; i < MAX_CPUS; i++)
		pages += READ_ONCE(pcaches[i].n) + READ_ONCE(pcaches[i].nreserve);
	return pages * PAGE_SIZE;
}

void mm_stats(struct memstats *ms)
{
	ms->total = mm_total_bytes();
	ms->free = mm_free_bytes();
	ms->heap_in_use = heap_in_use_bytes();
	ms->stack_in_use = stack_in_use_bytes();
}

/* ---- boot: from the memory map to free lists ---- */

struct range {
	paddr_t start, end;
};

#define MAX_RANGES (2 * BOOT_MAX_REGIONS + 2)

/* Remove [cut.start, cut.end) from every range in r[0..*n). */
static void ranges_cut(struct range *r, unsigned int *n, struct range cut)
{
	for (unsigned int i = 0; i < *n; i++) {
		if (cut.end <= r[i].start || cut.start >= r[i].end)
			continue;
		if (cut.start > r[i].start && cut.end < r[i].end) {
			if (*n == MAX_RANGES)
				panic("mm: the memory map has too many holes (more than %d ranges)",
				      MAX_RANGES);
			r[(*n)++] = (struct range){ cut.end, r[i].end };
			r[i].end = cut.start;
		} else if (cut.start > r[i].start) {
			r[i].end = cut.start;
		} else {
			r[i].start = MIN(cut.end, r[i].end);
		}
	}
}

/* Usable RAM: the memory map minus reserved ranges and the image, in whole
 * pages. */
static unsigned int usable_ranges(const struct boot_info *bi, struct range *r)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < bi->nmem && n < MAX_RANGES; i++) {
		paddr_t start = ALIGN_UP(bi->mem[i].base, PAGE_SIZE);
		paddr_t end = ALIGN_DOWN(bi->mem[i].base + bi->mem[i].size, PAGE_SIZE);

		if (end > start)
			r[n++] = (struct range){ start, end };
	}
	for (unsigned int i = 0; i < bi->nreserved; i++)
		ranges_cut(r, &n,
			   (struct range){ ALIGN_DOWN(bi->reserved[i].base, PAGE_SIZE),
					   ALIGN_UP(bi->reserved[i].base + bi->reserved[i].size,
						    PAGE_SIZE) });
	ranges_cut(r, &n,
		   (struct range){ ALIGN_DOWN((paddr_t)(uintptr_t)__executable_start, PAGE_SIZE),
				   ALIGN_UP((paddr_t)(uintptr_t)_end, PAGE_SIZE) });
	/* Page 0 stays out: a NULL page pointer means "none". */
	ranges_cut(r, &n, (struct range){ 0, PAGE_SIZE });
	return n;
}

/* Mark [start, end), pages not ours inside a chunk that holds RAM. */
static void meta_mark_not_ram(paddr_t start, paddr_t end)
{
	for (paddr_t p = start; p < end; p += PAGE_SIZE)
		meta_set(p, PAGE_NOT_RAM);
}

/* meta_mark_not_ram over [start, end), skipping chunks with no table. */
static void meta_mark_not_ram_tables(paddr_t start, paddr_t end)
{
	while (start < end) {
		paddr_t stop = MIN(end, ALIGN_DOWN(start, 1ull << MM_CHUNK_SHIFT) +
						(1ull << MM_CHUNK_SHIFT));

		if (meta_word(start))
			meta_mark_not_ram(start, stop);
		start = stop;
	}
}

/* Sort ranges by start (a few dozen at most: insertion sort). */
static void ranges_sort(struct range *r, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		struct range x = r[i];
		unsigned int j = i;

		for (; j > 0 && r[j - 1].start > x.start; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
}

/* Carve `size` bytes for boot-time tables from the largest range. */
static void *carve(struct range *r, unsigned int n, size_t size)
{
	struct range *best = NULL;

	for (unsigned int i = 0; i < n; i++)
		if (!best || r[i].end - r[i].start > best->end - best->start)
			best = &r[i];
	size = ALIGN_UP(size, PAGE_SIZE);
	if (!best || best->end - best->start < size)
		panic("mm: no room for %zu bytes of page metadata", size);
	void *p = mm_va(best->start);

	best->start += size;
	memset(p, 0, size);
	return p;
}

void mm_init(const struct boot_info *bi)
{
	struct range r[MAX_RANGES];
	unsigned int n = usable_ranges(bi, r);
	uint64_t lo = UINT64_MAX, hi = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (r[i].end <= r[i].start)
			continue;
		lo = MIN(lo, r[i].start >> MM_CHUNK_SHIFT);
		hi = MAX(hi, (r[i].end - 1) >> MM_CHUNK_SHIFT);
	}
	if (lo > hi)
		panic("mm: no usable RAM outside the image and the firmware's ranges "
		      "(%u memory regions, %u reserved)",
		      bi->nmem, bi->nreserved);

	for (unsigned int o = 0; o < MAX_ORDER; o++)
		free_lists[o].next = free_lists[o].prev = &free_lists[o];

	/* Metadata: the chunk index, then a table for each chunk with RAM. */
	mm_chunk_first = lo;
	mm_chunk_count = hi - lo + 1;
	mm_chunk_tables = carve(r, n, mm_chunk_count * sizeof(*mm_chunk_tables));
	for (unsigned int i = 0; i < n; i++) {
		for (paddr_t c = r[i].start >> MM_CHUNK_SHIFT;
		     r[i].end > r[i].start && c <= (r[i].end - 1) >> MM_CHUNK_SHIFT; c++) {
			if (mm_chunk_tables[c - lo])
				continue;
			/* Zeroed: every page reads as RAM until the holes are
			 * marked below, one store per page of hole only. */
			mm_chunk_tables[c - lo] = carve(r, n, MM_CHUNK_PAGES * sizeof(uintptr_t));
		}
	}
	/* carve() may have taken the start of a range: only now mark the
	 * holes (before, between and after the ranges, in chunks that have
	 * tables) and free. */
	ranges_sort(r, n);
	paddr_t prev = lo << MM_CHUNK_SHIFT;

	for (unsigned int i = 0; i < n; i++) {
		if (r[i].end <= r[i].start)
			continue;
		meta_mark_not_ram_tables(prev, r[i].start);
		prev = r[i].end;
	}
	meta_mark_not_ram_tables(prev, (hi + 1) << MM_CHUNK_SHIFT);
	for (unsigned int i = 0; i < n; i++) {
		if (r[i].end <= r[i].start)
			continue;
		ntotal += (r[i].end - r[i].start) >> PAGE_SHIFT;
		buddy_free_run(r[i].start, (r[i].end - r[i].start) >> PAGE_SHIFT);
	}
	/* Every CPU starts with a full fault reserve: its first stack fault
	 * may come while it holds page_lock. */
	for (unsigned int i = 0; i < MIN(MAX(bi->ncpus, 1u), (unsigned int)MAX_CPUS); i++)
		reserve_fill(&pcaches[i]);
	arch_mmu_init(bi);
}
