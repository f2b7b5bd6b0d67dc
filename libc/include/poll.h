/* SPDX-License-Identifier: MIT */
/* <poll.h>: poll() over sockets (libc/socket.c); it parks only the calling
 * task. The console descriptors are not pollable (POLLNVAL). */
#ifndef WEFT_POLL_H
#define WEFT_POLL_H

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned long nfds_t;

struct pollfd {
	int fd;
	short events;
	short revents;
};

#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200

/* timeout in milliseconds; < 0 waits forever. */
int poll(struct pollfd *fds, nfds_t nfds, int timeout);

#ifdef __cplusplus
}
#endif

#endif
