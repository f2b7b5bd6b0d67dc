// SPDX-License-Identifier: MIT
/*
 * The virtio-pci transport (virtio 1.2 §4.1), a driver of the PCI core
 * (drivers/include/drivers/pci.h) for vendor 0x1af4, devices
 * 0x1000-0x107f.
 *
 * Modern interface (§4.1.4): vendor capabilities locate the common
 * configuration, notification, ISR and device configuration structures
 * in the BARs. A transitional device (0x1000-0x103f) that has them is
 * driven through them. Legacy interface (§4.1.4.8): a device without
 * them (QEMU's disable-modern=on) is driven through its I/O BAR 0.
 *
 * Interrupts: MSI-X with vector 0 for configuration changes and one
 * vector per queue where the platform delivers MSI-X (x86_64); else one
 * MSI-X vector for everything if that is all we got; else INTx, a
 * possibly shared level-triggered line whose handler reads the ISR (which
 * clears it, §4.1.4.5) to tell whether the interrupt is ours.
 */
#include <errno.h>
#include <string.h>

#include <arch.h>
#include <drivers/pci.h>
#include <drivers/virtio.h>
#include <kernel/heap.h>
#include <kernel/mm.h>
#include <kernel/printk.h>

#define VIRTIO_PCI_VENDOR 0x1af4

/* Vendor capability (§4.1.4): field offsets and structure types. */
#define CAP_CFG_TYPE 3
#define CAP_BAR 4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_NOTIFY_MULT 16
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4

/* Common configuration structure (§4.1.4.3). */
#define COMMON_DFSELECT 0
#define COMMON_DF 4
#define COMMON_GFSELECT 8
#define COMMON_GF 12
#define COMMON_MSIX 16
#define COMMON_NUMQ 18
#define COMMON_STATUS 20
#define COMMON_CFGGEN 21
#define COMMON_Q_SELECT 22
#define COMMON_Q_SIZE 24
#define COMMON_Q_MSIX 26
#define COMMON_Q_ENABLE 28
#define COMMON_Q_NOFF 30
#define COMMON_Q_DESC 32
#define COMMON_Q_DRIVER 40
#define COMMON_Q_DEVICE 48
#define COMMON_MIN_LEN 56

/* Legacy I/O registers (§4.1.4.8). */
#define LEGACY_HOST_FEATURES 0
#define LEGACY_GUEST_FEATURES 4
#define LEGACY_QUEUE_PFN 8
#define LEGACY_QUEUE_SIZE 12
#define LEGACY_QUEUE_SELECT 14
#define LEGACY_QUEUE_NOTIFY 16
#define LEGACY_STATUS 18
#define LEGACY_ISR 19
#define LEGACY_MSIX_CONFIG 20
#define LEGACY_MSIX_QUEUE 22
#define LEGACY_CONFIG 20 /* 24 while MSI-X is enabled */

#define ISR_QUEUE 1
#define ISR_CONFIG 2
#define VIRTIO_MSI_NO_VECTOR 0xffff

struct vpci {
	struct virtio_dev vd;
	struct pci_dev *pd;
	bool legacy;
	struct pci_io common, isr, device, legacy_io;
	uint32_t device_len;
	struct pci_io notify;
	uint32_t notify_mult, notify_len;
	struct pci_io qnotify[VIRTIO_MAX_VQS];
	int msix; /* 0: INTx; 1: one vector for all; else per queue */
};

static struct vpci *to_vpci(struct virtio_dev *vd)
{
	return vd->transport;
}

static struct pci_io io_at(const struct pci_io *io, unsigned int off)
{
	struct pci_io r = *io;

	r.base += off;
	return r;
}

/* ---- modern ---- */

static uint64_t modern_get_features(struct virtio_dev *vd)
{
	struct vpci *p = to_vpci(vd);
	uint64_t f;

	pci_io_write32(&p->common, COMMON_DFSELECT, 0);
	f = pci_io_read32(&p->common, COMMON_DF);
	pci_io_write32(&p->common, COMMON_DFSELECT, 1);
	return f | (uint64_t)pci_io_read32(&p->common, COMMON_DF) << 32;
}

static void modern_set_features(struct virtio_dev *vd, uint64_t f)
{
	struct vpci *p = to_vpci(vd);

	pci_io_write32(&p->common, COMMON_GFSELECT, 0);
	pci_io_write32(&p->common, COMMON_GF, (uint32_t)f);
	pci_io_write32(&p->common, COMMON_GFSELECT, 1);
	pci_io_write32(&p->common, COMMON_GF, (uint32_t)(f >> 32));
}

static uint8_t modern_get_status(struct virtio_dev *vd)
{
	return pci_io_read8(&to_vpci(vd)->common, COMMON_STATUS);
}

static void modern_set_status(struct virtio_dev *vd, uint8_t s)
{
	struct vpci *p = to_vpci(vd);

	pci_io_write8(&p->common, COMMON_STATUS, s);
	/* §4.1.4.3.2: a reset is complete when device_status reads 0. */
	if (s == 0)
		for (int i = 0; i < 1000000 && pci_io_read8(&p->common, COMMON_STATUS); i++)
			arch_cpu_relax();
}

static uint16_t modern_queue_max(struct virtio_dev *vd, unsigned int idx)
{
	struct vpci *p = to_vpci(vd);

	if (idx >= pci_io_read16(&p->common, COMMON_NUMQ))
		return 0;
	pci_io_write16(&p->common, COMMON_Q_SELECT, (uint16_t)idx);
	if (pci_io_read16(&p->common, COMMON_Q_ENABLE))
		return 0;
	return pci_io_read16(&p->common, COMMON_Q_SIZE);
}

static void modern_notify(struct virtq *vq)
{
	/* §4.1.4.4: the queue's index, 16 bits, at its notify address. */
	pci_io_write16(vq->notify_addr, 0, vq->index);
}

static uint16_t queue_vector(struct vpci *p, struct virtq *vq)
{
	if (!p->msix)
		return VIRTIO_MSI_NO_VECTOR;
	return p->msix > 1 ? (uint16_t)(vq->index + 1) : 0;
}

static void write64(struct pci_io *io, unsigned int off, uint64_t v)
{
	/* §4.1.3.1: 64-bit fields may be written as two 32-bit halves. */
	pci_io_write32(io, off, (uint32_t)v);
	pci_io_write32(io, off + 4, (uint32_t)(v >> 32));
}

static int modern_setup_queue(struct virtio_dev *vd, struct virtq *vq)
{
	struct vpci *p = to_vpci(vd);
	uint16_t vec = queue_vector(p, vq);

	pci_io_write16(&p->common, COMMON_Q_SELECT, vq->index);
	pci_io_write16(&p->common, COMMON_Q_SIZE, vq->num);
	if (vec != VIRTIO_MSI_NO_VECTOR) {
		pci_io_write16(&p->common, COMMON_Q_MSIX, vec);
		/* §4.1.5.1.2: the device answers NO_VECTOR when it could not
		 * map the vector. */
		if (pci_io_read16(&p->common, COMMON_Q_MSIX) != vec)
			return -EIO;
	}
	write64(&p->common, COMMON_Q_DESC, mm_pa(vq->desc));
	write64(&p->common, COMMON_Q_DRIVER, mm_pa(vq->avail));
	write64(&p->common, COMMON_Q_DEVICE, mm_pa(vq->used));

	uint32_t off = (uint32_t)pci_io_read16(&p->common, COMMON_Q_NOFF) * p->notify_mult;

	if (off + 2 > p->notify_len)
		return -EIO; /* a notify address outside the capability */
	p->qnotify[vq->index] = io_at(&p->notify, off);
	vq->notify_addr = &p->qnotify[vq->index];
	vq->notify = modern_notify;
	pci_io_write16(&p->common, COMMON_Q_ENABLE, 1);
	return 0;
}

static void modern_read_config(struct virtio_dev *vd, unsigned int off, void *buf, size_t len)
{
	struct vpci *p = to_vpci(vd);
	uint8_t *b = buf, gen;

	if (off + len > p->device_len) {
		memset(buf, 0, len);
		return;
	}
	/* §4.1.4.3.1: retry while config_generation changes under us. */
	do {
		gen = pci_io_read8(&p->common, COMMON_CFGGEN);
		for (size_t i = 0; i < len; i++)
			b[i] = pci_io_read8(&p->device, off + (unsigned int)i);
	} while (pci_io_read8(&p->common, COMMON_CFGGEN) != gen);
}

/* ---- legacy ---- */

static uint64_t legacy_get_features(struct virtio_dev *vd)
{
	return pci_io_read32(&to_vpci(vd)->legacy_io, LEGACY_HOST_FEATURES);
}

static void legacy_set_features(struct virtio_dev *vd, uint64_t f)
{
	pci_io_write32(&to_vpci(vd)->legacy_io, LEGACY_GUEST_FEATURES, (uint32_t)f);
}

static uint8_t legacy_get_status(struct virtio_dev *vd)
{
	return pci_io_read8(&to_vpci(vd)->legacy_io, LEGACY_STATUS);
}

static void legacy_set_status(struct virtio_dev *vd, uint8_t s)
{
	pci_io_write8(&to_vpci(vd)->legacy_io, LEGACY_STATUS, s);
}

static uint16_t legacy_queue_max(struct virtio_dev *vd, unsigned int idx)
{
	struct vpci *p = to_vpci(vd);

	pci_io_write16(&p->legacy_io, LEGACY_QUEUE_SELECT, (uint16_t)idx);
	if (pci_io_read32(&p->legacy_io, LEGACY_QUEUE_PFN))
		return 0;
	return pci_io_read16(&p->legacy_io, LEGACY_QUEUE_SIZE);
}

static void legacy_notify(struct virtq *vq)
{
	pci_io_write16(&to_vpci(vq->vdev)->legacy_io, LEGACY_QUEUE_NOTIFY, vq->index);
}

static int legacy_setup_queue(struct virtio_dev *vd, struct virtq *vq)
{
	struct vpci *p = to_vpci(vd);
	uint16_t vec = queue_vector(p, vq);

	pci_io_write16(&p->legacy_io, LEGACY_QUEUE_SELECT, vq->index);
	if (vec != VIRTIO_MSI_NO_VECTOR) {
		pci_io_write16(&p->legacy_io, LEGACY_MSIX_QUEUE, vec);
		if (pci_io_read16(&p->legacy_io, LEGACY_MSIX_QUEUE) != vec)
			return -EIO;
	}
	/* §4.1.4.8: a 32-bit page number (4096-byte pages), with the used
	 * ring at the next 4096 boundary, which virtq_layout_size gives. */
	if (mm_pa(vq->desc) >> (PAGE_SHIFT + 32))
		return -ERANGE;
	pci_io_write32(&p->legacy_io, LEGACY_QUEUE_PFN, (uint32_t)(mm_pa(vq->desc) >> PAGE_SHIFT));
	vq->notify = legacy_notify;
	return 0;
}

static void legacy_read_config(struct virtio_dev *vd, unsigned int off, void *buf, size_t len)
{
	struct vpci *p = to_vpci(vd);
	unsigned int base = p->msix ? LEGACY_CONFIG + 4 : LEGACY_CONFIG;
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i++)
		b[i] = pci_io_read8(&p->legacy_io, base + off + (unsigned int)i);
}

/* ---- interrupts ---- */

static uint8_t read_isr(struct vpci *p)
{
	return p->legacy ? pci_io_read8(&p->legacy_io, LEGACY_ISR) : pci_io_read8(&p->isr, 0);
}

static void intx_irq(unsigned int irq, void *arg)
{
	struct vpci *p = arg;
	uint8_t isr = read_isr(p); /* reading acknowledges it */

	(void)irq;
	if (!isr)
		return; /* another device on a shared line */
	p->vd.irqs++;
	if (isr & ISR_CONFIG)
		p->vd.config_irqs++;
	if (isr & ISR_QUEUE)
		virtio_vring_interrupt(&p->vd);
}

static void msix_all_irq(unsigned int irq, void *arg)
{
	struct vpci *p = arg;

	(void)irq;
	p->vd.irqs++;
	virtio_vring_interrupt(&p->vd);
}

static void msix_config_irq(unsigned int irq, void *arg)
{
	struct vpci *p = arg;

	(void)irq;
	p->vd.config_irqs++;
}

static void msix_queue_irq(unsigned int irq, void *arg)
{
	struct virtq *vq = arg;

	(void)irq;
	vq->vdev->irqs++;
	if (vq->callback)
		vq->callback(vq);
}

static int setup_irqs(struct virtio_dev *vd, int nvqs)
{
	struct vpci *p = to_vpci(vd);
	int n = pci_msix_enable(p->pd, nvqs + 1);

	p->msix = n >= nvqs + 1 ? n : n >= 1 ? 1 : 0;
	if (!p->msix)
		return 0;
	if (p->legacy) {
		pci_io_write16(&p->legacy_io, LEGACY_MSIX_CONFIG, 0);
		if (pci_io_read16(&p->legacy_io, LEGACY_MSIX_CONFIG) != 0)
			return -EIO;
	} else {
		pci_io_write16(&p->common, COMMON_MSIX, 0);
		if (pci_io_read16(&p->common, COMMON_MSIX) != 0)
			return -EIO;
	}
	return 0;
}

static int enable_irqs(struct virtio_dev *vd)
{
	struct vpci *p = to_vpci(vd);

	if (!p->msix) {
		ksnprintf(vd->irq_desc, sizeof(vd->irq_desc), "intx irq %u", p->pd->intx_irq);
		return pci_intx_register(p->pd, intx_irq, p);
	}
	if (p->msix == 1) {
		ksnprintf(vd->irq_desc, sizeof(vd->irq_desc), "msi-x shared");
		return pci_msix_set(p->pd, 0, msix_all_irq, p);
	}
	ksnprintf(vd->irq_desc, sizeof(vd->irq_desc), "msi-x per queue");

	int err = pci_msix_set(p->pd, 0, msix_config_irq, p);

	for (int i = 0; i < vd->nvqs && !err; i++)
		err = pci_msix_set(p->pd, i + 1, msix_queue_irq, vd->vqs[i]);
	return err;
}

static const struct virtio_transport pci_modern = {
	.name = "pci",
	.get_features = modern_get_features,
	.set_features = modern_set_features,
	.get_status = modern_get_status,
	.set_status = modern_set_status,
	.queue_max = modern_queue_max,
	.setup_irqs = setup_irqs,
	.setup_queue = modern_setup_queue,
	.read_config = modern_read_config,
	.enable_irqs = enable_irqs,
};

static const struct virtio_transport pci_legacy = {
	.name = "pci-legacy",
	.legacy = true,
	.fixed_queue_size = true,
	.get_features = legacy_get_features,
	.set_features = legacy_set_features,
	.get_status = legacy_get_status,
	.set_status = legacy_set_status,
	.queue_max = legacy_queue_max,
	.setup_irqs = setup_irqs,
	.setup_queue = legacy_setup_queue,
	.read_config = legacy_read_config,
	.enable_irqs = enable_irqs,
};

/* ---- discovery ---- */

/* Map the structure a vendor capability points at: 0, or -ENODEV for a
 * capability whose BAR or range does not hold up. */
static int map_cap(struct pci_dev *pd, unsigned int cap, struct pci_io *io, uint32_t *len)
{
	uint8_t bar = pci_cfg_read8(pd, cap + CAP_BAR);
	uint32_t off = pci_cfg_read32(pd, cap + CAP_OFFSET);
	uint32_t length = pci_cfg_read32(pd, cap + CAP_LENGTH);

	if (bar > 5 || !pd->bar[bar].size || (uint64_t)off + length > pd->bar[bar].size)
		return -ENODEV;
	int err = pci_bar_map(pd, bar, io);

	if (err)
		return err;
	io->base += off;
	if (len)
		*len = length;
	return 0;
}

/* Find the modern structures (§4.1.4: the first capability of each type
 * that we can use). True when common, notify and ISR were all found. */
static bool find_modern(struct vpci *p)
{
	struct pci_dev *pd = p->pd;
	bool common = false, notify = false, isr = false, device = false;

	for (unsigned int cap = pci_find_cap(pd, PCI_CAP_ID_VNDR, 0); cap;
	     cap = pci_find_cap(pd, PCI_CAP_ID_VNDR, cap)) {
		uint8_t type = pci_cfg_read8(pd, cap + CAP_CFG_TYPE);
		uint32_t len;

		if (type == CAP_COMMON && !common) {
			common = map_cap(pd, cap, &p->common, &len) == 0 && len >= COMMON_MIN_LEN;
		} else if (type == CAP_NOTIFY && !notify) {
			notify = map_cap(pd, cap, &p->notify, &p->notify_len) == 0;
			p->notify_mult = pci_cfg_read32(pd, cap + CAP_NOTIFY_MULT);
		} else if (type == CAP_ISR && !isr) {
			isr = map_cap(pd, cap, &p->isr, NULL) == 0;
		} else if (type == CAP_DEVICE && !device) {
			device = map_cap(pd, cap, &p->device, &p->device_len) == 0;
		}
	}
	return common && notify && isr;
}

static bool vpci_match(const struct pci_dev *pd)
{
	return pd->vendor == VIRTIO_PCI_VENDOR && pd->device >= 0x1000 && pd->device <= 0x107f;
}

static int vpci_probe(struct pci_dev *pd)
{
	struct vpci *p = heap_calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->pd = pd;
	pci_enable(pd);
	/* §4.1.2: modern ids are 0x1040 + the device id; a transitional
	 * device carries it in its subsystem id. */
	p->vd.device_id = pd->device >= 0x1040 ? pd->device - 0x1040u : pd->subsys_id;
	p->vd.transport = p;
	ksnprintf(p->vd.name, sizeof(p->vd.name), "%s", pd->name);
	if (find_modern(p)) {
		p->vd.ops = &pci_modern;
	} else if (pd->device < 0x1040 && pd->bar[0].size && pd->bar[0].io &&
		   pci_bar_map(pd, 0, &p->legacy_io) == 0) {
		p->legacy = true;
		p->vd.ops = &pci_legacy;
	} else {
		printk("weft: %s: virtio-pci device with neither modern capabilities nor a "
		       "legacy I/O BAR; skipped\n",
		       pd->name);
		heap_free(p);
		return -ENODEV;
	}
	return virtio_probe_device(&p->vd);
}

const struct pci_driver virtio_pci_driver = {
	.name = "virtio-pci",
	.match = vpci_match,
	.probe = vpci_probe,
};
