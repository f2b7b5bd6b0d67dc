// SPDX-License-Identifier: MIT
/*
 * x86_64: the kernel's page tables (4-level paging, SDM vol. 3 §4.5).
 *
 * One address space, identity-mapped (virtual = physical), replacing the
 * firmware's tables, which live in boot-services memory that is free RAM
 * after ExitBootServices:
 *  - all RAM of the boot memory map, usable and firmware-reserved (ACPI
 *    tables, runtime services), read/write and non-executable;
 *  - the image with per-section permissions: text read-only and executable,
 *    .ksyms and rodata read-only, everything from the init arrays on
 *    read/write, both non-executable;
 *  - the MMIO of the local APIC, the I/O APICs and PCIe ECAM, uncached;
 *  - the start-up trampoline of the other CPUs (smp.c), read-only and
 *    executable once it is written;
 *  - nothing at page 0, so that a NULL dereference faults.
 * Each range uses the largest pages (1 GiB, 2 MiB, 4 KiB) its alignment
 * allows; mapping a range over a large page splits it. The memory issue
 * grows this into arch_mmu_map/unmap/protect.
 */
#include <arch.h>
#include <arch/x86.h>
#include <drivers/acpi.h>
#include <drivers/lapic.h>
#include <kernel/boot_info.h>
#include <kernel/panic.h>
#include "x86_64.h"

#define PAGE_SIZE 4096ull
#define SIZE_2M (1ull << 21)
#define SIZE_1G (1ull << 30)
#define PTE_ADDR 0x000ffffffffff000ull
#define VA_LIMIT (1ull << 47) /* the lower half of a 4-level address space */

/* Tables for the whole map; a machine with much RAM and no 1 GiB pages
 * needs one per GiB. */
#define MMU_POOL_TABLES 128

static uint64_t pool[MMU_POOL_TABLES][512] __attribute__((aligned(4096)));
static unsigned int pool_used;
static uint64_t *pml4;
static uint64_t pte_nx; /* PTE_NX when the CPU has NX, else 0 (the bit is reserved) */
static bool pages_1g;

extern const char __executable_start[], __text_start[], __etext[], __data_start[], _end[];

static uint64_t *table_alloc(void)
{
	if (pool_used == MMU_POOL_TABLES)
		panic("mmu: all %d page tables are in use; raise MMU_POOL_TABLES", MMU_POOL_TABLES);
	return pool[pool_used++]; /* zeroed: .bss */
}

static bool is_table(uint64_t e)
{
	return (e & PTE_P) && !(e & PTE_PS);
}

/*
 * The table below entry *e, whose entries map `child` bytes each: the
 * existing one, a new empty one, or a new one that maps the large page *e
 * mapped with the same attributes. Upper-level entries allow everything;
 * the leaf decides.
 */
static uint64_t *descend(uint64_t *e, uint64_t child)
{
	if (is_table(*e))
		return (uint64_t *)(uintptr_t)(*e & PTE_ADDR);

	uint64_t *t = table_alloc();

	if (*e & PTE_P) {
		/* In a large-page entry bit 12 is PAT, not address. */
		uint64_t base = *e & PTE_ADDR & ~(child * 512 - 1);
		uint64_t attr = *e & (PTE_P | PTE_W | PTE_PWT | PTE_PCD | PTE_NX);

		for (unsigned int i = 0; i < 512; i++)
			t[i] = (base + i * child) | attr | (child > PAGE_SIZE ? PTE_PS : 0);
	}
	*e = (uintptr_t)t | PTE_P | PTE_W;
	return t;
}

static void set_leaf(uint64_t *e, uint64_t pa, uint64_t attr, bool large)
{
	*e = attr ? pa | attr | (large ? PTE_PS : 0) : 0;
}

/* Identity-map [base, base + size) with `attr` (PTE_P | ...), or unmap it
 * when attr is 0. */
static void map_range(uint64_t base, uint64_t size, uint64_t attr)
{
	uint64_t p = ALIGN_DOWN(base, PAGE_SIZE);
	uint64_t end = MIN(ALIGN_UP(base + size, PAGE_SIZE), VA_LIMIT);

	while (p < end) {
		uint64_t *pdpt = descend(&pml4[(p >> 39) & 511], SIZE_1G);
		uint64_t *e = &pdpt[(p >> 30) & 511];

		if (pages_1g && !(p & (SIZE_1G - 1)) && end - p >= SIZE_1G && !is_table(*e)) {
			set_leaf(e, p, attr, true);
			p += SIZE_1G;
			continue;
		}
		uint64_t *pd = descend(e, SIZE_2M);

		e = &pd[(p >> 21) & 511];
		if (!(p & (SIZE_2M - 1)) && end - p >= SIZE_2M && !is_table(*e)) {
			set_leaf(e, p, attr, true);
			p += SIZE_2M;
			continue;
		}
		uint64_t *pt = descend(e, PAGE_SIZE);

		set_leaf(&pt[(p >> 12) & 511], p, attr, false);
		p += PAGE_SIZE;
	}
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
static void map_acpi(void)
{
	if (!acpi.root)
		return;
	map_range(acpi.rsdp, 36, ram_attr());
	map_range((uintptr_t)acpi.root, acpi.root->length, ram_attr());
	for (unsigned int i = 0; i < acpi.count; i++)
		map_range((uintptr_t)acpi.table[i], acpi.table[i]->length, ram_attr());
}

static void map_devices(void)
{
	const struct acpi_header *h;
	struct acpi_madt_info mi;
	struct acpi_ecam ecam;

	if (lapic_mmio_base())
		map_range(lapic_mmio_base(), PAGE_SIZE, mmio_attr());
	if ((h = acpi_find(&acpi, "APIC", 0)) && acpi_madt_info(h, &mi) == 0) {
		map_range(mi.lapic_base, PAGE_SIZE, mmio_attr());
		for (unsigned int i = 0; i < mi.nioapic; i++)
			map_range(mi.ioapic[i].base, PAGE_SIZE, mmio_attr());
	}
	if ((h = acpi_find(&acpi, "MCFG", 0)))
		for (unsigned int n = 0; acpi_mcfg_ecam(h, n, &ecam) == 0; n++)
			if (ecam.bus_end >= ecam.bus_start)
				map_range(ecam.base,
					  (uint64_t)(ecam.bus_end - ecam.bus_start + 1) << 20,
					  mmio_attr());
}

static void map_image(void)
{
	uintptr_t start = (uintptr_t)__executable_start, text = (uintptr_t)__text_start;
	uintptr_t etext = ALIGN_UP((uintptr_t)__etext, PAGE_SIZE), data = (uintptr_t)__data_start;

	map_range(start, text - start, PTE_P | pte_nx); /* PE headers */
	map_range(text, etext - text, PTE_P);
	map_range(etext, data - etext, PTE_P | pte_nx);
	map_range(data, (uintptr_t)_end - data, PTE_P | PTE_W | pte_nx);
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

	pml4 = table_alloc();
	for (unsigned int i = 0; i < bi->nmem; i++)
		map_range(bi->mem[i].base, bi->mem[i].size, ram_attr());
	for (unsigned int i = 0; i < bi->nreserved; i++)
		map_range(bi->reserved[i].base, bi->reserved[i].size, ram_attr());
	map_acpi();
	map_devices();
	map_image();
	map_range(0, PAGE_SIZE, 0);

	if (pte_nx)
		x86_wrmsr(MSR_IA32_EFER, x86_rdmsr(MSR_IA32_EFER) | EFER_NXE);
	/* Supervisor writes honour read-only pages only with CR0.WP. Turning
	 * CR4.PGE off flushes the firmware's global TLB entries too (§4.10.4.1);
	 * Weft sets no global pages. */
	x86_write_cr0(x86_read_cr0() | CR0_WP);
	x86_write_cr4(x86_read_cr4() & ~(1ul << 7));
	x86_write_cr3((uintptr_t)pml4);
}

void x86_mmu_map_text_page(paddr_t pa)
{
	map_range(pa, PAGE_SIZE, PTE_P);
	__asm__ __volatile__("invlpg (%0)" : : "r"((uintptr_t)pa) : "memory");
}

uint64_t x86_mmu_lookup(uintptr_t va, uint64_t *size)
{
	static const unsigned int shift[] = { 39, 30, 21, 12 };
	const uint64_t *t = pml4;

	for (unsigned int level = 0; t && level < 4; level++) {
		uint64_t e = t[(va >> shift[level]) & 511];

		if (!(e & PTE_P))
			break;
		if (level == 3 || (level > 0 && (e & PTE_PS))) {
			*size = 1ull << shift[level];
			return e;
		}
		t = (const uint64_t *)(uintptr_t)(e & PTE_ADDR);
	}
	*size = 0;
	return 0;
}
