/* SPDX-License-Identifier: MIT */
/*
 * riscv64: supervisor CSRs and their bits (RISC-V Privileged Architecture,
 * version 20211203, chapter 4), usable from C and assembly.
 */
#ifndef WEFT_ARCH_RISCV64_CSR_H
#define WEFT_ARCH_RISCV64_CSR_H

/* sstatus (§4.1.1) */
#define SSTATUS_SIE (1 << 1) /* interrupts enabled in S-mode */
#define SSTATUS_SPIE (1 << 5) /* SIE before the trap */
#define SSTATUS_SPP (1 << 8) /* the trap came from S-mode */
#define SSTATUS_FS (3 << 13) /* FPU state: Off, Initial, Clean, Dirty */
#define SSTATUS_FS_INITIAL (1 << 13)

/* sie / sip (§4.1.3) */
#define SIE_SSIE (1 << 1) /* software interrupt (IPI) */
#define SIE_STIE (1 << 5) /* timer interrupt */
#define SIE_SEIE (1 << 9) /* external interrupt (PLIC) */
#define SIP_SSIP SIE_SSIE /* sip has the pending bits at the same places */

/* Sstc extension: the S-mode timer compare register. */
#define CSR_STIMECMP 0x14d

/* scause (§4.1.9): exception codes, and interrupt codes with the top bit set. */
#define EXC_INSN_MISALIGNED 0
#define EXC_INSN_ACCESS 1
#define EXC_ILLEGAL_INSN 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_MISALIGNED 4
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_U 8
#define EXC_ECALL_S 9
#define EXC_INSN_PAGE_FAULT 12
#define EXC_LOAD_PAGE_FAULT 13
#define EXC_STORE_PAGE_FAULT 15

#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9

#ifndef __ASSEMBLY__

#define SCAUSE_INTERRUPT (1ul << 63)

/* satp (§4.1.11): translation mode and the root page table's page number. */
#define SATP_MODE_SV39 (8ul << 60)
#define SATP_MODE_MASK (15ul << 60)

#define __csr_str(x) #x
#define csr_str(x) __csr_str(x)

#define csr_read(csr)                                                                    \
	({                                                                               \
		unsigned long __v;                                                       \
		__asm__ __volatile__("csrr %0, " csr_str(csr) : "=r"(__v) : : "memory"); \
		__v;                                                                     \
	})

#define csr_write(csr, val) \
	__asm__ __volatile__("csrw " csr_str(csr) ", %0" : : "rK"(val) : "memory")

#define csr_set(csr, bits) \
	__asm__ __volatile__("csrs " csr_str(csr) ", %0" : : "rK"(bits) : "memory")

#define csr_clear(csr, bits) \
	__asm__ __volatile__("csrc " csr_str(csr) ", %0" : : "rK"(bits) : "memory")

#endif /* !__ASSEMBLY__ */

#endif
