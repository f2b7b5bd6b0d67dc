// SPDX-License-Identifier: MIT
/* The in-kernel test runner (see kernel/include/kernel/test.h). */
#include <stdarg.h>
#include <string.h>

#include <weft.h>

#include <kernel/printk.h>
#include <kernel/test.h>
#include <kernel/time.h>

extern const struct test_case __start_weft_tests[] __attribute__((weak));
extern const struct test_case __stop_weft_tests[] __attribute__((weak));

static const struct test_case *current;
static int current_failures;

void test_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk("    %s:%d: %s\n", file, line, msg);
	current_failures++;
}

bool test_failed(void)
{
	return current_failures != 0;
}

bool test_streq_(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* A test runs when its "suite.name" contains one of the filters (or there
 * are none), and contains none of the filters written "-text". */
static bool selected(const struct test_case *t, int nfilters, char **filters)
{
	char full[128];
	bool any_include = false, included = false;

	ksnprintf(full, sizeof(full), "%s.%s", t->suite, t->name);
	for (int i = 0; i < nfilters; i++) {
		if (filters[i][0] == '-') {
			if (strstr(full, filters[i] + 1))
				return false;
		} else {
			any_include = true;
			included |= strstr(full, filters[i]) != NULL;
		}
	}
	return !any_include || included;
}

int test_settle_tasks(int n, uint64_t timeout_ns)
{
	uint64_t deadline = now_ns() + timeout_ns;

	while (num_tasks() > n && now_ns() < deadline)
		sleep_ns(100 * NSEC_PER_USEC);
	return num_tasks();
}

int test_run_all(int nfilters, char **filters)
{
	int passed = 0, failed = 0;

	for (const struct test_case *t = __start_weft_tests; t < __stop_weft_tests; t++) {
		if (!selected(t, nfilters, filters))
			continue;
		current = t;
		current_failures = 0;
		uint64_t t0 = now_ns();

		t->fn();
		uint64_t us = (now_ns() - t0) / NSEC_PER_USEC;

		if (current_failures) {
			failed++;
			printk("FAIL %s.%s (%llu us)\n", t->suite, t->name, (unsigned long long)us);
		} else {
			passed++;
			printk("ok   %s.%s (%llu us)\n", t->suite, t->name, (unsigned long long)us);
		}
	}
	current = NULL;
	printk("%d passed, %d failed\n", passed, failed);
	return failed;
}
