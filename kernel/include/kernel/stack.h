/* SPDX-License-Identifier: MIT */
/*
 * Stacks: virtual reservations in the arch's stack region, backed page by
 * page on demand, each with an unmapped guard region below it.
 *
 * A slot in the region is [guard][usable], and usable = [lo, hi) with the
 * stack growing down from hi. A task stack starts with only its top page
 * mapped; a fault elsewhere in [lo, hi) maps a zeroed page
 * (stack_page_fault), and a fault in the guard is a stack overflow, which
 * is reported and ends the image. Per-CPU stacks (scheduler, trap) are
 * mapped whole up front, with the same guard below.
 *
 * Locking: stack_lock (irqsave) guards the slot allocator; the fault path
 * takes no lock and reads slot ownership published with release stores.
 */
#ifndef WEFT_KERNEL_STACK_H
#define WEFT_KERNEL_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kernel/mm.h>

struct trap_frame;

struct stack {
	uintptr_t lo, hi; /* usable range; the stack grows down from hi */
	size_t max; /* the limit asked for (what lo..hi holds) */
	uintptr_t mapped_lo; /* lowest page mapped so far */
	int owner; /* task id for reports; 0 for a per-CPU stack */
	const char *what; /* "scheduler" or "trap" for a per-CPU stack */
	int cpu; /* whose per-CPU stack */
};

/* Unmapped bytes below every stack, at least (stack.c may add a page). A
 * frame bigger than this could jump over it; GCC's
 * -fstack-clash-protection probes assume 64 KiB on arm64. */
#define STACK_GUARD (64 * 1024)

/* Bounds for stack_max (go_opts, the stack_max= boot option). */
#define STACK_MIN (16 * 1024)
#define STACK_MAX_LIMIT (256ul * 1024 * 1024)

/* The default limit: the stack_max= boot option, 1 MiB unless given. */
extern size_t stack_default_max;

/* Set up the slot allocator in the arch's stack region and read
 * stack_max=. After mm_init; before the first stack. */
void stack_init(void);

/*
 * Reserve a task stack of `max` bytes (rounded up to pages), with its top
 * page mapped. 0, -EINVAL for a limit outside [STACK_MIN,
 * STACK_MAX_LIMIT], or -ENOMEM. Task or boot context; does not block.
 */
int stack_alloc(struct stack *st, size_t max);

/* The address space a stack of `max` bytes (page-aligned) takes: the
 * stack and its guard, an odd number of pages (stack.c says why). */
size_t stack_slot_bytes(size_t max);

/* A per-CPU stack of `size` bytes, all mapped, for CPU `cpu`'s `what`
 * ("scheduler", "trap"). 0 or -ENOMEM. */
int stack_alloc_backed(struct stack *st, size_t size, int cpu, const char *what);

/* `st` is a copy of the struct that stack_alloc filled in, which the
 * fault path must find from now on: call before the stack is used. */
void stack_moved(struct stack *st);

/* True if pages besides the top one are mapped: a task grew it. */
static inline bool stack_grown(const struct stack *st)
{
	return st->mapped_lo != st->hi - PAGE_SIZE;
}

void stack_trim_grown(struct stack *st);

/* The task that owned it exited: unmap and free every page but the top
 * one, keeping the reservation for reuse. Scheduler or task context.
 * Inline: most tasks never grow their stack, and every exit asks. */
static inline void stack_trim(struct stack *st)
{
	if (__builtin_expect(stack_grown(st), 0))
		stack_trim_grown(st);
}

/* Give back the pages and the reservation. */
void stack_free(struct stack *st);

/* stack_free for *st[0..n), n <= STACK_FREE_BATCH, with one TLB shootdown
 * for all of them (arch_mmu_unmap_nosync). The structs may live inside the
 * stacks being freed. */
#define STACK_FREE_BATCH 256
void stack_free_many(struct stack *const *st, size_t n);

/* Bytes of RAM mapped into stacks right now (memstats.stack_in_use). */
uint64_t stack_in_use_bytes(void);

/*
 * The page-fault path (kernel_page_fault): if `addr` lies in a stack's
 * usable range, map a zeroed page there and return true. A fault in a
 * guard region reports the overflow and never returns. false when `addr`
 * is not in any stack. Trap stack, interrupts off.
 */
bool stack_page_fault(struct trap_frame *tf, uintptr_t addr);

#endif
