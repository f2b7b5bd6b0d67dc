// SPDX-License-Identifier: MIT
/*
 * tests: runs the in-kernel TEST() cases. Arguments filter by substring of
 * "suite.name":  make run APP=tests ARGS="-- fdt time".
 */
#include <kernel/test.h>

int main(int argc, char **argv)
{
	return test_run_all(argc - 1, argv + 1) ? 1 : 0;
}
