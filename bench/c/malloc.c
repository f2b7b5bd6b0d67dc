// SPDX-License-Identifier: MIT
/*
 * The glibc peer of apps/bench's malloc benchmarks (`make bench` builds it
 * with the host's gcc and runs it beside Weft): malloc + free pairs of one
 * size, on one thread and on two at once. Each line is
 * "bench <name> <value> <unit>", as apps/bench prints them; the loop is
 * the same code (bench_malloc_loop below is copied in apps/bench/main.c).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const size_t sizes[] = { 16, 64, 256, 1024, 4096 };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* n malloc + free pairs; the asm keeps the compiler from eliding them. */
static void bench_malloc_loop(size_t size, long n)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(size);

		__asm__ __volatile__("" : : "r"(p) : "memory");
		free(p);
	}
}

struct job {
	size_t size;
	long n;
};

static void *thread_fn(void *arg)
{
	struct job *j = arg;

	bench_malloc_loop(j->size, j->n);
	return NULL;
}

/* Wall time per operation of two threads running job j at once. */
static double two_threads(struct job *j)
{
	pthread_t t[2];
	uint64_t t0 = now_ns();

	for (int k = 0; k < 2; k++)
		pthread_create(&t[k], NULL, thread_fn, j);
	for (int k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	return (double)(now_ns() - t0) / (2.0 * j->n);
}

int main(void)
{
	long n = 20000000;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct job j = { sizes[i], n };

		bench_malloc_loop(sizes[i], n / 10); /* warm up */
		uint64_t t0 = now_ns();

		bench_malloc_loop(sizes[i], n);
		printf("bench malloc1_%zu %.2f ns/op\n", sizes[i], (double)(now_ns() - t0) / n);
		/* Throughput of both: wall time per pair done by either. */
		printf("bench malloc2_%zu %.2f ns/op\n", sizes[i], two_threads(&j));
	}
	return 0;
}
