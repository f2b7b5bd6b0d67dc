/* SPDX-License-Identifier: MIT */
/* x86_64: FUNC/END for assembly entry points, so that backtraces and objdump name them. */
#ifndef WEFT_ARCH_X86_64_ASM_H
#define WEFT_ARCH_X86_64_ASM_H

#ifdef __ASSEMBLY__

/* Hidden like the C code (-fvisibility=hidden): references stay PC-relative
 * instead of going through the GOT of the shared-object link. */
#define FUNC(name)             \
	.globl name;           \
	.hidden name;          \
	.type name, @function; \
	.balign 16;            \
name:

#define END(name) .size name, .- name

#endif /* __ASSEMBLY__ */

#endif
