// SPDX-License-Identifier: MIT
/*
 * aarch64: the arm64 Image protocol handoff. The loader gave us the DTB in x0
 * and started only this CPU; everything else (memory, the other CPUs, the
 * command line) is in the DTB, which kernel_main reads.
 */
#include <arch.h>
#include <arch/aarch64.h>
#include <arch/sysreg.h>
#include <kernel/boot_info.h>

static struct boot_info bi;

void boot_aarch64(const void *dtb)
{
	bi.dtb = dtb;
	bi.ncpus = 1;
	/* DTB /cpus/cpu@N "reg" holds these MPIDR affinity bits (Linux
	 * Documentation/devicetree/bindings/arm/cpus.yaml). */
	bi.cpu_hwid[0] = read_sysreg(mpidr_el1) & MPIDR_HWID_MASK;
	kernel_main(&bi);
}
