// SPDX-License-Identifier: MIT
/* The kernel's page tables: what is mapped, and with which permissions. */
#include <arch/x86.h>
#include <drivers/lapic.h>
#include <kernel/test.h>

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
