/* SPDX-License-Identifier: MIT */
/* <arpa/inet.h>: address conversions (libc/socket.c). */
#ifndef WEFT_ARPA_INET_H
#define WEFT_ARPA_INET_H

#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 on success, 0 for a malformed address, -1 with EAFNOSUPPORT. */
int inet_pton(int af, const char *src, void *dst);
/* dst, or NULL with errno ENOSPC / EAFNOSUPPORT. */
const char *inet_ntop(int af, const void *src, char *dst, socklen_t size);
/* INADDR_NONE for a malformed address. */
in_addr_t inet_addr(const char *cp);
/* 1 on success, 0 for a malformed address. */
int inet_aton(const char *cp, struct in_addr *inp);
/* A static buffer: not safe across tasks; use inet_ntop. */
char *inet_ntoa(struct in_addr in);

#ifdef __cplusplus
}
#endif

#endif
