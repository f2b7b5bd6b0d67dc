/* SPDX-License-Identifier: MIT */
/* hosted: private interfaces between the files of arch/hosted. */
#ifndef WEFT_ARCH_HOSTED_H
#define WEFT_ARCH_HOSTED_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

/* The per-thread timer's signal and the IPI signal: the two "interrupts". */
#define HOSTED_SIG_TIMER (SIGRTMIN + 0)
#define HOSTED_SIG_IPI (SIGRTMIN + 1)
#define HOSTED_IRQ_TIMER 1
#define HOSTED_IRQ_IPI 2

/* Install the fault handlers on an alternate signal stack for this thread. */
void hosted_trap_init(void);

/* Whether addr is in the stack region (mmu.c). */
bool hosted_in_stack_region(uintptr_t addr);

/* Install the interrupt signal handlers (once per process). */
void hosted_irq_init(void);

/* Record the boot thread as CPU 0, for IPIs. */
void hosted_smp_init_boot_cpu(void);

/* Create this thread's one-shot timer. */
void hosted_timer_init_cpu(void);

/* The interrupt handler: run what `bits` says arrived, then, when it
 * interrupted our own code with interrupts on (`uc` not NULL), preempt the
 * task if the scheduler asks. */
void hosted_irq_dispatch(int bits, ucontext_t *uc);

#endif
