/* SPDX-License-Identifier: MIT */
/*
 * PCI and PCI Express through ECAM (PCI Express Base spec §7.2.2): the
 * host bridge comes from the ACPI MCFG on x86_64 and from the DTB node
 * "pci-host-ecam-generic" on riscv64 and aarch64. Every function found is
 * given to the first driver in the table (drivers/pci/pci.c) that matches
 * it. BARs that firmware left unassigned are given addresses from the host
 * bridge's windows (the DTB "ranges"), and memory and bus mastering are
 * switched on for a driver that asks.
 *
 * Interrupts: MSI-X where the platform can deliver it (x86_64, to the
 * local APIC), else INTx, routed through the DTB "interrupt-map" to the
 * PLIC or the GIC (level-triggered and possibly shared). x86_64 has no INTx
 * routing (that would need the ACPI _PRT and the IOAPIC): use MSI-X or MSI
 * there.
 *
 * PCI-to-PCI bridges are followed as firmware numbered them; on DTB hosts,
 * where no firmware did, pci_init numbers them and gives them windows.
 */
#ifndef WEFT_DRIVERS_PCI_H
#define WEFT_DRIVERS_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include <kernel/irq.h>
#include <kernel/types.h>

#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VNDR 0x09

/* Most functions the PCI core keeps, and most MSI-X vectors per function. */
#define PCI_MAX_DEVS 64
#define PCI_MSIX_MAX 16

struct pci_bar {
	uint64_t addr; /* CPU physical address (MMIO) or port number (I/O on x86) */
	uint64_t size; /* 0: not implemented */
	bool io; /* an I/O BAR */
	bool mem64, prefetch;
};

struct pci_dev {
	uint16_t segment;
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_id;
	uint8_t class, subclass, prog_if, revision;
	struct pci_bar bar[6];
	char name[16]; /* "pci0:01.0" for messages */

	/* Private to the PCI core. */
	volatile uint8_t *cfg; /* this function's 4 KiB of ECAM */
	const void *host; /* the host bridge it sits on */
	unsigned int intx_irq; /* irqchip number of its INTx line, 0 if none */
	uint16_t msix_cap; /* config offset of the MSI-X capability, 0 if none */
	uint16_t msix_nvec;
	volatile uint32_t *msix_table;
	uint16_t msix_irq[PCI_MSIX_MAX]; /* interrupt number of each enabled entry */
	uint16_t msi_cap; /* config offset of the MSI capability, 0 if none */
	uint8_t header_type; /* 0: a device, 1: a PCI-to-PCI bridge */
	const struct pci_dev *parent; /* the bridge it sits behind, NULL on the root bus */
	const char *driver; /* the driver that took it, or NULL */
	bool bars_known; /* bar[] was read (at scan on DTB hosts, else at probe) */
};

struct pci_driver {
	const char *name;
	bool (*match)(const struct pci_dev *pd);
	/* 0 when the driver took the device; a negative errno (printed) when
	 * it could not, after which the device is left disabled. */
	int (*probe)(struct pci_dev *pd);
};

/* Find the host bridges (ACPI or DTB), enumerate every bus behind them,
 * assign missing BARs and probe drivers. Task context, once. Returns the
 * number of functions found, or -ENODEV when there is no ECAM. */
int pci_init(void);

/* Configuration space of `pd`, offsets 0..4095. */
uint8_t pci_cfg_read8(const struct pci_dev *pd, unsigned int off);
uint16_t pci_cfg_read16(const struct pci_dev *pd, unsigned int off);
uint32_t pci_cfg_read32(const struct pci_dev *pd, unsigned int off);
void pci_cfg_write8(const struct pci_dev *pd, unsigned int off, uint8_t v);
void pci_cfg_write16(const struct pci_dev *pd, unsigned int off, uint16_t v);
void pci_cfg_write32(const struct pci_dev *pd, unsigned int off, uint32_t v);

/* Config offset of the first capability with `id` after offset `after`
 * (0: from the start of the list), or 0 if there is none. */
unsigned int pci_find_cap(const struct pci_dev *pd, uint8_t id, unsigned int after);

/* Make pd->bar[] valid: where firmware placed every BAR (ACPI hosts) a
 * function's BARs are sized only when something asks, since sizing turns
 * its decoding off for a moment. Drivers get it done before probe(), and
 * pci_bar_map() and pci_msix_enable() do it too. Task context. */
void pci_bars(struct pci_dev *pd);

/* Turn on memory and I/O decoding and bus mastering (DMA). */
void pci_enable(struct pci_dev *pd);

/*
 * Access to a BAR's registers, MMIO or port I/O alike: pci_bar_map() maps
 * an MMIO BAR uncached and returns a handle; I/O BARs go through the
 * arch's port I/O (x86) or the host bridge's I/O window (elsewhere).
 * Returns -ENODEV for an unimplemented BAR, -ENOMEM.
 */
struct pci_io {
	uintptr_t base; /* virtual address, or port number when `port` */
	bool port;
};
int pci_bar_map(struct pci_dev *pd, int bar, struct pci_io *io);
uint8_t pci_io_read8(const struct pci_io *io, unsigned int off);
uint16_t pci_io_read16(const struct pci_io *io, unsigned int off);
uint32_t pci_io_read32(const struct pci_io *io, unsigned int off);
void pci_io_write8(const struct pci_io *io, unsigned int off, uint8_t v);
void pci_io_write16(const struct pci_io *io, unsigned int off, uint16_t v);
void pci_io_write32(const struct pci_io *io, unsigned int off, uint32_t v);

/*
 * Interrupts. pci_msix_enable() allocates `nvec` vectors and enables
 * MSI-X with all of them masked: the number enabled, or -ENOTSUP when the
 * device or the platform has no MSI-X (then use INTx). pci_msix_set()
 * gives table entry `entry` a handler and unmasks it.
 * pci_intx_register() adds a handler to the device's INTx line, which
 * other devices may share (the handler must check its device's status)
 * and enables the line: 0, or -ENODEV when it has none.
 * pci_msix_enable, pci_msix_set and pci_intx_register: task context.
 * pci_msix_mask: any context, the entry's own handler included.
 */
int pci_msix_enable(struct pci_dev *pd, int nvec);
int pci_msix_set(struct pci_dev *pd, int entry, irq_handler_t fn, void *arg);
void pci_msix_mask(struct pci_dev *pd, int entry, bool masked);
int pci_intx_register(struct pci_dev *pd, irq_handler_t fn, void *arg);

/*
 * Plain MSI (PCI Local Bus 3.0 §6.8.1), one vector, for devices without
 * MSI-X (QEMU's edu): allocates the vector, gives it `fn(irq, arg)`,
 * enables MSI and turns on bus mastering (the message is a DMA write).
 * 0; -ENOTSUP when the device or the platform has no MSI (use INTx);
 * -ENOSPC. Task context.
 */
int pci_msi_enable(struct pci_dev *pd, irq_handler_t fn, void *arg);

/* The functions pci_init() found, in bus order: pci_dev_count() of them,
 * valid for good. */
unsigned int pci_dev_count(void);
struct pci_dev *pci_dev_get(unsigned int i);

/* The `n`th function (from 0) with this vendor and device id, or NULL. */
struct pci_dev *pci_find_device(uint16_t vendor, uint16_t device, unsigned int n);

#endif
