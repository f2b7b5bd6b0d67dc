// SPDX-License-Identifier: MIT
/*
 * PCI host bridges in the device tree ("pci-host-ecam-generic", the
 * devicetree binding host-generic-pci.yaml), and the pure parts of the PCI
 * core that the tests check: the "ranges" windows, the "interrupt-map" and
 * the allocation of BAR addresses from the windows.
 *
 * Addresses on the PCI side of "ranges" and "interrupt-map" are three cells
 * (IEEE 1275 PCI bus binding §2.2.1.1): phys.hi = npt000ss bbbbbbbb dddddfff
 * rrrrrrrr (p: prefetchable, ss: space code, then bus, device, function
 * and register), followed by the 64-bit address.
 */
#include <errno.h>

#include <drivers/fdt.h>
#include <kernel/printk.h>

#include "pci_priv.h"

#define PHYS_HI_SPACE(hi) (((hi) >> 24) & 3)
#define SPACE_IO 1
#define SPACE_MEM32 2
#define SPACE_MEM64 3

int pci_dt_host_parse(const void *dtb, int node, struct pci_host *h)
{
	const uint8_t *ranges, *br;
	uint64_t base, size;
	int len, pac, csc, entry;

	*h = (struct pci_host){ .dtb = dtb, .node = node, .bus_end = 0xff };
	if (fdt_reg(dtb, node, 0, &base, &size) < 0 || size < (1u << 20)) {
		printk("pci: %s: no ECAM in reg; ignored\n", fdt_name(dtb, node));
		return -EINVAL;
	}
	h->ecam = base;
	h->segment = (uint16_t)fdt_getprop_u32(dtb, node, "linux,pci-domain", 0);
	br = fdt_getprop(dtb, node, "bus-range", &len);
	if (br && len == 8 && fdt32_ld(br) <= fdt32_ld(br + 4) && fdt32_ld(br + 4) <= 0xff) {
		h->bus_start = (uint8_t)fdt32_ld(br);
		h->bus_end = (uint8_t)fdt32_ld(br + 4);
	}
	/* ECAM gives each bus 1 MiB (PCI Express Base 6.0 §7.2.2): never
	 * scan past what reg covers. */
	if ((size >> 20) < (uint64_t)(h->bus_end - h->bus_start + 1))
		h->bus_end = (uint8_t)(h->bus_start + (size >> 20) - 1);

	pac = fdt_addr_cells(dtb, node); /* the CPU side: the parent's cells */
	csc = (int)fdt_getprop_u32(dtb, node, "#size-cells", 2);
	ranges = fdt_getprop(dtb, node, "ranges", &len);
	entry = 4 * (3 + pac + csc);
	if (!ranges || pac < 1 || pac > 2 || csc < 1 || csc > 2)
		return 0; /* no windows: BARs stay as firmware left them */
	for (int off = 0; off + entry <= len; off += entry) {
		uint32_t hi = fdt32_ld(ranges + off);
		struct pci_window w = {
			.pci_base = fdt_cells_ld(ranges + off + 4, 2),
			.cpu_base = fdt_cells_ld(ranges + off + 12, pac),
			.size = fdt_cells_ld(ranges + off + 12 + 4 * pac, csc),
		};
		enum pci_win_kind k;

		switch (PHYS_HI_SPACE(hi)) {
		case SPACE_IO:
			k = PCI_WIN_IO;
			break;
		case SPACE_MEM32:
			k = PCI_WIN_MEM32;
			/* A 32-bit window must lie below 4 GiB on the PCI side. */
			if (w.pci_base + w.size > (1ull << 32) || w.pci_base + w.size < w.pci_base)
				continue;
			break;
		case SPACE_MEM64:
			k = PCI_WIN_MEM64;
			break;
		default:
			continue; /* configuration space: not a window */
		}
		if (w.size == 0 || w.cpu_base + w.size < w.cpu_base || w.size <= h->win[k].size)
			continue; /* keep the largest window of each kind */
		w.next = w.pci_base;
		h->win[k] = w;
	}
	return 0;
}

unsigned int pci_swizzle(unsigned int dev, unsigned int pin)
{
	return (pin - 1 + dev) % 4 + 1;
}

/* An irqchip number from an interrupt specifier of `cells` cells. */
static int spec_to_irq(const uint8_t *spec, unsigned int cells, unsigned int *irq)
{
	uint32_t type, num;

	switch (cells) {
	case 1: /* PLIC: the source id */
	case 2: /* <number flags> */
		*irq = fdt32_ld(spec);
		return 0;
	case 3: /* GIC: <type number flags>, type 0 SPI, 1 PPI (arm,gic binding) */
		type = fdt32_ld(spec);
		num = fdt32_ld(spec + 4);
		if (type == 0 && num < 988)
			*irq = num + 32;
		else if (type == 1 && num < 16)
			*irq = num + 16;
		else
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

int pci_dt_intx_lookup(const void *dtb, int node, unsigned int bus, unsigned int dev,
		       unsigned int fn, unsigned int pin, unsigned int *irq)
{
	const uint8_t *map, *maskp;
	uint32_t child[4], mask[4] = { ~0u, ~0u, ~0u, ~0u };
	int len, mlen;
	unsigned int n, i = 0;

	if (pin < 1 || pin > 4)
		return -ENOENT;
	map = fdt_getprop(dtb, node, "interrupt-map", &len);
	if (!map)
		return -ENOENT;
	if (fdt_getprop_u32(dtb, node, "#address-cells", 0) != 3 ||
	    fdt_getprop_u32(dtb, node, "#interrupt-cells", 0) != 1)
		return -EINVAL;
	maskp = fdt_getprop(dtb, node, "interrupt-map-mask", &mlen);
	if (maskp) {
		if (mlen != 16)
			return -EINVAL;
		for (int k = 0; k < 4; k++)
			mask[k] = fdt32_ld(maskp + 4 * k);
	}
	child[0] = (bus & 0xff) << 16 | (dev & 0x1f) << 11 | (fn & 7) << 8;
	child[1] = child[2] = 0;
	child[3] = pin;

	n = (unsigned int)len / 4;
	while (i < n) {
		unsigned int pac, pic;
		bool match = true;
		int parent;

		/* child unit address (3) + child specifier (1) + phandle */
		if (i + 5 > n)
			return -EINVAL;
		for (int k = 0; k < 4; k++)
			if ((child[k] & mask[k]) != (fdt32_ld(map + 4 * (i + k)) & mask[k]))
				match = false;
		parent = fdt_find_phandle(dtb, fdt32_ld(map + 4 * (i + 4)));
		if (parent < 0)
			return -EINVAL;
		/* The parent's unit address has its #address-cells (0 when it
		 * has none, as interrupt controllers usually do), then its
		 * specifier its #interrupt-cells. */
		pac = fdt_getprop_u32(dtb, parent, "#address-cells", 0);
		pic = fdt_getprop_u32(dtb, parent, "#interrupt-cells", 0);
		if (pac > 3 || pic < 1 || pic > 3 || i + 5 + pac + pic > n)
			return -EINVAL;
		if (match)
			return spec_to_irq(map + 4 * (i + 5 + pac), pic, irq);
		i += 5 + pac + pic;
	}
	return -ENOENT;
}

int pci_window_alloc_aligned(struct pci_window *w, uint64_t size, uint64_t align, uint64_t *pci)
{
	uint64_t start, end = w->pci_base + w->size;

	if (!w->size || !size || !align || (align & (align - 1)))
		return -ENOSPC;
	/* PCI address 0 is never handed out: a BAR that reads 0 is taken to
	 * be unassigned. */
	start = ALIGN_UP(w->next ? w->next : 1, align);
	if (start < w->next || start + size < start || start + size > end)
		return -ENOSPC;
	w->next = start + size;
	*pci = start;
	return 0;
}

int pci_window_alloc(struct pci_window *w, uint64_t size, uint64_t *pci)
{
	if (size & (size - 1))
		return -ENOSPC;
	return pci_window_alloc_aligned(w, size, size, pci);
}

uint64_t pci_host_to_cpu(const struct pci_host *h, enum pci_win_kind k, uint64_t pci, uint64_t size)
{
	const struct pci_window *w = &h->win[k];

	if (!w->size || pci < w->pci_base || pci + size > w->pci_base + w->size || pci + size < pci)
		return 0;
	return w->cpu_base + (pci - w->pci_base);
}

int pci_windows_alloc(struct pci_window *win, bool io, bool mem64, uint64_t size, uint64_t align,
		      uint64_t *pci, uint64_t *cpu)
{
	static const enum pci_win_kind mem[] = { PCI_WIN_MEM32, PCI_WIN_MEM64 };

	for (unsigned int i = 0; i < (io ? 1u : mem64 ? 2u : 1u); i++) {
		struct pci_window *w = &win[io ? PCI_WIN_IO : mem[i]];

		/* Even a 32-bit window may sit above 4 GiB on the CPU side:
		 * only the PCI address has to fit the BAR. */
		if (pci_window_alloc_aligned(w, size, align, pci) == 0) {
			*cpu = w->cpu_base + (*pci - w->pci_base);
			return 0;
		}
	}
	return -ENOSPC;
}

int pci_host_alloc_bar(struct pci_host *h, const struct pci_bar *bar, uint64_t *pci, uint64_t *cpu)
{
	if (bar->size & (bar->size - 1))
		return -ENOSPC;
	return pci_windows_alloc(h->win, bar->io, bar->mem64, bar->size, bar->size, pci, cpu);
}
