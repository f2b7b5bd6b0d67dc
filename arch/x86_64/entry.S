/* SPDX-License-Identifier: MIT */
/* x86_64: the image's first instructions (its PE entry point), and the switch to the boot stack. */
#include <arch/asm.h>

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

	.section .bss.boot_stack, "aw", @nobits
	.balign 4096
boot_stack:
	.skip	BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
