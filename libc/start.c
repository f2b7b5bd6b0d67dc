// SPDX-License-Identifier: MIT
/* Starting the app on newlib: constructors, main, exit. */
#include <stdlib.h>

#include <kernel/libc.h>
#include <kernel/mem.h>

extern void __libc_init_array(void);

void libc_start(int argc, char **argv)
{
	mem_init();
	__libc_init_array();
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
