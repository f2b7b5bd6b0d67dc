// SPDX-License-Identifier: MIT
/*
 * The PCI core: host bridges (ACPI MCFG, or the DTB), enumeration through
 * ECAM (PCI Express Base 6.0 §7.2.2: bus << 20 | device << 15 | function
 * << 12), BAR sizing and assignment (PCI Local Bus 3.0 §6.2.5.1),
 * capabilities, drivers, and interrupts: MSI-X (§6.8.2), MSI (§6.8.1) and
 * INTx through the DTB interrupt-map.
 *
 * pci_init() runs once, in task context, before any driver uses a device;
 * after it the device list never changes, so nothing here takes a lock.
 */
#include <errno.h>
#include <string.h>

#include <arch.h>
#include <drivers/acpi.h>
#include <drivers/fdt.h>
#include <drivers/irqchip.h>
#include <drivers/pci.h>
#include <drivers/virtio.h>
#include <kernel/kernel.h>
#include <kernel/boot_info.h>
#include <kernel/printk.h>

#include "pci_priv.h"

/*
 * The drivers, tried in order on every function found; the first whose
 * match() says yes gets probe(). The virtio helper adds &virtio_pci_driver
 * here.
 */
static const struct pci_driver *const pci_drivers[] = {
	&virtio_pci_driver, /* drivers/virtio/pci.c */
	NULL, /* keeps the array non-empty; skipped */
};

static struct pci_host hosts[PCI_MAX_HOSTS];
static unsigned int nhosts;
static struct pci_dev devs[PCI_MAX_DEVS];
static unsigned int ndevs;
static bool too_many; /* reported once */

/* Bridges are followed at most this deep, so that a bridge loop in a
 * malformed topology ends. */
#define PCI_MAX_DEPTH 8

/* ---- configuration space ---- */

static volatile uint8_t *cfg_addr(const struct pci_host *h, unsigned int bus, unsigned int dev,
				  unsigned int fn)
{
	return (volatile uint8_t *)(uintptr_t)(h->ecam + ((uint64_t)(bus - h->bus_start) << 20 |
							  dev << 15 | fn << 12));
}

/* Offsets are masked to the 4 KiB of the function and aligned to the access
 * size, so that a bad offset from a driver can never reach another device. */
uint8_t pci_cfg_read8(const struct pci_dev *pd, unsigned int off)
{
	return *(volatile uint8_t *)(pd->cfg + (off & 0xfff));
}

uint16_t pci_cfg_read16(const struct pci_dev *pd, unsigned int off)
{
	return *(volatile uint16_t *)(pd->cfg + (off & 0xffe));
}

uint32_t pci_cfg_read32(const struct pci_dev *pd, unsigned int off)
{
	return *(volatile uint32_t *)(pd->cfg + (off & 0xffc));
}

void pci_cfg_write8(const struct pci_dev *pd, unsigned int off, uint8_t v)
{
	*(volatile uint8_t *)(pd->cfg + (off & 0xfff)) = v;
}

void pci_cfg_write16(const struct pci_dev *pd, unsigned int off, uint16_t v)
{
	*(volatile uint16_t *)(pd->cfg + (off & 0xffe)) = v;
}

void pci_cfg_write32(const struct pci_dev *pd, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(pd->cfg + (off & 0xffc)) = v;
}

unsigned int pci_find_cap(const struct pci_dev *pd, uint8_t id, unsigned int after)
{
	unsigned int off, guard = 48; /* a looping list ends: 48 is all that fit */

	if (!(pci_cfg_read16(pd, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	off = after ? pci_cfg_read8(pd, after + 1) : pci_cfg_read8(pd, PCI_CAP_PTR);
	/* Capabilities live in the header's 256 bytes, dword-aligned, above
	 * the standard header (§6.7); the low two bits are reserved. */
	while ((off &= 0xfc) >= 0x40 && guard--) {
		if (pci_cfg_read8(pd, off) == id)
			return off;
		off = pci_cfg_read8(pd, off + 1);
	}
	return 0;
}

void pci_enable(struct pci_dev *pd)
{
	uint16_t cmd = pci_cfg_read16(pd, PCI_COMMAND);

	pci_cfg_write16(pd, PCI_COMMAND,
			cmd | PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* ---- BARs ---- */

/*
 * Size BAR `i` by writing all ones and reading back which address bits
 * stick (§6.2.5.1), with decoding off meanwhile so that the device never
 * answers at the all-ones address. Returns how many BAR slots it takes (2
 * for a 64-bit BAR), filling *bar with its size and its current PCI address.
 */
static unsigned int bar_probe(struct pci_dev *pd, unsigned int i, struct pci_bar *bar,
			      uint64_t *pci)
{
	unsigned int off = PCI_BAR0 + 4 * i;
	uint32_t lo = pci_cfg_read32(pd, off), hi = 0, mlo, mhi = 0xffffffff;
	uint64_t mask;

	memset(bar, 0, sizeof(*bar));
	*pci = 0;
	pci_cfg_write32(pd, off, 0xffffffff);
	mlo = pci_cfg_read32(pd, off);
	pci_cfg_write32(pd, off, lo);
	if (lo & PCI_BAR_IO) {
		bar->io = true;
		mask = mlo & ~3u;
		/* Only 16 bits of I/O address may be decoded: the upper
		 * half then reads as 0, not as ones. */
		if (mask && !(mask & 0xffff0000))
			mask |= 0xffff0000;
		mask |= 0xffffffff00000000ull;
		*pci = lo & ~3u;
	} else {
		bar->prefetch = lo & PCI_BAR_MEM_PREFETCH;
		bar->mem64 = (lo & 6) == PCI_BAR_MEM_TYPE_64;
		if (bar->mem64 && i < 5) {
			hi = pci_cfg_read32(pd, off + 4);
			pci_cfg_write32(pd, off + 4, 0xffffffff);
			mhi = pci_cfg_read32(pd, off + 4);
			pci_cfg_write32(pd, off + 4, hi);
		} else {
			bar->mem64 = false; /* a 64-bit BAR in the last slot is broken */
		}
		mask = (uint64_t)mhi << 32 | (mlo & ~0xfu);
		*pci = (uint64_t)hi << 32 | (lo & ~0xfu);
	}
	if (mask == 0 || mask == 0xffffffff00000000ull)
		bar->size = 0; /* no address bit sticks: not implemented */
	else
		bar->size = ~mask + 1;
	/* A size that is not a power of two is a broken device: ignore it. */
	if (bar->size & (bar->size - 1))
		bar->size = 0;
	return bar->mem64 ? 2 : 1;
}

static void bar_write(struct pci_dev *pd, unsigned int i, uint64_t pci)
{
	/* Keep the read-only type bits: 1:0 of an I/O BAR, 3:0 of a memory BAR. */
	uint32_t ro = pd->bar[i].io ? 0x3 : 0xf;

	pci_cfg_write32(pd, PCI_BAR0 + 4 * i,
			(uint32_t)pci | (pci_cfg_read32(pd, PCI_BAR0 + 4 * i) & ro));
	if (pd->bar[i].mem64)
		pci_cfg_write32(pd, PCI_BAR0 + 4 * i + 4, (uint32_t)(pci >> 32));
}

/* PCI address of each BAR while assigning (pci_dev keeps CPU addresses). */
static uint64_t bar_pci[PCI_MAX_DEVS][6];

static const char *bar_kind(const struct pci_bar *b)
{
	if (b->io)
		return "io";
	if (b->mem64)
		return b->prefetch ? "mem64 pref" : "mem64";
	return b->prefetch ? "mem32 pref" : "mem32";
}

static void bars_read(struct pci_dev *pd, struct pci_host *h)
{
	unsigned int nbar = pd->header_type == 0 ? 6 : 2, idx = (unsigned int)(pd - devs);
	uint16_t cmd = pci_cfg_read16(pd, PCI_COMMAND);

	pci_cfg_write16(pd, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (unsigned int i = 0; i < nbar;) {
		struct pci_bar *b = &pd->bar[i];
		uint64_t pci;
		unsigned int n = bar_probe(pd, i, b, &pci);

		bar_pci[idx][i] = pci;
		if (b->size && pci) {
			if (!h->dtb) {
				b->addr = pci; /* ACPI: the CPU sees PCI addresses as they are */
			} else {
				enum pci_win_kind k = PCI_WIN_MEM32;
				struct pci_window *w;

				if (b->io)
					k = PCI_WIN_IO;
				else if (pci >> 32)
					k = PCI_WIN_MEM64;
				w = &h->win[k];

				/* Firmware's choice stands if it is in a window;
				 * later allocations go above it. */
				b->addr = pci_host_to_cpu(h, k, pci, b->size);
				if (b->addr && pci + b->size > w->next)
					w->next = pci + b->size;
				else if (!b->addr)
					bar_pci[idx][i] = 0; /* outside every window: reassign */
			}
			if (b->addr)
				printk("pci: %s BAR%u %s at 0x%llx, %llu bytes: kept\n", pd->name,
				       i, bar_kind(b), (unsigned long long)b->addr,
				       (unsigned long long)b->size);
		}
		i += n;
	}
	pci_cfg_write16(pd, PCI_COMMAND, cmd);
	pd->bars_known = true;
}

/*
 * PCI-to-PCI bridges that pci_init numbered itself (on DTB hosts, where no
 * firmware did): their secondary bus, and the I/O and memory windows they
 * forward, sized to what sits behind them. Prefetchable memory goes
 * through the non-prefetchable window too (32-bit, below 4 GiB), which may
 * hold any memory BAR.
 */
#define PCI_MAX_BRIDGES 16
#define BRIDGE_IO_GRANULE 0x1000ull /* PCI-to-PCI Bridge 1.2 §3.2.5.6 */
#define BRIDGE_MEM_GRANULE 0x100000ull /* §3.2.5.8 */

struct pci_bridge {
	struct pci_dev *pd;
	uint64_t need[2], align[2]; /* [0]: I/O, [1]: memory */
	struct pci_window win[PCI_NWIN]; /* what it forwards, once placed */
};

static struct pci_bridge bridges[PCI_MAX_BRIDGES];
static unsigned int nbridges;

static struct pci_bridge *bridge_of(const struct pci_dev *pd)
{
	for (unsigned int i = 0; i < nbridges; i++)
		if (bridges[i].pd == pd)
			return &bridges[i];
	return NULL;
}

/*
 * The things to place in the domain below `parent` (NULL: the host's root
 * bus), one alignment at a time: with alignments taken largest first, and
 * every size a multiple of its alignment or smaller than the next larger
 * one's, each lands aligned with no gap. `fn` is called for every
 * unassigned BAR and numbered bridge there, of kind `io` or memory,
 * whose alignment is `align`.
 */
typedef void (*domain_fn)(void *ctx, struct pci_dev *pd, int bar, struct pci_bridge *br, bool io,
			  uint64_t size, uint64_t align);

static void domain_walk(const struct pci_host *h, const struct pci_dev *parent, bool io,
			domain_fn fn, void *ctx)
{
	for (int bit = 63; bit >= 0; bit--) {
		uint64_t align = 1ull << bit;

		for (unsigned int d = 0; d < ndevs; d++) {
			struct pci_dev *pd = &devs[d];
			struct pci_bridge *br;

			if (pd->host != h || pd->parent != parent)
				continue;
			for (int i = 0; i < 6; i++) {
				const struct pci_bar *b = &pd->bar[i];

				if (b->size == align && b->io == io && !b->addr && !bar_pci[d][i])
					fn(ctx, pd, i, NULL, io, b->size, align);
			}
			br = bridge_of(pd);
			if (br && br->need[!io] && br->align[!io] == align)
				fn(ctx, pd, -1, br, io, br->need[!io], align);
		}
	}
}

struct measure {
	uint64_t end, align;
};

static void measure_one(void *ctx, struct pci_dev *pd, int bar, struct pci_bridge *br, bool io,
			uint64_t size, uint64_t align)
{
	struct measure *m = ctx;

	(void)pd;
	(void)bar;
	(void)br;
	(void)io;
	m->end = ALIGN_UP(m->end, align) + size;
	m->align = MAX(m->align, align);
}

/* How much I/O and memory space bridge `br` must forward: what its own
 * bridges need first, then its devices' BARs, packed as domain_walk
 * places them. */
static void bridge_measure(const struct pci_host *h, struct pci_bridge *br)
{
	for (unsigned int i = 0; i < nbridges; i++)
		if (bridges[i].pd->parent == br->pd)
			bridge_measure(h, &bridges[i]);
	for (int k = 0; k < 2; k++) {
		uint64_t granule = k ? BRIDGE_MEM_GRANULE : BRIDGE_IO_GRANULE;
		struct measure m = { 0, 0 };

		domain_walk(h, br->pd, k == 0, measure_one, &m);
		br->need[k] = m.end ? ALIGN_UP(m.end, granule) : 0;
		br->align[k] = m.end ? MAX(m.align, granule) : 0;
	}
}

/* Program bridge `pd`'s forwarding windows (PCI-to-PCI Bridge 1.2 §3.2.5.6
 * to §3.2.5.10); a window with base above limit forwards nothing. */
static void bridge_program(struct pci_dev *pd, const struct pci_bridge *br)
{
	const struct pci_window *io = &br->win[PCI_WIN_IO], *mem = &br->win[PCI_WIN_MEM32];

	if (io->size) {
		uint64_t lim = io->pci_base + io->size - 1;

		pci_cfg_write8(pd, 0x1c, (uint8_t)((io->pci_base >> 8) & 0xf0));
		pci_cfg_write8(pd, 0x1d, (uint8_t)((lim >> 8) & 0xf0));
		pci_cfg_write16(pd, 0x30, (uint16_t)(io->pci_base >> 16));
		pci_cfg_write16(pd, 0x32, (uint16_t)(lim >> 16));
	} else {
		pci_cfg_write8(pd, 0x1c, 0xf0);
		pci_cfg_write8(pd, 0x1d, 0);
		pci_cfg_write32(pd, 0x30, 0);
	}
	if (mem->size) {
		pci_cfg_write16(pd, 0x20, (uint16_t)((mem->pci_base >> 16) & 0xfff0));
		pci_cfg_write16(pd, 0x22,
				(uint16_t)(((mem->pci_base + mem->size - 1) >> 16) & 0xfff0));
	} else {
		pci_cfg_write16(pd, 0x20, 0xfff0);
		pci_cfg_write16(pd, 0x22, 0);
	}
	printk("pci: %s: bridge forwards memory 0x%llx+0x%llx, I/O 0x%llx+0x%llx\n", pd->name,
	       (unsigned long long)mem->cpu_base, (unsigned long long)mem->size,
	       (unsigned long long)io->cpu_base, (unsigned long long)io->size);
	/* No prefetchable window: base 0xfff00000 above limit 0xfffff. */
	pci_cfg_write16(pd, 0x24, 0xfff0);
	pci_cfg_write16(pd, 0x26, 0);
	pci_cfg_write32(pd, 0x28, 0);
	pci_cfg_write32(pd, 0x2c, 0);
	pci_cfg_write16(pd, PCI_COMMAND,
			pci_cfg_read16(pd, PCI_COMMAND) | PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
				PCI_COMMAND_MASTER);
}

struct place {
	const struct pci_host *h;
	struct pci_window *win; /* the domain's windows */
};

static void domain_place(const struct pci_host *h, const struct pci_dev *parent,
			 struct pci_window *win);

static void place_one(void *ctx, struct pci_dev *pd, int bar, struct pci_bridge *br, bool io,
		      uint64_t size, uint64_t align)
{
	struct place *p = ctx;
	struct pci_bar *b = bar >= 0 ? &pd->bar[bar] : NULL;
	uint64_t pci, cpu;

	if (br) {
		if (pci_windows_alloc(p->win, io, false, size, align, &pci, &cpu) < 0) {
			printk("pci: %s: no room for its %s window (%llu KiB)\n", pd->name,
			       io ? "I/O" : "memory", (unsigned long long)(size >> 10));
			return;
		}
		br->win[io ? PCI_WIN_IO : PCI_WIN_MEM32] = (struct pci_window){
			.pci_base = pci, .cpu_base = cpu, .size = size, .next = pci
		};
		return;
	}
	if (pci_windows_alloc(p->win, io, b->mem64, size, align, &pci, &cpu) < 0) {
		printk("pci: %s BAR%d (%s, %llu KiB) left unassigned: its window is full\n",
		       pd->name, bar, bar_kind(b), (unsigned long long)(size >> 10) ?: 1);
		b->size = 0; /* unusable */
		return;
	}
	bar_write(pd, (unsigned int)bar, pci);
	bar_pci[pd - devs][bar] = pci;
	b->addr = cpu;
	printk("pci: %s BAR%d %s at 0x%llx (PCI 0x%llx), %llu bytes: assigned\n", pd->name, bar,
	       bar_kind(b), (unsigned long long)cpu, (unsigned long long)pci,
	       (unsigned long long)size);
}

/* Give the unassigned BARs and the numbered bridges below `parent` their
 * places in `win`, then do the same below each bridge, in its windows. */
static void domain_place(const struct pci_host *h, const struct pci_dev *parent,
			 struct pci_window *win)
{
	struct place p = { h, win };

	domain_walk(h, parent, true, place_one, &p);
	domain_walk(h, parent, false, place_one, &p);
	for (unsigned int i = 0; i < nbridges; i++) {
		struct pci_bridge *br = &bridges[i];

		if (br->pd->host != h || br->pd->parent != parent)
			continue;
		bridge_program(br->pd, br);
		domain_place(h, br->pd, br->win);
	}
}

/*
 * Give every unassigned BAR on DTB host `h` an address from its windows
 * (behind numbered bridges, from the windows those forward); ACPI hosts
 * have BARs from firmware, and no window Weft knows. What is left without
 * an address is reported and unusable.
 */
static void bars_assign(struct pci_host *h)
{
	if (h->dtb) {
		for (unsigned int i = 0; i < nbridges; i++)
			if (bridges[i].pd->host == h && !bridges[i].pd->parent)
				bridge_measure(h, &bridges[i]);
		domain_place(h, NULL, h->win);
	}
	for (unsigned int d = 0; d < ndevs; d++) {
		for (unsigned int i = 0; i < 6; i++) {
			struct pci_bar *b = &devs[d].bar[i];

			if (devs[d].host != h || !b->size || b->addr)
				continue;
			printk("pci: %s BAR%u (%s, %llu KiB) left unassigned: %s\n", devs[d].name,
			       i, bar_kind(b), (unsigned long long)(b->size >> 10) ?: 1,
			       h->dtb ? "not reachable" : "no window known");
			b->size = 0;
		}
	}
}

int pci_bar_map(struct pci_dev *pd, int bar, struct pci_io *io)
{
	const struct pci_host *h = pd->host;
	struct pci_bar *b;
	int err;

	if (bar < 0 || bar >= 6)
		return -ENODEV;
	pci_bars(pd);
	if (!pd->bar[bar].size || !pd->bar[bar].addr)
		return -ENODEV;
	b = &pd->bar[bar];
	if (b->io && h->io_ports) {
		if (b->addr + b->size > 0x10000)
			return -ENODEV;
		io->base = (uintptr_t)b->addr;
		io->port = true;
		return 0;
	}
	err = arch_mmu_map_device(b->addr, b->size);
	if (err < 0)
		return err == -ENOMEM ? -ENOMEM : -ENODEV;
	io->base = (uintptr_t)b->addr;
	io->port = false;
	return 0;
}

uint8_t pci_io_read8(const struct pci_io *io, unsigned int off)
{
	if (io->port)
		return arch_pio_read8((uint16_t)(io->base + off));
	return *(volatile uint8_t *)(io->base + off);
}

uint16_t pci_io_read16(const struct pci_io *io, unsigned int off)
{
	if (io->port)
		return arch_pio_read16((uint16_t)(io->base + off));
	return *(volatile uint16_t *)(io->base + off);
}

uint32_t pci_io_read32(const struct pci_io *io, unsigned int off)
{
	if (io->port)
		return arch_pio_read32((uint16_t)(io->base + off));
	return *(volatile uint32_t *)(io->base + off);
}

void pci_io_write8(const struct pci_io *io, unsigned int off, uint8_t v)
{
	if (io->port)
		arch_pio_write8((uint16_t)(io->base + off), v);
	else
		*(volatile uint8_t *)(io->base + off) = v;
}

void pci_io_write16(const struct pci_io *io, unsigned int off, uint16_t v)
{
	if (io->port)
		arch_pio_write16((uint16_t)(io->base + off), v);
	else
		*(volatile uint16_t *)(io->base + off) = v;
}

void pci_io_write32(const struct pci_io *io, unsigned int off, uint32_t v)
{
	if (io->port)
		arch_pio_write32((uint16_t)(io->base + off), v);
	else
		*(volatile uint32_t *)(io->base + off) = v;
}

/* ---- interrupts ---- */

#define MSIX_CTRL 2
#define MSIX_CTRL_SIZE 0x07ff
#define MSIX_CTRL_FMASK (1u << 14)
#define MSIX_CTRL_ENABLE (1u << 15)
#define MSIX_TABLE 4
#define MSIX_ENTRY_WORDS 4 /* address low, address high, data, vector control */
#define MSIX_VEC_MASKED 1u

#define MSI_CTRL 2
#define MSI_CTRL_ENABLE (1u << 0)
#define MSI_CTRL_MME (7u << 4)
#define MSI_CTRL_64 (1u << 7)
#define MSI_ADDR 4

int pci_msix_enable(struct pci_dev *pd, int nvec)
{
	unsigned int cap = pd->msix_cap, tsize, bir, n;
	uint16_t ctrl;
	uint32_t tbl;
	uint64_t addr;
	int err = 0;

	if (!cap || nvec <= 0)
		return -ENOTSUP;
	if (pd->msix_nvec)
		return -EBUSY;
	pci_bars(pd);
	ctrl = pci_cfg_read16(pd, cap + MSIX_CTRL);
	tsize = (ctrl & MSIX_CTRL_SIZE) + 1u;
	tbl = pci_cfg_read32(pd, cap + MSIX_TABLE);
	bir = tbl & 7;
	if (bir >= 6 || pd->bar[bir].io || !pd->bar[bir].addr ||
	    (tbl & ~7u) + 16ull * tsize > pd->bar[bir].size) {
		printk("pci: %s: MSI-X table outside its BAR; using INTx\n", pd->name);
		return -ENOTSUP;
	}
	addr = pd->bar[bir].addr + (tbl & ~7u);
	n = MIN(MIN((unsigned int)nvec, tsize), (unsigned int)PCI_MSIX_MAX);
	if (arch_mmu_map_device(addr, 16ull * tsize) < 0)
		return -ENOMEM;
	pd->msix_table = (volatile uint32_t *)(uintptr_t)addr;

	/* The table is reached through memory space, and the messages are
	 * DMA writes. The function mask stays on while the table is written,
	 * so that no entry fires half-written (§6.8.2.3), and every entry
	 * starts masked. */
	pci_cfg_write16(pd, PCI_COMMAND,
			pci_cfg_read16(pd, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pci_cfg_write16(pd, cap + MSIX_CTRL, ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
	for (unsigned int i = 0; i < tsize; i++)
		pd->msix_table[MSIX_ENTRY_WORDS * i + 3] |= MSIX_VEC_MASKED;
	for (unsigned int i = 0; i < n; i++) {
		volatile uint32_t *e = pd->msix_table + MSIX_ENTRY_WORDS * i;
		unsigned int irq;
		uint64_t maddr;
		uint32_t mdata;

		err = arch_msi_alloc(&irq, &maddr, &mdata);
		if (err < 0) {
			n = i;
			break;
		}
		pd->msix_irq[i] = (uint16_t)irq;
		e[0] = (uint32_t)maddr;
		e[1] = (uint32_t)(maddr >> 32);
		e[2] = mdata;
	}
	if (n == 0) {
		/* No MSIs here (or none left): back to INTx. */
		pci_cfg_write16(pd, cap + MSIX_CTRL, ctrl & ~MSIX_CTRL_ENABLE);
		pd->msix_table = NULL;
		return err < 0 ? err : -ENOTSUP;
	}
	pci_cfg_write16(pd, cap + MSIX_CTRL, (ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_FMASK);
	pci_cfg_write16(pd, PCI_COMMAND,
			pci_cfg_read16(pd, PCI_COMMAND) | PCI_COMMAND_INTX_DISABLE);
	pd->msix_nvec = (uint16_t)n;
	return (int)n;
}

void pci_msix_mask(struct pci_dev *pd, int entry, bool masked)
{
	volatile uint32_t *ctl;

	if (entry < 0 || entry >= pd->msix_nvec)
		return;
	ctl = pd->msix_table + MSIX_ENTRY_WORDS * entry + 3;
	*ctl = masked ? *ctl | MSIX_VEC_MASKED : *ctl & ~MSIX_VEC_MASKED;
}

int pci_msix_set(struct pci_dev *pd, int entry, irq_handler_t fn, void *arg)
{
	int err;

	if (entry < 0 || entry >= pd->msix_nvec)
		return -EINVAL;
	err = irq_register(pd->msix_irq[entry], fn, arg);
	if (err < 0)
		return err;
	pci_msix_mask(pd, entry, false);
	return 0;
}

int pci_msi_enable(struct pci_dev *pd, irq_handler_t fn, void *arg)
{
	unsigned int cap = pd->msi_cap, irq;
	uint16_t ctrl;
	uint64_t addr;
	uint32_t data;
	int err;

	if (!cap)
		return -ENOTSUP;
	err = arch_msi_alloc(&irq, &addr, &data);
	if (err < 0)
		return err;
	err = irq_register(irq, fn, arg);
	if (err < 0) {
		arch_msi_free(irq);
		return err;
	}
	ctrl = pci_cfg_read16(pd, cap + MSI_CTRL);
	if (!(ctrl & MSI_CTRL_64) && addr >> 32)
		return -ENOTSUP; /* cannot happen on x86: 0xFEExxxxx */
	pci_cfg_write32(pd, cap + MSI_ADDR, (uint32_t)addr);
	if (ctrl & MSI_CTRL_64) {
		pci_cfg_write32(pd, cap + MSI_ADDR + 4, (uint32_t)(addr >> 32));
		pci_cfg_write16(pd, cap + MSI_ADDR + 8, (uint16_t)data);
	} else {
		pci_cfg_write16(pd, cap + MSI_ADDR + 4, (uint16_t)data);
	}
	/* One message (Multiple Message Enable = 0), then on. */
	pci_cfg_write16(pd, cap + MSI_CTRL, (ctrl & ~MSI_CTRL_MME) | MSI_CTRL_ENABLE);
	pci_cfg_write16(pd, PCI_COMMAND,
			pci_cfg_read16(pd, PCI_COMMAND) | PCI_COMMAND_MASTER |
				PCI_COMMAND_INTX_DISABLE);
	return 0;
}

int pci_intx_register(struct pci_dev *pd, irq_handler_t fn, void *arg)
{
	int err;

	if (!pd->intx_irq || !irqchip)
		return -ENODEV;
	err = irq_register_shared(pd->intx_irq, fn, arg);
	if (err < 0)
		return err;
	pci_cfg_write16(pd, PCI_COMMAND,
			pci_cfg_read16(pd, PCI_COMMAND) & ~PCI_COMMAND_INTX_DISABLE);
	irqchip->enable(pd->intx_irq);
	return 0;
}

/* The irqchip number of `pd`'s INTx pin, through the bridges above it and
 * the host's interrupt-map; 0 if it has none. */
static unsigned int intx_route(struct pci_dev *pd)
{
	const struct pci_host *h = pd->host;
	const struct pci_dev *d = pd;
	unsigned int pin = pci_cfg_read8(pd, PCI_INTERRUPT_PIN), irq;
	int err;

	if (pin < 1 || pin > 4 || !h->dtb)
		return 0;
	/* Up to the root bus, swizzling at each bridge (§9.1 of the bridge spec). */
	for (; d->parent; d = d->parent)
		pin = pci_swizzle(d->dev, pin);
	err = pci_dt_intx_lookup(h->dtb, h->node, d->bus, d->dev, d->fn, pin, &irq);
	if (err == -EINVAL)
		printk("pci: %s: malformed interrupt-map; no INTx\n", pd->name);
	if (err < 0 || irq == 0 || irq >= IRQ_MAX)
		return 0;
	return irq;
}

/* ---- enumeration ---- */

static void scan_bus(struct pci_host *h, unsigned int bus, const struct pci_dev *parent,
		     unsigned int depth);

/*
 * Follow the PCI-to-PCI bridge `pd` (§3.2.5.3 of the bridge spec: primary,
 * secondary and subordinate bus numbers): as firmware numbered it, or, on a
 * DTB host where no firmware did (secondary bus 0), number it with the next
 * free bus, scan behind it with the subordinate bus wide open so that
 * configuration cycles reach deeper bridges, and close it on the last bus
 * found behind.
 */
static void follow_bridge(struct pci_host *h, struct pci_dev *pd, unsigned int depth)
{
	unsigned int bus = pd->bus, sec = pci_cfg_read8(pd, PCI_SECONDARY_BUS), sub;

	if (depth >= PCI_MAX_DEPTH) {
		printk("pci: %s: bridges nested too deep; not followed\n", pd->name);
		return;
	}
	if (sec > bus && sec <= h->bus_end) {
		sub = MIN(MAX(pci_cfg_read8(pd, PCI_SUBORDINATE_BUS), sec), h->bus_end);
		h->last_bus = (uint8_t)MAX(h->last_bus, sub);
		scan_bus(h, sec, pd, depth + 1);
		return;
	}
	if (sec != 0 || !h->dtb || h->last_bus >= h->bus_end || nbridges == PCI_MAX_BRIDGES) {
		printk("pci: %s: bridge without a usable secondary bus (%u); not followed\n",
		       pd->name, sec);
		return;
	}
	bridges[nbridges++] = (struct pci_bridge){ .pd = pd };
	sec = ++h->last_bus;
	pci_cfg_write8(pd, PCI_PRIMARY_BUS, (uint8_t)bus);
	pci_cfg_write8(pd, PCI_SECONDARY_BUS, (uint8_t)sec);
	pci_cfg_write8(pd, PCI_SUBORDINATE_BUS, h->bus_end);
	scan_bus(h, sec, pd, depth + 1);
	pci_cfg_write8(pd, PCI_SUBORDINATE_BUS, h->last_bus);
	printk("pci: %s: bridge to buses %u-%u\n", pd->name, sec, h->last_bus);
}

static void add_function(struct pci_host *h, unsigned int bus, unsigned int dev, unsigned int fn,
			 const struct pci_dev *parent, unsigned int depth)
{
	struct pci_dev *pd;
	uint32_t cls;
	if (ndevs == PCI_MAX_DEVS) {
		if (!too_many)
			printk("pci: more than %u functions; the rest are ignored\n", PCI_MAX_DEVS);
		too_many = true;
		return;
	}
	pd = &devs[ndevs++];
	memset(pd, 0, sizeof(*pd));
	pd->segment = h->segment;
	pd->bus = (uint8_t)bus;
	pd->dev = (uint8_t)dev;
	pd->fn = (uint8_t)fn;
	pd->cfg = cfg_addr(h, bus, dev, fn);
	pd->host = h;
	pd->parent = parent;
	ksnprintf(pd->name, sizeof(pd->name), "pci%x:%02x.%x", bus, dev, fn);
	pd->vendor = pci_cfg_read16(pd, PCI_VENDOR_ID);
	pd->device = pci_cfg_read16(pd, PCI_DEVICE_ID);
	cls = pci_cfg_read32(pd, PCI_REVISION);
	pd->revision = (uint8_t)cls;
	pd->prog_if = (uint8_t)(cls >> 8);
	pd->subclass = (uint8_t)(cls >> 16);
	pd->class = (uint8_t)(cls >> 24);
	pd->header_type = pci_cfg_read8(pd, PCI_HEADER_TYPE) & 0x7f;
	if (pd->header_type == 0) {
		pd->subsys_vendor = pci_cfg_read16(pd, PCI_SUBSYS_VENDOR);
		pd->subsys_id = pci_cfg_read16(pd, PCI_SUBSYS_ID);
	}
	if (pd->header_type > 1) {
		/* A CardBus bridge, or garbage: nothing Weft can use. */
		printk("pci: %s %04x:%04x: header type %u; skipped\n", pd->name, pd->vendor,
		       pd->device, pd->header_type);
		ndevs--;
		return;
	}
	pd->msix_cap = (uint16_t)pci_find_cap(pd, PCI_CAP_ID_MSIX, 0);
	pd->msi_cap = (uint16_t)pci_find_cap(pd, PCI_CAP_ID_MSI, 0);
	/* Sizing a BAR means turning the function's decoding off and on
	 * again, which is not free for a device that is in use (QEMU has
	 * crashed while the boot display's framebuffer went away and came
	 * back under a running vCPU). Where firmware assigned every BAR (ACPI
	 * hosts), only the functions a driver takes are sized, at probe; on
	 * DTB hosts every BAR is sized now, to place them all. */
	if (h->dtb)
		bars_read(pd, h);
	pd->intx_irq = intx_route(pd);

	if (pd->header_type != 1)
		return;
	follow_bridge(h, pd, depth);
}

static void scan_bus(struct pci_host *h, unsigned int bus, const struct pci_dev *parent,
		     unsigned int depth)
{
	int err = arch_mmu_map_device(h->ecam + ((uint64_t)(bus - h->bus_start) << 20), 1u << 20);

	if (err < 0) {
		printk("pci: cannot map the ECAM of bus %u (%d)\n", bus, err);
		return;
	}
	for (unsigned int dev = 0; dev < 32; dev++) {
		volatile uint8_t *c = cfg_addr(h, bus, dev, 0);
		unsigned int nfn = 1;

		if (*(volatile uint16_t *)c == 0xffff)
			continue;
		/* Multi-function device: header type bit 7 (§6.2.1). */
		if (c[PCI_HEADER_TYPE] & 0x80)
			nfn = 8;
		for (unsigned int fn = 0; fn < nfn; fn++)
			if (*(volatile uint16_t *)cfg_addr(h, bus, dev, fn) != 0xffff)
				add_function(h, bus, dev, fn, parent, depth);
	}
}

/* ---- host bridges ---- */

static void hosts_from_acpi(void)
{
	const struct acpi_header *mcfg = acpi_find(&acpi, "MCFG", 0);
	struct acpi_ecam e;

	for (unsigned int n = 0; mcfg && acpi_mcfg_ecam(mcfg, n, &e) == 0; n++) {
		if (nhosts == PCI_MAX_HOSTS || e.bus_end < e.bus_start)
			continue;
		hosts[nhosts++] = (struct pci_host){
			.segment = e.segment,
			.bus_start = e.bus_start,
			.bus_end = e.bus_end,
			.ecam = e.base, /* of bus_start already */
			.last_bus = e.bus_start,
			.io_ports = true,
			.node = -1,
		};
	}
}

static void hosts_from_dtb(const void *dtb)
{
	int node = -1;

	while (dtb && (node = fdt_find_compatible(dtb, node, "pci-host-ecam-generic")) >= 0) {
		if (!fdt_is_enabled(dtb, node) || nhosts == PCI_MAX_HOSTS)
			continue;
		if (pci_dt_host_parse(dtb, node, &hosts[nhosts]) == 0) {
			hosts[nhosts].last_bus = hosts[nhosts].bus_start;
			nhosts++;
		}
	}
}

void pci_bars(struct pci_dev *pd)
{
	if (!pd->bars_known)
		bars_read(pd, &hosts[(const struct pci_host *)pd->host - hosts]);
}

static void probe_driver(struct pci_dev *pd)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(pci_drivers); i++) {
		const struct pci_driver *drv = pci_drivers[i];
		int err;

		if (!drv || !drv->match(pd))
			continue;
		pci_bars(pd);
		err = drv->probe(pd);
		if (err == 0) {
			pd->driver = drv->name;
			return;
		}
		printk("pci: %s: %s could not take it (%d)\n", pd->name, drv->name, err);
		/* Left disabled: no decoding, no DMA. */
		pci_cfg_write16(
			pd, PCI_COMMAND,
			pci_cfg_read16(pd, PCI_COMMAND) &
				~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
		return;
	}
}

int pci_init(void)
{
	static bool done;

	if (done)
		return nhosts ? (int)ndevs : -ENODEV;
	done = true;
	hosts_from_acpi();
	if (!nhosts)
		hosts_from_dtb(boot.dtb);
	if (!nhosts)
		return -ENODEV;
	for (unsigned int i = 0; i < nhosts; i++) {
		scan_bus(&hosts[i], hosts[i].bus_start, NULL, 0);
		bars_assign(&hosts[i]);
	}
	for (unsigned int i = 0; i < ndevs; i++) {
		struct pci_dev *pd = &devs[i];

		probe_driver(pd);
		printk("pci: %s %04x:%04x class %02x.%02x.%02x irq %u%s: %s\n", pd->name,
		       pd->vendor, pd->device, pd->class, pd->subclass, pd->prog_if, pd->intx_irq,
		       pd->msix_cap ? " msix" :
		       pd->msi_cap  ? " msi" :
				      "",
		       pd->driver ? pd->driver : "no driver");
	}
	return (int)ndevs;
}

unsigned int pci_dev_count(void)
{
	return ndevs;
}

struct pci_dev *pci_dev_get(unsigned int i)
{
	return i < ndevs ? &devs[i] : NULL;
}

struct pci_dev *pci_find_device(uint16_t vendor, uint16_t device, unsigned int n)
{
	for (unsigned int i = 0; i < ndevs; i++)
		if (devs[i].vendor == vendor && devs[i].device == device && n-- == 0)
			return &devs[i];
	return NULL;
}
