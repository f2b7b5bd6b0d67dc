/* SPDX-License-Identifier: MIT */
/*
 * <weft.h>: the whole public API of Weft for applications.
 *
 * An app is an ordinary C program (int main(int argc, char **argv)) that
 * uses the C library as usual and this header for what Weft adds. Errors come
 * back as negative errno values.
 */
#ifndef WEFT_H
#define WEFT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- system ---- */

/* The arch this image was built for: "riscv64", "aarch64", "x86_64" or
 * "hosted". */
const char *sys_arch(void);

/* Number of CPUs the machine has. */
int num_cpu(void);

/* ---- time ---- */

/* Monotonic nanoseconds since boot. */
uint64_t now_ns(void);

/* ---- memory ---- */

struct memstats {
	uint64_t total; /* usable RAM in bytes */
	uint64_t free; /* bytes of RAM not in use for anything */
	uint64_t heap_in_use; /* bytes in live malloc objects and their spans */
	uint64_t stack_in_use; /* bytes of RAM currently backing task stacks */
};
void read_memstats(struct memstats *ms);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_H */
