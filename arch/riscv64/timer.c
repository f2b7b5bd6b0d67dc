// SPDX-License-Identifier: MIT
/*
 * riscv64: the clock is the `time` CSR, counting at the DTB's
 * timebase-frequency. The one-shot timer is the Sstc extension's stimecmp
 * where the CPU has it and the firmware lets S-mode write it, else the SBI
 * TIME extension. Either way the interrupt is scause 5 (STIP), and setting a
 * compare value in the future clears it.
 */
#include <string.h>
#include <strings.h>

#include <arch.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <drivers/fdt.h>
#include <kernel/boot_info.h>
#include <kernel/printk.h>
#include "riscv64.h"

#define TIMER_NEVER UINT64_MAX
/* QEMU virt's timebase, for a DTB that does not say (it must, per the
 * devicetree bindings for RISC-V CPUs). */
#define TIMEBASE_DEFAULT_HZ 10000000u

static uint64_t timebase_hz;
static bool use_sstc;

uint64_t arch_cycles(void)
{
	return csr_read(time);
}

uint64_t arch_cycles_hz(void)
{
	return timebase_hz;
}

/* The /cpus child whose "reg" is `hartid`, or a negative errno. */
static int cpu_node(const void *dtb, uint64_t hartid)
{
	int cpus = fdt_path_offset(dtb, "/cpus");

	for (int n = cpus >= 0 ? fdt_first_child(dtb, cpus) : cpus; n >= 0;
	     n = fdt_next_sibling(dtb, n)) {
		uint64_t reg;

		if (fdt_reg(dtb, n, 0, &reg, NULL) == 0 && reg == hartid)
			return n;
	}
	return -1;
}

/* Whether the DTB string list [p, p + len) holds `s`, ignoring case. */
static bool strlist_has(const char *p, int len, const char *s)
{
	size_t n = strlen(s);

	for (const char *end = p + len; p < end; p += strnlen(p, (size_t)(end - p)) + 1)
		if ((size_t)(end - p) > n && strncasecmp(p, s, n) == 0 && p[n] == '\0')
			return true;
	return false;
}

/*
 * Whether the CPU node lists ISA extension `ext`: in "riscv,isa-extensions"
 * (a string list), or in "riscv,isa" ("rv64imafdc_zicsr_sstc": each
 * multi-letter extension follows a '_').
 */
static bool cpu_has_ext(const void *dtb, int cpu, const char *ext)
{
	size_t elen = strlen(ext);
	const char *p, *end;
	int len;

	p = fdt_getprop(dtb, cpu, "riscv,isa-extensions", &len);
	if (p && strlist_has(p, len, ext))
		return true;

	p = fdt_getprop(dtb, cpu, "riscv,isa", &len);
	if (!p || len <= 0)
		return false;
	end = p + strnlen(p, (size_t)len);
	while ((p = memchr(p, '_', (size_t)(end - p))) != NULL) {
		const char *tok = ++p;

		while (p < end && *p != '_')
			p++;
		if ((size_t)(p - tok) == elen && strncasecmp(tok, ext, elen) == 0)
			return true;
	}
	return false;
}

static void timer_program(uint64_t when)
{
	if (use_sstc)
		csr_write(CSR_STIMECMP, when);
	else
		sbi_set_timer(when);
}

void riscv_timer_setup(const struct boot_info *bi)
{
	const void *dtb = bi->dtb;
	int cpu = dtb ? cpu_node(dtb, bi->cpu_hwid[0]) : -1;

	if (cpu >= 0)
		timebase_hz = fdt_getprop_u32(dtb, cpu, "timebase-frequency", 0);
	if (!timebase_hz && dtb)
		timebase_hz = fdt_getprop_u32(dtb, fdt_path_offset(dtb, "/cpus"),
					      "timebase-frequency", 0);
	if (!timebase_hz) {
		printk("riscv64: no timebase-frequency in the device tree; assuming %u Hz\n",
		       TIMEBASE_DEFAULT_HZ);
		timebase_hz = TIMEBASE_DEFAULT_HZ;
	}

	/*
	 * The DTB can list Sstc while M-mode firmware has not set
	 * menvcfg.STCE (OpenSBI before 1.1), and then stimecmp is an illegal
	 * instruction in S-mode: try it, with the trap handler ready to skip it.
	 */
	if (cpu >= 0 && cpu_has_ext(dtb, cpu, "sstc")) {
		riscv_probe_begin();
		csr_write(CSR_STIMECMP, TIMER_NEVER);
		use_sstc = riscv_probe_end();
	}
}

void arch_timer_init(const struct boot_info *bi)
{
	(void)bi;
	timer_program(TIMER_NEVER);
	csr_set(sie, SIE_STIE);
}

void arch_timer_set_deadline(uint64_t deadline)
{
	timer_program(deadline);
}

void arch_timer_cancel(void)
{
	timer_program(TIMER_NEVER);
}

void riscv_timer_irq(void)
{
	/* One-shot: disarm first, which also clears STIP. */
	timer_program(TIMER_NEVER);
	kernel_timer_tick();
}
