/* SPDX-License-Identifier: MIT */
/* <netinet/tcp.h>: TCP socket options (level IPPROTO_TCP), Linux's values. */
#ifndef WEFT_NETINET_TCP_H
#define WEFT_NETINET_TCP_H

#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_KEEPALIVE 0x1008 /* lwIP's own (milliseconds); not in Linux */

#endif
