/* SPDX-License-Identifier: MIT */
/* hosted: private interfaces between the files of arch/hosted. */
#ifndef WEFT_ARCH_HOSTED_H
#define WEFT_ARCH_HOSTED_H

#include <signal.h>

/* The per-thread timer's signal: the hosted timer interrupt. */
#define HOSTED_SIG_TIMER (SIGRTMIN + 0)

/* Install the fault handlers on an alternate signal stack. */
void hosted_trap_init(void);

/* The timer "interrupt": runs with interrupts masked. */
void hosted_timer_irq(void);

#endif
