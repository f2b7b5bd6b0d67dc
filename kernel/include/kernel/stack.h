/* SPDX-License-Identifier: MIT */
/*
 * Task stacks, behind one interface that the memory issue's demand-paged
 * reservations replace. For now a stack is a fixed-size heap block.
 */
#ifndef WEFT_KERNEL_STACK_H
#define WEFT_KERNEL_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stack {
	uintptr_t lo, hi; /* usable range; the stack grows down from hi */
	size_t max; /* the limit the task asked for */
};

/* Default stack size (the stack_max= boot option, later). */
extern size_t stack_default_max;

/* Reserve a stack of at most `max` bytes. 0, or -ENOMEM. May block. */
int stack_alloc(struct stack *st, size_t max);

/* The task that owned it exited: give back what can be given back, keeping
 * the reservation for reuse. */
void stack_trim(struct stack *st);

#define STACK_CANARY 0x5745465453544b21ull /* "WEFTSTK!" at the low end */

/* Whether the stack's low end is untouched (no overflow so far). */
static inline bool stack_intact(const struct stack *st)
{
	return *(const uint64_t *)st->lo == STACK_CANARY;
}

/* Release it entirely. */
void stack_free(struct stack *st);

#endif
