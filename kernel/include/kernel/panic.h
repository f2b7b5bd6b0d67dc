/* SPDX-License-Identifier: MIT */
/*
 * Ending the image: a clean exit with a status, or a panic for a broken
 * invariant. Both print a final "weft: exit status N" line, which the QEMU
 * runner reads on machines whose exit device cannot carry the status.
 */
#ifndef WEFT_KERNEL_PANIC_H
#define WEFT_KERNEL_PANIC_H

#include <stdint.h>

#include <kernel/types.h>

/* Exit status of a panic or an unexpected trap, as in Go. */
#define PANIC_EXIT_STATUS 2

/* Flush what can be flushed, print the exit line and power off. */
__noreturn void kernel_exit(int status);

/* Print "panic: <message>", a backtrace of the caller, and exit with
 * PANIC_EXIT_STATUS. Safe from any context; a panic inside a panic just
 * stops. */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

struct trap_frame;

/* panic() for a trap: the backtrace starts at the trapped code, not here. */
__noreturn void panic_at(struct trap_frame *tf, const char *fmt, ...) __printf(2, 3);

/* Print a symbolized backtrace starting at frame pointer `fp`, for at most
 * `max` frames, prefixed by `pc` when it is not 0. */
void backtrace_print(uintptr_t pc, uintptr_t fp, int max);

#define BUG_ON(cond)                                                          \
	do {                                                                  \
		if (unlikely(cond))                                           \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

#endif
