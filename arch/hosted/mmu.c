// SPDX-License-Identifier: MIT
/*
 * hosted: the stack region, emulated with the host's virtual memory.
 *
 * The region is one anonymous mapping, reserved but not committed
 * (MAP_NORESERVE). A stack slot's pages carry guard markers
 * (MADV_GUARD_INSTALL, Linux 6.13) until arch_mmu_map removes them, so an
 * access to a page the kernel has not mapped raises SIGSEGV, which trap.c
 * hands to kernel_page_fault, as a page fault would on bare metal. Guard
 * markers live in the host's page tables, not in VMAs: one mprotect'ed
 * range per stack would split the mapping into two VMAs per task and hit
 * the host's vm.max_map_count (65530) long before 100 000 tasks. On a host
 * without them, mprotect stands in, with that limit.
 *
 * `pte` records what each page maps: the "physical" page is the arena page
 * that kernel/page.c handed out, which accounts for the memory; the bytes
 * themselves are the host's anonymous page at the stack address, returned
 * to the host (MADV_DONTNEED) on unmap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include <arch.h>
#include <kernel/mm.h>
#include <kernel/panic.h>
#include <kernel/sched.h>
#include <kernel/stack.h>
#include "hosted.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE 103
#endif

#define REGION_SIZE (256ull << 30)

static vaddr_t region;
static paddr_t *pte; /* pte[(va - region) >> PAGE_SHIFT] */
static bool have_guards;

#ifdef __SANITIZE_ADDRESS__
/*
 * LeakSanitizer checks at exit, after the atexit handler below. It scans the
 * CPU threads' own stacks, not the tasks' stacks in this region, where a
 * parked task may hold the only pointer to a block (lwIP's task, with a
 * message it has taken but not handled yet). So the handler shows it each
 * live task's stack, mapped pages only: a guard marker leaves no trace in
 * /proc/self/maps, and LeakSanitizer would fault on it.
 */
static void lsan_show_mapped(const void *lo, size_t size)
{
	vaddr_t va = (vaddr_t)lo & ~(vaddr_t)(PAGE_SIZE - 1), end = (vaddr_t)lo + size, run = 0;

	for (; va < end; va += PAGE_SIZE) {
		bool mapped = __atomic_load_n(&pte[(va - region) >> PAGE_SHIFT], __ATOMIC_ACQUIRE);

		if (mapped && !run)
			run = va;
		if (!mapped && run) {
			__lsan_register_root_region((void *)run, va - run);
			run = 0;
		}
	}
	if (run)
		__lsan_register_root_region((void *)run, end - run);
}

static void lsan_show_task_stacks(void)
{
	task_for_each_stack(lsan_show_mapped);
}
#endif

void arch_mmu_init(const struct boot_info *bi)
{
	(void)bi;
	void *p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	void *t = mmap(NULL, (REGION_SIZE >> PAGE_SHIFT) * sizeof(*pte), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED || t == MAP_FAILED)
		panic("hosted: cannot reserve %llu GiB of address space for stacks (%s)",
		      REGION_SIZE >> 30, strerror(errno));
	region = (vaddr_t)p;
	pte = t;
	/* Probe for guard markers on the region's first page. */
	have_guards = madvise(p, PAGE_SIZE, MADV_GUARD_INSTALL) == 0;
	if (!have_guards && mprotect(p, REGION_SIZE, PROT_NONE) < 0)
		panic("hosted: cannot protect the stack region (%s)", strerror(errno));
#ifdef __SANITIZE_ADDRESS__
	atexit(lsan_show_task_stacks);
#endif
}

void arch_mmu_stack_region(vaddr_t *base, size_t *size)
{
	*base = region;
	*size = REGION_SIZE;
}

void arch_mmu_reserve(vaddr_t va, size_t size)
{
#ifdef __SANITIZE_THREAD__
	/*
	 * TSan's runtime runs on the task's stack and is not reentrant: a
	 * stack fault inside it would enter our (instrumented) SIGSEGV
	 * handler with the runtime's locks held. So under TSan only the
	 * slot's first STACK_GUARD bytes (its guard, but for a page at most)
	 * fault; the host backs the rest silently, and stack_in_use does not
	 * see the stack grow.
	 */
	size = MIN(size, (size_t)STACK_GUARD);
#endif
	/* Fresh pages of the region are already PROT_NONE without guards. */
	if (have_guards && madvise((void *)va, size, MADV_GUARD_INSTALL) < 0)
		panic("hosted: madvise(MADV_GUARD_INSTALL) of a stack failed (%s)",
		      strerror(errno));
}

int arch_mmu_map(vaddr_t va, paddr_t pa, bool atomic)
{
	paddr_t none = 0;
	paddr_t *e = &pte[(va - region) >> PAGE_SHIFT];
	int err;

	(void)atomic;
	if (!__atomic_compare_exchange_n(e, &none, pa, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return -EEXIST;
	if (have_guards)
		err = madvise((void *)va, PAGE_SIZE, MADV_GUARD_REMOVE);
	else
		err = mprotect((void *)va, PAGE_SIZE, PROT_READ | PROT_WRITE);
	if (err < 0) {
		/* mprotect: out of the host's VMAs (vm.max_map_count). */
		__atomic_store_n(e, 0, __ATOMIC_RELEASE);
		return -ENOMEM;
	}
	return 0;
}

void arch_mmu_unmap(vaddr_t va, size_t npages, paddr_t *pa)
{
	for (size_t i = 0; i < npages; i++)
		pa[i] = __atomic_exchange_n(&pte[((va - region) >> PAGE_SHIFT) + i], 0,
					    __ATOMIC_ACQ_REL);
	/* The host does the shootdown. */
	if (madvise((void *)va, npages * PAGE_SIZE, MADV_DONTNEED) < 0 ||
	    (have_guards ? madvise((void *)va, npages * PAGE_SIZE, MADV_GUARD_INSTALL) :
			   mprotect((void *)va, npages * PAGE_SIZE, PROT_NONE)) < 0)
		panic("hosted: cannot unmap %zu stack pages at %p (%s)", npages, (void *)va,
		      strerror(errno));
}

int arch_mmu_map_device(paddr_t pa, size_t size)
{
	(void)pa;
	(void)size;
	return -ENODEV; /* a process has no device registers */
}

bool hosted_in_stack_region(uintptr_t addr)
{
	return region && addr - region < REGION_SIZE;
}

/* The host's munmap-style calls are synchronous: nothing to defer. */
void arch_mmu_unmap_nosync(vaddr_t va, size_t npages, paddr_t *pa)
{
	arch_mmu_unmap(va, npages, pa);
}

void arch_mmu_unmap_sync(void)
{
}
