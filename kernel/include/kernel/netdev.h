/* SPDX-License-Identifier: MIT */
/*
 * Network devices, as the network stack sees them. A driver (virtio-net)
 * fills a struct netdev and registers it; the stack (kernel/net/) finds
 * every registered device at start-up, sets `rx`, and runs one task per
 * device that calls ops->poll() until it finds nothing, then parks in
 * netpoll_wait(&nd->np). The driver's interrupt handler calls
 * netpoll_ready(&nd->np).
 */
#ifndef WEFT_KERNEL_NETDEV_H
#define WEFT_KERNEL_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kernel/netpoll.h>

#define NETDEV_MAX 8
#define NETDEV_MTU 1500
#define NETDEV_FRAME_MAX 1514 /* Ethernet header + MTU, no FCS */

/* Counters, written by the driver and by the stack, read by net_stats(). */
struct netdev_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t rx_dropped; /* frames the driver dropped: too short, too long, no memory */
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_dropped; /* frames not sent: too long, device error */
};

struct netdev_frag {
	const void *data;
	size_t len;
};

struct netdev;

struct netdev_ops {
	/*
	 * Send one Ethernet frame (no FCS) gathered from `n` fragments; the
	 * driver copies it, so the fragments may be reused on return. Blocks
	 * the calling task (never spins) while the transmit ring is full.
	 * Returns 0, or -EMSGSIZE when longer than NETDEV_FRAME_MAX. Task
	 * context; safe to call from several tasks at once.
	 */
	int (*xmit)(struct netdev *nd, const struct netdev_frag *frag, int n);
	/*
	 * Hand up to `budget` received frames to nd->rx(), re-post their
	 * buffers, and reclaim finished transmit buffers. Returns the number
	 * of frames handed up. Called only by the device's poll task.
	 */
	int (*poll)(struct netdev *nd, int budget);
};

struct netdev {
	/* Filled by the driver before netdev_register(). */
	char name[8]; /* "vnet0" */
	uint8_t mac[6];
	uint16_t mtu;
	const struct netdev_ops *ops;
	/* pending/arm/disarm for received frames. The stack, not the driver,
	 * calls netpoll_add() on it, once (adding it twice would loop the
	 * netpoller's list). */
	struct netpoll np;
	void *priv;

	/* Set by the stack before the first poll: called by ops->poll() for
	 * each received frame, which is valid only during the call. */
	void (*rx)(struct netdev *nd, const void *frame, size_t len);
	void *stack_priv;

	struct netdev_stats stats;
};

/* Add a probed device: 0, or -ENOSPC beyond NETDEV_MAX. Task context. */
int netdev_register(struct netdev *nd);

/* The idx-th registered device, or NULL. */
struct netdev *netdev_get(int idx);
int netdev_count(void);

#endif
