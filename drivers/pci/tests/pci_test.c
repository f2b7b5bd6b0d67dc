// SPDX-License-Identifier: MIT
/*
 * The PCI core: host bridge parsing, interrupt-map routing and BAR
 * allocation against kernel/tests/fdt_test.dts, shared interrupt lines, and,
 * when QEMU's edu device is present (-device edu), a live interrupt through
 * MSI (x86_64) or INTx and the PLIC or the GIC (riscv64, aarch64).
 */
#include <errno.h>

#include <arch.h>
#include <drivers/fdt.h>
#include <drivers/pci.h>
#include <kernel/irq.h>
#include <kernel/test.h>
#include <kernel/time.h>
#include <weft.h>

#include "../pci_priv.h"

extern const char fdt_test_blob[];

static int node(const char *path)
{
	return fdt_path_offset(fdt_test_blob, path);
}

TEST(pci, dt_host_windows)
{
	struct pci_host h;

	ASSERT_EQ(pci_dt_host_parse(fdt_test_blob, node("/soc/pcie@30000000"), &h), 0);
	EXPECT_UEQ(h.ecam, 0x30000000ull);
	EXPECT_EQ(h.segment, 1);
	/* bus-range says 0-255, but reg holds 16 buses of ECAM. */
	EXPECT_EQ(h.bus_start, 0);
	EXPECT_EQ(h.bus_end, 15);
	EXPECT_FALSE(h.io_ports);
	EXPECT_UEQ(h.win[PCI_WIN_IO].pci_base, 0);
	EXPECT_UEQ(h.win[PCI_WIN_IO].cpu_base, 0x3000000ull);
	EXPECT_UEQ(h.win[PCI_WIN_IO].size, 0x10000ull);
	EXPECT_UEQ(h.win[PCI_WIN_MEM32].pci_base, 0x40000000ull);
	EXPECT_UEQ(h.win[PCI_WIN_MEM32].cpu_base, 0x140000000ull);
	EXPECT_UEQ(h.win[PCI_WIN_MEM32].size, 0x100000ull);
	EXPECT_UEQ(h.win[PCI_WIN_MEM64].pci_base, 0x400000000ull);
	EXPECT_UEQ(h.win[PCI_WIN_MEM64].cpu_base, 0x500000000ull);
	EXPECT_UEQ(h.win[PCI_WIN_MEM64].size, 0x100000000ull);

	ASSERT_EQ(pci_dt_host_parse(fdt_test_blob, node("/soc/pcie@40000000"), &h), 0);
	EXPECT_EQ(h.bus_start, 2);
	EXPECT_EQ(h.bus_end, 3);
	EXPECT_UEQ(h.win[PCI_WIN_IO].size, 0); /* no I/O window */
	EXPECT_UEQ(h.win[PCI_WIN_MEM64].size, 0);
	EXPECT_UEQ(h.win[PCI_WIN_MEM32].size, 0x10000ull);
}

TEST(pci, intx_map_to_plic)
{
	int n = node("/soc/pcie@30000000");
	unsigned int irq = 0;

	ASSERT_GE(n, 0);
	/* QEMU virt's wiring: slot s, pin p goes to source 32 + (s + p - 1) % 4. */
	for (unsigned int dev = 0; dev < 8; dev++) {
		for (unsigned int pin = 1; pin <= 4; pin++) {
			irq = 0;
			ASSERT_EQ(pci_dt_intx_lookup(fdt_test_blob, n, 0, dev, 0, pin, &irq), 0);
			EXPECT_EQ(irq, 32 + (dev + pin - 1) % 4);
		}
	}
	/* The mask drops the bus and the function. */
	ASSERT_EQ(pci_dt_intx_lookup(fdt_test_blob, n, 5, 1, 3, 1, &irq), 0);
	EXPECT_EQ(irq, 33);
	/* No pin, or not a pin. */
	EXPECT_EQ(pci_dt_intx_lookup(fdt_test_blob, n, 0, 1, 0, 0, &irq), -ENOENT);
	EXPECT_EQ(pci_dt_intx_lookup(fdt_test_blob, n, 0, 1, 0, 5, &irq), -ENOENT);
}

TEST(pci, intx_map_to_gic)
{
	int n = node("/soc/pcie@40000000");
	unsigned int irq = 0;

	ASSERT_GE(n, 0);
	ASSERT_EQ(pci_dt_intx_lookup(fdt_test_blob, n, 2, 0, 0, 1, &irq), 0);
	EXPECT_EQ(irq, 32 + 3); /* SPI 3 */
	ASSERT_EQ(pci_dt_intx_lookup(fdt_test_blob, n, 2, 1, 0, 1, &irq), 0);
	EXPECT_EQ(irq, 32 + 4);
	ASSERT_EQ(pci_dt_intx_lookup(fdt_test_blob, n, 2, 2, 0, 1, &irq), 0);
	EXPECT_EQ(irq, 16 + 5); /* PPI 5 */
	/* Slot 3 and pin B have no entry. */
	EXPECT_EQ(pci_dt_intx_lookup(fdt_test_blob, n, 2, 3, 0, 1, &irq), -ENOENT);
	EXPECT_EQ(pci_dt_intx_lookup(fdt_test_blob, n, 2, 0, 0, 2, &irq), -ENOENT);
}

TEST(pci, intx_map_malformed_is_an_error)
{
	unsigned int irq = 0;

	EXPECT_EQ(pci_dt_intx_lookup(fdt_test_blob, node("/soc/pcie@50000000"), 0, 0, 0, 1, &irq),
		  -EINVAL);
	/* A node without a map routes nothing. */
	EXPECT_EQ(pci_dt_intx_lookup(fdt_test_blob, node("/soc/uart@10000000"), 0, 0, 0, 1, &irq),
		  -ENOENT);
}

TEST(pci, swizzle_through_bridges)
{
	/* PCI-to-PCI Bridge 1.2 §9.1, table 9-1: device 0 keeps its pin,
	 * device 1's INTA becomes the bridge's INTB, and so on modulo 4. */
	EXPECT_EQ(pci_swizzle(0, 1), 1);
	EXPECT_EQ(pci_swizzle(1, 1), 2);
	EXPECT_EQ(pci_swizzle(3, 2), 1);
	EXPECT_EQ(pci_swizzle(4, 4), 4);
	EXPECT_EQ(pci_swizzle(31, 3), 2);
}

TEST(pci, window_alloc_natural_alignment)
{
	struct pci_window w = { .pci_base = 0x1000, .cpu_base = 0x9000, .size = 0x10000 };
	uint64_t a = 0, b = 0, c = 0;

	w.next = w.pci_base;
	ASSERT_EQ(pci_window_alloc(&w, 0x100, &a), 0);
	EXPECT_UEQ(a, 0x1000ull);
	ASSERT_EQ(pci_window_alloc(&w, 0x4000, &b), 0);
	EXPECT_UEQ(b, 0x4000ull); /* aligned up to its size */
	ASSERT_EQ(pci_window_alloc(&w, 0x8000, &c), 0);
	EXPECT_UEQ(c, 0x8000ull);
	EXPECT_EQ(pci_window_alloc(&w, 0x10000, &c), -ENOSPC); /* past the end */
	EXPECT_EQ(pci_window_alloc(&w, 0x3000, &c), -ENOSPC); /* not a power of two */

	/* Bridge windows: any multiple of their granule, aligned to the
	 * largest BAR behind them. */
	struct pci_window m = { .pci_base = 0x40000000, .cpu_base = 0x40000000, .size = 0x1000000 };
	struct pci_window win[PCI_NWIN] = { [PCI_WIN_MEM32] = m };
	uint64_t cpu;

	win[PCI_WIN_MEM32].next = 0x40000000 + 0x1000;
	ASSERT_EQ(pci_windows_alloc(win, false, false, 0x300000, 0x200000, &a, &cpu), 0);
	EXPECT_UEQ(a, 0x40200000ull);
	EXPECT_UEQ(cpu, a);
	ASSERT_EQ(pci_windows_alloc(win, false, false, 0x100000, 0x100000, &b, &cpu), 0);
	EXPECT_UEQ(b, 0x40500000ull);
	EXPECT_EQ(pci_windows_alloc(win, true, false, 0x1000, 0x1000, &c, &cpu), -ENOSPC);

	/* A window at PCI address 0 never hands out 0 (it means unassigned). */
	struct pci_window io = { .pci_base = 0, .size = 0x10000 };

	ASSERT_EQ(pci_window_alloc(&io, 0x20, &a), 0);
	EXPECT_NE(a, 0);
	EXPECT_UEQ(a % 0x20, 0);
}

TEST(pci, bar_assignment_uses_windows)
{
	struct pci_host h;
	struct pci_bar io = { .size = 0x20, .io = true };
	struct pci_bar m32 = { .size = 0x80000 };
	struct pci_bar m64 = { .size = 0x80000, .mem64 = true, .prefetch = true };
	uint64_t pci, cpu;

	ASSERT_EQ(pci_dt_host_parse(fdt_test_blob, node("/soc/pcie@30000000"), &h), 0);
	ASSERT_EQ(pci_host_alloc_bar(&h, &io, &pci, &cpu), 0);
	EXPECT_UEQ(cpu, 0x3000000ull + pci); /* the I/O window is memory at 0x3000000 */
	EXPECT_LE(pci + io.size, 0x10000);

	/* Memory BARs go to the 32-bit window first, at its CPU address. */
	ASSERT_EQ(pci_host_alloc_bar(&h, &m32, &pci, &cpu), 0);
	EXPECT_UEQ(pci, 0x40000000ull);
	EXPECT_UEQ(cpu, 0x140000000ull);
	ASSERT_EQ(pci_host_alloc_bar(&h, &m64, &pci, &cpu), 0);
	EXPECT_UEQ(pci, 0x40080000ull);
	EXPECT_UEQ(cpu, 0x140080000ull);
	/* The 32-bit window (1 MiB) is full now: a 64-bit BAR moves up to the
	 * 64-bit window, a 32-bit one has nowhere to go. */
	ASSERT_EQ(pci_host_alloc_bar(&h, &m64, &pci, &cpu), 0);
	EXPECT_UEQ(pci, 0x400000000ull);
	EXPECT_UEQ(cpu, 0x500000000ull);
	EXPECT_EQ(pci_host_alloc_bar(&h, &m32, &pci, &cpu), -ENOSPC);
}

static unsigned int shared_calls[3];

static void shared_handler(unsigned int irq, void *arg)
{
	(void)irq;
	shared_calls[(uintptr_t)arg]++;
}

TEST(pci, intx_shared_handlers)
{
	/* Numbers no interrupt controller uses: GIC INTIDs 1020-1023 are
	 * special, PLIC sources stop at 1023 and x86 vectors at 255. */
	const unsigned int line = IRQ_MAX - 2, excl = IRQ_MAX - 1;
	unsigned int before[3] = { shared_calls[0], shared_calls[1], shared_calls[2] };

	if (irq_handler_count(line) == 0) {
		ASSERT_EQ(irq_register_shared(line, shared_handler, (void *)0), 0);
		ASSERT_EQ(irq_register_shared(line, shared_handler, (void *)1), 0);
		ASSERT_EQ(irq_register(excl, shared_handler, (void *)2), 0);
	}
	EXPECT_EQ(irq_handler_count(line), 2);
	/* An exclusive line stays exclusive, and a shared one takes no
	 * exclusive handler. */
	EXPECT_EQ(irq_register_shared(excl, shared_handler, (void *)2), -EBUSY);
	EXPECT_EQ(irq_register(line, shared_handler, (void *)2), -EBUSY);
	EXPECT_EQ(irq_register_shared(IRQ_MAX, shared_handler, NULL), -EINVAL);

	unsigned long flags = arch_irq_save();

	kernel_irq(line);
	kernel_irq(excl);
	arch_irq_restore(flags);
	EXPECT_EQ(shared_calls[0], before[0] + 1);
	EXPECT_EQ(shared_calls[1], before[1] + 1);
	EXPECT_EQ(shared_calls[2], before[2] + 1);
}

/* ---- live: QEMU's edu device (docs/specs/edu.txt in QEMU) ---- */

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_IDENT 0x00
#define EDU_LIVENESS 0x04
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64

/* Up to two edu devices: placed in slots whose INTx lines coincide (slots 1
 * and 5 on QEMU virt), they share one interrupt line. */
#define EDU_MAX 2

static struct edu {
	struct pci_io io;
	volatile unsigned int count;
	volatile uint32_t last;
} edus[EDU_MAX];

/* The line may be shared: only a raised status is ours. Acknowledging lowers
 * INTx before the irqchip's end of interrupt, so it does not come back. */
static void edu_irq(unsigned int irq, void *arg)
{
	struct edu *e = arg;
	uint32_t st = pci_io_read32(&e->io, EDU_IRQ_STATUS);

	(void)irq;
	if (!st)
		return;
	pci_io_write32(&e->io, EDU_IRQ_ACK, st);
	e->last = st;
	e->count++;
}

static bool edu_wait(struct edu *e, unsigned int count)
{
	uint64_t end = now_ns() + 2000000000ull;

	while (e->count < count && now_ns() < end)
		sleep_ns(1000000);
	return e->count >= count;
}

TEST(pci, edu_interrupt)
{
	static unsigned int n;
	int err;

	if (!n) {
		struct pci_dev *pd;

		while (n < EDU_MAX && (pd = pci_find_device(EDU_VENDOR, EDU_DEVICE, n))) {
			struct edu *e = &edus[n];

			ASSERT_EQ(pci_bar_map(pd, 0, &e->io), 0);
			pci_enable(pd);
			EXPECT_EQ(pci_io_read32(&e->io, EDU_IDENT) & 0xff, 0xed);
			pci_io_write32(&e->io, EDU_LIVENESS, 0x12345678);
			EXPECT_UEQ(pci_io_read32(&e->io, EDU_LIVENESS), ~0x12345678u);
			/* MSI where the platform takes it (x86_64), else INTx. */
			err = pci_msi_enable(pd, edu_irq, e);
			if (err == -ENOTSUP)
				err = pci_intx_register(pd, edu_irq, e);
			ASSERT_EQ(err, 0);
			n++;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		unsigned int start[EDU_MAX];

		for (unsigned int j = 0; j < n; j++)
			start[j] = edus[j].count;
		pci_io_write32(&edus[i].io, EDU_IRQ_RAISE, 0x5a);
		ASSERT_TRUE(edu_wait(&edus[i], start[i] + 1));
		EXPECT_UEQ(edus[i].last, 0x5a);
		/* Once more: the first was completed properly at the irqchip. */
		pci_io_write32(&edus[i].io, EDU_IRQ_RAISE, 0x100);
		ASSERT_TRUE(edu_wait(&edus[i], start[i] + 2));
		EXPECT_UEQ(edus[i].last, 0x100);
		EXPECT_UEQ(pci_io_read32(&edus[i].io, EDU_IRQ_STATUS), 0);
		/* The other device, on the same line or not, saw nothing. */
		for (unsigned int j = 0; j < n; j++)
			if (j != i)
				EXPECT_EQ(edus[j].count, start[j]);
	}
}

TEST(pci, enumeration_matches_config_space)
{
	/* Whatever pci_init found (nothing on hosted): each function's
	 * cached identity is what its configuration space says. */
	for (unsigned int i = 0; i < pci_dev_count(); i++) {
		struct pci_dev *pd = pci_dev_get(i);

		EXPECT_EQ(pci_cfg_read16(pd, PCI_VENDOR_ID), pd->vendor);
		EXPECT_EQ(pci_cfg_read16(pd, PCI_DEVICE_ID), pd->device);
		EXPECT_NE(pd->vendor, 0xffff);
		for (unsigned int b = 0; pd->bars_known && b < 6; b++)
			if (pd->bar[b].size)
				EXPECT_UEQ(pd->bar[b].size & (pd->bar[b].size - 1), 0);
	}
	EXPECT_TRUE(pci_dev_get(pci_dev_count()) == NULL);
}

/* ---- live: MSI-X through QEMU's e1000e (-device e1000e), on x86_64 ---- */

/* Intel 82574 datasheet §10.2.4: interrupt cause read (write 1s to clear),
 * cause set, mask set, and the IVAR that maps causes to MSI-X entries
 * (bits 3:0 for RX queue 0: bit 3 valid, bits 2:0 the entry). */
#define E1000E_DEVICE 0x10d3
#define E1000_ICR 0xc0
#define E1000_ICS 0xc8
#define E1000_IMS 0xd0
#define E1000_IVAR 0xe4
#define E1000_ICR_RXQ0 (1u << 20)

static struct {
	struct pci_io io;
	volatile unsigned int count;
} nic;

static void nic_irq(unsigned int irq, void *arg)
{
	(void)irq;
	(void)arg;
	pci_io_write32(&nic.io, E1000_ICR, ~0u);
	nic.count++;
}

static bool nic_wait(unsigned int count, uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (nic.count < count && now_ns() < end)
		sleep_ns(1000000);
	return nic.count >= count;
}

TEST(pci, msix_interrupt_and_mask)
{
	struct pci_dev *pd = pci_find_device(0x8086, E1000E_DEVICE, 0);
	static bool set_up;
	int n;

	if (!pd || (pd->driver && !set_up))
		return; /* no -device e1000e, or a driver owns it */
	if (!set_up) {
		ASSERT_EQ(pci_bar_map(pd, 0, &nic.io), 0);
		pci_enable(pd);
		n = pci_msix_enable(pd, 1);
		if (n == -ENOTSUP)
			return; /* riscv64, aarch64: INTx only, covered by edu */
		ASSERT_EQ(n, 1);
		EXPECT_EQ(pci_msix_enable(pd, 1), -EBUSY);
		ASSERT_EQ(pci_msix_set(pd, 0, nic_irq, NULL), 0);
		pci_io_write32(&nic.io, E1000_IVAR, 0x8); /* RX queue 0 -> entry 0 */
		pci_io_write32(&nic.io, E1000_IMS, E1000_ICR_RXQ0);
		set_up = true;
	}
	unsigned int start = nic.count;

	pci_io_write32(&nic.io, E1000_ICS, E1000_ICR_RXQ0);
	ASSERT_TRUE(nic_wait(start + 1, 2000000000ull));

	/* Masked, the message waits in the pending bits (§6.8.2.9) and is
	 * sent when the entry is unmasked. */
	pci_msix_mask(pd, 0, true);
	pci_io_write32(&nic.io, E1000_ICS, E1000_ICR_RXQ0);
	EXPECT_FALSE(nic_wait(start + 2, 50000000ull));
	pci_msix_mask(pd, 0, false);
	EXPECT_TRUE(nic_wait(start + 2, 2000000000ull));
}

/* The e1000e's I/O BAR is a window onto its registers (82574 datasheet
 * §10.1.3: IOADDR at +0 selects a register, IODATA at +4 reads or writes
 * it). Through it, an I/O BAR is reached by port I/O on x86_64 and through
 * the host bridge's I/O window (memory) on riscv64 and aarch64. */
#define E1000_IOADDR 0x00
#define E1000_IODATA 0x04
#define E1000_RDBAL 0x2800 /* a plain read/write register */

TEST(pci, io_bar_reaches_device)
{
	struct pci_dev *pd = pci_find_device(0x8086, E1000E_DEVICE, 0);
	struct pci_io mmio, pio;
	int bar = -1;

	if (!pd || pd->driver)
		return; /* no -device e1000e, or a driver owns it */
	pci_bars(pd);
	for (int i = 0; i < 6; i++)
		if (pd->bar[i].io && pd->bar[i].size)
			bar = i;
	ASSERT_GE(bar, 0);
	ASSERT_EQ(pci_bar_map(pd, 0, &mmio), 0);
	ASSERT_EQ(pci_bar_map(pd, bar, &pio), 0);
	pci_enable(pd);

	pci_io_write32(&pio, E1000_IOADDR, E1000_RDBAL);
	pci_io_write32(&pio, E1000_IODATA, 0x12345670);
	EXPECT_UEQ(pci_io_read32(&mmio, E1000_RDBAL), 0x12345670u);
	pci_io_write32(&mmio, E1000_RDBAL, 0x0badf00u);
	pci_io_write32(&pio, E1000_IOADDR, E1000_RDBAL);
	EXPECT_UEQ(pci_io_read32(&pio, E1000_IODATA), 0x0badf00u);
	pci_io_write32(&mmio, E1000_RDBAL, 0);
}
