// SPDX-License-Identifier: MIT
/*
 * BSD sockets over lwIP on 127.0.0.1 (the loopback interface), on every
 * arch: the calls apps make, with the errors POSIX promises.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <weft.h>

#include <kernel/test.h>

/* A listener on 127.0.0.1 at an ephemeral port; returns its fd and port. */
static int listen_lo(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static int connect_lo(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Write all of buf; false on error. */
static bool write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

TEST(net, addresses_convert_both_ways)
{
	struct in_addr a;
	char buf[INET_ADDRSTRLEN];

	ASSERT_EQ(inet_pton(AF_INET, "10.0.2.15", &a), 1);
	EXPECT_UEQ(a.s_addr, htonl(0x0a00020f));
	EXPECT_STREQ(inet_ntop(AF_INET, &a, buf, sizeof(buf)), "10.0.2.15");
	EXPECT_EQ(inet_pton(AF_INET, "10.0.2", &a), 0);
	EXPECT_EQ(inet_pton(AF_INET, "10.0.2.256", &a), 0);
	EXPECT_EQ(inet_pton(AF_INET, "1.2.3.4.5", &a), 0);
	EXPECT_EQ(inet_pton(AF_INET, "1.2.3.x", &a), 0);
	EXPECT_EQ(inet_pton(AF_INET6, "::1", &a), -1);
	EXPECT_EQ(errno, EAFNOSUPPORT);
	EXPECT_TRUE(inet_ntop(AF_INET, &a, buf, 4) == NULL); /* too small */
	EXPECT_UEQ(inet_addr("127.0.0.1"), htonl(INADDR_LOOPBACK));
	EXPECT_UEQ(htons(0x1234), 0x3412);
}

TEST(net, connect_accept_send_recv)
{
	uint16_t port;
	int lfd = listen_lo(&port);
	struct sockaddr_in peer, self;
	socklen_t plen = sizeof(peer), slen = sizeof(self);
	char buf[16] = { 0 };

	ASSERT_GE(lfd, 3); /* above the console's 0, 1 and 2 */
	int c = connect_lo(port);
	ASSERT_GE(c, 0);
	int s = accept(lfd, (struct sockaddr *)&peer, &plen);
	ASSERT_GE(s, 0);
	EXPECT_EQ(plen, sizeof(peer));
	EXPECT_EQ(peer.sin_family, AF_INET);
	EXPECT_UEQ(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	ASSERT_EQ(getsockname(c, (struct sockaddr *)&self, &slen), 0);
	EXPECT_EQ(self.sin_port, peer.sin_port); /* the client's own port, seen from both ends */

	EXPECT_EQ(send(c, "hello", 5, 0), 5);
	EXPECT_EQ(recv(s, buf, sizeof(buf), 0), 5);
	EXPECT_STREQ(buf, "hello");
	EXPECT_EQ(write(s, "back", 4), 4); /* write/read work on sockets too */
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(read(c, buf, sizeof(buf)), 4);
	EXPECT_STREQ(buf, "back");

	int one = 1, v = 0;
	socklen_t vlen = sizeof(v);
	EXPECT_EQ(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	EXPECT_EQ(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vlen), 0);
	EXPECT_NE(v, 0);
	vlen = sizeof(v);
	EXPECT_EQ(getsockopt(c, SOL_SOCKET, SO_TYPE, &v, &vlen), 0);
	EXPECT_EQ(v, SOCK_STREAM);

	EXPECT_EQ(close(c), 0);
	EXPECT_EQ(recv(s, buf, sizeof(buf), 0), 0); /* EOF */
	EXPECT_EQ(close(s), 0);
	EXPECT_EQ(close(lfd), 0);
	EXPECT_EQ(close(lfd), -1);
	EXPECT_EQ(errno, EBADF);
}

TEST(net, connect_to_closed_port_is_refused)
{
	uint16_t port;
	int lfd = listen_lo(&port);

	ASSERT_GE(lfd, 0);
	close(lfd); /* nobody listens there now */
	EXPECT_EQ(connect_lo(port), -1);
	EXPECT_EQ(errno, ECONNREFUSED);
	EXPECT_EQ(socket(AF_INET6, SOCK_STREAM, 0), -1);
	EXPECT_EQ(errno, EAFNOSUPPORT);
}

/* ---- a few MB one way, checksummed at both ends ---- */

#define BULK_BYTES (4u << 20)

struct bulk {
	uint16_t port;
	uint32_t sum;
	bool ok;
	waitgroup_t wg;
};

static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static void bulk_sender(void *arg)
{
	struct bulk *b = arg;
	static uint8_t chunk[8192];
	uint32_t h = 2166136261u, x = 12345;
	int fd = connect_lo(b->port);

	b->ok = fd >= 0;
	for (size_t sent = 0; b->ok && sent < BULK_BYTES; sent += sizeof(chunk)) {
		for (size_t i = 0; i < sizeof(chunk); i++) {
			x = x * 1103515245u + 12345u;
			chunk[i] = (uint8_t)(x >> 16);
		}
		h = fnv1a(h, chunk, sizeof(chunk));
		b->ok = write_all(fd, chunk, sizeof(chunk));
	}
	b->sum = h;
	if (fd >= 0)
		close(fd);
	wg_done(&b->wg);
}

TEST(net, megabytes_arrive_intact)
{
	struct bulk b = { 0 };
	static uint8_t buf[16384];
	uint32_t h = 2166136261u;
	size_t total = 0;
	ssize_t n;
	int lfd = listen_lo(&b.port);

	ASSERT_GE(lfd, 0);
	wg_add(&b.wg, 1);
	ASSERT_GT(go(bulk_sender, &b), 0);
	int s = accept(lfd, NULL, NULL);
	ASSERT_GE(s, 0);
	while ((n = recv(s, buf, sizeof(buf), 0)) > 0) {
		h = fnv1a(h, buf, (size_t)n);
		total += (size_t)n;
	}
	EXPECT_EQ(n, 0);
	wg_wait(&b.wg);
	EXPECT_TRUE(b.ok);
	EXPECT_UEQ(total, BULK_BYTES);
	EXPECT_UEQ(h, b.sum);
	close(s);
	close(lfd);
}

/* ---- many connections at once, one task per end ---- */

#define NCONN 100

struct many {
	uint16_t port;
	int ok;
	waitgroup_t wg;
};

static void echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[512];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (!write_all(fd, buf, (size_t)n))
			break;
	close(fd);
}

static void many_client(void *arg)
{
	struct many *m = arg;
	char out[1000], in[1000];
	size_t got = 0;
	int fd = connect_lo(m->port);

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + task_id());
	if (fd >= 0 && write_all(fd, out, sizeof(out))) {
		while (got < sizeof(in)) {
			ssize_t n = read(fd, in + got, sizeof(in) - got);

			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got == sizeof(in) && memcmp(in, out, sizeof(in)) == 0)
			__atomic_fetch_add(&m->ok, 1, __ATOMIC_RELAXED);
	}
	if (fd >= 0)
		close(fd);
	wg_done(&m->wg);
}

TEST(net, many_concurrent_connections)
{
	struct many m = { 0 };
	int lfd = listen_lo(&m.port);

	ASSERT_GE(lfd, 0);
	wg_add(&m.wg, NCONN);
	for (int i = 0; i < NCONN; i++)
		ASSERT_GT(go(many_client, &m), 0);
	for (int i = 0; i < NCONN; i++) {
		int s = accept(lfd, NULL, NULL);

		ASSERT_GE(s, 0);
		ASSERT_GT(go(echo_conn, (void *)(intptr_t)s), 0);
	}
	wg_wait(&m.wg);
	EXPECT_EQ(m.ok, NCONN);
	close(lfd);
}

/* ---- poll, timeouts, half-close, close waking accept ---- */

TEST(net, poll_waits_for_a_connection)
{
	uint16_t port;
	int lfd = listen_lo(&port);
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	uint64_t t0 = now_ns();

	ASSERT_GE(lfd, 0);
	EXPECT_EQ(poll(&p, 1, 50), 0); /* nothing yet: times out */
	EXPECT_UGE(now_ns() - t0, 45000000ull);
	int c = connect_lo(port);
	ASSERT_GE(c, 0);
	EXPECT_EQ(poll(&p, 1, 1000), 1);
	EXPECT_TRUE(p.revents & POLLIN);
	int s = accept(lfd, NULL, NULL);
	ASSERT_GE(s, 0);
	struct pollfd q[2] = { { .fd = s, .events = POLLIN | POLLOUT },
			       { .fd = 2, .events = POLLIN } };
	EXPECT_EQ(poll(q, 2, 0), 2);
	EXPECT_EQ(q[0].revents, POLLOUT); /* writable, nothing to read */
	EXPECT_EQ(q[1].revents, POLLNVAL); /* the console is not a socket */
	close(c);
	close(s);
	close(lfd);
}

TEST(net, rcvtimeo_expires)
{
	uint16_t port;
	int lfd = listen_lo(&port);
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	char buf[4];

	ASSERT_GE(lfd, 0);
	int c = connect_lo(port);
	ASSERT_GE(c, 0);
	int s = accept(lfd, NULL, NULL);
	ASSERT_GE(s, 0);
	ASSERT_EQ(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	uint64_t t0 = now_ns();
	EXPECT_EQ(recv(s, buf, sizeof(buf), 0), -1);
	EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
	uint64_t waited = now_ns() - t0;
	EXPECT_UGE(waited, 95000000ull);
	EXPECT_ULE(waited, 2000000000ull);
	close(c);
	close(s);
	close(lfd);
}

TEST(net, half_close_is_seen_as_eof)
{
	uint16_t port;
	int lfd = listen_lo(&port);
	char buf[16] = { 0 };

	ASSERT_GE(lfd, 0);
	int c = connect_lo(port);
	ASSERT_GE(c, 0);
	int s = accept(lfd, NULL, NULL);
	ASSERT_GE(s, 0);
	/* Without the EOF, fail in 2 s rather than hang. */
	struct timeval tv = { .tv_sec = 2 };
	ASSERT_EQ(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	EXPECT_EQ(write(c, "ask", 3), 3);
	EXPECT_EQ(shutdown(c, SHUT_WR), 0);
	EXPECT_EQ(read(s, buf, sizeof(buf)), 3);
	EXPECT_EQ(read(s, buf, sizeof(buf)), 0); /* the client is done sending */
	EXPECT_EQ(write(s, "answer", 6), 6); /* but still hears the reply */
	close(s);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(read(c, buf, sizeof(buf)), 6);
	EXPECT_STREQ(buf, "answer");
	EXPECT_EQ(read(c, buf, sizeof(buf)), 0);
	close(c);
	close(lfd);
}

struct acceptor {
	int lfd, ret, err;
	waitgroup_t wg;
};

static void blocked_acceptor(void *arg)
{
	struct acceptor *a = arg;

	a->ret = accept(a->lfd, NULL, NULL);
	a->err = errno;
	wg_done(&a->wg);
}

TEST(net, closing_a_listener_wakes_accept)
{
	uint16_t port;
	struct acceptor a = { .ret = 99 };

	a.lfd = listen_lo(&port);
	ASSERT_GE(a.lfd, 0);
	wg_add(&a.wg, 1);
	ASSERT_GT(go(blocked_acceptor, &a), 0);
	sleep_ns(20000000); /* let it block in accept */
	EXPECT_EQ(a.ret, 99);
	EXPECT_EQ(close(a.lfd), 0);
	wg_wait(&a.wg);
	EXPECT_EQ(a.ret, -1);
	EXPECT_NE(a.err, 0);
}

TEST(net, getaddrinfo_takes_numbers_only)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	ASSERT_EQ(getaddrinfo("10.0.2.15", "8080", &hints, &res), 0);
	ASSERT_EQ(res->ai_family, AF_INET);
	EXPECT_EQ(res->ai_socktype, SOCK_STREAM);
	EXPECT_TRUE(res->ai_next == NULL);
	ASSERT_EQ(getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof(host), serv, sizeof(serv),
			      NI_NUMERICHOST | NI_NUMERICSERV),
		  0);
	EXPECT_STREQ(host, "10.0.2.15");
	EXPECT_STREQ(serv, "8080");
	freeaddrinfo(res);

	hints.ai_flags = AI_PASSIVE;
	ASSERT_EQ(getaddrinfo(NULL, "http", &hints, &res), 0);
	EXPECT_UEQ(((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr, htonl(INADDR_ANY));
	EXPECT_EQ(ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port), 80);
	freeaddrinfo(res);

	EXPECT_EQ(getaddrinfo("example.com", "80", &hints, &res), EAI_NONAME);
	EXPECT_EQ(getaddrinfo("1.2.3.4", "99999", &hints, &res), EAI_SERVICE);
	hints.ai_family = AF_INET6;
	EXPECT_EQ(getaddrinfo("::1", "80", &hints, &res), EAI_FAMILY);
}

/* ---- 500 connections open at once ---- */

#define NHELD 500

struct held {
	uint16_t port;
	int connected, answered;
	waitgroup_t wg;
};

static void held_client(void *arg)
{
	struct held *h = arg;
	char c;
	int fd = connect_lo(h->port);

	if (fd >= 0) {
		__atomic_fetch_add(&h->connected, 1, __ATOMIC_RELAXED);
		/* Wait for the server's byte, with every connection open. */
		if (read(fd, &c, 1) == 1 && write(fd, &c, 1) == 1)
			__atomic_fetch_add(&h->answered, 1, __ATOMIC_RELAXED);
		close(fd);
	}
	wg_done(&h->wg);
}

TEST(net, five_hundred_connections_held_then_closed)
{
	static int fds[NHELD];
	struct held h = { 0 };
	int lfd = listen_lo(&h.port), ok = 0;

	ASSERT_GE(lfd, 0);
	wg_add(&h.wg, NHELD);
	for (int i = 0; i < NHELD; i++)
		ASSERT_GT(go(held_client, &h), 0);
	for (int i = 0; i < NHELD; i++) {
		fds[i] = accept(lfd, NULL, NULL);
		ASSERT_GE(fds[i], 0);
	}
	/* Every connection is open now: all 500 were accepted, and no client
	 * closes before its byte arrives. */
	for (int i = 0; i < NHELD; i++) {
		char c = (char)i;

		if (write(fds[i], &c, 1) == 1 && read(fds[i], &c, 1) == 1 && c == (char)i)
			ok++;
		close(fds[i]);
	}
	wg_wait(&h.wg);
	EXPECT_EQ(h.connected, NHELD);
	EXPECT_EQ(ok, NHELD);
	EXPECT_EQ(h.answered, NHELD);

	/* Still serving afterwards. */
	int c = connect_lo(h.port);
	ASSERT_GE(c, 0);
	int s = accept(lfd, NULL, NULL);
	ASSERT_GE(s, 0);
	EXPECT_EQ(write(c, "x", 1), 1);
	char b = 0;
	EXPECT_EQ(read(s, &b, 1), 1);
	close(c);
	close(s);
	close(lfd);
}
