/* SPDX-License-Identifier: MIT */
/* hosted: struct arch_context offsets used by switch.S, checked against the
 * C layout in smp.c. */
#ifndef WEFT_ARCH_HOSTED_ASM_OFFSETS_H
#define WEFT_ARCH_HOSTED_ASM_OFFSETS_H

#define CTX_RSP 0
#define CTX_RBX 8
#define CTX_RBP 16
#define CTX_R12 24
#define CTX_R13 32
#define CTX_R14 40
#define CTX_R15 48
#define CTX_MXCSR 56
#define CTX_FPUCW 60

#endif
