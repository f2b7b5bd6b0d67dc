// SPDX-License-Identifier: MIT
/* ACPI MADT: the CPUs' APIC ids, the local APIC address and the I/O APICs (ACPI 6.5 §5.2.12). */
#include <errno.h>

#include <drivers/acpi.h>
#include <kernel/printk.h>

#include "acpi_priv.h"

/* Interrupt controller structure types (Table 5.21). */
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_LAPIC_OVERRIDE 5
#define MADT_X2APIC 9

#define MADT_ENTRIES 44 /* header, local APIC address, flags */
#define MADT_ENABLED 1u /* Local (x2)APIC flags bit 0 (Table 5.23) */

/* Call fn for each entry of `madt`, checking that each lies inside the
 * table. Returns 0, or -EINVAL (printed) at the first malformed entry. */
static int madt_walk(const struct acpi_header *madt,
		     void (*fn)(const uint8_t *e, unsigned int len, void *arg), void *arg)
{
	if (!madt || madt->length < MADT_ENTRIES) {
		printk("acpi: the MADT is missing or too short\n");
		return -EINVAL;
	}

	const uint8_t *base = (const uint8_t *)madt;

	for (uint32_t off = MADT_ENTRIES; off < madt->length;) {
		unsigned int len = off + 2 <= madt->length ? base[off + 1] : 0;

		if (len < 2 || len > madt->length - off) {
			printk("acpi: MADT entry at offset %u is malformed (length %u)\n", off,
			       len);
			return -EINVAL;
		}
		fn(base + off, len, arg);
		off += len;
	}
	return 0;
}

struct cpu_list {
	uint64_t *ids;
	unsigned int max, n;
};

static void add_cpu(const uint8_t *e, unsigned int len, void *arg)
{
	struct cpu_list *l = arg;
	uint64_t id;

	if (e[0] == MADT_LAPIC && len >= 8 && (acpi_get32(e + 4) & MADT_ENABLED))
		id = e[3];
	else if (e[0] == MADT_X2APIC && len >= 16 && (acpi_get32(e + 8) & MADT_ENABLED))
		id = acpi_get32(e + 4);
	else
		return;
	/* A CPU may be listed both ways; ids[0], the boot CPU, is already in. */
	for (unsigned int i = 0; i < l->n; i++)
		if (l->ids[i] == id)
			return;
	if (l->n < l->max)
		l->ids[l->n++] = id;
}

int acpi_madt_cpus(const struct acpi_header *madt, uint64_t boot_id, uint64_t *ids,
		   unsigned int max)
{
	struct cpu_list l = { ids, max, 0 };

	if (max)
		ids[l.n++] = boot_id;
	if (madt_walk(madt, add_cpu, &l) < 0)
		return -EINVAL;
	return (int)l.n;
}

static void add_info(const uint8_t *e, unsigned int len, void *arg)
{
	struct acpi_madt_info *mi = arg;

	if (e[0] == MADT_LAPIC_OVERRIDE && len >= 12) {
		mi->lapic_base = acpi_get64(e + 4);
	} else if (e[0] == MADT_IOAPIC && len >= 12 && mi->nioapic < ACPI_MAX_IOAPICS) {
		mi->ioapic[mi->nioapic].id = e[2];
		mi->ioapic[mi->nioapic].base = acpi_get32(e + 4);
		mi->ioapic[mi->nioapic].gsi_base = acpi_get32(e + 8);
		mi->nioapic++;
	}
}

int acpi_madt_info(const struct acpi_header *madt, struct acpi_madt_info *mi)
{
	*mi = (struct acpi_madt_info){ 0 };
	if (madt && madt->length >= MADT_ENTRIES) {
		mi->lapic_base = acpi_get32((const uint8_t *)madt + 36);
		mi->pcat_compat = acpi_get32((const uint8_t *)madt + 40) & 1;
	}
	return madt_walk(madt, add_info, mi);
}
