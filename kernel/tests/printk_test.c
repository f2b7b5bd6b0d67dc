// SPDX-License-Identifier: MIT
/* The kernel's formatter. */
#include <kernel/printk.h>
#include <kernel/test.h>

static char buf[64];

TEST(printk, integers)
{
	ksnprintf(buf, sizeof(buf), "%d %i %u %x %X", -42, 7, 3000000000u, 0xbeef, 0xbeef);
	EXPECT_STREQ(buf, "-42 7 3000000000 beef BEEF");
	ksnprintf(buf, sizeof(buf), "%lld %llu %lx", -9223372036854775807ll - 1,
		  18446744073709551615ull, 0x123456789abcdeful);
	EXPECT_STREQ(buf, "-9223372036854775808 18446744073709551615 123456789abcdef");
	ksnprintf(buf, sizeof(buf), "%zu %ld", (size_t)12345, -1l);
	EXPECT_STREQ(buf, "12345 -1");
}

TEST(printk, width_and_padding)
{
	ksnprintf(buf, sizeof(buf), "[%5d][%-5d][%05d][%-4s][%4s][%03x]", 42, 42, -42, "ab", "ab",
		  5);
	EXPECT_STREQ(buf, "[   42][42   ][-0042][ab  ][  ab][005]");
	ksnprintf(buf, sizeof(buf), "%p", (void *)0x1234);
	EXPECT_STREQ(buf, sizeof(void *) == 8 ? "0x0000000000001234" : "0x00001234");
	const char *volatile nul = NULL;

	ksnprintf(buf, sizeof(buf), "%s %c %%", nul, 'z');
	EXPECT_STREQ(buf, "(null) z %");
}

TEST(printk, truncation)
{
	char small[8];

	EXPECT_EQ(ksnprintf(small, sizeof(small), "%s", "0123456789"), 10);
	EXPECT_STREQ(small, "0123456");
}
