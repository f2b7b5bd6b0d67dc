/* SPDX-License-Identifier: MIT */
/*
 * x86-64 (x86_64 and hosted): the GS base of each CPU is its struct cpu
 * (arch_cpu_set_self), so one GS-relative instruction reads or updates a
 * field of the running CPU's. An instruction is never split by an interrupt
 * or, on hosted, a signal, so the task cannot move to another CPU between
 * finding its CPU and using it: the preemption count is raised with one
 * INC, where other arches mask interrupts around a load and a store.
 */
#ifndef WEFT_ARCH_COMMON_X86_CPU_OPS_H
#define WEFT_ARCH_COMMON_X86_CPU_OPS_H

#include <stdbool.h>
#include <stddef.h>

#define ARCH_HAS_CPU_OPS 1

/* This CPU's struct cpu: its first word (struct cpu's self). Volatile, so
 * that the compiler never reuses a value read before a point where the
 * task may have moved to another CPU. */
static inline struct cpu *arch_cpu_self(void)
{
	struct cpu *c;

	__asm__ __volatile__("movq %%gs:0, %0" : "=r"(c));
	return c;
}

/* The running CPU's `field` of struct cpu (the comma drops qualifiers). */
#define arch_cpu_load(field)                                            \
	({                                                              \
		__typeof__((void)0, ((struct cpu *)0)->field) v_;       \
		__asm__ __volatile__("mov %%gs:%c1, %0"                 \
				     : "=r"(v_)                         \
				     : "i"(offsetof(struct cpu, field)) \
				     : "memory");                       \
		v_;                                                     \
	})

/* The int fields that INCL and DECL update. */
#define arch_cpu_int_offset(field)                                              \
	(__builtin_choose_expr(sizeof(((struct cpu *)0)->field) == sizeof(int), \
			       offsetof(struct cpu, field), (void)0))

/* Add 1 to the running CPU's int `field`. */
#define arch_cpu_inc(field) \
	__asm__ __volatile__("incl %%gs:%c0" : : "i"(arch_cpu_int_offset(field)) : "memory")

/* Subtract 1 from the running CPU's int `field`; true if it became 0. */
#define arch_cpu_dec(field)                                            \
	({                                                             \
		bool z_;                                               \
		__asm__ __volatile__("decl %%gs:%c1"                   \
				     : "=@ccz"(z_)                     \
				     : "i"(arch_cpu_int_offset(field)) \
				     : "memory");                      \
		z_;                                                    \
	})

#endif
