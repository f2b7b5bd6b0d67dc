/* SPDX-License-Identifier: MIT */
/*
 * aarch64: layouts that assembly uses, checked against the C side with
 * _Static_assert in smp.c (struct arch_context, the secondary CPU start
 * record), trap.c (the preemption frame) and mmu_boot.c (struct mmu_regs).
 */
#ifndef WEFT_ARCH_AARCH64_ASM_OFFSETS_H
#define WEFT_ARCH_AARCH64_ASM_OFFSETS_H

/* struct arch_context (arch/arch_inline.h), saved by arch_ctx_switch. */
#define CTX_SP 0
#define CTX_X19 8 /* x19-x28, 8 bytes each */
#define CTX_FP 88
#define CTX_LR 96
#define CTX_D8 104 /* d8-d15, 8 bytes each */
#define CTX_FPCR 168
#define CTX_FPSR 176
#define CTX_SIZE 184

/*
 * The preemption frame that aarch64_preempt_trampoline (switch.S) builds on
 * the interrupted task's stack, just below the sp it was interrupted at,
 * lowest address first. The top 16 bytes, the interrupted pc and PSTATE,
 * are copied from struct aarch64_percpu (PCPU_PREEMPT_PC), where trap.c
 * left them.
 */
#define PF_FRAME 0 /* an AAPCS64 frame record {x29, pc}: backtraces go through */
#define PF_X(n) (16 + (n)*8) /* x0-x30 */
#define PF_FPCR 264
#define PF_FPSR 272
#define PF_Q(n) (288 + (n)*16) /* q0-q31, 16-byte aligned */
#define PF_ELR 800 /* the interrupted pc */
#define PF_SPSR 808 /* the interrupted PSTATE (SPSR_EL1 at the interrupt) */
#define PF_SIZE 816 /* a multiple of 16: sp stays aligned */

/* struct aarch64_start (smp.c): what PSCI CPU_ON hands a secondary CPU in x0. */
#define START_STACK_TOP 0
#define START_SELF 8
#define START_IDX 16

/* struct mmu_regs (arch/aarch64.h): the boot CPU's translation setup, which
 * secondaries copy with the MMU off. */
#define MMU_REGS_MAIR 0
#define MMU_REGS_TCR 8
#define MMU_REGS_TTBR0 16
#define MMU_REGS_SCTLR 24

#endif
