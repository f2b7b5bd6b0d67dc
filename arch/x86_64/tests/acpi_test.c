// SPDX-License-Identifier: MIT
/* ACPI discovery (drivers/acpi) on tables built here, and on the firmware's own. */
#include <errno.h>
#include <string.h>

#include <drivers/acpi.h>
#include <kernel/kernel.h>
#include <kernel/test.h>

/* A small set of tables in one buffer: RSDP, XSDT, MADT, FADT, DSDT. */
struct fake_acpi {
	uint8_t rsdp[36];
	uint8_t xsdt[36 + 2 * 8];
	uint8_t madt[44 + 8 + 8 + 8 + 16];
	uint8_t fadt[244];
	uint8_t dsdt[36 + 16];
} __attribute__((aligned(16)));

static struct fake_acpi fake;

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static void header(uint8_t *t, const char *sig, uint32_t len)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = 2; /* revision */
	memcpy(t + 10, "WEFT  ", 6);
}

static void seal(uint8_t *t)
{
	uint32_t len;

	memcpy(&len, t + 4, sizeof(len));
	t[9] = 0;
	t[9] = (uint8_t)-sum(t, len);
}

static paddr_t fake_build(void)
{
	struct fake_acpi *f = &fake;
	uint8_t *e;

	memset(f, 0, sizeof(*f));

	/* MADT: local APIC 0 (enabled), 1 (disabled), 2 (enabled), x2APIC 300. */
	header(f->madt, "APIC", sizeof(f->madt));
	put32(f->madt + 36, 0xfee00000);
	put32(f->madt + 40, 1); /* PCAT_COMPAT */
	e = f->madt + 44;
	for (int id = 0; id < 3; id++, e += 8) {
		e[0] = 0;
		e[1] = 8;
		e[3] = (uint8_t)id;
		put32(e + 4, id == 1 ? 0 : 1);
	}
	e[0] = 9;
	e[1] = 16;
	put32(e + 4, 300);
	put32(e + 8, 1);
	seal(f->madt);

	/* DSDT: Name(\_S5_, Package(4) {BytePrefix 5, OneOp, Zero, Zero}). */
	static const uint8_t aml[] = { 0x08, '\\', '_',	 'S',  '5',  '_',  0x12,
				       0x07, 0x04, 0x0a, 0x05, 0x01, 0x00, 0x00 };

	header(f->dsdt, "DSDT", sizeof(f->dsdt));
	memcpy(f->dsdt + 36, aml, sizeof(aml));
	seal(f->dsdt);

	/* FADT: PM timer at 0x608 (32-bit), PM1a_CNT at 0x604, the DSDT. */
	header(f->fadt, "FACP", sizeof(f->fadt));
	put32(f->fadt + 40, (uint32_t)(uintptr_t)f->dsdt);
	put32(f->fadt + 64, 0x604);
	put32(f->fadt + 76, 0x608);
	put32(f->fadt + 112, 1u << 8);
	put64(f->fadt + 140, (uintptr_t)f->dsdt);
	seal(f->fadt);

	header(f->xsdt, "XSDT", sizeof(f->xsdt));
	put64(f->xsdt + 36, (uintptr_t)f->madt);
	put64(f->xsdt + 44, (uintptr_t)f->fadt);
	seal(f->xsdt);

	memcpy(f->rsdp, "RSD PTR ", 8);
	f->rsdp[15] = 2;
	put32(f->rsdp + 20, sizeof(f->rsdp));
	put64(f->rsdp + 24, (uintptr_t)f->xsdt);
	f->rsdp[8] = (uint8_t)-sum(f->rsdp, 20);
	f->rsdp[32] = (uint8_t)-sum(f->rsdp, 36);
	return (uintptr_t)f->rsdp;
}

TEST(acpi, tables_are_found_and_parsed)
{
	static struct acpi_tables t;
	struct acpi_fadt_info fi;
	struct acpi_madt_info mi;
	uint64_t ids[8];
	uint8_t a = 9, b = 9;

	ASSERT_EQ(acpi_scan(&t, fake_build()), 0);
	EXPECT_EQ(t.count, 3); /* MADT, FADT and the DSDT it names */
	ASSERT_TRUE(acpi_find(&t, "APIC", 0) != NULL);
	EXPECT_TRUE(acpi_find(&t, "DSDT", 0) == (const void *)fake.dsdt);
	EXPECT_TRUE(acpi_find(&t, "APIC", 1) == NULL);

	/* The boot CPU first, the disabled one left out, no duplicates. */
	ASSERT_EQ(acpi_madt_cpus(acpi_find(&t, "APIC", 0), 2, ids, 8), 3);
	EXPECT_UEQ(ids[0], 2);
	EXPECT_UEQ(ids[1], 0);
	EXPECT_UEQ(ids[2], 300);
	EXPECT_EQ(acpi_madt_cpus(acpi_find(&t, "APIC", 0), 2, ids, 2), 2);

	ASSERT_EQ(acpi_madt_info(acpi_find(&t, "APIC", 0), &mi), 0);
	EXPECT_UEQ(mi.lapic_base, 0xfee00000);
	EXPECT_TRUE(mi.pcat_compat);

	ASSERT_EQ(acpi_fadt_info(acpi_find(&t, "FACP", 0), &fi), 0);
	EXPECT_EQ(fi.pm_tmr_port, 0x608);
	EXPECT_TRUE(fi.pm_tmr_32bit);
	EXPECT_EQ(fi.pm1a_cnt_port, 0x604);
	EXPECT_EQ(fi.pm1b_cnt_port, 0);

	ASSERT_EQ(acpi_s5_sleep_type(&t, &a, &b), 0);
	EXPECT_EQ(a, 5);
	EXPECT_EQ(b, 1);
}

TEST(acpi, malformed_is_rejected_not_crashed)
{
	static struct acpi_tables t;
	paddr_t rsdp = fake_build();

	/* A table with a bad checksum is skipped; the others stay. */
	fake.fadt[20] ^= 0xff;
	ASSERT_EQ(acpi_scan(&t, rsdp), 0);
	EXPECT_EQ(t.count, 1);
	EXPECT_TRUE(acpi_find(&t, "FACP", 0) == NULL);

	/* A bad RSDP or root table leaves nothing. */
	rsdp = fake_build();
	fake.rsdp[9] ^= 1;
	EXPECT_EQ(acpi_scan(&t, rsdp), -EINVAL);
	EXPECT_EQ(t.count, 0);
	rsdp = fake_build();
	fake.xsdt[40] ^= 1;
	EXPECT_EQ(acpi_scan(&t, rsdp), -EINVAL);
	EXPECT_EQ(acpi_scan(&t, 0), -ENOENT);

	/* MADT entries with a zero length or one past the end of the table. */
	uint64_t ids[4];

	fake_build();
	fake.madt[44 + 8 + 1] = 0;
	EXPECT_EQ(acpi_madt_cpus((const void *)fake.madt, 0, ids, 4), -EINVAL);
	fake_build();
	fake.madt[44 + 24 + 1] = 40;
	EXPECT_EQ(acpi_madt_cpus((const void *)fake.madt, 0, ids, 4), -EINVAL);

	/* A length field past the buffer. */
	fake_build();
	EXPECT_FALSE(acpi_table_valid(fake.madt, 16, "APIC", true));
	EXPECT_TRUE(acpi_table_valid(fake.madt, sizeof(fake.madt), "APIC", true));
}

/* The firmware's tables, as this boot found them. */
TEST(acpi, firmware_tables_agree_with_boot_info)
{
	const struct acpi_header *madt = acpi_find(&acpi, "APIC", 0);
	struct acpi_fadt_info fi;
	uint64_t ids[BOOT_MAX_CPUS];
	uint8_t a, b;

	ASSERT_TRUE(acpi.root != NULL);
	ASSERT_TRUE(madt != NULL);
	EXPECT_EQ(acpi_madt_cpus(madt, boot.cpu_hwid[0], ids, BOOT_MAX_CPUS), (int)boot.ncpus);
	ASSERT_EQ(acpi_fadt_info(acpi_find(&acpi, "FACP", 0), &fi), 0);
	EXPECT_NE(fi.pm_tmr_port, 0);
	EXPECT_NE(fi.pm1a_cnt_port, 0);
	EXPECT_EQ(acpi_s5_sleep_type(&acpi, &a, &b), 0);
}
