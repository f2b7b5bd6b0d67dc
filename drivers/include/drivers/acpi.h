/* SPDX-License-Identifier: MIT */
/*
 * ACPI discovery (ACPI 6.5 ch. 5): the RSDP, the XSDT (or the RSDT of ACPI
 * 1.0) and the tables Weft reads from it: MADT (CPUs, local APIC, I/O
 * APICs), FADT (PM timer, PM1 control, the DSDT) with the \_S5 sleep type
 * from the DSDT or an SSDT, and MCFG (PCIe ECAM).
 *
 * Tables are read in place: firmware keeps them in memory the kernel never
 * hands out, identity-mapped. Every table is checked (signature, length,
 * checksum) once, when it is found; a malformed one is skipped with a
 * message naming it, and a malformed RSDP or root table makes the whole of
 * ACPI unavailable, so that callers fall back rather than crash.
 */
#ifndef WEFT_DRIVERS_ACPI_H
#define WEFT_DRIVERS_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include <kernel/types.h>

#define ACPI_MAX_TABLES 64

/* The common header of every system description table (§5.2.6). */
struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));

/* The tables found from one RSDP. */
struct acpi_tables {
	paddr_t rsdp;
	const struct acpi_header *root; /* XSDT, or RSDT */
	unsigned int count;
	const struct acpi_header *table[ACPI_MAX_TABLES]; /* each valid, DSDT included */
};

/*
 * Check the RSDP at `rsdp`, the root table it names and every table the
 * root lists (plus the DSDT that the FADT names), and fill `t` with the
 * valid ones. Returns 0, -ENOENT if rsdp is 0, or -EINVAL if the RSDP or
 * the root table is malformed (printed; `t` is then empty).
 */
int acpi_scan(struct acpi_tables *t, paddr_t rsdp);

/* acpi_scan() into the kernel's own table set, which the functions below
 * read. Calling it again with the same RSDP does nothing. */
int acpi_init(paddr_t rsdp);

/* The kernel's table set; empty before acpi_init or when it failed. */
extern struct acpi_tables acpi;

/* The `n`th table (from 0) whose signature is `sig` ("APIC", "FACP",
 * "DSDT", ...), or NULL. */
const struct acpi_header *acpi_find(const struct acpi_tables *t, const char *sig, unsigned int n);

/* Whether `len` bytes at `p` hold a table with signature `sig` (NULL: any),
 * a sane length and a zero checksum. Prints why not, unless quiet. */
bool acpi_table_valid(const void *p, uint64_t len, const char *sig, bool quiet);

/* ---- MADT: CPUs and interrupt controllers (§5.2.12) ---- */

#define ACPI_MAX_IOAPICS 8

struct acpi_madt_info {
	paddr_t lapic_base; /* local APIC MMIO, after any address override */
	bool pcat_compat; /* the machine also has dual 8259 PICs */
	unsigned int nioapic;
	struct {
		uint8_t id;
		paddr_t base;
		uint32_t gsi_base;
	} ioapic[ACPI_MAX_IOAPICS];
};

/*
 * APIC ids of the enabled CPUs in `madt` (Local APIC and Local x2APIC
 * entries), `boot_id` first even if the table lists it elsewhere. Returns
 * how many were stored in ids[0..max), or -EINVAL for a malformed table.
 */
int acpi_madt_cpus(const struct acpi_header *madt, uint64_t boot_id, uint64_t *ids,
		   unsigned int max);

/* Local APIC address, PIC presence and I/O APICs; 0 or -EINVAL. */
int acpi_madt_info(const struct acpi_header *madt, struct acpi_madt_info *mi);

/* ---- FADT: power management registers (§5.2.9) ---- */

struct acpi_fadt_info {
	uint16_t pm_tmr_port; /* ACPI PM timer, 3.579545 MHz (§4.8.3.3); 0 if none */
	bool pm_tmr_32bit; /* 32-bit counter; else 24-bit */
	uint16_t pm1a_cnt_port, pm1b_cnt_port; /* PM1 control (§4.8.3.2); 0 if none */
	paddr_t dsdt;
	bool hw_reduced; /* hardware-reduced ACPI: no fixed PM hardware */
};

#define ACPI_PM_TIMER_HZ 3579545u

/* What Weft needs from `fadt`; 0 or -EINVAL. Only system-I/O registers are
 * reported (a port of 0 means absent or memory-mapped). */
int acpi_fadt_info(const struct acpi_header *fadt, struct acpi_fadt_info *fi);

/*
 * SLP_TYPa and SLP_TYPb of the \_S5 (soft off) object, found by a bounded
 * scan of the AML of the DSDT and SSDTs in `t` for a Name(_S5_, Package)
 * (§7.4.2, §20.2). Returns 0, or -ENOENT.
 */
int acpi_s5_sleep_type(const struct acpi_tables *t, uint8_t *slp_typa, uint8_t *slp_typb);

/* ---- MCFG: PCIe enhanced configuration space (PCI Firmware spec §4.1.2) ---- */

struct acpi_ecam {
	paddr_t base; /* address of bus bus_start */
	uint16_t segment;
	uint8_t bus_start, bus_end;
};

/* The `n`th ECAM range in `mcfg`: 0, or -ENOENT past the last one. */
int acpi_mcfg_ecam(const struct acpi_header *mcfg, unsigned int n, struct acpi_ecam *ecam);

#endif
