// SPDX-License-Identifier: MIT
/*
 * x86_64: the per-CPU pointer (GS base), starting the other CPUs with
 * INIT-SIPI-SIPI and a real-mode trampoline (SDM vol. 3 §8.4.4), IPIs
 * through the local APIC, and preparing new contexts.
 */
#include <errno.h>
#include <stddef.h>

#include <arch.h>
#include <arch/x86.h>
#include <drivers/lapic.h>
#include <kernel/boot_info.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include "asm_offsets.h"
#include "x86_64.h"

_Static_assert(offsetof(struct arch_context, rsp) == CTX_RSP, "CTX_RSP");
_Static_assert(offsetof(struct arch_context, rbx) == CTX_RBX, "CTX_RBX");
_Static_assert(offsetof(struct arch_context, rbp) == CTX_RBP, "CTX_RBP");
_Static_assert(offsetof(struct arch_context, r12) == CTX_R12, "CTX_R12");
_Static_assert(offsetof(struct arch_context, r13) == CTX_R13, "CTX_R13");
_Static_assert(offsetof(struct arch_context, r14) == CTX_R14, "CTX_R14");
_Static_assert(offsetof(struct arch_context, r15) == CTX_R15, "CTX_R15");
_Static_assert(offsetof(struct arch_context, mxcsr) == CTX_MXCSR, "CTX_MXCSR");
_Static_assert(offsetof(struct arch_context, fpucw) == CTX_FPUCW, "CTX_FPUCW");

_Static_assert(offsetof(struct cpu, self) == CPU_SELF, "arch_cpu_self reads %gs:0");
_Static_assert(offsetof(struct cpu, arch) == CPU_ARCH, "x86_this_percpu reads %gs:8");

/* What a secondary CPU starts with, at AP_BOOT_OFF in the trampoline's
 * pages. Written by arch_cpu_start, one CPU at a time. */
struct x86_ap_boot {
	uint64_t cr3, cr4, efer;
	uint64_t entry; /* x86_ap_main */
	uint64_t stack_top;
	uint64_t self; /* struct cpu * */
	uint32_t idx;
	uint32_t cr0;
	uint32_t temp_cr3; /* the copy of the top-level table, below 4 GiB */
	uint32_t ack; /* the CPU has read all of this */
};

_Static_assert(offsetof(struct x86_ap_boot, cr3) == AP_CR3, "AP_CR3");
_Static_assert(offsetof(struct x86_ap_boot, cr4) == AP_CR4, "AP_CR4");
_Static_assert(offsetof(struct x86_ap_boot, efer) == AP_EFER, "AP_EFER");
_Static_assert(offsetof(struct x86_ap_boot, entry) == AP_ENTRY, "AP_ENTRY");
_Static_assert(offsetof(struct x86_ap_boot, stack_top) == AP_STACK_TOP, "AP_STACK_TOP");
_Static_assert(offsetof(struct x86_ap_boot, self) == AP_SELF, "AP_SELF");
_Static_assert(offsetof(struct x86_ap_boot, idx) == AP_IDX, "AP_IDX");
_Static_assert(offsetof(struct x86_ap_boot, cr0) == AP_CR0, "AP_CR0");
_Static_assert(offsetof(struct x86_ap_boot, temp_cr3) == AP_TEMP_CR3, "AP_TEMP_CR3");
_Static_assert(offsetof(struct x86_ap_boot, ack) == AP_ACK, "AP_ACK");
_Static_assert(sizeof(struct x86_ap_boot) == AP_BOOT_SIZE, "AP_BOOT_SIZE");
_Static_assert(X86_AP_TRAMPOLINE_SIZE == AP_TRAMPOLINE_PAGES * 4096, "trampoline pages");
_Static_assert(AP_BOOT_OFF + AP_BOOT_SIZE <= X86_AP_TRAMPOLINE_SIZE, "x86_ap_boot fits");

/* Start-up IPI timing (SDM vol. 3 §8.4.4.1): INIT, 10 ms, SIPI, 200 us,
 * a second SIPI if the CPU has not arrived. */
#define INIT_DELAY_MS 10
#define SIPI_DELAY_US 200

struct x86_percpu x86_percpus[MAX_CPUS];
paddr_t x86_ap_trampoline_page; /* set by the boot stub */
static bool trampoline_ready;
static unsigned int ncpus;
static uint64_t init_sent_at; /* TSC when x86_smp_park sent INIT */

void x86_ctx_start(void); /* switch.S */

void arch_cpu_set_self(struct cpu *c)
{
	c->self = c;
	c->arch = &x86_percpus[c->idx];
	x86_percpus[c->idx].cpu = c;
	x86_wrmsr(MSR_IA32_GS_BASE, (uintptr_t)c);
}

void arch_ctx_init(struct arch_context *ctx, uintptr_t stack_lo, uintptr_t stack_hi,
		   void (*fn)(void *), void *arg)
{
	uint64_t *sp = (uint64_t *)(stack_hi & ~(uintptr_t)15);

	(void)stack_lo;
	/* arch_ctx_switch's ret pops this, leaving rsp 16-byte aligned, so
	 * that x86_ctx_start's call enters fn with the ABI's alignment. */
	*--sp = (uintptr_t)x86_ctx_start;
	ctx->rsp = (uintptr_t)sp;
	ctx->rbx = 0;
	ctx->rbp = 0;
	ctx->r12 = (uintptr_t)fn;
	ctx->r13 = (uintptr_t)arg;
	ctx->r14 = 0;
	ctx->r15 = 0;
	ctx->mxcsr = 0x1f80; /* the ABI's initial state: exceptions masked, round to nearest */
	ctx->fpucw = 0x37f;
}

/* Busy-wait until `us` microseconds after TSC value t0 (the TSC is
 * calibrated by now). */
static void delay_until(uint64_t t0, uint64_t us)
{
	uint64_t n = arch_cycles_hz() / 1000000 * us;

	while (x86_rdtsc() - t0 < n)
		arch_cpu_relax();
}

/*
 * The first half of INIT-SIPI-SIPI, for every other CPU at once, at boot:
 * INIT stops each where the firmware left it (OVMF parks them in a loop of
 * its own after ExitBootServices, which under TCG, where MWAIT does not
 * halt, takes host time from the boot CPU) and leaves it halted, waiting
 * for a start-up IPI. arch_cpu_start then only waits out what is left of
 * the 10 ms after INIT, instead of 10 ms per CPU while the CPUs already
 * started run tasks.
 */
void x86_smp_park(const struct boot_info *bi)
{
	for (unsigned int i = 1; i < bi->ncpus; i++)
		lapic_send_init((uint32_t)bi->cpu_hwid[i]);
	init_sent_at = x86_rdtsc();
}

void x86_smp_init(const struct boot_info *bi)
{
	paddr_t page = x86_ap_trampoline_page;
	size_t size = (size_t)(x86_ap_trampoline_end - x86_ap_trampoline);
	const uint32_t *fixup = (const uint32_t *)x86_ap_trampoline_fixups;
	volatile uint8_t *dst = (volatile uint8_t *)(uintptr_t)page;

	ncpus = MIN(bi->ncpus, (unsigned int)MAX_CPUS);
	x86_percpus[0].apic_id = (uint32_t)bi->cpu_hwid[0];
	x86_percpus[0].online = true;
	if (!page)
		return; /* the boot stub said why */
	BUG_ON(size > AP_PML4_OFF); /* the code outgrew its page */
	/* A start-up IPI's vector is the page number, below 1 MiB. */
	if (page & 0xfff || page + X86_AP_TRAMPOLINE_SIZE > 0x100000) {
		printk("smp: the start-up trampoline at 0x%llx is not usable; one CPU only\n",
		       (unsigned long long)page);
		return;
	}
	for (size_t i = 0; i < size; i++)
		dst[i] = (uint8_t)x86_ap_trampoline[i];
	for (; (const char *)fixup < x86_ap_trampoline_end; fixup++) {
		volatile uint32_t *w = (volatile uint32_t *)(uintptr_t)(page + *fixup);

		*w += (uint32_t)page;
	}
	x86_mmu_map_text_page(page);
	trampoline_ready = true;
}

int arch_cpu_start(unsigned int idx, uint64_t hwid, uintptr_t stack_top, struct cpu *self)
{
	struct x86_percpu *pc = &x86_percpus[idx];
	struct x86_ap_boot *boot;
	uint64_t *pml4_copy;
	const uint64_t *pml4;

	if (idx == 0 || idx >= ncpus || hwid > UINT32_MAX || (lapic_mmio_base() && hwid > 0xff))
		return -EINVAL;
	if (!trampoline_ready)
		return -ENODEV;
	/* Its exception stacks; interrupts stay off until kernel_secondary_main
	 * gives it a trap stack, so the interrupt slot only needs to be valid. */
	if (!pc->ist_top[X86_IST_EXC - 1] && x86_arch_stacks_alloc(idx) < 0)
		return -ENOMEM;
	pc->ist_top[X86_IST_IRQ - 1] = pc->ist_top[X86_IST_EXC - 1];
	pc->apic_id = (uint32_t)hwid;

	/* The tables are identity-mapped: CR3's address is a pointer. */
	pml4 = (const uint64_t *)(uintptr_t)(x86_read_cr3() & ~0xfffull);
	pml4_copy = (uint64_t *)(uintptr_t)(x86_ap_trampoline_page + AP_PML4_OFF);
	for (int i = 0; i < 512; i++)
		pml4_copy[i] = pml4[i];

	boot = (struct x86_ap_boot *)(uintptr_t)(x86_ap_trampoline_page + AP_BOOT_OFF);
	*boot = (struct x86_ap_boot){
		.cr3 = x86_read_cr3(),
		.cr4 = x86_read_cr4(),
		.efer = (x86_rdmsr(MSR_IA32_EFER) & ~EFER_LMA) | EFER_LME,
		.entry = (uintptr_t)x86_ap_main,
		.stack_top = stack_top,
		.self = (uintptr_t)self,
		.idx = idx,
		.cr0 = (uint32_t)x86_read_cr0(),
		.temp_cr3 = (uint32_t)(x86_ap_trampoline_page + AP_PML4_OFF),
		.ack = 0,
	};
	arch_mb();

	/* INIT went out at boot (x86_smp_park); a CPU that a start-up IPI
	 * has started ignores the second one (SDM vol. 3 §8.4.4.1). */
	delay_until(init_sent_at, INIT_DELAY_MS * 1000);
	for (int i = 0; i < 2 && !__atomic_load_n(&boot->ack, __ATOMIC_ACQUIRE); i++) {
		uint64_t t0 = x86_rdtsc();

		lapic_send_startup((uint32_t)hwid, (uint8_t)(x86_ap_trampoline_page >> 12));
		delay_until(t0, SIPI_DELAY_US);
	}
	return 0;
}

__noreturn void x86_ap_main(struct x86_ap_boot *boot)
{
	unsigned int idx = boot->idx;
	struct cpu *self = (struct cpu *)(uintptr_t)boot->self;

	arch_cpu_set_self(self);
	/* arch_cpu_start may reuse the pages for the next CPU from here on. */
	__atomic_store_n(&boot->ack, 1, __ATOMIC_RELEASE);
	x86_cpu_init_secondary(idx);
	__atomic_store_n(&x86_percpus[idx].online, true, __ATOMIC_RELEASE);
	kernel_secondary_main(idx);
}

void arch_ipi_send(unsigned int idx)
{
	if (idx >= MAX_CPUS || !__atomic_load_n(&x86_percpus[idx].online, __ATOMIC_ACQUIRE))
		return;
	/* The ICR takes two writes in xAPIC mode: an interrupt handler that
	 * sent an IPI in between would redirect this one. */
	unsigned long flags = arch_irq_save();

	lapic_send_ipi(x86_percpus[idx].apic_id, X86_VEC_IPI);
	arch_irq_restore(flags);
}
