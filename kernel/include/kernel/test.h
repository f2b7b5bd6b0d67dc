/* SPDX-License-Identifier: MIT */
/*
 * In-kernel tests. TEST(suite, name) { ... } registers a test in the
 * weft_tests linker section; the `tests` app runs them all (or those whose
 * "suite.name" contains a filter given in argv, less those that contain a
 * filter written "-text") and prints one line per test and a closing
 * "N passed, N failed" line.
 *
 * EXPECT_* records a failure and carries on; ASSERT_* records it and returns
 * from the test. Both print the file, the line and the values compared.
 */
#ifndef WEFT_KERNEL_TEST_H
#define WEFT_KERNEL_TEST_H

#include <stdbool.h>
#include <stdint.h>

struct test_case {
	const char *suite;
	const char *name;
	void (*fn)(void);
	const char *file;
	int line;
};

#define TEST(suite_, name_)                                                  \
	static void test_##suite_##_##name_(void);                           \
	static const struct test_case test_case_##suite_##_##name_           \
		__attribute__((used, section("weft_tests"), aligned(8))) = { \
			.suite = #suite_,                                    \
			.name = #name_,                                      \
			.fn = test_##suite_##_##name_,                       \
			.file = __FILE__,                                    \
			.line = __LINE__,                                    \
		};                                                           \
	static void test_##suite_##_##name_(void)

/* Record a failure of the running test; `fmt` explains it. */
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Whether the running test has failed so far. */
bool test_failed(void);

/* Run the registered tests matching any of filters[0..nfilters) (all when
 * nfilters is 0). Returns the number of failures. */
int test_run_all(int nfilters, char **filters);

/* Wait up to `timeout_ns` for the live task count to fall to n (a task
 * that signalled its end is counted until it has switched out for good,
 * its stack trimmed); returns the count then. Task context. */
int test_settle_tasks(int n, uint64_t timeout_ns);

#define TEST_CMP_(a, b, op, fatal)                                                               \
	do {                                                                                     \
		long long a_ = (long long)(a), b_ = (long long)(b);                              \
		if (!(a_ op b_)) {                                                               \
			test_fail(__FILE__, __LINE__, "expected %s %s %s, got %lld vs %lld", #a, \
				  #op, #b, a_, b_);                                              \
			if (fatal)                                                               \
				return;                                                          \
		}                                                                                \
	} while (0)

#define TEST_UCMP_(a, b, op, fatal)                                                              \
	do {                                                                                     \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);   \
		if (!(a_ op b_)) {                                                               \
			test_fail(__FILE__, __LINE__, "expected %s %s %s, got %llu vs %llu", #a, \
				  #op, #b, a_, b_);                                              \
			if (fatal)                                                               \
				return;                                                          \
		}                                                                                \
	} while (0)

#define TEST_TRUE_(c, fatal)                                              \
	do {                                                              \
		if (!(c)) {                                               \
			test_fail(__FILE__, __LINE__, "expected %s", #c); \
			if (fatal)                                        \
				return;                                   \
		}                                                         \
	} while (0)

#define TEST_STREQ_(a, b, fatal)                                                                 \
	do {                                                                                     \
		const char *a_ = (a), *b_ = (b);                                                 \
		if (!test_streq_(a_, b_)) {                                                      \
			test_fail(__FILE__, __LINE__, "expected %s == %s, got \"%s\" vs \"%s\"", \
				  #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");               \
			if (fatal)                                                               \
				return;                                                          \
		}                                                                                \
	} while (0)

bool test_streq_(const char *a, const char *b);

#define EXPECT_EQ(a, b) TEST_CMP_(a, b, ==, 0)
#define EXPECT_NE(a, b) TEST_CMP_(a, b, !=, 0)
#define EXPECT_LT(a, b) TEST_CMP_(a, b, <, 0)
#define EXPECT_LE(a, b) TEST_CMP_(a, b, <=, 0)
#define EXPECT_GT(a, b) TEST_CMP_(a, b, >, 0)
#define EXPECT_GE(a, b) TEST_CMP_(a, b, >=, 0)
#define EXPECT_UEQ(a, b) TEST_UCMP_(a, b, ==, 0)
#define EXPECT_UGE(a, b) TEST_UCMP_(a, b, >=, 0)
#define EXPECT_ULE(a, b) TEST_UCMP_(a, b, <=, 0)
#define EXPECT_TRUE(c) TEST_TRUE_(c, 0)
#define EXPECT_FALSE(c) TEST_TRUE_(!(c), 0)
#define EXPECT_STREQ(a, b) TEST_STREQ_(a, b, 0)

#define ASSERT_EQ(a, b) TEST_CMP_(a, b, ==, 1)
#define ASSERT_NE(a, b) TEST_CMP_(a, b, !=, 1)
#define ASSERT_LT(a, b) TEST_CMP_(a, b, <, 1)
#define ASSERT_LE(a, b) TEST_CMP_(a, b, <=, 1)
#define ASSERT_GT(a, b) TEST_CMP_(a, b, >, 1)
#define ASSERT_GE(a, b) TEST_CMP_(a, b, >=, 1)
#define ASSERT_UEQ(a, b) TEST_UCMP_(a, b, ==, 1)
#define ASSERT_UGE(a, b) TEST_UCMP_(a, b, >=, 1)
#define ASSERT_TRUE(c) TEST_TRUE_(c, 1)
#define ASSERT_FALSE(c) TEST_TRUE_(!(c), 1)
#define ASSERT_STREQ(a, b) TEST_STREQ_(a, b, 1)

#endif
