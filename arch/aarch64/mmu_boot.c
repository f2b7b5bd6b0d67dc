// SPDX-License-Identifier: MIT
/*
 * aarch64: the boot identity map, turned on before any other C code runs,
 * and used until arch_mmu_init (mmu.c) switches to the kernel's own tables.
 *
 * With the MMU off every data access is to Device memory, where unaligned
 * accesses fault and exclusives (our spinlocks) need not work (Arm ARM,
 * "The effects of disabling a stage of address translation"). So entry.S
 * calls mmu_boot_init() first, and this file is built with -mstrict-align
 * and calls nothing but its own helpers and mmu_cpu_enable (entry.S), with
 * which every CPU turns its MMU on. Secondaries start later, and load the
 * final tables that mmu.c leaves in mmu_regs.
 *
 * The map (4 KiB granule, 39-bit addresses, 1 GiB and 2 MiB blocks, VA = PA):
 *   - RAM from the DTB /memory nodes, and the image itself: Normal
 *     write-back cacheable, inner shareable;
 *   - everything else below 4 GiB, where SoCs put their devices:
 *     Device-nGnRE, never executable;
 *   - the first 2 MiB: unmapped, so that NULL dereferences fault.
 * Everything here is executable at EL1 (W+X), which is why it lives only
 * until the page allocator can give mmu.c pages for the real tables.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <arch/aarch64.h>
#include <arch/sysreg.h>
#include <drivers/fdt.h>
#include "asm_offsets.h"
#include "pte.h"

#define VA_BITS 39 /* translation starts at level 1 */
#define DEVICE_LIMIT (4ull << 30)
#define NULL_GUARD BLOCK_2M

/* No EL0 ever runs, so nothing is EL0-executable (UXN). RAM stays executable at EL1 until
 * arch_mmu_init maps the image's sections with their own permissions. */
#define BLOCK_NORMAL (PTE_VALID | PTE_ATTRINDX(ATTR_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_UXN)
#define BLOCK_DEVICE (PTE_VALID | PTE_ATTRINDX(ATTR_DEVICE) | PTE_AF | PTE_PXN | PTE_UXN)

/* 39-bit addresses: translation starts at level 1. */
#define TCR_VALUE (TCR_T0SZ(VA_BITS) | TCR_COMMON)

/* Level 2 tables for the GiBs that mix RAM, devices and holes. QEMU virt needs two (the
 * NULL guard and the partly used first GiB of RAM). */
#define L2_TABLES 16

static uint64_t l1_table[PTRS_PER_TABLE] __attribute__((aligned(GRANULE)));
static uint64_t l2_tables[L2_TABLES][PTRS_PER_TABLE] __attribute__((aligned(GRANULE)));
static unsigned int l2_used;

extern char __executable_start[], _end[];

/* The level 2 table for the GiB at `idx`, made from its 1 GiB block if it has none yet; NULL
 * when the pool is used up. */
static uint64_t *l2_for(unsigned int idx)
{
	uint64_t e = l1_table[idx], *t;

	if ((e & (PTE_VALID | PTE_TABLE)) == (PTE_VALID | PTE_TABLE))
		return (uint64_t *)(uintptr_t)(e & PTE_ADDR_MASK);
	if (l2_used == L2_TABLES)
		return NULL;
	t = l2_tables[l2_used++];
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++)
		t[i] = e & PTE_VALID ? e + ((uint64_t)i << L2_SHIFT) : 0;
	l1_table[idx] = (uint64_t)(uintptr_t)t | PTE_VALID | PTE_TABLE;
	return t;
}

/* Map [base, end) rounded out to 2 MiB with block attributes `attrs` (0: unmap), in 1 GiB
 * blocks where a whole GiB is covered and has no table yet. */
static void map_range(uint64_t base, uint64_t end, uint64_t attrs)
{
	base &= ~(BLOCK_2M - 1);
	end = (end + BLOCK_2M - 1) & ~(BLOCK_2M - 1);
	if (end > 1ull << VA_BITS)
		end = 1ull << VA_BITS; /* out of reach of this map */
	while (base < end) {
		unsigned int idx = (unsigned int)(base >> L1_SHIFT);
		bool is_table =
			(l1_table[idx] & (PTE_VALID | PTE_TABLE)) == (PTE_VALID | PTE_TABLE);
		uint64_t *l2;

		if (!(base & (BLOCK_1G - 1)) && end - base >= BLOCK_1G && !is_table) {
			l1_table[idx] = attrs ? base | attrs : 0;
			base += BLOCK_1G;
			continue;
		}
		l2 = l2_for(idx);
		if (!l2) {
			/* Out of tables: the whole GiB takes these attributes. */
			l1_table[idx] = attrs ? (base & ~(BLOCK_1G - 1)) | attrs : 0;
			base = (base | (BLOCK_1G - 1)) + 1;
			continue;
		}
		l2[(base >> L2_SHIFT) % PTRS_PER_TABLE] = attrs ? base | attrs : 0;
		base += BLOCK_2M;
	}
}

/* ---- a minimal walk of the DTB for /memory, safe with the MMU off ---- */

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* Map the "reg" ranges of a /memory node as Normal memory. */
static void map_memory_reg(const uint8_t *reg, uint32_t len, uint32_t ac, uint32_t sc)
{
	uint32_t entry = 4 * (ac + sc);

	if (!entry || ac > 2 || sc > 2)
		return;
	for (uint32_t off = 0; off + entry <= len; off += entry) {
		uint64_t base = fdt_cells_ld(reg + off, (int)ac);
		uint64_t size = fdt_cells_ld(reg + off + 4 * ac, (int)sc);

		if (size)
			map_range(base, base + size, BLOCK_NORMAL);
	}
}

/*
 * Map the RAM the DTB describes: the "reg" of every node directly under the
 * root whose device_type is "memory" (Devicetree Specification v0.4, 3.4),
 * in the root's #address-cells / #size-cells. Everything is bounds-checked
 * against the header; a malformed DTB just maps less.
 */
static void map_dtb_memory(const uint8_t *fdt)
{
	if (!fdt || ((uintptr_t)fdt & 3) || fdt32_ld(fdt) != FDT_MAGIC)
		return;
	uint32_t total = fdt32_ld(fdt + 4), off_struct = fdt32_ld(fdt + 8);
	uint32_t off_strings = fdt32_ld(fdt + 12), size_struct = fdt32_ld(fdt + 36);
	uint32_t size_strings = fdt32_ld(fdt + 32);

	if (off_struct > total || size_struct > total - off_struct || off_strings > total ||
	    size_strings > total - off_strings)
		return;
	const uint8_t *p = fdt + off_struct, *end = p + size_struct;
	const char *strings = (const char *)fdt + off_strings;
	uint32_t ac = 2, sc = 1; /* the defaults of the specification, 2.3.5 */
	int depth = 0;
	bool memory = false;
	const uint8_t *reg = NULL;
	uint32_t reg_len = 0;

	while (p + 4 <= end) {
		uint32_t tag = fdt32_ld(p);

		p += 4;
		if (tag == FDT_BEGIN_NODE) {
			while (p < end && *p)
				p++;
			p = fdt + (((uintptr_t)(p + 1 - fdt) + 3) & ~(uintptr_t)3);
			if (++depth == 2) {
				memory = false;
				reg = NULL;
			}
		} else if (tag == FDT_END_NODE) {
			if (depth == 2 && memory && reg)
				map_memory_reg(reg, reg_len, ac, sc);
			if (--depth <= 0)
				return;
		} else if (tag == FDT_PROP) {
			if (p + 8 > end)
				return;
			uint32_t len = fdt32_ld(p), nameoff = fdt32_ld(p + 4);
			const uint8_t *val = p + 8;

			if (len > (uint32_t)(end - val) || nameoff >= size_strings)
				return;
			const char *name = strings + nameoff;

			if (depth == 1 && len == 4 && str_eq(name, "#address-cells"))
				ac = fdt32_ld(val);
			else if (depth == 1 && len == 4 && str_eq(name, "#size-cells"))
				sc = fdt32_ld(val);
			else if (depth == 2 && str_eq(name, "device_type"))
				memory = len == 7 && str_eq((const char *)val, "memory");
			else if (depth == 2 && str_eq(name, "reg")) {
				reg = val;
				reg_len = len;
			}
			p = val + ((len + 3) & ~3u);
		} else if (tag != FDT_NOP) {
			return;
		}
	}
}

/* ---- turning it on ---- */

/* Discard cache lines of [start, end) so that reads after the caches come on
 * see what was written to memory with them off (booting.rst: the loader
 * cleaned the image, so there is nothing newer in the caches to lose). */
static void dcache_inval_range(uintptr_t start, uintptr_t end)
{
	uint64_t line = 4ull << ((read_sysreg(ctr_el0) >> 16) & 0xf);

	for (uintptr_t a = start & ~(line - 1); a < end; a += line)
		__asm__ __volatile__("dc ivac, %0" ::"r"(a) : "memory");
	dsb(sy);
}

struct mmu_regs mmu_regs;

_Static_assert(offsetof(struct mmu_regs, mair) == MMU_REGS_MAIR, "MMU_REGS_MAIR");
_Static_assert(offsetof(struct mmu_regs, tcr) == MMU_REGS_TCR, "MMU_REGS_TCR");
_Static_assert(offsetof(struct mmu_regs, ttbr0) == MMU_REGS_TTBR0, "MMU_REGS_TTBR0");
_Static_assert(offsetof(struct mmu_regs, sctlr) == MMU_REGS_SCTLR, "MMU_REGS_SCTLR");

/* Record the register values in mmu_regs and turn the MMU on. With the MMU
 * off these stores go straight to memory; arch_mmu_init rewrites TCR and
 * TTBR0 there for the secondaries (entry.S secondary_entry). */
static void mmu_enable(void)
{
	uint64_t ips = read_sysreg(id_aa64mmfr0_el1) & 0xf;

	if (ips > PARANGE_48_BITS)
		ips = PARANGE_48_BITS;
	mmu_regs.mair = MAIR_VALUE;
	mmu_regs.tcr = TCR_VALUE | ips << TCR_IPS_SHIFT;
	mmu_regs.ttbr0 = (uintptr_t)l1_table;
	mmu_regs.sctlr = SCTLR_EL1_RES1 | SCTLR_EL1_M | SCTLR_EL1_C | SCTLR_EL1_SA | SCTLR_EL1_I;
	dsb(sy);
	mmu_cpu_enable(&mmu_regs);
}

void mmu_boot_init(const void *dtb)
{
	map_range(0, DEVICE_LIMIT, BLOCK_DEVICE);
	map_range(0, NULL_GUARD, 0);
	map_dtb_memory(dtb);
	/* The image, in case the DTB is missing or wrong: we run there. */
	map_range((uintptr_t)__executable_start, (uintptr_t)_end, BLOCK_NORMAL);

	dsb(sy); /* the tables are in memory before the walker looks */
	dcache_inval_range((uintptr_t)__executable_start, (uintptr_t)_end);
	mmu_enable();
}
