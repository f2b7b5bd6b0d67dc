// SPDX-License-Identifier: MIT
/* riscv64: the Image header, instruction probing and interrupt masking. */
#include <string.h>

#include <arch.h>
#include <arch/csr.h>
#include <kernel/test.h>
#include "../riscv64.h"

extern const char __executable_start[], _end[];

/* What U-Boot booti checks (Linux Documentation/riscv/boot-image-header.rst). */
TEST(riscv64, image_header_is_bootable)
{
	const uint8_t *h = (const uint8_t *)__executable_start;
	uint64_t image_size, text_offset;
	uint32_t code0;

	memcpy(&code0, h, 4);
	memcpy(&text_offset, h + 8, 8);
	memcpy(&image_size, h + 16, 8);
	/* code0 is a 32-bit JAL x0 (opcode 0x6f, rd 0) that skips the header. */
	EXPECT_UEQ(code0 & 0xfff, 0x06f);
	EXPECT_UEQ(text_offset, 0x200000);
	EXPECT_UEQ(image_size, (uintptr_t)_end - (uintptr_t)__executable_start);
	EXPECT_TRUE(memcmp(h + 0x30, "RISCV\0\0\0", 8) == 0);
	EXPECT_TRUE(memcmp(h + 0x38, "RSC\x05", 4) == 0);
}

TEST(riscv64, probe_skips_an_illegal_instruction)
{
	unsigned long flags = arch_irq_save();
	unsigned long v = 0;

	/* sscratch exists in S-mode; mstatus is M-mode only (Privileged
	 * Architecture §2.1: a CSR above the current privilege is illegal). */
	riscv_probe_begin();
	v = csr_read(sscratch);
	EXPECT_TRUE(riscv_probe_end());
	riscv_probe_begin();
	v = csr_read(mstatus);
	EXPECT_FALSE(riscv_probe_end());
	arch_irq_restore(flags);
	(void)v;
}
