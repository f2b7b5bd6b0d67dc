// SPDX-License-Identifier: MIT
/*
 * httpd: HTTP/1.1 on port 80, one task per connection.
 *
 *   GET /        a static page
 *   GET /stats   tasks, memory and per-NIC counters as JSON
 *   anything else 404; a malformed request 400; GET and HEAD only (405).
 *
 * Keep-alive follows RFC 9112 §9.3: HTTP/1.1 keeps the connection unless a
 * side says "Connection: close"; HTTP/1.0 closes unless the client asks for
 * keep-alive. A request head is limited to REQ_MAX bytes (431 beyond) and a
 * body to BODY_MAX (413); a body that is sent is read and ignored. An idle
 * keep-alive connection is closed after IDLE_SECONDS.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <weft.h>

#define PORT 80
#define REQ_MAX 8192
#define BODY_MAX (1 << 20)
#define IDLE_SECONDS 120
#define RESP_MAX 8192

static const char page[] =
	"<!DOCTYPE html>\n"
	"<html><head><title>Weft</title></head>\n"
	"<body><h1>Hello from Weft</h1>\n"
	"<p>A unikernel serving HTTP on lwIP. See <a href=\"/stats\">/stats</a>.</p>\n"
	"</body></html>\n";

static uint64_t requests_served;

struct conn {
	int fd;
	char buf[REQ_MAX];
	size_t len; /* bytes in buf */
};

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Append printf output to out (of RESP_MAX bytes); false when it is full. */
static bool appendf(char *out, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool appendf(char *out, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + *len, RESP_MAX - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= RESP_MAX - *len)
		return false;
	*len += (size_t)n;
	return true;
}

static size_t stats_json(char *out)
{
	struct memstats ms;
	struct net_stats ns;
	size_t len = 0;

	read_memstats(&ms);
	appendf(out, &len,
		"{\"arch\":\"%s\",\"cpus\":%d,\"uptime_ns\":%" PRIu64 ",\"num_tasks\":%d,"
		"\"requests\":%" PRIu64 ",\"memory\":{\"total\":%" PRIu64 ",\"free\":%" PRIu64
		",\"heap_in_use\":%" PRIu64 ",\"stack_in_use\":%" PRIu64 "},\"nics\":[",
		sys_arch(), num_cpu(), now_ns(), num_tasks(),
		__atomic_load_n(&requests_served, __ATOMIC_RELAXED), ms.total, ms.free,
		ms.heap_in_use, ms.stack_in_use);
	for (int i = 0; net_stats(i, &ns) == 0; i++) {
		uint32_t ip = ntohl(ns.ipv4);

		appendf(out, &len,
			"%s{\"name\":\"%s\",\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\","
			"\"ipv4\":\"%u.%u.%u.%u\",\"rx_packets\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
			",\"rx_dropped\":%" PRIu64 ",\"tx_packets\":%" PRIu64
			",\"tx_bytes\":%" PRIu64 ",\"tx_dropped\":%" PRIu64 "}",
			i ? "," : "", ns.name, ns.mac[0], ns.mac[1], ns.mac[2], ns.mac[3],
			ns.mac[4], ns.mac[5], ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255,
			ns.rx_packets, ns.rx_bytes, ns.rx_dropped, ns.tx_packets, ns.tx_bytes,
			ns.tx_dropped);
	}
	appendf(out, &len, "]}\n");
	return len;
}

/* Send one response; the body is skipped for HEAD. */
static bool respond(int fd, int status, const char *reason, const char *type, const char *body,
		    size_t body_len, bool keep, bool head, const char *extra)
{
	char hdr[512];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d %s\r\nServer: weft\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: %s\r\n%s\r\n",
			 status, reason, type, body_len, keep ? "keep-alive" : "close",
			 extra ? extra : "");
	static const size_t one_write = 4096;

	if (n < 0 || (size_t)n >= sizeof(hdr))
		return false;
	if (head || !body_len)
		return write_all(fd, hdr, (size_t)n);
	if ((size_t)n + body_len <= one_write) {
		/* One write, so that header and body leave in one segment. */
		char all[4096];

		memcpy(all, hdr, (size_t)n);
		memcpy(all + n, body, body_len);
		return write_all(fd, all, (size_t)n + body_len);
	}
	return write_all(fd, hdr, (size_t)n) && write_all(fd, body, body_len);
}

static bool error_page(int fd, int status, const char *reason, bool keep)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, reason);

	return respond(fd, status, reason, "text/plain", body, (size_t)n, keep, false,
		       status == 405 ? "Allow: GET, HEAD\r\n" : NULL);
}

/* Find the end of the request head ("\r\n\r\n"): its length, or 0. */
static size_t head_len(const char *b, size_t n)
{
	for (size_t i = 3; i < n; i++)
		if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r')
			return i + 1;
	return 0;
}

/* Whether a comma-separated header value contains token (case-insensitive). */
static bool has_token(const char *v, const char *token)
{
	size_t tl = strlen(token);

	while (*v) {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		const char *end = v;

		while (*end && *end != ',')
			end++;
		const char *e = end;

		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - v) == tl && strncasecmp(v, token, tl) == 0)
			return true;
		v = end;
	}
	return false;
}

/* Read more into the connection buffer: bytes read, 0 at EOF, < 0 on error
 * or idle timeout. */
static ssize_t fill(struct conn *c)
{
	ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);

	if (n > 0)
		c->len += (size_t)n;
	return n;
}

/* Discard `n` body bytes, some of which may already be buffered. */
static bool skip_body(struct conn *c, size_t n)
{
	char sink[2048];

	size_t have = c->len < n ? c->len : n;
	memmove(c->buf, c->buf + have, c->len - have);
	c->len -= have;
	n -= have;
	while (n) {
		ssize_t r = read(c->fd, sink, n < sizeof(sink) ? n : sizeof(sink));

		if (r <= 0)
			return false;
		n -= (size_t)r;
	}
	return true;
}

/*
 * Handle one request from the buffer. Returns true to keep the connection.
 */
static bool handle_one(struct conn *c, size_t hlen)
{
	char *line_end, *sp1, *sp2, *p;
	const char *method, *target, *version;
	bool keep, head, v11;
	long long content_length = 0;
	bool bad = false, have_cl = false;
	char *resp;

	c->buf[hlen - 2] = '\0'; /* ends the last header line */
	line_end = strstr(c->buf, "\r\n");
	if (!line_end)
		return error_page(c->fd, 400, "Bad Request", false), false;
	*line_end = '\0';
	sp1 = strchr(c->buf, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strchr(sp2 + 1, ' '))
		return error_page(c->fd, 400, "Bad Request", false), false;
	*sp1 = *sp2 = '\0';
	method = c->buf;
	target = sp1 + 1;
	version = sp2 + 1;
	if (strcmp(version, "HTTP/1.1") == 0)
		v11 = true;
	else if (strcmp(version, "HTTP/1.0") == 0)
		v11 = false;
	else
		return error_page(c->fd, 400, "Bad Request", false), false;
	for (const char *m = method; *m; m++)
		if (!isupper((unsigned char)*m))
			bad = true;
	if (bad || !*method || target[0] != '/')
		return error_page(c->fd, 400, "Bad Request", false), false;

	keep = v11;
	/* Header lines: "Name: value". */
	for (p = line_end + 2; *p;) {
		char *eol = strstr(p, "\r\n");
		char *colon;

		if (eol)
			*eol = '\0';
		colon = strchr(p, ':');
		/* No blank before the colon (RFC 9112 §5.1). */
		if (!colon || colon == p || strcspn(p, " \t") < (size_t)(colon - p))
			return error_page(c->fd, 400, "Bad Request", false), false;
		*colon = '\0';
		char *v = colon + 1;

		while (*v == ' ' || *v == '\t')
			v++;
		if (strcasecmp(p, "Connection") == 0) {
			if (has_token(v, "close"))
				keep = false;
			else if (has_token(v, "keep-alive"))
				keep = true;
		} else if (strcasecmp(p, "Content-Length") == 0) {
			char *end;

			errno = 0;
			long long n = strtoll(v, &end, 10);

			if (*v < '0' || *v > '9' || *end || errno ||
			    (have_cl && n != content_length))
				return error_page(c->fd, 400, "Bad Request", false), false;
			content_length = n;
			have_cl = true;
		} else if (strcasecmp(p, "Transfer-Encoding") == 0) {
			/* Chunked bodies are not supported: refuse rather than
			 * misread the stream (RFC 9112 §6.1). */
			return error_page(c->fd, 501, "Not Implemented", false), false;
		}
		if (!eol)
			break;
		p = eol + 2;
	}
	if (content_length > BODY_MAX)
		return error_page(c->fd, 413, "Content Too Large", false), false;

	head = strcmp(method, "HEAD") == 0;
	__atomic_fetch_add(&requests_served, 1, __ATOMIC_RELAXED);

	/* The head is parsed in place; keep what is to be answered, then drop
	 * the head (and the body) from the buffer. */
	bool is_get = head || strcmp(method, "GET") == 0;
	int route = !is_get			  ? 0 :
		    strcmp(target, "/") == 0	  ? 1 :
		    strcmp(target, "/stats") == 0 ? 2 :
						    3;

	memmove(c->buf, c->buf + hlen, c->len - hlen);
	c->len -= hlen;
	if (content_length && !skip_body(c, (size_t)content_length))
		return false;

	switch (route) {
	case 0:
		return error_page(c->fd, 405, "Method Not Allowed", keep) && keep;
	case 1:
		return respond(c->fd, 200, "OK", "text/html; charset=utf-8", page, sizeof(page) - 1,
			       keep, head, NULL) &&
		       keep;
	case 2:
		resp = malloc(RESP_MAX);
		if (!resp)
			return error_page(c->fd, 503, "Service Unavailable", false), false;
		size_t n = stats_json(resp);
		bool ok = respond(c->fd, 200, "OK", "application/json", resp, n, keep, head,
				  "Cache-Control: no-store\r\n");

		free(resp);
		return ok && keep;
	default:
		return error_page(c->fd, 404, "Not Found", keep) && keep;
	}
}

static void serve(void *arg)
{
	struct conn *c = arg;

	for (;;) {
		size_t hlen;

		while (!(hlen = head_len(c->buf, c->len))) {
			if (c->len == sizeof(c->buf)) {
				error_page(c->fd, 431, "Request Header Fields Too Large", false);
				goto out;
			}
			if (fill(c) <= 0)
				goto out; /* closed, reset, or idle too long */
		}
		if (!handle_one(c, hlen))
			break;
	}
out:
	close(c->fd);
	free(c);
}

int main(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct timeval idle = { .tv_sec = IDLE_SECONDS };
	int one = 1;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	if (lfd < 0) {
		perror("httpd: socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lfd, SOMAXCONN) < 0) {
		perror("httpd: bind/listen");
		return 1;
	}
	printf("httpd: listening on port %d\n", PORT);
	fflush(stdout);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		struct conn *c;

		if (fd < 0) {
			/* Out of sockets or memory: wait for connections to end. */
			if (errno != ECONNABORTED)
				sleep_ns(10000000);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
		c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->len = 0;
		if (go(serve, c) < 0) {
			close(fd);
			free(c);
		}
	}
}
