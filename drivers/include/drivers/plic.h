/* SPDX-License-Identifier: MIT */
/*
 * RISC-V Platform-Level Interrupt Controller ("sifive,plic-1.0.0",
 * "riscv,plic0"), the irqchip of riscv64 boards. Interrupt numbers are PLIC
 * source ids (1..ndev). Device interrupts go to the boot hart's S-mode
 * context only; the other harts never take supervisor external interrupts.
 */
#ifndef WEFT_DRIVERS_PLIC_H
#define WEFT_DRIVERS_PLIC_H

#include <stdint.h>

/*
 * Find the PLIC in `dtb`, find the S-mode context of hart `boot_hartid`
 * from "interrupts-extended", give every source priority 0 (never
 * delivered) and no enable bit, and register the PLIC as the irqchip.
 * Boot hart, interrupts off, before the MMU is on or with the PLIC mapped
 * (the riscv64 MMU maps every DTB device). Returns 0, or -ENODEV when
 * there is no usable PLIC (printed).
 */
int plic_probe(const void *dtb, uint64_t boot_hartid);

/* The context index of the S-mode external interrupt of hart `hartid`,
 * read from the PLIC node `node`'s "interrupts-extended"; -ENOENT if none.
 * Exposed for tests. */
int plic_find_context(const void *dtb, int node, uint64_t hartid);

#endif
