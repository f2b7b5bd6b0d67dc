// SPDX-License-Identifier: MIT
/*
 * Preloaded into QEMU when the guest is on the user network (NET=user):
 * listen() with a backlog of at least LISTEN_BACKLOG.
 *
 * libslirp 4.7.0 (Debian 12) listens on a hostfwd port with a backlog of 1
 * (strace: listen(3, 1)), so Linux queues at most two connections that
 * QEMU has not yet accepted. A client that opens many at once (ab -c 32,
 * wrk) overflows that queue whenever QEMU's main loop is slow to accept, as
 * on a loaded host. The overflowing connections are complete on the client's
 * side, so it sends its request and retransmits it with a doubling timeout;
 * each round of retransmissions, all in step, gets two more through. A
 * pcap of the guest's NIC during one failed `ab -c 32` showed 23 of the 32
 * connections reaching the guest, two per round, the last at 54 s; at 107 s
 * the host reset one (it had dropped that connection's half-open state by
 * then) and ab stopped with "Connection reset by peer". The guest never saw
 * the other nine: the fault is in QEMU's queue, and this makes it a normal
 * one.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>

#define LISTEN_BACKLOG 4096 /* Linux clamps it to net.core.somaxconn */

int listen(int fd, int backlog)
{
	static int (*real_listen)(int, int);

	if (!real_listen) {
		real_listen = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
		if (!real_listen) {
			errno = ENOSYS;
			return -1;
		}
	}
	return real_listen(fd, backlog < LISTEN_BACKLOG ? LISTEN_BACKLOG : backlog);
}
