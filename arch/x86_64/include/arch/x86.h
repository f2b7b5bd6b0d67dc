/* SPDX-License-Identifier: MIT */
/*
 * x86_64: CPU instructions as inline functions (CPUID, MSRs, control
 * registers, port I/O, TSC), the interrupt vectors Weft uses, and what the
 * boot stub (boot/x86_64) and the x86 drivers need from arch/x86_64.
 */
#ifndef WEFT_ARCH_X86_64_X86_H
#define WEFT_ARCH_X86_64_X86_H

#include <stdbool.h>
#include <stdint.h>

#include <kernel/types.h>

/* ---- interrupt vectors (0-31 are the CPU's exceptions) ---- */

#define X86_VEC_TIMER 0xf0 /* the local APIC timer: a high priority class */
#define X86_VEC_IPI 0xf1 /* arch_ipi_send: kernel_ipi() on the target */
#define X86_VEC_SHOOTDOWN 0xf2 /* TLB shootdown (arch/x86_64/mmu.c) */
#define X86_VEC_SPURIOUS 0xff /* the local APIC's spurious vector (low 4 bits set) */

/* ---- MSRs (SDM vol. 4) ---- */

#define MSR_IA32_APIC_BASE 0x0000001b
#define MSR_IA32_TSC_DEADLINE 0x000006e0
#define MSR_IA32_EFER 0xc0000080
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define MSR_IA32_GS_BASE 0xc0000101

/* ---- control register bits (SDM vol. 3 §2.5) ---- */

#define CR0_MP (1ul << 1)
#define CR0_EM (1ul << 2)
#define CR0_TS (1ul << 3)
#define CR0_WP (1ul << 16)
#define CR4_PAE (1ul << 5)
#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)
#define CR4_LA57 (1ul << 12)
#define CR4_OSXSAVE (1ul << 18)

/* XCR0 state components (SDM vol. 1 §13.3) */
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)

static inline void x86_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	__asm__ __volatile__("cpuid"
			     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			     : "a"(leaf), "c"(subleaf));
}

/* Highest basic (0) or extended (0x80000000) CPUID leaf. */
static inline uint32_t x86_cpuid_max(uint32_t base)
{
	uint32_t r[4];

	x86_cpuid(base, 0, r);
	return r[0];
}

static inline uint64_t x86_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void x86_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ __volatile__("wrmsr"
			     :
			     : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			     : "memory");
}

/* The TSC, read after all earlier instructions have completed (LFENCE is
 * dispatch-serializing on Intel and on AMD with LFENCE serialization on),
 * so that a timestamp is not taken early. */
static inline uint64_t x86_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

#define X86_CR_ACCESSORS(n)                                                    \
	static inline uint64_t x86_read_cr##n(void)                            \
	{                                                                      \
		uint64_t v;                                                    \
		__asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v));          \
		return v;                                                      \
	}                                                                      \
	static inline void x86_write_cr##n(uint64_t v)                         \
	{                                                                      \
		__asm__ __volatile__("mov %0, %%cr" #n : : "r"(v) : "memory"); \
	}
X86_CR_ACCESSORS(0)
X86_CR_ACCESSORS(2)
X86_CR_ACCESSORS(3)
X86_CR_ACCESSORS(4)
#undef X86_CR_ACCESSORS

static inline uint8_t x86_inb(uint16_t port)
{
	uint8_t v;

	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint16_t x86_inw(uint16_t port)
{
	uint16_t v;

	__asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint32_t x86_inl(uint16_t port)
{
	uint32_t v;

	__asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void x86_outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void x86_outw(uint16_t port, uint16_t v)
{
	__asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void x86_outl(uint16_t port, uint32_t v)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void x86_xsetbv(uint32_t xcr, uint64_t v)
{
	__asm__ __volatile__("xsetbv" : : "c"(xcr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* ---- between boot/x86_64 and arch/x86_64 ---- */

/* Physical address of X86_AP_TRAMPOLINE_SIZE bytes of RAM below 1 MiB,
 * page-aligned, that the boot stub allocated from the firmware (and
 * reserved) for starting the other CPUs; 0 if it could not. Secondary CPUs
 * start in real mode there (SDM vol. 3 §8.4.4.1). */
#define X86_AP_TRAMPOLINE_SIZE (3 * 4096)
extern paddr_t x86_ap_trampoline_page;

/* entry.S: switch to the boot CPU's stack in .bss (the firmware's stack is
 * in boot-services memory, which is free RAM after ExitBootServices) and
 * call fn(arg), which must not return. Interrupts disabled. */
__noreturn void x86_call_on_boot_stack(__noreturn void (*fn)(void *arg), void *arg);

/* APIC id of the CPU running this, from CPUID (x2APIC id when the CPU has
 * leaf 0xb, else the 8-bit initial APIC id). */
uint32_t x86_cpu_apic_id(void);

/* Whether CPUID says this runs under a hypervisor (QEMU, KVM, ...). */
bool x86_hypervisor(void);

/* ---- for tests ---- */

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)

/* The leaf page-table entry that maps `va` in the kernel's tables and the
 * size it maps (4 KiB, 2 MiB or 1 GiB); 0 when `va` is unmapped. */
uint64_t x86_mmu_lookup(uintptr_t va, uint64_t *size);

/* How many page tables below the fixed PDPTs of the upper half (the stack
 * region and the arch's stacks) lead to `va`: 0, 1 (a page directory) or
 * 2 (and a page table). They come and go with what is mapped there. */
unsigned int x86_mmu_region_tables(uintptr_t va);

#endif
