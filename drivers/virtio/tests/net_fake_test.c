// SPDX-License-Identifier: MIT
/*
 * virtio-net against a fake device: the test plays QEMU, taking buffers
 * from the rings and returning them used, to check what the driver does
 * with good, short, long and impossible frames, and what it sends.
 */
#include <errno.h>
#include <string.h>

#include <drivers/virtio.h>
#include <kernel/netdev.h>
#include <kernel/test.h>

#define FAKE_QSIZE 8
#define HDR 12 /* VERSION_1 */

struct fakenet {
	struct virtio_dev vd;
	uint8_t status;
	struct virtq *vq[2];
	uint16_t dev_avail[2], dev_used[2];
	int notified[2];
};

static struct fakenet fnet;
static int rx_calls;
static size_t rx_len;
static uint8_t rx_first;

static uint64_t fn_get_features(struct virtio_dev *vd)
{
	(void)vd;
	return 1ull << VIRTIO_F_VERSION_1 | 1ull << 5 /* MAC */;
}

static void fn_set_features(struct virtio_dev *vd, uint64_t f)
{
	(void)vd;
	(void)f;
}

static uint8_t fn_get_status(struct virtio_dev *vd)
{
	return ((struct fakenet *)vd)->status;
}

static void fn_set_status(struct virtio_dev *vd, uint8_t s)
{
	((struct fakenet *)vd)->status = s;
}

static uint16_t fn_queue_max(struct virtio_dev *vd, unsigned int idx)
{
	(void)vd;
	return idx < 2 ? FAKE_QSIZE : 0;
}

static void fn_notify(struct virtq *vq)
{
	fnet.notified[vq->index]++;
}

static int fn_setup_queue(struct virtio_dev *vd, struct virtq *vq)
{
	((struct fakenet *)vd)->vq[vq->index] = vq;
	vq->notify = fn_notify;
	return 0;
}

static void fn_read_config(struct virtio_dev *vd, unsigned int off, void *buf, size_t len)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0xfa, 0x4e };

	(void)vd;
	memset(buf, 0, len);
	if (off < 6)
		memcpy(buf, mac + off, len < 6 - off ? len : 6 - off);
}

static const struct virtio_transport fake_net_ops = {
	.name = "fake",
	.get_features = fn_get_features,
	.set_features = fn_set_features,
	.get_status = fn_get_status,
	.set_status = fn_set_status,
	.queue_max = fn_queue_max,
	.setup_queue = fn_setup_queue,
	.read_config = fn_read_config,
};

/* The device side: the next available chain of queue q (one descriptor,
 * since VERSION_1 lets the header share it), and giving it back. */
static struct virtq_desc *dev_pop(int q, uint16_t *head)
{
	struct virtq *vq = fnet.vq[q];

	if (fnet.dev_avail[q] == vq->avail->idx)
		return NULL;
	*head = vq->avail->ring[fnet.dev_avail[q]++ % vq->num];
	return &vq->desc[*head];
}

static void dev_push(int q, uint16_t head, uint32_t len)
{
	struct virtq *vq = fnet.vq[q];

	vq->used->ring[fnet.dev_used[q] % vq->num] = (struct virtq_used_elem){ head, len };
	__atomic_store_n(&vq->used->idx, ++fnet.dev_used[q], __ATOMIC_RELEASE);
}

static void record_rx(struct netdev *nd, const void *frame, size_t len)
{
	(void)nd;
	rx_calls++;
	rx_len = len;
	rx_first = *(const uint8_t *)frame;
}

static struct netdev *fake_netdev(void)
{
	static struct netdev *nd;

	if (nd)
		return nd;
	fnet.vd = (struct virtio_dev){ .name = "fake-net",
				       .ops = &fake_net_ops,
				       .device_id = VIRTIO_ID_NET };
	if (virtio_net_setup(&fnet.vd, &nd))
		return NULL;
	nd->rx = record_rx;
	return nd;
}

TEST(virtio_net_fake, setup_posts_every_receive_buffer_and_reads_the_mac)
{
	struct netdev *nd = fake_netdev();

	ASSERT_TRUE(nd != NULL);
	EXPECT_TRUE(fnet.status & VIRTIO_STATUS_DRIVER_OK);
	EXPECT_EQ(nd->mac[5], 0x4e);
	EXPECT_EQ((uint16_t)(fnet.vq[0]->avail->idx - fnet.dev_avail[0]), FAKE_QSIZE);
	EXPECT_GE(fnet.notified[0], 1);
}

TEST(virtio_net_fake, bad_frames_are_dropped_counted_and_reposted)
{
	struct netdev *nd = fake_netdev();
	static const uint32_t lens[4] = {
		HDR + 60, /* a good frame */
		HDR + 10, /* a runt: shorter than an Ethernet header */
		HDR + NETDEV_FRAME_MAX + 4, /* longer than the MTU allows */
		5000, /* more than the buffer holds: a broken device */
	};
	uint16_t head;

	ASSERT_TRUE(nd != NULL);
	struct netdev_stats before = nd->stats;
	uint16_t avail = fnet.vq[0]->avail->idx;

	rx_calls = 0;
	for (int i = 0; i < 4; i++) {
		struct virtq_desc *d = dev_pop(0, &head);

		ASSERT_TRUE(d != NULL);
		ASSERT_GE(d->len, HDR + NETDEV_FRAME_MAX);
		EXPECT_TRUE(d->flags & VIRTQ_DESC_F_WRITE);
		((uint8_t *)(uintptr_t)d->addr)[HDR] = (uint8_t)(0xa0 + i);
		dev_push(0, head, lens[i]);
	}
	EXPECT_EQ(nd->ops->poll(nd, 64), 1);
	EXPECT_EQ(rx_calls, 1);
	EXPECT_EQ(rx_len, 60);
	EXPECT_EQ(rx_first, 0xa0);
	EXPECT_UEQ(nd->stats.rx_packets, before.rx_packets + 1);
	EXPECT_UEQ(nd->stats.rx_bytes, before.rx_bytes + 60);
	EXPECT_UEQ(nd->stats.rx_dropped, before.rx_dropped + 3);
	/* All four buffers went back to the device. */
	EXPECT_EQ((uint16_t)(fnet.vq[0]->avail->idx - avail), 4);
	EXPECT_EQ(nd->ops->poll(nd, 64), 0);
}

TEST(virtio_net_fake, xmit_gathers_behind_a_zero_header_and_reclaims)
{
	struct netdev *nd = fake_netdev();
	uint8_t a[14], b[50];
	struct netdev_frag frag[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	uint16_t head;

	ASSERT_TRUE(nd != NULL);
	memset(a, 0x11, sizeof(a));
	memset(b, 0x22, sizeof(b));
	uint64_t sent = nd->stats.tx_packets;

	/* A full ring's worth, all accepted without a completion yet. */
	for (int i = 0; i < FAKE_QSIZE; i++)
		ASSERT_EQ(nd->ops->xmit(nd, frag, 2), 0);
	EXPECT_UEQ(nd->stats.tx_packets, sent + FAKE_QSIZE);

	struct virtq_desc *d = dev_pop(1, &head);

	ASSERT_TRUE(d != NULL);
	uint8_t *p = (uint8_t *)(uintptr_t)d->addr;
	uint8_t zero[HDR] = { 0 };

	EXPECT_EQ(d->len, HDR + 64);
	EXPECT_FALSE(d->flags & VIRTQ_DESC_F_WRITE);
	EXPECT_TRUE(memcmp(p, zero, HDR) == 0);
	EXPECT_EQ(p[HDR], 0x11);
	EXPECT_EQ(p[HDR + 13], 0x11);
	EXPECT_EQ(p[HDR + 14], 0x22);
	EXPECT_EQ(p[HDR + 63], 0x22);
	dev_push(1, head, 0);
	/* The device finished one: the next xmit reuses its buffer. */
	EXPECT_EQ(nd->ops->xmit(nd, frag, 2), 0);
	/* Complete the rest, so that the ring is empty for later runs. */
	while ((d = dev_pop(1, &head)))
		dev_push(1, head, 0);
	nd->ops->poll(nd, 64);

	struct netdev_frag big = { b, NETDEV_FRAME_MAX + 1 };

	EXPECT_EQ(nd->ops->xmit(nd, &big, 1), -EMSGSIZE);
}
