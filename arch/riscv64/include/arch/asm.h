/* SPDX-License-Identifier: MIT */
/* riscv64: assembly helpers (FUNC/END), so that every routine has a symbol type and size. */
#ifndef WEFT_ARCH_RISCV64_ASM_H
#define WEFT_ARCH_RISCV64_ASM_H

#ifdef __ASSEMBLY__

/* A global function; stvec and the C ABI need 4-byte alignment at most. */
#define FUNC(name)             \
	.globl name;           \
	.type name, @function; \
	.balign 4;             \
name:

#define END(name) .size name, .- name

#endif

#endif
