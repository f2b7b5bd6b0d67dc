/* SPDX-License-Identifier: MIT */
/*
 * The network stack (kernel/net/): lwIP 2.1.3 on tasks, one lwIP netif per
 * registered netdev, and the loopback interface for 127.0.0.1.
 */
#ifndef WEFT_KERNEL_NET_H
#define WEFT_KERNEL_NET_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Called once by main_task after devices_init(). With a netdev: start lwIP,
 * add one interface per netdev with its poll task, and configure each by
 * DHCP, or statically with the boot option ip=ADDR/PREFIX,GW (first
 * netdev). Without one: nothing, so that no lwIP timer runs in an image
 * that never uses the network; net_start() then starts lwIP on the first
 * socket() call. Task context.
 */
void net_init(void);

/* Start lwIP if it is not running yet, and wait until it is. Any task;
 * may block. */
void net_start(void);

/* Whether lwIP runs (tests, /stats). */
bool net_running(void);

/*
 * Make sure the calling task has the semaphore lwIP waits on (its
 * per-task netconn semaphore): 0, or -ENOMEM. Every socket call makes
 * it first, so that running out of memory is ENOMEM from that call, never
 * a failure deep inside lwIP.
 */
int net_task_enter(void);

/*
 * The C library's read, write, close and fcntl on a descriptor (libc/
 * socket.c): net_is_socket() says whether it is in the sockets' range
 * (LWIP_SOCKET_OFFSET and up; lwIP says EBADF for one not open), and the
 * others do the call on it, with errno set on failure.
 */
bool net_is_socket(int fd);
long net_read(int fd, void *buf, size_t len);
long net_write(int fd, const void *buf, size_t len);
int net_close(int fd);
int net_fcntl(int fd, int cmd, int arg);

struct g;
/* Free the task's lwIP semaphore (g->net_sem). Called by task_exit() on
 * an exiting task that has one. */
void net_task_exit(struct g *g);

/* kernel/net/netif.c, for net.c: add an interface for every netdev. */
void net_netifs_add(void);

/* The lwIP netif of netdev idx, or NULL (net.c). */
struct netif *net_netif(int idx);

#endif
