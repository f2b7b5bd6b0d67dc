// SPDX-License-Identifier: MIT
/*
 * newlib reentrancy and locks. newlib is built with __DYNAMIC_REENT__, so
 * errno and stdio state are found through __getreent(), and with
 * retargetable locking, so its locks are ours.
 *
 * Each task gets its own struct _reent (errno, its stdio streams and their
 * buffers) the first time it needs one, so tasks that never touch errno or
 * stdio cost nothing. Each stream is line-buffered per task, and the
 * console writes a whole buffer at once, so lines from concurrent tasks
 * never interleave. newlib's locks are task mutexes: they block only the
 * calling task.
 */
#include <reent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/lock.h>

#include <weft.h>

#include <kernel/libc.h>
#include <kernel/sched.h>

struct _reent *__getreent(void)
{
	struct g *g = current_g();

	if (!g)
		return _impure_ptr;
	if (g->libc)
		return g->libc;

	/* Allocating calls back in here (malloc's own locks and errno):
	 * meanwhile the task uses the global structure. */
	g->libc = _impure_ptr;
	struct _reent *r = malloc(sizeof(*r));

	if (r)
		_REENT_INIT_PTR(r);
	g->libc = r ? r : _impure_ptr;
	return g->libc;
}

void libc_task_init(struct g *g)
{
	g->libc = NULL;
}

void libc_task_exit(struct g *g)
{
	struct _reent *r = g->libc;

	if (!r || r == _impure_ptr)
		return;
	/* Flush and close this task's streams, free what newlib hung on the
	 * structure, then the structure itself (on the task's own stack:
	 * this may block). */
	_reclaim_reent(r);
	g->libc = _impure_ptr;
	free(r);
	g->libc = NULL;
}

void libc_cpu_init(void)
{
}

/* ---- locks ---- */

struct __lock {
	mutex_t m;
	struct g *owner; /* recursive locks: the holder */
	int depth;
};

struct __lock __lock___sinit_recursive_mutex, __lock___sfp_recursive_mutex,
	__lock___atexit_recursive_mutex, __lock___at_quick_exit_mutex,
	__lock___malloc_recursive_mutex, __lock___env_recursive_mutex, __lock___tz_mutex,
	__lock___dd_hash_mutex, __lock___arc4random_mutex;

/* Used for dynamically made locks when memory has run out: correct, just
 * coarser. */
static struct __lock fallback_lock;

void __retarget_lock_init(_LOCK_T *lock)
{
	struct __lock *l = calloc(1, sizeof(*l));

	*lock = l ? l : &fallback_lock;
}

void __retarget_lock_init_recursive(_LOCK_T *lock)
{
	__retarget_lock_init(lock);
}

void __retarget_lock_close(_LOCK_T lock)
{
	if (lock != &fallback_lock)
		free(lock);
}

void __retarget_lock_close_recursive(_LOCK_T lock)
{
	__retarget_lock_close(lock);
}

void __retarget_lock_acquire(_LOCK_T lock)
{
	mutex_lock(&lock->m);
}

int __retarget_lock_try_acquire(_LOCK_T lock)
{
	return mutex_trylock(&lock->m);
}

void __retarget_lock_release(_LOCK_T lock)
{
	mutex_unlock(&lock->m);
}

/* Before the scheduler runs, current_g() is NULL and stands for the one
 * boot context. */
void __retarget_lock_acquire_recursive(_LOCK_T lock)
{
	struct g *self = current_g();

	if (lock->depth && lock->owner == self) {
		lock->depth++;
		return;
	}
	mutex_lock(&lock->m);
	lock->owner = self;
	lock->depth = 1;
}

int __retarget_lock_try_acquire_recursive(_LOCK_T lock)
{
	struct g *self = current_g();

	if (lock->depth && lock->owner == self) {
		lock->depth++;
		return 1;
	}
	if (!mutex_trylock(&lock->m))
		return 0;
	lock->owner = self;
	lock->depth = 1;
	return 1;
}

void __retarget_lock_release_recursive(_LOCK_T lock)
{
	if (--lock->depth == 0) {
		lock->owner = NULL;
		mutex_unlock(&lock->m);
	}
}
