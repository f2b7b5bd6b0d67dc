/* SPDX-License-Identifier: MIT */
/* <netinet/in.h>: Internet addresses, with Linux's layouts and values. */
#ifndef WEFT_NETINET_IN_H
#define WEFT_NETINET_IN_H

#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint16_t in_port_t;
typedef uint32_t in_addr_t;

struct in_addr {
	in_addr_t s_addr; /* network byte order */
};

struct sockaddr_in {
	sa_family_t sin_family;
	in_port_t sin_port; /* network byte order */
	struct in_addr sin_addr;
	unsigned char sin_zero[8];
};

struct in6_addr {
	union {
		uint8_t s6_addr[16];
		uint16_t s6_addr16[8];
		uint32_t s6_addr32[4];
	};
};

struct sockaddr_in6 {
	sa_family_t sin6_family;
	in_port_t sin6_port;
	uint32_t sin6_flowinfo;
	struct in6_addr sin6_addr;
	uint32_t sin6_scope_id;
};

#define IPPROTO_IP 0
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_IPV6 41
#define IPPROTO_ICMPV6 58
#define IPPROTO_UDPLITE 136
#define IPPROTO_RAW 255

#define IP_TOS 1
#define IP_TTL 2
#define IP_PKTINFO 8
#define IP_MULTICAST_IF 32
#define IP_MULTICAST_TTL 33
#define IP_MULTICAST_LOOP 34
#define IP_ADD_MEMBERSHIP 35
#define IP_DROP_MEMBERSHIP 36

#define IPV6_V6ONLY 26

#define INADDR_ANY ((in_addr_t)0x00000000)
#define INADDR_BROADCAST ((in_addr_t)0xffffffff)
#define INADDR_NONE ((in_addr_t)0xffffffff)
#define INADDR_LOOPBACK ((in_addr_t)0x7f000001) /* host byte order, as in POSIX */

#define INET_ADDRSTRLEN 16
#define INET6_ADDRSTRLEN 46

#define IN6ADDR_ANY_INIT          \
	{                         \
		{                 \
			{         \
				0 \
			}         \
		}                 \
	}

/* Byte order: every Weft arch is little-endian. */
static inline uint16_t weft_bswap16(uint16_t x)
{
	return __builtin_bswap16(x);
}

static inline uint32_t weft_bswap32(uint32_t x)
{
	return __builtin_bswap32(x);
}

#ifndef htons
#define htons(x) weft_bswap16(x)
#define ntohs(x) weft_bswap16(x)
#define htonl(x) weft_bswap32(x)
#define ntohl(x) weft_bswap32(x)
#endif

#ifdef __cplusplus
}
#endif

#endif
