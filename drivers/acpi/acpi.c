// SPDX-License-Identifier: MIT
/* ACPI tables: the RSDP, the root table, checks, lookup by signature, and MCFG. */
#include <errno.h>
#include <string.h>

#include <drivers/acpi.h>
#include <kernel/printk.h>

#include "acpi_priv.h"

/* Longer than any real table (large DSDTs are a few hundred KiB): a longer
 * length field means the pointer or the header is garbage. */
#define ACPI_MAX_TABLE_LEN (16u << 20)

struct acpi_tables acpi;

static uint8_t checksum(const uint8_t *p, uint64_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum;
}

void acpi_sig_str(const void *sig, char out[5])
{
	const char *s = sig;

	for (int i = 0; i < 4; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[4] = '\0';
}

bool acpi_table_valid(const void *p, uint64_t len, const char *sig, bool quiet)
{
	const struct acpi_header *h = p;
	const char *why = NULL;
	char name[5];

	if (!p)
		return false;
	acpi_sig_str(h->signature, name);
	if (sig && memcmp(h->signature, sig, 4) != 0)
		why = "unexpected signature";
	else if (h->length < sizeof(*h) || h->length > ACPI_MAX_TABLE_LEN || h->length > len)
		why = "bad length";
	else if (checksum(p, h->length) != 0)
		why = "bad checksum";
	if (why && !quiet)
		printk("acpi: %s table at %p: %s; ignoring it\n", name, p, why);
	return !why;
}

static void add_table(struct acpi_tables *t, const struct acpi_header *h)
{
	char name[5];

	for (unsigned int i = 0; i < t->count; i++)
		if (t->table[i] == h)
			return;
	if (t->count < ACPI_MAX_TABLES) {
		t->table[t->count++] = h;
		return;
	}
	acpi_sig_str(h->signature, name);
	printk("acpi: more than %d tables; ignoring %s\n", ACPI_MAX_TABLES, name);
}

/* The DSDT is not listed in the root table: the FADT names it. */
static void add_dsdt(struct acpi_tables *t, const struct acpi_header *fadt)
{
	struct acpi_fadt_info fi;

	if (acpi_fadt_info(fadt, &fi) == 0 && fi.dsdt &&
	    acpi_table_valid((const void *)(uintptr_t)fi.dsdt, UINT64_MAX, "DSDT", false))
		add_table(t, (const void *)(uintptr_t)fi.dsdt);
}

int acpi_scan(struct acpi_tables *t, paddr_t rsdp)
{
	const uint8_t *r = (const uint8_t *)(uintptr_t)rsdp;
	const char *sig = "RSDT";
	uint64_t root;
	unsigned int entry = 4;

	memset(t, 0, sizeof(*t));
	if (!rsdp)
		return -ENOENT;
	/* RSDP (ACPI 6.5 §5.2.5.3): the first 20 bytes sum to 0; revision 2
	 * adds a length, an XSDT address and an extended checksum. */
	if (memcmp(r, "RSD PTR ", 8) != 0 || checksum(r, 20) != 0) {
		printk("acpi: the RSDP at %p is malformed; ACPI is unavailable\n", (void *)r);
		return -EINVAL;
	}
	root = acpi_get32(r + 16);
	if (r[15] >= 2) {
		uint32_t len = acpi_get32(r + 20);

		if (len < 36 || len > 4096 || checksum(r, len) != 0) {
			printk("acpi: the RSDP at %p has a bad extended checksum; ACPI is unavailable\n",
			       (void *)r);
			return -EINVAL;
		}
		if (acpi_get64(r + 24)) {
			root = acpi_get64(r + 24);
			sig = "XSDT";
			entry = 8;
		}
	}

	const struct acpi_header *h = (const void *)(uintptr_t)root;

	if (!root || !acpi_table_valid(h, UINT64_MAX, sig, false)) {
		printk("acpi: no valid %s; ACPI is unavailable\n", sig);
		return -EINVAL;
	}
	for (uint32_t off = sizeof(*h); off + entry <= h->length; off += entry) {
		const uint8_t *e = (const uint8_t *)h + off;
		uint64_t addr = entry == 8 ? acpi_get64(e) : acpi_get32(e);
		const struct acpi_header *tab = (const void *)(uintptr_t)addr;

		if (!addr || !acpi_table_valid(tab, UINT64_MAX, NULL, false))
			continue;
		add_table(t, tab);
		if (memcmp(tab->signature, "FACP", 4) == 0)
			add_dsdt(t, tab);
	}
	t->rsdp = rsdp;
	t->root = h;
	return 0;
}

int acpi_init(paddr_t rsdp)
{
	if (rsdp && acpi.root && acpi.rsdp == rsdp)
		return 0;
	return acpi_scan(&acpi, rsdp);
}

const struct acpi_header *acpi_find(const struct acpi_tables *t, const char *sig, unsigned int n)
{
	for (unsigned int i = 0; i < t->count; i++)
		if (memcmp(t->table[i]->signature, sig, 4) == 0 && n-- == 0)
			return t->table[i];
	return NULL;
}

int acpi_mcfg_ecam(const struct acpi_header *mcfg, unsigned int n, struct acpi_ecam *ecam)
{
	/* 8 reserved bytes after the header, then 16-byte allocations. */
	uint64_t off = sizeof(*mcfg) + 8 + (uint64_t)n * 16;

	if (!mcfg || off + 16 > mcfg->length)
		return -ENOENT;

	const uint8_t *e = (const uint8_t *)mcfg + off;

	ecam->segment = acpi_get16(e + 8);
	ecam->bus_start = e[10];
	ecam->bus_end = e[11];
	/* The base address is that of bus 0 even when bus_start is not 0. */
	ecam->base = acpi_get64(e) + ((paddr_t)ecam->bus_start << 20);
	return 0;
}
