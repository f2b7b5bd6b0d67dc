// SPDX-License-Identifier: MIT
/* Starting the app on the host's C library (ARCH=hosted). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <kernel/libc.h>
#include <kernel/printk.h>
#include <kernel/sched.h>

/* The same last line as on the machines, whichever way the app exits. */
static void print_exit_status(int status, void *arg)
{
	(void)arg;
	fflush(stdout);
	printk("weft: exit status %d\n", status);
}

void libc_start(int argc, char **argv)
{
	/* Kernel output goes straight to fd 1; keep the app's stdio in step. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	on_exit(print_exit_status, NULL);
	exit(app_main(argc, argv));
}

/* The host's errno belongs to the CPU thread, not the task: carry each
 * task's value across switches. */
void libc_task_init(struct g *g)
{
	g->libc_errno = 0;
}

void libc_task_exit(struct g *g)
{
	(void)g;
}

__thread struct libc_host_tls libc_host HOSTED_TLS;

void libc_cpu_init(void)
{
	libc_host.errno_loc = (uintptr_t)&errno;
}
