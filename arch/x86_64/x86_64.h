/* SPDX-License-Identifier: MIT */
/* x86_64: private interfaces between the files of arch/x86_64. */
#ifndef WEFT_ARCH_X86_64_PRIVATE_H
#define WEFT_ARCH_X86_64_PRIVATE_H

/* GDT selectors (cpu.c). */
#define X86_KERNEL_CS 0x08
#define X86_KERNEL_DS 0x10
#define X86_TSS_SEL 0x18

/* Interrupt stack table slots (TSS.IST1..7, SDM vol. 3 §6.14.5). Every
 * vector runs on one: see the comment at the top of trap.c. */
#define X86_IST_DF 1 /* double fault */
#define X86_IST_NMI 2
#define X86_IST_MC 3 /* machine check */
#define X86_IST_EXC 4 /* every other exception */
#define X86_IST_IRQ 5 /* external interrupts, the timer included */

/* Size of struct trap_frame, which vectors.S builds on the stack. */
#define TRAP_FRAME_SIZE (22 * 8)

/* Distance between the entry stubs of two vectors (vectors.S). */
#define X86_VECTOR_STUB_SIZE 16

#ifndef __ASSEMBLY__

#include <stdint.h>

struct boot_info;

/*
 * Registers saved on trap entry. vectors.S pushes the general registers
 * (rax first, r15 last) below the vector number and the error code (0 when
 * the CPU pushes none), which sit below the CPU's own frame (SDM vol. 3
 * §6.14.2).
 */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* vectors.S: 256 entry stubs, X86_VECTOR_STUB_SIZE bytes apart. */
extern const char x86_vector_stubs[];

/* trap.c: build the IDT and load it on this CPU. */
void x86_idt_init(void);

/* trap.c: called by vectors.S for every vector, interrupts disabled. */
void x86_trap(struct trap_frame *tf);

/* mmu.c: build the kernel's page tables (identity map of RAM, the image
 * with per-section permissions, MMIO from ACPI) and switch to them. */
void x86_mmu_init(const struct boot_info *bi);

/* timer.c: measure the TSC (and, without TSC-deadline mode, the local APIC
 * timer) against a known clock. Called once by arch_cpu_init. */
void x86_timer_calibrate(void);

/* timer.c: the local APIC timer interrupt. */
void x86_timer_irq(void);

#endif /* __ASSEMBLY__ */

#endif
