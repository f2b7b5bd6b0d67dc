// SPDX-License-Identifier: MIT
/*
 * The PCI part of the arch contract (kernel/include/arch.h) for an arch
 * with neither port I/O nor MSI delivery, shared by the arch.mk of each:
 *   - riscv64: QEMU virt without AIA has no IMSIC to take MSIs;
 *   - aarch64: the GICv2m frame and the GICv3 ITS are not used yet;
 *   - hosted: a process has no PCI at all.
 * PCI devices there take INTx (pci_intx_register), and their I/O BARs are
 * reached through the host bridge's I/O window, which is memory: port I/O
 * is never asked for, and would be a bug.
 */
#include <errno.h>

#include <arch.h>
#include <kernel/panic.h>

static __attribute__((noreturn)) void no_pio(uint16_t port)
{
	panic("port I/O to 0x%x on %s, which has no I/O ports", port, arch_name);
}

uint8_t arch_pio_read8(uint16_t port)
{
	no_pio(port);
}

uint16_t arch_pio_read16(uint16_t port)
{
	no_pio(port);
}

uint32_t arch_pio_read32(uint16_t port)
{
	no_pio(port);
}

void arch_pio_write8(uint16_t port, uint8_t v)
{
	(void)v;
	no_pio(port);
}

void arch_pio_write16(uint16_t port, uint16_t v)
{
	(void)v;
	no_pio(port);
}

void arch_pio_write32(uint16_t port, uint32_t v)
{
	(void)v;
	no_pio(port);
}

int arch_msi_alloc(unsigned int *irq, uint64_t *addr, uint32_t *data)
{
	(void)irq;
	(void)addr;
	(void)data;
	return -ENOTSUP;
}

void arch_msi_free(unsigned int irq)
{
	(void)irq;
}
