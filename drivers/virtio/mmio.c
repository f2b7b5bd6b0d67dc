// SPDX-License-Identifier: MIT
/*
 * The virtio-mmio transport (virtio 1.2 §4.2): version 2 (modern) and
 * version 1 (legacy, §4.2.4), one device per DTB node compatible
 * "virtio,mmio". QEMU's virt machines give every slot a node, so a slot
 * with device id 0 (§4.2.3.1.1: nothing plugged in) is skipped quietly.
 */
#include <errno.h>

#include <arch.h>
#include <drivers/fdt.h>
#include <drivers/irqchip.h>
#include <drivers/virtio.h>
#include <kernel/heap.h>
#include <kernel/irq.h>
#include <kernel/mm.h>
#include <kernel/printk.h>

/* Register offsets (§4.2.2; legacy-only ones from §4.2.4). */
#define MMIO_MAGIC 0x000
#define MMIO_VERSION 0x004
#define MMIO_DEVICE_ID 0x008
#define MMIO_DEVICE_FEATURES 0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES 0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_GUEST_PAGE_SIZE 0x028 /* legacy */
#define MMIO_QUEUE_SEL 0x030
#define MMIO_QUEUE_NUM_MAX 0x034
#define MMIO_QUEUE_NUM 0x038
#define MMIO_QUEUE_ALIGN 0x03c /* legacy */
#define MMIO_QUEUE_PFN 0x040 /* legacy */
#define MMIO_QUEUE_READY 0x044
#define MMIO_QUEUE_NOTIFY 0x050
#define MMIO_INTERRUPT_STATUS 0x060
#define MMIO_INTERRUPT_ACK 0x064
#define MMIO_STATUS 0x070
#define MMIO_QUEUE_DESC_LOW 0x080
#define MMIO_QUEUE_DESC_HIGH 0x084
#define MMIO_QUEUE_DRIVER_LOW 0x090
#define MMIO_QUEUE_DRIVER_HIGH 0x094
#define MMIO_QUEUE_DEVICE_LOW 0x0a0
#define MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define MMIO_CONFIG_GENERATION 0x0fc
#define MMIO_CONFIG 0x100

#define MMIO_MAGIC_VALUE 0x74726976 /* "virt" */
#define MMIO_INT_VRING 1
#define MMIO_INT_CONFIG 2

struct vmmio {
	struct virtio_dev vd;
	volatile uint8_t *base;
	uint32_t version;
	unsigned int irq; /* irqchip number, or IRQ_MAX when the DTB gave none */
};

static struct vmmio *to_vmmio(struct virtio_dev *vd)
{
	return vd->transport;
}

static uint32_t rd32(struct vmmio *m, unsigned int off)
{
	return *(volatile uint32_t *)(m->base + off);
}

static void wr32(struct vmmio *m, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(m->base + off) = v;
}

static uint64_t mmio_get_features(struct virtio_dev *vd)
{
	struct vmmio *m = to_vmmio(vd);
	uint64_t f;

	wr32(m, MMIO_DEVICE_FEATURES_SEL, 0);
	f = rd32(m, MMIO_DEVICE_FEATURES);
	if (m->version >= 2) {
		wr32(m, MMIO_DEVICE_FEATURES_SEL, 1);
		f |= (uint64_t)rd32(m, MMIO_DEVICE_FEATURES) << 32;
	}
	return f;
}

static void mmio_set_features(struct virtio_dev *vd, uint64_t f)
{
	struct vmmio *m = to_vmmio(vd);

	wr32(m, MMIO_DRIVER_FEATURES_SEL, 0);
	wr32(m, MMIO_DRIVER_FEATURES, (uint32_t)f);
	if (m->version >= 2) {
		wr32(m, MMIO_DRIVER_FEATURES_SEL, 1);
		wr32(m, MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	}
}

static uint8_t mmio_get_status(struct virtio_dev *vd)
{
	return (uint8_t)rd32(to_vmmio(vd), MMIO_STATUS);
}

static void mmio_set_status(struct virtio_dev *vd, uint8_t status)
{
	struct vmmio *m = to_vmmio(vd);

	wr32(m, MMIO_STATUS, status);
	/* §4.2.3.1: after writing 0 the driver waits until the reset has
	 * finished, which the device shows by reading back 0. */
	if (status == 0)
		for (int i = 0; i < 1000000 && rd32(m, MMIO_STATUS) != 0; i++)
			arch_cpu_relax();
}

static uint16_t mmio_queue_max(struct virtio_dev *vd, unsigned int idx)
{
	struct vmmio *m = to_vmmio(vd);

	wr32(m, MMIO_QUEUE_SEL, idx);
	/* A queue already in use is not ours to set up. */
	if (rd32(m, m->version >= 2 ? MMIO_QUEUE_READY : MMIO_QUEUE_PFN) != 0)
		return 0;
	uint32_t max = rd32(m, MMIO_QUEUE_NUM_MAX);

	return max > 32768 ? 32768 : (uint16_t)max;
}

static void mmio_notify(struct virtq *vq)
{
	struct vmmio *m = to_vmmio(vq->vdev);

	wr32(m, MMIO_QUEUE_NOTIFY, vq->index);
}

static int mmio_setup_queue(struct virtio_dev *vd, struct virtq *vq)
{
	struct vmmio *m = to_vmmio(vd);

	wr32(m, MMIO_QUEUE_SEL, vq->index);
	wr32(m, MMIO_QUEUE_NUM, vq->num);
	if (m->version == 1) {
		/* §4.2.4: one block, the used ring at QueueAlign, addressed by
		 * page number in units of GuestPageSize. */
		wr32(m, MMIO_GUEST_PAGE_SIZE, PAGE_SIZE);
		wr32(m, MMIO_QUEUE_ALIGN, PAGE_SIZE);
		wr32(m, MMIO_QUEUE_PFN, (uint32_t)(mm_pa(vq->desc) >> PAGE_SHIFT));
	} else {
		paddr_t d = mm_pa(vq->desc), a = mm_pa(vq->avail), u = mm_pa(vq->used);

		wr32(m, MMIO_QUEUE_DESC_LOW, (uint32_t)d);
		wr32(m, MMIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
		wr32(m, MMIO_QUEUE_DRIVER_LOW, (uint32_t)a);
		wr32(m, MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(a >> 32));
		wr32(m, MMIO_QUEUE_DEVICE_LOW, (uint32_t)u);
		wr32(m, MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(u >> 32));
		wr32(m, MMIO_QUEUE_READY, 1);
	}
	vq->notify = mmio_notify;
	return 0;
}

static void mmio_read_config(struct virtio_dev *vd, unsigned int off, void *buf, size_t len)
{
	struct vmmio *m = to_vmmio(vd);
	uint8_t *b = buf;
	uint32_t gen;

	/* §4.2.2.2: a field wider than 32 bits may change between reads;
	 * ConfigGeneration tells (version 2 only). Byte reads are allowed
	 * for the whole config space. */
	do {
		gen = m->version >= 2 ? rd32(m, MMIO_CONFIG_GENERATION) : 0;
		for (size_t i = 0; i < len; i++)
			b[i] = *(volatile uint8_t *)(m->base + MMIO_CONFIG + off + i);
	} while (m->version >= 2 && rd32(m, MMIO_CONFIG_GENERATION) != gen);
}

static void mmio_irq(unsigned int irq, void *arg)
{
	struct vmmio *m = arg;
	uint32_t st = rd32(m, MMIO_INTERRUPT_STATUS);

	(void)irq;
	if (!st)
		return;
	wr32(m, MMIO_INTERRUPT_ACK, st);
	m->vd.irqs++;
	if (st & MMIO_INT_CONFIG)
		m->vd.config_irqs++;
	if (st & MMIO_INT_VRING)
		virtio_vring_interrupt(&m->vd);
}

static int mmio_enable_irqs(struct virtio_dev *vd)
{
	struct vmmio *m = to_vmmio(vd);

	if (m->irq >= IRQ_MAX || !irqchip)
		return -ENODEV;
	int err = irq_register(m->irq, mmio_irq, m);

	if (err)
		return err;
	irqchip->enable(m->irq);
	ksnprintf(vd->irq_desc, sizeof(vd->irq_desc), "irq %u", m->irq);
	return 0;
}

/* Both versions share the register accessors (they check the version
 * where the layouts differ); the core needs to know which is legacy. */
#define MMIO_OPS                                                                                   \
	.get_features = mmio_get_features, .set_features = mmio_set_features,                      \
	.get_status = mmio_get_status, .set_status = mmio_set_status, .queue_max = mmio_queue_max, \
	.setup_queue = mmio_setup_queue, .read_config = mmio_read_config,                          \
	.enable_irqs = mmio_enable_irqs

static const struct virtio_transport mmio_modern = { .name = "mmio", MMIO_OPS };
static const struct virtio_transport mmio_legacy = { .name = "mmio-legacy",
						     .legacy = true,
						     MMIO_OPS };

/*
 * The node's first interrupt as an irqchip number: the interrupt parent
 * (the nearest "interrupt-parent" up the tree) says how many cells a
 * specifier has. Three cells is the GIC binding (type, number, flags:
 * SPI n is INTID 32 + n, PPI n is 16 + n); one or two is a plain number
 * (the PLIC's source). IRQ_MAX when there is none we understand.
 */
static unsigned int dt_irq(const void *dtb, int node)
{
	int len, n = node;
	const void *irqs = fdt_getprop(dtb, node, "interrupts", &len);
	const void *parent = NULL;

	while (n >= 0 && !(parent = fdt_getprop(dtb, n, "interrupt-parent", NULL)))
		n = fdt_parent(dtb, n);
	if (!irqs || !parent)
		return IRQ_MAX;
	int ctl = fdt_find_phandle(dtb, fdt32_ld(parent));

	if (ctl < 0)
		return IRQ_MAX;
	uint32_t cells = fdt_getprop_u32(dtb, ctl, "#interrupt-cells", 1);

	if (cells == 0 || len < (int)(4 * cells))
		return IRQ_MAX;
	if (cells >= 3) {
		uint32_t type = fdt32_ld(irqs), num = fdt32_ld((const uint8_t *)irqs + 4);

		return type == 0 ? 32 + num : type == 1 ? 16 + num : IRQ_MAX;
	}
	return fdt32_ld(irqs);
}

static int probe_node(const void *dtb, int node)
{
	uint64_t base, size;

	if (fdt_reg(dtb, node, 0, &base, &size) < 0 || size < MMIO_CONFIG) {
		printk("weft: %s: virtio,mmio node without a usable reg; skipped\n",
		       fdt_name(dtb, node));
		return -EINVAL;
	}
	if (arch_mmu_map_device(base, size) < 0)
		return -ENOMEM;

	volatile uint8_t *regs = (volatile uint8_t *)(uintptr_t)base;
	uint32_t magic = *(volatile uint32_t *)(regs + MMIO_MAGIC);
	uint32_t version = *(volatile uint32_t *)(regs + MMIO_VERSION);
	uint32_t id = *(volatile uint32_t *)(regs + MMIO_DEVICE_ID);

	if (magic != MMIO_MAGIC_VALUE || (version != 1 && version != 2)) {
		printk("weft: virtio-mmio@%llx: bad magic 0x%x or version %u; skipped\n",
		       (unsigned long long)base, magic, version);
		return -EINVAL;
	}
	if (id == 0)
		return -ENODEV; /* an empty slot */

	struct vmmio *m = heap_calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->base = regs;
	m->version = version;
	m->irq = dt_irq(dtb, node);
	m->vd.device_id = id;
	m->vd.ops = version == 1 ? &mmio_legacy : &mmio_modern;
	m->vd.transport = m;
	ksnprintf(m->vd.name, sizeof(m->vd.name), "virtio-mmio@%llx", (unsigned long long)base);

	int err = virtio_probe_device(&m->vd);

	if (err)
		heap_free(m); /* reset or FAILED: the device holds no memory of ours */
	return err;
}

int virtio_mmio_probe_all(const void *dtb)
{
	int taken = 0;

	if (!dtb)
		return 0;
	for (int node = fdt_find_compatible(dtb, -1, "virtio,mmio"); node >= 0;
	     node = fdt_find_compatible(dtb, node, "virtio,mmio")) {
		if (fdt_is_enabled(dtb, node) && probe_node(dtb, node) == 0)
			taken++;
	}
	return taken;
}
