// SPDX-License-Identifier: MIT
/* Starting the app on newlib: constructors, main, exit. */
#include <stdio.h>
#include <stdlib.h>

#include <kernel/libc.h>

extern void __libc_init_array(void);

/* exit() flushes only the global structure's streams; the streams of the
 * task that exits are its own. */
static void flush_own_streams(void)
{
	fflush(stdout);
	fflush(stderr);
}

void libc_start(int argc, char **argv)
{
	__libc_init_array();
	atexit(flush_own_streams);
	exit(app_main(argc, argv));
}

/* newlib's __libc_init_array calls these on targets with init/fini
 * sections; Weft uses .init_array only. */
void _init(void)
{
}

void _fini(void)
{
}
