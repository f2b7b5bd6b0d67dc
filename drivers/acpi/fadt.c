// SPDX-License-Identifier: MIT
/* ACPI FADT (PM timer, PM1 control, DSDT; ACPI 6.5 §5.2.9) and the \_S5 sleep type from the AML. */
#include <errno.h>

#include <drivers/acpi.h>
#include <kernel/printk.h>

#include "acpi_priv.h"

/* Field offsets (Table 5.9). */
#define FADT_DSDT 40
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1B_CNT_BLK 68
#define FADT_PM_TMR_BLK 76
#define FADT_FLAGS 112
#define FADT_X_DSDT 140
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_X_PM1B_CNT_BLK 184
#define FADT_X_PM_TMR_BLK 208

#define FADT_TMR_VAL_EXT (1u << 8)
#define FADT_HW_REDUCED_ACPI (1u << 20)

#define GAS_SYSTEM_IO 1 /* Generic Address Structure space id (Table 5.1) */

/* A 32-bit field, or 0 when the table is too short to hold it. */
static uint32_t field32(const struct acpi_header *f, uint32_t off)
{
	return off + 4 <= f->length ? acpi_get32((const uint8_t *)f + off) : 0;
}

/*
 * An I/O port from the X_ Generic Address Structure at `xoff` if the table
 * has it and it is set (it then takes precedence, §5.2.9), else from the
 * legacy 32-bit field at `off`. 0 when absent or not in system I/O space.
 */
static uint16_t port(const struct acpi_header *f, uint32_t xoff, uint32_t off)
{
	if (xoff + 12 <= f->length) {
		const uint8_t *gas = (const uint8_t *)f + xoff;
		uint64_t addr = acpi_get64(gas + 4);

		if (addr)
			return gas[0] == GAS_SYSTEM_IO && addr <= 0xffff ? (uint16_t)addr : 0;
	}
	uint32_t legacy = field32(f, off);

	return legacy <= 0xffff ? (uint16_t)legacy : 0;
}

int acpi_fadt_info(const struct acpi_header *fadt, struct acpi_fadt_info *fi)
{
	*fi = (struct acpi_fadt_info){ 0 };
	if (!fadt || fadt->length < FADT_PM_TMR_BLK + 4) {
		printk("acpi: the FADT is missing or too short\n");
		return -EINVAL;
	}
	uint32_t flags = field32(fadt, FADT_FLAGS);

	fi->hw_reduced = flags & FADT_HW_REDUCED_ACPI;
	if (!fi->hw_reduced) {
		fi->pm_tmr_port = port(fadt, FADT_X_PM_TMR_BLK, FADT_PM_TMR_BLK);
		fi->pm_tmr_32bit = flags & FADT_TMR_VAL_EXT;
		fi->pm1a_cnt_port = port(fadt, FADT_X_PM1A_CNT_BLK, FADT_PM1A_CNT_BLK);
		fi->pm1b_cnt_port = port(fadt, FADT_X_PM1B_CNT_BLK, FADT_PM1B_CNT_BLK);
	}
	fi->dsdt = FADT_X_DSDT + 8 <= fadt->length ?
			   acpi_get64((const uint8_t *)fadt + FADT_X_DSDT) :
			   0;
	if (!fi->dsdt)
		fi->dsdt = field32(fadt, FADT_DSDT);
	return 0;
}

/* An AML integer constant at b[*i] (ZeroOp, OneOp, OnesOp or a Byte/Word/
 * DWord prefix, ACPI 6.5 §20.2.3); false if it is something else or runs
 * past `len`. */
static bool aml_integer(const uint8_t *b, uint32_t len, uint32_t *i, uint32_t *v)
{
	static const uint8_t size[] = { [0x0a] = 1, [0x0b] = 2, [0x0c] = 4 };
	uint8_t op;

	if (*i >= len)
		return false;
	op = b[(*i)++];
	if (op == 0x00 || op == 0x01 || op == 0xff) {
		*v = op;
		return true;
	}
	if (op < 0x0a || op > 0x0c || *i + size[op] > len)
		return false;
	*v = 0;
	for (unsigned int k = 0; k < size[op]; k++)
		*v |= (uint32_t)b[*i + k] << (8 * k);
	*i += size[op];
	return true;
}

/* Look for Name(_S5_, Package(n) {a, b, ...}) in one table's AML. */
static int s5_in(const struct acpi_header *h, uint8_t *a, uint8_t *b)
{
	const uint8_t *aml = (const uint8_t *)h;
	uint32_t len = h->length;

	for (uint32_t i = sizeof(*h) + 1; i + 4 < len; i++) {
		if (memcmp(aml + i, "_S5_", 4) != 0)
			continue;
		/* NameOp, optionally followed by the root prefix '\'. */
		if (aml[i - 1] != 0x08 && !(aml[i - 1] == '\\' && aml[i - 2] == 0x08))
			continue;

		uint32_t j = i + 4, ta, tb;

		if (j + 3 > len || aml[j++] != 0x12) /* PackageOp */
			continue;
		j += 1 + (aml[j] >> 6); /* PkgLength: lead byte + 0..3 more */
		if (j >= len)
			continue;
		unsigned int n = aml[j++]; /* NumElements */

		if (n < 1 || !aml_integer(aml, len, &j, &ta))
			continue;
		tb = ta;
		if (n >= 2 && !aml_integer(aml, len, &j, &tb))
			continue;
		*a = ta & 7;
		*b = tb & 7;
		return 0;
	}
	return -ENOENT;
}

int acpi_s5_sleep_type(const struct acpi_tables *t, uint8_t *slp_typa, uint8_t *slp_typb)
{
	const struct acpi_header *h;

	if ((h = acpi_find(t, "DSDT", 0)) && s5_in(h, slp_typa, slp_typb) == 0)
		return 0;
	for (unsigned int n = 0; (h = acpi_find(t, "SSDT", n)); n++)
		if (s5_in(h, slp_typa, slp_typb) == 0)
			return 0;
	return -ENOENT;
}
