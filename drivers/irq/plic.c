// SPDX-License-Identifier: MIT
/*
 * RISC-V PLIC (RISC-V Platform-Level Interrupt Controller Specification
 * 1.0.0, "Memory Map"): a priority per source, a pending bit per source, and
 * per context (one privilege mode of one hart) an enable bit per source, a
 * priority threshold and a claim/complete register.
 *
 * Which context is which comes from the DTB's "interrupts-extended" (the
 * devicetree binding sifive,plic-1.0.0): entry i names context i's
 * interrupt: the hart's "riscv,cpu-intc" node and the cause it raises there,
 * 9 for the supervisor external interrupt and 11 for machine mode.
 */
#include <errno.h>
#include <stdbool.h>

#include <arch.h>
#include <drivers/fdt.h>
#include <drivers/irqchip.h>
#include <drivers/plic.h>
#include <kernel/printk.h>

#define PLIC_PRIORITY(src) (0x000000 + 4 * (src))
#define PLIC_ENABLE(ctx, src) (0x002000 + 0x80 * (ctx) + 4 * ((src) / 32))
#define PLIC_THRESHOLD(ctx) (0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx) (0x200004 + 0x1000 * (ctx))

#define PLIC_MAX_SOURCES 1023 /* source 0 means "none" */
#define IRQ_CAUSE_S_EXT 9 /* scause code of the S-mode external interrupt */

static struct {
	uintptr_t base;
	unsigned int ndev; /* highest source id */
	unsigned int ctx; /* the boot hart's S-mode context */
} plic;

static inline void plic_write(unsigned long off, uint32_t v)
{
	*(volatile uint32_t *)(plic.base + off) = v;
}

static inline uint32_t plic_read(unsigned long off)
{
	return *(volatile uint32_t *)(plic.base + off);
}

/* Sources whose enable bit changes race with each other (a read-modify-write
 * of a shared word), so enable and disable serialize. */
static unsigned int enable_lock;

static void plic_set_enable(unsigned int src, bool on)
{
	unsigned long flags;
	uint32_t bit = 1u << (src % 32), w;

	if (src == 0 || src > plic.ndev)
		return;
	flags = arch_irq_save();
	while (__atomic_exchange_n(&enable_lock, 1, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
	/* Priority 1 is the lowest that is delivered (threshold 0 lets it
	 * through); 0 means "never interrupt" (spec, "Interrupt Priorities"). */
	if (on)
		plic_write(PLIC_PRIORITY(src), 1);
	w = plic_read(PLIC_ENABLE(plic.ctx, src));
	plic_write(PLIC_ENABLE(plic.ctx, src), on ? w | bit : w & ~bit);
	__atomic_store_n(&enable_lock, 0, __ATOMIC_RELEASE);
	arch_irq_restore(flags);
}

static void plic_enable(unsigned int src)
{
	plic_set_enable(src, true);
}

static void plic_disable(unsigned int src)
{
	plic_set_enable(src, false);
}

/* The claim register returns the highest-priority pending source and
 * clears its pending bit, or 0 when nothing is pending (spec, "Interrupt
 * Claim Process"). */
static unsigned int plic_claim(void)
{
	uint32_t src = plic_read(PLIC_CLAIM(plic.ctx));

	return src ? src : IRQCHIP_SPURIOUS;
}

/* Writing the source id back lets the gateway forward the next request of
 * that source; a level-triggered source still asserted comes back at once
 * (spec, "Interrupt Completion"). */
static void plic_complete(unsigned int src)
{
	plic_write(PLIC_CLAIM(plic.ctx), src);
}

/* Harts other than the boot hart have no enabled sources: nothing to do. */
static void plic_init_cpu(void)
{
}

static const struct irqchip plic_chip = {
	.name = "plic",
	.init_cpu = plic_init_cpu,
	.enable = plic_enable,
	.disable = plic_disable,
	.claim = plic_claim,
	.complete = plic_complete,
};

int plic_find_context(const void *dtb, int node, uint64_t hartid)
{
	const uint8_t *ext;
	int len;

	ext = fdt_getprop(dtb, node, "interrupts-extended", &len);
	if (!ext || len < 8)
		return -ENOENT;
	/* Each entry is <phandle cause>: a cpu-intc has #interrupt-cells = 1. */
	for (int i = 0; (i + 1) * 8 <= len; i++) {
		uint32_t phandle = fdt32_ld(ext + 8 * i), cause = fdt32_ld(ext + 8 * i + 4);
		int intc, cpu;
		uint64_t reg;

		if (cause != IRQ_CAUSE_S_EXT)
			continue;
		intc = fdt_find_phandle(dtb, phandle);
		if (intc < 0)
			continue;
		cpu = fdt_parent(dtb, intc);
		if (cpu < 0 || fdt_reg(dtb, cpu, 0, &reg, NULL) < 0)
			continue;
		if (reg == hartid)
			return i;
	}
	return -ENOENT;
}

int plic_probe(const void *dtb, uint64_t boot_hartid)
{
	int node = -1, ctx;
	uint64_t base, size;

	if (!dtb)
		return -ENODEV;
	while ((node = fdt_next_node(dtb, node, NULL)) >= 0)
		if ((fdt_is_compatible(dtb, node, "sifive,plic-1.0.0") ||
		     fdt_is_compatible(dtb, node, "riscv,plic0")) &&
		    fdt_is_enabled(dtb, node))
			break;
	if (node < 0)
		return -ENODEV;
	if (fdt_reg(dtb, node, 0, &base, &size) < 0 || size < 0x200008) {
		printk("plic: %s has no usable reg; no device interrupts\n", fdt_name(dtb, node));
		return -ENODEV;
	}
	ctx = plic_find_context(dtb, node, boot_hartid);
	if (ctx < 0 || PLIC_CLAIM((uint64_t)ctx) >= size) {
		printk("plic: no S-mode context for hart %llu; no device interrupts\n",
		       (unsigned long long)boot_hartid);
		return -ENODEV;
	}
	plic.base = (uintptr_t)base;
	plic.ctx = (unsigned int)ctx;
	plic.ndev = fdt_getprop_u32(dtb, node, "riscv,ndev", 0);
	if (plic.ndev == 0 || plic.ndev > PLIC_MAX_SOURCES)
		plic.ndev = PLIC_MAX_SOURCES;

	for (unsigned int src = 1; src <= plic.ndev; src++)
		plic_write(PLIC_PRIORITY(src), 0);
	for (unsigned int w = 0; w <= plic.ndev / 32; w++)
		plic_write(PLIC_ENABLE(plic.ctx, 32 * w), 0);
	plic_write(PLIC_THRESHOLD(plic.ctx), 0);
	irqchip_register(&plic_chip);
	return 0;
}
