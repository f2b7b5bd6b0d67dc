// SPDX-License-Identifier: MIT
/*
 * The transport-neutral virtio device core: initialization (virtio 1.2
 * §3.1.1), feature negotiation, queue allocation, and the table of device
 * drivers.
 */
#include <errno.h>
#include <string.h>

#include <drivers/virtio.h>
#include <kernel/heap.h>
#include <kernel/mm.h>
#include <kernel/printk.h>

static const struct virtio_driver *const drivers[] = {
	&virtio_net_driver,
	&virtio_rng_driver,
};

void *virtio_dma_alloc(size_t size)
{
	size_t npages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	paddr_t pa = mm_pages_alloc(npages ? npages : 1);

	if (!pa)
		return NULL;
	memset(mm_va(pa), 0, npages * PAGE_SIZE);
	return mm_va(pa);
}

static void set_status_bits(struct virtio_dev *vd, uint8_t bits)
{
	vd->ops->set_status(vd, (uint8_t)(vd->ops->get_status(vd) | bits));
}

void virtio_fail(struct virtio_dev *vd, const char *why, int err)
{
	printk("weft: %s: %s (error %d); device disabled\n", vd->name, why, err);
	set_status_bits(vd, VIRTIO_STATUS_FAILED);
}

int virtio_probe_device(struct virtio_dev *vd)
{
	/* §3.1.1 steps 1-3: reset, ACKNOWLEDGE, DRIVER. */
	vd->ops->set_status(vd, 0);
	vd->ops->set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);

	const struct virtio_driver *drv = NULL;

	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (drivers[i]->device_id == vd->device_id)
			drv = drivers[i];
	if (!drv) {
		printk("weft: %s: virtio device id %u has no driver; skipped\n", vd->name,
		       (unsigned int)vd->device_id);
		vd->ops->set_status(vd, 0);
		return -ENODEV;
	}
	set_status_bits(vd, VIRTIO_STATUS_DRIVER);

	int err = drv->probe(vd);

	if (err)
		virtio_fail(vd, drv->name, err);
	return err;
}

int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted)
{
	uint64_t offered = vd->ops->get_features(vd);

	if (vd->ops->legacy) {
		wanted &= 0xffffffffull;
	} else {
		/* §6.1: a modern transport's driver must accept VERSION_1; a
		 * modern device without it is not one we can drive. */
		if (!(offered & (1ull << VIRTIO_F_VERSION_1))) {
			printk("weft: %s: modern transport without VIRTIO_F_VERSION_1\n", vd->name);
			return -ENODEV;
		}
		wanted |= 1ull << VIRTIO_F_VERSION_1;
	}
	vd->features = offered & wanted;
	vd->ops->set_features(vd, vd->features);
	if (vd->ops->legacy)
		return 0; /* §4.x legacy: no FEATURES_OK step */

	/* §3.1.1 steps 5-6: the device may refuse the subset. */
	set_status_bits(vd, VIRTIO_STATUS_FEATURES_OK);
	if (!(vd->ops->get_status(vd) & VIRTIO_STATUS_FEATURES_OK)) {
		printk("weft: %s: device refused features 0x%llx\n", vd->name,
		       (unsigned long long)vd->features);
		return -EIO;
	}
	return 0;
}

int virtio_setup_queues(struct virtio_dev *vd, int n, struct virtq **vqs,
			void (*const *callbacks)(struct virtq *vq), uint16_t max)
{
	if (n > VIRTIO_MAX_VQS)
		return -EINVAL;
	if (vd->ops->setup_irqs) {
		int err = vd->ops->setup_irqs(vd, n);

		if (err)
			return err;
	}
	for (int i = 0; i < n; i++) {
		uint16_t qmax = vd->ops->queue_max(vd, (unsigned int)i), num;

		if (qmax == 0)
			return -ENODEV;
		if (vd->ops->fixed_queue_size) {
			num = qmax;
		} else {
			num = 1;
			while ((uint32_t)num * 2 <= qmax && num * 2 <= max)
				num = (uint16_t)(num * 2);
		}

		struct virtq *vq = heap_calloc(1, sizeof(*vq));
		void **cookies = heap_calloc(num, sizeof(void *));
		void *mem = virtio_dma_alloc(virtq_layout_size(num, PAGE_SIZE));

		if (!vq || !cookies || !mem)
			return -ENOMEM; /* the device is reset; its memory stays */
		int err = virtq_init(vq, num, mem, PAGE_SIZE, cookies);

		if (err)
			return err;
		vq->index = (uint16_t)i;
		vq->vdev = vd;
		vq->event_idx = virtio_has(vd, VIRTIO_F_EVENT_IDX);
		vq->callback = callbacks ? callbacks[i] : NULL;
		err = vd->ops->setup_queue(vd, vq);
		if (err)
			return err;
		vd->vqs[i] = vq;
		vd->nvqs = i + 1;
		vqs[i] = vq;
	}
	return 0;
}

int virtio_driver_ok(struct virtio_dev *vd)
{
	if (vd->ops->enable_irqs) {
		int err = vd->ops->enable_irqs(vd);

		if (err)
			return err;
	}
	set_status_bits(vd, VIRTIO_STATUS_DRIVER_OK);
	if (vd->ops->get_status(vd) & VIRTIO_STATUS_NEEDS_RESET)
		return -EIO;
	return 0;
}

void virtio_vring_interrupt(struct virtio_dev *vd)
{
	for (int i = 0; i < vd->nvqs; i++) {
		struct virtq *vq = vd->vqs[i];

		if (vq && vq->callback)
			vq->callback(vq);
	}
}

uint64_t virtio_config_read(struct virtio_dev *vd, unsigned int off, size_t len)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;

	if (len > sizeof(b))
		len = sizeof(b);
	vd->ops->read_config(vd, off, b, len);
	for (size_t i = len; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}
