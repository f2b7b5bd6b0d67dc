// SPDX-License-Identifier: MIT
/*
 * check: does one thing that ends the image, so that the test harness can
 * check what the user would see.
 *
 *   return N    main returns N          exit N      exit(N) from a nested call
 *   null        read through NULL       illegal     an illegal instruction
 *   misaligned  a misaligned atomic     abort       abort()
 *   wild        read from an address no RAM or device answers to
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The faults live in functions of their own, so that the backtrace has
 * known names to show. */
__attribute__((noinline)) static int read_null(volatile int *p)
{
	return *p;
}

__attribute__((noinline)) static void illegal_instruction(void)
{
	__builtin_trap();
}

/* An atomic on a misaligned address faults on every arch (plain loads may
 * be allowed). */
__attribute__((noinline)) static long misaligned_atomic(char *buf)
{
	return __atomic_fetch_add((long *)(buf + 1), 1, __ATOMIC_SEQ_CST);
}

/* Non-canonical on x86_64, and beyond the physical and virtual address
 * space of the riscv64 and aarch64 machines. */
__attribute__((noinline)) static int read_wild(void)
{
	return *(volatile int *)(uintptr_t)0xdead00000000beefull;
}

__attribute__((noinline)) static void exit_nested(int status)
{
	exit(status);
}

int main(int argc, char **argv)
{
	static _Alignas(16) char buf[32];
	const char *what = argc > 1 ? argv[1] : "";
	int n = argc > 2 ? atoi(argv[2]) : 0;

	printf("check: %s\n", what);
	if (strcmp(what, "return") == 0)
		return n;
	if (strcmp(what, "exit") == 0)
		exit_nested(n);
	if (strcmp(what, "null") == 0)
		return read_null(NULL);
	if (strcmp(what, "illegal") == 0)
		illegal_instruction();
	if (strcmp(what, "misaligned") == 0)
		return (int)misaligned_atomic(buf);
	if (strcmp(what, "wild") == 0)
		return read_wild();
	if (strcmp(what, "abort") == 0)
		abort();
	printf("check: unknown action '%s'\n", what);
	return 64;
}
