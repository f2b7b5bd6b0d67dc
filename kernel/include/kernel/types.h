/* SPDX-License-Identifier: MIT */
/* Scalar types shared by every layer. */
#ifndef WEFT_KERNEL_TYPES_H
#define WEFT_KERNEL_TYPES_H

#include <stdint.h>

typedef uint64_t paddr_t; /* physical address */
typedef uintptr_t vaddr_t; /* virtual address */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define container_of(p, type, member) ((type *)((char *)(p) - __builtin_offsetof(type, member)))

/* Data that different CPUs write apart (one per CPU, say) starts on a line
 * of its own, so that one CPU's stores do not take the line from another.
 * 64 bytes on every core Weft runs on so far. */
#define CACHELINE_SIZE 64
#define __cacheline_aligned __attribute__((aligned(CACHELINE_SIZE)))

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define __noreturn __attribute__((noreturn))
#define __unused __attribute__((__unused__)) /* the same tokens as newlib's <sys/cdefs.h> */
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif
