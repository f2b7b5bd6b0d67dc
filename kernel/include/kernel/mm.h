/* SPDX-License-Identifier: MIT */
/*
 * Physical pages (kernel/page.c): a buddy allocator over the firmware's
 * memory map, with a per-P cache of single pages in front of it.
 *
 * All RAM is direct-mapped at virtual = physical, so a page's physical
 * address is also the pointer code uses to reach it (mm_va, mm_pa); page
 * tables and DMA need no translation. Only the stack region
 * (kernel/include/kernel/stack.h) maps pages somewhere else.
 *
 * Excluded from the allocator: the image, the DTB, every firmware-reserved
 * range the boot stub recorded (struct boot_info.reserved) and, until the
 * scheduler runs, the boot stack.
 *
 * Locking: one spinlock (page_lock, taken with interrupts off) guards the
 * buddy free lists; a CPU's cache is touched by that CPU only, with
 * interrupts off. Nothing here blocks. Interrupt handlers may allocate only
 * through mm_page_alloc_atomic().
 */
#ifndef WEFT_KERNEL_MM_H
#define WEFT_KERNEL_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kernel/types.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ul << PAGE_SHIFT)
#define PAGE_ALIGNED(x) (((x) & (PAGE_SIZE - 1)) == 0)

struct boot_info;
struct memstats;

/* The direct map: physical address <-> pointer. */
static inline void *mm_va(paddr_t pa)
{
	return (void *)(uintptr_t)pa;
}

static inline paddr_t mm_pa(const void *p)
{
	return (paddr_t)(uintptr_t)p;
}

/*
 * Hand every usable page of the boot memory map to the allocator, then let
 * the arch build the kernel's page tables (arch_mmu_init) from it. Boot CPU,
 * interrupts off, once, before anything allocates. Panics when no RAM is
 * left outside the image and the firmware's ranges.
 */
void mm_init(const struct boot_info *bi);

/*
 * `npages` physically contiguous pages, not zeroed, or 0 when there are
 * none (the caller reports ENOMEM). Single pages come from this P's cache.
 * Preemption may be on or off; does not block.
 */
paddr_t mm_pages_alloc(size_t npages);

/* Give back pages from mm_pages_alloc; `npages` need not be the number
 * allocated, any page-aligned subrange may be freed on its own. */
void mm_pages_free(paddr_t pa, size_t npages);

/* One zeroed page, or 0. */
paddr_t mm_page_alloc_zeroed(void);

/*
 * For the page-fault path, which may interrupt mm_pages_alloc itself on
 * this CPU: a single page from the buddy lists, or from a small per-CPU
 * reserve when this CPU holds their lock. Interrupts off. 0 when there is
 * none.
 */
paddr_t mm_page_alloc_atomic(void);

/* Give back a page that mm_page_alloc_atomic() returned and the fault path
 * did not use: into this CPU's fault reserve, or, when that is full, lost
 * (a rare race; the fault path must not touch the page cache, which the
 * code it interrupted may be in the middle of changing). */
void mm_page_free_atomic(paddr_t pa);

/* Per-page metadata (kernel/page.c): a table of words for each 64 MiB of
 * physical addresses that holds RAM. */
#define MM_CHUNK_SHIFT 26
#define MM_CHUNK_PAGES (1ul << (MM_CHUNK_SHIFT - PAGE_SHIFT))
extern uintptr_t **mm_chunk_tables;
extern uint64_t mm_chunk_first, mm_chunk_count;

/*
 * A pointer-sized word of metadata per page, for the heap to find the span
 * an object belongs to (Go's spanOf); inline, for free(). NULL for a page
 * outside RAM. While the heap holds a page, the word is its own (4-byte
 * aligned pointers or NULL); the page allocator keeps odd tags in the
 * words of pages it holds. Access it with relaxed atomics.
 */
static inline void **mm_page_owner(paddr_t pa)
{
	uint64_t chunk = (pa >> MM_CHUNK_SHIFT) - mm_chunk_first;

	if (chunk >= mm_chunk_count || !mm_chunk_tables[chunk])
		return NULL;
	return (void **)&mm_chunk_tables[chunk][(pa >> PAGE_SHIFT) & (MM_CHUNK_PAGES - 1)];
}

/* Whether [pa, pa + size) lies entirely in RAM the allocator manages. */
bool mm_is_ram(paddr_t pa, size_t size);

/* Bytes of RAM in the allocator, and free right now (including the per-P
 * caches). */
uint64_t mm_total_bytes(void);
uint64_t mm_free_bytes(void);

/* Fill in <weft.h>'s struct memstats (the heap and stack shares come from
 * their owners). */
void mm_stats(struct memstats *ms);

#endif
