// SPDX-License-Identifier: MIT
/*
 * malloc, free, calloc, realloc, memalign, posix_memalign, aligned_alloc,
 * malloc_usable_size, valloc and pvalloc, routed to the kernel heap, and
 * mallinfo, malloc_stats, mallopt and malloc_trim answered from it
 * (kernel/heap.c). On newlib, together with libc/malloc_r.c, these are
 * every name newlib's own allocator (mallocr.c) defines, so that the link
 * never pulls it in. On hosted they replace the host C library's malloc in
 * the executable (glibc supports that: "Replacing malloc" in its manual),
 * so glibc's own allocations come here too.
 *
 * Errors go to errno, which is only looked up on failure: on newlib,
 * finding a task's errno may allocate its reentrancy structure.
 *
 * Under a hosted sanitizer build (SANITIZE=asan or tsan) these are left
 * out and the sanitizer's malloc stays: its interceptors (strdup, getline,
 * ...) allocate with their own allocator and free() would get pointers
 * the heap never made. kernel/tests/heap_test.c calls the heap directly
 * there, so the heap is still checked under both sanitizers.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include <kernel/heap.h>
#include <kernel/mm.h>

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)

/* Out of line and cold: malloc's fast path then keeps nothing live
 * across its call into the heap, and saves no register for it. */
static __attribute__((noinline, cold)) void *nomem_fail(void)
{
	errno = ENOMEM;
	return NULL;
}

static inline void *nomem(void *p)
{
	return __builtin_expect(p != NULL, 1) ? p : nomem_fail();
}

static int is_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

void *malloc(size_t size)
{
	return nomem(heap_alloc(size));
}

void free(void *p)
{
	heap_free(p);
}

void *calloc(size_t n, size_t size)
{
	return nomem(heap_calloc(n, size));
}

void *realloc(void *p, size_t size)
{
	void *q = heap_realloc(p, size);

	return p && size == 0 ? q : nomem(q);
}

/* memalign and aligned_alloc: an alignment that is not a power of two is
 * EINVAL (glibc rounds it up instead; C11 leaves it undefined). */
void *memalign(size_t align, size_t size)
{
	if (!is_pow2(align)) {
		errno = EINVAL;
		return NULL;
	}
	return nomem(heap_alloc_aligned(align, size));
}

void *aligned_alloc(size_t align, size_t size)
{
	return memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	if (!is_pow2(align) || align % sizeof(void *))
		return EINVAL;
	void *p = heap_alloc_aligned(align, size);

	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t size)
{
	return memalign(PAGE_SIZE, size);
}

void *pvalloc(size_t size)
{
	if (size > SIZE_MAX - PAGE_SIZE) {
		errno = ENOMEM;
		return NULL;
	}
	return memalign(PAGE_SIZE, ALIGN_UP(size, PAGE_SIZE));
}

size_t malloc_usable_size(void *p)
{
	return heap_usable_size(p);
}

/* SVID's statistics, in the heap's terms: the pages it holds, and the
 * bytes of live objects in them. */
#define FILL_MALLINFO(mi)                                                    \
	do {                                                                 \
		uint64_t sys = heap_sys_bytes(), used = heap_in_use_bytes(); \
                                                                             \
		(mi).arena = sys;                                            \
		(mi).uordblks = used;                                        \
		(mi).fordblks = sys > used ? sys - used : 0;                 \
	} while (0)

#ifdef __GLIBC__
/* glibc deprecates mallinfo (its fields are int) for mallinfo2. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

struct mallinfo2 mallinfo2(void)
{
	struct mallinfo2 mi = { 0 };

	FILL_MALLINFO(mi);
	return mi;
}
#endif

struct mallinfo mallinfo(void)
{
	struct mallinfo mi = { 0 };

	FILL_MALLINFO(mi);
	return mi;
}

void malloc_stats(void)
{
	fprintf(stderr, "heap: system bytes = %llu\nheap: in use bytes = %llu\n",
		(unsigned long long)heap_sys_bytes(), (unsigned long long)heap_in_use_bytes());
}

/* The heap has no tunables: every option is refused (0), as SVID's
 * mallopt does for one it does not know. */
int mallopt(int param, int value)
{
	(void)param;
	(void)value;
	return 0;
}

/* Give cached objects and empty spans back to the page allocator; 1 if
 * that freed any memory. `pad` (memory to keep) does not apply: the heap
 * keeps no top chunk. */
int malloc_trim(size_t pad)
{
	uint64_t before = heap_sys_bytes();

	(void)pad;
	heap_release();
	return heap_sys_bytes() < before;
}

#endif
