// SPDX-License-Identifier: MIT
/* The test harness itself. */
#include <kernel/test.h>

TEST(selftest, expectations_pass)
{
	EXPECT_EQ(1 + 1, 2);
	EXPECT_STREQ("weft", "weft");
	EXPECT_FALSE(test_failed());
}

#ifdef WEFT_FAILING_TEST
/* Built only with `make FAILING_TEST=1`: proves that a failing test fails
 * the run (tests/test_harness.py checks this on every build of the suite). */
TEST(selftest, deliberately_fails)
{
	EXPECT_EQ(1 + 1, 3);
}
#endif
