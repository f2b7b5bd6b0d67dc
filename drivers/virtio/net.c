// SPDX-License-Identifier: MIT
/*
 * virtio-net (virtio 1.2 §5.1) as a struct netdev (kernel/include/kernel/
 * netdev.h): one receive and one transmit queue, no offloads.
 *
 * Receive: every descriptor of the receive queue holds a posted buffer of
 * RX_BUF_SIZE bytes, the virtio-net header followed by room for a full
 * frame; poll() hands each used buffer's frame to nd->rx and posts the
 * buffer again. nd->np is the receive queue: pending() = its used ring
 * moved, arm()/disarm() switch its interrupt on and off.
 *
 * Transmit: a fixed pool of buffers, one per frame in flight. xmit()
 * copies the frame behind a zeroed header, under tx_lock (a mutex: it may
 * block). Completed buffers are reclaimed lazily, by xmit and by poll;
 * when none is free, xmit parks in netpoll_wait(&tx_np), whose arm()
 * enables the transmit queue's interrupt, so a full ring never spins.
 *
 * Header size (§5.1.6): 12 bytes with VIRTIO_F_VERSION_1 (num_buffers is
 * always there), 10 for a legacy device without MRG_RXBUF, which we never
 * negotiate. A legacy device without VIRTIO_F_ANY_LAYOUT wants the header
 * in a descriptor of its own (§5.1.6.6, legacy framing).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <weft.h>

#include <drivers/virtio.h>
#include <kernel/heap.h>
#include <kernel/netdev.h>
#include <kernel/netpoll.h>
#include <kernel/printk.h>
#include <kernel/random.h>

#define VIRTIO_NET_F_MAC 5

#define VIRTIO_NET_CFG_MAC 0 /* §5.1.4: mac[6] first in the config */

#define RX_BUF_SIZE 2048 /* header + NETDEV_FRAME_MAX, with room to spare */
#define TX_BUF_SIZE 2048
#define ETH_HLEN 14

struct vnet {
	struct netdev nd; /* first: the stack's pointer is ours */
	struct virtio_dev *vd;
	struct virtq *rxq, *txq;
	uint32_t hdr_len;
	bool split; /* header in its own descriptor */

	mutex_t rx_lock; /* one poller at a time (the stack's task, a test) */
	mutex_t tx_lock; /* the transmit queue and the free pool */
	struct netpoll tx_np; /* waited on by xmit, under tx_lock */
	uint8_t **tx_free;
	int tx_nfree;

	uint64_t rx_runt, rx_long, tx_waits;
};

static int nvnets;

static struct vnet *np_to_vnet(struct netpoll *np)
{
	return (struct vnet *)((char *)np - offsetof(struct vnet, nd.np));
}

static struct vnet *txnp_to_vnet(struct netpoll *np)
{
	return (struct vnet *)((char *)np - offsetof(struct vnet, tx_np));
}

static bool rx_pending(struct netpoll *np)
{
	return virtq_pending(np_to_vnet(np)->rxq);
}

static void rx_arm(struct netpoll *np)
{
	virtq_enable_cb(np_to_vnet(np)->rxq);
}

static void rx_disarm(struct netpoll *np)
{
	virtq_disable_cb(np_to_vnet(np)->rxq);
}

static bool tx_pending(struct netpoll *np)
{
	return virtq_pending(txnp_to_vnet(np)->txq);
}

static void tx_arm(struct netpoll *np)
{
	virtq_enable_cb(txnp_to_vnet(np)->txq);
}

static void tx_disarm(struct netpoll *np)
{
	virtq_disable_cb(txnp_to_vnet(np)->txq);
}

/* Queue interrupts (interrupt context). A line shared by both queues
 * (virtio-mmio, INTx) calls both; each readies its waiter only when its
 * own ring moved. */
static void rx_interrupt(struct virtq *vq)
{
	struct vnet *v = vq->priv;

	if (virtq_pending(vq))
		netpoll_ready(&v->nd.np);
}

static void tx_interrupt(struct virtq *vq)
{
	struct vnet *v = vq->priv;

	if (virtq_pending(vq))
		netpoll_ready(&v->tx_np);
}

static int post_rx(struct vnet *v, uint8_t *buf)
{
	struct virtq_seg seg[2] = {
		{ buf, v->hdr_len },
		{ buf + v->hdr_len, RX_BUF_SIZE - v->hdr_len },
	};

	if (!v->split) {
		seg[0].len = RX_BUF_SIZE;
		return virtq_add(v->rxq, seg, 0, 1, buf);
	}
	return virtq_add(v->rxq, seg, 0, 2, buf);
}

/* Take back the buffers of sent frames. Under tx_lock. */
static void tx_reclaim(struct vnet *v)
{
	uint8_t *buf;

	while ((buf = virtq_get_used(v->txq, NULL)))
		v->tx_free[v->tx_nfree++] = buf;
}

static int vnet_xmit(struct netdev *nd, const struct netdev_frag *frag, int n)
{
	struct vnet *v = (struct vnet *)nd;
	size_t total = 0;

	for (int i = 0; i < n; i++)
		total += frag[i].len;
	if (total > NETDEV_FRAME_MAX) {
		__atomic_fetch_add(&nd->stats.tx_dropped, 1, __ATOMIC_RELAXED);
		return -EMSGSIZE;
	}

	mutex_lock(&v->tx_lock);
	for (;;) {
		tx_reclaim(v);
		if (v->tx_nfree > 0)
			break;
		/* Ring full: park until the device returns a buffer. Holding
		 * tx_lock makes us the only waiter on tx_np. */
		v->tx_waits++;
		netpoll_wait(&v->tx_np);
	}

	uint8_t *buf = v->tx_free[--v->tx_nfree];
	size_t off = v->hdr_len;

	/* A zeroed header: no checksum offload, no GSO (§5.1.6.2). */
	memset(buf, 0, v->hdr_len);
	for (int i = 0; i < n; i++) {
		memcpy(buf + off, frag[i].data, frag[i].len);
		off += frag[i].len;
	}

	struct virtq_seg seg[2] = {
		{ buf, v->hdr_len },
		{ buf + v->hdr_len, (uint32_t)total },
	};
	int err;

	if (v->split) {
		err = virtq_add(v->txq, seg, 2, 0, buf);
	} else {
		seg[0].len = (uint32_t)(v->hdr_len + total);
		err = virtq_add(v->txq, seg, 1, 0, buf);
	}
	if (err) {
		/* Cannot happen: the pool has no more buffers than the ring
		 * has room for. */
		v->tx_free[v->tx_nfree++] = buf;
		nd->stats.tx_dropped++;
	} else {
		virtq_kick(v->txq);
		nd->stats.tx_packets++;
		nd->stats.tx_bytes += total;
	}
	mutex_unlock(&v->tx_lock);
	return 0;
}

static int vnet_poll(struct netdev *nd, int budget)
{
	struct vnet *v = (struct vnet *)nd;
	int handed = 0, reposted = 0;

	mutex_lock(&v->rx_lock);
	for (int i = 0; i < budget; i++) {
		uint32_t len;
		uint8_t *buf = virtq_get_used(v->rxq, &len);

		if (!buf)
			break;
		if (len < v->hdr_len + ETH_HLEN || len > RX_BUF_SIZE) {
			/* A runt, or a length the device cannot have written. */
			v->rx_runt++;
			nd->stats.rx_dropped++;
		} else if (len - v->hdr_len > NETDEV_FRAME_MAX) {
			v->rx_long++;
			nd->stats.rx_dropped++;
		} else {
			size_t flen = len - v->hdr_len;

			nd->stats.rx_packets++;
			nd->stats.rx_bytes += flen;
			void (*rx)(struct netdev *, const void *, size_t) =
				__atomic_load_n(&nd->rx, __ATOMIC_ACQUIRE);

			if (rx)
				rx(nd, buf + v->hdr_len, flen);
			handed++;
		}
		if (post_rx(v, buf) == 0)
			reposted++;
	}
	if (reposted)
		virtq_kick(v->rxq);
	mutex_unlock(&v->rx_lock);

	if (mutex_trylock(&v->tx_lock)) {
		tx_reclaim(v);
		mutex_unlock(&v->tx_lock);
	}
	return handed;
}

static const struct netdev_ops vnet_ops = {
	.xmit = vnet_xmit,
	.poll = vnet_poll,
};

int virtio_net_setup(struct virtio_dev *vd, struct netdev **ndp)
{
	int err = virtio_negotiate(vd, 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_F_ANY_LAYOUT);

	if (err)
		return err;

	struct vnet *v = heap_calloc(1, sizeof(*v));
	struct virtq *vqs[2];
	static void (*const callbacks[2])(struct virtq *) = { rx_interrupt, tx_interrupt };

	if (!v)
		return -ENOMEM;
	err = virtio_setup_queues(vd, 2, vqs, callbacks, VIRTQ_MAX_SIZE);
	if (err)
		return err;
	v->vd = vd;
	v->rxq = vqs[0];
	v->txq = vqs[1];
	v->rxq->priv = v->txq->priv = v;
	v->hdr_len = virtio_has(vd, VIRTIO_F_VERSION_1) ? 12 : 10;
	v->split = !virtio_has(vd, VIRTIO_F_VERSION_1) && !virtio_has(vd, VIRTIO_F_ANY_LAYOUT);

	int per = v->split ? 2 : 1;
	int nrx = v->rxq->num / per, ntx = v->txq->num / per;
	uint8_t *rx_mem = virtio_dma_alloc((size_t)nrx * RX_BUF_SIZE);
	uint8_t *tx_mem = virtio_dma_alloc((size_t)ntx * TX_BUF_SIZE);

	v->tx_free = heap_calloc((size_t)ntx, sizeof(uint8_t *));
	if (!rx_mem || !tx_mem || !v->tx_free)
		return -ENOMEM;
	for (int i = 0; i < ntx; i++)
		v->tx_free[v->tx_nfree++] = tx_mem + (size_t)i * TX_BUF_SIZE;
	for (int i = 0; i < nrx; i++)
		if (post_rx(v, rx_mem + (size_t)i * RX_BUF_SIZE))
			return -EIO;

	struct netdev *nd = &v->nd;

	ksnprintf(nd->name, sizeof(nd->name), "vnet%d", nvnets);
	if (virtio_has(vd, VIRTIO_NET_F_MAC)) {
		vd->ops->read_config(vd, VIRTIO_NET_CFG_MAC, nd->mac, 6);
	} else {
		/* A random unicast, locally administered address (IEEE 802
		 * U/L bit set, I/G bit clear). */
		random_bytes(nd->mac, 6);
		nd->mac[0] = (uint8_t)((nd->mac[0] & 0xfe) | 0x02);
	}
	nd->mtu = NETDEV_MTU;
	nd->ops = &vnet_ops;
	nd->priv = v;
	nd->np.pending = rx_pending;
	nd->np.arm = rx_arm;
	nd->np.disarm = rx_disarm;
	nd->np.name = nd->name;
	v->tx_np.pending = tx_pending;
	v->tx_np.arm = tx_arm;
	v->tx_np.disarm = tx_disarm;
	v->tx_np.name = "vnet-tx";

	/* Both interrupts stay off until a waiter arms them. */
	virtq_disable_cb(v->rxq);
	virtq_disable_cb(v->txq);

	err = virtio_driver_ok(vd);
	if (err)
		return err;
	/* §3.1.1: no notification before DRIVER_OK. */
	virtq_kick(v->rxq);
	vd->priv = v;
	*ndp = nd;
	return 0;
}

static int vnet_probe(struct virtio_dev *vd)
{
	struct netdev *nd;
	int err = virtio_net_setup(vd, &nd);

	if (err)
		return err;

	struct vnet *v = (struct vnet *)nd;
	int per = v->split ? 2 : 1;

	/* nd->np is the stack's to add (kernel/net/netif.c, with its poll
	 * task); the transmit source is ours. */
	netpoll_add(&v->tx_np);
	printk("weft: %s: %s (%s, %s), %d rx and %d tx buffers, %u-byte header%s\n", nd->name,
	       vd->name, vd->ops->name, vd->irq_desc, v->rxq->num / per, v->txq->num / per,
	       (unsigned int)v->hdr_len, v->split ? ", split" : "");
	if (netdev_register(nd) == 0)
		nvnets++;
	return 0;
}

struct virtio_dev *virtio_net_vdev(const struct netdev *nd)
{
	return nd->ops == &vnet_ops ? ((const struct vnet *)nd)->vd : NULL;
}

const struct virtio_driver virtio_net_driver = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.probe = vnet_probe,
};
