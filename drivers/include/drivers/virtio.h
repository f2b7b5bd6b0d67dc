/* SPDX-License-Identifier: MIT */
/*
 * virtio (Virtual I/O Device spec 1.2): a transport-neutral device core,
 * split virtqueues, and the two transports, virtio-mmio (found through the
 * DTB) and virtio-pci (found by the PCI core).
 *
 * Layers: a transport (drivers/virtio/mmio.c, pci.c) fills a struct
 * virtio_dev with its ops and hands it to virtio_probe_device(), which
 * picks the device driver (net.c, rng.c) by device id. The driver
 * negotiates features with virtio_negotiate(), sets up its queues with
 * virtio_setup_queues() and finishes with virtio_driver_ok(). A driver
 * that gives up calls virtio_fail(): FAILED status, and the device is
 * left alone.
 *
 * Memory: all RAM is mapped at VA = PA (kernel/include/kernel/mm.h), so
 * ring and buffer addresses given to a device are plain pointers; the
 * devices QEMU models are cache-coherent. Rings are little-endian (every
 * Weft arch is), including the legacy interfaces.
 *
 * Context: probing, negotiation and queue setup run in task context
 * (devices_init, pci_init). A virtqueue has no lock of its own: its
 * driver serializes virtq_add/virtq_get_used; virtq_pending() and the
 * interrupt-suppression calls are safe from any context.
 */
#ifndef WEFT_DRIVERS_VIRTIO_H
#define WEFT_DRIVERS_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kernel/types.h>

/* Device status bits (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Reserved feature bits (§6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_ANY_LAYOUT 27 /* legacy name; implied by VERSION_1 */
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34

/* Device ids (§5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_RNG 4

/* ---- split virtqueues (§2.7) ---- */

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* The largest queue Weft asks for where it may choose. */
#define VIRTQ_MAX_SIZE 256

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* then used_event, with EVENT_IDX */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* then avail_event, with EVENT_IDX */
};

/* One piece of a buffer chain: device-readable (out) or device-writable. */
struct virtq_seg {
	void *addr;
	uint32_t len;
};

struct virtio_dev;

struct virtq {
	uint16_t num; /* entries, a power of two */
	uint16_t index; /* queue number on the device */
	bool event_idx; /* VIRTIO_F_EVENT_IDX negotiated */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;

	/* Driver-private ring state. */
	uint16_t free_head, num_free;
	uint16_t avail_idx; /* next avail->idx to publish */
	uint16_t last_used; /* used->idx up to which we have taken entries */
	uint16_t kicked_idx; /* avail_idx at the last notification (EVENT_IDX) */
	void **cookie; /* per head descriptor: what virtq_add was given */

	/* Set by the transport: tell the device about new buffers. */
	void (*notify)(struct virtq *vq);
	/* Set by the driver: the queue's interrupt arrived (interrupt
	 * context; may be NULL). */
	void (*callback)(struct virtq *vq);
	struct virtio_dev *vdev;
	void *priv;
	void *notify_addr; /* transport-private */

	uint64_t kicks, kicks_suppressed;
};

/*
 * Bytes for a queue of `num` entries laid out in one block: descriptor
 * table, available ring (with used_event), padding to `align`, used ring
 * (with avail_event). With align = 4096 the block also suits the legacy
 * interfaces (§2.7, "Legacy Interfaces: A Note on Virtqueue Layout").
 */
size_t virtq_layout_size(uint16_t num, size_t align);

/*
 * Lay out a queue of `num` entries (a power of two, at most 32768) in `mem` (virtq_layout_size bytes, aligned to `align`
 * and at least 16, zeroed), with `cookies` room for `num` pointers.
 * -EINVAL for a bad size.
 */
int virtq_init(struct virtq *vq, uint16_t num, void *mem, size_t align, void **cookies);

/*
 * Put a chain of `nout` device-readable then `nin` device-writable
 * segments on the available ring, with `cookie` (not NULL) to give back
 * from virtq_get_used. The device sees it only after virtq_kick.
 * 0, or -ENOSPC when fewer than nout + nin descriptors are free,
 * -EINVAL for an empty chain.
 */
int virtq_add(struct virtq *vq, const struct virtq_seg *segs, int nout, int nin, void *cookie);

/* Descriptors free right now. */
static inline unsigned int virtq_num_free(const struct virtq *vq)
{
	return vq->num_free;
}

/* Publish what virtq_add put on the ring, and notify the device unless it
 * asked not to be (VIRTQ_USED_F_NO_NOTIFY, or avail_event with
 * EVENT_IDX). Returns whether it notified. */
bool virtq_kick(struct virtq *vq);

/* Whether the device has returned buffers we have not taken yet. Lock-free,
 * any context. */
bool virtq_pending(const struct virtq *vq);

/*
 * Take the next used buffer: its cookie, and in *len the bytes the device
 * wrote; NULL when there is none. A used element naming a descriptor that
 * is not the head of an outstanding chain (a broken device) is counted in
 * virtq_bad_used and skipped.
 */
void *virtq_get_used(struct virtq *vq, uint32_t *len);

/* Interrupt suppression (§2.7.7): ask the device not to interrupt for
 * this queue (a hint), or to interrupt again. virtq_enable_cb returns
 * true when buffers were already used meanwhile, so that the caller
 * re-polls instead of waiting for an interrupt that may not come. */
void virtq_disable_cb(struct virtq *vq);
bool virtq_enable_cb(struct virtq *vq);

extern uint64_t virtq_bad_used; /* malformed used elements seen, all queues */

/* ---- devices and transports ---- */

struct virtio_transport {
	const char *name; /* "mmio", "mmio-legacy", "pci", "pci-legacy" */
	bool legacy; /* only the low 32 feature bits, no FEATURES_OK */
	bool fixed_queue_size; /* legacy PCI: the driver cannot choose it */
	uint64_t (*get_features)(struct virtio_dev *vd);
	void (*set_features)(struct virtio_dev *vd, uint64_t features);
	uint8_t (*get_status)(struct virtio_dev *vd);
	/* Writing 0 resets the device and returns once the reset is done. */
	void (*set_status)(struct virtio_dev *vd, uint8_t status);
	/* Largest size the device allows for queue `idx`, 0 if absent. */
	uint16_t (*queue_max)(struct virtio_dev *vd, unsigned int idx);
	/* Interrupt plumbing for `nvqs` queues, before they are set up. */
	int (*setup_irqs)(struct virtio_dev *vd, int nvqs);
	/* Tell the device where queue vq->index lives, and enable it. */
	int (*setup_queue)(struct virtio_dev *vd, struct virtq *vq);
	/* Read `len` bytes of device config at `off`, torn-read safe. */
	void (*read_config)(struct virtio_dev *vd, unsigned int off, void *buf, size_t len);
	/* Route interrupts to the queues' callbacks (after DRIVER_OK). */
	int (*enable_irqs)(struct virtio_dev *vd);
};

#define VIRTIO_MAX_VQS 4

struct virtio_dev {
	char name[24]; /* "virtio-mmio@a003e00", "pci0:01.0" */
	uint32_t device_id;
	uint64_t features; /* negotiated */
	const struct virtio_transport *ops;
	void *transport; /* the transport's own state */
	int nvqs;
	struct virtq *vqs[VIRTIO_MAX_VQS];
	void *priv; /* the device driver's */
	char irq_desc[24]; /* how interrupts arrive: "irq 79", "msi-x per queue" */
	uint64_t irqs, config_irqs;
};

/* A device driver (net.c, rng.c). */
struct virtio_driver {
	const char *name;
	uint32_t device_id;
	/* Negotiate, set up queues, virtio_driver_ok: 0, or a negative errno
	 * after which the core marks the device FAILED. Task context. */
	int (*probe)(struct virtio_dev *vd);
};

extern const struct virtio_driver virtio_net_driver, virtio_rng_driver;

/* The virtio device behind a virtio-net netdev, or NULL for another
 * kind of netdev (for tests and statistics). */
struct netdev;
struct virtio_dev *virtio_net_vdev(const struct netdev *nd);

/* virtio-net's probe without the registration (for tests with a fake
 * device): negotiate, set up the queues, post the receive buffers and
 * set DRIVER_OK. 0 and the device in *ndp, or a negative errno. */
int virtio_net_setup(struct virtio_dev *vd, struct netdev **ndp);

/* virtio-rng devices that fed the entropy pool (for tests). */
extern int virtio_rng_devices;

/*
 * Reset the device, acknowledge it and give it to the driver for its
 * device id; a device nobody drives is reset and left alone. Returns the
 * driver's result (0 when taken), -ENODEV when no driver wants it. The
 * virtio_dev must outlive the device (drivers keep it). Task context.
 */
int virtio_probe_device(struct virtio_dev *vd);

/*
 * Feature negotiation (§3.1.1): offer the device's features that are in
 * `wanted` (VIRTIO_F_VERSION_1 is added on modern transports, which
 * require it; legacy transports get the low 32 bits only), set
 * FEATURES_OK and check that the device kept it. The result is in
 * vd->features. -EIO when the device refuses, -ENODEV when a modern
 * device lacks VERSION_1.
 */
int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted);

static inline bool virtio_has(const struct virtio_dev *vd, unsigned int bit)
{
	return (vd->features >> bit) & 1;
}

/*
 * Allocate and register `n` queues (indices 0..n-1) of at most `max`
 * entries each (the device's maximum, rounded down to a power of two, if
 * smaller); vqs[i]->callback is set from callbacks[i]. 0 or a negative
 * errno (-ENODEV for a queue the device lacks, -ENOMEM).
 */
int virtio_setup_queues(struct virtio_dev *vd, int n, struct virtq **vqs,
			void (*const *callbacks)(struct virtq *vq), uint16_t max);

/* Set DRIVER_OK and enable the interrupts: the device is live. */
int virtio_driver_ok(struct virtio_dev *vd);

/* Give up on a device: report `why`, set FAILED. */
void virtio_fail(struct virtio_dev *vd, const char *why, int err);

/* For a transport's interrupt handler: call every queue's callback. */
void virtio_vring_interrupt(struct virtio_dev *vd);

/* Read a little-endian config field of 1, 2, 4 or 8 bytes. */
uint64_t virtio_config_read(struct virtio_dev *vd, unsigned int off, size_t len);

/* The virtio-pci transport, for the PCI core's driver table. */
struct pci_driver;
extern const struct pci_driver virtio_pci_driver;

/* Find every "virtio,mmio" node in the DTB and probe its device; the
 * number of devices taken. Task context, once (devices_init). */
int virtio_mmio_probe_all(const void *dtb);

/* Allocate zeroed, physically contiguous memory for rings and buffers
 * (whole pages); NULL when out of memory. */
void *virtio_dma_alloc(size_t size);

#endif
