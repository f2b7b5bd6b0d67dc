/* SPDX-License-Identifier: MIT */
/*
 * aarch64: memory probes that return the fault instead of taking the
 * kernel down, so that tests can check what the page tables allow (a write
 * to text, a fetch from the heap, a read after unmap) in the same boot.
 * trap.c recognises a fault at these addresses before anything else and
 * resumes at aarch64_probe_fault with x0 = ESR_EL1 (never 0 for an abort).
 */
#include <arch/asm.h>

	.text

/* uint64_t aarch64_probe_read(uintptr_t addr, uint64_t *val)
 * 0 with *val = the 8 bytes at addr, or the ESR of the fault. */
FUNC(aarch64_probe_read)
	.globl	aarch64_probe_read_insn
aarch64_probe_read_insn:
	ldr	x2, [x0]
	str	x2, [x1]
	mov	x0, #0
	ret
END(aarch64_probe_read)

/* uint64_t aarch64_probe_write(uintptr_t addr, uint64_t val)
 * 0 once val is stored at addr, or the ESR of the fault. */
FUNC(aarch64_probe_write)
	.globl	aarch64_probe_write_insn
aarch64_probe_write_insn:
	str	x1, [x0]
	mov	x0, #0
	ret
END(aarch64_probe_write)

/* Where a faulting read or write probe resumes, x0 = the ESR. */
FUNC(aarch64_probe_fault)
	ret
END(aarch64_probe_fault)

/* uint64_t aarch64_probe_exec(uintptr_t addr)
 * Calls addr, which must hold a `ret`, with x0 = 0 (through x9, which trap.c
 * checks): 0 if it ran, or the ESR of the instruction abort. */
FUNC(aarch64_probe_exec)
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	mov	x9, x0
	mov	x0, #0
	blr	x9
	.globl	aarch64_probe_exec_ret
aarch64_probe_exec_ret:
	ldp	x29, x30, [sp], #16
	ret
END(aarch64_probe_exec)
