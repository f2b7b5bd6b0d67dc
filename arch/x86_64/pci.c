// SPDX-License-Identifier: MIT
/*
 * x86_64: what drivers/pci needs from the CPU: port I/O, and MSI vectors
 * delivered to the boot CPU's local APIC.
 */
#include <errno.h>

#include <arch.h>
#include <arch/x86.h>
#include "x86_64.h"

uint8_t arch_pio_read8(uint16_t port)
{
	return x86_inb(port);
}

uint16_t arch_pio_read16(uint16_t port)
{
	return x86_inw(port);
}

uint32_t arch_pio_read32(uint16_t port)
{
	return x86_inl(port);
}

void arch_pio_write8(uint16_t port, uint8_t v)
{
	x86_outb(port, v);
}

void arch_pio_write16(uint16_t port, uint16_t v)
{
	x86_outw(port, v);
}

void arch_pio_write32(uint16_t port, uint32_t v)
{
	x86_outl(port, v);
}

/*
 * Device vectors: above the exceptions (0-31) and the 8259 PICs' old range
 * (0x20-0x2f, masked but kept clear of), below the arch's own vectors
 * (X86_VEC_TIMER and up: timer, IPI, shootdown, spurious).
 */
#define MSI_VEC_FIRST 0x30
#define MSI_VEC_LAST (X86_VEC_TIMER - 1)

static uint64_t vec_used[4]; /* bit v: vector v is allocated */

_Static_assert(MSI_VEC_LAST < X86_VEC_IPI && MSI_VEC_LAST < X86_VEC_SHOOTDOWN &&
		       MSI_VEC_LAST < X86_VEC_SPURIOUS,
	       "MSI vectors stay below the arch's own");

/*
 * The MSI message for the local APIC (SDM vol. 3 §11.11): the address is
 * 0xFEE00000 with the destination APIC id in bits 19:12 (physical
 * destination mode, no redirection hint), and the data is the vector in bits
 * 7:0 with fixed delivery and edge trigger (all other bits 0).
 */
int arch_msi_alloc(unsigned int *irq, uint64_t *addr, uint32_t *data)
{
	uint32_t dest = x86_percpus[0].apic_id;

	if (dest > 0xff)
		return -ENOTSUP; /* needs interrupt remapping, which Weft lacks */
	for (unsigned int v = MSI_VEC_FIRST; v <= MSI_VEC_LAST; v++) {
		uint64_t bit = 1ull << (v % 64);

		if (__atomic_fetch_or(&vec_used[v / 64], bit, __ATOMIC_ACQ_REL) & bit)
			continue;
		*irq = v;
		*addr = 0xfee00000ull | (uint64_t)dest << 12;
		*data = v;
		return 0;
	}
	return -ENOSPC;
}

void arch_msi_free(unsigned int irq)
{
	if (irq >= MSI_VEC_FIRST && irq <= MSI_VEC_LAST)
		__atomic_fetch_and(&vec_used[irq / 64], ~(1ull << (irq % 64)), __ATOMIC_RELEASE);
}
