/* SPDX-License-Identifier: MIT */
/* lwIP's compiler and C library glue (lwIP's doc/sys_arch.txt, "cc.h"). */
#ifndef WEFT_LWIP_ARCH_CC_H
#define WEFT_LWIP_ARCH_CC_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h> /* struct timeval for SO_RCVTIMEO (LWIP_TIMEVAL_PRIVATE=0) */

/* errno values and errno itself from the C library: newlib's errno is per
 * task, and the hosted arch carries the host's across task switches. */
#define LWIP_ERRNO_STDINCLUDE 1

#define LWIP_NO_CTYPE_H 0
/* lwIP takes ssize_t from the C library only when SSIZE_MAX says it has
 * one, which newlib's <limits.h> does not. */
#include <limits.h>
#ifndef SSIZE_MAX
#define SSIZE_MAX __LONG_MAX__
#endif
#include <sys/types.h> /* the C library's BYTE_ORDER, if it has one */
#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN /* every Weft arch */
#endif
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1 /* libc/include/netinet/in.h has them */

uint32_t weft_lwip_rand(void);
void weft_lwip_assert(const char *msg, const char *file, int line);
void weft_lwip_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define LWIP_PLATFORM_DIAG(x)     \
	do {                      \
		weft_lwip_diag x; \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x) weft_lwip_assert((x), __FILE__, __LINE__)

#endif
