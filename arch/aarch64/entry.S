/* SPDX-License-Identifier: MIT */
/*
 * aarch64: the first instructions. The Image header (boot/aarch64/header.S)
 * branches here with x0 = DTB, the MMU off and interrupts in an unknown
 * state, at EL2 or EL1. We drop to EL1, enable FP/SIMD, set up the boot
 * stack, the vectors and the bss, turn the MMU on and enter C.
 */
#include <arch/aarch64.h>
#include <arch/asm.h>
#include <arch/sysreg.h>
#include "asm_offsets.h"

#define BOOT_STACK_SIZE (64 * 1024)

	.text

/* void _start(const void *dtb) -- from the Image header, never returns. */
FUNC(_start)
	msr	daifset, #0xf
	mov	x19, x0				/* the DTB, kept across the calls below */
	mrs	x0, CurrentEL
	cmp	x0, #CURRENTEL_EL2
	b.ne	1f
	bl	el2_to_el1
1:
	msr	spsel, #1			/* SP_EL1 until arch_cpu_set_trap_stack */
	/* A known SCTLR_EL1 (MMU and caches off) whatever the loader left. */
	ldr	x0, =SCTLR_EL1_RES1
	msr	sctlr_el1, x0
	/* newlib's printf uses FP/SIMD: do not trap it (CPACR_EL1.FPEN). */
	mov	x0, #CPACR_EL1_FPEN
	msr	cpacr_el1, x0
	adr_l	x0, vectors
	msr	vbar_el1, x0
	msr	tpidr_el1, xzr			/* no struct cpu until sched_early_init */
	msr	tpidrro_el0, xzr		/* no struct aarch64_percpu: vectors.S */
	isb

	adr_l	x0, boot_stack_top
	mov	sp, x0
	mov	x29, xzr			/* ends backtraces */
	mov	x30, xzr

	/* Clear the bss with aligned stores (the linker aligns it to 16):
	 * with the MMU off, memory is Device and unaligned accesses fault. */
	adr_l	x0, __bss_start
	adr_l	x1, __bss_end
2:	cmp	x0, x1
	b.hs	3f
	stp	xzr, xzr, [x0], #16
	b	2b
3:
	mov	x0, x19
	bl	mmu_boot_init
	mov	x0, x19
	bl	boot_aarch64
4:	wfi
	b	4b
END(_start)

/*
 * void secondary_entry(struct aarch64_start *start) -- from PSCI CPU_ON
 * (smp.c), never returns. Like _start: the MMU off, at EL2 or EL1 (QEMU
 * starts secondaries at EL2 with virtualization=on). Drop to EL1, enable
 * FP/SIMD, set the vectors, turn the MMU on with the boot CPU's tables,
 * and only then read `start` (with the MMU off, loads bypass the caches
 * and could see stale memory): sp, TPIDR_EL1, then C. The tables are the
 * final ones (arch_mmu_init ran before any secondary started); like the
 * boot CPU until arch_cpu_set_trap_stack, it runs on SP_EL1 for now.
 */
FUNC(secondary_entry)
	msr	daifset, #0xf
	mov	x19, x0
	mrs	x0, CurrentEL
	cmp	x0, #CURRENTEL_EL2
	b.ne	1f
	bl	el2_to_el1
1:
	msr	spsel, #1
	ldr	x0, =SCTLR_EL1_RES1
	msr	sctlr_el1, x0
	mov	x0, #CPACR_EL1_FPEN
	msr	cpacr_el1, x0
	adr_l	x0, vectors
	msr	vbar_el1, x0
	msr	tpidrro_el0, xzr		/* until aarch64_percpu_init */
	isb
	adr_l	x0, mmu_regs
	bl	mmu_cpu_enable

	ldr	x0, [x19, #START_STACK_TOP]
	mov	sp, x0
	ldr	x0, [x19, #START_SELF]
	msr	tpidr_el1, x0
	ldr	x0, [x19, #START_IDX]
	mov	x29, xzr			/* ends backtraces */
	mov	x30, xzr
	bl	aarch64_secondary_main
2:	wfi
	b	2b
END(secondary_entry)

/*
 * void mmu_cpu_enable(const struct mmu_regs *r) -- leaf, no stack, so that
 * it can run before this CPU has one it may use with the caches on.
 * Called with the MMU off; returns with it on (VA = PA, so execution goes
 * on). Stale TLB entries from reset are discarded first (Arm ARM,
 * "TLB maintenance requirements and the TLB maintenance instructions").
 * Clobbers x1.
 */
FUNC(mmu_cpu_enable)
	ldr	x1, [x0, #MMU_REGS_MAIR]
	msr	mair_el1, x1
	ldr	x1, [x0, #MMU_REGS_TCR]
	msr	tcr_el1, x1
	ldr	x1, [x0, #MMU_REGS_TTBR0]
	msr	ttbr0_el1, x1
	isb
	tlbi	vmalle1
	dsb	nsh
	ic	iallu
	dsb	nsh
	isb
	ldr	x1, [x0, #MMU_REGS_SCTLR]
	msr	sctlr_el1, x1
	isb
	ret
END(mmu_cpu_enable)

/*
 * void aarch64_mmu_switch(uint64_t ttbr0, uint64_t tcr) -- leaf, no memory
 * accesses. TTBR0 and TCR cannot change together, and a walk between the
 * two writes would read the new tables with the old number of levels: so
 * turn the MMU off (this code is identity mapped either way), change both,
 * drop every TLB entry of the old tables, and turn it back on.
 */
FUNC(aarch64_mmu_switch)
	mrs	x2, sctlr_el1
	bic	x3, x2, #SCTLR_EL1_M
	msr	sctlr_el1, x3
	isb
	msr	ttbr0_el1, x0
	msr	tcr_el1, x1
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	msr	sctlr_el1, x2
	isb
	ret
END(aarch64_mmu_switch)

/*
 * el2_to_el1 -- called (bl) from _start or secondary_entry at EL2, returns at EL1.
 * Configure EL2 so that EL1 runs as if it had been entered directly, then
 * return to the caller at EL1 (on SP_EL1, interrupts masked). Clobbers x0.
 * Register bits: HCR_EL2, CNTHCTL_EL2, CPTR_EL2 in the Arm ARM; ICC_SRE_EL2
 * in the GICv3 specification.
 */
LOCAL_FUNC(el2_to_el1)
	mov	x0, #HCR_EL2_RW			/* EL1 is AArch64; no traps, IRQs to EL1 */
	msr	hcr_el2, x0
	mov	x0, #(CNTHCTL_EL2_EL1PCTEN | CNTHCTL_EL2_EL1PCEN)
	msr	cnthctl_el2, x0
	msr	cntvoff_el2, xzr		/* virtual count == physical count */
	mov	x0, #CPTR_EL2_RES1		/* FP/SIMD not trapped to EL2 */
	msr	cptr_el2, x0
	msr	hstr_el2, xzr
	mrs	x0, midr_el1			/* EL1 reads its real MIDR and MPIDR */
	msr	vpidr_el2, x0
	mrs	x0, mpidr_el1
	msr	vmpidr_el2, x0
	/* With a GICv3 CPU interface, let EL1 use its system registers. */
	mrs	x0, id_aa64pfr0_el1
	ubfx	x0, x0, #ID_AA64PFR0_GIC_SHIFT, #4
	cbz	x0, 1f
	mrs	x0, ICC_SRE_EL2
	orr	x0, x0, #ICC_SRE_EL2_SRE
	orr	x0, x0, #ICC_SRE_EL2_ENABLE
	msr	ICC_SRE_EL2, x0
	isb
1:
	ldr	x0, =SCTLR_EL1_RES1
	msr	sctlr_el1, x0
	mov	x0, #SPSR_EL1H_DAIF
	msr	spsr_el2, x0
	msr	elr_el2, x30
	eret
END(el2_to_el1)

	.section .bss.boot_stack, "aw", %nobits
	.balign	4096
boot_stack:
	.skip	BOOT_STACK_SIZE
boot_stack_top:
