/* SPDX-License-Identifier: MIT */
/* riscv64: private interfaces between the files of arch/riscv64. */
#ifndef WEFT_ARCH_RISCV64_H
#define WEFT_ARCH_RISCV64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct boot_info;

/* vectors.S: the trap entry stvec points at. */
void riscv_trap_entry(void);

/* vectors.S: the instruction in arch_cpu_wait_irq where it takes the
 * interrupt it waited for (its caller has interrupts disabled). */
extern const char riscv_wait_irq_window[];

/* entry.S: where HSM hart_start sends a secondary hart, a0 = its hart id,
 * a1 = its struct riscv_boot_record (smp.c). */
void riscv_secondary_entry(void);

/* switch.S: the first return address of a context from arch_ctx_init
 * (fn in s1, arg in s2), and where trap.c sends a task to be preempted. */
void riscv_ctx_start(void);
void riscv_preempt_trampoline(void);

/* smp.c: record the boot hart's id and enable IPIs on the boot CPU; from
 * arch_cpu_init. */
void riscv_smp_init(const struct boot_info *bi);

/* trap.c: install the trap vector on this CPU (number idx), with no trap
 * stack until arch_cpu_set_trap_stack. Interrupts disabled. */
void riscv_trap_init(unsigned int idx);

/*
 * trap.c: run an instruction that may not exist on this CPU. Between
 * riscv_probe_begin() and riscv_probe_end(), an illegal-instruction trap skips
 * the instruction instead of being fatal; riscv_probe_end() returns whether
 * none trapped. Boot CPU, interrupts disabled, after riscv_trap_init().
 */
void riscv_probe_begin(void);
bool riscv_probe_end(void);

/* timer.c: read the timebase and choose Sstc or SBI for the timer; from
 * arch_cpu_init, after riscv_trap_init() (it probes stimecmp). */
void riscv_timer_setup(const struct boot_info *bi);

/* timer.c: the supervisor timer interrupt (scause 5). Interrupt context. */
void riscv_timer_irq(void);

/*
 * vectors.S: single accesses that may fault. A fault returns an error
 * (-EFAULT where nothing is mapped, -EACCES where the access is not
 * allowed) instead of a report, and never goes to kernel_page_fault.
 * riscv_probe_exec calls `code`, which must return at once. For tests.
 */
long riscv_probe_load(const uint64_t *p, uint64_t *val);
long riscv_probe_store(uint64_t *p, uint64_t val);
long riscv_probe_exec(const void *code);
/* Their labels, for trap.c's fixups. */
extern const char riscv_probe_load_insn[], riscv_probe_store_insn[], riscv_probe_out[];
extern const char riscv_probe_exec_ret[], riscv_probe_exec_out[];

/* Sv39 page table entries (Privileged Architecture §4.4.1, §4.3.1). */
#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_U (1ul << 4)
#define PTE_G (1ul << 5)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)

/*
 * mmu.c: the leaf entry that maps `va`, or 0; *size (if not NULL) gets
 * the size it maps (4 KiB, 2 MiB or 1 GiB). Any context; lock-free.
 */
uint64_t riscv_mmu_lookup(uintptr_t va, uint64_t *size);

/* mmu.c: call fn for every leaf of the page tables, in address order. For
 * tests; the tables may change meanwhile. */
void riscv_mmu_walk(void (*fn)(uintptr_t va, uint64_t pte, uint64_t size, void *arg), void *arg);

/* mmu.c: whether a store to `va` would succeed (true while the MMU is off). */
bool riscv_mmu_can_write(uintptr_t va);

/* mmu.c: satp for the kernel's page tables, which a secondary hart loads in
 * entry.S before it touches its stack; 0 before arch_mmu_init. */
extern uint64_t riscv_kernel_satp;

/* mmu.c: the range that arch_mmu_map and arch_mmu_unmap accept besides the
 * stack region, kept for the arch's own tests. */
#define RISCV_TEST_WINDOW 0xffffffe000000000ul
#define RISCV_TEST_WINDOW_SIZE (1ul << 30)

/* Forget this hart's translations of the page at va (its cached invalid
 * ones too), or of everything. */
static inline void riscv_sfence_vma_page(uintptr_t va)
{
	__asm__ __volatile__("sfence.vma %0, zero" : : "r"(va) : "memory");
}

static inline void riscv_sfence_vma_all(void)
{
	__asm__ __volatile__("sfence.vma" : : : "memory");
}

/*
 * smp.c: make every other started hart drop its whole TLB, by IPI, and
 * return once they have; the caller has fenced its own hart already. The
 * caller must hold no lock that a hart may spin for with interrupts off.
 */
void riscv_tlb_shootdown(void);

/* Answer the shootdowns asked of this hart so far: from the IPI handler,
 * and from loops that wait with interrupts off for a hart that may be
 * shooting down. */
void riscv_tlb_serve(void);

#endif
