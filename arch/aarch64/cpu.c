// SPDX-License-Identifier: MIT
/* aarch64: CPU setup, the console, waiting for interrupts and power off. */
#include <arch.h>
#include <arch/aarch64.h>
#include <arch/sysreg.h>
#include <drivers/gic.h>
#include <drivers/irqchip.h>
#include <drivers/uart.h>
#include <kernel/boot_info.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>

const char arch_name[] = "aarch64";

extern char vectors[];

void arch_console_init(const struct boot_info *bi)
{
	/* Without a console there is nowhere to say so. */
	dt_console_init(bi->dtb);
}

void arch_cpu_init(const struct boot_info *bi)
{
	aarch64_percpu_init(0); /* the boot CPU is CPU 0 */
	/* entry.S set both already, so that the earliest faults are caught;
	 * this is the per-CPU setup the contract names. */
	write_sysreg(vbar_el1, (uintptr_t)vectors);
	write_sysreg(cpacr_el1, CPACR_EL1_FPEN);
	isb();
	/* Take SErrors (asynchronous aborts, such as a write to a missing
	 * device) now that they can be reported; entry masked them. */
	__asm__ __volatile__("msr daifclr, #4" ::: "memory");
	aarch64_smp_init();

	if (psci_init(bi->dtb) < 0)
		printk("weft: no PSCI 0.2+ in the device tree; power off will just halt\n");
	if (gic_probe(bi->dtb) < 0)
		printk("weft: no GICv2 or GICv3 in the device tree; no interrupts\n");
	else
		irqchip->init_cpu();
}

void arch_cpu_wait_irq(void)
{
	/* With PSTATE.I set, wfi still wakes up for a pending IRQ (Arm ARM,
	 * "Wait For Interrupt"); then open the window just long enough to
	 * take it. The dsb makes earlier writes visible before we sleep. */
	__asm__ __volatile__("dsb sy\n\t"
			     "wfi\n\t"
			     "msr daifclr, #2\n\t"
			     "isb\n\t"
			     "msr daifset, #2"
			     :
			     :
			     : "memory");
}

/*
 * PSCI SYSTEM_OFF carries no status, so QEMU exits with 0 and the runner
 * takes the status from the "weft: exit status" line kernel_exit printed.
 * (Semihosting could carry it, but needs QEMU's -semihosting, and on a board
 * its hlt instruction stops the CPU for a debugger that may not be there.)
 * The DTB is looked up again in case we get here before arch_cpu_init.
 */
void arch_system_off(int status)
{
	(void)status;
	arch_irq_disable();
	if (psci_init(boot.dtb) == 0)
		psci_system_off();
	for (;;)
		__asm__ __volatile__("wfi");
}
