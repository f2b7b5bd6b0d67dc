/* SPDX-License-Identifier: MIT */
/*
 * riscv64: byte offsets that the assembly uses, each checked against its C
 * layout with _Static_assert (struct arch_context and struct
 * riscv_boot_record in smp.c, the preemption record and struct
 * riscv_trap_cpu in trap.c).
 */
#ifndef WEFT_ARCH_RISCV64_ASM_OFFSETS_H
#define WEFT_ARCH_RISCV64_ASM_OFFSETS_H

/* struct arch_context (include/arch/arch_inline.h) */
#define CTX_SP 0
#define CTX_RA 8
#define CTX_S(n) (16 + (n)*8) /* s0..s11 */
#define CTX_FS(n) (112 + (n)*8) /* fs0..fs11 */
#define CTX_FCSR 208

/* struct riscv_boot_record (smp.c): what a secondary hart starts with;
 * one per CPU number (MAX_CPUS of them). */
#define BOOT_REC_STACK_TOP 0
#define BOOT_REC_SELF 8
#define BOOT_REC_IDX 16
#define BOOT_REC_HARTID 24
#define BOOT_REC_PENDING 32
#define BOOT_REC_SATP 40 /* the kernel's page tables, loaded before the stack */
#define BOOT_REC_SIZE 48
#define BOOT_RECORDS 64

/*
 * The preemption record: 32 bytes that trap.c pushes below the interrupted
 * sp (16-byte aligned) before sending the task to riscv_preempt_trampoline.
 * Its upper half is a frame record ({fp, ra} just below a frame pointer),
 * so that a backtrace through the trampoline reaches the interrupted code.
 */
#define PREEMPT_REC_SP 0 /* the interrupted sp, restored last */
#define PREEMPT_REC_FP 16 /* the interrupted s0 */
#define PREEMPT_REC_PC 24 /* the interrupted pc, where sret resumes */
#define PREEMPT_REC_SIZE 32

/*
 * The trampoline's save area, below the record: x<n> at PF_X(n) (x0, sp and
 * tp have slots but are not saved), f<n> at PF_F(n), then fcsr.
 */
#define PF_X(n) ((n)*8)
#define PF_F(n) (256 + (n)*8)
#define PF_FCSR 512
#define PF_SIZE 528 /* a multiple of 16 */

/*
 * struct riscv_trap_cpu (trap.c): what the trap entry needs on each CPU,
 * found through sscratch, which always points at it (vectors.S).
 */
#define TC_SAVE_SP 0 /* the interrupted sp, t0 and t1, while the entry */
#define TC_SAVE_T0 8 /* has no register free to hold them */
#define TC_SAVE_T1 16
#define TC_DEPTH 24 /* traps in progress on this CPU */
#define TC_TOP 32 /* top of the trap stack; 0: trap on the current stack */
#define TC_OVF_LO 40 /* a nested trap with sp in [ovf_lo, ovf_lo + ovf_len) */
#define TC_OVF_LEN 48 /* overflowed the trap stack */
#define TC_OVERFLOW 56 /* set by the entry on the way to the emergency stack */
#define TC_SIZE 64

#endif
