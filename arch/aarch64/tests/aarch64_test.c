// SPDX-License-Identifier: MIT
/* aarch64: the Image header, the boot identity map, CPU state and interrupt masking. */
#include <string.h>

#include <arch.h>
#include <arch/sysreg.h>
#include <drivers/fdt.h>
#include <drivers/irqchip.h>
#include <kernel/kernel.h>
#include <kernel/test.h>

extern const char __executable_start[], _end[], __etext[];

/* What QEMU -kernel and U-Boot booti check (Linux Documentation/arch/arm64/booting.rst). */
TEST(aarch64, image_header_is_bootable)
{
	const uint8_t *h = (const uint8_t *)__executable_start;
	uint64_t text_offset, image_size, flags;
	uint32_t code0;

	memcpy(&code0, h, 4);
	memcpy(&text_offset, h + 8, 8);
	memcpy(&image_size, h + 16, 8);
	memcpy(&flags, h + 24, 8);
	/* code0 is a B (opcode 0b000101) that skips the 64-byte header. */
	EXPECT_UEQ(code0 >> 26, 0x05);
	EXPECT_UGE((code0 & 0x3ffffff) * 4, 64);
	EXPECT_UEQ(text_offset, 0x200000);
	EXPECT_UEQ(image_size, (uintptr_t)_end - (uintptr_t)__executable_start);
	EXPECT_UEQ(flags, 2); /* little-endian, 4 KiB pages */
	EXPECT_TRUE(memcmp(h + 0x38, "ARM\x64", 4) == 0);
}

TEST(aarch64, runs_at_el1_with_mmu_caches_and_fp_on)
{
	uint64_t sctlr = read_sysreg(sctlr_el1);

	EXPECT_UEQ(read_sysreg(CurrentEL) >> 2, 1);
	EXPECT_UEQ(sctlr & (SCTLR_EL1_M | SCTLR_EL1_C | SCTLR_EL1_I),
		   SCTLR_EL1_M | SCTLR_EL1_C | SCTLR_EL1_I);
	EXPECT_UEQ(read_sysreg(cpacr_el1) & CPACR_EL1_FPEN, CPACR_EL1_FPEN);
}

/* Translate `va` for an EL1 read (AT S1E1R); PAR_EL1, whose bit 0 is set on a fault. */
static uint64_t translate(uintptr_t va)
{
	unsigned long flags = arch_irq_save();
	uint64_t par;

	__asm__ __volatile__("at s1e1r, %0" ::"r"(va) : "memory");
	isb();
	par = read_sysreg(par_el1);
	arch_irq_restore(flags);
	return par;
}

#define PAR_F (1ull << 0)
#define PAR_PA(par) ((par)&0x0000fffffffff000ull)
#define PAR_ATTR(par) ((par) >> 56)

TEST(aarch64, identity_map_attributes)
{
	uintptr_t image = (uintptr_t)__executable_start;
	uint64_t par = translate(image);

	/* The image: identity mapped, Normal write-back (MAIR 0xff). */
	ASSERT_UEQ(par & PAR_F, 0);
	EXPECT_UEQ(PAR_PA(par), image);
	EXPECT_UEQ(PAR_ATTR(par), 0xff);
	/* The last byte of RAM too. */
	par = translate((uintptr_t)(boot.mem[0].base + boot.mem[0].size - 1));
	EXPECT_UEQ(par & PAR_F, 0);
	EXPECT_UEQ(PAR_ATTR(par), 0xff);
	/* The console UART's registers: Device-nGnRE (MAIR 0x04). */
	int uart = fdt_find_compatible(boot.dtb, -1, "arm,pl011");
	uint64_t base;

	ASSERT_GE(uart, 0);
	ASSERT_EQ(fdt_reg(boot.dtb, uart, 0, &base, NULL), 0);
	par = translate((uintptr_t)base);
	EXPECT_UEQ(par & PAR_F, 0);
	EXPECT_UEQ(PAR_PA(par), base);
	EXPECT_UEQ(PAR_ATTR(par), 0x04);
	/* NULL and addresses beyond 39 bits fault. */
	EXPECT_UEQ(translate(0) & PAR_F, PAR_F);
	EXPECT_UEQ(translate(0xdead00000000beefull) & PAR_F, PAR_F);
}

TEST(aarch64, ram_takes_unaligned_and_exclusive_accesses)
{
	static _Alignas(16) uint8_t buf[32];
	volatile uint32_t *p = (volatile uint32_t *)(void *)(buf + 1);
	uint64_t v = 5;

	/* Both fault on Device memory, that is with the MMU off. */
	*p = 0x12345678;
	EXPECT_UEQ(*p, 0x12345678);
	EXPECT_UEQ(buf[1], 0x78);
	EXPECT_TRUE(__atomic_compare_exchange_n(&v, &(uint64_t){ 5 }, 7, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST));
	EXPECT_UEQ(v, 7);
}

TEST(aarch64, irqchip_is_the_gic_the_dtb_names)
{
	ASSERT_TRUE(irqchip != NULL);
	EXPECT_TRUE(strcmp(irqchip->name, "gicv2") == 0 || strcmp(irqchip->name, "gicv3") == 0);
	/* GICv3 is the one with system registers (ID_AA64PFR0_EL1.GIC). */
	EXPECT_EQ(strcmp(irqchip->name, "gicv3") == 0,
		  ((read_sysreg(id_aa64pfr0_el1) >> ID_AA64PFR0_GIC_SHIFT) & 0xf) != 0);
}
