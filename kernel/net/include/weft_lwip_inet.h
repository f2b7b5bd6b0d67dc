/* SPDX-License-Identifier: MIT */
/*
 * What lwIP's inet.h provides when LWIP_SOCKET_EXTERNAL_HEADERS is set
 * (Debian's patch9350): the C library's address types plus lwIP's
 * conversions between struct in_addr and ip4_addr_t.
 */
#ifndef WEFT_LWIP_INET_H
#define WEFT_LWIP_INET_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#define inet_addr_from_ip4addr(target_inaddr, source_ipaddr) \
	((target_inaddr)->s_addr = ip4_addr_get_u32(source_ipaddr))
#define inet_addr_to_ip4addr(target_ipaddr, source_inaddr) \
	(ip4_addr_set_u32(target_ipaddr, (source_inaddr)->s_addr))

#endif
