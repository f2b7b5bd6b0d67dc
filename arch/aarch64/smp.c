// SPDX-License-Identifier: MIT
/*
 * aarch64: the per-CPU pointer (TPIDR_EL1), starting secondary CPUs through
 * PSCI CPU_ON, IPIs as GIC SGIs, and preparing new contexts for switch.S.
 */
#include <errno.h>
#include <stddef.h>

#include <arch.h>
#include <arch/aarch64.h>
#include <arch/sysreg.h>
#include <drivers/irqchip.h>
#include <kernel/sched.h>
#include "asm_offsets.h"

_Static_assert(offsetof(struct arch_context, sp) == CTX_SP, "CTX_SP");
_Static_assert(offsetof(struct arch_context, x19_x28) == CTX_X19, "CTX_X19");
_Static_assert(offsetof(struct arch_context, fp) == CTX_FP, "CTX_FP");
_Static_assert(offsetof(struct arch_context, lr) == CTX_LR, "CTX_LR");
_Static_assert(offsetof(struct arch_context, d8_d15) == CTX_D8, "CTX_D8");
_Static_assert(offsetof(struct arch_context, fpcr) == CTX_FPCR, "CTX_FPCR");
_Static_assert(offsetof(struct arch_context, fpsr) == CTX_FPSR, "CTX_FPSR");
_Static_assert(sizeof(struct arch_context) == CTX_SIZE, "CTX_SIZE");

/* What a secondary CPU starts with: CPU_ON hands its address over in x0
 * (the context id). Read by secondary_entry once its MMU is on. */
struct aarch64_start {
	uint64_t stack_top;
	struct cpu *self;
	uint64_t idx;
};

_Static_assert(offsetof(struct aarch64_start, stack_top) == START_STACK_TOP, "START_STACK_TOP");
_Static_assert(offsetof(struct aarch64_start, self) == START_SELF, "START_SELF");
_Static_assert(offsetof(struct aarch64_start, idx) == START_IDX, "START_IDX");

static struct aarch64_start start_records[MAX_CPUS];

/* MPIDR affinity of each CPU number, for IPIs; CPU 0 is the boot CPU. */
static uint64_t cpu_mpidr[MAX_CPUS];

/* switch.S */
void aarch64_ctx_start(void);

void aarch64_smp_init(void)
{
	cpu_mpidr[0] = read_sysreg(mpidr_el1) & MPIDR_HWID_MASK;
}

void arch_cpu_set_self(struct cpu *c)
{
	write_sysreg(tpidr_el1, (uintptr_t)c);
}

void arch_ctx_init(struct arch_context *ctx, uintptr_t stack_lo, uintptr_t stack_hi,
		   void (*fn)(void *), void *arg)
{
	(void)stack_lo;
	*ctx = (struct arch_context){
		.sp = stack_hi & ~(uintptr_t)15, /* AAPCS64: sp is 16-byte aligned */
		.x19_x28 = { (uintptr_t)fn, (uintptr_t)arg },
		.fp = 0,
		.lr = (uintptr_t)aarch64_ctx_start,
		/* FPCR 0: round to nearest, no traps, IEEE behaviour, as at reset
		 * and as C expects at program start. */
		.fpcr = 0,
		.fpsr = 0,
	};
}

int arch_cpu_start(unsigned int idx, uint64_t hwid, uintptr_t stack_top, struct cpu *self)
{
	int err;

	if (idx == 0 || idx >= MAX_CPUS)
		return -EINVAL;
	if (!irqchip)
		return -ENODEV; /* it could take neither its timer nor IPIs */
	start_records[idx] = (struct aarch64_start){
		.stack_top = stack_top & ~(uintptr_t)15,
		.self = self,
		.idx = idx,
	};
	cpu_mpidr[idx] = hwid & MPIDR_HWID_MASK;
	/* The new CPU reads the record with its caches on, so coherency
	 * covers it; the barrier orders the writes before the call. VA = PA
	 * in the boot map, so addresses are physical as PSCI wants them. */
	dsb(ish);
	err = psci_cpu_on(hwid & MPIDR_HWID_MASK, (uintptr_t)secondary_entry,
			  (uintptr_t)&start_records[idx]);
	if (err < 0)
		start_records[idx].self = NULL; /* no IPIs to it */
	return err;
}

void aarch64_secondary_main(unsigned long idx)
{
	aarch64_percpu_init((unsigned int)idx);
	/* Take SErrors, as the boot CPU does from arch_cpu_init. */
	__asm__ __volatile__("msr daifclr, #4" ::: "memory");
	irqchip->init_cpu(); /* GICv2 CPU interface, or GICv3 redistributor + ICC */
	aarch64_timer_init_cpu(); /* this CPU's timer PPI */
	kernel_secondary_main((unsigned int)idx);
}

/* To the boot CPU, or to a secondary that CPU_ON accepted. */
void arch_ipi_send(unsigned int idx)
{
	if (idx < MAX_CPUS &&
	    (idx == 0 || __atomic_load_n(&start_records[idx].self, __ATOMIC_RELAXED)))
		irqchip_send_ipi(AARCH64_IPI_SGI, cpu_mpidr[idx]);
}
