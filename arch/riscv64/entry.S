/* SPDX-License-Identifier: MIT */
/*
 * riscv64: the first instructions. OpenSBI enters here in S-mode with the MMU
 * off, a0 = this hart's id and a1 = the device tree (SBI v1.0 §4, and the
 * Linux RISC-V boot protocol). The image starts with a Linux RISC-V Image
 * header (Documentation/riscv/boot-image-header.rst), so that U-Boot booti
 * accepts the same bytes; its first instruction jumps over the header.
 */
#include <arch/asm.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include "asm_offsets.h"

#define BOOT_STACK_SIZE (64 * 1024)

	.section .text.head, "ax", %progbits
	.option push
	.option norvc
/* Image header: 64 bytes, little-endian. */
FUNC(_image_header)
	j	_start			/* code0 */
	.word	0			/* code1 */
	.dword	0x200000		/* text_offset: 2 MiB above the start of RAM */
	.dword	__image_size		/* image_size, including bss */
	.dword	0			/* flags: bit 0 clear = little-endian kernel */
	.word	2			/* version 0.2 */
	.word	0			/* res1 */
	.dword	0			/* res2 */
	.ascii	"RISCV\0\0\0"		/* magic (deprecated since 0.2, still checked by some) */
	.ascii	"RSC\x05"		/* magic2 */
	.word	0			/* res3: no PE/COFF header */
END(_image_header)
	.option pop

/* void _start(unsigned long hartid, const void *dtb) */
FUNC(_start)
	/* Interrupts stay off until the kernel has its vectors. */
	csrw	sie, zero
	csrci	sstatus, SSTATUS_SIE

	/*
	 * Only one hart runs the boot. OpenSBI's HSM keeps the others
	 * stopped, but firmware without HSM releases every hart here: the
	 * losers of this lottery go back to the firmware (.Llost_lottery).
	 * The counter is in .data, which nobody clears.
	 */
	lla	t0, boot_lottery
	li	t1, 1
	amoadd.w t1, t1, (t0)
	bnez	t1, .Llost_lottery

	/*
	 * The image is linked to run at 0x80200000, where OpenSBI and QEMU
	 * put it. U-Boot booti runs it where it was loaded (kernel_addr_r),
	 * so move it first: the loaded bytes (up to _edata) go to the link
	 * address, then jump there. Everything up to the jump is PC-relative.
	 * Boards without RAM at 0x80200000 need a position-independent image.
	 */
	lla	t0, __executable_start	/* where we run */
	ld	t1, .Llink_base		/* where we are linked */
	beq	t0, t1, .Lrelocated
	lla	t2, _edata
	sub	t2, t2, t0		/* bytes to copy, a multiple of 8 */
	sub	t5, t1, t0		/* how far the code moves */
	bltu	t1, t0, 2f
	/* Moving up: copy backwards, in case the two ranges overlap. */
	add	t0, t0, t2
	add	t1, t1, t2
1:	beqz	t2, 3f
	addi	t0, t0, -8
	addi	t1, t1, -8
	ld	t3, 0(t0)
	sd	t3, 0(t1)
	addi	t2, t2, -8
	j	1b
2:	beqz	t2, 3f
	ld	t3, 0(t0)
	sd	t3, 0(t1)
	addi	t0, t0, 8
	addi	t1, t1, 8
	addi	t2, t2, -8
	j	2b
3:	fence.i				/* the copied code is what runs next */
	lla	t0, .Lrelocated
	add	t0, t0, t5
	jr	t0

.Lrelocated:
	/*
	 * The FPU is on (FS = Initial) for all code, because newlib's printf
	 * uses floating point; trap entry switches it off while the kernel
	 * handles a trap (vectors.S).
	 */
	li	t0, SSTATUS_FS
	csrc	sstatus, t0
	li	t0, SSTATUS_FS_INITIAL
	csrs	sstatus, t0
	fscsr	zero

	lla	sp, boot_stack_top
	/* tp is the per-CPU pointer (arch_cpu_set_self); none until the
	 * kernel sets it, rather than whatever the firmware left. */
	li	tp, 0
	mv	s1, a0
	mv	s2, a1

	/* Clear bss (the boot stack is in it, unused so far). */
	lla	t0, __bss_start
	lla	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	/* A zero frame pointer and return address end every backtrace. */
	mv	a0, s1
	mv	a1, s2
	li	fp, 0
	li	ra, 0
	call	boot_entry		/* boot/riscv64/boot.c; never returns */
	j	park

/*
 * Not the boot hart. Firmware without HSM releases every hart here, and
 * those park. But OpenSBI up to 1.1 can also send here a hart that
 * arch_cpu_start is starting: its hart_start marks the hart START_PENDING
 * before it stores the new start address and argument, so a hart that wakes
 * in between leaves through the old ones, the boot entry (later releases
 * store them first, lib/sbi/sbi_hsm.c). That hart finds its boot record
 * (smp.c) by hart id, and starts as asked after all.
 */
.Llost_lottery:
	ld	t0, .Lboot_records	/* by link address: this may be an unmoved copy */
	li	t1, BOOT_RECORDS
1:	ld	t2, BOOT_REC_HARTID(t0)
	bne	t2, a0, 2f
	/* Claim it atomically: arch_cpu_start may be taking it back. */
	addi	t3, t0, BOOT_REC_PENDING
	amoswap.d.aqrl t2, zero, (t3)
	beqz	t2, 2f
	mv	a1, t0
	j	riscv_secondary_entry
2:	addi	t0, t0, BOOT_REC_SIZE
	addi	t1, t1, -1
	bnez	t1, 1b
	j	park
END(_start)

	.balign 8
.Llink_base:
	.dword	__executable_start
.Lboot_records:
	.dword	riscv_boot_records

/* Hand a hart that has nothing to do back to the firmware. */
FUNC(park)
	csrw	sie, zero
	li	a7, SBI_EXT_HSM
	li	a6, 1			/* hart_stop */
	ecall
1:	wfi
	j	1b
END(park)

/*
 * void riscv_secondary_entry(unsigned long hartid, struct riscv_boot_record *rec)
 * A secondary hart, started by arch_cpu_start through SBI HSM hart_start
 * (SBI v1.0 §9.1): S-mode, MMU off, interrupts disabled. Turns on the
 * kernel's page tables first, since its stack is in the stack region, which
 * only they map (the image is at VA = PA in them, so this code runs on
 * unchanged). Then takes its stack and per-CPU pointer from the record,
 * turns on the FPU as _start does, and enters riscv_secondary_main(idx) in
 * smp.c.
 */
FUNC(riscv_secondary_entry)
	csrw	sie, zero
	csrci	sstatus, SSTATUS_SIE
	li	t0, SSTATUS_FS
	csrc	sstatus, t0
	li	t0, SSTATUS_FS_INITIAL
	csrs	sstatus, t0
	fscsr	zero

	ld	t0, BOOT_REC_SATP(a1)
	csrw	satp, t0
	sfence.vma

	ld	sp, BOOT_REC_STACK_TOP(a1)
	ld	tp, BOOT_REC_SELF(a1)
	ld	a0, BOOT_REC_IDX(a1)
	sd	zero, BOOT_REC_PENDING(a1)	/* arrived: no other entry may take it */
	li	fp, 0
	li	ra, 0
	call	riscv_secondary_main	/* never returns */
	j	park
END(riscv_secondary_entry)

	.section .data
	.balign 4
boot_lottery:
	.word	0

	.section .bss.boot_stack, "aw", %nobits
	.balign 16
boot_stack:
	.skip	BOOT_STACK_SIZE
boot_stack_top:
