/* SPDX-License-Identifier: MIT */
/*
 * x86-64 (x86_64 and hosted): read-modify-write instructions without the
 * LOCK prefix, for kernel/cpu.h's single_cpu. An instruction is never split
 * by an interrupt (or, on hosted, a signal), so each is atomic against this
 * CPU's interrupts, though not against other CPUs, and several times
 * cheaper than its locked form.
 */
#ifndef WEFT_ARCH_COMMON_X86_LOCAL_RMW_H
#define WEFT_ARCH_COMMON_X86_LOCAL_RMW_H

#include <stdbool.h>

#define ARCH_HAS_LOCAL_RMW 1

/* Subtract 1 from *p and return whether it was 0. */
static inline bool arch_dec_local(unsigned int *p)
{
	bool borrow;

	__asm__ __volatile__("subl $1, %1" : "=@ccc"(borrow), "+m"(*p) : : "memory");
	return borrow;
}

/* Add 1 to *p and return the sign of the sum (-1, 0 or 1). */
static inline int arch_inc_local(unsigned int *p)
{
	bool zero, neg;

	__asm__ __volatile__("addl $1, %2" : "=@ccz"(zero), "=@ccs"(neg), "+m"(*p) : : "memory");
	return zero ? 0 : neg ? -1 : 1;
}

#endif
