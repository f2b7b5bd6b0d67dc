// SPDX-License-Identifier: MIT
/*
 * The kernel's page tables: what is mapped and with which permissions, the
 * stack region (map, unmap, table reclaim, shootdowns to every CPU) and the
 * guarded exception and trap stacks. The x86_fault suite makes the image
 * fault on purpose, so each of its tests runs only when named in full on
 * the command line, one per boot:
 *   make ARCH=x86_64 APP=tests run ARGS="-- x86_fault.write_text"
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <weft.h>

#include <arch.h>
#include <arch/x86.h>
#include <drivers/lapic.h>
#include <kernel/bootargs.h>
#include <kernel/boot_info.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/test.h>
#include <kernel/time.h>
#include "../x86_64.h"

static int writable_data = 1;
static const char readonly_data[] = "weft";

__attribute__((noinline)) static int code_probe(int x)
{
	return x + writable_data;
}

TEST(mmu, null_page_is_unmapped)
{
	uint64_t size;

	EXPECT_UEQ(x86_mmu_lookup(0, &size), 0);
	EXPECT_UEQ(size, 0);
	/* The page after it is ordinary RAM. */
	EXPECT_TRUE(x86_mmu_lookup(4096, &size) & PTE_P);
}

TEST(mmu, image_is_never_writable_and_executable)
{
	uint64_t size;
	uint64_t text = x86_mmu_lookup((uintptr_t)&code_probe, &size);
	uint64_t ro = x86_mmu_lookup((uintptr_t)readonly_data, &size);
	uint64_t rw = x86_mmu_lookup((uintptr_t)&writable_data, &size);

	ASSERT_EQ(code_probe(1), 2);
	EXPECT_TRUE(text & PTE_P);
	EXPECT_FALSE(text & PTE_W);
	EXPECT_FALSE(text & PTE_NX);
	EXPECT_TRUE(ro & PTE_P);
	EXPECT_FALSE(ro & PTE_W);
	EXPECT_TRUE(ro & PTE_NX);
	EXPECT_TRUE(rw & PTE_W);
	EXPECT_TRUE(rw & PTE_NX);
	/* The stack this runs on, like all RAM, is data. */
	EXPECT_TRUE(x86_mmu_lookup((uintptr_t)&size, &size) & PTE_NX);
}

/* No page anywhere in the image is both writable and executable. */
TEST(mmu, no_page_of_the_image_is_writable_and_executable)
{
	extern const char __executable_start[], _end[];
	unsigned int wx = 0, x = 0;

	for (uintptr_t va = (uintptr_t)__executable_start; va < (uintptr_t)_end; va += PAGE_SIZE) {
		uint64_t size, e = x86_mmu_lookup(va, &size);

		EXPECT_UEQ(size, PAGE_SIZE); /* split to section boundaries */
		x += (e & PTE_P) && !(e & PTE_NX);
		wx += (e & PTE_P) && (e & PTE_W) && !(e & PTE_NX);
	}
	EXPECT_UEQ(wx, 0);
	EXPECT_GT(x, 0);
}

TEST(mmu, local_apic_is_uncached)
{
	uint64_t size;
	uint64_t pte = x86_mmu_lookup(lapic_mmio_base(), &size);

	if (!lapic_mmio_base())
		return; /* x2APIC mode: no MMIO */
	EXPECT_TRUE(pte & PTE_P);
	EXPECT_TRUE(pte & PTE_PCD);
	EXPECT_TRUE(pte & PTE_NX);
}

TEST(mmu, map_device_maps_uncached_nx)
{
	uint64_t size, e, p;

	/* A page in the PCI hole below 4 GiB that nothing maps, between
	 * two that nothing maps either. */
	for (p = 0xc0000000; p < 0xfec00000; p += PAGE_SIZE)
		if (!x86_mmu_lookup(p - PAGE_SIZE, &size) && !x86_mmu_lookup(p, &size) &&
		    !x86_mmu_lookup(p + PAGE_SIZE, &size))
			break;
	ASSERT_LT(p, 0xfec00000);
	EXPECT_EQ(arch_mmu_map_device(p + 16, 32), 0);
	e = x86_mmu_lookup(p, &size);
	EXPECT_TRUE(e & PTE_P);
	EXPECT_TRUE(e & PTE_W);
	EXPECT_TRUE(e & PTE_PCD);
	EXPECT_TRUE(e & PTE_NX);
	EXPECT_UEQ(e & 0x000ffffffffff000ull & ~(size - 1), p & ~(size - 1));
	EXPECT_UEQ(x86_mmu_lookup(p - PAGE_SIZE, &size), 0);
	EXPECT_UEQ(x86_mmu_lookup(p + PAGE_SIZE, &size), 0);
	/* Mapped already: nothing to do. */
	EXPECT_EQ(arch_mmu_map_device(p, PAGE_SIZE), 0);
	EXPECT_EQ(arch_mmu_map_device(1ull << 47, PAGE_SIZE), -EINVAL);
}

TEST(mmu, direct_map_is_rw_nx_with_large_pages)
{
	paddr_t pa = mm_pages_alloc(1);
	uint64_t size, e, largest = 0, big = 0;

	ASSERT_NE(pa, 0);
	e = x86_mmu_lookup(pa, &size);
	EXPECT_TRUE(e & PTE_P);
	EXPECT_TRUE(e & PTE_W);
	EXPECT_TRUE(e & PTE_NX);
	EXPECT_UEQ(e & 0x000ffffffffff000ull & ~(size - 1), pa & ~(size - 1)); /* VA = PA */
	mm_pages_free(pa, 1);

	/* The middle of the largest RAM range is in a 2 MiB or 1 GiB page. */
	for (unsigned int i = 0; i < boot.nmem; i++)
		if (boot.mem[i].size > largest) {
			largest = boot.mem[i].size;
			big = boot.mem[i].base + largest / 2;
		}
	ASSERT_GT(largest, 8ull << 20);
	e = x86_mmu_lookup(big, &size);
	EXPECT_TRUE(e & PTE_P);
	EXPECT_TRUE(e & PTE_NX);
	EXPECT_UGE(size, 2ull << 20);
}

/* A page nothing else uses: the last one of the stack region (stacks are
 * handed out from its start). */
static vaddr_t test_va(void)
{
	vaddr_t base;
	size_t size;

	arch_mmu_stack_region(&base, &size);
	return base + size - PAGE_SIZE;
}

TEST(mmu, stack_region_is_upper_half_and_empty)
{
	vaddr_t base;
	size_t size;
	uint64_t sz;

	arch_mmu_stack_region(&base, &size);
	EXPECT_UEQ(base, STACK_REGION_BASE);
	EXPECT_UEQ(size, 1ull << 40);
	EXPECT_UEQ(x86_mmu_lookup(test_va(), &sz), 0);
	EXPECT_UEQ(x86_mmu_lookup(base + size / 2, &sz), 0);
}

TEST(mmu, map_then_unmap_in_stack_region)
{
	vaddr_t va = test_va();
	uint64_t size, e;
	paddr_t pa = mm_page_alloc_zeroed(), other = mm_page_alloc_zeroed(), got[3] = { 1, 1, 1 };
	volatile uint32_t *p = (volatile uint32_t *)va;

	ASSERT_NE(pa, 0);
	ASSERT_NE(other, 0);
	ASSERT_EQ(x86_mmu_region_tables(va), 0);
	*(uint32_t *)mm_va(pa) = 0x5eed;
	preempt_disable();
	ASSERT_EQ(arch_mmu_map(va, pa, false), 0);
	EXPECT_EQ(arch_mmu_map(va, other, false), -EEXIST); /* changes nothing */
	preempt_enable();

	e = x86_mmu_lookup(va, &size);
	EXPECT_UEQ(size, PAGE_SIZE);
	EXPECT_UEQ(e & 0x000ffffffffff000ull, pa);
	EXPECT_TRUE(e & PTE_W);
	EXPECT_TRUE(e & PTE_NX);
	EXPECT_UEQ(*p, 0x5eed);
	*p = 0xcafe;
	EXPECT_UEQ(*(uint32_t *)mm_va(pa), 0xcafe);
	/* A PD and a PT were made for it. */
	EXPECT_EQ(x86_mmu_region_tables(va), 2);

	/* One page before it was never mapped: reported as 0. */
	arch_mmu_unmap(va - 2 * PAGE_SIZE, 3, got);
	EXPECT_UEQ(got[0], 0);
	EXPECT_UEQ(got[1], 0);
	EXPECT_UEQ(got[2], pa);
	EXPECT_UEQ(x86_mmu_lookup(va, &size), 0);
	/* The emptied tables went back. */
	EXPECT_EQ(x86_mmu_region_tables(va), 0);
	mm_pages_free(pa, 1);
	mm_pages_free(other, 1);
}

/* ---- every CPU drops its old translation (a shootdown test) ---- */

#define SD_READERS 6
#define SD_PAGES 3
#define SD_OLD 0x01d01d01d01dull
#define SD_NEW 0x2e02e02e02e0ull

static struct {
	volatile uint64_t *va[SD_PAGES];
	int npages;
	int phase; /* 1: read the old pages; 2: stay away; 3: read the new ones */
	bool sleep; /* stay away asleep, so that the CPUs halt */
	int saw_old, paused, saw_new;
	uint64_t cpus; /* CPUs that read the old pages */
	waitgroup_t wg;
} sd;

/* Whether every page reads `value` (plus its index). */
static bool sd_reads(uint64_t value)
{
	for (int i = 0; i < sd.npages; i++)
		if (*sd.va[i] != value + (uint64_t)i)
			return false;
	return true;
}

static void sd_reader(void *arg)
{
	bool counted = false;
	uint64_t end;

	(void)arg;
	while (__atomic_load_n(&sd.phase, __ATOMIC_ACQUIRE) == 1) {
		if (!sd_reads(SD_OLD))
			continue;
		__atomic_fetch_or(&sd.cpus, 1ull << arch_cpu_self()->idx, __ATOMIC_RELAXED);
		if (!counted)
			__atomic_fetch_add(&sd.saw_old, 1, __ATOMIC_RELEASE);
		counted = true;
	}
	__atomic_fetch_add(&sd.paused, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&sd.phase, __ATOMIC_ACQUIRE) == 2)
		if (sd.sleep)
			sleep_ns(1000 * 1000);
		else
			arch_cpu_relax();
	/* A CPU that kept an old translation would read SD_OLD for good. */
	end = now_ns() + 200 * 1000 * 1000;
	while (!sd_reads(SD_NEW) && now_ns() < end)
		arch_cpu_relax();
	if (sd_reads(SD_NEW))
		__atomic_fetch_add(&sd.saw_new, 1, __ATOMIC_RELAXED);
	wg_done(&sd.wg);
}

/* Page i of the test: the last page of the stack region, the page 2 MiB
 * below it (another page table) and the page 1 GiB below it (another
 * page directory too), so that a batch empties tables at both levels. */
static vaddr_t sd_va(int i)
{
	static const uint64_t below[SD_PAGES] = { 0, 2ull << 20, 1ull << 30 };

	return test_va() - below[i];
}

/*
 * Readers on several CPUs use `npages` pages; they are unmapped and others
 * mapped at the same addresses while the readers stay away, running or
 * halted (`sleep`); then every one of them must read the new pages. With
 * `batched` the unmaps are arch_mmu_unmap_nosync, one per page and one of
 * a page never mapped among them, and a single arch_mmu_unmap_sync.
 */
static void shootdown_test(int npages, bool sleep, bool batched)
{
	paddr_t old[SD_PAGES], new[SD_PAGES], got[SD_PAGES], none = 1;
	uint64_t end;

	for (int i = 0; i < npages; i++) {
		old[i] = mm_page_alloc_zeroed();
		new[i] = mm_page_alloc_zeroed();
		ASSERT_NE(old[i], 0);
		ASSERT_NE(new[i], 0);
		*(uint64_t *)mm_va(old[i]) = SD_OLD + (uint64_t)i;
		*(uint64_t *)mm_va(new[i]) = SD_NEW + (uint64_t)i;
		/* Page 1 shares page 0's page directory. */
		ASSERT_EQ(x86_mmu_region_tables(sd_va(i)), i == 1 ? 1 : 0);
		preempt_disable();
		ASSERT_EQ(arch_mmu_map(sd_va(i), old[i], false), 0);
		preempt_enable();
		sd.va[i] = (volatile uint64_t *)sd_va(i);
	}
	sd.npages = npages;
	sd.saw_old = sd.paused = sd.saw_new = 0;
	sd.sleep = sleep;
	sd.cpus = 0;
	__atomic_store_n(&sd.phase, 1, __ATOMIC_RELEASE);
	wg_add(&sd.wg, SD_READERS);
	for (int i = 0; i < SD_READERS; i++)
		ASSERT_GT(go(sd_reader, NULL), 0);

	/* Until the readers have spread over the CPUs and all read them. */
	end = now_ns() + 2000ull * 1000 * 1000;
	while (now_ns() < end &&
	       (__atomic_load_n(&sd.saw_old, __ATOMIC_ACQUIRE) < SD_READERS ||
		(unsigned int)__builtin_popcountll(__atomic_load_n(&sd.cpus, __ATOMIC_RELAXED)) <
			(unsigned int)MIN(num_cpu(), 3)))
		sleep_ns(1000 * 1000);
	__atomic_store_n(&sd.phase, 2, __ATOMIC_RELEASE);
	while (__atomic_load_n(&sd.paused, __ATOMIC_ACQUIRE) < SD_READERS)
		yield();

	if (batched) {
		for (int i = 0; i < npages; i++) {
			arch_mmu_unmap_nosync(sd_va(i), 1, &got[i]);
			if (i == 0)
				arch_mmu_unmap_nosync(sd_va(0) - PAGE_SIZE, 1, &none);
		}
		/* Cleared, but the tables wait for the sync. */
		EXPECT_UEQ(x86_mmu_region_tables(sd_va(0)), 0);
		arch_mmu_unmap_sync();
		EXPECT_UEQ(none, 0);
	} else {
		for (int i = 0; i < npages; i++)
			arch_mmu_unmap(sd_va(i), 1, &got[i]);
	}
	for (int i = 0; i < npages; i++) {
		EXPECT_UEQ(got[i], old[i]);
		preempt_disable();
		EXPECT_EQ(arch_mmu_map(sd_va(i), new[i], false), 0);
		preempt_enable();
	}
	__atomic_store_n(&sd.phase, 3, __ATOMIC_RELEASE);
	wg_wait(&sd.wg);

	if (num_cpu() > 1)
		EXPECT_GE(__builtin_popcountll(sd.cpus), 2);
	EXPECT_EQ(sd.saw_new, SD_READERS);
	for (int i = 0; i < npages; i++) {
		arch_mmu_unmap(sd_va(i), 1, &got[i]);
		EXPECT_UEQ(got[i], new[i]);
		mm_pages_free(old[i], 1);
		mm_pages_free(new[i], 1);
	}
	for (int i = 0; i < npages; i++)
		EXPECT_EQ(x86_mmu_region_tables(sd_va(i)), 0);
}

/* An IPI to each CPU that runs. */
TEST(mmu, unmap_shoots_down_running_cpus)
{
	shootdown_test(1, false, false);
}

/* A halted CPU flushes when it wakes up. */
TEST(mmu, unmap_shoots_down_halted_cpus)
{
	shootdown_test(1, true, false);
}

/* Several unmaps without a shootdown, then one for all of them. */
TEST(mmu, nosync_unmaps_then_sync_shoot_down_running_cpus)
{
	shootdown_test(SD_PAGES, false, true);
}

TEST(mmu, nosync_unmaps_then_sync_shoot_down_halted_cpus)
{
	shootdown_test(SD_PAGES, true, true);
}

/* ---- maps and unmaps on every CPU at once, in one page table ---- */

#define CHURN_TASKS 8
#define CHURN_PAGES 16
#define CHURN_ROUNDS 50

static struct {
	vaddr_t base;
	bool batched; /* unmap page by page with nosync, then sync */
	int errors;
	waitgroup_t wg;
} churn;

static void churn_task(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	vaddr_t va = churn.base + id * CHURN_PAGES * PAGE_SIZE;
	paddr_t pa[CHURN_PAGES], got[CHURN_PAGES];
	int errors = 0;

	for (int r = 0; r < CHURN_ROUNDS; r++) {
		for (int i = 0; i < CHURN_PAGES; i++) {
			pa[i] = mm_pages_alloc(1);
			if (!pa[i]) {
				errors++;
				continue;
			}
			preempt_disable();
			errors += arch_mmu_map(va + i * PAGE_SIZE, pa[i], false) != 0;
			preempt_enable();
			*(volatile uint64_t *)(va + i * PAGE_SIZE) =
				id << 32 | (uint64_t)r << 8 | i;
		}
		for (int i = 0; i < CHURN_PAGES; i++)
			if (pa[i] && *(uint64_t *)mm_va(pa[i]) != (id << 32 | (uint64_t)r << 8 | i))
				errors++;
		if (churn.batched) {
			for (int i = 0; i < CHURN_PAGES; i++)
				arch_mmu_unmap_nosync(va + i * PAGE_SIZE, 1, &got[i]);
			arch_mmu_unmap_sync();
		} else {
			arch_mmu_unmap(va, CHURN_PAGES, got);
		}
		for (int i = 0; i < CHURN_PAGES; i++) {
			errors += got[i] != pa[i];
			if (pa[i])
				mm_pages_free(pa[i], 1);
		}
		if (r % 16 == 0)
			yield();
	}
	__atomic_fetch_add(&churn.errors, errors, __ATOMIC_RELAXED);
	wg_done(&churn.wg);
}

static void churn_test(bool batched)
{
	/* All in the 2 MiB below test_va(), so every task shares one page
	 * table and keeps making and freeing it. */
	churn.base = ALIGN_DOWN(test_va(), 2ull << 20);
	churn.batched = batched;
	churn.errors = 0;
	wg_add(&churn.wg, CHURN_TASKS);
	for (uintptr_t i = 0; i < CHURN_TASKS; i++)
		ASSERT_GT(go(churn_task, (void *)i), 0);
	wg_wait(&churn.wg);
	EXPECT_EQ(churn.errors, 0);
	EXPECT_EQ(x86_mmu_region_tables(churn.base), 0);
}

TEST(mmu, concurrent_map_and_unmap_share_tables)
{
	churn_test(false);
}

/* The same with nosync...sync sequences on several CPUs at once, which
 * empty and free the shared table while others still owe a flush. */
TEST(mmu, concurrent_nosync_unmaps_and_syncs_share_tables)
{
	churn_test(true);
}

/* ---- the stacks traps run on ---- */

TEST(mmu, trap_and_exception_stacks_have_guards)
{
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		const struct x86_percpu *pc = &x86_percpus[i];
		uint64_t size;

		if (!__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE))
			continue;
		/* Every IST slot in the TSS is what the CPU was given. */
		for (unsigned int s = 0; s < X86_IST_STACKS; s++)
			EXPECT_UEQ(pc->tss.ist[s], pc->ist_top[s]);
		EXPECT_UEQ(pc->tss.ist[X86_IST_EXC - 1], pc->exc_hi);
		EXPECT_UEQ(pc->tss.ist[X86_IST_IRQ - 1], pc->trap_hi);
		EXPECT_UEQ(pc->exc_hi - pc->exc_lo, X86_IST_STACK_SIZE);
		EXPECT_TRUE(x86_mmu_lookup(pc->exc_lo, &size) & PTE_NX);
		EXPECT_TRUE(x86_mmu_lookup(pc->exc_hi - 8, &size) & PTE_W);
		EXPECT_UEQ(x86_mmu_lookup(pc->exc_lo - PAGE_SIZE, &size), 0);
		for (unsigned int s = 0; s < X86_ARCH_STACKS; s++)
			EXPECT_UEQ(x86_mmu_lookup(pc->ist_top[s] - X86_IST_STACK_SIZE - PAGE_SIZE,
						  &size),
				   0);
		ASSERT_NE(pc->trap_lo, 0);
		EXPECT_TRUE(x86_mmu_lookup(pc->trap_lo, &size) & PTE_W);
		EXPECT_UEQ(x86_mmu_lookup(pc->trap_lo - PAGE_SIZE, &size), 0);
		EXPECT_LT(pc->trap_guard_lo, pc->trap_lo);
	}
}

/* ---- faults on purpose: one per boot, only when named ---- */

/* Whether `full` ("suite.name") was given on the command line as it is. */
static bool named(const char *full)
{
	for (int i = 1; i < kernel_bootargs.argc; i++)
		if (strcmp(kernel_bootargs.argv[i], full) == 0)
			return true;
	return false;
}

TEST(x86_fault, read_after_unmap)
{
	vaddr_t va = test_va();
	paddr_t pa, got;

	if (!named("x86_fault.read_after_unmap"))
		return;
	pa = mm_page_alloc_zeroed();
	ASSERT_NE(pa, 0);
	preempt_disable();
	ASSERT_EQ(arch_mmu_map(va, pa, false), 0);
	preempt_enable();
	printk("x86_fault: read 0x%llx before unmap: %llu\n", (unsigned long long)va,
	       (unsigned long long)*(volatile uint64_t *)va);
	arch_mmu_unmap(va, 1, &got);
	printk("x86_fault: read 0x%llx after unmap\n", (unsigned long long)va);
	printk("x86_fault: read gave %llu\n", (unsigned long long)*(volatile uint64_t *)va);
}

TEST(x86_fault, write_text)
{
	if (!named("x86_fault.write_text"))
		return;
	printk("x86_fault: write to text at %p\n", (void *)&code_probe);
	*(volatile uint8_t *)(uintptr_t)&code_probe = 0xc3;
}

TEST(x86_fault, write_rodata)
{
	if (!named("x86_fault.write_rodata"))
		return;
	printk("x86_fault: write to rodata at %p\n", (void *)readonly_data);
	*(volatile char *)(uintptr_t)readonly_data = 'W';
}

/* Run `ret` from data memory. */
static void exec_at(uint8_t *code)
{
	void (*fn)(void);

	code[0] = 0xc3; /* ret */
	memcpy(&fn, &code, sizeof(fn));
	printk("x86_fault: execute at %p\n", (void *)code);
	fn();
}

TEST(x86_fault, exec_heap)
{
	if (!named("x86_fault.exec_heap"))
		return;
	uint8_t *code = malloc(64);

	ASSERT_TRUE(code != NULL);
	exec_at(code);
}

TEST(x86_fault, exec_stack)
{
	uint8_t code[64];

	if (!named("x86_fault.exec_stack"))
		return;
	exec_at(code);
}

TEST(x86_fault, trap_stack_overflow)
{
	if (!named("x86_fault.trap_stack_overflow"))
		return;
	arch_debug_trap_stack_overflow();
}

static void (*volatile exc_next)(void *);

static void exc_recurse(void *arg)
{
	volatile char pad[256];

	pad[0] = 1;
	exc_next(arg);
	pad[1] = pad[0];
}

/* Code on the exception stack that recurses, as a runaway fault handler
 * would: the overflow is reported from the #DF stack. */
TEST(x86_fault, exception_stack_overflow)
{
	if (!named("x86_fault.exception_stack_overflow"))
		return;
	arch_irq_disable();
	exc_next = exc_recurse;
	x86_call_on_stack(exc_recurse, NULL, x86_this_percpu()->exc_hi);
}
