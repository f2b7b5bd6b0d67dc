/* SPDX-License-Identifier: MIT */
/*
 * lwIP's configuration for Weft (lwIP's src/include/lwip/opt.h lists every
 * option and its default). lwIP runs on tasks: NO_SYS=0 with the sequential
 * and socket APIs, and the core lock (LWIP_TCPIP_CORE_LOCKING) so that a
 * socket call runs the stack directly on the calling task instead of
 * bouncing every call through the tcpip task's mailbox.
 */
#ifndef WEFT_LWIPOPTS_H
#define WEFT_LWIPOPTS_H

/* ---- the OS ---- */
#define NO_SYS 0
#define LWIP_TCPIP_CORE_LOCKING 1
/* tcpip_input() runs the stack on the calling task under the core lock
 * instead of queueing the frame for the tcpip task (netif.c does the same
 * for NIC frames itself). */
#define LWIP_TCPIP_CORE_LOCKING_INPUT 1
#define SYS_LIGHTWEIGHT_PROT 1
/* Full duplex: one task may read a socket while another writes it or
 * closes it (close wakes a task blocked in accept or recv). It needs a
 * semaphore per task (kernel/net/sys_arch.c, kept in struct g). */
#define LWIP_NETCONN_SEM_PER_THREAD 1
#define LWIP_NETCONN_FULLDUPLEX 1
#define LWIP_NETCONN_THREAD_SEM_GET() weft_lwip_task_sem()
#define LWIP_NETCONN_THREAD_SEM_ALLOC() ((void)weft_lwip_task_sem())
#define LWIP_NETCONN_THREAD_SEM_FREE() ((void)0)
#define TCPIP_THREAD_NAME "lwip"
#define TCPIP_THREAD_STACKSIZE 0 /* go()'s default; stacks grow */
#define TCPIP_THREAD_PRIO 0
#define DEFAULT_THREAD_STACKSIZE 0
#define DEFAULT_THREAD_PRIO 0
/* Mailbox sizes are channel capacities (sys_arch.c). */
#define TCPIP_MBOX_SIZE 256
#define DEFAULT_RAW_RECVMBOX_SIZE 32
#define DEFAULT_UDP_RECVMBOX_SIZE 64
#define DEFAULT_TCP_RECVMBOX_SIZE 64
/* Connections waiting for accept(): lwIP's own backlog counter is 8 bits
 * (at most 255), and a burst of 500 SYNs would see the rest dropped and
 * retried seconds later. So the backlog is this mailbox instead; past it a
 * connection is refused with a reset. */
#define DEFAULT_ACCEPTMBOX_SIZE 1024
#define LWIP_MPU_COMPATIBLE 0

/* ---- memory: everything from the kernel's malloc ---- */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
#define MEM_SIZE (1024 * 1024) /* unused with MEM_LIBC_MALLOC; for checks */
/* With MEMP_MEM_MALLOC these bound nothing but lwIP's static checks, except
 * MEMP_NUM_NETCONN, which is also the size of the socket table. */
#define MEMP_NUM_NETCONN 2048
#define MEMP_NUM_TCP_PCB 2048
#define MEMP_NUM_TCP_PCB_LISTEN 64
#define MEMP_NUM_UDP_PCB 64
#define MEMP_NUM_RAW_PCB 8
#define MEMP_NUM_TCP_SEG 4096
#define MEMP_NUM_PBUF 1024
#define MEMP_NUM_NETBUF 256
#define MEMP_NUM_TCPIP_MSG_API 256
#define MEMP_NUM_TCPIP_MSG_INPKT 256
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 8)
#define PBUF_POOL_SIZE 512
#define PBUF_POOL_BUFSIZE 1536

/* ---- protocols ---- */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define ARP_TABLE_SIZE 32
#define ARP_QUEUEING 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define DHCP_DOES_ARP_CHECK 0 /* QEMU's user network has nobody else on it */
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_HAVE_LOOPIF 1 /* 127.0.0.1 */
#define LWIP_LOOPBACK_MAX_PBUFS 0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_API 1
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define IP_REASS_MAX_PBUFS 64

/* ---- TCP: windows sized for throughput ---- */
#define TCP_MSS 1460
#define TCP_WND (32 * TCP_MSS)
#define TCP_SND_BUF (32 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_SNDLOWAT (TCP_SND_BUF / 2)
#define TCP_QUEUE_OOSEQ 1
#define TCP_LISTEN_BACKLOG 0
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 2
#define LWIP_TCP_KEEPALIVE 1
#define LWIP_TCP_TIMESTAMPS 0
#define TCP_OVERSIZE TCP_MSS

/* ---- sockets ---- */
#define LWIP_NETCONN 1
#define LWIP_SOCKET 1
#define LWIP_COMPAT_SOCKETS 0 /* libc/socket.c provides the POSIX names */
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_SOCKET_SELECT 0
#define LWIP_SOCKET_POLL 1
#define LWIP_SO_RCVTIMEO 1
#define LWIP_SO_SNDTIMEO 1
#define LWIP_SO_RCVBUF 1
#define LWIP_SO_LINGER 1
#define SO_REUSE 1
#define LWIP_TCP_CLOSE_TIMEOUT_MS_DEFAULT 20000
#define RECV_BUFSIZE_DEFAULT (8 * 1024 * 1024)
/* Socket descriptors follow the console's 0-2 on the machines. On hosted
 * the app shares the process's descriptor table with the host C library,
 * so sockets start far above anything the host hands out. */
#ifdef WEFT_HOSTED
#define LWIP_SOCKET_OFFSET (1 << 20)
#else
#define LWIP_SOCKET_OFFSET 3
#endif
/* The POSIX headers in libc/include, with Linux's layout (no sa_len). */
#define LWIP_SOCKET_EXTERNAL_HEADERS 1
#define LWIP_SOCKET_EXTERNAL_HEADER_SOCKETS_H "weft_lwip_sockets.h"
#define LWIP_SOCKET_EXTERNAL_HEADER_INET_H "weft_lwip_inet.h"
#define LWIP_TIMEVAL_PRIVATE 0 /* struct timeval from the C library */

/* ---- checksums in software, drops counted ---- */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1
#define LWIP_CHECKSUM_ON_COPY 1
#define LWIP_STATS 1
#define LWIP_STATS_LARGE 1 /* 32-bit counters */
#define LWIP_STATS_DISPLAY 0
#define LINK_STATS 1
#define ETHARP_STATS 1
#define IP_STATS 1
#define IPFRAG_STATS 1
#define ICMP_STATS 1
#define UDP_STATS 1
#define TCP_STATS 1
#define MEM_STATS 0
#define MEMP_STATS 0
#define SYS_STATS 0

/* TCP initial sequence numbers come from the stack's own counter mixed
 * with LWIP_RAND at start-up; DHCP transaction ids from LWIP_RAND. */
#define LWIP_RAND() weft_lwip_rand()

#endif
