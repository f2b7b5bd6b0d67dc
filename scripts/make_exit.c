// SPDX-License-Identifier: MIT
/*
 * A GNU make plugin: $(weft-exit N) ends make with status N.
 *
 * make exits 2 whenever a recipe fails, whatever status the recipe had, but
 * `make run` must exit with the status main() returned, as `go run` does.
 * The run recipe records the runner's status, and a last recipe line ends
 * make with it through this function. Loaded with `-load` in the Makefile.
 */
#include <stdio.h>
#include <stdlib.h>

#include <gnumake.h>

int plugin_is_GPL_compatible;

static char *weft_exit(const char *name, unsigned int argc, char **argv)
{
	(void)name;
	(void)argc;
	fflush(NULL);
	exit(atoi(argv[0]));
}

int make_exit_gmk_setup(const gmk_floc *floc)
{
	(void)floc;
	gmk_add_function("weft-exit", weft_exit, 1, 1, GMK_FUNC_DEFAULT);
	return 1;
}
