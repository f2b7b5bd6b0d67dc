/* SPDX-License-Identifier: MIT */
/*
 * riscv64: fields of the running CPU's struct cpu, addressed from tp.
 *
 * tp holds this CPU's struct cpu and no switch saves or restores it
 * (arch_inline.h), so an instruction that names tp always reaches the CPU
 * it runs on: a task moved to another CPU between two instructions finds
 * that CPU's struct through tp in the second. A load is one instruction.
 * An update is three (load, add, store), and it is still safe without
 * masking interrupts, for the preemption count, which is all it is used
 * for:
 *  - an interrupt handler leaves the count as it found it, so a handler
 *    taken between the load and the store changes nothing;
 *  - the task is preempted only at count 0, and it always resumes (on
 *    whatever CPU) with that CPU's count at its own depth, 0, so the value
 *    it loaded before is still right for the store through the new tp;
 *  - from 1 down to 0, nothing can preempt it before the store.
 * Every access must name tp itself: a copy of tp in another register would
 * go stale when the task moves.
 */
#ifndef WEFT_ARCH_RISCV64_CPU_OPS_H
#define WEFT_ARCH_RISCV64_CPU_OPS_H

#include <stdbool.h>
#include <stddef.h>

#define ARCH_HAS_CPU_OPS 1

/* The offset of `field` in struct cpu, which tp-relative loads and
 * stores take as a 12-bit signed immediate. */
#define riscv_cpu_offset(field)                                                                 \
	(__builtin_choose_expr(offsetof(struct cpu, field) < 2048, offsetof(struct cpu, field), \
			       (void)0))

/* The running CPU's `field` of struct cpu (the comma drops qualifiers). */
#define arch_cpu_load(field)                                                          \
	({                                                                            \
		__typeof__((void)0, ((struct cpu *)0)->field) v_;                     \
		_Static_assert(sizeof(v_) == 8 || sizeof(v_) == 4 || sizeof(v_) == 1, \
			       "arch_cpu_load: a field of 1, 4 or 8 bytes");          \
		if (sizeof(v_) == 8)                                                  \
			__asm__ __volatile__("ld %0, %c1(tp)"                         \
					     : "=r"(v_)                               \
					     : "i"(riscv_cpu_offset(field))           \
					     : "memory");                             \
		else if (sizeof(v_) == 4)                                             \
			__asm__ __volatile__("lw %0, %c1(tp)"                         \
					     : "=r"(v_)                               \
					     : "i"(riscv_cpu_offset(field))           \
					     : "memory");                             \
		else                                                                  \
			__asm__ __volatile__("lbu %0, %c1(tp)"                        \
					     : "=r"(v_)                               \
					     : "i"(riscv_cpu_offset(field))           \
					     : "memory");                             \
		v_;                                                                   \
	})

/* The int fields that arch_cpu_inc and arch_cpu_dec update. */
#define riscv_cpu_int_offset(field)                                             \
	(__builtin_choose_expr(sizeof(((struct cpu *)0)->field) == sizeof(int), \
			       riscv_cpu_offset(field), (void)0))

/* Add `delta` (an immediate) to the running CPU's int `field`; the sum. */
#define riscv_cpu_add(field, delta)                                                 \
	({                                                                          \
		int t_;                                                             \
		__asm__ __volatile__("lw %0, %c1(tp)\n\t"                           \
				     "addiw %0, %0, %2\n\t"                         \
				     "sw %0, %c1(tp)"                               \
				     : "=&r"(t_)                                    \
				     : "i"(riscv_cpu_int_offset(field)), "i"(delta) \
				     : "memory");                                   \
		t_;                                                                 \
	})

/* Add 1 to the running CPU's int `field`. */
#define arch_cpu_inc(field) ((void)riscv_cpu_add(field, 1))

/* Subtract 1 from the running CPU's int `field`; true if it became 0. */
#define arch_cpu_dec(field) (riscv_cpu_add(field, -1) == 0)

#endif
