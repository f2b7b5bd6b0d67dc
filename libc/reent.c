// SPDX-License-Identifier: MIT
/*
 * newlib reentrancy and locks. newlib is built with __DYNAMIC_REENT__, so
 * errno and stdio state are found through __getreent(), and with
 * retargetable locking, so its locks are ours.
 *
 * Until the scheduler exists one task runs, on one CPU, and interrupt
 * handlers never call into newlib: one reent structure is right, and a lock
 * needs only to count recursion. The scheduler replaces both with per-task
 * reentrancy and task-aware mutexes.
 */
#include <reent.h>
#include <sys/lock.h>

struct _reent *__getreent(void)
{
	return _impure_ptr;
}

struct __lock {
	int depth;
};

struct __lock __lock___sinit_recursive_mutex, __lock___sfp_recursive_mutex,
	__lock___atexit_recursive_mutex, __lock___at_quick_exit_mutex,
	__lock___malloc_recursive_mutex, __lock___env_recursive_mutex, __lock___tz_mutex,
	__lock___dd_hash_mutex, __lock___arc4random_mutex;

void __retarget_lock_init(_LOCK_T *lock)
{
	static struct __lock pool[64];
	static int used;

	*lock = used < 64 ? &pool[used++] : &__lock___sfp_recursive_mutex;
}

void __retarget_lock_init_recursive(_LOCK_T *lock)
{
	__retarget_lock_init(lock);
}

void __retarget_lock_close(_LOCK_T lock)
{
	(void)lock;
}

void __retarget_lock_close_recursive(_LOCK_T lock)
{
	(void)lock;
}

void __retarget_lock_acquire(_LOCK_T lock)
{
	lock->depth++;
}

void __retarget_lock_acquire_recursive(_LOCK_T lock)
{
	lock->depth++;
}

int __retarget_lock_try_acquire(_LOCK_T lock)
{
	lock->depth++;
	return 0;
}

int __retarget_lock_try_acquire_recursive(_LOCK_T lock)
{
	lock->depth++;
	return 0;
}

void __retarget_lock_release(_LOCK_T lock)
{
	lock->depth--;
}

void __retarget_lock_release_recursive(_LOCK_T lock)
{
	lock->depth--;
}
