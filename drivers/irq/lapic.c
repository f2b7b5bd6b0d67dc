// SPDX-License-Identifier: MIT
/* The local APIC: enable, id, EOI, IPIs and the timer (see drivers/lapic.h). */
#include <stddef.h>

#include <arch/x86.h>
#include <drivers/lapic.h>

/* Register offsets in xAPIC MMIO (SDM vol. 3 Table 10-1); the x2APIC MSR of
 * a register is 0x800 + offset / 16 (Table 10-6). */
#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDR 0x000ffffffffff000ull

#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)
#define TIMER_DIV_16 0x3 /* divide configuration encoding (Figure 10-10) */
#define ICR_FIXED (0u << 8) /* delivery modes (Figure 10-12) */
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_ASSERT (1u << 14)
#define ICR_PENDING (1u << 12) /* xAPIC delivery status */
#define X2APIC_ICR 0x830 /* one 64-bit MSR, destination in the high half */

static volatile uint32_t *mmio; /* NULL in x2APIC mode */
static uint32_t lvt_timer;

static uint32_t lapic_read(uint32_t reg)
{
	if (mmio)
		return mmio[reg / 4];
	return (uint32_t)x86_rdmsr(0x800 + reg / 16);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (mmio)
		mmio[reg / 4] = v;
	else
		x86_wrmsr(0x800 + reg / 16, v);
}

paddr_t lapic_mmio_base(void)
{
	uint64_t base = x86_rdmsr(MSR_IA32_APIC_BASE);

	return base & APIC_BASE_X2APIC ? 0 : base & APIC_BASE_ADDR;
}

void lapic_init(uint8_t spurious_vector)
{
	uint64_t base = x86_rdmsr(MSR_IA32_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE))
		x86_wrmsr(MSR_IA32_APIC_BASE, base |= APIC_BASE_ENABLE);
	mmio = base & APIC_BASE_X2APIC ? NULL :
					 (volatile uint32_t *)(uintptr_t)(base & APIC_BASE_ADDR);

	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_ESR, 0); /* back-to-back writes clear it (§10.5.3) */
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_SVR, SVR_ENABLE | spurious_vector);
}

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);

	return mmio ? id >> 24 : id;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

/* Write the ICR: in x2APIC mode one MSR write (SDM vol. 3 §10.12.9), in
 * xAPIC mode the destination, then the low half, which sends; wait for the
 * APIC to have sent it (§10.6.1), so that the next write cannot catch it
 * still pending. */
static void icr_send(uint32_t apic_id, uint32_t lo)
{
	if (!mmio) {
		/* x2APIC MSR writes are not serializing (§10.12.3): without the
		 * fence the IPI could overtake this CPU's earlier stores, which
		 * the target is meant to see. */
		__asm__ __volatile__("mfence" ::: "memory");
		x86_wrmsr(X2APIC_ICR, (uint64_t)apic_id << 32 | lo);
		return;
	}
	while (mmio[LAPIC_ICR_LO / 4] & ICR_PENDING)
		__asm__ __volatile__("pause");
	mmio[LAPIC_ICR_HI / 4] = apic_id << 24;
	mmio[LAPIC_ICR_LO / 4] = lo;
	while (mmio[LAPIC_ICR_LO / 4] & ICR_PENDING)
		__asm__ __volatile__("pause");
}

void lapic_send_init(uint32_t apic_id)
{
	icr_send(apic_id, ICR_INIT | ICR_ASSERT);
}

void lapic_send_startup(uint32_t apic_id, uint8_t page)
{
	icr_send(apic_id, ICR_STARTUP | ICR_ASSERT | page);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	icr_send(apic_id, ICR_FIXED | ICR_ASSERT | vector);
}

void lapic_timer_init(uint8_t vector, bool tsc_deadline)
{
	lvt_timer = vector | (tsc_deadline ? LVT_TIMER_TSC_DEADLINE : 0);
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, lvt_timer | LVT_MASKED);
	if (tsc_deadline) {
		/* The mode switch must reach the APIC before the first write of
		 * IA32_TSC_DEADLINE (§10.5.4.1). */
		lapic_write(LAPIC_LVT_TIMER, lvt_timer);
		__asm__ __volatile__("mfence" ::: "memory");
	}
}

void lapic_timer_oneshot(uint32_t count)
{
	lapic_write(LAPIC_LVT_TIMER, lvt_timer);
	lapic_write(LAPIC_TIMER_INIT, count);
}

void lapic_timer_deadline(uint64_t tsc)
{
	x86_wrmsr(MSR_IA32_TSC_DEADLINE, tsc);
}

uint32_t lapic_timer_current(void)
{
	return lapic_read(LAPIC_TIMER_CUR);
}
