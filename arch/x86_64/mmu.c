// SPDX-License-Identifier: MIT
/*
 * x86_64: the kernel's page tables (4-level paging, SDM vol. 3 §4.5), the
 * stack region, the arch's own guarded exception stacks and TLB shootdowns.
 *
 * One address space for everything. Its lower half is the direct map,
 * virtual = physical, with large pages (1 GiB, 2 MiB) wherever alignment
 * allows and 4 KiB pages where permissions change:
 *  - all RAM of the boot memory map, usable and firmware-reserved (ACPI
 *    tables, runtime services), read/write and non-executable;
 *  - the image with per-section permissions: text read-only and executable,
 *    the PE headers, .ksyms and rodata read-only, everything from the init
 *    arrays on read/write, all but text non-executable;
 *  - the MMIO of the local APIC, the I/O APICs and PCIe ECAM, and whatever
 *    drivers add (arch_mmu_map_device), uncached;
 *  - the start-up trampoline of the other CPUs (smp.c), read-only and
 *    executable once it is written;
 *  - nothing at page 0, so that a NULL dereference faults.
 * Its upper half holds what is mapped page by page, in three PML4 slots
 * whose PDPTs exist from the start, so that mapping there never changes
 * the PML4:
 *  - the stack region (arch_mmu_stack_region): 1 TiB at STACK_REGION_BASE,
 *    for kernel/stack.c;
 *  - the arch's stacks: per CPU, the #DF, NMI, #MC and exception stacks of
 *    its TSS (trap.c), each above an unmapped guard page.
 * In the upper half they are clear of every physical address the direct
 * map can reach (below 2^47), whatever the machine's memory map.
 *
 * There are two sets of tables. arch_cpu_init builds boot tables from a
 * pool in .bss (x86_mmu_init), because the firmware's tables live in
 * boot-services memory, which the page allocator then hands out;
 * arch_mmu_init builds the final ones from mm_pages_alloc and switches to
 * them before other CPUs start, which load them from the trampoline.
 *
 * Locking: region_lock guards the tables of the upper half, dm_lock those of
 * the direct map after boot; neither is taken with the other. Both are held
 * with interrupts off, and nothing that can fault runs under them: the
 * tables are in the direct map, and a caller on a task stack, which grows
 * by faults, touches the stack it will use first (stack_probe), because the
 * fault would need region_lock itself. Table pages are allocated before the
 * lock is taken (the per-CPU spares) and freed after the shootdown.
 */
#include <errno.h>

#include <arch.h>
#include <arch/x86.h>
#include <drivers/acpi.h>
#include <drivers/lapic.h>
#include <kernel/boot_info.h>
#include <kernel/mm.h>
#include <kernel/panic.h>
#include <kernel/spinlock.h>
#include "x86_64.h"

#define SIZE_2M (1ull << 21)
#define SIZE_1G (1ull << 30)
#define SIZE_512G (1ull << 39)
#define PTE_ADDR 0x000ffffffffff000ull
#define VA_LIMIT (1ull << 47) /* the lower half of a 4-level address space */

#define STACK_REGION_SIZE (1ull << 40)
#define ARCH_REGION_BASE (STACK_REGION_BASE + STACK_REGION_SIZE)
#define ARCH_SLOT_SIZE (128ull * 1024) /* one CPU's arch stacks */
#define UPPER_SLOTS ((STACK_REGION_SIZE + SIZE_512G) / SIZE_512G)

_Static_assert((X86_IST_STACK_SIZE + PAGE_SIZE) * X86_ARCH_STACKS <= ARCH_SLOT_SIZE,
	       "a CPU's arch stacks and their guards fit its slot");
_Static_assert(SIZE_512G / ARCH_SLOT_SIZE >= MAX_CPUS, "the arch region is one PML4 slot");

/* More than unmapping this many pages flushes the whole TLB instead. */
#define FLUSH_ALL_PAGES 32

/* Boot tables: a machine with much RAM and no 1 GiB pages needs one per
 * GiB. */
#define BOOT_POOL_TABLES 128

static uint64_t boot_pool[BOOT_POOL_TABLES][512] __attribute__((aligned(4096)));
static unsigned int boot_pool_used;
static bool final_tables; /* table_alloc takes pages from mm_pages_alloc */
static uint64_t *pml4;
static uint64_t pte_nx; /* PTE_NX when the CPU has NX, else 0 (the bit is reserved) */
static bool pages_1g;
static paddr_t trampoline_text; /* x86_mmu_map_text_page */
static spinlock_t region_lock, dm_lock;

/* One TLB shootdown request per sending CPU: the CPUs in `pending` have
 * yet to flush [va, va + npages pages), or everything when npages is 0. */
static struct shootdown {
	uint64_t va, npages, pending;
} __attribute__((aligned(64))) shootdowns[MAX_CPUS];

extern const char __executable_start[], __text_start[], __etext[], __data_start[], _end[];

static void page_zero(void *p)
{
	uint64_t n = PAGE_SIZE / 8;

	/* No memset: the fault path must not touch SSE registers. */
	__asm__ __volatile__("rep stosq" : "+D"(p), "+c"(n) : "a"(0ull) : "memory");
}

static void invlpg(uint64_t va)
{
	__asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

/* Without global pages (CR4.PGE is off) a CR3 write flushes everything. */
static void flush_all(void)
{
	x86_write_cr3(x86_read_cr3());
}

static uint64_t *table_at(uint64_t e)
{
	return mm_va(e & PTE_ADDR);
}

/* A zeroed table for the direct map, or NULL. */
static uint64_t *table_alloc(void)
{
	if (final_tables) {
		paddr_t pa = mm_pages_alloc(1);

		if (!pa)
			return NULL;
		page_zero(mm_va(pa));
		return mm_va(pa);
	}
	if (boot_pool_used == BOOT_POOL_TABLES)
		panic("mmu: all %d boot page tables are in use; raise BOOT_POOL_TABLES",
		      BOOT_POOL_TABLES);
	return boot_pool[boot_pool_used++]; /* zeroed: .bss */
}

static bool is_table(uint64_t e)
{
	return (e & PTE_P) && !(e & PTE_PS);
}

/* ---- the direct map ---- */

/*
 * The table below entry *e, whose entries map `child` bytes each: the
 * existing one, a new empty one, or a new one that maps the large page *e
 * mapped with the same attributes. The new table is complete before *e
 * points to it, so a CPU walking the tables meanwhile sees either. Upper
 * levels allow everything; the leaf decides.
 */
static uint64_t *descend(uint64_t *e, uint64_t child)
{
	if (is_table(*e))
		return table_at(*e);

	uint64_t *t = table_alloc();

	if (!t)
		return NULL;
	if (*e & PTE_P) {
		/* In a large-page entry bit 12 is PAT, not address. */
		uint64_t base = *e & PTE_ADDR & ~(child * 512 - 1);
		uint64_t attr = *e & (PTE_P | PTE_W | PTE_PWT | PTE_PCD | PTE_NX);

		for (unsigned int i = 0; i < 512; i++)
			t[i] = (base + i * child) | attr | (child > PAGE_SIZE ? PTE_PS : 0);
	}
	__atomic_store_n(e, mm_pa(t) | PTE_P | PTE_W, __ATOMIC_RELEASE);
	return t;
}

/* Set a leaf; whether it replaced a different present one, which other
 * CPUs' TLBs may still hold. */
static bool set_leaf(uint64_t *e, uint64_t pa, uint64_t attr, bool large)
{
	uint64_t old = *e, new = attr ? pa | attr | (large ? PTE_PS : 0) : 0;

	__atomic_store_n(e, new, __ATOMIC_RELEASE);
	return (old & PTE_P) && old != new;
}

/* Identity-map [base, base + size) with `attr` (PTE_P | ...), or unmap it
 * when attr is 0. Returns 1 when a present mapping changed, else 0, or
 * -ENOMEM when a table was missing (what was done stays). */
static int map_range(uint64_t base, uint64_t size, uint64_t attr)
{
	uint64_t p = ALIGN_DOWN(base, PAGE_SIZE);
	uint64_t end = MIN(ALIGN_UP(base + size, PAGE_SIZE), VA_LIMIT);
	bool changed = false;

	while (p < end) {
		uint64_t *pdpt = descend(&pml4[(p >> 39) & 511], SIZE_1G);
		uint64_t *e;

		if (!pdpt)
			return -ENOMEM;
		e = &pdpt[(p >> 30) & 511];

		if (pages_1g && !(p & (SIZE_1G - 1)) && end - p >= SIZE_1G && !is_table(*e)) {
			changed |= set_leaf(e, p, attr, true);
			p += SIZE_1G;
			continue;
		}
		uint64_t *pd = descend(e, SIZE_2M);

		if (!pd)
			return -ENOMEM;
		e = &pd[(p >> 21) & 511];
		if (!(p & (SIZE_2M - 1)) && end - p >= SIZE_2M && !is_table(*e)) {
			changed |= set_leaf(e, p, attr, true);
			p += SIZE_2M;
			continue;
		}
		uint64_t *pt = descend(e, PAGE_SIZE);

		if (!pt)
			return -ENOMEM;
		changed |= set_leaf(&pt[(p >> 12) & 511], p, attr, false);
		p += PAGE_SIZE;
	}
	return changed;
}

static uint64_t ram_attr(void)
{
	return PTE_P | PTE_W | pte_nx;
}

static uint64_t mmio_attr(void)
{
	return PTE_P | PTE_W | PTE_PCD | PTE_PWT | pte_nx;
}

/* ACPI tables normally sit in firmware-reserved RAM, which is mapped
 * already; map them explicitly for firmware that puts them elsewhere. */
/* Building the tables at boot, where running out of memory is fatal. */
static uint64_t *boot_table(void)
{
	uint64_t *t = table_alloc();

	if (!t)
		panic("mmu: out of memory for the page tables");
	return t;
}

static void boot_map(uint64_t base, uint64_t size, uint64_t attr)
{
	if (map_range(base, size, attr) < 0)
		panic("mmu: out of memory for the page tables");
}

static void map_acpi(void)
{
	if (!acpi.root)
		return;
	boot_map(acpi.rsdp, 36, ram_attr());
	boot_map((uintptr_t)acpi.root, acpi.root->length, ram_attr());
	for (unsigned int i = 0; i < acpi.count; i++)
		boot_map((uintptr_t)acpi.table[i], acpi.table[i]->length, ram_attr());
}

static void map_devices(void)
{
	const struct acpi_header *h;
	struct acpi_madt_info mi;
	struct acpi_ecam ecam;

	if (lapic_mmio_base())
		boot_map(lapic_mmio_base(), PAGE_SIZE, mmio_attr());
	if ((h = acpi_find(&acpi, "APIC", 0)) && acpi_madt_info(h, &mi) == 0) {
		boot_map(mi.lapic_base, PAGE_SIZE, mmio_attr());
		for (unsigned int i = 0; i < mi.nioapic; i++)
			boot_map(mi.ioapic[i].base, PAGE_SIZE, mmio_attr());
	}
	if ((h = acpi_find(&acpi, "MCFG", 0)))
		for (unsigned int n = 0; acpi_mcfg_ecam(h, n, &ecam) == 0; n++)
			if (ecam.bus_end >= ecam.bus_start)
				boot_map(ecam.base,
					 (uint64_t)(ecam.bus_end - ecam.bus_start + 1) << 20,
					 mmio_attr());
}

static void map_image(void)
{
	uintptr_t start = (uintptr_t)__executable_start, text = (uintptr_t)__text_start;
	uintptr_t etext = ALIGN_UP((uintptr_t)__etext, PAGE_SIZE), data = (uintptr_t)__data_start;

	boot_map(start, text - start, PTE_P | pte_nx); /* PE headers */
	boot_map(text, etext - text, PTE_P);
	boot_map(etext, data - etext, PTE_P | pte_nx); /* .ksyms, rodata, .reloc */
	boot_map(data, (uintptr_t)_end - data, PTE_P | PTE_W | pte_nx);
}

/* The whole map into a new PML4 (pml4). The image comes after RAM, so
 * that its permissions win over the RAM it sits in. */
static void build_tables(const struct boot_info *bi)
{
	pml4 = boot_table();
	for (unsigned int i = 0; i < bi->nmem; i++)
		boot_map(bi->mem[i].base, bi->mem[i].size, ram_attr());
	for (unsigned int i = 0; i < bi->nreserved; i++)
		boot_map(bi->reserved[i].base, bi->reserved[i].size, ram_attr());
	map_acpi();
	map_devices();
	map_image();
	if (trampoline_text)
		boot_map(trampoline_text, PAGE_SIZE, PTE_P);
	boot_map(0, PAGE_SIZE, 0);
}

void x86_mmu_init(const struct boot_info *bi)
{
	uint32_t r[4];

	if (x86_read_cr4() & CR4_LA57)
		panic("mmu: the firmware left 5-level paging on; Weft builds 4-level tables");
	if (x86_cpuid_max(0x80000000) >= 0x80000001) {
		x86_cpuid(0x80000001, 0, r);
		pte_nx = r[3] & (1u << 20) ? PTE_NX : 0;
		pages_1g = r[3] & (1u << 26);
	}
	build_tables(bi);

	if (pte_nx)
		x86_wrmsr(MSR_IA32_EFER, x86_rdmsr(MSR_IA32_EFER) | EFER_NXE);
	/* Supervisor writes honour read-only pages only with CR0.WP. Turning
	 * CR4.PGE off flushes the firmware's global TLB entries too (§4.10.4.1);
	 * Weft sets no global pages, so a CR3 write flushes everything. */
	x86_write_cr0(x86_read_cr0() | CR0_WP);
	x86_write_cr4(x86_read_cr4() & ~(1ul << 7));
	x86_write_cr3(mm_pa(pml4));
}

void arch_mmu_init(const struct boot_info *bi)
{
	final_tables = true;
	build_tables(bi);
	/* The upper half's PDPTs, for good: the PML4 never changes again,
	 * so that the trampoline's copy of it (smp.c) stays right. */
	for (unsigned int i = 0; i < UPPER_SLOTS; i++)
		pml4[((STACK_REGION_BASE >> 39) & 511) + i] = mm_pa(boot_table()) | PTE_P | PTE_W;
	x86_write_cr3(mm_pa(pml4));
	if (x86_arch_stacks_alloc(0) < 0)
		panic("mmu: out of memory for the boot CPU's exception stacks");
}

void x86_mmu_map_text_page(paddr_t pa)
{
	unsigned long flags = spin_lock_irqsave(&dm_lock);

	trampoline_text = pa;
	boot_map(pa, PAGE_SIZE, PTE_P);
	spin_unlock_irqrestore(&dm_lock, flags);
	/* Only this CPU runs yet (smp.c calls this at boot). */
	invlpg(pa);
}

int arch_mmu_map_device(paddr_t pa, size_t size)
{
	unsigned long flags;
	int err;

	if (!size || pa + size < pa || pa + size > VA_LIMIT)
		return -EINVAL;
	/* Whether every page is mapped uncached already (the local APIC, ECAM),
	 * without taking the lock. */
	for (paddr_t p = ALIGN_DOWN(pa, PAGE_SIZE);; p += PAGE_SIZE) {
		uint64_t sz, e = x86_mmu_lookup(p, &sz);

		if ((e & mmio_attr()) != mmio_attr())
			break;
		if (p + PAGE_SIZE >= pa + size)
			return 0;
	}
	/* Table pages come from mm_pages_alloc under dm_lock: the fault path
	 * never takes dm_lock, so a fault in there cannot deadlock. */
	flags = spin_lock_irqsave(&dm_lock);
	err = map_range(pa, size, mmio_attr());
	spin_unlock_irqrestore(&dm_lock, flags);
	/* New entries need no flush (a TLB holds no not-present entries,
	 * §4.10.2.3); changed ones (RAM or a large page that covered the
	 * range) do, on every CPU, also when a table ran out half-way. */
	if (err)
		x86_tlb_shootdown(0, 0);
	return err < 0 ? err : 0;
}

/* ---- the upper half: the stack region and the arch's stacks ---- */

void arch_mmu_stack_region(vaddr_t *base, size_t *size)
{
	*base = STACK_REGION_BASE;
	*size = STACK_REGION_SIZE;
}

static bool in_upper(uint64_t va)
{
	return va >= STACK_REGION_BASE && va - STACK_REGION_BASE < UPPER_SLOTS * SIZE_512G;
}

/*
 * Touch the stack this CPU is on, from the current frame down to `depth`
 * bytes below it. On a task stack that maps whatever is missing now,
 * outside the locks, since a fault under region_lock would need it itself.
 * Reads below rsp are harmless: traps never use the interrupted stack.
 */
#define STACK_PROBE_DEPTH 1024
static inline __attribute__((always_inline)) void stack_probe(void)
{
	uint64_t tmp;

	__asm__ __volatile__("movq (%%rsp), %0\n\t"
			     "movq -%c1(%%rsp), %0"
			     : "=&r"(tmp)
			     : "i"(STACK_PROBE_DEPTH)
			     : "memory");
}

/* Fill this CPU's spare table pages, which the locked map consumes, so
 * that no allocation happens under region_lock. Interrupts off. */
static void spares_fill(struct x86_percpu *pc, bool atomic)
{
	while (pc->nspare < ARRAY_SIZE(pc->spare)) {
		paddr_t pa = atomic ? mm_page_alloc_atomic() : mm_pages_alloc(1);

		if (!pa)
			return;
		/* A non-atomic allocation may have faulted (the task's stack
		 * grew), and the fault filled the spares meanwhile. */
		if (pc->nspare == ARRAY_SIZE(pc->spare)) {
			mm_pages_free(pa, 1);
			return;
		}
		page_zero(mm_va(pa));
		pc->spare[pc->nspare++] = pa;
	}
}

/* The table below upper-level entry *e, made from a spare if missing. */
static uint64_t *region_descend(uint64_t *e, struct x86_percpu *pc)
{
	if (!(*e & PTE_P))
		__atomic_store_n(e, pc->spare[--pc->nspare] | PTE_P | PTE_W, __ATOMIC_RELEASE);
	return table_at(*e);
}

/* Map one page in the upper half, or change nothing; region_lock held. */
static int region_map_locked(uint64_t va, paddr_t pa, struct x86_percpu *pc)
{
	uint64_t *e3 = &table_at(pml4[(va >> 39) & 511])[(va >> 30) & 511];
	unsigned int need = !(*e3 & PTE_P) ? 2 : !(table_at(*e3)[(va >> 21) & 511] & PTE_P);
	uint64_t *pt, *e;

	if (pc->nspare < need)
		return -ENOMEM;
	pt = region_descend(&region_descend(e3, pc)[(va >> 21) & 511], pc);
	e = &pt[(va >> 12) & 511];
	if (*e & PTE_P)
		return -EEXIST;
	__atomic_store_n(e, pa | PTE_P | PTE_W | pte_nx, __ATOMIC_RELEASE);
	return 0;
}

static int region_map(uint64_t va, paddr_t pa, bool atomic)
{
	struct x86_percpu *pc;
	unsigned long flags;
	int err;

	if (!in_upper(va) || !PAGE_ALIGNED(va) || !PAGE_ALIGNED(pa))
		panic("mmu: cannot map 0x%llx at 0x%llx: not a page of the stack region",
		      (unsigned long long)pa, (unsigned long long)va);
	stack_probe();
	flags = arch_irq_save();
	pc = x86_this_percpu();
	spares_fill(pc, atomic);
	spin_acquire(&region_lock);
	err = region_map_locked(va, pa, pc);
	spin_release(&region_lock);
	arch_irq_restore(flags);
	return err;
}

int arch_mmu_map(vaddr_t va, paddr_t pa, bool atomic)
{
	return region_map(va, pa, atomic);
}

/* Unmapped pages fault here: nothing to prepare. */
void arch_mmu_reserve(vaddr_t va, size_t size)
{
	(void)va;
	(void)size;
}

static bool table_empty(const uint64_t *t)
{
	for (unsigned int i = 0; i < 512; i++)
		if (t[i])
			return false;
	return true;
}

/*
 * A table that no longer maps anything, unhooked from its parent: it goes
 * on `freed`, linked through its first word, and is given back after the
 * shootdown, because other CPUs' paging-structure caches may still point
 * to it. A page address has bit 0 (P) clear, so a walk that reads the link
 * sees a not-present entry.
 */
static void table_unhook(uint64_t *parent, uint64_t **freed)
{
	uint64_t *t = table_at(*parent);

	__atomic_store_n(parent, 0, __ATOMIC_RELEASE);
	t[0] = mm_pa(*freed);
	*freed = t;
}

/* Clear the entries of [va, va + npages pages); region_lock held. Returns
 * whether anything was mapped. */
static bool region_unmap_locked(uint64_t va, size_t npages, paddr_t *pa, uint64_t **freed)
{
	uint64_t *pdpt = table_at(pml4[(va >> 39) & 511]);
	bool any = false;
	size_t i = 0;

	while (i < npages) {
		uint64_t v = va + i * PAGE_SIZE;
		uint64_t *e3 = &pdpt[(v >> 30) & 511], *e2;
		size_t n;

		/* A missing table: nothing mapped up to its end. */
		if (!(*e3 & PTE_P)) {
			n = MIN(npages - i, (ALIGN_UP(v + 1, SIZE_1G) - v) / PAGE_SIZE);
			goto none;
		}
		e2 = &table_at(*e3)[(v >> 21) & 511];
		if (!(*e2 & PTE_P)) {
			n = MIN(npages - i, (ALIGN_UP(v + 1, SIZE_2M) - v) / PAGE_SIZE);
			goto none;
		}
		uint64_t *pt = table_at(*e2);

		for (unsigned int j = (v >> 12) & 511; j < 512 && i < npages; j++, i++) {
			uint64_t e = pt[j];

			pa[i] = e & PTE_P ? (e & PTE_ADDR) : 0;
			any |= e & PTE_P;
			pt[j] = 0;
		}
		if (table_empty(pt)) {
			table_unhook(e2, freed);
			if (table_empty(table_at(*e3)))
				table_unhook(e3, freed);
		}
		continue;
none:
		for (size_t k = 0; k < n; k++)
			pa[i + k] = 0;
		i += n;
	}
	return any;
}

/*
 * What arch_mmu_unmap_nosync leaves owed. It is shared by all CPUs, not
 * kept per CPU, because a task may move to another CPU between its nosync
 * and its sync, and several CPUs may be freeing at once.
 *
 * Every nosync that cleared something takes the next number of owed_gen
 * and puts the tables it emptied on owed_tables. A sync takes the current
 * number and the whole list in one locked step (so every table it took
 * was unhooked by a nosync up to that number), and it waits until
 * flushed_gen reaches that number: until one shootdown of everything,
 * begun after every nosync up to flushed_gen, has completed. Tables are freed by whichever sync took
 * them, once flushed_gen covers them, never before.
 *
 * Only one such shootdown runs at a time, on the CPU that holds `flusher`.
 * The other syncs halt meanwhile (sync_waiters), like an idle CPU, so that
 * the flusher neither interrupts nor waits for them (they flush when they
 * wake up), and when its shootdown began too early for them, one of them
 * runs the next, for all of them. Under emulation a shootdown waits for
 * the other CPUs' host threads to be scheduled, often for milliseconds:
 * fewer shootdowns, and fewer CPUs to wait for, are what save the time.
 */
static uint64_t owed_gen; /* written under region_lock */
static uint64_t *owed_tables; /* region_lock; linked as in table_unhook */
static uint64_t flushed_gen;
static int flusher;
static uint64_t sync_waiters; /* a bit per CPU halted in sync_wait */

static void check_unmap_range(uint64_t va, size_t npages)
{
	if (!in_upper(va) || !PAGE_ALIGNED(va) || !in_upper(va + npages * PAGE_SIZE - 1))
		panic("mmu: cannot unmap %zu pages at 0x%llx: not in the stack region", npages,
		      (unsigned long long)va);
}

static void tables_free(uint64_t *t)
{
	while (t) {
		uint64_t next = t[0];

		mm_pages_free(mm_pa(t), 1);
		t = next ? mm_va(next) : NULL;
	}
}

void arch_mmu_unmap(vaddr_t va, size_t npages, paddr_t *pa)
{
	uint64_t *freed = NULL;
	unsigned long flags;
	bool any;

	if (!npages)
		return;
	check_unmap_range(va, npages);
	stack_probe();
	flags = arch_irq_save();
	spin_acquire(&region_lock);
	any = region_unmap_locked(va, npages, pa, &freed);
	spin_release(&region_lock);
	arch_irq_restore(flags);
	/* One range: invlpg it rather than flush everything, and keep the
	 * tables it emptied to itself, apart from what nosyncs owe. */
	if (any || freed)
		x86_tlb_shootdown(va, npages);
	tables_free(freed);
}

void arch_mmu_unmap_nosync(vaddr_t va, size_t npages, paddr_t *pa)
{
	unsigned long flags;
	uint64_t *before;

	if (!npages)
		return;
	check_unmap_range(va, npages);
	stack_probe();
	flags = arch_irq_save();
	spin_acquire(&region_lock);
	before = owed_tables;
	/* Release: a flusher that reads the new number sees the cleared
	 * entries (it reads it without the lock). */
	if (region_unmap_locked(va, npages, pa, &owed_tables) || owed_tables != before)
		__atomic_store_n(&owed_gen, owed_gen + 1, __ATOMIC_RELEASE);
	spin_release(&region_lock);
	arch_irq_restore(flags);
}

/*
 * Halt until the flusher is done, the way arch_cpu_wait_irq does: halted,
 * this CPU takes shootdowns when it wakes up, not by an IPI that the sender
 * must wait for. Whichever of this CPU and the flusher comes second sees
 * the other (sync_waiters, `flusher`: full barriers in between), so either
 * this CPU does not halt or the flusher wakes it. Interrupts and
 * preemption off.
 */
static void sync_wait(uint64_t gen)
{
	struct x86_percpu *pc = x86_this_percpu();
	uint64_t bit = 1ull << (pc - x86_percpus);

	__atomic_store_n(&pc->tlb_state, X86_TLB_IDLE, __ATOMIC_RELEASE);
	__atomic_fetch_or(&sync_waiters, bit, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&flusher, __ATOMIC_SEQ_CST) &&
	    __atomic_load_n(&flushed_gen, __ATOMIC_ACQUIRE) < gen)
		__asm__ __volatile__("sti; hlt; cli" ::: "memory");
	__atomic_fetch_and(&sync_waiters, ~bit, __ATOMIC_RELAXED);
	x86_tlb_wakeup(pc);
}

/* One shootdown of everything owed so far; `flusher` held. Interrupts
 * off. */
static void sync_flush(void)
{
	/* Acquire: the entries that the nosyncs up to `upto` cleared. */
	uint64_t upto = __atomic_load_n(&owed_gen, __ATOMIC_ACQUIRE), waiters;

	x86_tlb_shootdown(0, 0);
	__atomic_store_n(&flushed_gen, upto, __ATOMIC_RELEASE);
	__atomic_store_n(&flusher, 0, __ATOMIC_SEQ_CST);
	waiters = __atomic_load_n(&sync_waiters, __ATOMIC_SEQ_CST);
	/* Any interrupt wakes them; the shootdown vector has the least to
	 * do when nothing is asked. */
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		if (waiters & (1ull << i))
			lapic_send_ipi(x86_percpus[i].apic_id, X86_VEC_SHOOTDOWN);
}

void arch_mmu_unmap_sync(void)
{
	uint64_t gen, *tables;
	unsigned long flags;

	stack_probe();
	/* sync_wait must wake on the CPU that it halted. */
	preempt_disable();
	flags = arch_irq_save();
	spin_acquire(&region_lock);
	gen = owed_gen;
	tables = owed_tables;
	owed_tables = NULL;
	spin_release(&region_lock);

	/* Acquire: the shootdown that set flushed_gen is complete here too. */
	while (__atomic_load_n(&flushed_gen, __ATOMIC_ACQUIRE) < gen) {
		int idle = 0;

		if (!__atomic_load_n(&flusher, __ATOMIC_RELAXED) &&
		    __atomic_compare_exchange_n(&flusher, &idle, 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			sync_flush();
		else
			sync_wait(gen);
	}
	arch_irq_restore(flags);
	preempt_enable();
	tables_free(tables);
}

/*
 * CPU `idx`'s arch stacks (#DF, NMI, #MC and the exception stack), each
 * X86_IST_STACK_SIZE bytes above an unmapped guard page, in its slot of the
 * arch region: their tops go to pc->ist_top, for gdt_load (cpu.c) or, for
 * a running CPU, straight into its TSS.
 */
int x86_arch_stacks_alloc(unsigned int idx)
{
	struct x86_percpu *pc = &x86_percpus[idx];
	uint64_t slot = ARCH_REGION_BASE + idx * ARCH_SLOT_SIZE;

	for (unsigned int s = 0; s < X86_ARCH_STACKS; s++) {
		uint64_t lo = slot + s * (X86_IST_STACK_SIZE + PAGE_SIZE) + PAGE_SIZE;

		for (uint64_t va = lo; va < lo + X86_IST_STACK_SIZE; va += PAGE_SIZE) {
			uint64_t size;
			paddr_t pa;

			if (x86_mmu_lookup(va, &size))
				continue; /* from an earlier call that ran out of memory */
			pa = mm_pages_alloc(1);

			if (!pa || region_map(va, pa, false) < 0) {
				if (pa)
					mm_pages_free(pa, 1);
				return -ENOMEM; /* what it got stays, for a retry */
			}
		}
		pc->ist_top[s] = lo + X86_IST_STACK_SIZE;
		if (s + 1 == X86_IST_EXC) {
			pc->exc_lo = lo;
			pc->exc_hi = lo + X86_IST_STACK_SIZE;
		}
	}
	for (unsigned int s = 0; s < X86_ARCH_STACKS; s++)
		pc->tss.ist[s] = pc->ist_top[s];
	return 0;
}

/* ---- TLB shootdown ---- */

static void flush_range(uint64_t va, uint64_t npages)
{
	if (!npages || npages > FLUSH_ALL_PAGES) {
		flush_all();
		return;
	}
	/* INVLPG also empties the paging-structure caches whole (SDM vol. 3
	 * §4.10.4.1), which covers the tables unmap unhooked. */
	for (uint64_t i = 0; i < npages; i++)
		invlpg(va + i * PAGE_SIZE);
}

/*
 * A halted CPU (arch_cpu_wait_irq) uses no translation until it wakes up,
 * so instead of an IPI, which under emulation wakes a whole host thread,
 * it is told to flush everything when it does. The sender's compare-and-
 * swap and the waking CPU's exchange (x86_tlb_wakeup) decide which of the
 * two comes first: either the CPU sees the request, or the sender sees it
 * running and interrupts it.
 */
static bool flush_at_wakeup(struct x86_percpu *pc)
{
	uint32_t s = __atomic_load_n(&pc->tlb_state, __ATOMIC_ACQUIRE);

	while (s != X86_TLB_RUNNING)
		if (s == X86_TLB_IDLE_FLUSH ||
		    __atomic_compare_exchange_n(&pc->tlb_state, &s, X86_TLB_IDLE_FLUSH, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

void x86_tlb_wakeup(struct x86_percpu *pc)
{
	if (__atomic_exchange_n(&pc->tlb_state, X86_TLB_RUNNING, __ATOMIC_ACQ_REL) ==
	    X86_TLB_IDLE_FLUSH)
		flush_all();
}

/* Carry out every request addressed to this CPU. Interrupts off. */
void x86_tlb_shootdown_serve(void)
{
	struct x86_percpu *pc = x86_this_percpu();
	uint64_t bit = 1ull << (pc - x86_percpus);

	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		struct shootdown *sd = &shootdowns[i];

		if (!(__atomic_load_n(&sd->pending, __ATOMIC_ACQUIRE) & bit))
			continue;
		flush_range(sd->va, sd->npages);
		__atomic_fetch_and(&sd->pending, ~bit, __ATOMIC_RELEASE);
	}
}

/*
 * Flush [va, va + npages pages) (everything when npages is 0) from every
 * online CPU's TLB, and wait until all have. The request is this CPU's
 * slot; the others are sent X86_VEC_SHOOTDOWN. While waiting it serves
 * their requests to it, so two CPUs shooting down at once both finish.
 * A CPU that spins with interrupts off waiting for something this one
 * holds would never answer: callers hold no lock.
 */
void x86_tlb_shootdown(uint64_t va, uint64_t npages)
{
	unsigned long flags = arch_irq_save();
	struct x86_percpu *pc = x86_this_percpu();
	unsigned int self = (unsigned int)(pc - x86_percpus);
	struct shootdown *sd = &shootdowns[self];
	uint64_t targets = 0;

	for (unsigned int i = 0; i < MAX_CPUS; i++)
		if (i != self && __atomic_load_n(&x86_percpus[i].online, __ATOMIC_ACQUIRE) &&
		    !flush_at_wakeup(&x86_percpus[i]))
			targets |= 1ull << i;
	sd->va = va;
	sd->npages = npages;
	__atomic_store_n(&sd->pending, targets, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		if (targets & (1ull << i))
			lapic_send_ipi(x86_percpus[i].apic_id, X86_VEC_SHOOTDOWN);
	flush_range(va, npages);
	while (__atomic_load_n(&sd->pending, __ATOMIC_ACQUIRE)) {
		x86_tlb_shootdown_serve();
		arch_cpu_relax();
	}
	arch_irq_restore(flags);
}

/* ---- looking up ---- */

uint64_t x86_mmu_lookup(uintptr_t va, uint64_t *size)
{
	static const unsigned int shift[] = { 39, 30, 21, 12 };
	const uint64_t *t = pml4;

	for (unsigned int level = 0; t && level < 4; level++) {
		uint64_t e = __atomic_load_n(&t[(va >> shift[level]) & 511], __ATOMIC_RELAXED);

		if (!(e & PTE_P))
			break;
		if (level == 3 || (level > 0 && (e & PTE_PS))) {
			*size = 1ull << shift[level];
			return e;
		}
		t = table_at(e);
	}
	*size = 0;
	return 0;
}

unsigned int x86_mmu_region_tables(uintptr_t va)
{
	uint64_t e3, e2;

	if (!in_upper(va))
		return 0;
	e3 = __atomic_load_n(&table_at(pml4[(va >> 39) & 511])[(va >> 30) & 511], __ATOMIC_RELAXED);
	if (!(e3 & PTE_P))
		return 0;
	e2 = __atomic_load_n(&table_at(e3)[(va >> 21) & 511], __ATOMIC_RELAXED);
	return e2 & PTE_P ? 2 : 1;
}
