/* SPDX-License-Identifier: MIT */
/*
 * Arm Generic Interrupt Controller, versions 2 and 3, found through the DTB
 * ("arm,gic-400", "arm,cortex-a15-gic" and friends for v2, "arm,gic-v3").
 * Interrupt numbers are GIC INTIDs: SGIs 0-15, PPIs 16-31, SPIs from 32.
 * SGIs are sent with irqchip->send_ipi, addressed by the target's MPIDR
 * affinity (the DTB /cpus "reg" value).
 */
#ifndef WEFT_DRIVERS_GIC_H
#define WEFT_DRIVERS_GIC_H

/*
 * Find the GIC in `dtb`, reset its distributor (every SPI disabled, level
 * triggered, routed to this CPU) and register it as the irqchip. Called once,
 * on the boot CPU with interrupts masked; each CPU, the boot CPU included,
 * then calls irqchip->init_cpu(). Returns 0, or -ENODEV when the DTB has no
 * GIC this driver knows (or, for v3, the CPU has no GIC system registers).
 */
int gic_probe(const void *dtb);

#endif
