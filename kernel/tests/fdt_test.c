// SPDX-License-Identifier: MIT
/* The device tree parser, on a known tree and on broken copies of it. */
#include <errno.h>
#include <string.h>

#include <drivers/fdt.h>
#include <kernel/boot_info.h>
#include <kernel/kernel.h>
#include <kernel/test.h>

extern const char fdt_test_blob[], fdt_test_blob_end[];

static _Alignas(8) char copy[4096];

static const void *blob(void)
{
	return fdt_test_blob;
}

TEST(fdt, header)
{
	EXPECT_EQ(fdt_check(blob()), 0);
	EXPECT_EQ(fdt_totalsize(blob()), fdt_test_blob_end - fdt_test_blob);
	EXPECT_EQ(fdt_check(NULL), -EINVAL);
	EXPECT_EQ(fdt_check(fdt_test_blob + 4), -EINVAL);
}

TEST(fdt, paths_and_props)
{
	const void *f = blob();
	int len;

	EXPECT_EQ(fdt_path_offset(f, "/"), 0);
	int uart = fdt_path_offset(f, "/soc/uart@10000000");

	ASSERT_GE(uart, 0);
	EXPECT_STREQ(fdt_name(f, uart), "uart@10000000");
	EXPECT_EQ(fdt_path_offset(f, "/soc/uart"), fdt_path_offset(f, "/soc/uart@10000000"));
	EXPECT_EQ(fdt_path_offset(f, "/soc/nothing"), -ENOENT);
	EXPECT_EQ(fdt_path_offset(f, "soc"), -EINVAL);
	EXPECT_STREQ(fdt_getprop(f, 0, "model", &len), "weft-test");
	EXPECT_EQ(len, 10);
	EXPECT_TRUE(fdt_getprop(f, 0, "nonexistent", NULL) == NULL);
	EXPECT_EQ(fdt_getprop_u32(f, uart, "interrupts", 0), 10);
	EXPECT_EQ(fdt_parent(f, uart), fdt_path_offset(f, "/soc"));
	EXPECT_EQ(fdt_parent(f, 0), -ENOENT);
}

TEST(fdt, compatible_phandle_status)
{
	const void *f = blob();
	int plic = fdt_find_compatible(f, -1, "riscv,plic0");

	ASSERT_GE(plic, 0);
	EXPECT_TRUE(fdt_is_compatible(f, plic, "sifive,plic-1.0.0"));
	EXPECT_FALSE(fdt_is_compatible(f, plic, "riscv,plic"));
	EXPECT_EQ(fdt_find_phandle(f, 7), plic);
	EXPECT_EQ(fdt_find_phandle(f, 99), -ENOENT);

	int u0 = fdt_find_compatible(f, -1, "ns16550a");
	int u1 = fdt_find_compatible(f, u0, "ns16550a");

	ASSERT_GE(u1, 0);
	EXPECT_TRUE(fdt_is_enabled(f, u0));
	EXPECT_FALSE(fdt_is_enabled(f, u1));
	EXPECT_EQ(fdt_find_compatible(f, u1, "ns16550a"), -ENOENT);
}

TEST(fdt, reg_uses_parent_cells)
{
	const void *f = blob();
	uint64_t base, size;
	int mem = fdt_path_offset(f, "/memory@80000000");

	ASSERT_EQ(fdt_reg(f, mem, 1, &base, &size), 0);
	EXPECT_UEQ(base, 0x100000000ull);
	EXPECT_UEQ(size, 0x4000000ull);
	EXPECT_EQ(fdt_reg(f, mem, 2, &base, &size), -ENOENT);

	/* /cpus has #address-cells = 1, #size-cells = 0. */
	ASSERT_EQ(fdt_reg(f, fdt_path_offset(f, "/cpus/cpu@3"), 0, &base, &size), 0);
	EXPECT_UEQ(base, 3);
	EXPECT_UEQ(size, 0);
}

TEST(fdt, boot_info)
{
	static struct boot_info bi;

	memset(&bi, 0, sizeof(bi));
	bi.ncpus = 1;
	bi.cpu_hwid[0] = 1; /* booted on the second CPU */
	ASSERT_EQ(boot_info_from_dtb(&bi, blob()), 0);
	EXPECT_EQ(bi.ncpus, 3); /* cpu@2 is disabled */
	EXPECT_UEQ(bi.cpu_hwid[0], 1);
	EXPECT_UEQ(bi.cpu_hwid[1], 0);
	EXPECT_UEQ(bi.cpu_hwid[2], 3);
	EXPECT_EQ(bi.nmem, 2);
	EXPECT_UEQ(boot_mem_total(&bi), 0xc000000ull);
	/* /memreserve/, /reserved-memory/fw, and the DTB itself. */
	ASSERT_EQ(bi.nreserved, 3);
	EXPECT_UEQ(bi.reserved[1].size, 0x40000);
	EXPECT_STREQ(bi.cmdline, "procs=2 -- a \"b c\"");
}

TEST(fdt, malformed_is_rejected_not_crashed)
{
	const size_t n = (size_t)(fdt_test_blob_end - fdt_test_blob);
	int len;

	ASSERT_LE(n, sizeof(copy));

	/* A struct block offset past the end. */
	memcpy(copy, fdt_test_blob, n);
	copy[8] = 0x7f;
	EXPECT_EQ(fdt_check(copy), -EINVAL);

	/* Truncated: totalsize smaller than the blocks it announces. */
	memcpy(copy, fdt_test_blob, n);
	copy[4] = copy[5] = copy[6] = 0;
	copy[7] = 64;
	EXPECT_EQ(fdt_check(copy), -EINVAL);

	/* A garbage token in the middle of the structure block: lookups past
	 * it fail cleanly. */
	memcpy(copy, fdt_test_blob, n);
	int soc = fdt_path_offset(copy, "/soc");

	ASSERT_GE(soc, 0);
	uint32_t so = fdt32_ld(copy + 8);

	copy[so + (uint32_t)soc + 3] = 0x55;
	EXPECT_EQ(fdt_path_offset(copy, "/soc/uart@10000000"), -ENOENT);
	EXPECT_EQ(fdt_find_compatible(copy, -1, "ns16550a"), -ENOENT);

	/* A property length running past the block. */
	memcpy(copy, fdt_test_blob, n);
	int chosen = fdt_path_offset(copy, "/chosen");
	const char *args = fdt_getprop(copy, chosen, "bootargs", &len);

	ASSERT_TRUE(args != NULL);
	char *lenp = (char *)args - 8;

	lenp[0] = 0x7f;
	EXPECT_TRUE(fdt_getprop(copy, chosen, "bootargs", &len) == NULL);
}

TEST(fdt, boot_dtb_agrees_with_boot_info)
{
	/* Machines booted with a DTB (riscv64, aarch64): the memory it lists
	 * is what the kernel uses. Others have nothing to check. */
	if (!boot.dtb)
		return;
	ASSERT_EQ(fdt_check(boot.dtb), 0);
	EXPECT_GT(boot.nmem, 0);
	EXPECT_GE(boot.ncpus, 1);
	EXPECT_GE(fdt_path_offset(boot.dtb, "/cpus"), 0);
}
