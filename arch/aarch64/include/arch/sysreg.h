/* SPDX-License-Identifier: MIT */
/*
 * aarch64: system register access and the register bits Weft uses, named as
 * in the register descriptions of the Arm Architecture Reference Manual for
 * A-profile (DDI 0487, "AArch64 System Register Descriptions").
 */
#ifndef WEFT_ARCH_AARCH64_SYSREG_H
#define WEFT_ARCH_AARCH64_SYSREG_H

#ifndef __ASSEMBLY__
#include <stdint.h>

/* Read / write a system register by name, or by its S<op0>_<op1>_C<n>_C<m>_<op2> encoding for
 * registers the assembler may not know (the GICv3 ICC_* registers). */
#define read_sysreg(reg)                                          \
	({                                                        \
		uint64_t v_;                                      \
		__asm__ __volatile__("mrs %0, " #reg : "=r"(v_)); \
		v_;                                               \
	})

#define write_sysreg(reg, val) \
	__asm__ __volatile__("msr " #reg ", %0" ::"r"((uint64_t)(val)) : "memory")

#define isb() __asm__ __volatile__("isb" ::: "memory")
#define dsb(opt) __asm__ __volatile__("dsb " #opt ::: "memory")
#define dmb(opt) __asm__ __volatile__("dmb " #opt ::: "memory")
#endif

/* CurrentEL: the exception level in bits [3:2]. */
#define CURRENTEL_EL2 (2 << 2)

/* DAIF: the IRQ mask bit. */
#define DAIF_I (1 << 7)

/* SCTLR_EL1. RES1 bits of Armv8.0 (11, 20, 22, 23, 28, 29), so that the value
 * written is the same on every core. */
#define SCTLR_EL1_M (1 << 0) /* stage 1 translation */
#define SCTLR_EL1_C (1 << 2) /* data caches */
#define SCTLR_EL1_SA (1 << 3) /* SP alignment check at EL1 */
#define SCTLR_EL1_I (1 << 12) /* instruction cache */
#define SCTLR_EL1_RES1 ((1 << 11) | (1 << 20) | (1 << 22) | (1 << 23) | (1 << 28) | (1 << 29))

/* CPACR_EL1: FPEN = 0b11, FP/SIMD not trapped at EL0 or EL1. */
#define CPACR_EL1_FPEN (3 << 20)

/* HCR_EL2: RW, EL1 is AArch64. (Assembly only: 1 << 31 overflows an int.) */
#define HCR_EL2_RW (1 << 31)

/* CNTHCTL_EL2: EL1PCTEN and EL1PCEN, the physical counter and timer not trapped. */
#define CNTHCTL_EL2_EL1PCTEN (1 << 0)
#define CNTHCTL_EL2_EL1PCEN (1 << 1)

/* CPTR_EL2 with HCR_EL2.E2H = 0: RES1 bits 0-7, 9, 12, 13; TZ (bit 8, SVE) and TFP (bit 10,
 * FP/SIMD) clear, so neither traps to EL2. */
#define CPTR_EL2_RES1 0x32ff

/* SPSR_EL2 for the drop to EL1: EL1h (SP_EL1), D, A, I and F masked. */
#define SPSR_EL1H_DAIF 0x3c5

/* ICC_SRE_EL2 (GICv3/v4 architecture specification, IHI 0069): SRE, system registers at EL2;
 * Enable, EL1 may use ICC_SRE_EL1 without trapping to EL2. */
#define ICC_SRE_EL2 S3_4_C12_C9_5
#define ICC_SRE_EL2_SRE (1 << 0)
#define ICC_SRE_EL2_ENABLE (1 << 3)

/* ID_AA64PFR0_EL1.GIC, bits [27:24]: GICv3 system registers present. */
#define ID_AA64PFR0_GIC_SHIFT 24

/* MPIDR_EL1: the affinity fields Aff3 [39:32] and Aff2..Aff0 [23:0]. */
#define MPIDR_HWID_MASK 0xff00ffffffull

/* ESR_EL1: exception class [31:26], instruction length bit 25, ISS [24:0]. */
#define ESR_EC_SHIFT 26
#define ESR_EC_MASK 0x3f
#define ESR_ISS_MASK 0x1ffffff

/* CNTV_CTL_EL0. */
#define CNTV_CTL_ENABLE (1 << 0) /* the timer fires when CNTVCT_EL0 >= CNTV_CVAL_EL0 */

#endif
