/* SPDX-License-Identifier: MIT */
/*
 * aarch64: translation table descriptors and the translation registers'
 * fields that the boot map (mmu_boot.c) and the kernel's tables (mmu.c)
 * share. 4 KiB granule. Arm ARM, "VMSAv8-64 translation table format
 * descriptors", and the register descriptions of MAIR_EL1 and TCR_EL1.
 */
#ifndef WEFT_ARCH_AARCH64_PTE_H
#define WEFT_ARCH_AARCH64_PTE_H

#define GRANULE 4096
#define PTRS_PER_TABLE 512
#define L1_SHIFT 30 /* a level 1 entry maps 1 GiB */
#define L2_SHIFT 21 /* a level 2 entry maps 2 MiB */
#define L3_SHIFT 12 /* a level 3 entry maps 4 KiB */
#define BLOCK_1G (1ull << L1_SHIFT)
#define BLOCK_2M (1ull << L2_SHIFT)

#define PTE_VALID (1ull << 0)
/* At levels 0-2 a next-level table (a block has this bit clear); at level 3 it
 * must be set for a valid page. */
#define PTE_TABLE (1ull << 1)
#define PTE_PAGE (1ull << 1)
#define PTE_ATTRINDX(i) ((uint64_t)(i) << 2) /* MAIR_EL1 attribute index */
#define PTE_ATTRINDX_MASK (7ull << 2)
#define PTE_AP_RO (1ull << 7) /* AP[2]: read-only; AP[1] = 0: no EL0 access */
#define PTE_SH_INNER (3ull << 8)
#define PTE_AF (1ull << 10) /* access flag: set, or the first access faults */
#define PTE_PXN (1ull << 53) /* not executable at EL1 */
#define PTE_UXN (1ull << 54) /* not executable at EL0 (nothing runs there) */
#define PTE_ADDR_MASK 0x0000fffffffff000ull

/* MAIR_EL1 attributes: index 0 Normal inner/outer write-back read/write-allocate, index 1
 * Device-nGnRE. */
#define ATTR_NORMAL 0
#define ATTR_DEVICE 1
#define MAIR_NORMAL_WB 0xffull
#define MAIR_DEVICE_NGNRE 0x04ull
#define MAIR_VALUE (MAIR_NORMAL_WB << (8 * ATTR_NORMAL) | MAIR_DEVICE_NGNRE << (8 * ATTR_DEVICE))

/* TCR_EL1 fields: TTBR0 walks cacheable and inner shareable like the tables, 4 KiB granule;
 * no TTBR1 walks (EPD1). T0SZ and IPS are set by each user. */
#define TCR_T0SZ(va_bits) (64 - (va_bits))
#define TCR_IRGN0_WBWA (1ull << 8)
#define TCR_ORGN0_WBWA (1ull << 10)
#define TCR_SH0_INNER (3ull << 12)
#define TCR_TG0_4K (0ull << 14)
#define TCR_EPD1 (1ull << 23)
#define TCR_TG1_4K (2ull << 30)
#define TCR_IPS_SHIFT 32
#define TCR_COMMON \
	(TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | TCR_TG0_4K | TCR_EPD1 | TCR_TG1_4K)
#define PARANGE_48_BITS 5 /* ID_AA64MMFR0_EL1.PARange for 48 bits; 52 needs more setup */

#endif
