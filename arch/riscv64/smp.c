// SPDX-License-Identifier: MIT
/*
 * riscv64: the per-CPU pointer (tp), starting secondary harts through the
 * SBI HSM extension, IPIs through the SBI IPI extension (a supervisor
 * software interrupt on the target), and preparing new contexts.
 */
#include <errno.h>
#include <stddef.h>

#include <arch.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <kernel/boot_info.h>
#include <kernel/sched.h>
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
 * lottery"), which finds its record by hart id.
 */
struct riscv_boot_record {
	uint64_t stack_top;
	struct cpu *self;
	uint64_t idx;
	uint64_t hartid;
	uint64_t pending; /* cleared by the hart when it arrives */
	uint64_t pad;
};

_Static_assert(offsetof(struct riscv_boot_record, stack_top) == BOOT_REC_STACK_TOP, "stack_top");
_Static_assert(offsetof(struct riscv_boot_record, self) == BOOT_REC_SELF, "self");
_Static_assert(offsetof(struct riscv_boot_record, idx) == BOOT_REC_IDX, "idx");
_Static_assert(offsetof(struct riscv_boot_record, hartid) == BOOT_REC_HARTID, "hartid");
_Static_assert(offsetof(struct riscv_boot_record, pending) == BOOT_REC_PENDING, "pending");
_Static_assert(sizeof(struct riscv_boot_record) == BOOT_REC_SIZE, "boot record size");
_Static_assert(BOOT_RECORDS == MAX_CPUS, "one boot record per CPU");

/* Global, for entry.S's search; written only by arch_cpu_start. */
struct riscv_boot_record riscv_boot_records[BOOT_RECORDS];

/* Hart id of each CPU number, for IPIs: CPU 0 is the boot hart, the others
 * are filled in by arch_cpu_start before they run. */
static uint64_t hart_ids[MAX_CPUS];

void riscv_smp_init(const struct boot_info *bi)
{
	hart_ids[0] = bi->cpu_hwid[0];
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
	riscv_trap_init();
	csr_write(sie, SIE_SSIE);
	arch_timer_init(NULL); /* the per-hart part; the boot CPU chose Sstc or SBI */
	kernel_secondary_main(idx);
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
