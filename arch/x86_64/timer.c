// SPDX-License-Identifier: MIT
/*
 * x86_64: the clock is the TSC, and the one-shot timer the local APIC timer,
 * in TSC-deadline mode when CPUID has it (deadlines are then TSC values
 * already) or else in one-shot mode, counting the divided bus clock.
 *
 * Neither frequency is architectural. The TSC's comes from CPUID leaf 0x15
 * when it enumerates the crystal and the ratio (exact), else from counting
 * TSC cycles over a stretch of the ACPI PM timer (3.579545 MHz, ACPI 6.5
 * §4.8.3.3), else from CPUID leaf 0x16 (the nominal base frequency). The
 * APIC timer is measured against the TSC, since deadlines are TSC values.
 *
 * A one-shot count that comes out a little short fires before the deadline;
 * the interrupt then re-arms for the rest, or, when the rest is too short to
 * be worth an interrupt, waits it out, so that the tick still comes from
 * the interrupt and not from the scheduler noticing the time first.
 */
#include <arch.h>
#include <arch/x86.h>
#include <drivers/acpi.h>
#include <drivers/lapic.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include "x86_64.h"

/* How long the calibration counts: long enough that the microseconds an
 * emulated port read takes do not matter (1e-4), short enough for boot. */
#define CALIBRATE_PM_TICKS (ACPI_PM_TIMER_HZ / 40) /* 25 ms */
#define PM_SPIN_LIMIT 10000000u

/* One-shot mode: an interrupt this close to its deadline waits it out. */
#define EARLY_SPIN_US 50

static uint64_t tsc_hz;
static uint64_t lapic_per_tsc; /* APIC timer ticks per TSC cycle, 32.32 fixed point */
static uint64_t early_spin; /* EARLY_SPIN_US in TSC cycles */
static bool tsc_deadline;

/* The frequencies above are measured once, on the boot CPU, and hold for
 * every CPU. Each CPU's armed deadline is x86_this_percpu()->timer_deadline
 * (0 when none), read and written with interrupts disabled. */

uint64_t arch_cycles(void)
{
	return x86_rdtsc();
}

uint64_t arch_cycles_hz(void)
{
	return tsc_hz;
}

/* TSC Hz from CPUID 0x15 (crystal Hz * ebx / eax), or 0 (SDM vol. 3 §18.7.3). */
static uint64_t tsc_hz_cpuid15(void)
{
	uint32_t r[4];

	if (x86_cpuid_max(0) < 0x15)
		return 0;
	x86_cpuid(0x15, 0, r);
	return r[0] && r[1] && r[2] ? (uint64_t)r[2] * r[1] / r[0] : 0;
}

/* TSC Hz from CPUID 0x16's base frequency in MHz, or 0. */
static uint64_t tsc_hz_cpuid16(void)
{
	uint32_t r[4];

	if (x86_cpuid_max(0) < 0x16)
		return 0;
	x86_cpuid(0x16, 0, r);
	return (uint64_t)(r[0] & 0xffff) * 1000000;
}

/* Count TSC cycles over CALIBRATE_PM_TICKS of the PM timer. False if the
 * PM timer does not tick. */
static bool measure_pm(const struct acpi_fadt_info *fi, uint64_t *tsc)
{
	uint16_t port = fi->pm_tmr_port;
	uint32_t mask = fi->pm_tmr_32bit ? 0xffffffffu : 0xffffffu;
	uint32_t p0, p1, spins = 0;
	uint64_t t0, t1;

	/* Start right after the counter moves, so that no partial tick is
	 * counted. A port read takes about a microsecond: give up after
	 * seconds of a counter that does not move. */
	p1 = x86_inl(port) & mask;
	while ((p0 = x86_inl(port) & mask) == p1)
		if (++spins > PM_SPIN_LIMIT)
			return false;
	t0 = x86_rdtsc();
	do
		p1 = x86_inl(port) & mask;
	while (((p1 - p0) & mask) < CALIBRATE_PM_TICKS && ++spins < PM_SPIN_LIMIT);
	t1 = x86_rdtsc();
	if (spins >= PM_SPIN_LIMIT)
		return false;
	*tsc = (t1 - t0) * ACPI_PM_TIMER_HZ / ((p1 - p0) & mask);
	return true;
}

/* Read the APIC timer's count and the TSC at (nearly) the same moment: the
 * TSC halfway through the read, which is slow (MMIO, and emulated in a VM). */
static uint32_t lapic_count_at(uint64_t *tsc)
{
	uint64_t before = x86_rdtsc();
	uint32_t count = lapic_timer_current();

	*tsc = before + (x86_rdtsc() - before) / 2;
	return count;
}

/* APIC timer ticks per TSC cycle (32.32 fixed point), over 25 ms. */
static uint64_t measure_lapic_per_tsc(void)
{
	uint64_t t0, t1, span = tsc_hz / 40;
	uint32_t l0, l1;

	lapic_timer_oneshot(UINT32_MAX);
	l0 = lapic_count_at(&t0);
	while (x86_rdtsc() - t0 < span)
		;
	l1 = lapic_count_at(&t1);
	lapic_timer_oneshot(0);
	return ((uint64_t)(l0 - l1) << 32) / (t1 - t0);
}

void x86_timer_calibrate(void)
{
	struct acpi_fadt_info fi = { 0 };
	const struct acpi_header *fadt = acpi_find(&acpi, "FACP", 0);
	uint32_t r[4];
	uint64_t pm_tsc = 0;

	x86_cpuid(1, 0, r);
	tsc_deadline = r[2] & (1u << 24);

	if (fadt)
		acpi_fadt_info(fadt, &fi);
	tsc_hz = tsc_hz_cpuid15();
	if (!tsc_hz && fi.pm_tmr_port && !measure_pm(&fi, &pm_tsc))
		printk("timer: the ACPI PM timer at port 0x%x does not tick; not using it\n",
		       fi.pm_tmr_port);
	if (!tsc_hz)
		tsc_hz = pm_tsc ? pm_tsc : tsc_hz_cpuid16();
	if (!tsc_hz)
		panic("timer: cannot tell the TSC frequency: no CPUID leaf 0x15/0x16 and no ACPI "
		      "PM timer");
	early_spin = tsc_hz / 1000000 * EARLY_SPIN_US;
	if (!tsc_deadline) {
		lapic_timer_init(X86_VEC_TIMER, false); /* the divider, for measuring */
		lapic_per_tsc = measure_lapic_per_tsc();
		if (!lapic_per_tsc)
			panic("timer: the local APIC timer does not count");
	}

	/* CPUID 0x80000007 EDX bit 8: the TSC ticks at a constant rate in
	 * every P-, C- and T-state. Hypervisors often do not say so. */
	if (!x86_hypervisor() && x86_cpuid_max(0x80000000) >= 0x80000007) {
		x86_cpuid(0x80000007, 0, r);
		if (!(r[3] & (1u << 8)))
			printk("timer: the TSC is not invariant; time may drift with the CPU clock\n");
	}
}

void arch_timer_init(const struct boot_info *bi)
{
	(void)bi;
	lapic_timer_init(X86_VEC_TIMER, tsc_deadline);
}

/* Arm the hardware for `deadline`. In one-shot mode the count is capped
 * at 32 bits, so a far deadline fires early and x86_timer_irq re-arms. */
static void timer_program(uint64_t deadline)
{
	if (tsc_deadline) {
		lapic_timer_deadline(deadline);
		return;
	}
	uint64_t now = x86_rdtsc(), ticks = 1;

	if (deadline > now) {
		uint64_t delta = MIN(deadline - now, (uint64_t)UINT32_MAX);

		/* Plus one: never early by a rounding error. */
		ticks = ((delta * lapic_per_tsc) >> 32) + 1;
	}
	lapic_timer_oneshot((uint32_t)MIN(ticks, (uint64_t)UINT32_MAX));
}

void arch_timer_set_deadline(uint64_t deadline)
{
	deadline = deadline ? deadline : 1; /* 0 means "none" */
	x86_this_percpu()->timer_deadline = deadline;
	timer_program(deadline);
}

void arch_timer_cancel(void)
{
	x86_this_percpu()->timer_deadline = 0;
	if (tsc_deadline)
		lapic_timer_deadline(0);
	else
		lapic_timer_oneshot(0);
}

void x86_timer_irq(void)
{
	struct x86_percpu *pc = x86_this_percpu();
	uint64_t now = x86_rdtsc();

	if (!pc->timer_deadline)
		return; /* cancelled after it fired */
	if (now < pc->timer_deadline) {
		if (pc->timer_deadline - now > early_spin) {
			timer_program(pc->timer_deadline);
			return;
		}
		while (x86_rdtsc() < pc->timer_deadline)
			arch_cpu_relax();
	}
	pc->timer_deadline = 0;
	kernel_timer_tick();
}
