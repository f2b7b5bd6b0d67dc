/* SPDX-License-Identifier: MIT */
/* riscv64: private interfaces between the files of arch/riscv64. */
#ifndef WEFT_ARCH_RISCV64_H
#define WEFT_ARCH_RISCV64_H

#include <stdbool.h>

struct boot_info;

/* vectors.S: the trap entry stvec points at. */
void riscv_trap_entry(void);

/* vectors.S: the instruction in arch_cpu_wait_irq where it takes the
 * interrupt it waited for (its caller has interrupts disabled). */
extern const char riscv_wait_irq_window[];

/* entry.S: where HSM hart_start sends a secondary hart, a0 = its hart id,
 * a1 = its struct riscv_boot_record (smp.c). */
void riscv_secondary_entry(void);

/* switch.S: the first return address of a context from arch_ctx_init
 * (fn in s1, arg in s2), and where trap.c sends a task to be preempted. */
void riscv_ctx_start(void);
void riscv_preempt_trampoline(void);

/* smp.c: record the boot hart's id and enable IPIs on the boot CPU; from
 * arch_cpu_init. */
void riscv_smp_init(const struct boot_info *bi);

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
