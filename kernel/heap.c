// SPDX-License-Identifier: MIT
/*
 * The heap: size-class spans, per-P caches, central lists and large objects
 * (kernel/include/kernel/heap.h has the model, the context rules and the
 * lock order). Go's runtime/malloc.go, mcache.go and mcentral.go are the
 * shape; since free() is explicit, objects go back one by one, as in
 * tcmalloc, instead of being swept.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <arch.h>
#include <kernel/heap.h>
#include <kernel/mm.h>
#include <kernel/panic.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <kernel/types.h>

#include "heap_sizeclasses.h"

_Static_assert(HEAP_LARGE_MIN == HEAP_SMALL_MAX + 1, "heap.h and the class table disagree");

/*
 * AddressSanitizer (hosted SANITIZE=asan): a free object, and the part of a
 * span not carved yet, is poisoned, so that a use after free (or an
 * overflow into a free neighbour) is reported. The heap reads and writes
 * the free-list link inside poisoned objects through link_get/link_set,
 * which are not instrumented.
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define NO_ASAN __attribute__((no_sanitize_address))
#define poison(p, n) __asan_poison_memory_region((p), (n))
#define unpoison(p, n) __asan_unpoison_memory_region((p), (n))
#define is_poisoned(p) __asan_address_is_poisoned(p)
#else
#define NO_ASAN
#define poison(p, n) ((void)(p), (void)(n))
#define unpoison(p, n) ((void)(p), (void)(n))
#define is_poisoned(p) ((void)(p), 0)
#endif

/*
 * A run of pages: a small span carved into objects of one class, or one
 * large object. Each page's mm_page_owner word points here (only the first
 * page's, for a large object).
 */
struct span {
	struct span *next, *prev; /* its class's partial list; the free structs */
	uintptr_t base;
	size_t npages;
	void *freelist; /* objects given back to the span */
	/* The class's object size, divmagic and objects per span (0 for a
	 * large object), copied from the tables so that free() checks a
	 * pointer with the span's cache line alone. */
	uint32_t size, divmagic;
	uint16_t nelems;
	uint16_t ncarved; /* objects [0, ncarved) were ever handed out */
	uint16_t nalloc; /* objects out of the span: live or in a cache */
	uint8_t cls; /* 0: a large object */
	bool listed; /* on the partial list: has objects to hand out */
	bool boot; /* from the boot arena: its pages are never given back */
};

_Static_assert(sizeof(struct span) <= 64, "a span structure should fit one cache line");

/* A class's central list (Go's mcentral). */
struct central {
	spinlock_t lock;
	struct span *partial; /* spans with objects to hand out */
	unsigned int nempty; /* of them, spans with every object back (not boot) */
	/* Objects out of this class's spans, live or in a cache; written
	 * under the lock, read without it by heap_in_use_bytes. */
	uint64_t nout;
} __attribute__((aligned(64)));

/*
 * A P's cache (Go's mcache): touched only by the CPU that owns the P, with
 * interrupts masked. n is also read by heap_in_use_bytes from other CPUs:
 * the owner stores it with relaxed atomic stores (plain moves), never a
 * read-modify-write.
 */
struct cache_list {
	void *head;
	unsigned int n;
};

/* Aligned to a power of two at least its size, so that finding a P's
 * cache is a shift, not a multiplication. */
struct heap_cache {
	struct cache_list list[HEAP_NCLASSES];
} __attribute__((aligned(1024)));

_Static_assert(sizeof(struct heap_cache) == 1024, "struct heap_cache grew: raise its alignment");

static struct central centrals[HEAP_NCLASSES];
static struct heap_cache caches[MAX_CPUS];

/*
 * heap_in_use is not counted on the fast path: live small objects are
 * those out of their spans (central.nout) and not in a cache (the lists'
 * n), both of which the heap keeps anyway. Large objects are counted here
 * (slow path only: an atomic is fine).
 */
static int64_t large_in_use;
/* Pages the heap holds, in bytes. */
static uint64_t sys_bytes;

/* Span structures (Go's fixalloc): carved from whole pages, never given
 * back, reused through a free list. */
static spinlock_t spanpool_lock;
static struct span *spanpool;

/*
 * Pages before the page allocator is up: kernel_main's first steps and, on
 * hosted, the C library before main. A bump allocator over a static arena;
 * its spans keep their pages for ever.
 */
#define BOOT_ARENA_PAGES 32
static char boot_arena[BOOT_ARENA_PAGES * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static struct span *boot_owner[BOOT_ARENA_PAGES];
static size_t boot_used; /* pages */
static spinlock_t boot_lock;

/* ---- small helpers ---- */

static NO_ASAN void *link_get(void *obj)
{
	return *(void **)obj;
}

static NO_ASAN void link_set(void *obj, void *next)
{
	*(void **)obj = next;
}

static inline unsigned int size_class(size_t size)
{
	if (size <= HEAP_SMALL_SIZE_MAX)
		return heap_size_to_class16[(size + 15) >> 4];
	return heap_size_to_class128[(size - HEAP_SMALL_SIZE_MAX + HEAP_LARGE_SIZE_DIV - 1) /
				     HEAP_LARGE_SIZE_DIV];
}

/* This CPU's cache, or NULL without a P. Interrupts masked. Every CPU
 * has its struct cpu (arch_cpu_set_self) before it first allocates: the
 * boot CPU from sched_early_init, the first call of kernel_main; so with
 * per-CPU ops there is no NULL CPU to test for. */
static inline struct heap_cache *this_cache(void)
{
#ifdef ARCH_HAS_CPU_OPS
	return arch_cpu_load(mcache);
#else
	struct cpu *c = this_cpu();

	return likely(c) ? c->mcache : NULL;
#endif
}

void heap_cache_attach(struct cpu *c)
{
	c->mcache = c->p ? &caches[c->p->id] : NULL;
}

/* Set a cache list's count (see struct cache_list). Interrupts masked. */
static inline void list_set_n(struct cache_list *l, unsigned int n)
{
	__atomic_store_n(&l->n, n, __ATOMIC_RELAXED);
}

/* Count objects out of c's spans. c->lock held. */
static inline void central_count_out(struct central *c, int64_t delta)
{
	__atomic_store_n(&c->nout, c->nout + (uint64_t)delta, __ATOMIC_RELAXED);
}

static inline bool in_boot_arena(uintptr_t a)
{
	return a - (uintptr_t)boot_arena < sizeof(boot_arena);
}

/* The span an address belongs to, or NULL when it is none of the heap's. */
static inline struct span *span_of(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	void **w = mm_page_owner(mm_pa(p));
	uintptr_t v = w ? (uintptr_t)__atomic_load_n(w, __ATOMIC_RELAXED) : 0;

	/* Odd values are the page allocator's own tags (free, not RAM). The
	 * boot arena lies outside the RAM the page allocator manages, so its
	 * pages never have a span there: it is looked at second, off the
	 * common path. */
	if (likely(v && !(v & 3)))
		return (struct span *)v;
	if (unlikely(in_boot_arena(a)))
		return boot_owner[(a - (uintptr_t)boot_arena) >> PAGE_SHIFT];
	return NULL;
}

static __noreturn void bad_pointer(const char *what, const void *p)
{
	panic("heap: %s(%p): not an object from malloc (freed already, from elsewhere, or a "
	      "pointer inside one)",
	      what, p);
}

/* The span of object p, checked to be an object's start. Inline: it is
 * most of free(). */
static inline __attribute__((always_inline)) struct span *span_of_object(const char *what,
									 const void *p)
{
	struct span *s = span_of(p);

	if (unlikely(!s))
		bad_pointer(what, p);
	uintptr_t off = (uintptr_t)p - s->base;

	if (s->cls == 0) {
		if (unlikely(off != 0))
			bad_pointer(what, p);
		return s;
	}
	uint32_t idx = (uint32_t)(((uint64_t)off * s->divmagic) >> 32);

	if (unlikely((uintptr_t)idx * s->size != off || idx >= s->nelems))
		bad_pointer(what, p);
	return s;
}

/* ---- pages ---- */

static bool pages_ready(void)
{
	return mm_total_bytes() != 0;
}

/* `npages` pages from the page allocator, or the boot arena before it is
 * up; 0 when there are none. */
static uintptr_t pages_get(size_t npages, bool *boot)
{
	*boot = !pages_ready();
	if (!*boot) {
		paddr_t pa = mm_pages_alloc(npages);

		if (pa)
			__atomic_fetch_add(&sys_bytes, npages * PAGE_SIZE, __ATOMIC_RELAXED);
		return pa ? (uintptr_t)mm_va(pa) : 0;
	}

	unsigned long flags = spin_lock_irqsave(&boot_lock);
	uintptr_t va = 0;

	if (npages <= BOOT_ARENA_PAGES - boot_used) {
		va = (uintptr_t)boot_arena + boot_used * PAGE_SIZE;
		boot_used += npages;
		__atomic_fetch_add(&sys_bytes, npages * PAGE_SIZE, __ATOMIC_RELAXED);
	}
	spin_unlock_irqrestore(&boot_lock, flags);
	return va;
}

static void pages_put(uintptr_t va, size_t npages)
{
	mm_pages_free(mm_pa((void *)va), npages);
	__atomic_fetch_sub(&sys_bytes, npages * PAGE_SIZE, __ATOMIC_RELAXED);
}

/* Point the owner word of `npages` pages from s->base at `owner`. */
static void set_owner(struct span *s, size_t npages, struct span *owner)
{
	for (size_t i = 0; i < npages; i++) {
		uintptr_t va = s->base + i * PAGE_SIZE;

		if (s->boot)
			boot_owner[(va - (uintptr_t)boot_arena) >> PAGE_SHIFT] = owner;
		else
			__atomic_store_n(mm_page_owner(mm_pa((void *)va)), (void *)owner,
					 __ATOMIC_RELAXED);
	}
}

/* ---- span structures ---- */

static struct span *span_struct_alloc(void)
{
	unsigned long flags = spin_lock_irqsave(&spanpool_lock);

	if (!spanpool) {
		bool boot;
		struct span *page = (struct span *)pages_get(1, &boot);

		for (size_t i = 0; page && i < PAGE_SIZE / sizeof(*page); i++) {
			page[i].next = spanpool;
			spanpool = &page[i];
		}
	}
	struct span *s = spanpool;

	if (s)
		spanpool = s->next;
	spin_unlock_irqrestore(&spanpool_lock, flags);
	if (s)
		memset(s, 0, sizeof(*s));
	return s;
}

static void span_struct_free(struct span *s)
{
	unsigned long flags = spin_lock_irqsave(&spanpool_lock);

	s->next = spanpool;
	spanpool = s;
	spin_unlock_irqrestore(&spanpool_lock, flags);
}

/* ---- central lists (Go's mcentral) ---- */

static void partial_add(struct central *c, struct span *s)
{
	s->prev = NULL;
	s->next = c->partial;
	if (c->partial)
		c->partial->prev = s;
	c->partial = s;
	s->listed = true;
}

static void partial_del(struct central *c, struct span *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->listed = false;
}

/* A new span of class cls, every object free and poisoned; NULL when out
 * of pages. */
static struct span *span_new(unsigned int cls)
{
	struct span *s = span_struct_alloc();
	size_t npages = heap_class_npages[cls];

	if (!s)
		return NULL;
	s->base = pages_get(npages, &s->boot);
	if (!s->base) {
		span_struct_free(s);
		return NULL;
	}
	s->npages = npages;
	s->cls = (uint8_t)cls;
	s->size = heap_class_size[cls];
	s->divmagic = heap_class_divmagic[cls];
	s->nelems = heap_class_nelems[cls];
	set_owner(s, npages, s);
	poison((void *)s->base, npages * PAGE_SIZE);
	return s;
}

/* Give a span's pages back (its objects are all free). */
static void span_release(struct span *s)
{
	set_owner(s, s->npages, NULL);
	unpoison((void *)s->base, s->npages * PAGE_SIZE); /* the page allocator writes there */
	pages_put(s->base, s->npages);
	span_struct_free(s);
}

/* Take up to `want` objects off c's spans onto the chain *head; returns
 * how many. c->lock held. */
static unsigned int central_take(struct central *c, unsigned int cls, unsigned int want,
				 void **head)
{
	uint32_t size = heap_class_size[cls];
	uint16_t nelems = heap_class_nelems[cls];
	unsigned int n = 0;
	struct span *s;

	while (n < want && (s = c->partial)) {
		if (s->nalloc == 0 && !s->boot)
			c->nempty--;
		while (n < want) {
			void *obj = s->freelist;

			if (obj)
				s->freelist = link_get(obj);
			else if (s->ncarved < nelems)
				obj = (void *)(s->base + (uintptr_t)s->ncarved++ * size);
			else
				break;
			link_set(obj, *head);
			*head = obj;
			s->nalloc++;
			n++;
		}
		if (!s->freelist && s->ncarved == nelems)
			partial_del(c, s); /* full: back on the list when an object returns */
	}
	central_count_out(c, n);
	return n;
}

/* Up to `want` objects of class cls onto *head (at least one unless out of
 * memory); returns how many. Interrupts masked. */
static unsigned int central_get(unsigned int cls, unsigned int want, void **head)
{
	struct central *c = &centrals[cls];
	unsigned int n;

	spin_acquire(&c->lock);
	n = central_take(c, cls, want, head);
	spin_release(&c->lock);
	if (n)
		return n;

	/* Pages are allocated without the central lock held. */
	struct span *s = span_new(cls);

	if (!s)
		return 0;
	spin_acquire(&c->lock);
	partial_add(c, s);
	if (!s->boot)
		c->nempty++; /* every object is free: central_take counts it out */
	n = central_take(c, cls, want, head);
	spin_release(&c->lock);
	return n;
}

/* Give the chain `head` of objects of class cls back to their spans. A span
 * whose objects are all back returns its pages, except one per class, kept
 * so that a class used by one object at a time does not take and return
 * pages on every call. Interrupts masked. */
static void central_put(unsigned int cls, void *head)
{
	struct central *c = &centrals[cls];
	struct span *release = NULL;
	int64_t n = 0;

	spin_acquire(&c->lock);
	while (head) {
		void *obj = head;
		struct span *s = span_of(obj);

		n++;
		head = link_get(obj);
		link_set(obj, s->freelist);
		s->freelist = obj;
		if (!s->listed)
			partial_add(c, s);
		if (--s->nalloc)
			continue;
		if (s->boot || !c->nempty) {
			/* Keep it, carved afresh on next use. */
			if (!s->boot)
				c->nempty++;
			s->freelist = NULL;
			s->ncarved = 0;
		} else {
			partial_del(c, s);
			s->next = release;
			release = s;
		}
	}
	central_count_out(c, -n);
	spin_release(&c->lock);
	while (release) {
		struct span *s = release;

		release = s->next;
		span_release(s);
	}
}

/* Return every fully free span of class cls, the one kept included.
 * Interrupts masked. */
static void central_trim(unsigned int cls)
{
	struct central *c = &centrals[cls];
	struct span *release = NULL, *s, *next;

	spin_acquire(&c->lock);
	for (s = c->partial; s; s = next) {
		next = s->next;
		if (s->nalloc || s->boot)
			continue;
		partial_del(c, s);
		c->nempty--;
		s->next = release;
		release = s;
	}
	spin_release(&c->lock);
	for (s = release; s; s = next) {
		next = s->next;
		span_release(s);
	}
}

/* ---- per-P caches (Go's mcache) ---- */

/* Move `n` objects from the head of l to the central list. Interrupts
 * masked. */
static __attribute__((noinline)) void cache_drain(struct cache_list *l, unsigned int cls,
						  unsigned int n)
{
	void *head = l->head, *last = head;

	for (unsigned int i = 1; i < n; i++)
		last = link_get(last);
	l->head = link_get(last);
	list_set_n(l, l->n - n);
	link_set(last, NULL);
	central_put(cls, head);
}

void heap_release(void)
{
	unsigned long flags = arch_irq_save();
	struct heap_cache *hc = this_cache();

	for (unsigned int cls = 1; cls < HEAP_NCLASSES; cls++) {
		if (hc && hc->list[cls].n)
			cache_drain(&hc->list[cls], cls, hc->list[cls].n);
		central_trim(cls);
	}
	arch_irq_restore(flags);
}

/* ---- small objects ---- */

/* An object of class cls when this CPU's cache has none for it: refill
 * the cache from the central list (or, without a P, take one object from
 * it). */
static __attribute__((noinline)) void *small_alloc_slow(unsigned int cls)
{
	uint32_t size = heap_class_size[cls];

	for (int attempt = 0; attempt < 2; attempt++) {
		unsigned long flags = arch_irq_save();
		struct heap_cache *hc = this_cache();
		void *obj = NULL;

		if (hc) {
			struct cache_list *l = &hc->list[cls];

			/* A task switch since the fast path may have brought
			 * us to a CPU whose cache has some. */
			if (!l->head)
				list_set_n(l, central_get(cls, heap_class_batch[cls], &l->head));
			if ((obj = l->head)) {
				l->head = link_get(obj);
				list_set_n(l, l->n - 1);
			}
		} else {
			central_get(cls, 1, &obj);
		}
		arch_irq_restore(flags);
		if (obj) {
			unpoison(obj, size);
			return obj;
		}
		if (attempt == 0)
			heap_release(); /* objects cached here may free whole spans */
	}
	return NULL;
}

static inline __attribute__((always_inline)) void *small_alloc(unsigned int cls)
{
	unsigned long flags = arch_irq_save();
	struct heap_cache *hc = this_cache();

	if (likely(hc)) {
		struct cache_list *l = &hc->list[cls];
		void *obj = l->head;

		if (likely(obj)) {
			l->head = link_get(obj);
			list_set_n(l, l->n - 1);
			arch_irq_restore(flags);
			unpoison(obj, heap_class_size[cls]);
			return obj;
		}
	}
	arch_irq_restore(flags);
	return small_alloc_slow(cls);
}

static inline __attribute__((always_inline)) void small_free(void *p, unsigned int cls)
{
	uint32_t size = heap_class_size[cls];

	if (is_poisoned(p))
		panic("heap: free(%p): freed twice", p);
	poison(p, size);

	unsigned long flags = arch_irq_save();
	struct heap_cache *hc = this_cache();

	if (likely(hc)) {
		struct cache_list *l = &hc->list[cls];
		unsigned int n = l->n + 1;

		link_set(p, l->head);
		l->head = p;
		list_set_n(l, n);
		/* Keep at most two batches: one to hand out, one to absorb
		 * frees, so that alternating around the limit never moves
		 * objects back and forth. */
		if (unlikely(n >= 2u * heap_class_batch[cls]))
			cache_drain(l, cls, heap_class_batch[cls]);
	} else {
		link_set(p, NULL);
		central_put(cls, p);
	}
	arch_irq_restore(flags);
}

/* ---- large objects ---- */

/* At least `size` bytes of whole pages at a multiple of `align` (a power
 * of two, at least PAGE_SIZE). */
static void *large_alloc(size_t size, size_t align)
{
	if (size > SIZE_MAX / 2 || align > SIZE_MAX / 4)
		return NULL; /* more than any address space holds */
	size_t npages = MAX(ALIGN_UP(size, PAGE_SIZE) >> PAGE_SHIFT, (size_t)1);
	size_t extra = align / PAGE_SIZE - 1;
	struct span *s = span_struct_alloc();
	uintptr_t base = 0;

	if (!s)
		return NULL;
	for (int attempt = 0; attempt < 2 && !base; attempt++) {
		base = pages_get(npages + extra, &s->boot);
		if (!base && attempt == 0)
			heap_release();
	}
	if (!base) {
		span_struct_free(s);
		return NULL;
	}
	s->base = ALIGN_UP(base, align);
	if (extra && !s->boot) {
		/* Trim to the aligned run: any page-aligned subrange may go
		 * back on its own. */
		size_t head = (s->base - base) >> PAGE_SHIFT;

		if (head)
			pages_put(base, head);
		if (extra - head)
			pages_put(s->base + npages * PAGE_SIZE, extra - head);
	}
	s->npages = npages;
	set_owner(s, 1, s);
	__atomic_fetch_add(&large_in_use, (int64_t)(npages * PAGE_SIZE), __ATOMIC_RELAXED);
	return (void *)s->base;
}

/* Give back the pages of large object s from page `keep` on. */
static void large_shrink(struct span *s, size_t keep)
{
	__atomic_fetch_sub(&large_in_use, (int64_t)((s->npages - keep) * PAGE_SIZE),
			   __ATOMIC_RELAXED);
	if (keep == 0)
		set_owner(s, 1, NULL);
	if (!s->boot) /* boot arena pages stay where they are */
		pages_put(s->base + keep * PAGE_SIZE, s->npages - keep);
	s->npages = keep;
	if (keep == 0)
		span_struct_free(s);
}

/* ---- the API ---- */

void *heap_alloc(size_t size)
{
	if (likely(size <= HEAP_SMALL_MAX))
		return small_alloc(size_class(size));
	return large_alloc(size, PAGE_SIZE);
}

/* heap_free's body, inlined there and into heap_realloc: a separate
 * function that heap_free merely called would cost free() one more call. */
static inline __attribute__((always_inline)) void free_object(void *p)
{
	struct span *s = span_of_object("free", p);

	if (likely(s->cls))
		small_free(p, s->cls);
	else
		large_shrink(s, 0);
}

void heap_free(void *p)
{
	if (likely(p))
		free_object(p);
}

void *heap_calloc(size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	void *p = heap_alloc(bytes);

	if (p)
		memset(p, 0, bytes);
	return p;
}

static size_t usable(const struct span *s)
{
	return s->cls ? heap_class_size[s->cls] : s->npages * PAGE_SIZE;
}

size_t heap_usable_size(const void *p)
{
	return p ? usable(span_of_object("malloc_usable_size", p)) : 0;
}

void *heap_realloc(void *p, size_t size)
{
	if (!p)
		return heap_alloc(size);
	if (size == 0) {
		free_object(p);
		return NULL;
	}
	struct span *s = span_of_object("realloc", p);
	size_t have = usable(s);

	/* Stay in place when the object is big enough and would not be more
	 * than twice the size needed. */
	if (size <= have) {
		if (s->cls && (size > have / 2 || size_class(size) == s->cls))
			return p;
		if (!s->cls && size > HEAP_SMALL_MAX) {
			size_t keep = ALIGN_UP(size, PAGE_SIZE) >> PAGE_SHIFT;

			if (keep < s->npages)
				large_shrink(s, keep);
			return p;
		}
	}
	void *q = heap_alloc(size);

	if (!q)
		return NULL;
	memcpy(q, p, MIN(size, have));
	free_object(p);
	return q;
}

void *heap_alloc_aligned(size_t align, size_t size)
{
	if (align == 0 || (align & (align - 1)))
		return NULL;
	if (align <= HEAP_MIN_ALIGN)
		return heap_alloc(size);
	/* Spans start on a page, so objects of a class whose size is a
	 * multiple of align are all aligned. */
	if (align <= PAGE_SIZE && size <= HEAP_SMALL_MAX) {
		size_t rounded = ALIGN_UP(size, align);

		for (unsigned int cls = rounded <= HEAP_SMALL_MAX ? size_class(rounded) :
								    HEAP_NCLASSES;
		     cls < HEAP_NCLASSES; cls++)
			if (heap_class_size[cls] % align == 0)
				return small_alloc(cls);
	}
	return large_alloc(size, MAX(align, PAGE_SIZE));
}

uint64_t heap_in_use_bytes(void)
{
	int64_t sum = __atomic_load_n(&large_in_use, __ATOMIC_RELAXED);

	for (unsigned int cls = 1; cls < HEAP_NCLASSES; cls++) {
		int64_t live = (int64_t)__atomic_load_n(&centrals[cls].nout, __ATOMIC_RELAXED);

		for (unsigned int i = 0; i < MAX_CPUS; i++)
			live -= __atomic_load_n(&caches[i].list[cls].n, __ATOMIC_RELAXED);
		sum += live * (int64_t)heap_class_size[cls];
	}
	return sum > 0 ? (uint64_t)sum : 0;
}

uint64_t heap_sys_bytes(void)
{
	return __atomic_load_n(&sys_bytes, __ATOMIC_RELAXED);
}
