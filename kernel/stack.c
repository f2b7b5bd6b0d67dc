// SPDX-License-Identifier: MIT
/*
 * Stacks: slots in the arch's stack region, mapped page by page on demand
 * (see kernel/include/kernel/stack.h).
 *
 * The region is cut into 1 GiB chunks. A chunk holds slots of one size
 * (stack_slot_bytes(): a guard and a limit), the way a Go span holds
 * objects of one class, so that the fault path finds the stack of any
 * address with a shift, a division and two loads: chunk = (addr - base)
 * >> 30, slot = offset / slot size, owner = owners[slot]. An owner entry
 * is the struct stack of the slot, or, while the slot is free, an odd
 * value linking the chunk's free slots.
 *
 * Page tables set a floor on what a stack costs: a private 1 MiB range
 * needs 256 leaf entries, 2 KiB of table, whatever is mapped in it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arch.h>
#include <kernel/bootargs.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <kernel/stack.h>

#define CHUNK_SHIFT 30
#define CHUNK_SIZE (1ul << CHUNK_SHIFT)
#define SLOT_FREE(next) ((uintptr_t)(next) << 1 | 1) /* owners[] link while free */
#define SLOT_NONE 0xffffffffu
#define TRIM_BATCH 128 /* pages unmapped per shootdown */

struct chunk {
	size_t slot_size; /* 0: not in use yet */
	uint32_t nslots;
	uint32_t fresh; /* slots from here on were never used */
	uint32_t free; /* first free slot, or SLOT_NONE */
	uintptr_t *owners; /* struct stack *, or SLOT_FREE(next) */
};

size_t stack_default_max = 1024 * 1024;

static spinlock_t stack_lock;
static vaddr_t region_base;
static struct chunk *chunks;
static size_t nchunks;
static uint64_t pages_mapped;

void stack_init(void)
{
	size_t size;

	arch_mmu_stack_region(&region_base, &size);
	nchunks = size >> CHUNK_SHIFT;
	chunks = calloc(nchunks, sizeof(*chunks));
	if (!nchunks || !chunks)
		panic("stacks: no room for the slot table of a %zu GiB stack region", size >> 30);
	stack_default_max = ALIGN_UP(bootargs_u64(&kernel_bootargs, "stack_max", stack_default_max,
						  STACK_MIN, STACK_MAX_LIMIT),
				     PAGE_SIZE);
}

/* ---- slots (stack_lock held) ---- */

static vaddr_t slot_addr(size_t c, uint32_t s)
{
	return region_base + (c << CHUNK_SHIFT) + (vaddr_t)s * chunks[c].slot_size;
}

/* Claim a slot of `slot_size` bytes for `st`; its address, or 0. */
static vaddr_t slot_get(size_t slot_size, struct stack *st)
{
	size_t unused = nchunks;

	for (size_t c = 0; c < nchunks; c++) {
		struct chunk *ch = &chunks[c];
		uint32_t s;

		if (ch->slot_size == 0 && unused == nchunks)
			unused = c;
		if (ch->slot_size != slot_size)
			continue;
		if (ch->free != SLOT_NONE) {
			s = ch->free;
			ch->free = (uint32_t)(ch->owners[s] >> 1);
		} else if (ch->fresh < ch->nslots) {
			s = ch->fresh++;
			arch_mmu_reserve(slot_addr(c, s), slot_size);
		} else {
			continue;
		}
		__atomic_store_n(&ch->owners[s], (uintptr_t)st, __ATOMIC_RELEASE);
		return slot_addr(c, s);
	}
	if (unused == nchunks)
		return 0;

	/* A new chunk for this size. */
	struct chunk *ch = &chunks[unused];
	uint32_t n = (uint32_t)(CHUNK_SIZE / slot_size);

	ch->owners = calloc(n, sizeof(*ch->owners));
	if (!ch->owners)
		return 0;
	ch->nslots = n;
	ch->fresh = 0;
	ch->free = SLOT_NONE;
	__atomic_store_n(&ch->slot_size, slot_size, __ATOMIC_RELEASE);
	return slot_get(slot_size, st);
}

/* The owner entry of the slot that holds va (any address in it). */
static uintptr_t *slot_entry(vaddr_t va, uint32_t *index)
{
	struct chunk *ch = &chunks[(va - region_base) >> CHUNK_SHIFT];

	*index = (uint32_t)(((va - region_base) & (CHUNK_SIZE - 1)) / ch->slot_size);
	return &ch->owners[*index];
}

static void slot_put(vaddr_t va)
{
	struct chunk *ch = &chunks[(va - region_base) >> CHUNK_SHIFT];
	uint32_t s;
	uintptr_t *e = slot_entry(va, &s);

	__atomic_store_n(e, SLOT_FREE(ch->free), __ATOMIC_RELEASE);
	ch->free = s;
}

/* The stack whose slot holds addr, or NULL. Lock-free, for the fault path. */
static struct stack *slot_owner(uintptr_t addr)
{
	if (addr < region_base || ((addr - region_base) >> CHUNK_SHIFT) >= nchunks)
		return NULL;

	struct chunk *ch = &chunks[(addr - region_base) >> CHUNK_SHIFT];
	size_t size = __atomic_load_n(&ch->slot_size, __ATOMIC_ACQUIRE);

	if (!size)
		return NULL;

	uint32_t s = (uint32_t)(((addr - region_base) & (CHUNK_SIZE - 1)) / size);

	if (s >= ch->nslots)
		return NULL;

	uintptr_t owner = __atomic_load_n(&ch->owners[s], __ATOMIC_ACQUIRE);

	return owner & 1 ? NULL : (struct stack *)owner;
}

/* ---- pages ---- */

/*
 * Zero a page with integer stores only. On the fault path the FP/SIMD
 * registers still hold the interrupted task's values, and the C library's
 * memset may use them (newlib's aarch64 one does); volatile stores also
 * keep the compiler from vectorizing the loop.
 */
static void zero_page(paddr_t pa)
{
	volatile uint64_t *w = mm_va(pa);

	for (size_t i = 0; i < PAGE_SIZE / sizeof(*w); i += 4) {
		w[i] = 0;
		w[i + 1] = 0;
		w[i + 2] = 0;
		w[i + 3] = 0;
	}
}

/*
 * Touch the next 8 KiB of the running stack, so that the arch's page-table
 * lock, taken in arch_mmu_map/unmap below, is never held across a fault of
 * this CPU's own stack (whose handler would want the same lock).
 */
static __attribute__((noinline)) void prefault_stack(void)
{
	volatile char probe[2 * PAGE_SIZE];

	probe[0] = 0;
	probe[PAGE_SIZE] = 0;
	probe[sizeof(probe) - 1] = 0;
}

/* Map a page at va; 0, -EEXIST when something already is, or -ENOMEM. */
static int map_page(vaddr_t va, bool atomic, bool zero)
{
	paddr_t pa;
	int err;

	if (!atomic)
		prefault_stack();
	pa = atomic ? mm_page_alloc_atomic() : mm_pages_alloc(1);
	if (!pa)
		return -ENOMEM;
	if (zero)
		zero_page(pa);
	err = arch_mmu_map(va, pa, atomic);
	if (err < 0) {
		if (atomic)
			mm_page_free_atomic(pa);
		else
			mm_pages_free(pa, 1);
		return err;
	}
	__atomic_fetch_add(&pages_mapped, 1, __ATOMIC_RELAXED);
	return 0;
}

/* Unmap [lo, hi) and free what was mapped there. */
static void unmap_range(vaddr_t lo, vaddr_t hi)
{
	paddr_t pa[TRIM_BATCH];

	prefault_stack();
	while (lo < hi) {
		size_t n = MIN((size_t)((hi - lo) >> PAGE_SHIFT), (size_t)TRIM_BATCH);
		uint64_t freed = 0;

		arch_mmu_unmap(lo, n, pa);
		for (size_t i = 0; i < n; i++) {
			if (pa[i]) {
				mm_pages_free(pa[i], 1);
				freed++;
			}
		}
		__atomic_fetch_sub(&pages_mapped, freed, __ATOMIC_RELAXED);
		lo += n << PAGE_SHIFT;
	}
}

/*
 * The size of a slot for a stack of `max` bytes: STACK_GUARD and the stack,
 * plus one more page of guard if that makes the number of pages odd. Every
 * task touches its stack's top page (its G lives there), and TLBs (QEMU's
 * software one too) pick an entry's set from the low bits of the page
 * number. Slots 272 pages apart (1 MiB + 64 KiB, 16 x 17) crowd all the
 * top pages into a sixteenth of the sets, which a burst of a thousand
 * tasks overflows; an odd stride spreads them over every set. Hosted
 * spawn benchmark, median of nine runs: 81.8 -> 67.6 ns a task.
 */
size_t stack_slot_bytes(size_t max)
{
	size_t size = STACK_GUARD + max;

	return (size >> PAGE_SHIFT) & 1 ? size : size + PAGE_SIZE;
}

static int reserve(struct stack *st, size_t max)
{
	unsigned long flags = spin_lock_irqsave(&stack_lock);
	size_t size = stack_slot_bytes(max);
	vaddr_t slot = slot_get(size, st);

	spin_unlock_irqrestore(&stack_lock, flags);
	if (!slot)
		return -ENOMEM;
	st->lo = slot + size - max;
	st->hi = st->lo + max;
	st->max = max;
	st->mapped_lo = st->hi;
	return 0;
}

static void release(struct stack *st)
{
	unsigned long flags = spin_lock_irqsave(&stack_lock);

	slot_put(st->lo);
	spin_unlock_irqrestore(&stack_lock, flags);
	st->lo = st->hi = st->mapped_lo = 0;
	st->max = 0;
}

int stack_alloc(struct stack *st, size_t max)
{
	int err;

	if (max < STACK_MIN || max > STACK_MAX_LIMIT)
		return -EINVAL;
	max = ALIGN_UP(max, PAGE_SIZE);
	st->owner = 0;
	st->what = NULL;
	st->cpu = -1;
	err = reserve(st, max);
	if (err < 0)
		return err;
	/* The top page up front: the new task's first frame goes there. */
	preempt_disable();
	err = map_page(st->hi - PAGE_SIZE, false, false);
	preempt_enable();
	if (err < 0) {
		release(st);
		return err;
	}
	st->mapped_lo = st->hi - PAGE_SIZE;
	return 0;
}

int stack_alloc_backed(struct stack *st, size_t size, int cpu, const char *what)
{
	int err;

	size = ALIGN_UP(size, PAGE_SIZE);
	st->owner = 0;
	st->what = what;
	st->cpu = cpu;
	err = reserve(st, size);
	if (err < 0)
		return err;
	preempt_disable();
	while (!err && st->mapped_lo > st->lo) {
		err = map_page(st->mapped_lo - PAGE_SIZE, false, true);
		if (!err)
			st->mapped_lo -= PAGE_SIZE;
	}
	preempt_enable();
	if (err < 0)
		stack_free(st);
	return err;
}

void stack_moved(struct stack *st)
{
	uint32_t s;

	__atomic_store_n(slot_entry(st->lo, &s), (uintptr_t)st, __ATOMIC_RELEASE);
}

/* stack_trim() of a stack that grew. */
void stack_trim_grown(struct stack *st)
{
	vaddr_t keep = st->hi - PAGE_SIZE;

	unmap_range(st->mapped_lo, keep);
	st->mapped_lo = keep;
}

void stack_free(struct stack *st)
{
	if (!st->max)
		return;
	unmap_range(st->mapped_lo, st->hi);
	release(st);
}

void stack_free_many(struct stack *const *st, size_t n)
{
	vaddr_t top[STACK_FREE_BATCH], slot[STACK_FREE_BATCH];
	paddr_t pa[STACK_FREE_BATCH];
	size_t m = 0;

	BUG_ON(n > STACK_FREE_BATCH);
	prefault_stack();
	/* The structs may live in the stacks themselves (struct g does):
	 * read them all before anything is unmapped. */
	for (size_t i = 0; i < n; i++) {
		if (stack_grown(st[i])) {
			stack_free(st[i]); /* rare, on its own */
			continue;
		}
		top[m] = st[i]->mapped_lo;
		slot[m++] = st[i]->lo;
	}
	for (size_t i = 0; i < m; i++)
		arch_mmu_unmap_nosync(top[i], 1, &pa[i]);
	if (m)
		arch_mmu_unmap_sync();

	unsigned long flags = spin_lock_irqsave(&stack_lock);

	for (size_t i = 0; i < m; i++)
		slot_put(slot[i]);
	spin_unlock_irqrestore(&stack_lock, flags);
	for (size_t i = 0; i < m; i++) {
		if (pa[i]) {
			mm_pages_free(pa[i], 1);
			__atomic_fetch_sub(&pages_mapped, 1, __ATOMIC_RELAXED);
		}
	}
}

uint64_t stack_in_use_bytes(void)
{
	return __atomic_load_n(&pages_mapped, __ATOMIC_RELAXED) * PAGE_SIZE;
}

/* ---- the fault path ---- */

static __noreturn void overflow(struct trap_frame *tf, const struct stack *st, uintptr_t addr)
{
	if (st->what)
		panic_at(tf, "cpu %d: %s stack overflow (limit %zu KiB, fault at %p)", st->cpu,
			 st->what, st->max / 1024, (void *)addr);
	panic_at(tf, "task %d: stack overflow (limit %zu KiB, fault at %p)", st->owner,
		 st->max / 1024, (void *)addr);
}

bool stack_page_fault(struct trap_frame *tf, uintptr_t addr)
{
	struct stack *st = slot_owner(addr);
	vaddr_t page = ALIGN_DOWN(addr, PAGE_SIZE);
	int err;

	if (!st)
		return false;
	if (addr < st->lo)
		overflow(tf, st, addr);
	if (addr >= st->hi)
		return false; /* cannot happen: slots end where their stack does */

	err = map_page(page, true, true);
	if (err == -EEXIST)
		return true; /* another CPU mapped it; this one saw a stale entry */
	if (err < 0)
		panic_at(tf, "task %d: out of memory growing its stack to %zu KiB", st->owner,
			 (size_t)(st->hi - page) / 1024);
	if (page < st->mapped_lo)
		st->mapped_lo = page;
	return true;
}

bool kernel_page_fault(struct trap_frame *tf, uintptr_t addr, bool write, bool exec)
{
	(void)write;
	/* Running code from a stack is never right, mapped or not. */
	if (exec)
		return false;
	return stack_page_fault(tf, addr);
}
