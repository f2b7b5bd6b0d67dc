// SPDX-License-Identifier: MIT
/*
 * riscv64: the OpenSBI handoff. The firmware passes the hart id and the
 * device tree; kernel_main reads everything else (memory, other harts,
 * bootargs) from the device tree itself.
 */
#include <arch.h>
#include <kernel/boot_info.h>

/* The RISC-V Image header's text_offset: firmware owns this much below the
 * image (OpenSBI on QEMU virt and most boards). */
#define FIRMWARE_SIZE 0x200000

static struct boot_info bi;

/* void boot_entry(unsigned long hartid, const void *dtb): from entry.S, on
 * the boot stack, bss cleared, interrupts disabled. */
__noreturn void boot_entry(unsigned long hartid, const void *dtb);
__noreturn void boot_entry(unsigned long hartid, const void *dtb)
{
	extern const char __executable_start[];
	uintptr_t image = (uintptr_t)__executable_start;

	bi.dtb = dtb;
	bi.ncpus = 1;
	bi.cpu_hwid[0] = hartid;
	/* Usually also listed in /reserved-memory, but not by every firmware. */
	if (image >= FIRMWARE_SIZE)
		boot_add_reserved(&bi, image - FIRMWARE_SIZE, FIRMWARE_SIZE);
	kernel_main(&bi);
}
