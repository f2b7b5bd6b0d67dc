/* SPDX-License-Identifier: MIT */
/*
 * aarch64: interfaces between the files of arch/aarch64 and boot/aarch64,
 * including the C entry points that assembly calls. Not for generic code.
 */
#ifndef WEFT_ARCH_AARCH64_H
#define WEFT_ARCH_AARCH64_H

#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stdint.h>

/* The registers saved on every exception entry (vectors.S), lowest address first. */
struct trap_frame {
	uint64_t x[31]; /* x0-x30; x29 is the frame pointer, x30 the link register */
	uint64_t sp; /* the stack pointer before the exception */
	uint64_t elr; /* ELR_EL1: where the exception was taken */
	uint64_t spsr; /* SPSR_EL1: PSTATE at the exception */
	uint64_t esr; /* ESR_EL1: the syndrome (synchronous exceptions) */
	uint64_t far; /* FAR_EL1: the faulting address (aborts) */
	/* An AAPCS64 frame record {x29, elr} that the entry code points x29
	 * at, so that a backtrace from a handler walks on into the
	 * interrupted code. */
	uint64_t frame[2];
	/* Where a backtrace of this frame starts, when trap.c had to make up
	 * a frame record (see arch_frame_fp); 0 means the saved x29. */
	uint64_t walk_fp;
	uint64_t pad;
};
#endif

/* Offsets into struct trap_frame for vectors.S (checked in trap.c). */
#define TF_X(n) ((n)*8)
#define TF_SP 248
#define TF_ELR 256
#define TF_SPSR 264
#define TF_ESR 272
#define TF_FAR 280
#define TF_FRAME 288
#define TF_WALK_FP 304
#define TF_SIZE 320 /* a multiple of 16: sp stays aligned */

/* Which vector was taken: its offset in the table divided by 0x80 (Arm ARM, "Exception
 * vectors"). The low two bits are the kind, the next two the group. */
#define TRAP_SYNC 0
#define TRAP_IRQ 1
#define TRAP_FIQ 2
#define TRAP_SERROR 3
#define TRAP_KIND(v) ((v)&3)
#define TRAP_GROUP(v) ((v) >> 2)
#define TRAP_GROUP_EL1_SP0 0 /* taken at EL1 on SP_EL0: tasks and the scheduler */
#define TRAP_GROUP_EL1_SPX 1 /* taken at EL1 on SP_EL1: a nested trap, or early boot */
#define TRAP_GROUP_EL0_A64 2 /* from AArch64 EL0 */
#define TRAP_GROUP_EL0_A32 3 /* from AArch32 EL0 */
/* Added to the vector number when a nested trap found the trap stack overflowed and moved
 * to the emergency stack (vectors.S). */
#define TRAP_OVERFLOW 16

/* struct aarch64_percpu, for vectors.S and switch.S (checked in trap.c). */
#define PCPU_TRAP_LIMIT 0
#define PCPU_EMERG_TOP 8
#define PCPU_PREEMPT_PC 16
#define PCPU_PREEMPT_SPSR 24

/* The SGI (software-generated interrupt, GIC INTIDs 0-15) that arch_ipi_send raises. */
#define AARCH64_IPI_SGI 1

#ifndef __ASSEMBLY__
/*
 * What the exception vectors and the preemption trampoline need of this CPU, reached through
 * TPIDRRO_EL0 (no EL0 code exists to read it; TPIDR_EL0 is the vectors' scratch register).
 * Tasks and the scheduler run on SP_EL0, so every trap from them lands on SP_EL1, the CPU's
 * trap stack, by hardware.
 */
struct aarch64_percpu {
	/* A trap taken on SP_EL1 below this sp has overflowed the trap stack (0: not checked,
	 * before arch_cpu_set_trap_stack and after an overflow). */
	uint64_t trap_limit;
	uint64_t emerg_top; /* the emergency stack an overflow is reported on */
	/* The pc and PSTATE a preempted task resumes at, from the IRQ exit to
	 * aarch64_preempt_trampoline, which reads them with IRQs still masked. */
	uint64_t preempt_pc, preempt_spsr;
	uint64_t trap_lo, trap_top; /* the trap stack, for reports */
};

/* trap.c: this CPU's struct aarch64_percpu (TPIDRRO_EL0). */
static inline struct aarch64_percpu *aarch64_percpu_self(void)
{
	struct aarch64_percpu *p;

	__asm__ __volatile__("mrs %0, tpidrro_el0" : "=r"(p));
	return p;
}

/* trap.c: point TPIDRRO_EL0 at CPU `idx`'s struct aarch64_percpu. Interrupts off. */
void aarch64_percpu_init(unsigned int idx);

/* The translation setup that every CPU loads (mmu_boot.c fills it in with the MMU off,
 * arch_mmu_init rewrites TCR and TTBR0 for the final tables; offsets MMU_REGS_* in
 * asm_offsets.h). Kept clean to memory, so that secondary CPUs can read it with their MMU
 * still off. */
struct mmu_regs {
	uint64_t mair, tcr, ttbr0, sctlr;
};
extern struct mmu_regs mmu_regs;

/* entry.S: switch this CPU to new translation tables whose walk starts at another level
 * (TCR.T0SZ changes), by turning the MMU off for the few instructions in between; the code
 * runs identity mapped in both. Interrupts off. */
void aarch64_mmu_switch(uint64_t ttbr0, uint64_t tcr);

/* mmu.c: the leaf descriptor that maps `va` (and its level in *level), or 0. */
uint64_t aarch64_mmu_lookup(uintptr_t va, int *level);

/* mmu.c: how many zeroed pages wait in the pool that stack-region tables come from (for
 * tests that count free memory). */
unsigned int aarch64_mmu_spare_tables(void);

/* probe.S: an 8-byte read or write at `addr`, or a call to the `ret` instruction at `addr`,
 * that returns 0, or ESR_EL1 when it faulted (trap.c resumes it instead of reporting). For
 * tests, and for the fault report, which must not fault again on a wild pointer. */
uint64_t aarch64_probe_read(uintptr_t addr, uint64_t *val);
uint64_t aarch64_probe_write(uintptr_t addr, uint64_t val);
uint64_t aarch64_probe_exec(uintptr_t addr);

/* vectors.S: make SP_EL1 (where traps land) `top`, and go on running on SP_EL0 with the
 * stack pointer the caller had. Interrupts off. */
void aarch64_set_trap_sp(uintptr_t top);

/* vectors.S: run on SP_EL1 at `sp` and store below it. For arch_debug_trap_stack_overflow. */
__attribute__((noreturn)) void aarch64_store_below(uintptr_t sp);

/* entry.S: load `r` into this CPU's MAIR, TCR, TTBR0 and SCTLR (MMU and caches on) after
 * discarding stale TLB entries. Uses no stack. Called with the MMU off. */
void mmu_cpu_enable(const struct mmu_regs *r);

/* entry.S: where PSCI CPU_ON starts a secondary CPU, with x0 = its struct aarch64_start
 * (smp.c), the MMU off, at EL2 or EL1. Never called from C. */
void secondary_entry(void);

/* smp.c: record the boot CPU's MPIDR for IPIs. Called by arch_cpu_init. */
void aarch64_smp_init(void);

/* smp.c: a secondary CPU's first C code, on its own stack with TPIDR_EL1 set, the MMU on
 * and interrupts masked: per-CPU GIC and timer setup, then kernel_secondary_main(idx). */
__attribute__((noreturn)) void aarch64_secondary_main(unsigned long idx);

/* boot/aarch64: build struct boot_info and enter kernel_main. Called by entry.S on the boot
 * stack with the MMU on. */
__attribute__((noreturn)) void boot_aarch64(const void *dtb);

/* mmu.c: build the boot identity map from the DTB's /memory and turn on the MMU and caches.
 * Called by entry.S with the MMU off, interrupts masked, bss cleared. */
void mmu_boot_init(const void *dtb);

/* trap.c: every exception vector lands here with interrupts masked; `vector` is a TRAP_*
 * value. Returns to the interrupted code unless the trap is fatal. */
void aarch64_trap(struct trap_frame *tf, unsigned long vector);

/* timer.c: the irqchip `local` hook (drivers/irqchip.h) for the timer PPI. */
bool aarch64_timer_irq(unsigned int irq);

/* psci.c: the PSCI conduit from the DTB /psci node; 0, or -ENODEV without PSCI 0.2+. */
int psci_init(const void *dtb);

/* PSCI SYSTEM_OFF; returns only if there is no PSCI or the call failed. */
void psci_system_off(void);

/* PSCI CPU_ON: start the CPU whose MPIDR affinity is `mpidr` at physical address `entry`,
 * MMU off, with x0 = `context`, at EL2 where the machine has it (QEMU virtualization=on, as
 * measured) or EL1. 0 once the firmware accepted the request, or a negative errno. */
int psci_cpu_on(uint64_t mpidr, uintptr_t entry, uint64_t context);

/* timer.c: this CPU's share of the timer setup (its PPI, its counter off); called on every
 * CPU, by arch_timer_init on the boot CPU. */
void aarch64_timer_init_cpu(void);
#endif

#endif
