// SPDX-License-Identifier: MIT
/*
 * riscv64: the per-CPU pointer (tp), starting secondary harts through the
 * SBI HSM extension, IPIs through the SBI IPI extension (a supervisor
 * software interrupt on the target), TLB shootdowns by IPI, and preparing
 * new contexts.
 */
#include <errno.h>
#include <stddef.h>

#include <arch.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <kernel/boot_info.h>
#include <kernel/panic.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include "asm_offsets.h"
#include "riscv64.h"

_Static_assert(offsetof(struct arch_context, sp) == CTX_SP, "arch_context.sp");
_Static_assert(offsetof(struct arch_context, ra) == CTX_RA, "arch_context.ra");
_Static_assert(offsetof(struct arch_context, s) == CTX_S(0), "arch_context.s");
_Static_assert(offsetof(struct arch_context, fs) == CTX_FS(0), "arch_context.fs");
_Static_assert(offsetof(struct arch_context, fcsr) == CTX_FCSR, "arch_context.fcsr");

/*
 * What a secondary hart starts with: HSM hands its address over in a1.
 * `pending` is set while arch_cpu_start waits for the hart, for the one
 * that the firmware sends to the boot entry instead (entry.S, "lost the
 * lottery"), which finds its record by hart id. The stack is in the stack
 * region, so the hart loads `satp` before it touches it.
 */
struct riscv_boot_record {
	uint64_t stack_top;
	struct cpu *self;
	uint64_t idx;
	uint64_t hartid;
	uint64_t pending; /* cleared by the hart when it arrives */
	uint64_t satp;
};

_Static_assert(offsetof(struct riscv_boot_record, stack_top) == BOOT_REC_STACK_TOP, "stack_top");
_Static_assert(offsetof(struct riscv_boot_record, self) == BOOT_REC_SELF, "self");
_Static_assert(offsetof(struct riscv_boot_record, idx) == BOOT_REC_IDX, "idx");
_Static_assert(offsetof(struct riscv_boot_record, hartid) == BOOT_REC_HARTID, "hartid");
_Static_assert(offsetof(struct riscv_boot_record, pending) == BOOT_REC_PENDING, "pending");
_Static_assert(offsetof(struct riscv_boot_record, satp) == BOOT_REC_SATP, "satp");
_Static_assert(sizeof(struct riscv_boot_record) == BOOT_REC_SIZE, "boot record size");
_Static_assert(BOOT_RECORDS == MAX_CPUS, "one boot record per CPU");

/* Global, for entry.S's search; written only by arch_cpu_start. */
struct riscv_boot_record riscv_boot_records[BOOT_RECORDS];

/* Hart id of each CPU number, for IPIs: CPU 0 is the boot hart, the others
 * are filled in by arch_cpu_start before they run. */
static uint64_t hart_ids[MAX_CPUS];

/* The CPUs that run on the kernel's page tables, for shootdowns: set by
 * each CPU itself (riscv_secondary_main), the boot CPU from the start. */
static bool cpu_on[MAX_CPUS];

/* TLB shootdowns (below): requests made, and the last request each hart
 * fenced for. */
static unsigned long tlb_gen;
static unsigned long tlb_seen[MAX_CPUS];

static void tlb_fence_self(unsigned int self);

void riscv_smp_init(const struct boot_info *bi)
{
	hart_ids[0] = bi->cpu_hwid[0];
	cpu_on[0] = true;
	/* IPIs arrive as supervisor software interrupts, also in WFI. */
	csr_set(sie, SIE_SSIE);
}

void arch_cpu_set_self(struct cpu *c)
{
	__asm__ __volatile__("mv tp, %0" : : "r"(c) : "memory");
}

int arch_cpu_start(unsigned int idx, uint64_t hwid, uintptr_t stack_top, struct cpu *self)
{
	struct riscv_boot_record *rec;
	long err;

	if (idx == 0 || idx >= MAX_CPUS)
		return -EINVAL;
	rec = &riscv_boot_records[idx];
	rec->stack_top = stack_top & ~(uintptr_t)15;
	rec->self = self;
	rec->idx = idx;
	rec->hartid = hwid;
	rec->satp = riscv_kernel_satp;
	hart_ids[idx] = hwid;
	/* The new hart reads the record: complete it before marking it
	 * pending, and both before the firmware releases the hart. */
	arch_mb();
	__atomic_store_n(&rec->pending, 1, __ATOMIC_RELAXED);
	arch_mb();

	err = sbi_hart_start(hwid, (unsigned long)riscv_secondary_entry, (unsigned long)rec);
	/* A refusal, unless the hart was already on its way in through the
	 * boot entry and took the record there (entry.S). */
	if (err && !__atomic_exchange_n(&rec->pending, 0, __ATOMIC_ACQ_REL))
		err = 0;
	switch (err) {
	case 0:
		return 0;
	case SBI_ERR_NOT_SUPPORTED:
		return -ENOSYS;
	case SBI_ERR_INVALID_PARAM:
		return -EINVAL; /* no such hart */
	case SBI_ERR_ALREADY_AVAILABLE:
		return -EBUSY; /* already running */
	default:
		return -EIO;
	}
}

/* void riscv_secondary_main(unsigned int idx): from entry.S, on the CPU's
 * stack, with tp = its struct cpu, the FPU on and interrupts disabled. */
__noreturn void riscv_secondary_main(unsigned int idx);
__noreturn void riscv_secondary_main(unsigned int idx)
{
	/*
	 * From now on every shootdown includes this hart. One that read
	 * cpu_on before this store missed it, but cleared its entries before
	 * that: the fence here drops whatever this hart cached of them since
	 * it turned on paging (entry.S), and answers any request made so far.
	 */
	__atomic_store_n(&cpu_on[idx], true, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	tlb_fence_self(idx);
	riscv_trap_init(idx);
	csr_write(sie, SIE_SSIE);
	arch_timer_init(NULL); /* the per-hart part; the boot CPU chose Sstc or SBI */
	kernel_secondary_main(idx);
}

/*
 * TLB shootdowns, by IPI. A hart that changed the page tables takes the
 * next number of tlb_gen and interrupts every other started hart; each one
 * reads tlb_gen, fences its whole TLB, and records the number it read in
 * tlb_seen, which the sender waits for. One fence answers every request
 * made before it, so requests from several harts at once combine by
 * themselves.
 *
 * Not through SBI RFENCE: under QEMU 7.2 with Debian's OpenSBI 1.1, a
 * remote_sfence_vma returned success while its target kept the old
 * translation. An HTTP stress run crashed in about one boot in four,
 * resuming a task on a hart that read its re-grown stack through the dead
 * previous owner's pages (the words read through the address matched the
 * old page, not the one in the table). mm.a_page_mapped_anew_is_what_every_
 * cpu_reads failed in 5 of 5 runs that way, and passes with these IPIs.
 *
 * A hart waiting for answers, or for sync_lock in mmu.c, answers other
 * requests itself (riscv_tlb_serve), so two harts shooting down at once
 * both finish. A hart that spins with interrupts off for anything else
 * must not be waiting on a hart that is shooting down: callers hold no
 * other lock.
 */

/* Fence this hart's whole TLB for every request made so far. */
static void tlb_fence_self(unsigned int self)
{
	/* Acquire: the page table stores made before those requests. */
	unsigned long gen = __atomic_load_n(&tlb_gen, __ATOMIC_ACQUIRE);

	riscv_sfence_vma_all();
	__atomic_store_n(&tlb_seen[self], gen, __ATOMIC_RELEASE);
}

void riscv_tlb_serve(void)
{
	unsigned int self = arch_cpu_self()->idx;

	if (__atomic_load_n(&tlb_seen[self], __ATOMIC_RELAXED) !=
	    __atomic_load_n(&tlb_gen, __ATOMIC_ACQUIRE))
		tlb_fence_self(self);
}

void riscv_tlb_shootdown(void)
{
	unsigned long flags = arch_irq_save();
	unsigned int self = arch_cpu_self()->idx;
	/* After the page table stores, and before cpu_on is read (see
	 * riscv_secondary_main). */
	unsigned long gen = __atomic_add_fetch(&tlb_gen, 1, __ATOMIC_SEQ_CST);

	for (unsigned int i = 0; i < MAX_CPUS; i++)
		if (i != self && __atomic_load_n(&cpu_on[i], __ATOMIC_SEQ_CST) &&
		    __atomic_load_n(&tlb_seen[i], __ATOMIC_ACQUIRE) < gen)
			sbi_send_ipi(hart_ids[i]);
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		if (i == self || !__atomic_load_n(&cpu_on[i], __ATOMIC_SEQ_CST))
			continue;
		while (__atomic_load_n(&tlb_seen[i], __ATOMIC_ACQUIRE) < gen) {
			riscv_tlb_serve();
			arch_cpu_relax();
		}
	}
	arch_irq_restore(flags);
}

void arch_ipi_send(unsigned int idx)
{
	sbi_send_ipi(hart_ids[idx]);
}

void arch_ctx_init(struct arch_context *ctx, uintptr_t stack_lo, uintptr_t stack_hi,
		   void (*fn)(void *), void *arg)
{
	(void)stack_lo;
	*ctx = (struct arch_context){
		.sp = stack_hi & ~(uintptr_t)15, /* psABI: 16-byte aligned */
		.ra = (uintptr_t)riscv_ctx_start,
		.s = { [0] = 0, [1] = (uintptr_t)fn, [2] = (uintptr_t)arg },
		.fcsr = 0, /* round to nearest, no flags */
	};
}
