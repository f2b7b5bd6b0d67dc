// SPDX-License-Identifier: MIT
/* Kernel command line parsing. */
#include <errno.h>
#include <string.h>

#include <kernel/bootargs.h>
#include <kernel/test.h>

static struct bootargs ba;

TEST(bootargs, options_then_argv)
{
	ASSERT_EQ(
		bootargs_parse(&ba, " procs=4  quiet timeslice=5m -- one \"two three\" --", "app"),
		0);
	EXPECT_EQ(ba.nopts, 3);
	EXPECT_STREQ(bootargs_get(&ba, "procs"), "4");
	EXPECT_STREQ(bootargs_get(&ba, "quiet"), "");
	EXPECT_TRUE(bootargs_get(&ba, "missing") == NULL);
	ASSERT_EQ(ba.argc, 4);
	EXPECT_STREQ(ba.argv[0], "app");
	EXPECT_STREQ(ba.argv[1], "one");
	EXPECT_STREQ(ba.argv[2], "two three");
	EXPECT_STREQ(ba.argv[3], "--");
	EXPECT_TRUE(ba.argv[4] == NULL);
}

TEST(bootargs, empty_and_null)
{
	EXPECT_EQ(bootargs_parse(&ba, "  a=1 --  x   ", "x"), 0); /* trailing blanks drop nothing */
	EXPECT_EQ(ba.argc, 2);
	EXPECT_EQ(bootargs_parse(&ba, NULL, "x"), 0);
	EXPECT_EQ(ba.argc, 1);
	EXPECT_EQ(ba.nopts, 0);
	EXPECT_EQ(bootargs_parse(&ba, "", "x"), 0);
	EXPECT_EQ(ba.argc, 1);
}

TEST(bootargs, numbers)
{
	bootargs_parse(&ba, "a=12 b=0x10 c=4k d=2M e=junk f=99999999999999999999999 g=5q", "x");
	EXPECT_UEQ(bootargs_u64(&ba, "a", 0, 0, 100), 12);
	EXPECT_UEQ(bootargs_u64(&ba, "b", 0, 0, 100), 16);
	EXPECT_UEQ(bootargs_u64(&ba, "c", 0, 0, 1 << 20), 4096);
	EXPECT_UEQ(bootargs_u64(&ba, "d", 0, 0, 1 << 30), 2u << 20);
	/* Bad or out-of-range values give the default, with a warning. */
	EXPECT_UEQ(bootargs_u64(&ba, "a", 7, 0, 10), 7);
	EXPECT_UEQ(bootargs_u64(&ba, "e", 7, 0, 100), 7);
	EXPECT_UEQ(bootargs_u64(&ba, "f", 7, 0, UINT64_MAX), 7);
	EXPECT_UEQ(bootargs_u64(&ba, "g", 7, 0, 100), 7);
	EXPECT_UEQ(bootargs_u64(&ba, "absent", 9, 0, 100), 9);
}

TEST(bootargs, too_many_words_are_dropped_not_overflowed)
{
	static char line[900];
	size_t n = 0;

	memcpy(line, "--", 2);
	n = 2;
	for (int i = 0; i < 100 && n + 3 < sizeof(line); i++) {
		memcpy(line + n, " w", 2);
		n += 2;
	}
	line[n] = '\0';
	EXPECT_EQ(bootargs_parse(&ba, line, "x"), -E2BIG);
	EXPECT_EQ(ba.argc, BOOTARGS_MAX_ARGV);
	EXPECT_TRUE(ba.argv[BOOTARGS_MAX_ARGV] == NULL);
}

TEST(bootargs, unused_options_are_reported)
{
	bootargs_parse(&ba, "procs=2 typo=1 -- x", "app");
	bootargs_get(&ba, "procs");
	EXPECT_EQ(bootargs_warn_unused(&ba), 1);
	bootargs_get(&ba, "typo");
	EXPECT_EQ(bootargs_warn_unused(&ba), 0);
}
