// SPDX-License-Identifier: MIT
/*
 * The C library's sleeps, for every arch: they park the calling task on a
 * kernel timer (sleep_ns) and never the CPU. On hosted these replace the
 * host C library's, which would block the whole CPU thread and return
 * EINTR at its first timer signal.
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include <weft.h>

#include <kernel/time.h>

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (!req || req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= (long)NSEC_PER_SEC) {
		errno = EINVAL;
		return -1;
	}
	sleep_ns((uint64_t)req->tv_sec * NSEC_PER_SEC + (uint64_t)req->tv_nsec);
	if (rem)
		*rem = (struct timespec){ 0, 0 };
	return 0;
}

int usleep(useconds_t us)
{
	sleep_ns((uint64_t)us * NSEC_PER_USEC);
	return 0;
}

unsigned int sleep(unsigned int s)
{
	sleep_ns((uint64_t)s * NSEC_PER_SEC);
	return 0;
}
