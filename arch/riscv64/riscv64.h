/* SPDX-License-Identifier: MIT */
/* riscv64: private interfaces between the files of arch/riscv64. */
#ifndef WEFT_ARCH_RISCV64_H
#define WEFT_ARCH_RISCV64_H

#include <stdbool.h>

struct boot_info;

/* vectors.S: the trap entry stvec points at. */
void riscv_trap_entry(void);

/* trap.c: install the trap vector on this CPU. Interrupts disabled. */
void riscv_trap_init(void);

/*
 * trap.c: run an instruction that may not exist on this CPU. Between
 * riscv_probe_begin() and riscv_probe_end(), an illegal-instruction trap skips
 * the instruction instead of being fatal; riscv_probe_end() returns whether
 * none trapped. Boot CPU, interrupts disabled, after riscv_trap_init().
 */
void riscv_probe_begin(void);
bool riscv_probe_end(void);

/* timer.c: read the timebase and choose Sstc or SBI for the timer; from
 * arch_cpu_init, after riscv_trap_init() (it probes stimecmp). */
void riscv_timer_setup(const struct boot_info *bi);

/* timer.c: the supervisor timer interrupt (scause 5). Interrupt context. */
void riscv_timer_irq(void);

#endif
