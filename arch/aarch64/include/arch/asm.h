/* SPDX-License-Identifier: MIT */
/* aarch64: helpers for assembly files. */
#ifndef WEFT_ARCH_AARCH64_ASM_H
#define WEFT_ARCH_AARCH64_ASM_H

#ifdef __ASSEMBLY__
/* Assembler syntax, which clang-format would mangle. */
/* clang-format off */

/* A global function symbol with its type and size, so that backtraces and
 * objdump name it: FUNC(name) ... END(name). */
#define FUNC(name)                                                                            \
	.globl name;                                                                          \
	.type name, %function;                                                                \
	name:

#define END(name) .size name, .- name

/* A function visible only inside its file. */
#define LOCAL_FUNC(name)                                                                      \
	.type name, %function;                                                                \
	name:

/* reg = the address of sym, PC-relative (+-4 GiB), so correct before and after the MMU is on. */
.macro adr_l reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
.endm
/* clang-format on */

#endif

#endif
