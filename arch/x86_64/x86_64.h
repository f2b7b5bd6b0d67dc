/* SPDX-License-Identifier: MIT */
/* x86_64: private interfaces between the files of arch/x86_64. */
#ifndef WEFT_ARCH_X86_64_PRIVATE_H
#define WEFT_ARCH_X86_64_PRIVATE_H

/* GDT selectors (cpu.c). Each CPU has a TSS descriptor of its own (16
 * bytes in long mode): LTR marks it busy, so no two CPUs can share one. */
#define X86_KERNEL_CS 0x08
#define X86_KERNEL_DS 0x10
#define X86_TSS_SEL(idx) (0x18 + 16 * (idx))

/* Interrupt stack table slots (TSS.IST1..7, SDM vol. 3 §6.14.5). Every
 * vector runs on one: see the comment at the top of trap.c. The first
 * X86_ARCH_STACKS are the arch's own, each above a guard page (mmu.c); the
 * interrupt stack is the kernel's trap stack (arch_cpu_set_trap_stack). */
#define X86_IST_DF 1 /* double fault; also the emergency stack for reports */
#define X86_IST_NMI 2
#define X86_IST_MC 3 /* machine check */
#define X86_IST_EXC 4 /* every other exception: page faults included */
#define X86_IST_IRQ 5 /* external interrupts, the timer included */
#define X86_IST_STACKS 5
#define X86_ARCH_STACKS 4
#define X86_IST_STACK_SIZE (16 * 1024)

/* Upper half (mmu.c): the stack region, then the arch's stacks. */
#define STACK_REGION_BASE 0xffff800000000000ull

/* Size of struct trap_frame, which vectors.S builds on the stack. */
#define TRAP_FRAME_SIZE (22 * 8)

/* Distance between the entry stubs of two vectors (vectors.S). */
#define X86_VECTOR_STUB_SIZE 16

#ifndef __ASSEMBLY__

#include <stdint.h>

#include <kernel/sched.h>
#include "asm_offsets.h"

struct boot_info;

/* The 64-bit TSS (SDM vol. 3 §7.7): only the IST pointers matter, as
 * nothing runs in ring 3. */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

/*
 * Per-CPU state of the arch, one block per CPU number, found from the
 * struct cpu that GS points at (smp.c): its `arch` is this block.
 */
struct x86_percpu {
	struct cpu *cpu; /* whose `arch` this is */
	uint64_t timer_deadline; /* timer.c: the armed TSC deadline, 0 when none */
	uint32_t apic_id;
	bool online; /* its local APIC takes interrupts: a target for IPIs */
	uintptr_t ist_top[X86_IST_STACKS]; /* what gdt_load puts in the TSS */
	uintptr_t exc_lo, exc_hi; /* the X86_IST_EXC stack, a guard page below */
	uintptr_t trap_lo, trap_hi; /* the trap stack (X86_IST_IRQ), 0 until set */
	uintptr_t trap_guard_lo; /* its unmapped guard: [trap_guard_lo, trap_lo) */
	paddr_t spare[2]; /* zeroed pages for the stack region's tables (mmu.c) */
	uint32_t tlb_state; /* X86_TLB_*: halted, and whether to flush on wakeup */
	unsigned int nspare;
	struct tss tss;
} __attribute__((aligned(64)));

extern struct x86_percpu x86_percpus[MAX_CPUS];

/* The running CPU's block. */
static inline struct x86_percpu *x86_this_percpu(void)
{
	struct x86_percpu *pc;

	__asm__ __volatile__("movq %%gs:%c1, %0" : "=r"(pc) : "i"(CPU_ARCH));
	return pc;
}

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

/* trap.c: build the IDT (once, on the boot CPU) and load it on this CPU. */
void x86_idt_init(void);
void x86_idt_load(void);

/* cpu.c: everything arch_cpu_init does for the boot CPU, for secondary
 * CPU `idx` (whose per-CPU block and IST stacks are ready): FPU, GDT and
 * its TSS, IDT, local APIC and timer. Interrupts disabled. */
void x86_cpu_init_secondary(unsigned int idx);

/* smp.c: send INIT to every CPU but this one, which stops them wherever the
 * firmware left them until arch_cpu_start sends them start-up IPIs. */
void x86_smp_park(const struct boot_info *bi);

/* smp.c: copy the start-up trampoline for the other CPUs into its pages
 * (after x86_mmu_init) and record the boot CPU's APIC id. */
void x86_smp_init(const struct boot_info *bi);

/* smp.c: the first C code of a secondary CPU, called by the trampoline
 * (entry.S) on its scheduler stack, with `boot` (struct x86_ap_boot) in
 * the trampoline's pages. Interrupts disabled. */
struct x86_ap_boot;
__noreturn void x86_ap_main(struct x86_ap_boot *boot);

/* entry.S: the start-up trampoline, copied to x86_ap_trampoline_page. It
 * ends with a list of 32-bit words (x86_ap_trampoline_fixups up to
 * x86_ap_trampoline_end), each the offset of a 32-bit word in the code to
 * which the physical address of the copy must be added. */
extern const char x86_ap_trampoline[], x86_ap_trampoline_fixups[], x86_ap_trampoline_end[];

/* mmu.c: map CPU `idx`'s X86_ARCH_STACKS stacks, with guard pages, into
 * pc->ist_top (and its TSS). 0 or -ENOMEM. */
int x86_arch_stacks_alloc(unsigned int idx);

/* mmu.c: flush [va, va + npages pages) from every online CPU's TLB, or
 * everything when npages is 0, and wait until they have. Holds no lock;
 * the caller holds none that a CPU may wait for with interrupts off. */
void x86_tlb_shootdown(uint64_t va, uint64_t npages);

/* x86_percpu.tlb_state: running, or halted in arch_cpu_wait_irq, where a
 * shootdown only marks it to flush its whole TLB when it wakes up. */
#define X86_TLB_RUNNING 0
#define X86_TLB_IDLE 1
#define X86_TLB_IDLE_FLUSH 2

/* mmu.c: this CPU is awake (out of HLT, or in a trap taken there): flush
 * its TLB if a shootdown asked it to. Interrupts disabled. */
void x86_tlb_wakeup(struct x86_percpu *pc);

/* mmu.c: X86_VEC_SHOOTDOWN: carry out the requests sent to this CPU.
 * Interrupts disabled. */
void x86_tlb_shootdown_serve(void);

/* entry.S: call fn(arg) on the stack ending at `top`, and come back. */
void x86_call_on_stack(void (*fn)(void *arg), void *arg, uintptr_t top);

/* mmu.c: map the page at `pa` read-only and executable (the trampoline,
 * once written), in place of its read/write, non-executable mapping. */
void x86_mmu_map_text_page(paddr_t pa);

/* cpu.c: bytes that XSAVE writes for the enabled state components, or 0
 * when the FPU state is saved with FXSAVE (512 bytes). Read by switch.S. */
extern uint32_t x86_xsave_size;

/* trap.c: called by vectors.S for every vector, interrupts disabled. */
void x86_trap(struct trap_frame *tf);

/* mmu.c: build the boot page tables (identity map of RAM, the image with
 * per-section permissions, MMIO from ACPI) in .bss and switch to them;
 * arch_mmu_init replaces them. */
void x86_mmu_init(const struct boot_info *bi);

/* timer.c: measure the TSC (and, without TSC-deadline mode, the local APIC
 * timer) against a known clock. Called once by arch_cpu_init. */
void x86_timer_calibrate(void);

/* timer.c: the local APIC timer interrupt. */
void x86_timer_irq(void);

/* switch.S: where the interrupt exit sends a task to be preempted, with
 * the interrupted rip pushed below the red zone (trap.c). */
void x86_preempt_trampoline(void);

#endif /* __ASSEMBLY__ */

#endif
