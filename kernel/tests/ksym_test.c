// SPDX-License-Identifier: MIT
/* The embedded symbol table that backtraces use. */
#include <kernel/ksym.h>
#include <kernel/test.h>

__attribute__((noinline)) static int ksym_probe(int x)
{
	return x * 3 + 1;
}

TEST(ksym, lookup_names_functions)
{
	uintptr_t off = 99;
	uintptr_t fn = (uintptr_t)&ksym_probe;

	ASSERT_EQ(ksym_probe(1), 4);
	EXPECT_STREQ(ksym_lookup(fn, &off), "ksym_probe");
	EXPECT_UEQ(off, 0);
	EXPECT_STREQ(ksym_lookup(fn + 4, &off), "ksym_probe");
	EXPECT_UEQ(off, 4);
	EXPECT_UEQ(ksym_address("ksym_probe"), fn);
	EXPECT_UEQ(ksym_address("test_run_all"), (uintptr_t)&test_run_all);
	EXPECT_UEQ(ksym_address("no_such_function"), 0);
}
