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

/* Set up this CPU's share of the C library, on each CPU before it runs a
 * task. */
void libc_cpu_init(void);

/*
 * Carry per-task state across a switch: libc_task_switch_out(g) before g's
 * context is saved, libc_task_switch_in(g) once it runs again, perhaps on
 * another CPU. Inline, because every switch pays for them.
 */
#ifdef WEFT_HOSTED
/* The host's errno belongs to the CPU's thread, not to the task. Its
 * address is kept in our own TLS and read with one %fs-relative load that
 * the compiler cannot hoist across the switch (glibc's __errno_location()
 * is declared const, so the compiler may reuse its result even after the
 * task moved to another thread). */
#include <stdint.h>

#include <arch.h>
#include <kernel/sched.h>

struct libc_host_tls {
	uintptr_t errno_loc; /* int *, as an integer for HOSTED_TLS_LOAD */
};
extern __thread struct libc_host_tls libc_host HOSTED_TLS;

static inline void libc_task_switch_out(struct g *g)
{
	g->libc_errno = *(int *)HOSTED_TLS_LOAD(libc_host, errno_loc);
}

static inline void libc_task_switch_in(struct g *g)
{
	*(int *)HOSTED_TLS_LOAD(libc_host, errno_loc) = g->libc_errno;
}
#else
/* newlib finds errno and stdio through the running task (__getreent()),
 * so nothing moves. */
static inline void libc_task_switch_out(struct g *g)
{
	(void)g;
}

static inline void libc_task_switch_in(struct g *g)
{
	(void)g;
}
#endif

#endif
