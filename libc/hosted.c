// SPDX-License-Identifier: MIT
/* Starting the app on the host's C library (ARCH=hosted). */
#include <stdio.h>
#include <stdlib.h>

#include <kernel/libc.h>
#include <kernel/mem.h>
#include <kernel/printk.h>

/* The same last line as on the machines, whichever way the app exits. */
static void print_exit_status(int status, void *arg)
{
	(void)arg;
	fflush(stdout);
	printk("weft: exit status %d\n", status);
}

void libc_start(int argc, char **argv)
{
	mem_init();
	/* Kernel output goes straight to fd 1; keep the app's stdio in step. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	on_exit(print_exit_status, NULL);
	exit(app_main(argc, argv));
}
