/* SPDX-License-Identifier: MIT */
/* hosted: assembly helpers. FUNC/END mark a function for backtraces and
 * objdump. */
#ifndef WEFT_ARCH_HOSTED_ASM_H
#define WEFT_ARCH_HOSTED_ASM_H

#define FUNC(name)             \
	.globl name;           \
	.type name, @function; \
name:

#define END(name) .size name, .- name

#endif
