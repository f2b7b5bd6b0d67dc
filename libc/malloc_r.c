// SPDX-License-Identifier: MIT
/*
 * newlib's reentrant allocator names (_malloc_r and the rest), routed to the
 * kernel heap (kernel/heap.c); libc/malloc.c has the plain names. Errors
 * are reported through the reentrancy structure each call is given. With
 * the plain names in libc/malloc.c, newlib's own allocator is never
 * linked.
 */
#include <errno.h>
#include <malloc.h>
#include <reent.h>
#include <stdlib.h>

#include <kernel/heap.h>
#include <kernel/mm.h>

static void *nomem_r(struct _reent *r, void *p)
{
	if (!p)
		r->_errno = ENOMEM;
	return p;
}

static int is_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

void *_malloc_r(struct _reent *r, size_t size)
{
	return nomem_r(r, heap_alloc(size));
}

void _free_r(struct _reent *r, void *p)
{
	(void)r;
	heap_free(p);
}

void *_calloc_r(struct _reent *r, size_t n, size_t size)
{
	return nomem_r(r, heap_calloc(n, size));
}

void *_realloc_r(struct _reent *r, void *p, size_t size)
{
	void *q = heap_realloc(p, size);

	/* realloc(p, 0) frees p and returns NULL: not an error. */
	return p && size == 0 ? q : nomem_r(r, q);
}

void *_memalign_r(struct _reent *r, size_t align, size_t size)
{
	if (!is_pow2(align)) {
		r->_errno = EINVAL;
		return NULL;
	}
	return nomem_r(r, heap_alloc_aligned(align, size));
}

void *_valloc_r(struct _reent *r, size_t size)
{
	return _memalign_r(r, PAGE_SIZE, size);
}

void *_pvalloc_r(struct _reent *r, size_t size)
{
	if (size > SIZE_MAX - PAGE_SIZE) {
		r->_errno = ENOMEM;
		return NULL;
	}
	return _memalign_r(r, PAGE_SIZE, ALIGN_UP(size, PAGE_SIZE));
}

size_t _malloc_usable_size_r(struct _reent *r, void *p)
{
	(void)r;
	return heap_usable_size(p);
}

struct mallinfo _mallinfo_r(struct _reent *r)
{
	(void)r;
	return mallinfo();
}

void _malloc_stats_r(struct _reent *r)
{
	(void)r;
	malloc_stats();
}

int _mallopt_r(struct _reent *r, int param, int value)
{
	(void)r;
	return mallopt(param, value);
}

int _malloc_trim_r(struct _reent *r, size_t pad)
{
	(void)r;
	return malloc_trim(pad);
}
