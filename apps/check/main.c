// SPDX-License-Identifier: MIT
/*
 * check: does one thing that ends the image, so that the test harness can
 * check what the user would see.
 *
 *   return N    main returns N          exit N      exit(N) from a nested call
 *   null        read through NULL       illegal     an illegal instruction
 *   misaligned  a misaligned atomic     abort       abort()
 *   wild        read from an address no RAM or device answers to
 *   deadlock    every task blocks forever       close2      close a channel twice
 *   taskpanic   a NULL read in a task (not main), with others blocked
 *   busyexit N  main returns N while other tasks still run
 *   errno       each task's errno is its own    print N     N tasks print lines at once
 *   sleep MS    main sleeps MS milliseconds
 *   libc        the C library's plumbing: errno, malloc, clocks, sleep
 *   overflow    a task recurses without end     trapstack  overflow the trap stack
 *   wx-text     write to the code               wx-heap    run code from the heap
 *   wx-stack    run code from a stack           wx-rodata  write to a string literal
 *   oom         allocate until malloc fails, free it all, and go on
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <weft.h>

/* The one kernel hook check uses (kernel/include/arch.h): makes this CPU's
 * trap stack overflow, to see it reported. */
__attribute__((noreturn)) void arch_debug_trap_stack_overflow(void);

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

static void block_forever(void *arg)
{
	int x;

	chan_recv(arg, &x);
}

static void spin(void *arg)
{
	volatile unsigned long *n = arg;

	for (;;)
		(*n)++;
}

__attribute__((noinline)) static void fault_in_task(void *arg)
{
	(void)arg;
	sleep_ns(1000000);
	read_null(NULL);
}

static waitgroup_t wg;
static int errno_bad;

static void errno_task(void *arg)
{
	int mine = (int)(uintptr_t)arg;

	for (int i = 0; i < 100; i++) {
		errno = mine;
		yield();
		if (errno != mine)
			__atomic_fetch_add(&errno_bad, 1, __ATOMIC_RELAXED);
	}
	wg_done(&wg);
}

/* Lines long enough that a torn one would show. */
static void print_task(void *arg)
{
	int id = (int)(uintptr_t)arg;

	for (int i = 0; i < 50; i++)
		printf("line task=%02d n=%02d abcdefghijklmnopqrstuvwxyz0123456789 end\n", id, i);
	wg_done(&wg);
}

static int concurrency(const char *what, int n)
{
	if (strcmp(what, "deadlock") == 0) {
		chan_t *c = chan_make(sizeof(int), 0);

		go(block_forever, c);
		block_forever(c);
		return 0; /* never reached: the kernel reports the deadlock */
	}
	if (strcmp(what, "close2") == 0) {
		chan_t *c = chan_make(sizeof(int), 0);

		chan_close(c);
		chan_close(c);
		return 0;
	}
	if (strcmp(what, "taskpanic") == 0) {
		chan_t *c = chan_make(sizeof(int), 0);

		go(fault_in_task, NULL);
		block_forever(c);
		return 0;
	}
	if (strcmp(what, "busyexit") == 0) {
		static unsigned long counters[8];

		for (int i = 0; i < 8; i++)
			go(spin, &counters[i]);
		sleep_ns(20000000);
		return n;
	}
	if (strcmp(what, "errno") == 0) {
		wg_add(&wg, 16);
		for (int i = 0; i < 16; i++)
			go(errno_task, (void *)(uintptr_t)(100 + i));
		wg_wait(&wg);
		printf("errno: %d mismatches\n", errno_bad);
		return errno_bad ? 1 : 0;
	}
	if (strcmp(what, "print") == 0) {
		wg_add(&wg, n);
		for (int i = 0; i < n; i++)
			go(print_task, (void *)(uintptr_t)i);
		wg_wait(&wg);
		return 0;
	}
	if (strcmp(what, "sleep") == 0) {
		printf("sleeping %d ms\n", n);
		sleep_ns((uint64_t)n * 1000000);
		printf("woke\n");
		return 0;
	}
	return -1;
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

/* ---- memory ---- */

/* Recurses until `depth` says stop, which it never does. */
static volatile unsigned depth_limit = ~0u;

__attribute__((noinline)) static unsigned recurse_forever(unsigned n)
{
	volatile char frame[512];

	frame[0] = (char)n;
	if (n == depth_limit)
		return 0;
	return recurse_forever(n + 1) + frame[0];
}

static void overflow_task(void *arg)
{
	(void)arg;
	printf("recursed %u times\n", recurse_forever(0));
}

__attribute__((noinline)) static void write_text(void)
{
	*(volatile uint32_t *)(uintptr_t)write_text = 0;
}

__attribute__((noinline)) static void write_rodata(const char *s)
{
	*(volatile char *)s = 'X';
}

/* Jump to `code`; a fetch fault happens before whatever is there runs. */
__attribute__((noinline)) static void run_data(void *code)
{
	((void (*)(void))code)();
}

/* Allocate 1 MiB blocks until malloc fails (errno is left as it set it),
 * keeping them on a list inside the blocks, then free them all; how many. */
static size_t fill_and_free(void)
{
	void *list = NULL;
	size_t n = 0;

	for (void *p; (p = malloc(1 << 20)); n++) {
		*(void **)p = list;
		list = p;
	}
	int saved = errno;

	while (list) {
		void *next = *(void **)list;

		free(list);
		list = next;
	}
	errno = saved;
	return n;
}

static int memory(const char *what)
{
	if (strcmp(what, "overflow") == 0) {
		go(overflow_task, NULL);
		sleep_ns(10ull * 1000 * 1000 * 1000);
		printf("overflow: still running\n");
		return 1;
	}
	if (strcmp(what, "trapstack") == 0)
		arch_debug_trap_stack_overflow();
	if (strcmp(what, "wx-text") == 0) {
		write_text();
		return 1;
	}
	if (strcmp(what, "wx-rodata") == 0) {
		write_rodata("a string literal");
		return 1;
	}
	if (strcmp(what, "wx-heap") == 0) {
		void *p = malloc(64);

		memset(p, 0, 64);
		run_data(p);
		return 1;
	}
	if (strcmp(what, "wx-stack") == 0) {
		char code[64] = { 0 };

		run_data(code);
		return 1;
	}
	if (strcmp(what, "oom") == 0) {
		/* Allocate 1 MiB blocks until malloc fails, twice, freeing
		 * everything in between: the second round must get about as
		 * far as the first, and tasks must still run afterwards. */
		size_t n = fill_and_free(), again;

		printf("oom: %zu MiB allocated, then NULL with errno %s\n", n,
		       errno == ENOMEM ? "ENOMEM" : strerror(errno));
		again = fill_and_free();
		printf("oom: freed; %zu MiB allocated again\n", again);
		return concurrency("print", 4) == 0 && again >= n * 9 / 10 ? 0 : 1;
	}
	return -1;
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
	int r = memory(what);

	if (r >= 0)
		return r;
	r = concurrency(what, n);

	if (r >= 0)
		return r;
	printf("check: unknown action '%s'\n", what);
	return 64;
}
