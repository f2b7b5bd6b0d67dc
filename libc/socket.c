// SPDX-License-Identifier: MIT
/*
 * BSD sockets for apps (<sys/socket.h>, <netinet/in.h>, <arpa/inet.h>,
 * <poll.h>): the POSIX names over lwIP's socket layer, which shares our
 * headers' structure layouts (kernel/net/include/weft_lwip_sockets.h), so
 * most calls pass straight through. lwIP is started on the first socket()
 * call when no NIC started it at boot. Blocking calls park only the calling
 * task (lwIP waits on sys_arch.c's channels). Errors come back as -1 with
 * errno set, as POSIX says.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/inet.h>
#include <lwip/ip4_addr.h>
#include <lwip/sockets.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <kernel/net.h>

/* lwIP's calls may wait on the task's semaphore: make it first, where
 * running out of memory can be ENOMEM (kernel/include/kernel/net.h). */
#define NET_ENTER()                         \
	do {                                \
		if (net_task_enter() < 0) { \
			errno = ENOMEM;     \
			return -1;          \
		}                           \
	} while (0)

int socket(int domain, int type, int protocol)
{
	NET_ENTER();
	int nonblock = type & SOCK_NONBLOCK;
	int fd;

	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC); /* no exec, so no close-on-exec */
	if (domain != AF_INET) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	net_start();
	fd = lwip_socket(domain, type, protocol);
	if (fd >= 0 && nonblock)
		lwip_fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	NET_ENTER();
	return lwip_bind(fd, addr, len);
}

/* The backlog is not enforced: connections wait for accept() in a mailbox
 * of DEFAULT_ACCEPTMBOX_SIZE (kernel/net/include/lwipopts.h). */
int listen(int fd, int backlog)
{
	NET_ENTER();
	return lwip_listen(fd, backlog);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	NET_ENTER();
	return lwip_accept(fd, addr, len);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	NET_ENTER();
	int r = lwip_connect(fd, addr, len);

	/* A reset answering our SYN is a refusal (RFC 793, SYN-SENT), which
	 * POSIX calls ECONNREFUSED; lwIP reports every reset as ECONNRESET. */
	if (r < 0 && errno == ECONNRESET)
		errno = ECONNREFUSED;
	return r;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	NET_ENTER();
	return lwip_send(fd, buf, len, flags & ~MSG_NOSIGNAL); /* no signals here */
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	NET_ENTER();
	return lwip_recv(fd, buf, len, flags);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen)
{
	NET_ENTER();
	return lwip_sendto(fd, buf, len, flags & ~MSG_NOSIGNAL, to, tolen);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
		 socklen_t *fromlen)
{
	NET_ENTER();
	return lwip_recvfrom(fd, buf, len, flags, from, fromlen);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	NET_ENTER();
	return lwip_sendmsg(fd, msg, flags & ~MSG_NOSIGNAL);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	NET_ENTER();
	return lwip_recvmsg(fd, msg, flags);
}

int shutdown(int fd, int how)
{
	NET_ENTER();
	return lwip_shutdown(fd, how);
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	NET_ENTER();
	return lwip_setsockopt(fd, level, name, val, len);
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	NET_ENTER();
	return lwip_getsockopt(fd, level, name, val, len);
}

int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	NET_ENTER();
	return lwip_getpeername(fd, addr, len);
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	NET_ENTER();
	return lwip_getsockname(fd, addr, len);
}

static bool is_open_socket(int fd)
{
	int e = errno;
	bool open = lwip_fcntl(fd, F_GETFL, 0) >= 0;

	errno = e;
	return open;
}

/*
 * lwIP fails the whole call for a descriptor that is not a socket; POSIX
 * reports it as POLLNVAL in that entry and counts it as ready. So when
 * there is one, lwIP polls a copy with such entries hidden (fd -1 is
 * ignored), without waiting, since something is already ready.
 */
int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	NET_ENTER();
	struct pollfd *copy;
	int nbad = 0, n;

	net_start(); /* lwip_poll waits on the stack's semaphores */
	for (nfds_t i = 0; i < nfds; i++)
		if (fds[i].fd >= 0 && !is_open_socket(fds[i].fd))
			nbad++;
	if (!nbad)
		return lwip_poll(fds, nfds, timeout);
	copy = malloc(nfds * sizeof(*copy));
	if (!copy) {
		errno = ENOMEM;
		return -1;
	}
	for (nfds_t i = 0; i < nfds; i++) {
		copy[i] = fds[i];
		if (fds[i].fd >= 0 && !is_open_socket(fds[i].fd))
			copy[i].fd = -1;
	}
	n = lwip_poll(copy, nfds, 0);
	for (nfds_t i = 0; i < nfds; i++)
		fds[i].revents = copy[i].fd < 0 && fds[i].fd >= 0 ? POLLNVAL : copy[i].revents;
	free(copy);
	return n < 0 ? n : n + nbad;
}

/* ---- addresses ---- */

int inet_pton(int af, const char *src, void *dst)
{
	if (af != AF_INET) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	/* POSIX wants exactly four decimal parts; lwIP's parser also takes
	 * the old shorthand forms (1.2.3, 0x7f.1), so check the shape first. */
	int parts = 1, digits = 0;

	for (const char *p = src; *p; p++) {
		if (*p == '.') {
			if (!digits || ++parts > 4)
				return 0;
			digits = 0;
		} else if (*p >= '0' && *p <= '9') {
			if (++digits > 3 || (digits == 2 && p[-1] == '0'))
				return 0;
		} else {
			return 0;
		}
	}
	if (parts != 4 || !digits)
		return 0;
	return lwip_inet_pton(af, src, dst);
}

const char *inet_ntop(int af, const void *src, char *dst, socklen_t size)
{
	if (af != AF_INET) {
		errno = EAFNOSUPPORT;
		return NULL;
	}
	return lwip_inet_ntop(af, src, dst, size);
}

int inet_aton(const char *cp, struct in_addr *inp)
{
	ip4_addr_t a;

	if (!ip4addr_aton(cp, &a))
		return 0;
	if (inp)
		inp->s_addr = ip4_addr_get_u32(&a);
	return 1;
}

in_addr_t inet_addr(const char *cp)
{
	struct in_addr a;

	return inet_aton(cp, &a) ? a.s_addr : INADDR_NONE;
}

char *inet_ntoa(struct in_addr in)
{
	static char buf[INET_ADDRSTRLEN];

	return (char *)inet_ntop(AF_INET, &in, buf, sizeof(buf));
}

/* ---- <netdb.h>: numeric only, there is no resolver ---- */

static int parse_port(const char *service, int flags, uint16_t *port)
{
	char *end;
	unsigned long v;

	*port = 0;
	if (!service)
		return 0;
	if (service[0] >= '0' && service[0] <= '9') {
		v = strtoul(service, &end, 10);
		if (*end || v > 65535)
			return EAI_SERVICE;
		*port = (uint16_t)v;
		return 0;
	}
	if (flags & AI_NUMERICSERV)
		return EAI_NONAME;
	/* The two names a server is likely to use. */
	if (strcmp(service, "http") == 0)
		*port = 80;
	else if (strcmp(service, "https") == 0)
		*port = 443;
	else
		return EAI_SERVICE;
	return 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	static const int types[][2] = { { SOCK_STREAM, IPPROTO_TCP }, { SOCK_DGRAM, IPPROTO_UDP } };
	struct addrinfo h = { 0 }, *head = NULL, **tail = &head;
	struct in_addr addr;
	uint16_t port;
	int err;

	if (hints)
		h = *hints;
	if (h.ai_family != AF_UNSPEC && h.ai_family != AF_INET)
		return EAI_FAMILY;
	if (!node && !service)
		return EAI_NONAME;
	err = parse_port(service, h.ai_flags, &port);
	if (err)
		return err;
	if (!node)
		addr.s_addr = htonl(h.ai_flags & AI_PASSIVE ? INADDR_ANY : INADDR_LOOPBACK);
	else if (strcmp(node, "localhost") == 0 && !(h.ai_flags & AI_NUMERICHOST))
		addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, node, &addr) != 1)
		return EAI_NONAME;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct {
			struct addrinfo ai;
			struct sockaddr_in sin;
		} * e;

		if (h.ai_socktype && h.ai_socktype != types[i][0])
			continue;
		if (h.ai_protocol && h.ai_protocol != types[i][1])
			continue;
		e = calloc(1, sizeof(*e));
		if (!e) {
			freeaddrinfo(head);
			return EAI_MEMORY;
		}
		e->sin.sin_family = AF_INET;
		e->sin.sin_port = htons(port);
		e->sin.sin_addr = addr;
		e->ai.ai_family = AF_INET;
		e->ai.ai_socktype = types[i][0];
		e->ai.ai_protocol = types[i][1];
		e->ai.ai_addrlen = sizeof(e->sin);
		e->ai.ai_addr = (struct sockaddr *)&e->sin;
		*tail = &e->ai;
		tail = &e->ai.ai_next;
	}
	if (!head)
		return EAI_SOCKTYPE;
	*res = head;
	return 0;
}

void freeaddrinfo(struct addrinfo *res)
{
	while (res) {
		struct addrinfo *next = res->ai_next;

		free(res); /* the sockaddr is in the same block */
		res = next;
	}
}

const char *gai_strerror(int err)
{
	switch (err) {
	case 0:
		return "Success";
	case EAI_NONAME:
		return "Name or service not known";
	case EAI_FAMILY:
		return "Address family not supported";
	case EAI_SOCKTYPE:
		return "Socket type not supported";
	case EAI_SERVICE:
		return "Service not supported for socket type";
	case EAI_MEMORY:
		return "Memory allocation failure";
	case EAI_OVERFLOW:
		return "Buffer overflow";
	default:
		return "Unknown error";
	}
}

int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
		char *serv, socklen_t servlen, int flags)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

	if (!sa || salen < sizeof(*sin) || sa->sa_family != AF_INET)
		return EAI_FAMILY;
	if (flags & NI_NAMEREQD)
		return EAI_NONAME; /* no names without a resolver */
	if (host && hostlen && !inet_ntop(AF_INET, &sin->sin_addr, host, hostlen))
		return EAI_OVERFLOW;
	if (serv && servlen) {
		int n = snprintf(serv, servlen, "%u", ntohs(sin->sin_port));

		if (n < 0 || (socklen_t)n >= servlen)
			return EAI_OVERFLOW;
	}
	return 0;
}

/* ---- descriptors, for the C library's read, write, close and fcntl ---- */

bool net_is_socket(int fd)
{
	return fd >= LWIP_SOCKET_OFFSET;
}

long net_read(int fd, void *buf, size_t len)
{
	NET_ENTER();
	return lwip_read(fd, buf, len);
}

long net_write(int fd, const void *buf, size_t len)
{
	NET_ENTER();
	return lwip_write(fd, buf, len);
}

int net_close(int fd)
{
	NET_ENTER();
	return lwip_close(fd);
}

int net_fcntl(int fd, int cmd, int arg)
{
	return lwip_fcntl(fd, cmd, arg);
}

#ifdef WEFT_HOSTED
/*
 * On hosted, the app's read, write, close and fcntl are the host C
 * library's. Socket descriptors start at LWIP_SOCKET_OFFSET, far above any
 * the host hands out, so these route those to lwIP and the rest to the
 * host's system calls (libc/syscalls.c does the same for newlib).
 */
#include <sys/syscall.h>
#include <unistd.h>

ssize_t read(int fd, void *buf, size_t len)
{
	if (net_is_socket(fd))
		return net_read(fd, buf, len);
	return syscall(SYS_read, fd, buf, len);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	if (net_is_socket(fd))
		return net_write(fd, buf, len);
	return syscall(SYS_write, fd, buf, len);
}

int close(int fd)
{
	if (net_is_socket(fd))
		return net_close(fd);
	return (int)syscall(SYS_close, fd);
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	if (net_is_socket(fd))
		return net_fcntl(fd, cmd, (int)arg);
	return (int)syscall(SYS_fcntl, fd, cmd, arg);
}
#endif
