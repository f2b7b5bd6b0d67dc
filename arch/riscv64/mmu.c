// SPDX-License-Identifier: MIT
/*
 * riscv64: the kernel's page tables, Sv39 (RISC-V Privileged Architecture
 * 20211203, §4.4): three levels of 512 entries mapping 1 GiB, 2 MiB and
 * 4 KiB, and 39-bit virtual addresses whose bits 63..39 copy bit 38.
 *
 * One address space for every hart, built once by arch_mmu_init:
 *  - all RAM at VA = PA, RW, in the largest pages its alignment allows;
 *  - the image over it, split into 4 KiB pages where its sections need
 *    them: text RX, rodata R, data and bss RW (linker/riscv64.ld);
 *  - the devices of the device tree (the `reg` ranges of the root's
 *    children and of simple-bus children), RW. Sv39 entries carry no memory
 *    type: the platform's PMAs make device ranges uncached and strongly
 *    ordered (§3.6);
 *  - never page 0, so that NULL faults.
 * Nothing is both writable and executable, and every leaf has A set, and D
 * where it is writable: a hart without Svadu faults instead of setting them
 * (§4.3.1, step 7), and nothing here tracks them. Leaves are global: there is
 * one address space and no ASID.
 *
 * The upper half is for stacks (arch_mmu_stack_region), filled and emptied
 * one 4 KiB page at a time by arch_mmu_map and arch_mmu_unmap under
 * upper_lock. Unmapping shoots the old entries down on every hart (by IPI,
 * smp.c), and frees a level-0 table once it maps nothing.
 */
#include <errno.h>
#include <string.h>

#include <arch.h>
#include <arch/csr.h>
#include <drivers/fdt.h>
#include <kernel/boot_info.h>
#include <kernel/mm.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/spinlock.h>
#include "riscv64.h"

typedef uint64_t pte_t;

#define VA_BITS 39
#define TOP_LEVEL 2
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK (((1ul << 44) - 1) << PTE_PPN_SHIFT)
#define PTE_PERM (PTE_R | PTE_W | PTE_X)

/* VA = PA only reaches physical addresses in the lower half. */
#define DIRECT_MAP_END (1ul << (VA_BITS - 1))

/* The stack region: the first half of the upper half, 128 GiB. */
#define STACK_REGION_BASE 0xffffffc000000000ul
#define STACK_REGION_SIZE (128ul << 30)

/* Past this many pages, a hart drops its whole TLB rather than page by page. */
#define FLUSH_ALL_PAGES 64

/* Stack below sp that code holding upper_lock may use. */
#define PREFAULT_BYTES 1024

/* Nesting the device tree walk follows; QEMU's trees are 4 deep. */
#define DT_MAX_DEPTH 16

extern const char __executable_start[], __rodata_start[], __data_start[], _end[];

static pte_t *root;
uint64_t riscv_kernel_satp;

/* A table page allocated and not needed after all, kept for the next. */
static paddr_t spare_table;

/* Serializes arch_mmu_map_device; the lower half is not changed otherwise. */
static spinlock_t device_lock;

/*
 * Guards the upper half's tables, whose level-0 pages arch_mmu_unmap frees
 * when they empty (a parked task costs a page of stack, and its table share
 * must go back with it). Taken with interrupts off, on the fault path too,
 * so code holding it must never fault: it touches only table pages, which
 * are in the direct map, and a stack made sure of (stack_prefault).
 */
static spinlock_t upper_lock;
static struct cpu *volatile upper_owner; /* the holder, for riscv_mmu_lookup */

/*
 * What arch_mmu_unmap_nosync left for arch_mmu_unmap_sync (upper_lock):
 * a count of unmaps, the range they cover, and the tables they emptied.
 * flushed_gen is the count the last finished shootdown covered (sync_lock).
 */
static uint64_t owed_gen, flushed_gen;
static uintptr_t owed_lo = UINTPTR_MAX, owed_hi;
static paddr_t owed_tables;
static spinlock_t sync_lock;

static inline unsigned long upper_lock_take(void)
{
	unsigned long flags = spin_lock_irqsave(&upper_lock);

	upper_owner = arch_cpu_self();
	return flags;
}

static inline void upper_lock_give(unsigned long flags)
{
	upper_owner = NULL;
	spin_unlock_irqrestore(&upper_lock, flags);
}

static inline uint64_t level_size(int level)
{
	return 1ul << (PAGE_SHIFT + 9 * level);
}

static inline unsigned int pte_index(uintptr_t va, int level)
{
	return (va >> (PAGE_SHIFT + 9 * level)) & 511;
}

static inline paddr_t pte_pa(pte_t e)
{
	return ((e & PTE_PPN_MASK) >> PTE_PPN_SHIFT) << PAGE_SHIFT;
}

static inline pte_t *pte_table(pte_t e)
{
	return mm_va(pte_pa(e));
}

/* A non-leaf entry has no R, W or X (§4.3.1); A, D and U stay clear on it. */
static inline pte_t table_pte(paddr_t pa)
{
	return (pa >> PAGE_SHIFT) << PTE_PPN_SHIFT | PTE_V;
}

static inline pte_t leaf_pte(paddr_t pa, uint64_t perm)
{
	return (pa >> PAGE_SHIFT) << PTE_PPN_SHIFT | perm | PTE_V | PTE_G | PTE_A |
	       (perm & PTE_W ? PTE_D : 0);
}

static inline bool is_leaf(pte_t e)
{
	return (e & PTE_V) && (e & PTE_PERM);
}

static inline bool is_table(pte_t e)
{
	return (e & PTE_V) && !(e & PTE_PERM);
}

static bool canonical(uintptr_t va)
{
	return (uintptr_t)((intptr_t)(va << (64 - VA_BITS)) >> (64 - VA_BITS)) == va;
}

/* Whether arch_mmu_map and arch_mmu_unmap may touch va. */
static bool in_map_area(uintptr_t va)
{
	return (va >= STACK_REGION_BASE && va - STACK_REGION_BASE < STACK_REGION_SIZE) ||
	       (va >= RISCV_TEST_WINDOW && va - RISCV_TEST_WINDOW < RISCV_TEST_WINDOW_SIZE);
}

/* ---- table pages ---- */

/* A zeroed table page: the spare, or a new one; 0 when there is none. */
static paddr_t table_alloc(bool atomic)
{
	paddr_t pa = __atomic_exchange_n(&spare_table, 0, __ATOMIC_ACQUIRE);

	if (!pa)
		pa = atomic ? mm_page_alloc_atomic() : mm_pages_alloc(1);
	if (pa) {
		uint64_t *p = mm_va(pa);

		for (unsigned int i = 0; i < PAGE_SIZE / sizeof(*p); i++)
			p[i] = 0;
	}
	return pa;
}

/*
 * Keep a table page that turned out not to be needed (another hart made the
 * table first). If a spare is there already, give it back, except on the
 * fault path, which must not take the page allocator's lock (it may have
 * interrupted its holder): there the page is lost, 4 KiB for a rare race.
 */
static void table_unneeded(paddr_t pa, bool atomic)
{
	paddr_t none = 0;

	if (__atomic_compare_exchange_n(&spare_table, &none, pa, false, __ATOMIC_RELEASE,
					__ATOMIC_RELAXED))
		return;
	if (!atomic)
		mm_pages_free(pa, 1);
}

/* ---- lookups ---- */

static uint64_t lookup(uintptr_t va, uint64_t *size)
{
	pte_t *t = root;

	for (int level = TOP_LEVEL; level >= 0; level--) {
		pte_t e = __atomic_load_n(&t[pte_index(va, level)], __ATOMIC_ACQUIRE);

		if (!(e & PTE_V))
			return 0;
		if (is_leaf(e)) {
			if (size)
				*size = level_size(level);
			return e;
		}
		t = pte_table(e);
	}
	return 0; /* a table entry at level 0 maps nothing (§4.3.2, step 4) */
}

uint64_t riscv_mmu_lookup(uintptr_t va, uint64_t *size)
{
	unsigned long flags;
	uint64_t e;

	if (!root || !canonical(va))
		return 0;
	/* Tables under the upper half may be freed (arch_mmu_unmap), except
	 * while upper_lock is held, by this hart too if it was interrupted
	 * holding it. */
	if ((intptr_t)va >= 0 || upper_owner == arch_cpu_self())
		return lookup(va, size);
	flags = upper_lock_take();
	e = lookup(va, size);
	upper_lock_give(flags);
	return e;
}

bool riscv_mmu_can_write(uintptr_t va)
{
	return !riscv_kernel_satp || (riscv_mmu_lookup(va, NULL) & PTE_W);
}

static void walk_table(pte_t *t, int level, uintptr_t base,
		       void (*fn)(uintptr_t va, uint64_t pte, uint64_t size, void *arg), void *arg)
{
	for (unsigned int i = 0; i < 512; i++) {
		uintptr_t va = base + i * level_size(level);
		pte_t e = __atomic_load_n(&t[i], __ATOMIC_ACQUIRE);

		if (level == TOP_LEVEL && i >= 256)
			va |= ~((1ul << VA_BITS) - 1); /* the upper half, sign-extended */
		if (is_leaf(e))
			fn(va, e, level_size(level), arg);
		else if (is_table(e) && level > 0)
			walk_table(pte_table(e), level - 1, va, fn, arg);
	}
}

void riscv_mmu_walk(void (*fn)(uintptr_t va, uint64_t pte, uint64_t size, void *arg), void *arg)
{
	unsigned long flags;

	if (!root)
		return;
	flags = upper_lock_take();
	walk_table(root, TOP_LEVEL, 0, fn, arg);
	upper_lock_give(flags);
}

/* ---- building ---- */

/*
 * Map [va, va + size) to pa onwards with `perm`, below the level-`level`
 * table t, each piece in the largest page its alignment allows. With `fill`,
 * only where nothing is mapped yet, leaving what is (devices over RAM, a
 * device mapped twice). Without it, over whatever is there, splitting a
 * larger page whose rest keeps its permissions: only while paging is off
 * (the image over the direct map), since a live split needs
 * break-before-make. Table entries are stored with release, for walkers on
 * other harts. 0, or -ENOMEM.
 */
static int map_range(pte_t *t, int level, uintptr_t va, paddr_t pa, uint64_t size, uint64_t perm,
		     bool fill)
{
	uint64_t step = level_size(level);

	while (size) {
		pte_t *e = &t[pte_index(va, level)];
		uint64_t n = MIN(size, step - (va & (step - 1)));
		pte_t old = *e;

		if (n == step && !(pa & (step - 1)) && !is_table(old)) {
			if (!fill || !(old & PTE_V))
				WRITE_ONCE(*e, leaf_pte(pa, perm));
		} else if (!(fill && is_leaf(old))) {
			if (!is_table(old)) {
				paddr_t tp = table_alloc(false);

				if (!tp)
					return -ENOMEM;
				if (is_leaf(old)) {
					pte_t *child = mm_va(tp);
					pte_t stride = (level_size(level - 1) >> PAGE_SHIFT)
						       << PTE_PPN_SHIFT;

					for (unsigned int i = 0; i < 512; i++)
						child[i] = old + i * stride;
				}
				old = table_pte(tp);
				__atomic_store_n(e, old, __ATOMIC_RELEASE);
			}
			int err = map_range(pte_table(old), level - 1, va, pa, n, perm, fill);

			if (err)
				return err;
		}
		va += n;
		pa += n;
		size -= n;
	}
	return 0;
}

/* Map [lo, hi) at VA = PA, page-aligned outwards, never page 0 nor
 * beyond the lower half; false when some of it was beyond. */
static bool map_identity(uint64_t lo, uint64_t hi, uint64_t perm, bool fill)
{
	bool whole = hi <= DIRECT_MAP_END;

	lo = MAX(ALIGN_DOWN(lo, PAGE_SIZE), PAGE_SIZE);
	hi = MIN(ALIGN_UP(hi, PAGE_SIZE), DIRECT_MAP_END);
	if (lo < hi && map_range(root, TOP_LEVEL, lo, lo, hi - lo, perm, fill) < 0)
		panic("riscv64: out of memory for the page tables");
	return whole;
}

/*
 * Every device a driver may find in the device tree: the `reg` ranges of
 * the root's children and of simple-bus children (the nodes that are
 * memory-mapped devices, as Linux's of_platform_populate sees them), except
 * RAM. Bus `ranges` are taken to be identity maps, as on QEMU virt.
 */
static void map_dt_devices(const void *dtb)
{
	bool bus[DT_MAX_DEPTH];
	int path[DT_MAX_DEPTH]; /* path[d]: the node at depth d on the way here */
	int depth = 0;

	for (int node = fdt_next_node(dtb, -1, &depth); node >= 0;
	     node = fdt_next_node(dtb, node, &depth)) {
		const char *type;
		uint64_t base, size;
		int len;

		if (depth >= DT_MAX_DEPTH)
			continue;
		path[depth] = node;
		bus[depth] = fdt_is_enabled(dtb, node) &&
			     (depth == 0 || fdt_is_compatible(dtb, node, "simple-bus"));
		if (depth == 0 || !bus[depth - 1] || !fdt_is_enabled(dtb, node))
			continue;
		type = fdt_getprop(dtb, node, "device_type", &len);
		if (type && len >= 7 && memcmp(type, "memory", 7) == 0)
			continue;
		for (int i = 0; fdt_reg_under(dtb, path[depth - 1], node, i, &base, &size) == 0;
		     i++)
			if (size && !map_identity(base, base + size, PTE_R | PTE_W, true))
				printk("riscv64: %s at %#llx is beyond Sv39's reach; not mapped\n",
				       fdt_name(dtb, node), (unsigned long long)base);
	}
}

void arch_mmu_init(const struct boot_info *bi)
{
	uintptr_t text = (uintptr_t)__executable_start, rodata = (uintptr_t)__rodata_start;
	uintptr_t data = (uintptr_t)__data_start, end = (uintptr_t)_end;
	paddr_t rp = table_alloc(false);
	uint64_t satp;

	if (!rp)
		panic("riscv64: no page for the root page table");
	root = mm_va(rp);

	for (unsigned int i = 0; i < bi->nmem; i++) {
		uint64_t lo = bi->mem[i].base, hi = lo + bi->mem[i].size;

		if (!map_identity(lo, hi, PTE_R | PTE_W, false))
			panic("riscv64: RAM at %#llx..%#llx lies beyond the %lu GiB that Sv39 "
			      "maps at VA = PA",
			      (unsigned long long)lo, (unsigned long long)hi, DIRECT_MAP_END >> 30);
	}
	map_identity(text, rodata, PTE_R | PTE_X, false);
	map_identity(rodata, data, PTE_R, false);
	map_identity(data, end, PTE_R | PTE_W, false);
	if (bi->dtb) {
		map_dt_devices(bi->dtb);
		/* In RAM on QEMU, but a board may leave it in flash. */
		map_identity((uintptr_t)bi->dtb, (uintptr_t)bi->dtb + fdt_totalsize(bi->dtb), PTE_R,
			     true);
	}

	/* Writing a mode the hart lacks leaves satp as it was (§4.1.11). */
	satp = SATP_MODE_SV39 | rp >> PAGE_SHIFT;
	csr_write(satp, satp);
	riscv_sfence_vma_all();
	if ((csr_read(satp) & SATP_MODE_MASK) != SATP_MODE_SV39)
		panic("riscv64: this hart has no Sv39 paging");
	riscv_kernel_satp = satp;
}

/* ---- the stack region ---- */

void arch_mmu_stack_region(vaddr_t *base, size_t *size)
{
	*base = STACK_REGION_BASE;
	*size = STACK_REGION_SIZE;
}

void arch_mmu_reserve(vaddr_t va, size_t size)
{
	/* Unmapped pages fault already. */
	(void)va;
	(void)size;
}

/*
 * Make sure the next PREFAULT_BYTES below the caller's stack pointer are
 * mapped, by touching them. Called before taking upper_lock, so that no
 * code holding it faults to grow its own stack: the fault path would wait
 * for the lock forever (its frames fit well within this).
 */
static __attribute__((noinline)) void stack_prefault(void)
{
	volatile uint8_t below[PREFAULT_BYTES];

	for (unsigned int i = 0; i < sizeof(below); i += 64)
		below[i] = 0;
}

/*
 * Put `pa` at va (upper_lock held), making the tables on the way from
 * *spare: -EAGAIN when one is missing and *spare is 0, -EEXIST when va is
 * mapped, else 0.
 */
static __attribute__((noinline)) int map_locked(uintptr_t va, paddr_t pa, paddr_t *spare)
{
	unsigned long flags = upper_lock_take();
	pte_t *t = root, *e;
	int ret = 0;

	for (int level = TOP_LEVEL; level > 0; level--) {
		e = &t[pte_index(va, level)];
		if (!(*e & PTE_V)) {
			if (!*spare) {
				ret = -EAGAIN;
				goto out;
			}
			/* The zeroed table before the entry that publishes it,
			 * for walkers on other harts. */
			__atomic_store_n(e, table_pte(*spare), __ATOMIC_RELEASE);
			*spare = 0;
		}
		t = pte_table(*e);
	}
	e = &t[pte_index(va, 0)];
	if (*e & PTE_V)
		ret = -EEXIST;
	else
		__atomic_store_n(e, leaf_pte(pa, PTE_R | PTE_W), __ATOMIC_RELEASE);
out:
	upper_lock_give(flags);
	return ret;
}

int arch_mmu_map(vaddr_t va, paddr_t pa, bool atomic)
{
	paddr_t spare = 0;
	int ret;

	if (!in_map_area(va) || !PAGE_ALIGNED(va) || !PAGE_ALIGNED(pa))
		panic("arch_mmu_map(%p, %#llx): not a page of the stack region", (void *)va,
		      (unsigned long long)pa);
	stack_prefault();
	/* Table pages are allocated outside the lock: the allocator's own
	 * lock and stack are no business of code that holds it. */
	while ((ret = map_locked(va, pa, &spare)) == -EAGAIN) {
		spare = table_alloc(atomic);
		if (!spare) {
			ret = -ENOMEM;
			break;
		}
	}
	if (spare)
		table_unneeded(spare, atomic);
	/* This hart may hold the invalid entry in its TLB (§4.2.1). Others
	 * fault on it at most once more (trap.c retries). */
	if (ret == 0)
		riscv_sfence_vma_page(va);
	return ret;
}

/*
 * Make every hart forget [va, va + size), or everything when `all` (a table
 * page is about to go: an address-specific SFENCE.VMA need not drop the
 * non-leaf entries a hart cached, §4.2.1). The other harts drop their
 * whole TLB (smp.c says why); this one only the range.
 */
static void tlb_shootdown(uintptr_t va, size_t size, bool all)
{
	unsigned long flags = arch_irq_save();

	if (all || size > FLUSH_ALL_PAGES * PAGE_SIZE) {
		riscv_sfence_vma_all();
	} else {
		for (uintptr_t a = va; a < va + size; a += PAGE_SIZE)
			riscv_sfence_vma_page(a);
	}
	riscv_tlb_shootdown();
	arch_irq_restore(flags);
}

/*
 * Unmap npages from va, all under one level-0 table (upper_lock held), the
 * old pages to pa[]. What was mapped widens the range owed a shootdown; a
 * table left empty is taken out and waits on owed_tables for the sync that
 * makes every hart forget it.
 */
static __attribute__((noinline)) void unmap_locked(uintptr_t va, size_t npages, paddr_t *pa)
{
	unsigned long flags = upper_lock_take();
	pte_t *t = root, *e = NULL;
	bool any = false;

	for (int level = TOP_LEVEL; level > 0 && t; level--) {
		e = &t[pte_index(va, level)];
		t = is_table(*e) ? pte_table(*e) : NULL;
	}
	for (size_t i = 0; i < npages; i++) {
		pte_t old = t ? t[pte_index(va + i * PAGE_SIZE, 0)] : 0;

		if (old & PTE_V) {
			t[pte_index(va + i * PAGE_SIZE, 0)] = 0;
			any = true;
		}
		pa[i] = (old & PTE_V) ? pte_pa(old) : 0;
	}
	if (any) {
		unsigned int i = 0;

		owed_gen++;
		owed_lo = MIN(owed_lo, va);
		owed_hi = MAX(owed_hi, va + npages * PAGE_SIZE);
		while (i < 512 && !(t[i] & PTE_V))
			i++;
		if (i == 512) {
			__atomic_store_n(e, 0, __ATOMIC_RELEASE);
			/* Linked through its first entry: a page address has V
			 * clear, so a hart still walking it finds nothing. */
			t[0] = owed_tables;
			owed_tables = mm_pa(t);
		}
	}
	upper_lock_give(flags);
}

void arch_mmu_unmap_nosync(vaddr_t va, size_t npages, paddr_t *pa)
{
	if (!in_map_area(va) || !PAGE_ALIGNED(va) ||
	    (npages && !in_map_area(va + (npages - 1) * PAGE_SIZE)))
		panic("arch_mmu_unmap(%p, %zu): not pages of the stack region", (void *)va, npages);
	stack_prefault();
	/* A 2 MiB piece at a time: each has its own level-0 table. */
	for (size_t i = 0; i < npages;) {
		uintptr_t a = va + i * PAGE_SIZE;
		size_t n = MIN(npages - i,
			       (size_t)((level_size(1) - (a & (level_size(1) - 1))) >> PAGE_SHIFT));

		unmap_locked(a, n, pa + i);
		i += n;
	}
}

/*
 * One shootdown for everything unmapped so far, by any hart, then the
 * emptied tables go. Syncs run one at a time (sync_lock, interrupts off),
 * so that one finding its unmaps taken by another also finds them flushed:
 * flushed_gen only moves once the flush is done.
 */
void arch_mmu_unmap_sync(void)
{
	unsigned long flags, inner;
	uintptr_t lo, hi;
	paddr_t tables;
	uint64_t gen;

	stack_prefault();
	flags = arch_irq_save();
	/* Its holder may be shooting down, and waits for this hart too. */
	while (!spin_tryacquire(&sync_lock)) {
		riscv_tlb_serve();
		arch_cpu_relax();
	}
	inner = upper_lock_take();
	gen = owed_gen;
	lo = owed_lo;
	hi = owed_hi;
	tables = owed_tables;
	owed_lo = UINTPTR_MAX;
	owed_hi = 0;
	owed_tables = 0;
	upper_lock_give(inner);
	if (gen != flushed_gen) {
		/* A table going needs every hart's cached table entries
		 * dropped, which an address-specific fence may keep. */
		tlb_shootdown(lo, hi - lo, tables != 0);
		flushed_gen = gen;
	}
	spin_release(&sync_lock);
	arch_irq_restore(flags);
	while (tables) {
		paddr_t next = *(pte_t *)mm_va(tables);

		mm_pages_free(tables, 1);
		tables = next;
	}
}

void arch_mmu_unmap(vaddr_t va, size_t npages, paddr_t *pa)
{
	arch_mmu_unmap_nosync(va, npages, pa);
	arch_mmu_unmap_sync();
}

/* ---- devices ---- */

int arch_mmu_map_device(paddr_t pa, size_t size)
{
	uint64_t lo = ALIGN_DOWN(pa, PAGE_SIZE), hi = ALIGN_UP(pa + size, PAGE_SIZE);
	unsigned long flags;
	int err;

	if (!size)
		return 0;
	if (lo < PAGE_SIZE || hi <= lo || hi > DIRECT_MAP_END)
		return -EINVAL;
	flags = spin_lock_irqsave(&device_lock);
	err = map_range(root, TOP_LEVEL, lo, lo, hi - lo, PTE_R | PTE_W, true);
	spin_unlock_irqrestore(&device_lock, flags);
	/* As in arch_mmu_map: this hart may have cached the invalid entries. */
	riscv_sfence_vma_all();
	return err;
}
