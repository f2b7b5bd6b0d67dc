// SPDX-License-Identifier: MIT
/*
 * riscv64: the per-CPU pointer (tp), starting secondary harts through the
 * SBI HSM extension, IPIs through the SBI IPI extension (a supervisor
 * software interrupt on the target), TLB shootdowns through the SBI RFENCE
 * extension, and preparing new contexts.
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
	 * that: the fence after the store drops whatever this hart cached of
	 * them since it turned on paging (entry.S).
	 */
	__atomic_store_n(&cpu_on[idx], true, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	riscv_sfence_vma_all();
	riscv_trap_init(idx);
	csr_write(sie, SIE_SSIE);
	arch_timer_init(NULL); /* the per-hart part; the boot CPU chose Sstc or SBI */
	kernel_secondary_main(idx);
}

/*
 * One hart at a time asks for remote fences. OpenSBI before 1.3 can
 * deadlock when three or more harts do at once: a hart serving another's
 * request spins until the requester has taken its last acknowledgement,
 * and those spins can wait on each other in a cycle (lib/sbi/sbi_tlb.c,
 * tlb_entry_process; fixed by commit 66fa9253, "lib: sbi: Optimize
 * sbi_tlb"). Debian 12 ships 1.1. A hart waiting here with interrupts off
 * still serves the holder's request: that is an M-mode interrupt.
 *
 * Since they queue anyway, requests are combined: each takes a ticket,
 * and the hart that gets the lock fences everything for all tickets drawn
 * so far, so that n harts waiting cost one more fence, not n. OpenSBI 1.1
 * interrupts the targets one after the other and waits for each, which
 * makes a fence cost several host scheduling delays under TCG.
 */
static spinlock_t rfence_lock;
static unsigned long rfence_requested, rfence_done; /* tickets */

/* Fence [va, va + size) on every started hart but this one (the caller
 * has fenced it). */
static void remote_fence(uintptr_t va, size_t size)
{
	unsigned int self = arch_cpu_self()->idx;
	bool done[MAX_CPUS] = { false };

	/* One call per 64 hart ids: SBI takes a mask of a word from a base. */
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		unsigned long base = hart_ids[i] & ~63ul, mask = 0;
		long err;

		if (i == self || done[i] || !__atomic_load_n(&cpu_on[i], __ATOMIC_SEQ_CST))
			continue;
		for (unsigned int j = i; j < MAX_CPUS; j++) {
			if (j == self || done[j] ||
			    !__atomic_load_n(&cpu_on[j], __ATOMIC_SEQ_CST) ||
			    (hart_ids[j] & ~63ul) != base)
				continue;
			mask |= 1ul << (hart_ids[j] - base);
			done[j] = true;
		}
		err = sbi_remote_sfence_vma(mask, base, va, size);
		if (err) {
			spin_release(&rfence_lock);
			panic("riscv64: SBI remote_sfence_vma failed (error %ld), so unmapped "
			      "pages could still be reached",
			      err);
		}
	}
}

void riscv_remote_sfence_vma(uintptr_t va, size_t size)
{
	unsigned long ticket, upto;

	/* The page table stores before the ticket, and so before the fence
	 * that serves it; cpu_on is read after them (see
	 * riscv_secondary_main). */
	ticket = __atomic_add_fetch(&rfence_requested, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		if ((long)(__atomic_load_n(&rfence_done, __ATOMIC_ACQUIRE) - ticket) >= 0)
			return;
		if (spin_tryacquire(&rfence_lock))
			break;
		arch_cpu_relax();
	}
	if ((long)(rfence_done - ticket) >= 0) {
		spin_release(&rfence_lock);
		return;
	}
	upto = __atomic_load_n(&rfence_requested, __ATOMIC_SEQ_CST);
	if (upto == ticket) {
		remote_fence(va, size);
	} else {
		/* Others' ranges too, so everything (SBI §8), and on this
		 * hart as well: its own fence came before their unmaps. */
		riscv_sfence_vma_all();
		remote_fence(0, ~0ul);
	}
	__atomic_store_n(&rfence_done, upto, __ATOMIC_RELEASE);
	spin_release(&rfence_lock);
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
