/* SPDX-License-Identifier: MIT */
/*
 * Private to drivers/pci: host bridges, their address windows, and the
 * pure functions (device tree parsing, window allocation, interrupt
 * routing) that drivers/pci/tests checks against a known device tree.
 */
#ifndef WEFT_DRIVERS_PCI_PRIV_H
#define WEFT_DRIVERS_PCI_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <drivers/pci.h>
#include <kernel/types.h>

#define PCI_MAX_HOSTS 4

/* Configuration space header (PCI Local Bus 3.0 §6.1, PCI-to-PCI Bridge 1.2 §3.2). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO (1u << 0)
#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_COMMAND_MASTER (1u << 2)
#define PCI_COMMAND_INTX_DISABLE (1u << 10)
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST (1u << 4)
#define PCI_REVISION 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_PRIMARY_BUS 0x18 /* bridges */
#define PCI_SECONDARY_BUS 0x19
#define PCI_SUBORDINATE_BUS 0x1a
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_SUBSYS_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_BAR_IO (1u << 0)
#define PCI_BAR_MEM_TYPE_64 (2u << 1)
#define PCI_BAR_MEM_PREFETCH (1u << 3)

/* The host bridge's windows, by the space code of the DTB "ranges" entry
 * (IEEE 1275 PCI bus binding §2.2.1.1: phys.hi bits 25:24). */
enum pci_win_kind { PCI_WIN_IO, PCI_WIN_MEM32, PCI_WIN_MEM64, PCI_NWIN };

/* A range of PCI bus addresses and where the CPU sees it; BARs are handed
 * out upwards from `next`. size 0: no such window. */
struct pci_window {
	uint64_t pci_base, cpu_base, size;
	uint64_t next; /* the lowest PCI address not handed out yet */
};

struct pci_host {
	uint16_t segment;
	uint8_t bus_start, bus_end;
	paddr_t ecam; /* the configuration space of bus bus_start */
	/* I/O BARs are x86 port numbers (ACPI hosts); otherwise they are
	 * reached through the I/O window, which is memory. */
	bool io_ports;
	struct pci_window win[PCI_NWIN];
	/* The DTB node, for interrupt-map (dtb NULL: an ACPI host). */
	const void *dtb;
	int node;
	uint8_t last_bus; /* the highest bus number given out or found so far */
};

/* Fill `h` from a "pci-host-ecam-generic" node: reg (ECAM), bus-range and
 * ranges. 0, or -EINVAL for a node without a usable reg (printed). */
int pci_dt_host_parse(const void *dtb, int node, struct pci_host *h);

/* The standard INTx swizzle across a bridge (PCI-to-PCI Bridge 1.2
 * §9.1): pin (1..4, INTA..INTD) of a device in slot `dev` behind the bridge
 * is the bridge's pin ((pin - 1 + dev) % 4) + 1. */
unsigned int pci_swizzle(unsigned int dev, unsigned int pin);

/*
 * Look up (bus, dev, fn, pin) in the host node's interrupt-map, masked by
 * interrupt-map-mask (devicetree spec v0.4 §2.4.3), and turn the parent's
 * interrupt specifier into an irqchip number: a 1-cell specifier is the
 * number itself (PLIC), a 3-cell one is a GIC <type number flags> (SPI: 32 +
 * number, PPI: 16 + number). 0 and *irq, or -ENOENT when nothing matches,
 * -EINVAL for a malformed map (printed by the caller).
 */
int pci_dt_intx_lookup(const void *dtb, int node, unsigned int bus, unsigned int dev,
		       unsigned int fn, unsigned int pin, unsigned int *irq);

/*
 * Hand out `size` bytes (a power of two) of window `w`, naturally aligned.
 * 0 and the PCI address in *pci, or -ENOSPC.
 */
int pci_window_alloc(struct pci_window *w, uint64_t size, uint64_t *pci);

/* The same for any size, aligned to `align` (a power of two): for bridge
 * windows, whose size is a multiple of their granule only. */
int pci_window_alloc_aligned(struct pci_window *w, uint64_t size, uint64_t align, uint64_t *pci);

/*
 * Allocate `size` bytes aligned to `align` for an I/O (`io`) or memory
 * range from the windows `win` (a host's, or the ones a bridge forwards):
 * memory from the 32-bit window first, from the 64-bit one only when
 * `mem64` (a 64-bit BAR) and the 32-bit one is full. 0 with the PCI and
 * CPU addresses, or -ENOSPC.
 */
int pci_windows_alloc(struct pci_window *win, bool io, bool mem64, uint64_t size, uint64_t align,
		      uint64_t *pci, uint64_t *cpu);

/*
 * Choose a window of `h` for `bar` and allocate it there: I/O BARs from the
 * I/O window; memory BARs from the 32-bit window first (it is reachable by
 * 32-bit and 64-bit BARs alike, and keeps addresses low), 64-bit BARs from
 * the 64-bit window when the 32-bit one is full. 0 with the PCI address in
 * *pci and the CPU address in *cpu, or -ENOSPC.
 */
int pci_host_alloc_bar(struct pci_host *h, const struct pci_bar *bar, uint64_t *pci, uint64_t *cpu);

/* The CPU address of PCI address `pci` in a window of `h` of kind `k`, or 0
 * when no window holds it. */
uint64_t pci_host_to_cpu(const struct pci_host *h, enum pci_win_kind k, uint64_t pci,
			 uint64_t size);

#endif
