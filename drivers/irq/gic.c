// SPDX-License-Identifier: MIT
/*
 * Arm GICv2 and GICv3 interrupt controllers. References: "ARM Generic
 * Interrupt Controller Architecture Specification version 2.0" (IHI 0048B)
 * and "... GIC architecture version 3 and version 4" (IHI 0069); register
 * names below are theirs.
 *
 * Both versions share the distributor (GICD), which owns the SPIs. The
 * per-CPU side differs: GICv2 has a memory-mapped CPU interface (GICC) and
 * banked distributor registers for SGIs and PPIs; GICv3 has one
 * redistributor (GICR) per CPU for SGIs and PPIs, and the CPU interface is
 * system registers (ICC_*).
 *
 * All interrupts get one priority and are taken as IRQs. We run in the
 * non-secure world, or on a GIC with a single security state (QEMU virt
 * without secure=on): see gicv2_dist_init and gicv3_dist_init for how the
 * register values work in both.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <arch/sysreg.h>
#include <drivers/fdt.h>
#include <drivers/gic.h>
#include <drivers/irqchip.h>
#include <kernel/types.h>

/* Distributor registers (v2: 4.3; v3: GICD_*). */
#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ICPENDR 0x0280
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ITARGETSR 0x0800
#define GICD_ICFGR 0x0c00
#define GICD_SGIR 0x0f00 /* v2 */
#define GICD_IROUTER 0x6000 /* v3: 64 bits per SPI, indexed by INTID */

#define GICD_TYPER_ITLINES(t) ((((t)&0x1f) + 1) * 32) /* number of INTIDs, SPIs included */
#define GICD_CTLR_RWP (1u << 31) /* v3: a register write is still in progress */
#define GICD_SGIR_TARGET_SHIFT 16 /* v2: CPUTargetList, one bit per CPU interface */

/* GICv2 CPU interface (4.4). */
#define GICC_CTLR 0x0000
#define GICC_PMR 0x0004
#define GICC_BPR 0x0008
#define GICC_IAR 0x000c
#define GICC_EOIR 0x0010

/* GICv3 redistributor: the RD_base frame, then the SGI_base frame 64 KiB on. */
#define GICR_CTLR 0x0000
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_SGI_BASE 0x10000
#define GICR_IGROUPR0 (GICR_SGI_BASE + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI_BASE + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI_BASE + 0x0180)
#define GICR_ICPENDR0 (GICR_SGI_BASE + 0x0280)
#define GICR_IPRIORITYR (GICR_SGI_BASE + 0x0400)

#define GICR_CTLR_RWP (1u << 3)
#define GICR_TYPER_VLPIS (1u << 1) /* GICv4: two more 64 KiB frames per redistributor */
#define GICR_TYPER_LAST (1u << 4) /* the last redistributor of its region */
#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)

/* GICv3 CPU interface system registers, by encoding. */
#define ICC_PMR_EL1 S3_0_C4_C6_0
#define ICC_IAR1_EL1 S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_BPR1_EL1 S3_0_C12_C12_3
#define ICC_CTLR_EL1 S3_0_C12_C12_4
#define ICC_SRE_EL1 S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SGI1R_EL1 S3_0_C12_C11_5
#define ICC_SRE_SRE (1u << 0)

/* ICC_SGI1R_EL1 fields: a target list of Aff0 values within one Aff3.Aff2.Aff1 cluster, 16 at
 * a time (RS selects which 16: Aff0 = RS * 16 + bit). */
#define ICC_SGI1R_AFF1_SHIFT 16
#define ICC_SGI1R_INTID_SHIFT 24
#define ICC_SGI1R_AFF2_SHIFT 32
#define ICC_SGI1R_RS_SHIFT 44
#define ICC_SGI1R_AFF3_SHIFT 48

#define GIC_NR_SGI 16
#define GIC_NR_PRIVATE 32 /* SGIs and PPIs */
#define GIC_SPURIOUS_FIRST 1020 /* INTIDs 1020-1023 are special: nothing to handle */
#define GIC_INTID_MASK 0xffffff

/* Every interrupt's priority, and the mask that lets all of them through. Lower is more
 * urgent; non-secure writes lose the low bit and gain the top one, so the order holds. */
#define GIC_PRIO_IRQ 0xa0
#define GIC_PRIO_MASK 0xf0

#define GIC_MAX_RDIST_REGIONS 8

static struct {
	uintptr_t dist;
	uintptr_t cpu; /* v2 */
	unsigned int nr_irqs; /* INTIDs the distributor implements */
	/* v3 redistributor regions and the distance between redistributors. */
	unsigned int nr_rdist_regions;
	uintptr_t rdist_base[GIC_MAX_RDIST_REGIONS];
	uint64_t rdist_size[GIC_MAX_RDIST_REGIONS];
	uint64_t rdist_stride;
	/* v2: the IAR of the SGI each CPU interface is handling; its EOI
	 * must name the source CPU too (4.4.5). */
	uint32_t sgi_iar[8];
	/* v2: the MPIDR affinity of the CPU behind each CPU interface that ran
	 * init_cpu (bit n of v2_online), to address SGIs by hardware id. */
	uint64_t v2_mpidr[8];
	uint32_t v2_online;
} gic;

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t val)
{
	*(volatile uint32_t *)addr = val;
}

static inline uint64_t mmio_read64(uintptr_t addr)
{
	return *(volatile uint64_t *)addr;
}

static inline void mmio_write64(uintptr_t addr, uint64_t val)
{
	*(volatile uint64_t *)addr = val;
}

/* One bit per interrupt: set register `reg` + the word for `irq`. */
static void gic_set_bit(uintptr_t base, uintptr_t reg, unsigned int irq)
{
	mmio_write32(base + reg + (irq / 32) * 4, 1u << (irq % 32));
}

/* One byte per interrupt (IPRIORITYR, ITARGETSR): byte accesses are allowed. */
static void gic_set_byte(uintptr_t base, uintptr_t reg, unsigned int irq, uint8_t val)
{
	*(volatile uint8_t *)(base + reg + irq) = val;
}

/* SPIs: disabled, not pending or active, one priority, level-sensitive (as the devices of
 * QEMU virt are; an edge-triggered device will need a way to say so). */
static void gic_dist_spis_reset(void)
{
	for (unsigned int i = GIC_NR_PRIVATE; i < gic.nr_irqs; i += 32) {
		mmio_write32(gic.dist + GICD_ICENABLER + i / 8, ~0u);
		mmio_write32(gic.dist + GICD_ICPENDR + i / 8, ~0u);
		mmio_write32(gic.dist + GICD_ICACTIVER + i / 8, ~0u);
	}
	for (unsigned int i = GIC_NR_PRIVATE; i < gic.nr_irqs; i += 16)
		mmio_write32(gic.dist + GICD_ICFGR + i / 4, 0);
	for (unsigned int i = GIC_NR_PRIVATE; i < gic.nr_irqs; i++)
		gic_set_byte(gic.dist, GICD_IPRIORITYR, i, GIC_PRIO_IRQ);
}

/* ---- GICv2 ---- */

/* This CPU's bit in ITARGETSR: the first eight ITARGETSR bytes are read-only
 * and name the reading CPU's interface (4.3.12). */
static uint8_t gicv2_cpu_mask(void)
{
	uint32_t v = mmio_read32(gic.dist + GICD_ITARGETSR);

	return (uint8_t)(v | v >> 8 | v >> 16 | v >> 24);
}

/*
 * Interrupts stay in the group the firmware chose: group 0 on a GIC without
 * the Security Extensions (signalled as IRQ while GICC_CTLR.FIQEn is 0), or
 * group 1 as set up by secure firmware, in which case the non-secure view of
 * bit 0 of GICD_CTLR and GICC_CTLR enables group 1. Bit 0 works in both.
 */
static void gicv2_dist_init(void)
{
	uint8_t self = gicv2_cpu_mask();

	mmio_write32(gic.dist + GICD_CTLR, 0);
	gic_dist_spis_reset();
	for (unsigned int i = GIC_NR_PRIVATE; i < gic.nr_irqs; i++)
		gic_set_byte(gic.dist, GICD_ITARGETSR, i, self);
	mmio_write32(gic.dist + GICD_CTLR, 1);
}

static unsigned int gicv2_cpu_index(void);

static void gicv2_init_cpu(void)
{
	unsigned int idx = gicv2_cpu_index();

	/* The banked SGI/PPI registers: PPIs off until asked for, SGIs on. */
	mmio_write32(gic.dist + GICD_ICENABLER, 0xffff0000);
	mmio_write32(gic.dist + GICD_ISENABLER, 0x0000ffff);
	for (unsigned int i = 0; i < GIC_NR_PRIVATE; i++)
		gic_set_byte(gic.dist, GICD_IPRIORITYR, i, GIC_PRIO_IRQ);
	mmio_write32(gic.cpu + GICC_PMR, GIC_PRIO_MASK);
	mmio_write32(gic.cpu + GICC_BPR, 0);
	mmio_write32(gic.cpu + GICC_CTLR, 1);

	gic.v2_mpidr[idx] = read_sysreg(mpidr_el1) & MPIDR_HWID_MASK;
	__atomic_fetch_or(&gic.v2_online, 1u << idx, __ATOMIC_RELEASE);
}

static void gicv2_enable(unsigned int irq)
{
	if (irq >= gic.nr_irqs)
		return;
	if (irq >= GIC_NR_PRIVATE)
		gic_set_byte(gic.dist, GICD_ITARGETSR, irq, gicv2_cpu_mask());
	gic_set_bit(gic.dist, GICD_ISENABLER, irq);
}

static void gicv2_disable(unsigned int irq)
{
	if (irq < gic.nr_irqs)
		gic_set_bit(gic.dist, GICD_ICENABLER, irq);
}

static unsigned int gicv2_cpu_index(void)
{
	return (unsigned int)__builtin_ctz(gicv2_cpu_mask() | 0x100) & 7;
}

static unsigned int gicv2_claim(void)
{
	uint32_t iar = mmio_read32(gic.cpu + GICC_IAR);
	unsigned int irq = iar & 0x3ff;

	if (irq >= GIC_SPURIOUS_FIRST)
		return IRQCHIP_SPURIOUS;
	if (irq < GIC_NR_SGI)
		gic.sgi_iar[gicv2_cpu_index()] = iar;
	return irq;
}

static void gicv2_complete(unsigned int irq)
{
	mmio_write32(gic.cpu + GICC_EOIR, irq < GIC_NR_SGI ? gic.sgi_iar[gicv2_cpu_index()] : irq);
}

/* SGIs are addressed by CPU interface number (4.3.15, GICD_SGIR). */
static void gicv2_send_ipi(unsigned int irq, uint64_t hwid)
{
	uint32_t online = __atomic_load_n(&gic.v2_online, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < 8; i++) {
		if (!(online & (1u << i)) || gic.v2_mpidr[i] != hwid)
			continue;
		/* Normal memory writes before the device write that raises the
		 * interrupt, as the target will read them. */
		dsb(ishst);
		mmio_write32(gic.dist + GICD_SGIR,
			     (1u << (GICD_SGIR_TARGET_SHIFT + i)) | (irq % GIC_NR_SGI));
		return;
	}
}

static const struct irqchip gicv2_chip = {
	.name = "gicv2",
	.init_cpu = gicv2_init_cpu,
	.enable = gicv2_enable,
	.disable = gicv2_disable,
	.claim = gicv2_claim,
	.complete = gicv2_complete,
	.send_ipi = gicv2_send_ipi,
};

/* ---- GICv3 ---- */

static void gicv3_wait_rwp(uintptr_t reg, uint32_t bit)
{
	while (mmio_read32(reg) & bit)
		;
}

/* This CPU's affinity as GICR_TYPER[63:32] holds it: Aff3.Aff2.Aff1.Aff0, a byte each. */
static uint64_t gicv3_self_affinity(void)
{
	uint64_t mpidr = read_sysreg(mpidr_el1);

	return (mpidr & 0xffffff) | ((mpidr >> 32) & 0xff) << 24;
}

/* GICD_IROUTER routing an SPI to this CPU: MPIDR's layout of the affinity fields, with the
 * Interrupt Routing Mode bit (31) clear. */
static uint64_t gicv3_self_irouter(void)
{
	return read_sysreg(mpidr_el1) & MPIDR_HWID_MASK;
}

/* This CPU's redistributor (RD_base), found by affinity; 0 if none matches. */
static uintptr_t gicv3_rdist_self(void)
{
	uint64_t aff = gicv3_self_affinity();

	for (unsigned int r = 0; r < gic.nr_rdist_regions; r++) {
		uintptr_t base = gic.rdist_base[r], end = base + gic.rdist_size[r];

		for (uintptr_t rd = base; rd + 2 * GICR_SGI_BASE <= end;) {
			uint64_t typer = mmio_read64(rd + GICR_TYPER);
			uint64_t stride = gic.rdist_stride;

			if (typer >> 32 == aff)
				return rd;
			if (typer & GICR_TYPER_LAST)
				break;
			if (!stride)
				stride = typer & GICR_TYPER_VLPIS ? 4 * GICR_SGI_BASE :
								    2 * GICR_SGI_BASE;
			rd += stride;
		}
	}
	return 0;
}

/*
 * GICD_CTLR value 0x13: with a single security state (DS=1) it enables group
 * 0, group 1 and affinity routing (ARE); in the non-secure view of a secure
 * GIC the same bits are EnableGrp1, EnableGrp1A and ARE_NS.
 *
 * All interrupts go to group 1, because on GICv3 group 0 is always an FIQ.
 * Secure firmware makes IGROUPR read-as-zero, write-ignored for us, having
 * put them in non-secure group 1 itself.
 */
#define GICD_CTLR_V3_ENABLE 0x13

static void gicv3_dist_init(void)
{
	uint64_t route = gicv3_self_irouter();

	mmio_write32(gic.dist + GICD_CTLR, 0);
	gicv3_wait_rwp(gic.dist + GICD_CTLR, GICD_CTLR_RWP);
	for (unsigned int i = GIC_NR_PRIVATE; i < gic.nr_irqs; i += 32)
		mmio_write32(gic.dist + GICD_IGROUPR + i / 8, ~0u);
	gic_dist_spis_reset();
	gicv3_wait_rwp(gic.dist + GICD_CTLR, GICD_CTLR_RWP);
	mmio_write32(gic.dist + GICD_CTLR, GICD_CTLR_V3_ENABLE);
	gicv3_wait_rwp(gic.dist + GICD_CTLR, GICD_CTLR_RWP);
	for (unsigned int i = GIC_NR_PRIVATE; i < gic.nr_irqs; i++)
		mmio_write64(gic.dist + GICD_IROUTER + 8 * i, route);
}

static void gicv3_init_cpu(void)
{
	uintptr_t rd = gicv3_rdist_self();

	if (!rd)
		return; /* gic_probe checked the boot CPU; a secondary without one stays deaf */

	/* Wake the redistributor up (v3: GICR_WAKER): clear ProcessorSleep,
	 * then wait until ChildrenAsleep reads 0. */
	mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
	while (mmio_read32(rd + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP)
		;

	mmio_write32(rd + GICR_IGROUPR0, ~0u);
	mmio_write32(rd + GICR_ICENABLER0, 0xffff0000);
	mmio_write32(rd + GICR_ISENABLER0, 0x0000ffff);
	mmio_write32(rd + GICR_ICPENDR0, ~0u);
	for (unsigned int i = 0; i < GIC_NR_PRIVATE; i++)
		gic_set_byte(rd, GICR_IPRIORITYR, i, GIC_PRIO_IRQ);
	gicv3_wait_rwp(rd + GICR_CTLR, GICR_CTLR_RWP);

	/* The CPU interface: system register access, then the priority
	 * mask, EOI mode 0 (EOIR both drops the priority and deactivates),
	 * and group 1 on. */
	write_sysreg(ICC_SRE_EL1, read_sysreg(ICC_SRE_EL1) | ICC_SRE_SRE);
	isb();
	write_sysreg(ICC_PMR_EL1, GIC_PRIO_MASK);
	write_sysreg(ICC_BPR1_EL1, 0);
	write_sysreg(ICC_CTLR_EL1, 0);
	write_sysreg(ICC_IGRPEN1_EL1, 1);
	isb();
}

static void gicv3_enable(unsigned int irq)
{
	if (irq < GIC_NR_PRIVATE) {
		uintptr_t rd = gicv3_rdist_self();

		if (rd)
			gic_set_bit(rd, GICR_ISENABLER0, irq);
		return;
	}
	if (irq >= gic.nr_irqs)
		return;
	mmio_write64(gic.dist + GICD_IROUTER + 8 * irq, gicv3_self_irouter());
	gic_set_bit(gic.dist, GICD_ISENABLER, irq);
}

static void gicv3_disable(unsigned int irq)
{
	if (irq < GIC_NR_PRIVATE) {
		uintptr_t rd = gicv3_rdist_self();

		if (rd) {
			gic_set_bit(rd, GICR_ICENABLER0, irq);
			gicv3_wait_rwp(rd + GICR_CTLR, GICR_CTLR_RWP);
		}
		return;
	}
	if (irq >= gic.nr_irqs)
		return;
	gic_set_bit(gic.dist, GICD_ICENABLER, irq);
	gicv3_wait_rwp(gic.dist + GICD_CTLR, GICD_CTLR_RWP);
}

static unsigned int gicv3_claim(void)
{
	unsigned int irq = (unsigned int)read_sysreg(ICC_IAR1_EL1) & GIC_INTID_MASK;

	/* Order the acknowledge before the handler's device accesses. */
	dsb(sy);
	if (irq >= GIC_SPURIOUS_FIRST && irq <= 1023)
		return IRQCHIP_SPURIOUS;
	return irq;
}

static void gicv3_complete(unsigned int irq)
{
	write_sysreg(ICC_EOIR1_EL1, irq);
	isb();
}

/*
 * A group 1 SGI through ICC_SGI1R_EL1 (v3), addressed by affinity.
 * Aff0 values from 16 up need range selectors (ICC_CTLR_EL1.RSS); QEMU
 * virt numbers CPUs in clusters of 16, so it never does.
 */
static void gicv3_send_ipi(unsigned int irq, uint64_t hwid)
{
	uint64_t aff0 = hwid & 0xff;
	uint64_t sgi = (hwid >> 8 & 0xff) << ICC_SGI1R_AFF1_SHIFT |
		       (uint64_t)(irq % GIC_NR_SGI) << ICC_SGI1R_INTID_SHIFT |
		       (hwid >> 16 & 0xff) << ICC_SGI1R_AFF2_SHIFT |
		       (aff0 / 16) << ICC_SGI1R_RS_SHIFT |
		       (hwid >> 32 & 0xff) << ICC_SGI1R_AFF3_SHIFT | 1ull << (aff0 % 16);

	/* A system register write is not ordered after memory writes by a
	 * dmb: the dsb makes them visible before the SGI is sent. */
	dsb(ishst);
	write_sysreg(ICC_SGI1R_EL1, sgi);
	isb();
}

static const struct irqchip gicv3_chip = {
	.name = "gicv3",
	.init_cpu = gicv3_init_cpu,
	.enable = gicv3_enable,
	.disable = gicv3_disable,
	.claim = gicv3_claim,
	.complete = gicv3_complete,
	.send_ipi = gicv3_send_ipi,
};

/* ---- discovery ---- */

static const char *const gicv2_compatible[] = {
	"arm,gic-400", "arm,cortex-a15-gic", "arm,cortex-a9-gic", "arm,cortex-a7-gic", NULL,
};

/* The first enabled interrupt controller compatible with one of `compat`. */
static int gic_find(const void *dtb, const char *const *compat)
{
	for (; *compat; compat++) {
		int node = -1;

		while ((node = fdt_find_compatible(dtb, node, *compat)) >= 0)
			if (fdt_is_enabled(dtb, node) &&
			    fdt_getprop(dtb, node, "interrupt-controller", NULL))
				return node;
	}
	return -ENODEV;
}

static int gicv2_probe(const void *dtb, int node)
{
	uint64_t dist, cpu;

	if (fdt_reg(dtb, node, 0, &dist, NULL) < 0 || fdt_reg(dtb, node, 1, &cpu, NULL) < 0)
		return -ENODEV;
	gic.dist = (uintptr_t)dist;
	gic.cpu = (uintptr_t)cpu;
	gic.nr_irqs = MIN(GICD_TYPER_ITLINES(mmio_read32(gic.dist + GICD_TYPER)), 1020u);
	gicv2_dist_init();
	irqchip_register(&gicv2_chip);
	return 0;
}

static int gicv3_probe(const void *dtb, int node)
{
	uint64_t dist, base, size;
	uint32_t nregions = fdt_getprop_u32(dtb, node, "#redistributor-regions", 1);

	/* The system register interface must exist (ID_AA64PFR0_EL1.GIC)
	 * and be enabled for EL1: ICC_SRE_EL1.SRE sticks only then. */
	if (!((read_sysreg(id_aa64pfr0_el1) >> ID_AA64PFR0_GIC_SHIFT) & 0xf))
		return -ENODEV;
	write_sysreg(ICC_SRE_EL1, read_sysreg(ICC_SRE_EL1) | ICC_SRE_SRE);
	isb();
	if (!(read_sysreg(ICC_SRE_EL1) & ICC_SRE_SRE))
		return -ENODEV;
	if (fdt_reg(dtb, node, 0, &dist, NULL) < 0)
		return -ENODEV;
	gic.dist = (uintptr_t)dist;
	for (uint32_t r = 0; r < nregions && r < GIC_MAX_RDIST_REGIONS; r++) {
		if (fdt_reg(dtb, node, 1 + (int)r, &base, &size) < 0)
			break;
		gic.rdist_base[gic.nr_rdist_regions] = (uintptr_t)base;
		gic.rdist_size[gic.nr_rdist_regions] = size;
		gic.nr_rdist_regions++;
	}
	gic.rdist_stride = fdt_getprop_u32(dtb, node, "redistributor-stride", 0);
	if (!gic.nr_rdist_regions || !gicv3_rdist_self())
		return -ENODEV;
	gic.nr_irqs = MIN(GICD_TYPER_ITLINES(mmio_read32(gic.dist + GICD_TYPER)), 1020u);
	gicv3_dist_init();
	irqchip_register(&gicv3_chip);
	return 0;
}

int gic_probe(const void *dtb)
{
	static const char *const v3[] = { "arm,gic-v3", NULL };
	int node;

	if (!dtb)
		return -ENODEV;
	node = gic_find(dtb, v3);
	if (node >= 0)
		return gicv3_probe(dtb, node);
	node = gic_find(dtb, gicv2_compatible);
	if (node >= 0)
		return gicv2_probe(dtb, node);
	return -ENODEV;
}
