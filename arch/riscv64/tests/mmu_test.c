// SPDX-License-Identifier: MIT
/*
 * riscv64: the Sv39 page tables. What each part of the image may do, that
 * nothing is writable and executable, that the forbidden accesses fault
 * (through vectors.S's probes, which turn a fault into an error return),
 * and that an unmapped page is gone on every CPU.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <weft.h>

#include <arch.h>
#include <drivers/fdt.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/test.h>
#include "../riscv64.h"

extern const char __executable_start[], __rodata_start[], __data_start[], _end[];

#define SIZE_2M (2ul << 20)

static const uint64_t some_rodata = 0x0123456789abcdefull;
static uint64_t some_data = 1;
static uint64_t some_bss;

/* The permission bits and the flags every kernel leaf carries. */
#define PERMS(pte) ((pte) & (PTE_R | PTE_W | PTE_X))

static void leaf_function(void)
{
}

TEST(riscv64, mmu_sections_have_their_permissions)
{
	paddr_t page = mm_pages_alloc(1);
	uint64_t size;

	ASSERT_TRUE(page != 0);
	EXPECT_UEQ(PERMS(riscv_mmu_lookup((uintptr_t)leaf_function, NULL)), PTE_R | PTE_X);
	EXPECT_UEQ(PERMS(riscv_mmu_lookup((uintptr_t)__executable_start, NULL)), PTE_R | PTE_X);
	EXPECT_UEQ(PERMS(riscv_mmu_lookup((uintptr_t)&some_rodata, NULL)), PTE_R);
	EXPECT_UEQ(PERMS(riscv_mmu_lookup((uintptr_t)__rodata_start, NULL)), PTE_R);
	EXPECT_UEQ(PERMS(riscv_mmu_lookup((uintptr_t)&some_data, NULL)), PTE_R | PTE_W);
	EXPECT_UEQ(PERMS(riscv_mmu_lookup((uintptr_t)__data_start, NULL)), PTE_R | PTE_W);
	EXPECT_UEQ(PERMS(riscv_mmu_lookup((uintptr_t)&some_bss, NULL)), PTE_R | PTE_W);
	EXPECT_UEQ(PERMS(riscv_mmu_lookup((uintptr_t)_end - 1, NULL)), PTE_R | PTE_W);
	EXPECT_UEQ(PERMS(riscv_mmu_lookup((uintptr_t)mm_va(page), NULL)), PTE_R | PTE_W);
	/* The last text page and the first rodata page are 4 KiB apart. */
	EXPECT_UEQ(PERMS(riscv_mmu_lookup((uintptr_t)__rodata_start - 1, &size)), PTE_R | PTE_X);
	EXPECT_UEQ(size, PAGE_SIZE);
	EXPECT_UEQ(riscv_mmu_lookup(0, NULL), 0);
	EXPECT_UEQ(riscv_mmu_lookup(PAGE_SIZE - 1, NULL), 0);
	EXPECT_UEQ(riscv_mmu_lookup(0xdead00000000beeful, NULL), 0); /* not canonical */
	EXPECT_UEQ(riscv_mmu_lookup(RISCV_TEST_WINDOW, NULL), 0);
	mm_pages_free(page, 1);
}

/* Devices of the device tree are mapped RW, never X: the UART, say. */
TEST(riscv64, mmu_maps_devices_of_the_device_tree)
{
	int node = boot.dtb ? fdt_find_compatible(boot.dtb, -1, "ns16550a") : -1;
	uint64_t base = 0, size = 0;

	ASSERT_GE(node, 0);
	ASSERT_EQ(fdt_reg(boot.dtb, node, 0, &base, &size), 0);
	EXPECT_UEQ(PERMS(riscv_mmu_lookup((uintptr_t)base, NULL)), PTE_R | PTE_W);
	/* And one a driver asks for later. */
	EXPECT_EQ(arch_mmu_map_device(0x3ff000000ul, 0x3000), 0);
	EXPECT_UEQ(PERMS(riscv_mmu_lookup(0x3ff002000ul, NULL)), PTE_R | PTE_W);
	EXPECT_EQ(arch_mmu_map_device(1ul << 40, PAGE_SIZE), -EINVAL);
}

/* RAM away from the image is mapped with superpages. */
TEST(riscv64, mmu_direct_map_uses_large_pages)
{
	uintptr_t far = ALIGN_UP((uintptr_t)_end, SIZE_2M) + SIZE_2M;
	uint64_t size = 0;
	bool in_ram = false;

	for (unsigned int i = 0; i < boot.nmem; i++)
		if (far >= boot.mem[i].base && far + SIZE_2M <= boot.mem[i].base + boot.mem[i].size)
			in_ram = true;
	ASSERT_TRUE(in_ram);
	EXPECT_UEQ(PERMS(riscv_mmu_lookup(far, &size)), PTE_R | PTE_W);
	EXPECT_UGE(size, SIZE_2M);
}

struct leaf_census {
	unsigned long leaves, wx, user, no_a, no_d, exec_outside_text, page0;
};

static void census_leaf(uintptr_t va, uint64_t pte, uint64_t size, void *arg)
{
	struct leaf_census *c = arg;

	c->leaves++;
	c->wx += (pte & PTE_W) && (pte & PTE_X);
	c->user += (pte & PTE_U) != 0;
	c->no_a += !(pte & PTE_A);
	c->no_d += (pte & PTE_W) && !(pte & PTE_D);
	c->exec_outside_text += (pte & PTE_X) && (va < (uintptr_t)__executable_start ||
						  va + size > (uintptr_t)__rodata_start);
	c->page0 += va == 0;
}

TEST(riscv64, mmu_nothing_is_writable_and_executable)
{
	struct leaf_census c = { 0 };

	riscv_mmu_walk(census_leaf, &c);
	EXPECT_UGE(c.leaves, 3);
	EXPECT_UEQ(c.wx, 0);
	EXPECT_UEQ(c.exec_outside_text, 0);
	EXPECT_UEQ(c.user, 0);
	EXPECT_UEQ(c.no_a, 0); /* a hart without Svadu would fault on it */
	EXPECT_UEQ(c.no_d, 0);
	EXPECT_UEQ(c.page0, 0);
}

TEST(riscv64, mmu_writes_to_text_and_rodata_fault)
{
	uint64_t *text = (uint64_t *)__executable_start, *ro = (uint64_t *)&some_rodata;
	uint64_t v = 0;

	/* Reads are fine; each write would store what is there already, so a
	 * page table that wrongly allowed it changes nothing. */
	ASSERT_EQ(riscv_probe_load(text, &v), 0);
	EXPECT_EQ(riscv_probe_store(text, v), -EACCES);
	ASSERT_EQ(riscv_probe_load(ro, &v), 0);
	EXPECT_UEQ(v, 0x0123456789abcdefull);
	EXPECT_EQ(riscv_probe_store(ro, v), -EACCES);
	EXPECT_EQ(riscv_probe_store(&some_data, 2), 0);
	EXPECT_UEQ(some_data, 2);
	EXPECT_EQ(riscv_probe_load(NULL, &v), -EFAULT);
	EXPECT_EQ(riscv_probe_store(NULL, 0), -EFAULT);
}

/* jalr x0, 0(ra): a function that returns at once. */
#define INSN_RET 0x00008067u

static uint32_t data_code[2] = { INSN_RET, INSN_RET };

TEST(riscv64, mmu_fetch_from_data_heap_and_stack_faults)
{
	uint32_t *heap = malloc(16), stack_code[2] = { INSN_RET, INSN_RET };

	ASSERT_TRUE(heap != NULL);
	heap[0] = INSN_RET;
	/* Were they executable, the fetch must see the stores. */
	__asm__ __volatile__("fence.i" ::: "memory");
	EXPECT_EQ(riscv_probe_exec((const void *)leaf_function), 0);
	EXPECT_EQ(riscv_probe_exec(heap), -EACCES);
	EXPECT_EQ(riscv_probe_exec(stack_code), -EACCES);
	EXPECT_EQ(riscv_probe_exec(data_code), -EACCES);
	EXPECT_EQ(riscv_probe_exec(&some_rodata), -EACCES);
	EXPECT_EQ(riscv_probe_exec(NULL), -EFAULT);
	free(heap);
}

/* Pages of the arch's test window, which nothing else maps. */
#define WINDOW_PAGE(n) (RISCV_TEST_WINDOW + (uintptr_t)(n)*PAGE_SIZE)

TEST(riscv64, mmu_map_then_unmap_a_page)
{
	paddr_t pa = mm_page_alloc_zeroed(), other = mm_pages_alloc(1), got[3] = { 1, 1, 1 };
	uint64_t *p = (uint64_t *)WINDOW_PAGE(1), v = 0, size = 0;

	ASSERT_TRUE(pa && other);
	EXPECT_EQ(riscv_probe_load(p, &v), -EFAULT);
	preempt_disable();
	EXPECT_EQ(arch_mmu_map((vaddr_t)p, pa, false), 0);
	EXPECT_EQ(arch_mmu_map((vaddr_t)p, other, false), -EEXIST);
	preempt_enable();
	EXPECT_UEQ(PERMS(riscv_mmu_lookup((uintptr_t)p, &size)), PTE_R | PTE_W);
	EXPECT_UEQ(size, PAGE_SIZE);

	/* The same page through both addresses. */
	EXPECT_EQ(riscv_probe_store(p + 3, 0x5eed), 0);
	EXPECT_UEQ(((uint64_t *)mm_va(pa))[3], 0x5eed);
	EXPECT_EQ(riscv_probe_exec(p), -EACCES);

	arch_mmu_unmap(WINDOW_PAGE(0), 3, got);
	EXPECT_UEQ(got[0], 0);
	EXPECT_UEQ(got[1], pa);
	EXPECT_UEQ(got[2], 0);
	EXPECT_EQ(riscv_probe_load(p, &v), -EFAULT);
	EXPECT_EQ(riscv_probe_store(p, 1), -EFAULT);
	EXPECT_UEQ(riscv_mmu_lookup((uintptr_t)p, NULL), 0);

	/* Unmapping where no table exists is fine, and finds nothing. */
	got[0] = got[1] = 1;
	arch_mmu_unmap(RISCV_TEST_WINDOW + RISCV_TEST_WINDOW_SIZE - 2 * PAGE_SIZE, 2, got);
	EXPECT_UEQ(got[0], 0);
	EXPECT_UEQ(got[1], 0);
	mm_pages_free(pa, 1);
	mm_pages_free(other, 1);
}

/*
 * Readers keep the page in the TLBs of the CPUs they run on, noting which
 * those are, until the unmap is announced; then each reads once more, and
 * must fault. Where the CPU of that last read had read the page before the
 * unmap and is not the unmapping one, only the remote shootdown can have
 * made it forget the page. Readers sleep between reads, so that the
 * scheduler spreads them and the unmapping task gets a CPU.
 */
#define READERS_MAX 8
#define WARM_NS (50 * 1000 * 1000ull)

static struct {
	uint64_t *va;
	int unmapping, unmapped; /* set before and after the unmap */
	bool warm[MAX_CPUS]; /* read the page before the unmap */
	waitgroup_t wg;
	struct reader {
		long before, after;
		int cpu_after;
		bool warm_after; /* that CPU had read the page */
	} r[READERS_MAX];
} sd;

static void shootdown_reader(void *arg)
{
	struct reader *r = arg;
	uint64_t v;

	while (!__atomic_load_n(&sd.unmapped, __ATOMIC_SEQ_CST)) {
		preempt_disable();
		long err = riscv_probe_load(sd.va, &v);

		/* A read followed by unmapping == 0 came before the unmap. */
		if (!__atomic_load_n(&sd.unmapping, __ATOMIC_SEQ_CST)) {
			r->before |= err;
			sd.warm[this_cpu()->idx] = true;
		}
		preempt_enable();
		sleep_ns(200 * 1000);
	}
	preempt_disable();
	r->cpu_after = (int)this_cpu()->idx;
	r->warm_after = sd.warm[r->cpu_after];
	r->after = riscv_probe_load(sd.va, &v);
	preempt_enable();
	wg_done(&sd.wg);
}

TEST(riscv64, mmu_unmap_shoots_down_other_cpus)
{
	int n = MIN(num_cpu() + 1, READERS_MAX), me, remote = 0;
	paddr_t pa = mm_page_alloc_zeroed(), got = 0;

	ASSERT_TRUE(pa != 0);
	memset(&sd, 0, sizeof(sd));
	sd.va = (uint64_t *)WINDOW_PAGE(8);
	preempt_disable();
	ASSERT_EQ(arch_mmu_map((vaddr_t)sd.va, pa, false), 0);
	preempt_enable();
	wg_add(&sd.wg, n);
	for (int i = 0; i < n; i++)
		ASSERT_GT(go(shootdown_reader, &sd.r[i]), 0);
	sleep_ns(WARM_NS);

	preempt_disable();
	me = (int)this_cpu()->idx;
	__atomic_store_n(&sd.unmapping, 1, __ATOMIC_SEQ_CST);
	arch_mmu_unmap((vaddr_t)sd.va, 1, &got);
	__atomic_store_n(&sd.unmapped, 1, __ATOMIC_SEQ_CST);
	preempt_enable();
	wg_wait(&sd.wg);

	EXPECT_UEQ(got, pa);
	for (int i = 0; i < n; i++) {
		struct reader *r = &sd.r[i];

		EXPECT_EQ(r->before, 0);
		EXPECT_EQ(r->after, -EFAULT);
		remote += r->warm_after && r->cpu_after != me;
	}
	/* At 4 CPUs, some reader ends on another CPU that had the page. */
	if (num_cpu() > 1)
		EXPECT_GE(remote, 1);
	mm_pages_free(pa, 1);
}

/*
 * Every CPU maps, checks and unmaps its own page at once, each round in a
 * fresh 2 MiB of the window, so that all of them race to make the same new
 * table; and they shoot down at the same time. None may lose its mapping,
 * see another's, or hang.
 */
#define RACE_ROUNDS 32

static struct {
	waitgroup_t wg;
	int errors;
} race;

static void race_task(void *arg)
{
	uintptr_t slot = (uintptr_t)arg;

	for (uintptr_t round = 0; round < RACE_ROUNDS; round++) {
		uint64_t *va =
			(uint64_t *)(RISCV_TEST_WINDOW + (64 + round) * SIZE_2M + slot * PAGE_SIZE);
		paddr_t pa = mm_pages_alloc(1), got = 0;
		uint64_t v = 0;
		int bad = 0;

		if (!pa) {
			bad++;
			break;
		}
		preempt_disable();
		bad += arch_mmu_map((vaddr_t)va, pa, false) != 0;
		preempt_enable();
		bad += riscv_probe_store(va, slot * 1000 + round) != 0;
		yield();
		bad += riscv_probe_load(va, &v) != 0 || v != slot * 1000 + round;
		arch_mmu_unmap((vaddr_t)va, 1, &got);
		bad += got != pa;
		bad += riscv_probe_load(va, &v) != -EFAULT;
		mm_pages_free(pa, 1);
		if (bad)
			__atomic_fetch_add(&race.errors, bad, __ATOMIC_RELAXED);
	}
	wg_done(&race.wg);
}

TEST(riscv64, mmu_concurrent_maps_and_shootdowns)
{
	int n = MIN(2 * num_cpu(), 16);

	memset(&race, 0, sizeof(race));
	wg_add(&race.wg, n);
	for (int i = 0; i < n; i++)
		ASSERT_GT(go(race_task, (void *)(uintptr_t)i), 0);
	wg_wait(&race.wg);
	EXPECT_EQ(race.errors, 0);
}
