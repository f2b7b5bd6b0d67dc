// SPDX-License-Identifier: MIT
/*
 * aarch64: the kernel's page tables. What each part of the image, RAM and
 * the devices may be used for (read from the tables and checked with the
 * hardware's own AT walk), W^X faults, and mapping, unmapping and the TLB
 * shootdown in the stack region. Faults are taken through probe.S's
 * probes, which return the syndrome instead of ending the boot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <weft.h>

#include <arch.h>
#include <arch/aarch64.h>
#include <arch/sysreg.h>
#include <drivers/fdt.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/test.h>
#include <kernel/time.h>
#include "../pte.h"

extern char aarch64_probe_fault[]; /* probe.S: a `ret` in text */

extern const char __executable_start[], __etext[], __rodata_start[], __data_start[], _end[];

#define EC(esr) (((esr) >> ESR_EC_SHIFT) & ESR_EC_MASK)
#define FSC(esr) ((esr)&0x3f)
#define EC_IABT_CUR 0x21
#define EC_DABT_CUR 0x25
#define FSC_TRANSLATION(fsc) (((fsc)&0x3c) == 0x04) /* at level fsc & 3 */
#define FSC_TRANSLATION_L3 0x07
#define FSC_PERMISSION(fsc) (((fsc)&0x3c) == 0x0c)
#define ESR_WNR (1u << 6)
#define INSN_RET 0xd65f03c0u

#define PAR_F (1ull << 0)
#define PAR_PA(par) ((par)&PTE_ADDR_MASK)
#define PAR_ATTR(par) ((par) >> 56)

/* The hardware's walk for an EL1 read or write (AT S1E1R / S1E1W); PAR_EL1. */
static uint64_t at(uintptr_t va, bool write)
{
	unsigned long flags = arch_irq_save();
	uint64_t par;

	if (write)
		__asm__ __volatile__("at s1e1w, %0" ::"r"(va) : "memory");
	else
		__asm__ __volatile__("at s1e1r, %0" ::"r"(va) : "memory");
	isb();
	par = read_sysreg(par_el1);
	arch_irq_restore(flags);
	return par;
}

static bool writable(uint64_t pte)
{
	return pte && !(pte & PTE_AP_RO);
}

static bool executable(uint64_t pte)
{
	return pte && !(pte & PTE_PXN);
}

static const uint64_t some_rodata = 0x0123456789abcdefull;
static uint64_t some_data = 1;
static uint64_t some_bss;

TEST(aarch64, mmu_image_sections_have_their_permissions)
{
	struct {
		uintptr_t va;
		bool w, x;
	} cases[] = {
		{ (uintptr_t)__executable_start, false, true }, /* the Image header */
		{ (uintptr_t)arch_mmu_init, false, true },
		{ (uintptr_t)__etext - 4, false, true },
		{ (uintptr_t)__rodata_start, false, false }, /* .ksyms */
		{ (uintptr_t)&some_rodata, false, false },
		{ (uintptr_t)__data_start - 1, false, false },
		{ (uintptr_t)__data_start, true, false },
		{ (uintptr_t)&some_data, true, false },
		{ (uintptr_t)&some_bss, true, false },
		{ (uintptr_t)_end - 1, true, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int level = -1;
		uint64_t pte = aarch64_mmu_lookup(cases[i].va, &level);

		if (!pte) {
			test_fail(__FILE__, __LINE__, "%p is not mapped", (void *)cases[i].va);
			continue;
		}
		/* 4 KiB pages, so that each section gets its own permissions. */
		EXPECT_EQ(level, 3);
		EXPECT_EQ(writable(pte), cases[i].w);
		EXPECT_EQ(executable(pte), cases[i].x);
		EXPECT_UEQ(pte & PTE_UXN, PTE_UXN);
		/* The hardware agrees: VA = PA, Normal write-back, writable or not. */
		uint64_t par = at(cases[i].va, false);

		EXPECT_UEQ(par & PAR_F, 0);
		EXPECT_UEQ(PAR_PA(par), cases[i].va & PTE_ADDR_MASK);
		EXPECT_UEQ(PAR_ATTR(par), MAIR_NORMAL_WB);
		EXPECT_EQ(!(at(cases[i].va, true) & PAR_F), cases[i].w);
	}
}

TEST(aarch64, mmu_ram_devices_and_holes)
{
	int level = -1;
	paddr_t pa = mm_pages_alloc(1);
	uint64_t pte;

	/* RAM outside the image: RW+NX, through the direct map. */
	ASSERT_TRUE(pa != 0);
	pte = aarch64_mmu_lookup((uintptr_t)pa, &level);
	EXPECT_TRUE(writable(pte) && !executable(pte));
	EXPECT_UEQ(PAR_ATTR(at((uintptr_t)pa, true)), MAIR_NORMAL_WB);
	mm_pages_free(pa, 1);
	pte = aarch64_mmu_lookup((uintptr_t)(boot.mem[0].base + boot.mem[0].size - 1), &level);
	EXPECT_TRUE(writable(pte) && !executable(pte));
	/* Away from the image, the direct map uses blocks. */
	EXPECT_LT(level, 3);

	/* The console UART: Device-nGnRE, RW+NX. */
	int uart = fdt_find_compatible(boot.dtb, -1, "arm,pl011");
	uint64_t base;

	ASSERT_GE(uart, 0);
	ASSERT_EQ(fdt_reg(boot.dtb, uart, 0, &base, NULL), 0);
	pte = aarch64_mmu_lookup((uintptr_t)base, NULL);
	EXPECT_TRUE(writable(pte) && !executable(pte));
	EXPECT_UEQ(PAR_ATTR(at((uintptr_t)base, true)), MAIR_DEVICE_NGNRE);

	/* NULL and the page after it, beyond 48 bits, and the stack region's far
	 * end: nothing. */
	EXPECT_UEQ(aarch64_mmu_lookup(0, NULL), 0);
	EXPECT_UEQ(at(0, false) & PAR_F, PAR_F);
	EXPECT_UEQ(at(PAGE_SIZE - 1, false) & PAR_F, PAR_F);
	EXPECT_UEQ(at(0x0001000000000000ull, false) & PAR_F, PAR_F);

	vaddr_t region;
	size_t size;

	arch_mmu_stack_region(&region, &size);
	EXPECT_UEQ(region, 0x0000400000000000ull);
	EXPECT_UEQ(size, 1ull << 40);
	EXPECT_UEQ(at(region + size - 1, false) & PAR_F, PAR_F);
}

/* Every leaf of the tables: none is writable and executable, and only the
 * image's text is executable at all. */
static void check_table(const uint64_t *t, int level, uint64_t va, int *wx, int *x_outside)
{
	uint64_t span = 1ull << (12 + 9 * (3 - level));

	for (int i = 0; i < PTRS_PER_TABLE; i++, va += span) {
		uint64_t e = t[i];

		if (!(e & PTE_VALID))
			continue;
		if (level < 3 && (e & PTE_TABLE)) {
			check_table(mm_va(e & PTE_ADDR_MASK), level + 1, va, wx, x_outside);
			continue;
		}
		if (executable(e) && writable(e))
			(*wx)++;
		if (executable(e) && (va < (uintptr_t)__executable_start ||
				      va + span > ALIGN_UP((uintptr_t)__etext, PAGE_SIZE)))
			(*x_outside)++;
	}
}

TEST(aarch64, mmu_nothing_is_writable_and_executable)
{
	int wx = 0, x_outside = 0;

	check_table(mm_va(read_sysreg(ttbr0_el1) & PTE_ADDR_MASK), 0, 0, &wx, &x_outside);
	EXPECT_EQ(wx, 0);
	EXPECT_EQ(x_outside, 0);
	/* The final tables, 48 bits (T0SZ 16), are what this CPU uses. */
	EXPECT_UEQ(read_sysreg(tcr_el1) & 0x3f, 16);
}

TEST(aarch64, wx_writes_to_text_and_rodata_fault)
{
	uintptr_t ro[] = { (uintptr_t)arch_mmu_init, (uintptr_t)&some_rodata,
			   (uintptr_t)__rodata_start };

	for (size_t i = 0; i < ARRAY_SIZE(ro); i++) {
		uint64_t old = 0, esr;

		ASSERT_UEQ(aarch64_probe_read(ro[i] & ~7ul, &old), 0);
		/* The same bytes back: harmless should the write go through. */
		esr = aarch64_probe_write(ro[i] & ~7ul, old);
		EXPECT_UEQ(EC(esr), EC_DABT_CUR);
		EXPECT_TRUE(FSC_PERMISSION(FSC(esr)));
		EXPECT_UEQ(esr & ESR_WNR, ESR_WNR);
	}
	EXPECT_UEQ(some_rodata, 0x0123456789abcdefull);
	/* Data is writable. */
	EXPECT_UEQ(aarch64_probe_write((uintptr_t)&some_bss, 42), 0);
	EXPECT_UEQ(some_bss, 42);
}

/* Put a `ret` at p and make it visible to instruction fetch, as if p were
 * code (Arm ARM, "Concurrent modification and execution of instructions"). */
static uintptr_t plant_ret(void *p)
{
	uintptr_t a = (uintptr_t)p;

	*(volatile uint32_t *)p = INSN_RET;
	__asm__ __volatile__("dc cvau, %0\n\tdsb ish\n\tic ivau, %0\n\tdsb ish\n\tisb" ::"r"(a)
			     : "memory");
	return a;
}

static uint32_t data_code[4] = { 1 };

TEST(aarch64, wx_fetches_from_heap_stack_data_and_ram_fault)
{
	uint32_t *heap = malloc(64);
	volatile uint32_t stack_code[4];
	paddr_t page = mm_pages_alloc(1);
	uintptr_t targets[] = { 0, (uintptr_t)stack_code, (uintptr_t)data_code, 0 };

	ASSERT_TRUE(heap && page);
	targets[0] = (uintptr_t)heap;
	targets[3] = (uintptr_t)mm_va(page);
	for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
		uint64_t esr = aarch64_probe_exec(plant_ret((void *)targets[i]));

		EXPECT_UEQ(EC(esr), EC_IABT_CUR);
		EXPECT_TRUE(FSC_PERMISSION(FSC(esr)));
	}
	free(heap);
	mm_pages_free(page, 1);
	/* Text runs: aarch64_probe_fault is a `ret`. */
	EXPECT_UEQ(aarch64_probe_exec((uintptr_t)aarch64_probe_fault), 0);
}

TEST(aarch64, tasks_run_on_sp_el0_and_trap_on_the_trap_stack)
{
	const struct aarch64_percpu *pc = aarch64_percpu_self();
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

	EXPECT_UEQ(read_sysreg(spsel), 0);
	ASSERT_TRUE(pc != NULL);
	EXPECT_UEQ(pc->trap_limit, pc->trap_lo + TF_SIZE);
	EXPECT_TRUE(pc->trap_top > pc->trap_lo && pc->emerg_top != 0);
	/* The trap stack is not the one we run on, and its guard page is unmapped. */
	EXPECT_FALSE(sp >= pc->trap_lo && sp < pc->trap_top);
	EXPECT_UEQ(aarch64_mmu_lookup(pc->trap_lo - 1, NULL), 0);
	EXPECT_TRUE(writable(aarch64_mmu_lookup(pc->trap_top - 1, NULL)));
}

/* The table the walk from TTBR0 reaches at `level` (1-3) for va, or 0. Nothing else maps
 * the window the caller asks about, so the tables cannot go away meanwhile. */
static paddr_t table_at(vaddr_t va, int level)
{
	const uint64_t *t = mm_va(read_sysreg(ttbr0_el1) & PTE_ADDR_MASK);

	for (int l = 0; l < level; l++) {
		uint64_t e = __atomic_load_n(&t[(va >> (39 - 9 * l)) & (PTRS_PER_TABLE - 1)],
					     __ATOMIC_ACQUIRE);

		if ((e & (PTE_VALID | PTE_TABLE)) != (PTE_VALID | PTE_TABLE))
			return 0;
		t = mm_va(e & PTE_ADDR_MASK);
	}
	return mm_pa(t);
}

/* A page of the stack region no stack uses: its last (stack slots are
 * handed out from the bottom). */
static vaddr_t test_va(void)
{
	vaddr_t region;
	size_t size;

	arch_mmu_stack_region(&region, &size);
	return region + size - PAGE_SIZE;
}

TEST(aarch64, mmu_map_then_unmap_in_the_stack_region)
{
	vaddr_t va = test_va();
	paddr_t pa = mm_page_alloc_zeroed(), got = 0;
	uint64_t v = 0, esr, par;

	ASSERT_TRUE(pa != 0);
	preempt_disable();
	int err = arch_mmu_map(va, pa, false);
	int again = arch_mmu_map(va, pa, false);

	preempt_enable();
	ASSERT_EQ(err, 0);
	EXPECT_EQ(again, -EEXIST);
	/* The same page, through both addresses; RW+NX normal memory. */
	EXPECT_UEQ(aarch64_probe_write(va + 8, 0x5eed), 0);
	EXPECT_UEQ(((volatile uint64_t *)mm_va(pa))[1], 0x5eed);
	par = at(va, true);
	EXPECT_UEQ(par & PAR_F, 0);
	EXPECT_UEQ(PAR_PA(par), pa);
	EXPECT_UEQ(PAR_ATTR(par), MAIR_NORMAL_WB);
	EXPECT_TRUE(FSC_PERMISSION(FSC(aarch64_probe_exec(plant_ret((void *)(va + 64))))));

	arch_mmu_unmap(va, 1, &got);
	EXPECT_UEQ(got, pa);
	esr = aarch64_probe_read(va, &v);
	EXPECT_UEQ(EC(esr), EC_DABT_CUR);
	/* A translation fault, at level 0: the page was the only one under its
	 * level 1 table, so the unmap freed the tables on the way too. */
	EXPECT_TRUE(FSC_TRANSLATION(FSC(esr)));
	EXPECT_UEQ(table_at(va, 3), 0);
	EXPECT_UEQ(at(va, false) & PAR_F, PAR_F);
	/* Unmapping nothing gives nothing back. */
	got = 1;
	arch_mmu_unmap(va, 1, &got);
	EXPECT_UEQ(got, 0);
	mm_pages_free(pa, 1);
}

#define MAGIC 0x70a5c0de70a5c0deull

static struct {
	vaddr_t va;
	volatile bool unmapped;
	uint64_t reads, bad_before, not_faulting_after;
	uint64_t cpus_seen; /* a bit per CPU that read the page */
	waitgroup_t wg;
} shoot;

static void shoot_reader(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&shoot.unmapped, __ATOMIC_ACQUIRE)) {
		uint64_t v = 0;

		if (aarch64_probe_read(shoot.va, &v) == 0) {
			if (v != MAGIC)
				__atomic_fetch_add(&shoot.bad_before, 1, __ATOMIC_RELAXED);
			__atomic_fetch_or(&shoot.cpus_seen, 1ull << this_cpu()->idx,
					  __ATOMIC_RELAXED);
			__atomic_fetch_add(&shoot.reads, 1, __ATOMIC_RELAXED);
		}
	}
	/* Whatever CPU this is, its TLB held the page a moment ago. */
	for (int i = 0; i < 100; i++) {
		uint64_t v;

		if (aarch64_probe_read(shoot.va, &v) == 0)
			__atomic_fetch_add(&shoot.not_faulting_after, 1, __ATOMIC_RELAXED);
	}
	wg_done(&shoot.wg);
}

TEST(aarch64, mmu_unmap_shoots_down_every_cpu)
{
	int n = num_cpu() + 1;
	paddr_t pa = mm_page_alloc_zeroed(), got = 0;
	uint64_t want = 0, deadline;

	ASSERT_TRUE(pa != 0);
	memset(&shoot, 0, sizeof(shoot));
	shoot.va = test_va();
	*(volatile uint64_t *)mm_va(pa) = MAGIC;
	preempt_disable();
	int err = arch_mmu_map(shoot.va, pa, false);

	preempt_enable();
	ASSERT_EQ(err, 0);
	wg_add(&shoot.wg, n);
	for (int i = 0; i < n; i++)
		ASSERT_GT(go(shoot_reader, NULL), 0);
	/* Unmap once the page is in the TLB of every CPU (or after a while). */
	for (int i = 0; i < num_cpu(); i++)
		want |= 1ull << i;
	deadline = now_ns() + 2000 * NSEC_PER_MSEC;
	while ((__atomic_load_n(&shoot.cpus_seen, __ATOMIC_RELAXED) & want) != want &&
	       now_ns() < deadline)
		sleep_ns(NSEC_PER_MSEC);
	arch_mmu_unmap(shoot.va, 1, &got);
	__atomic_store_n(&shoot.unmapped, true, __ATOMIC_RELEASE);
	wg_wait(&shoot.wg);

	EXPECT_UEQ(got, pa);
	EXPECT_GT(shoot.reads, 0);
	EXPECT_UEQ(shoot.bad_before, 0);
	EXPECT_UEQ(shoot.not_faulting_after, 0);
	/* Every CPU took part, so a CPU that kept a stale entry would have shown. */
	EXPECT_UEQ(shoot.cpus_seen & want, want);
	mm_pages_free(pa, 1);
}

TEST(aarch64, mmu_map_device_adds_uncached_pages_and_refuses_ram)
{
	/* QEMU virt's 64-bit PCIe window: devices, but nothing maps it at boot. */
	uintptr_t bar = 0x8000000000ull + 0x7f000;
	int level = -1;
	uint64_t pte;

	if (fdt_find_compatible(boot.dtb, -1, "pci-host-ecam-generic") < 0)
		return;
	EXPECT_UEQ(aarch64_mmu_lookup(bar, NULL), 0);
	EXPECT_EQ(arch_mmu_map_device(bar + 16, 2 * PAGE_SIZE - 16), 0); /* two pages */
	pte = aarch64_mmu_lookup(bar + PAGE_SIZE, &level);
	EXPECT_EQ(level, 3);
	EXPECT_UEQ(pte & PTE_ADDR_MASK, bar + PAGE_SIZE);
	EXPECT_UEQ(pte & PTE_ATTRINDX_MASK, PTE_ATTRINDX(ATTR_DEVICE));
	EXPECT_TRUE(writable(pte) && !executable(pte));
	EXPECT_UEQ(aarch64_mmu_lookup(bar + 2 * PAGE_SIZE, NULL), 0);
	/* Again, and a device the boot map has: nothing to do. */
	EXPECT_EQ(arch_mmu_map_device(bar, PAGE_SIZE), 0);
	EXPECT_EQ(arch_mmu_map_device(0x09000000, PAGE_SIZE), 0);
	/* RAM never gets an uncached alias. */
	EXPECT_EQ(arch_mmu_map_device((paddr_t)(uintptr_t)&some_data, 8), -EINVAL);
}

/* arch_mmu_map and _unmap take a lock with interrupts off around their walk: their callers
 * make sure the next 8 KiB of stack are mapped, so that no fault comes in the middle. */
static __attribute__((noinline)) void prefault_stack(void)
{
	volatile char probe[4 * PAGE_SIZE];

	for (size_t i = 0; i < sizeof(probe); i += PAGE_SIZE)
		probe[i] = 0;
}

/* Free pages, counting the ones in the MMU's pool of zeroed table pages as free. */
static uint64_t free_bytes(void)
{
	return mm_free_bytes() + aarch64_mmu_spare_tables() * PAGE_SIZE;
}

#define WINDOW_PAGES (BLOCK_2M / PAGE_SIZE)

/*
 * Map every page of the 2 MiB window at `win`, unmap them all, and check that the
 * tables the window had to itself are gone, from the walk and from the hardware;
 * *delta is how far the free pages end up from where they started (0 when every data
 * and table page came back), or 1 when the check did not get that far.
 */
static void map_and_unmap_a_window(vaddr_t win, paddr_t *pages, paddr_t *got, int64_t *delta)
{
	bool had_l1 = table_at(win, 1) != 0, had_l2 = table_at(win, 2) != 0;
	paddr_t l3, held[64];
	uint64_t start, esr, v = 0;
	size_t nheld = 0, mismatched = 0;
	int err = 0;

	*delta = 1;
	ASSERT_UEQ(table_at(win, 3), 0);
	start = free_bytes();
	for (size_t i = 0; i < WINDOW_PAGES; i++)
		ASSERT_TRUE((pages[i] = mm_pages_alloc(1)) != 0);
	preempt_disable();
	for (size_t i = 0; i < WINDOW_PAGES && !err; i++)
		err = arch_mmu_map(win + i * PAGE_SIZE, pages[i], false);
	preempt_enable();
	ASSERT_EQ(err, 0);
	l3 = table_at(win, 3);
	ASSERT_TRUE(l3 != 0);
	EXPECT_UEQ(aarch64_probe_write(win, MAGIC), 0);
	EXPECT_UEQ(aarch64_probe_write(win + BLOCK_2M - 8, MAGIC), 0);

	/* Most of the window (more than arch_mmu_unmap invalidates page by page: the whole
	 * TLB), a few pages, then one: the tables empty only in the last call, which must
	 * drop the walk-cache entries above the level 3 table by VA. */
	arch_mmu_unmap(win + 16 * PAGE_SIZE, WINDOW_PAGES - 16, got + 16);
	arch_mmu_unmap(win + PAGE_SIZE, 15, got + 1);
	EXPECT_UEQ(table_at(win, 3), l3);
	EXPECT_UEQ(aarch64_probe_read(win, &v), 0); /* this CPU's walk caches have it */
	EXPECT_UEQ(v, MAGIC);
	/* On this CPU until the table is back from its page cache, below. */
	preempt_disable();
	arch_mmu_unmap(win, 1, got);
	for (size_t i = 0; i < WINDOW_PAGES; i++)
		mismatched += got[i] != pages[i];
	EXPECT_UEQ(mismatched, 0);
	EXPECT_UEQ(table_at(win, 3), 0);
	if (!had_l2)
		EXPECT_UEQ(table_at(win, 2), 0);
	if (!had_l1)
		EXPECT_UEQ(table_at(win, 1), 0);
	/* The hardware's walk stops above level 3 now. */
	esr = aarch64_probe_read(win, &v);
	EXPECT_UEQ(EC(esr), EC_DABT_CUR);
	EXPECT_TRUE(FSC_TRANSLATION(FSC(esr)) && FSC(esr) != FSC_TRANSLATION_L3);

	/* Get the old level 3 table back from the allocator and make it map the window
	 * again: no CPU may still walk through it (a stale walk-cache entry would). */
	while (nheld < ARRAY_SIZE(held) && (held[nheld] = mm_pages_alloc(1)) != 0)
		if (held[nheld++] == l3)
			break;
	preempt_enable();
	if (nheld && held[nheld - 1] == l3) {
		uint64_t *t = mm_va(l3);

		memset(t, 0, PAGE_SIZE);
		*(volatile uint64_t *)mm_va(pages[0]) = MAGIC;
		t[0] = pages[0] | PTE_VALID | PTE_PAGE | PTE_AF | PTE_ATTRINDX(ATTR_NORMAL) |
		       PTE_SH_INNER | PTE_PXN | PTE_UXN;
		__asm__ __volatile__("dsb ish\n\tisb" ::: "memory");
		v = 0;
		esr = aarch64_probe_read(win, &v);
		EXPECT_UEQ(EC(esr), EC_DABT_CUR);
		EXPECT_UEQ(v, 0);
		memset(t, 0, PAGE_SIZE);
	} else {
		printk("    (the freed level 3 table did not come back in %zu pages)\n", nheld);
	}
	while (nheld)
		mm_pages_free(held[--nheld], 1);
	for (size_t i = 0; i < WINDOW_PAGES; i++)
		mm_pages_free(pages[i], 1);
	*delta = (int64_t)(free_bytes() - start);
}

TEST(aarch64, mmu_unmap_frees_the_tables_it_empties)
{
	/* The last 2 MiB of the stack region: stacks come from its start, so this
	 * window has level 1, 2 and 3 tables of its own, or none. */
	vaddr_t win = test_va() + PAGE_SIZE - BLOCK_2M;
	paddr_t *pages = calloc(WINDOW_PAGES, sizeof(*pages));
	paddr_t *got = calloc(WINDOW_PAGES, sizeof(*got));
	int64_t delta = 1;

	ASSERT_TRUE(pages && got);
	prefault_stack();
	/* Every page back, data and tables. Free memory is global: something else
	 * (the heap taking a span) may take pages meanwhile, so a few tries. */
	for (int try = 0; try < 3 && delta; try++) {
		map_and_unmap_a_window(win, pages, got, &delta);
		if (delta)
			printk("    free bytes changed by %lld after try %d\n", (long long)delta,
			       try);
	}
	EXPECT_EQ(delta, 0);
	free(pages);
	free(got);
}
