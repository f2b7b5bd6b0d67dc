// SPDX-License-Identifier: MIT
/*
 * Task stacks, stage one: a fixed-size heap block per task with a canary
 * word at its low end, checked at every switch, so that an overflow is
 * reported rather than silently corrupting the heap. The memory issue
 * replaces this file with demand-paged reservations behind guard pages;
 * the interface (kernel/include/kernel/stack.h) stays.
 */
#include <errno.h>
#include <stdlib.h>

#include <kernel/panic.h>
#include <kernel/stack.h>
#include <kernel/types.h>

/* Until stacks are demand-paged, a task gets min(its limit, this). */
#define STACK_BLOCK_MAX (64 * 1024)

size_t stack_default_max = STACK_BLOCK_MAX;

int stack_alloc(struct stack *st, size_t max)
{
	size_t size = ALIGN_UP(MIN(max, (size_t)STACK_BLOCK_MAX), 16);
	void *p;

	if (size < 4096)
		size = 4096;
	p = malloc(size);
	if (!p)
		return -ENOMEM;
	st->lo = (uintptr_t)p;
	st->hi = st->lo + size;
	st->max = max;
	*(uint64_t *)st->lo = STACK_CANARY;
	return 0;
}

void stack_trim(struct stack *st)
{
	(void)st;
}

void stack_free(struct stack *st)
{
	free((void *)st->lo);
	st->lo = st->hi = 0;
}
