/* SPDX-License-Identifier: MIT */
/*
 * The image's own symbol table, for backtraces. The build links the image
 * twice: the second link carries a table generated (scripts/ksyms.sh) from the
 * first link's function symbols, in a section placed after all code so that
 * no function moves between the two links.
 */
#ifndef WEFT_KERNEL_KSYM_H
#define WEFT_KERNEL_KSYM_H

#include <stddef.h>
#include <stdint.h>

/* Name of the function containing `pc` and the offset into it, or NULL when
 * `pc` is outside every known function. */
const char *ksym_lookup(uintptr_t pc, uintptr_t *offset);

/* Address of a function by name, or 0; used by tests. */
uintptr_t ksym_address(const char *name);

#endif
