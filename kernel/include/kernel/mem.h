/* SPDX-License-Identifier: MIT */
/*
 * Early memory: until the page allocator and heap arrive (memory issue), RAM
 * is one arena, the largest stretch of usable RAM that holds neither the
 * image nor anything the firmware reserved. The C library's sbrk carves it.
 */
#ifndef WEFT_KERNEL_MEM_H
#define WEFT_KERNEL_MEM_H

#include <stdint.h>

#include <kernel/types.h>

struct memstats;

/* Pick the arena from the boot memory map. Panics if no usable RAM is left:
 * the image cannot run without any. */
void mem_init(void);

/* Grow (or shrink) the arena's break by `incr` bytes; the old break, or NULL
 * with nothing changed when the arena has no room. */
void *mem_sbrk(intptr_t incr);

void mem_stats(struct memstats *ms);

#endif
