/* SPDX-License-Identifier: MIT */
/*
 * struct boot_info: everything a boot stub learns from the firmware, in one
 * arch-neutral shape. The stub fills it in boot/<arch>/ and passes it to
 * kernel_main(); nothing after that talks to the firmware.
 */
#ifndef WEFT_KERNEL_BOOT_INFO_H
#define WEFT_KERNEL_BOOT_INFO_H

#include <stdint.h>

#include <kernel/types.h>

#define BOOT_MAX_CPUS 64
#define BOOT_MAX_REGIONS 64
#define BOOT_CMDLINE_MAX 1024

struct mem_region {
	paddr_t base;
	uint64_t size;
};

struct boot_info {
	/* Kernel command line: kernel options, then "--" and the app's argv.
	 * Copied here by the stub, so it outlives firmware memory. */
	char cmdline[BOOT_CMDLINE_MAX];

	const void *dtb; /* flattened device tree, or NULL */
	paddr_t acpi_rsdp; /* ACPI RSDP, or 0 */

	/* CPUs by hardware id (hart id, MPIDR affinity, APIC id); index 0 is
	 * the boot CPU. */
	unsigned int ncpus;
	uint64_t cpu_hwid[BOOT_MAX_CPUS];

	/* Usable RAM, and ranges inside it that must never be handed out
	 * (the image, the DTB, firmware). */
	unsigned int nmem;
	struct mem_region mem[BOOT_MAX_REGIONS];
	unsigned int nreserved;
	struct mem_region reserved[BOOT_MAX_REGIONS];
};

/* Add a region, merging nothing; returns -ENOSPC when the table is full. */
int boot_add_mem(struct boot_info *bi, paddr_t base, uint64_t size);
int boot_add_reserved(struct boot_info *bi, paddr_t base, uint64_t size);

/* Total bytes of usable RAM. */
uint64_t boot_mem_total(const struct boot_info *bi);

/* Fill cpus, memory, reserved ranges and the command line from a DTB
 * (riscv64, aarch64). Returns 0, or a negative errno for a DTB that is
 * missing or malformed. */
int boot_info_from_dtb(struct boot_info *bi, const void *dtb);

#endif
