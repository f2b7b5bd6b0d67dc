// SPDX-License-Identifier: MIT
/*
 * virtio-net on a live NIC (QEMU's user network, `make run NET=user`):
 * ARP for the gateway and expect its answer. Each test passes without
 * doing anything when no network device is registered.
 */
#include <errno.h>
#include <string.h>

#include <weft.h>

#include <drivers/virtio.h>
#include <kernel/netdev.h>
#include <kernel/printk.h>
#include <kernel/random.h>
#include <kernel/test.h>
#include <kernel/time.h>

static const uint8_t guest_ip[4] = { 10, 0, 2, 15 }, gateway_ip[4] = { 10, 0, 2, 2 };

static volatile int arp_replies;
static void (*stack_rx)(struct netdev *nd, const void *frame, size_t len);

/* Sees every received frame while a test runs, then passes it on to the
 * network stack, if one is attached. */
static void test_rx(struct netdev *nd, const void *frame, size_t len)
{
	const uint8_t *f = frame;

	/* Ethernet type 0x0806, ARP opcode 2 (reply), sender 10.0.2.2,
	 * target 10.0.2.15 (RFC 826 layout after the 14-byte header). */
	if (len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 && f[21] == 2 &&
	    memcmp(f + 28, gateway_ip, 4) == 0 && memcmp(f + 38, guest_ip, 4) == 0)
		arp_replies++;
	if (stack_rx)
		stack_rx(nd, frame, len);
}

static void arp_request(const struct netdev *nd, uint8_t *f)
{
	static const uint8_t arp_hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 1 }; /* Ethernet, IPv4, request */

	memset(f, 0xff, 6);
	memcpy(f + 6, nd->mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(f + 14, arp_hdr, sizeof(arp_hdr));
	memcpy(f + 22, nd->mac, 6);
	memcpy(f + 28, guest_ip, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, gateway_ip, 4);
}

TEST(virtio_net, arp_for_the_gateway_is_answered)
{
	struct netdev *nd = netdev_get(0);
	uint8_t frame[42];

	if (!nd) {
		printk("  (no network device: skipped)\n");
		return;
	}
	struct netdev_stats before = nd->stats;
	struct virtio_dev *vd = virtio_net_vdev(nd);
	uint64_t irqs = vd ? vd->irqs : 0;

	arp_replies = 0;
	stack_rx = __atomic_load_n(&nd->rx, __ATOMIC_ACQUIRE);
	__atomic_store_n(&nd->rx, test_rx, __ATOMIC_RELEASE);

	/* With a stack attached, let its poll task park first (receive
	 * interrupt armed), so that the reply must raise an interrupt. */
	bool parked = false;

	for (int i = 0; i < 100 && stack_rx && !parked; i++) {
		parked = __atomic_load_n(&nd->np.waiter, __ATOMIC_ACQUIRE) != NULL;
		if (!parked)
			sleep_ns(NSEC_PER_MSEC);
	}
	arp_request(nd, frame);
	struct netdev_frag frag = { frame, sizeof(frame) };

	EXPECT_EQ(nd->ops->xmit(nd, &frag, 1), 0);
	uint64_t deadline = now_ns() + 2 * NSEC_PER_SEC;

	/* With a network stack attached, its poll task hands us the frames;
	 * otherwise the test polls. */
	while (!arp_replies && now_ns() < deadline) {
		if (!stack_rx)
			nd->ops->poll(nd, 64);
		sleep_ns(NSEC_PER_MSEC);
	}
	__atomic_store_n(&nd->rx, stack_rx, __ATOMIC_RELEASE);

	EXPECT_GT(arp_replies, 0);
	EXPECT_UGE(nd->stats.tx_packets, before.tx_packets + 1);
	EXPECT_UGE(nd->stats.tx_bytes, before.tx_bytes + sizeof(frame));
	EXPECT_UGE(nd->stats.rx_packets, before.rx_packets + 1);
	/* The reply came while the stack's poll task was parked with the
	 * interrupt armed: the device must have interrupted. */
	if (vd && parked)
		EXPECT_GT(vd->irqs, irqs);
}

TEST(virtio_net, oversized_frame_is_refused_and_counted)
{
	struct netdev *nd = netdev_get(0);
	static uint8_t big[NETDEV_FRAME_MAX + 1];

	if (!nd)
		return;
	uint64_t dropped = nd->stats.tx_dropped;
	struct netdev_frag frag = { big, sizeof(big) };

	EXPECT_EQ(nd->ops->xmit(nd, &frag, 1), -EMSGSIZE);
	EXPECT_UEQ(nd->stats.tx_dropped, dropped + 1);
}

TEST(virtio_net, a_burst_larger_than_the_ring_all_goes_out)
{
	struct netdev *nd = netdev_get(0);
	uint8_t frame[60] = { 0 };

	if (!nd)
		return;
	/* Broadcast frames of a local experimental EtherType (0x88b5),
	 * which QEMU's user network ignores: more than the transmit ring
	 * holds, so xmit must wait for completions rather than fail. */
	memset(frame, 0xff, 6);
	memcpy(frame + 6, nd->mac, 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	uint64_t sent = nd->stats.tx_packets;
	struct netdev_frag frag[2] = { { frame, 14 }, { frame + 14, sizeof(frame) - 14 } };
	int ok = 0;

	for (int i = 0; i < 2000; i++)
		ok += nd->ops->xmit(nd, frag, 2) == 0;
	EXPECT_EQ(ok, 2000);
	EXPECT_UGE(nd->stats.tx_packets, sent + 2000); /* the stack may send too */
}

TEST(virtio_rng, credits_entropy_when_present)
{
	if (!virtio_rng_devices) {
		printk("  (no virtio-rng: skipped)\n");
		return;
	}
	EXPECT_UGE(random_credited_bits(), 8 * 16);
}
