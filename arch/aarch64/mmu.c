// SPDX-License-Identifier: MIT
/*
 * aarch64: the kernel's page tables (arch.h, "memory: page tables").
 *
 * One TTBR0 address space, 48-bit virtual addresses (four levels, 0-3, of
 * 4 KiB tables), VA = PA for everything but the stack region:
 *   - the image at 4 KiB granularity: text RX, rodata and .ksyms R, data
 *     and bss RW; never W+X (text is the only executable range);
 *   - RAM from the boot memory map RW+NX, in 1 GiB and 2 MiB blocks where
 *     alignment allows; page 0 is never mapped;
 *   - devices Device-nGnRE RW+NX: what is not RAM in the low 4 GiB (from
 *     2 MiB up, so that NULL + small offsets fault), where SoCs and QEMU
 *     virt put them, and the `reg` of every top-level DTB node above that
 *     (QEMU virt's high PCIe ECAM); more through arch_mmu_map_device;
 *   - the stack region, [STACK_REGION_BASE, + 1 TiB): level 0 entries that
 *     nothing but arch_mmu_map fills.
 *
 * Concurrency: only the stack region and arch_mmu_map_device change after
 * boot. Every walk of the stack region (map, unmap, lookup) holds pt_lock,
 * with interrupts off, so that arch_mmu_unmap can free the tables it leaves
 * empty: no other CPU can be linking a page into a table that is going
 * away, nor reading one through a pointer it loaded before. Freeing a table
 * is break-before-make on its parent entry: clear the entry, DSB ISHST,
 * TLBI VAE1IS for an address in the table's range (unlike VALE1IS it drops
 * the walk-cache copies of the entries above the leaf too, on every CPU),
 * then DSB ISH; only after that does the page go back to the allocator.
 * The hardware never caches invalid entries in a TLB, so a new mapping
 * needs no shootdown; a cleared leaf does, the same TLBI.
 *
 * Nothing under pt_lock calls the page allocator: the fault path may have
 * interrupted the allocator (holding its lock) on one CPU and be spinning
 * on pt_lock, so a holder waiting for the allocator would wait forever.
 * Missing tables come from a small pool of zeroed pages that arch_mmu_map
 * fills with the lock dropped; the tables unmap frees are freed after it.
 * arch_mmu_map_device works outside the stack region, where tables are
 * never freed: it links tables with a compare-and-swap, without the lock.
 * The callers of the non-atomic map and of unmap have pre-faulted their
 * stack, so a CPU never faults while it holds pt_lock; were it to, the
 * fault path would find the lock its own and panic rather than hang.
 *
 * The fault path calls arch_mmu_map with interrupts off on the trap stack,
 * so nothing here calls code that might use FP/SIMD registers (newlib's
 * memset does): table pages are zeroed by hand.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <arch.h>
#include <arch/aarch64.h>
#include <arch/sysreg.h>
#include <drivers/fdt.h>
#include <kernel/boot_info.h>
#include <kernel/mm.h>
#include <kernel/panic.h>
#include "pte.h"

#define VA_BITS 48
#define LEVELS 4
#define STACK_REGION_BASE 0x0000400000000000ull
#define STACK_REGION_SIZE (1ull << 40)
#define DEVICE_LOW_LIMIT (4ull << 30)
#define NULL_GUARD BLOCK_2M
/* A single shootdown of more pages than this invalidates the whole TLB instead. */
#define TLBI_PAGES_MAX 64
#define SPARE_TABLES 8

#define TCR_VALUE (TCR_T0SZ(VA_BITS) | TCR_COMMON)

/* Leaf attributes. Everything but text is PXN; UXN everywhere, since no EL0 code exists. */
#define LEAF_COMMON (PTE_VALID | PTE_AF | PTE_UXN)
#define PROT_TEXT (LEAF_COMMON | PTE_ATTRINDX(ATTR_NORMAL) | PTE_SH_INNER | PTE_AP_RO)
#define PROT_RO (LEAF_COMMON | PTE_ATTRINDX(ATTR_NORMAL) | PTE_SH_INNER | PTE_AP_RO | PTE_PXN)
#define PROT_RW (LEAF_COMMON | PTE_ATTRINDX(ATTR_NORMAL) | PTE_SH_INNER | PTE_PXN)
#define PROT_DEVICE (LEAF_COMMON | PTE_ATTRINDX(ATTR_DEVICE) | PTE_PXN)

extern char __executable_start[], __etext[], __rodata_start[], __data_start[], _end[];

static uint64_t *root; /* the level 0 table */
static paddr_t spare[SPARE_TABLES]; /* zeroed table pages, 0 = empty slot */
/* Held around every walk of the stack region (see the top): 0, or the MPIDR of the CPU
 * that holds it with bit 63 set (MPIDR bit 31 is RES1, but be sure it is never 0). */
static uint64_t pt_lock;

static unsigned int level_shift(int level)
{
	return L3_SHIFT + 9 * (unsigned int)(3 - level);
}

static unsigned int pte_index(uint64_t va, int level)
{
	return (unsigned int)(va >> level_shift(level)) & (PTRS_PER_TABLE - 1);
}

static bool pte_is_table(uint64_t e, int level)
{
	return level < 3 && (e & (PTE_VALID | PTE_TABLE)) == (PTE_VALID | PTE_TABLE);
}

static uint64_t *pte_table(uint64_t e)
{
	return mm_va(e & PTE_ADDR_MASK);
}

static uint64_t pt_lock_token(void)
{
	return read_sysreg(mpidr_el1) | 1ull << 63;
}

/* Take pt_lock with interrupts off; the flags for pt_unlock. */
static unsigned long pt_lock_irqsave(void)
{
	unsigned long flags = arch_irq_save();
	uint64_t me = pt_lock_token(), unlocked;

	/* Only a fault inside a locked section can get here (callers pre-fault their
	 * stack so that none does); spinning would hang this CPU for good. */
	if (__atomic_load_n(&pt_lock, __ATOMIC_RELAXED) == me)
		panic("mmu: this CPU already holds the page-table lock: a fault inside "
		      "arch_mmu_map/unmap (did the caller pre-fault 8 KiB of stack?)");
	for (;;) {
		unlocked = 0;
		if (__atomic_compare_exchange_n(&pt_lock, &unlocked, me, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return flags;
		while (__atomic_load_n(&pt_lock, __ATOMIC_RELAXED))
			arch_cpu_relax();
	}
}

static void pt_unlock_irqrestore(unsigned long flags)
{
	__atomic_store_n(&pt_lock, 0, __ATOMIC_RELEASE);
	arch_irq_restore(flags);
}

/* With general registers only: this runs on the fault path (see the top). */
static void zero_page(void *p)
{
	uint64_t *q = p, *end = q + GRANULE / 8;

	for (; q < end; q += 2)
		__asm__ __volatile__("stp xzr, xzr, [%0]" ::"r"(q) : "memory");
}

/* A zeroed page from the spare pool, or 0. Lock-free. */
static paddr_t table_from_pool(void)
{
	paddr_t pa;

	for (int i = 0; i < SPARE_TABLES; i++) {
		pa = __atomic_load_n(&spare[i], __ATOMIC_RELAXED);
		if (pa && __atomic_compare_exchange_n(&spare[i], &pa, 0, false, __ATOMIC_ACQUIRE,
						      __ATOMIC_RELAXED))
			return pa;
	}
	return 0;
}

unsigned int aarch64_mmu_spare_tables(void)
{
	unsigned int n = 0;

	for (int i = 0; i < SPARE_TABLES; i++)
		n += __atomic_load_n(&spare[i], __ATOMIC_RELAXED) != 0;
	return n;
}

/* A zeroed page for a table: from the spare pool, else from the allocator. 0 if none. */
static paddr_t table_alloc(bool atomic)
{
	paddr_t pa = table_from_pool();

	if (pa)
		return pa;
	pa = atomic ? mm_page_alloc_atomic() : mm_pages_alloc(1);
	if (pa)
		zero_page(mm_va(pa));
	return pa;
}

/* A zeroed page for the next table: one that lost a race to be linked (map_device), or
 * one arch_mmu_map fetched without the lock. */
static void table_spare(paddr_t pa, bool atomic)
{
	dsb(ishst); /* its zeroes before whoever takes it links it */
	for (int i = 0; i < SPARE_TABLES; i++) {
		paddr_t empty = 0;

		if (__atomic_compare_exchange_n(&spare[i], &empty, pa, false, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			return;
	}
	/* Only as many CPUs as want a table at once can fill the pool; on the fault path,
	 * which may have interrupted the allocator, a page is better lost than freed. */
	if (!atomic)
		mm_pages_free(pa, 1);
}

/* How pte_walk gets a missing table. */
enum walk_mode {
	WALK_FIND, /* it does not: NULL */
	WALK_POOL, /* from the spare pool only (under pt_lock); -EAGAIN when it is empty */
	WALK_ALLOC, /* from the pool or the allocator (never under pt_lock) */
};

/*
 * The entry for `va` at `level` (1: 1 GiB blocks, 2: 2 MiB, 3: 4 KiB pages), linking
 * missing tables on the way as `mode` says. NULL when a table is missing and
 * WALK_FIND, when none can be had (*err = -ENOMEM, or -EAGAIN for WALK_POOL) or when
 * a block already covers `va` at a higher level (*err = -EEXIST).
 */
static uint64_t *pte_walk(uint64_t va, int level, enum walk_mode mode, bool atomic, int *err)
{
	uint64_t *t = root;

	for (int l = 0; l < level; l++) {
		uint64_t *slot = &t[pte_index(va, l)];
		uint64_t e = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

		if (!(e & PTE_VALID)) {
			if (mode == WALK_FIND)
				return NULL;
			paddr_t pa = mode == WALK_POOL ? table_from_pool() : table_alloc(atomic);

			if (!pa) {
				*err = mode == WALK_POOL ? -EAGAIN : -ENOMEM;
				return NULL;
			}
			/* The zeroes reach the walker before the table can. */
			dsb(ishst);
			uint64_t desc = pa | PTE_VALID | PTE_TABLE;

			if (__atomic_compare_exchange_n(slot, &e, desc, false, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE)) {
				e = desc;
			} else {
				/* e is the winner's (never under pt_lock: the lock has no race) */
				table_spare(pa, atomic);
			}
		}
		if (!pte_is_table(e, l)) {
			*err = -EEXIST;
			return NULL;
		}
		t = pte_table(e);
	}
	return &t[pte_index(va, level)];
}

/* ---- building the tables at boot (one CPU, nothing else running) ---- */

static uint64_t leaf_desc(uint64_t pa, uint64_t prot, int level)
{
	/* A block at levels 1 and 2 has bit 1 clear; a page at level 3 has it set. */
	return pa | (level == 3 ? prot | PTE_PAGE : prot);
}

/*
 * Map [va, va + size) to pa with `prot`, using the largest blocks that alignment and
 * the tables already present allow. Entries that are mapped already keep what they
 * have: the first mapping of an address wins, so the image's sections go in first
 * and RAM and devices fill in around them.
 */
static void map_boot(uint64_t *t, int level, uint64_t va, uint64_t pa, uint64_t size, uint64_t prot)
{
	uint64_t block = 1ull << level_shift(level);

	while (size) {
		uint64_t *slot = &t[pte_index(va, level)];
		uint64_t n = block - (va & (block - 1));

		if (n > size)
			n = size;
		if (!(*slot & PTE_VALID) && n == block && !(pa & (block - 1)) && level >= 1) {
			*slot = leaf_desc(pa, prot, level);
		} else if (level < 3 && !(*slot & PTE_VALID)) {
			paddr_t tp = table_alloc(false);

			if (!tp)
				panic("mmu: no memory for page tables");
			*slot = tp | PTE_VALID | PTE_TABLE;
			map_boot(pte_table(*slot), level + 1, va, pa, n, prot);
		} else if (pte_is_table(*slot, level)) {
			map_boot(pte_table(*slot), level + 1, va, pa, n, prot);
		}
		va += n;
		pa += n;
		size -= n;
	}
}

static void map_identity(uint64_t lo, uint64_t hi, uint64_t prot)
{
	lo = ALIGN_DOWN(lo, GRANULE);
	hi = ALIGN_UP(hi, GRANULE);
	if (hi > STACK_REGION_BASE && lo < STACK_REGION_BASE + STACK_REGION_SIZE)
		return; /* never: no machine we know has memory there */
	if (hi > 1ull << VA_BITS)
		hi = 1ull << VA_BITS;
	if (lo < hi)
		map_boot(root, 0, lo, lo, hi - lo, prot);
}

/* The `reg` ranges of the DTB's top-level nodes (not memory) above the low device
 * range: QEMU virt's high PCIe ECAM, for one. */
static void map_dtb_devices(const void *dtb)
{
	int root_node, node, len;

	if (!dtb || (root_node = fdt_path_offset(dtb, "/")) < 0)
		return;
	for (node = fdt_first_child(dtb, root_node); node >= 0;
	     node = fdt_next_sibling(dtb, node)) {
		const char *type = fdt_getprop(dtb, node, "device_type", &len);
		uint64_t base, size;

		if (type && len == 7 && __builtin_memcmp(type, "memory", 7) == 0)
			continue;
		for (int i = 0; fdt_reg_under(dtb, root_node, node, i, &base, &size) == 0; i++)
			if (size && base + size > DEVICE_LOW_LIMIT)
				map_identity(MAX(base, DEVICE_LOW_LIMIT), base + size, PROT_DEVICE);
	}
}

static bool in_stack_region(vaddr_t va, size_t size)
{
	return va >= STACK_REGION_BASE && size <= STACK_REGION_SIZE &&
	       va - STACK_REGION_BASE <= STACK_REGION_SIZE - size;
}

static uint64_t lookup(uintptr_t va, int *level)
{
	uint64_t *t = root;

	for (int l = 0; l <= 3; l++) {
		uint64_t e = __atomic_load_n(&t[pte_index(va, l)], __ATOMIC_ACQUIRE);

		if (!(e & PTE_VALID))
			return 0;
		if (!pte_is_table(e, l)) {
			if (level)
				*level = l;
			return e;
		}
		t = pte_table(e);
	}
	return 0;
}

/* A leaf's descriptor for `va`, and its level; 0 when nothing maps it. */
uint64_t aarch64_mmu_lookup(uintptr_t va, int *level)
{
	unsigned long flags;
	uint64_t e;

	if (!root || va >> VA_BITS)
		return 0;
	if (!in_stack_region(va, 1))
		return lookup(va, level);
	flags = pt_lock_irqsave(); /* its tables may be freed */
	e = lookup(va, level);
	pt_unlock_irqrestore(flags);
	return e;
}

void arch_mmu_init(const struct boot_info *bi)
{
	uintptr_t text = (uintptr_t)__executable_start, rodata = (uintptr_t)__rodata_start;
	uintptr_t data = (uintptr_t)__data_start, end = (uintptr_t)_end;
	paddr_t root_pa = table_alloc(false);
	uint64_t ips = read_sysreg(id_aa64mmfr0_el1) & 0xf;

	if (!root_pa)
		panic("mmu: no memory for page tables");
	root = mm_va(root_pa);

	/* The image first, so that its 4 KiB pages win over the RAM blocks around them. */
	map_identity(text, rodata, PROT_TEXT);
	map_identity(rodata, data, PROT_RO);
	map_identity(data, end, PROT_RW);
	for (unsigned int i = 0; i < bi->nmem; i++)
		map_identity(MAX(bi->mem[i].base, (paddr_t)GRANULE),
			     bi->mem[i].base + bi->mem[i].size, PROT_RW);
	map_identity(NULL_GUARD, DEVICE_LOW_LIMIT, PROT_DEVICE);
	map_dtb_devices(bi->dtb);

	if (ips > PARANGE_48_BITS)
		ips = PARANGE_48_BITS;
	/* Secondaries read mmu_regs with their MMU off, from memory: clean it out of the
	 * caches (the tables themselves are read by walkers that snoop them). */
	mmu_regs.tcr = TCR_VALUE | ips << TCR_IPS_SHIFT;
	mmu_regs.ttbr0 = root_pa;
	dsb(ish);
	__asm__ __volatile__("dc civac, %0" ::"r"(&mmu_regs) : "memory");
	dsb(sy);
	/* The walk changes from three levels to four, which no live TTBR0 can do
	 * atomically: aarch64_mmu_switch does it with the MMU off for a moment. */
	aarch64_mmu_switch(mmu_regs.ttbr0, mmu_regs.tcr);
}

void arch_mmu_stack_region(vaddr_t *base, size_t *size)
{
	*base = STACK_REGION_BASE;
	*size = STACK_REGION_SIZE;
}

int arch_mmu_map(vaddr_t va, paddr_t pa, bool atomic)
{
	if (!PAGE_ALIGNED(va) || !PAGE_ALIGNED(pa) || !in_stack_region(va, PAGE_SIZE))
		panic("arch_mmu_map: %p -> %p is not a page of the stack region", (void *)va,
		      (void *)(uintptr_t)pa);
	for (;;) {
		unsigned long flags = pt_lock_irqsave();
		int err = 0;
		uint64_t *slot = pte_walk(va, 3, WALK_POOL, atomic, &err);

		if (slot && *slot) {
			err = -EEXIST;
		} else if (slot) {
			__atomic_store_n(slot, leaf_desc(pa, PROT_RW, 3), __ATOMIC_RELEASE);
			/* The walker sees the entry before any later access of this CPU;
			 * other CPUs that fault on it meanwhile find it mapped. */
			dsb(ishst);
			isb();
		}
		pt_unlock_irqrestore(flags);
		if (err != -EAGAIN)
			return err;
		/* A table is missing and the pool is dry: one more page, without the
		 * lock (see the top), then walk again. At most three rounds. */
		paddr_t table = table_alloc(atomic);

		if (!table)
			return -ENOMEM;
		table_spare(table, atomic);
	}
}

void arch_mmu_reserve(vaddr_t va, size_t size)
{
	/* Unmapped pages fault by themselves. */
	(void)va;
	(void)size;
}

/* Invalidate, on every CPU, what the TLBs and walk caches hold for `va`: the leaf and
 * every table entry above it (VAE1IS, not VALE1IS). Needs a DSB ISH to complete. */
static void tlbi_va(vaddr_t va)
{
	__asm__ __volatile__("tlbi vae1is, %0" ::"r"(va >> PAGE_SHIFT) : "memory");
}

/*
 * Under pt_lock: unlink and invalidate the tables below level `level` table `t` that
 * cover [lo, hi) and are empty, pushing their pages on *freed (linked through their
 * first word; 0 ends the list). True when this leaves `t` empty.
 */
static bool prune(uint64_t *t, int level, vaddr_t lo, vaddr_t hi, paddr_t *freed)
{
	uint64_t span = 1ull << level_shift(level);
	bool unlinked = false;

	for (vaddr_t base = ALIGN_DOWN(lo, span); base < hi; base += span) {
		uint64_t *slot = &t[pte_index(base, level)];
		uint64_t e = *slot;
		bool empty;

		if (!pte_is_table(e, level))
			continue;
		uint64_t *child = pte_table(e);

		if (level + 1 < 3) {
			empty = prune(child, level + 1, MAX(lo, base), MIN(hi, base + span), freed);
		} else {
			empty = true;
			for (int i = 0; i < PTRS_PER_TABLE && empty; i++)
				empty = child[i] == 0;
		}
		if (!empty)
			continue;
		/* Break before the page is reused: no walker can reach the table once
		 * the entry is clear and the cached copies of it are gone. */
		__atomic_store_n(slot, 0, __ATOMIC_RELAXED);
		dsb(ishst);
		tlbi_va(base);
		/* An invalid descriptor (bit 0 clear) should a stale walk still read it;
		 * the page is not freed before the DSB ISH in arch_mmu_unmap. */
		child[0] = *freed;
		*freed = e & PTE_ADDR_MASK;
		unlinked = true;
	}
	if (!unlinked)
		return false; /* whatever kept it from being freed before is still there */
	for (int i = 0; i < PTRS_PER_TABLE; i++)
		if (t[i])
			return false;
	return true;
}

void arch_mmu_unmap(vaddr_t va, size_t npages, paddr_t *pa)
{
	size_t cleared = 0;
	paddr_t freed = 0;
	unsigned long flags;
	int err;

	if (!PAGE_ALIGNED(va) || !in_stack_region(va, npages << PAGE_SHIFT))
		panic("arch_mmu_unmap: %p + %zu pages is not in the stack region", (void *)va,
		      npages);
	if (!npages)
		return;
	flags = pt_lock_irqsave();
	for (size_t i = 0; i < npages; i++) {
		uint64_t *slot = pte_walk(va + (i << PAGE_SHIFT), 3, WALK_FIND, false, &err);
		uint64_t e = slot ? __atomic_exchange_n(slot, 0, __ATOMIC_RELAXED) : 0;

		pa[i] = e & PTE_VALID ? e & PTE_ADDR_MASK : 0;
		cleared += pa[i] != 0;
	}
	/* The root is never freed: the stack region's level 0 entries stay. */
	prune(root, 0, va, va + (npages << PAGE_SHIFT), &freed);
	if (cleared || freed) {
		/* The cleared entries are visible to every walker before the
		 * invalidation, and the invalidation is complete on every CPU (DSB ISH)
		 * before a page goes back. Invalid entries are never in a TLB. */
		dsb(ishst);
		if (npages > TLBI_PAGES_MAX) {
			__asm__ __volatile__("tlbi vmalle1is" ::: "memory");
		} else {
			for (size_t i = 0; i < npages; i++)
				if (pa[i])
					tlbi_va(va + (i << PAGE_SHIFT));
		}
		dsb(ish);
		isb();
	}
	pt_unlock_irqrestore(flags);
	while (freed) {
		paddr_t next = *(paddr_t *)mm_va(freed);

		mm_pages_free(freed, 1);
		freed = next;
	}
}

int arch_mmu_map_device(paddr_t pa, size_t size)
{
	paddr_t end = ALIGN_UP(pa + size, PAGE_SIZE);
	int err = 0;

	pa = ALIGN_DOWN(pa, PAGE_SIZE);
	if (end < pa || end > 1ull << VA_BITS ||
	    (end > STACK_REGION_BASE && pa < STACK_REGION_BASE + STACK_REGION_SIZE))
		return -EINVAL;
	for (; pa < end; pa += PAGE_SIZE) {
		int level;
		uint64_t e = aarch64_mmu_lookup(pa, &level), old = 0, *slot;

		if (e) {
			/* Mapped already (the boot map covers most devices): fine if as a
			 * device, but RAM must never get a second, uncached alias. */
			if ((e & PTE_ATTRINDX_MASK) != PTE_ATTRINDX(ATTR_DEVICE))
				return -EINVAL;
			continue;
		}
		slot = pte_walk(pa, 3, WALK_ALLOC, false, &err);
		if (!slot)
			return err;
		/* Lost a race with another driver mapping the same page: theirs is as good. */
		__atomic_compare_exchange_n(slot, &old, leaf_desc(pa, PROT_DEVICE, 3), false,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	}
	dsb(ishst);
	isb();
	return 0;
}

/* TLBI ...IS broadcasts in hardware and costs little: an unmap completes
 * its shootdown at once, and there is nothing to batch. */
void arch_mmu_unmap_nosync(vaddr_t va, size_t npages, paddr_t *pa)
{
	arch_mmu_unmap(va, npages, pa);
}

void arch_mmu_unmap_sync(void)
{
}
