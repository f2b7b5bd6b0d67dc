// SPDX-License-Identifier: MIT
/*
 * aarch64: the generic timer. The clock is the virtual counter CNTVCT_EL0 at
 * CNTFRQ_EL0 Hz; the one-shot deadline is the EL1 virtual timer (CNTV_CVAL_EL0),
 * whose interrupt is a PPI through the GIC. Arm ARM, "The Generic Timer in
 * AArch64 state".
 */
#include <drivers/fdt.h>
#include <drivers/irqchip.h>

#include <arch.h>
#include <arch/aarch64.h>
#include <arch/sysreg.h>
#include <kernel/boot_info.h>
#include <kernel/printk.h>

/* The virtual timer PPI on every Arm platform that follows the Server Base System Architecture,
 * including QEMU virt; the DTB says which it is (see timer_intid). */
#define TIMER_VIRT_INTID_DEFAULT 27

/* GIC interrupt specifiers are <type number flags> (Linux
 * Documentation/devicetree/bindings/interrupt-controller/arm,gic.yaml): type 1 is a PPI,
 * numbered from INTID 16. */
#define GIC_SPEC_PPI 1
#define GIC_PPI_BASE 16

static unsigned int timer_irq = TIMER_VIRT_INTID_DEFAULT;
static uint64_t timer_hz;

uint64_t arch_cycles(void)
{
	/* Counter reads are not ordered with other instructions: without
	 * the isb the read may be performed ahead of earlier code. */
	isb();
	return read_sysreg(cntvct_el0);
}

uint64_t arch_cycles_hz(void)
{
	if (!timer_hz)
		timer_hz = read_sysreg(cntfrq_el0) & 0xffffffff;
	return timer_hz;
}

/*
 * The virtual timer's INTID: the third <type number flags> entry of the
 * /timer node's "interrupts" (secure physical, non-secure physical, virtual,
 * hypervisor; binding arm,arch_timer.yaml).
 */
static unsigned int timer_intid(const void *dtb)
{
	int len, node;
	const uint8_t *irqs;

	if (!dtb)
		return TIMER_VIRT_INTID_DEFAULT;
	node = fdt_find_compatible(dtb, -1, "arm,armv8-timer");
	if (node < 0)
		node = fdt_find_compatible(dtb, -1, "arm,armv7-timer");
	if (node < 0)
		return TIMER_VIRT_INTID_DEFAULT;
	irqs = fdt_getprop(dtb, node, "interrupts", &len);
	if (!irqs || len < 3 * 12 || fdt32_ld(irqs + 24) != GIC_SPEC_PPI)
		return TIMER_VIRT_INTID_DEFAULT;
	return fdt32_ld(irqs + 28) + GIC_PPI_BASE;
}

void aarch64_timer_init_cpu(void)
{
	/* The timer and its PPI are per CPU (the GIC banks PPI enables). */
	write_sysreg(cntv_ctl_el0, 0);
	isb();
	if (irqchip)
		irqchip->enable(timer_irq);
}

void arch_timer_init(const struct boot_info *bi)
{
	arch_cycles_hz();
	timer_irq = timer_intid(bi->dtb);
	if (!irqchip)
		printk("weft: no interrupt controller; the timer cannot interrupt\n");
	aarch64_timer_init_cpu();
}

void arch_timer_set_deadline(uint64_t deadline)
{
	write_sysreg(cntv_cval_el0, deadline);
	write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
	isb();
}

void arch_timer_cancel(void)
{
	write_sysreg(cntv_ctl_el0, 0);
	isb();
}

bool aarch64_timer_irq(unsigned int irq)
{
	if (irq != timer_irq)
		return false;
	/* The timer's output is a level: disabling it drops the line before
	 * the EOI, so the interrupt does not fire again. */
	write_sysreg(cntv_ctl_el0, 0);
	isb();
	kernel_timer_tick();
	return true;
}
