/* SPDX-License-Identifier: MIT */
/*
 * x86_64: the image's first instructions (its PE entry point), switches
 * to the boot stack and to other stacks, and the first instructions of the
 * other CPUs (the real-mode start-up trampoline).
 */
#include <arch/asm.h>
#include "asm_offsets.h"

/* As in arch/x86.h, which is C only. */
#define CR0_PE 0x1
#define CR4_PAE 0x20
#define MSR_IA32_EFER 0xc0000080

#define BOOT_STACK_SIZE (64 * 1024)

	.section .text.entry, "ax"

/*
 * EFI_STATUS x86_efi_entry(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);  (MS ABI: rcx, rdx)
 *
 * Clear .bss, then call GNU-EFI's crt0 (_start), which applies the image's
 * own relocations and calls efi_main(image, st) (boot/x86_64/efi.c). A PE
 * loader zero-fills the part of a section beyond its file data, but old
 * firmware did not, which is why GNU-EFI's own linker script folds .bss into
 * .data; clearing it here lets .bss take no room in the file.
 * rdi and rsi are callee-saved in the MS ABI and crt0 uses them: keep them
 * for the firmware in case efi_main returns an error.
 */
FUNC(x86_efi_entry)
	pushq	%rdi
	pushq	%rsi
	subq	$8, %rsp		/* _start is entered with rsp = 8 mod 16 */
	movq	%rcx, %r8
	movq	%rdx, %r9
	leaq	__bss_start(%rip), %rdi
	leaq	__bss_end(%rip), %rcx
	subq	%rdi, %rcx
	xorl	%eax, %eax
	cld
	rep stosb
	movq	%r8, %rcx
	movq	%r9, %rdx
	call	_start
	addq	$8, %rsp
	popq	%rsi
	popq	%rdi
	ret
END(x86_efi_entry)

	.text

/*
 * void x86_call_on_boot_stack(void (*fn)(void *arg), void *arg);  (never returns)
 *
 * Switch to the boot CPU's stack and call fn(arg). The zero frame pointer
 * ends backtraces here.
 */
FUNC(x86_call_on_boot_stack)
	leaq	boot_stack_top(%rip), %rsp
	xorl	%ebp, %ebp
	movq	%rdi, %rax
	movq	%rsi, %rdi
	call	*%rax
	ud2				/* fn returned */
END(x86_call_on_boot_stack)

/*
 * void x86_call_on_stack(void (*fn)(void *arg), void *arg, uintptr_t top);
 *
 * Call fn(arg) on the stack ending at `top`, and return to the caller's
 * stack. rbp still points to this function's frame record on the old
 * stack when fn is entered, so that a backtrace from fn reaches the caller.
 */
FUNC(x86_call_on_stack)
	pushq	%rbp
	movq	%rsp, %rbp
	andq	$-16, %rdx
	movq	%rdx, %rsp
	movq	%rdi, %rax
	movq	%rsi, %rdi
	call	*%rax
	movq	%rbp, %rsp
	popq	%rbp
	ret
END(x86_call_on_stack)

/*
 * The start-up trampoline of a secondary CPU (SDM vol. 3 §8.4.4, §9.8, §9.9).
 * smp.c copies it to x86_ap_trampoline_page, P below 1 MiB, adds P to each
 * word that the fixup list at its end names, and maps the copy read-only and
 * executable. A start-up IPI with vector P >> 12 starts the CPU in real
 * mode at P (CS = P >> 4, IP = 0) with interrupts off. It goes to 32-bit
 * protected mode with the trampoline's own GDT, turns on PAE, long mode and
 * paging with a copy of the boot CPU's top-level table below 4 GiB (page 1),
 * jumps to 64-bit code, switches to the kernel's page tables (which map this
 * page executable too) and the CPU's stack, and calls x86_ap_main(boot)
 * with boot = P + AP_BOOT_OFF (struct x86_ap_boot, smp.c).
 *
 * Everything is addressed relative to P: in real mode through DS = CS, then
 * through ebx = P. Nothing writes to the page (it is read-only once
 * mapped); the fixups are the only thing that differs per machine.
 */
	.section .rodata.ap_trampoline, "a"
	.balign	16
	.globl	x86_ap_trampoline
	.hidden	x86_ap_trampoline
x86_ap_trampoline:
	.code16
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	movzwl	%ax, %ebx
	shll	$4, %ebx			/* ebx = P */
	lgdtl	ap_gdtr - x86_ap_trampoline
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	*ap_far32 - x86_ap_trampoline

	.code32
ap_start32:
	movl	$AP_DS32, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	leal	AP_BOOT_OFF(%ebx), %esi
	/* Long mode: PAE, then EFER.LME (and NXE: the tables use NX), then
	 * paging, with CR3 below 4 GiB (SDM vol. 3 §9.8.5). The boot CPU's
	 * CR0 also clears the CD and NW bits that INIT set. */
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	AP_TEMP_CR3(%esi), %eax
	movl	%eax, %cr3
	movl	$MSR_IA32_EFER, %ecx
	movl	AP_EFER(%esi), %eax
	movl	AP_EFER + 4(%esi), %edx
	wrmsr
	movl	AP_CR0(%esi), %eax
	movl	%eax, %cr0
	ljmpl	*ap_far64 - x86_ap_trampoline(%ebx)

	.code64
ap_start64:
	movl	%esi, %esi			/* bits 63:32 are undefined after the switch */
	movq	AP_CR4(%rsi), %rax
	movq	%rax, %cr4
	movq	AP_CR3(%rsi), %rax
	movq	%rax, %cr3
	movq	AP_STACK_TOP(%rsi), %rsp
	xorl	%ebp, %ebp
	movq	%rsi, %rdi
	pushq	$0				/* no return address: backtraces end */
	jmpq	*AP_ENTRY(%rsi)

	/* The descriptors have their accessed bit set already: loading one
	 * that has not makes the CPU write it (SDM vol. 3 §3.4.5.1), and
	 * AP_CS64 is loaded with paging on, when the page is read-only. */
	.balign	8
ap_gdt:
	.quad	0
	.quad	0x00cf9b000000ffff		/* AP_CS32: 32-bit code, flat */
	.quad	0x00cf93000000ffff		/* AP_DS32: data, flat */
	.quad	0x00af9b000000ffff		/* AP_CS64: 64-bit code */
ap_gdt_end:
ap_gdtr:
	.word	ap_gdt_end - ap_gdt - 1
ap_gdtr_base:
	.long	ap_gdt - x86_ap_trampoline	/* + P */
ap_far32:
	.long	ap_start32 - x86_ap_trampoline	/* + P */
	.word	AP_CS32
ap_far64:
	.long	ap_start64 - x86_ap_trampoline	/* + P */
	.word	AP_CS64

	.balign	4
	.globl	x86_ap_trampoline_fixups
	.hidden	x86_ap_trampoline_fixups
x86_ap_trampoline_fixups:
	.long	ap_gdtr_base - x86_ap_trampoline
	.long	ap_far32 - x86_ap_trampoline
	.long	ap_far64 - x86_ap_trampoline
	.globl	x86_ap_trampoline_end
	.hidden	x86_ap_trampoline_end
x86_ap_trampoline_end:
	.code64

	.section .bss.boot_stack, "aw", @nobits
	.balign 4096
boot_stack:
	.skip	BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
