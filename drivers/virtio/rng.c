// SPDX-License-Identifier: MIT
/*
 * virtio-rng, the entropy device (virtio 1.2 §5.4): one request queue;
 * every buffer we post comes back filled with random bytes. At probe we
 * take RNG_SEED_BYTES and feed them to the kernel pool (kernel/random.c).
 */
#include <errno.h>
#include <string.h>

#include <weft.h>

#include <drivers/virtio.h>
#include <kernel/printk.h>
#include <kernel/random.h>
#include <kernel/time.h>

#define RNG_SEED_BYTES 64
#define RNG_WAIT_NS (1 * NSEC_PER_SEC)

int virtio_rng_devices;

static int vrng_probe(struct virtio_dev *vd)
{
	int err = virtio_negotiate(vd, 0);

	if (err)
		return err;

	struct virtq *vq;

	err = virtio_setup_queues(vd, 1, &vq, NULL, 8);
	if (err)
		return err;
	virtq_disable_cb(vq); /* we poll for the one answer */

	uint8_t *buf = virtio_dma_alloc(RNG_SEED_BYTES);

	if (!buf)
		return -ENOMEM;
	err = virtio_driver_ok(vd);
	if (err)
		return err;

	struct virtq_seg seg = { buf, RNG_SEED_BYTES };
	uint32_t len = 0;
	uint64_t deadline = now_ns() + RNG_WAIT_NS;

	virtq_add(vq, &seg, 0, 1, buf);
	virtq_kick(vq);
	while (!virtq_get_used(vq, &len)) {
		if (now_ns() > deadline) {
			printk("weft: %s: virtio-rng gave nothing in 1 s; not used\n", vd->name);
			return 0; /* a slow device is not a broken one */
		}
		sleep_ns(20 * NSEC_PER_USEC);
	}
	if (len > RNG_SEED_BYTES)
		len = RNG_SEED_BYTES;
	random_add(buf, len, 8 * len);
	memset(buf, 0, RNG_SEED_BYTES);
	virtio_rng_devices++;
	printk("weft: %s: virtio-rng (%s), %u bytes of entropy\n", vd->name, vd->ops->name,
	       (unsigned int)len);
	return 0;
}

const struct virtio_driver virtio_rng_driver = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.probe = vrng_probe,
};
