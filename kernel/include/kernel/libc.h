/* SPDX-License-Identifier: MIT */
/* The seam between the kernel and the C library the app links against. */
#ifndef WEFT_KERNEL_LIBC_H
#define WEFT_KERNEL_LIBC_H

#include <kernel/types.h>

/* The app's main, renamed by the build (-Dmain=app_main) so that hosted
 * images, which are Linux processes with a main of their own, link too. */
int app_main(int argc, char **argv);

/* Initialize the C library, run app_main(argc, argv) and exit with its
 * status through the library's exit(), which flushes stdio. */
__noreturn void libc_start(int argc, char **argv);

struct g;

/* Per-task C library state: set up for a new task (on its own stack, may
 * block), torn down when it exits, and carried across switches. */
void libc_task_init(struct g *g);
void libc_task_exit(struct g *g);
void libc_task_switch_out(struct g *g);
void libc_task_switch_in(struct g *g);

#endif
