/* SPDX-License-Identifier: MIT */
/*
 * Kernel formatted output. Safe in interrupt context and during a panic: it
 * allocates nothing, takes no sleeping lock and uses no floating point.
 * Formats: %c %s %d %i %u %x %X %p and %%, with the flags '-' and '0', a width,
 * and the length modifiers l, ll and z.
 */
#ifndef WEFT_KERNEL_PRINTK_H
#define WEFT_KERNEL_PRINTK_H

#include <stdarg.h>
#include <stddef.h>

#include <kernel/types.h>

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/* Format and write to the console; returns the number of bytes written. */
int printk(const char *fmt, ...) __printf(1, 2);
int vprintk(const char *fmt, va_list ap);

#endif
