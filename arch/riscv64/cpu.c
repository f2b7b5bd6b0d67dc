// SPDX-License-Identifier: MIT
/* riscv64: CPU setup, the console from the DTB, and power off. */
#include <arch.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <drivers/fdt.h>
#include <drivers/plic.h>
#include <drivers/uart.h>
#include <kernel/boot_info.h>
#include "riscv64.h"

const char arch_name[] = "riscv64";

/* QEMU's SiFive test finisher (compatible "sifive,test0"): writing
 * (status << 16) | 0x3333 makes QEMU exit with status, 0x5555 with 0. */
#define SIFIVE_TEST_FAIL 0x3333u
#define SIFIVE_TEST_PASS 0x5555u

static volatile uint32_t *sifive_test;

void arch_console_init(const struct boot_info *bi)
{
	/* No DTB, no console: RISC-V has no architectural serial port. */
	if (bi->dtb)
		dt_console_init(bi->dtb);
}

void arch_cpu_init(const struct boot_info *bi)
{
	uint64_t base;

	riscv_trap_init(0);
	csr_write(sie, 0);
	riscv_smp_init(bi);
	if (bi->dtb) {
		int node = fdt_find_compatible(bi->dtb, -1, "sifive,test0");

		if (node >= 0 && fdt_is_enabled(bi->dtb, node) &&
		    fdt_reg(bi->dtb, node, 0, &base, NULL) == 0)
			sifive_test = (volatile uint32_t *)(uintptr_t)base;
	}
	riscv_timer_setup(bi);
	/* Device interrupts: the PLIC signals the boot hart's S-mode
	 * external interrupt (scause 9), which trap.c hands to the irqchip. */
	if (plic_probe(bi->dtb, bi->cpu_hwid[0]) == 0)
		csr_set(sie, SIE_SEIE);
}

void arch_system_off(int status)
{
	arch_irq_disable();
	if (sifive_test)
		*sifive_test = status == 0 ? SIFIVE_TEST_PASS :
					     ((uint32_t)status & 0xffff) << 16 | SIFIVE_TEST_FAIL;
	sbi_system_off(status != 0);
	for (;;)
		__asm__ __volatile__("wfi");
}
