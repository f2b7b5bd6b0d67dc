// SPDX-License-Identifier: MIT
/*
 * x86_64: CPU setup, for the boot CPU and for each secondary one (GDT, a
 * TSS per CPU with its IST stacks, IDT, FPU/SSE/AVX, boot page tables,
 * local APIC), the trap stack, the COM1 console, idling and power off.
 */
#include <arch.h>
#include <arch/x86.h>
#include <drivers/acpi.h>
#include <drivers/lapic.h>
#include <drivers/ns16550_pio.h>
#include <kernel/boot_info.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include "x86_64.h"

const char arch_name[] = "x86_64";

/* How far below the trap stack arch_cpu_set_trap_stack looks for the end
 * of its guard (kernel/stack.h's STACK_GUARD). */
#define TRAP_GUARD_MAX (64 * 1024)

_Static_assert(sizeof(struct tss) == 104, "64-bit TSS layout");

/* The null, code and data descriptors, then one TSS descriptor per CPU. */
static uint64_t gdt[X86_TSS_SEL(MAX_CPUS) / 8] __attribute__((aligned(16)));
static char boot_ist_stacks[X86_IST_STACKS * X86_IST_STACK_SIZE] __attribute__((aligned(16)));
static struct console *console;
uint32_t x86_xsave_size;

/* Flat 64-bit code and data descriptors (SDM vol. 3 §3.4.5, §5.2.1): the
 * code one has L set, base and limit are ignored in long mode. */
#define GDT_CODE64 0x00af9a000000ffffull
#define GDT_DATA 0x00cf92000000ffffull
#define GDT_TSS_AVAILABLE 0x89ull

/*
 * Load the GDT on this CPU, CPU number `idx`, with a TSS of its own whose
 * IST stacks are pc->ist_top. The GDT is shared: each CPU only writes its own
 * TSS descriptor. Loading GS clears its base on some CPUs, so the base
 * (this CPU's struct cpu, arch_cpu_set_self) is put back afterwards.
 */
static void gdt_load(struct x86_percpu *pc, unsigned int idx)
{
	struct tss *tss = &pc->tss;
	uint64_t base = (uintptr_t)tss, limit = sizeof(*tss) - 1;
	unsigned int sel = X86_TSS_SEL(idx);
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uintptr_t)gdt };
	uint64_t gs_base = x86_rdmsr(MSR_IA32_GS_BASE);

	for (unsigned int i = 0; i < X86_IST_STACKS; i++)
		tss->ist[i] = pc->ist_top[i];
	tss->iomap_base = sizeof(*tss); /* no I/O permission bitmap */

	gdt[X86_KERNEL_CS / 8] = GDT_CODE64;
	gdt[X86_KERNEL_DS / 8] = GDT_DATA;
	/* A 16-byte system descriptor (§7.2.3). */
	gdt[sel / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | GDT_TSS_AVAILABLE << 40 |
		       ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[sel / 8 + 1] = base >> 32;

	/* Reload CS with a far return, then the data segments. */
	__asm__ __volatile__("lgdt %0\n\t"
			     "pushq %1\n\t"
			     "leaq 1f(%%rip), %%rax\n\t"
			     "pushq %%rax\n\t"
			     "lretq\n"
			     "1:\n\t"
			     "movl %2, %%eax\n\t"
			     "movl %%eax, %%ds\n\t"
			     "movl %%eax, %%es\n\t"
			     "movl %%eax, %%ss\n\t"
			     "xorl %%eax, %%eax\n\t"
			     "movl %%eax, %%fs\n\t"
			     "movl %%eax, %%gs\n\t"
			     "ltr %w3"
			     :
			     : "m"(gdtr), "i"(X86_KERNEL_CS), "i"(X86_KERNEL_DS), "r"(sel)
			     : "rax", "memory");
	x86_wrmsr(MSR_IA32_GS_BASE, gs_base);
}

/*
 * x87 and SSE on, for the app and newlib (the kernel itself is built
 * -mgeneral-regs-only): no emulation, no lazy-switch trap, FXSAVE and SSE
 * exceptions enabled (SDM vol. 3 §13.1). UEFI already does most of this.
 * Where the CPU has XSAVE, AVX is enabled too, so that apps built for it
 * run, and preemption saves the state with XSAVE (switch.S), whose size
 * CPUID reports for the enabled components (SDM vol. 1 §13.2).
 */
static void fpu_init(void)
{
	uint32_t mxcsr = 0x1f80; /* all SSE exceptions masked, round to nearest */
	uint32_t r[4];

	x86_write_cr0((x86_read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	x86_write_cr4(x86_read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	x86_cpuid(1, 0, r);
	if (r[2] & (1u << 26)) { /* XSAVE */
		uint64_t xcr0 = XCR0_X87 | XCR0_SSE | (r[2] & (1u << 28) ? XCR0_AVX : 0);

		x86_write_cr4(x86_read_cr4() | CR4_OSXSAVE);
		x86_xsetbv(0, xcr0);
		x86_cpuid(0xd, 0, r);
		x86_xsave_size = r[1];
	} else {
		x86_write_cr4(x86_read_cr4() & ~CR4_OSXSAVE);
		x86_xsave_size = 0;
	}
	__asm__ __volatile__("fninit; ldmxcsr %0" : : "m"(mxcsr));
}

/* Mask both 8259s: Weft takes interrupts through the APICs only, and the
 * firmware may have left the PIT ticking through them. */
static void pic_mask(void)
{
	x86_outb(0x21, 0xff);
	x86_outb(0xa1, 0xff);
}

uint32_t x86_cpu_apic_id(void)
{
	uint32_t r[4];

	if (x86_cpuid_max(0) >= 0xb) {
		x86_cpuid(0xb, 0, r);
		if (r[1]) /* leaf 0xb enumerates the topology */
			return r[3];
	}
	x86_cpuid(1, 0, r);
	return r[1] >> 24;
}

bool x86_hypervisor(void)
{
	uint32_t r[4];

	x86_cpuid(1, 0, r);
	return r[2] & (1u << 31);
}

void arch_console_init(const struct boot_info *bi)
{
	(void)bi;
	/* COM1 is architectural on PCs; machines without one have no console
	 * until a driver for something else exists. */
	console = uart_pio_probe(UART_PIO_COM1);
	if (console)
		console_register(console);
}

void arch_cpu_init(const struct boot_info *bi)
{
	struct acpi_madt_info mi = { .pcat_compat = true };
	const struct acpi_header *madt;
	struct x86_percpu *pc = &x86_percpus[0];

	fpu_init();
	/* Until arch_mmu_init and arch_cpu_set_trap_stack replace them with
	 * guarded ones: stacks in .bss. */
	for (unsigned int i = 0; i < X86_IST_STACKS; i++)
		pc->ist_top[i] = (uintptr_t)boot_ist_stacks + (i + 1) * X86_IST_STACK_SIZE;
	pc->exc_hi = pc->ist_top[X86_IST_EXC - 1];
	pc->exc_lo = pc->exc_hi - X86_IST_STACK_SIZE;
	gdt_load(pc, 0);
	x86_idt_init();
	acpi_init(bi->acpi_rsdp); /* done already by the boot stub: a no-op */
	x86_mmu_init(bi);
	if ((madt = acpi_find(&acpi, "APIC", 0)))
		acpi_madt_info(madt, &mi);
	if (mi.pcat_compat)
		pic_mask();
	lapic_init(X86_VEC_SPURIOUS);
	x86_smp_park(bi); /* INIT: the other CPUs halt until arch_cpu_start */
	x86_timer_calibrate();
	x86_smp_init(bi); /* the start-up trampoline, for arch_cpu_start */
}

void x86_cpu_init_secondary(unsigned int idx)
{
	fpu_init();
	gdt_load(&x86_percpus[idx], idx);
	x86_idt_load();
	lapic_init(X86_VEC_SPURIOUS);
	arch_timer_init(NULL); /* the boot CPU's calibration holds for all */
}

/*
 * Interrupts go to X86_IST_IRQ, which becomes [lo, top). They never nest
 * (every gate clears IF, and no handler sets it), and exceptions have a
 * stack of their own (X86_IST_EXC), so no trap ever arrives on this stack
 * while it is in use. The guard below lo, for trap.c to recognise an
 * overflow, is the run of unmapped pages there, read from the page tables.
 */
void arch_cpu_set_trap_stack(uintptr_t lo, uintptr_t top)
{
	struct x86_percpu *pc = x86_this_percpu();
	uintptr_t guard = lo;
	uint64_t size;

	while (lo - guard < TRAP_GUARD_MAX && !x86_mmu_lookup(guard - PAGE_SIZE, &size))
		guard -= PAGE_SIZE;
	pc->trap_guard_lo = guard;
	pc->trap_lo = lo;
	pc->trap_hi = top;
	pc->ist_top[X86_IST_IRQ - 1] = top;
	pc->tss.ist[X86_IST_IRQ - 1] = top;
}

void arch_cpu_wait_irq(void)
{
	struct x86_percpu *pc = x86_this_percpu();

	/* Halted, it takes TLB shootdowns lazily (mmu.c). */
	__atomic_store_n(&pc->tlb_state, X86_TLB_IDLE, __ATOMIC_RELEASE);
	/* STI takes effect after the next instruction, so no interrupt can
	 * slip in between it and HLT (SDM vol. 2 "STI"). */
	__asm__ __volatile__("sti; hlt; cli" ::: "memory");
	x86_tlb_wakeup(pc);
}

/* QEMU's isa-debug-exit device (added by `make run`): QEMU exits with
 * (v << 1) | 1. Only under a hypervisor, where port 0xf4 is free. */
static void debug_exit(int status)
{
	if (x86_hypervisor())
		x86_outl(0xf4, (uint32_t)status);
}

/* ACPI S5, soft off (ACPI 6.5 §7.4.2, §4.8.3.2.1): SLP_TYP from \_S5 and
 * SLP_EN into PM1a_CNT (and PM1b_CNT), keeping its other bits. */
static void acpi_soft_off(void)
{
	const uint16_t slp_typ_mask = 7u << 10, slp_en = 1u << 13;
	struct acpi_fadt_info fi;
	const struct acpi_header *fadt = acpi_find(&acpi, "FACP", 0);
	uint8_t a, b;

	if (!fadt || acpi_fadt_info(fadt, &fi) < 0 || !fi.pm1a_cnt_port ||
	    acpi_s5_sleep_type(&acpi, &a, &b) < 0)
		return;
	if (fi.pm1b_cnt_port)
		x86_outw(fi.pm1b_cnt_port,
			 (x86_inw(fi.pm1b_cnt_port) & ~slp_typ_mask) | b << 10 | slp_en);
	x86_outw(fi.pm1a_cnt_port, (x86_inw(fi.pm1a_cnt_port) & ~slp_typ_mask) | a << 10 | slp_en);
}

void arch_system_off(int status)
{
	arch_irq_disable();
	if (console)
		uart_pio_flush(console);
	/* A non-zero status through isa-debug-exit, if QEMU has one; then soft
	 * off (QEMU exits with 0, and the runner reads the status line); then,
	 * if neither worked, isa-debug-exit for status 0 as well. */
	if (status)
		debug_exit(status);
	acpi_soft_off();
	/* Power goes off some time after the write (QEMU handles it in its
	 * main loop); give it half a second before the fallback. */
	uint64_t hz = arch_cycles_hz() ? arch_cycles_hz() : 1000000000ull;

	for (uint64_t t0 = x86_rdtsc(); x86_rdtsc() - t0 < hz / 2;)
		arch_cpu_relax();
	debug_exit(status);
	for (;;)
		__asm__ __volatile__("cli; hlt");
}
