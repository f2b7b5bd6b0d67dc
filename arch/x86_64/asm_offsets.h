/* SPDX-License-Identifier: MIT */
/*
 * x86_64: byte offsets and layout constants that the assembly uses, each
 * checked against its C layout with _Static_assert in smp.c (struct
 * arch_context, struct x86_ap_boot, struct x86_percpu).
 */
#ifndef WEFT_ARCH_X86_64_ASM_OFFSETS_H
#define WEFT_ARCH_X86_64_ASM_OFFSETS_H

/* struct arch_context (include/arch/arch_inline.h) */
#define CTX_RSP 0
#define CTX_RBX 8
#define CTX_RBP 16
#define CTX_R12 24
#define CTX_R13 32
#define CTX_R14 40
#define CTX_R15 48
#define CTX_MXCSR 56
#define CTX_FPUCW 60

/* struct cpu (kernel/cpu.h), which GS points at on every CPU. */
#define CPU_SELF 0 /* struct cpu *: what arch_cpu_self() reads */
#define CPU_ARCH 8 /* struct x86_percpu *: what x86_this_percpu() reads */

/*
 * The start-up trampoline for secondary CPUs (entry.S, smp.c): three pages
 * below 1 MiB, allocated by the boot stub. Page 0 holds the code (read-only
 * and executable once smp.c has copied it in), page 1 a copy of the boot
 * CPU's top-level page table (CR3 must be below 4 GiB while the CPU is
 * still in 32-bit mode), page 2 struct x86_ap_boot.
 */
#define AP_TRAMPOLINE_PAGES 3
#define AP_PML4_OFF 0x1000
#define AP_BOOT_OFF 0x2000

/* struct x86_ap_boot (smp.c) */
#define AP_CR3 0 /* the kernel's page tables */
#define AP_CR4 8
#define AP_EFER 16 /* LME and NXE set */
#define AP_ENTRY 24 /* x86_ap_main */
#define AP_STACK_TOP 32
#define AP_SELF 40
#define AP_IDX 48
#define AP_CR0 52 /* paging and protection on, caches on */
#define AP_TEMP_CR3 56 /* page 1's physical address */
#define AP_ACK 60 /* set by the CPU once it has read this */
#define AP_BOOT_SIZE 64

/* Selectors of the trampoline's own GDT (entry.S). */
#define AP_CS32 0x08
#define AP_DS32 0x10
#define AP_CS64 0x18

#endif
