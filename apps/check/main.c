// SPDX-License-Identifier: MIT
/*
 * check: does one thing that ends the image, so that the test harness can
 * check what the user would see.
 *
 *   return N    main returns N          exit N      exit(N) from a nested call
 *   null        read through NULL       illegal     an illegal instruction
 *   misaligned  a misaligned atomic     abort       abort()
 *   wild        read from an address no RAM or device answers to
 *   libc        the C library's plumbing: errno, malloc, clocks, sleep
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

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

/* Each line is "libc: <what> ok" or "libc: <what> FAILED (...)". */
static int check_libc(void)
{
	int bad = 0;
	struct timespec a, b, req = { 0, 20 * 1000 * 1000 };
	struct timeval tv;

	errno = 0;
	if (open("/nonexistent", O_RDONLY) != -1 || errno == 0) {
		printf("libc: errno FAILED (open gave errno %d)\n", errno);
		bad++;
	} else {
		printf("libc: errno ok (%s)\n", strerror(errno));
	}

	char *p = malloc(1 << 20);

	if (!p) {
		printf("libc: malloc FAILED\n");
		bad++;
	} else {
		memset(p, 0xa5, 1 << 20);
		p = realloc(p, 2 << 20);
		bad += !p || p[(1 << 20) - 1] != (char)0xa5;
		printf("libc: malloc %s\n", p && p[(1 << 20) - 1] == (char)0xa5 ? "ok" : "FAILED");
		free(p);
	}

	if (clock_gettime(CLOCK_MONOTONIC, &a) || nanosleep(&req, NULL) ||
	    clock_gettime(CLOCK_MONOTONIC, &b)) {
		printf("libc: clock_gettime FAILED\n");
		bad++;
	} else {
		long long ns = (b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec);

		bad += ns < 20000000;
		printf("libc: nanosleep %s (%lld ns for 20 ms)\n", ns >= 20000000 ? "ok" : "FAILED",
		       ns);
	}
	bad += gettimeofday(&tv, NULL) != 0;
	printf("libc: gettimeofday %s\n", bad ? "FAILED" : "ok");
	printf("libc: printf %%f %.3f %%e %.2e\n", 3.14159, 12345.678);
	puts("libc: puts ok");
	return bad;
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
	if (strcmp(what, "libc") == 0)
		return check_libc();
	if (strcmp(what, "abort") == 0)
		abort();
	printf("check: unknown action '%s'\n", what);
	return 64;
}
