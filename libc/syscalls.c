// SPDX-License-Identifier: MIT
/*
 * newlib's system call layer (built with --disable-newlib-supplied-syscalls):
 * the console for stdio, the arch clock for time, no sbrk (malloc is ours),
 * and clean errors for what a unikernel does not have (files, processes).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include <weft.h>

#include <arch.h>
#include <kernel/console.h>
#include <kernel/net.h>
#include <kernel/panic.h>
#include <kernel/time.h>

/*
 * Errors go straight to the calling task's errno (newlib's errno macro,
 * which is per task through __getreent), never to newlib's one global
 * errno: tasks on other CPUs may be failing calls at the same moment.
 */

static int is_console(int fd)
{
	return fd >= 0 && fd <= 2;
}

_READ_WRITE_RETURN_TYPE _write(int fd, const void *buf, size_t len)
{
	if (net_is_socket(fd))
		return net_write(fd, buf, len);
	if (!is_console(fd) || fd == 0) {
		errno = EBADF;
		return -1;
	}
	console_write(buf, len);
	return (int)len;
}

/* Console input: waits for the first byte, then returns what is waiting. */
_READ_WRITE_RETURN_TYPE _read(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t n = 0;
	int c;

	if (net_is_socket(fd))
		return net_read(fd, buf, len);
	if (fd != 0) {
		errno = EBADF;
		return -1;
	}
	while (n < len) {
		c = console_getc();
		if (c < 0) {
			if (n)
				break;
			arch_cpu_relax();
			continue;
		}
		p[n++] = (char)(c == '\r' ? '\n' : c);
		if (c == '\r' || c == '\n')
			break;
	}
	return (int)n;
}

void _exit(int status)
{
	kernel_exit(status);
}

int _kill(int pid, int sig)
{
	if (pid == 1)
		kernel_exit(128 + sig);
	errno = ESRCH;
	return -1;
}

int _getpid(void)
{
	return 1;
}

/* malloc is the kernel's heap (libc/malloc_r.c), so nothing grows a break. */
void *_sbrk(ptrdiff_t incr)
{
	(void)incr;
	errno = ENOMEM;
	return (void *)-1;
}

int _isatty(int fd)
{
	if (is_console(fd))
		return 1;
	errno = EBADF;
	return 0;
}

int _fstat(int fd, struct stat *st)
{
	if (net_is_socket(fd) && net_fcntl(fd, F_GETFL, 0) >= 0) {
		*st = (struct stat){ .st_mode = S_IFSOCK };
		return 0;
	}
	if (!is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	*st = (struct stat){ .st_mode = S_IFCHR };
	return 0;
}

int _close(int fd)
{
	if (net_is_socket(fd))
		return net_close(fd);
	if (is_console(fd))
		return 0;
	errno = EBADF;
	return -1;
}

/* newlib's fcntl() calls this: O_NONBLOCK on sockets, nothing else. */
int _fcntl(int fd, int cmd, int arg)
{
	if (net_is_socket(fd))
		return net_fcntl(fd, cmd, arg);
	errno = is_console(fd) ? EINVAL : EBADF;
	return -1;
}

/* Weak, like the aliases below; x86_64's newlib has no fcntl() at all. */
__attribute__((weak)) int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	int arg;

	va_start(ap, cmd);
	arg = va_arg(ap, int);
	va_end(ap);
	return _fcntl(fd, cmd, arg);
}

off_t _lseek(int fd, off_t off, int whence)
{
	(void)off;
	(void)whence;
	errno = is_console(fd) ? ESPIPE : EBADF;
	return -1;
}

/* There is no filesystem. */
int _open(const char *path, int flags, ...)
{
	(void)path;
	(void)flags;
	errno = ENOSYS;
	return -1;
}

int _stat(const char *path, struct stat *st)
{
	(void)path;
	(void)st;
	errno = ENOSYS;
	return -1;
}

int _link(const char *old, const char *new)
{
	(void)old;
	(void)new;
	errno = ENOSYS;
	return -1;
}

int _unlink(const char *path)
{
	(void)path;
	errno = ENOSYS;
	return -1;
}

/* There are no processes. */
int _fork(void)
{
	errno = ENOSYS;
	return -1;
}

int _execve(const char *path, char *const argv[], char *const envp[])
{
	(void)path;
	(void)argv;
	(void)envp;
	errno = ENOSYS;
	return -1;
}

int _wait(int *status)
{
	(void)status;
	errno = ECHILD;
	return -1;
}

clock_t _times(struct tms *t)
{
	clock_t ticks = (clock_t)(now_ns() / (NSEC_PER_SEC / CLOCKS_PER_SEC));

	if (t)
		*t = (struct tms){ .tms_utime = ticks };
	return ticks;
}

/* The wall clock starts at the epoch: there is no RTC driver yet. */
int _gettimeofday(struct timeval *tv, void *tz)
{
	(void)tz;
	uint64_t ns = now_ns();

	tv->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	tv->tv_usec = (suseconds_t)(ns % NSEC_PER_SEC / NSEC_PER_USEC);
	return 0;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	if (id != CLOCK_MONOTONIC && id != CLOCK_REALTIME) {
		errno = EINVAL;
		return -1;
	}
	uint64_t ns = now_ns();

	ts->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
	return 0;
}

int clock_getres(clockid_t id, struct timespec *res)
{
	if (id != CLOCK_MONOTONIC && id != CLOCK_REALTIME) {
		errno = EINVAL;
		return -1;
	}
	uint64_t ns = NSEC_PER_SEC / arch_cycles_hz();

	res->tv_sec = 0;
	res->tv_nsec = (long)(ns ? ns : 1);
	return 0;
}

/*
 * The POSIX names. newlib's own wrappers (write() calling _write_r()) are
 * not linked when these exist, and the x86_64-none-elf build of newlib has
 * none at all (its configure falls back to MISSING_SYSCALL_NAMES, where it
 * calls write() itself).
 */
#define POSIX_NAME(name) __typeof__(_##name) name __attribute__((weak, alias("_" #name)))

POSIX_NAME(write);
POSIX_NAME(read);
POSIX_NAME(open);
POSIX_NAME(close);
POSIX_NAME(lseek);
POSIX_NAME(fstat);
POSIX_NAME(stat);
POSIX_NAME(isatty);
POSIX_NAME(sbrk);
POSIX_NAME(getpid);
POSIX_NAME(kill);
POSIX_NAME(link);
POSIX_NAME(unlink);
POSIX_NAME(fork);
POSIX_NAME(execve);
POSIX_NAME(wait);
POSIX_NAME(times);
POSIX_NAME(gettimeofday);
