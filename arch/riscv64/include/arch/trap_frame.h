/* SPDX-License-Identifier: MIT */
/*
 * riscv64: struct trap_frame, the registers vectors.S saves on every trap,
 * and the byte offsets the assembly uses (checked against the struct in
 * trap.c).
 */
#ifndef WEFT_ARCH_RISCV64_TRAP_FRAME_H
#define WEFT_ARCH_RISCV64_TRAP_FRAME_H

#define TF_REG(n) ((n)*8) /* x<n>; slot 0 (x0) holds nothing */
#define TF_SEPC (32 * 8)
#define TF_SSTATUS (33 * 8)
#define TF_SCAUSE (34 * 8)
#define TF_STVAL (35 * 8)
#define TF_WALK_FP (36 * 8)
#define TF_SIZE (40 * 8) /* a multiple of 16: sp stays ABI-aligned */

#ifndef __ASSEMBLY__

#include <stdint.h>

struct trap_frame {
	uint64_t regs[32]; /* x0..x31 by number: regs[1] = ra, regs[2] = sp, regs[8] = s0/fp */
	uint64_t sepc; /* the trapping instruction (or where an interrupt resumes) */
	uint64_t sstatus; /* at the trap: SPP, SPIE and FS are what sret restores */
	uint64_t scause;
	uint64_t stval; /* faulting address, or the illegal instruction */
	/* Where a backtrace of this frame starts, when trap.c had to make up
	 * a frame record (a fault in a leaf function, see arch_frame_fp); 0
	 * means the saved s0. */
	uint64_t walk_fp;
	uint64_t walk_record[2]; /* that made-up record: caller's fp, return address */
	uint64_t pad;
};

#endif /* !__ASSEMBLY__ */

#endif
