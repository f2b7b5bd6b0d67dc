/* SPDX-License-Identifier: MIT */
/*
 * The arch contract: everything generic code needs from a CPU.
 *
 * Every arch in arch/<arch>/ implements every function declared here; a
 * missing one fails at link time. Small inline helpers (barriers, relax, IRQ
 * masking) come from <arch/arch_inline.h>, which the build finds through
 * -Iarch/$(ARCH)/include, never through an #ifdef.
 *
 * Unless a comment says otherwise, a function may be called with interrupts
 * in either state and does not block.
 */
#ifndef WEFT_ARCH_H
#define WEFT_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kernel/types.h>

struct boot_info;
struct cpu; /* kernel/include/kernel/sched.h: per-CPU scheduler state */
struct trap_frame; /* arch-defined: the registers saved on trap entry */

/* Inline part of the contract: arch_mb/rmb/wmb, arch_cpu_relax,
 * arch_irq_save/restore/enable/disable/enabled; arch_cpu_self() (this CPU's
 * struct cpu, read with one instruction); struct arch_context (what a
 * cooperative switch saves) and arch_ctx_fp(ctx), the frame pointer saved
 * in it, to walk a switched-out task's stack. */
#include <arch/arch_inline.h>

/* An arch whose per-CPU base register can address this CPU's struct cpu
 * (x86's GS, riscv64's tp) defines ARCH_HAS_CPU_OPS and, for kernel/cpu.h:
 * arch_cpu_load(f), field f of the running CPU's struct cpu, read with one
 * instruction; arch_cpu_inc(f), add 1 to int field f; and arch_cpu_dec(f),
 * subtract 1 and return whether it became 0. They are only used for the
 * preemption count, and must stay right if the task moves to another CPU
 * halfway: one instruction (x86), or instructions that each address the
 * CPU through the register itself, never a copy of it (riscv64). Elsewhere
 * the kernel masks interrupts around a load and a store. */

/* An arch whose read-modify-write instructions are atomic against this
 * CPU's interrupts, and cheaper, without their multi-CPU form (x86's LOCK
 * prefix) defines ARCH_HAS_LOCAL_RMW and, for kernel/cpu.h's single_cpu:
 * arch_dec_local(p), subtract 1 from *p and return whether it was 0; and
 * arch_inc_local(p), add 1 to *p and return the sign of the sum (-1, 0 or
 * 1). Elsewhere an AMO or a load-reserved/store-conditional pair is the
 * cheapest form, and the multi-CPU code is used. */

/* ---- cpu ---- */

/* Name of this arch, as in ARCH= ("riscv64", "aarch64", ...). */
extern const char arch_name[];

/* Find and register the console (kernel/include/kernel/console.h): from the
 * DTB's stdout-path, or the platform's fixed serial port. Called before
 * arch_cpu_init, so that early faults can be reported. */
void arch_console_init(const struct boot_info *bi);

/* One-time setup of the boot CPU: trap vectors, FPU, per-CPU state. Called
 * first thing by kernel_main, with interrupts disabled. May print. */
void arch_cpu_init(const struct boot_info *bi);

/* Atomically enable interrupts and wait for one; returns with interrupts
 * disabled again (after the pending handler has run). Called with interrupts
 * disabled, so that a wakeup between a check and the wait is never lost. */
void arch_cpu_wait_irq(void);

/* Power off, passing status to the machine where it can carry one (QEMU's
 * exit devices, or the host process's exit status). Never returns. */
__attribute__((noreturn)) void arch_system_off(int status);

/* Make `c` what arch_cpu_self() returns on this CPU. */
void arch_cpu_set_self(struct cpu *c);

/*
 * Start CPU `hwid` (secondary number `idx`) on a stack ending at
 * `stack_top`. Before anything else it makes `self` its arch_cpu_self();
 * then it sets up its own traps, FPU and timer, and calls
 * kernel_secondary_main(idx) with interrupts disabled. Returns 0 once the
 * firmware accepted the request, or a negative errno.
 */
int arch_cpu_start(unsigned int idx, uint64_t hwid, uintptr_t stack_top, struct cpu *self);

/* Interrupt CPU number `idx` (kernel_ipi() runs there). From any context. */
void arch_ipi_send(unsigned int idx);

/* ---- context switch ---- */

/*
 * Prepare `ctx` so that switching to it calls fn(arg) on the stack
 * [stack_lo, stack_hi) (it grows down from stack_hi), with interrupts in the
 * state the switcher had. fn must never return. stack_lo is for checkers
 * (hosted's sanitizers); a bare-metal arch may ignore it.
 */
void arch_ctx_init(struct arch_context *ctx, uintptr_t stack_lo, uintptr_t stack_hi,
		   void (*fn)(void *), void *arg);

/*
 * Save the callee-saved registers (integer and FP) and the stack pointer in
 * `save`, and continue from `load`. Returns when something switches back to
 * `save`, possibly on another CPU.
 */
void arch_ctx_switch(struct arch_context *save, const struct arch_context *load);

/*
 * Preemption. On the way out of an interrupt taken from task code, the arch
 * calls sched_preempt_on_irq_exit() (kernel/include/kernel/sched.h). When it
 * returns true, the arch makes the interrupted task save all of its integer
 * and FP/SIMD registers on its own stack, call kernel_preempt(), restore
 * them and resume exactly where it was interrupted (Go's asyncPreempt). The
 * per-CPU pointer (arch_cpu_self) is never restored from that save: the
 * task may resume on another CPU.
 */

/* ---- memory: page tables (kernel/include/kernel/mm.h) ---- */

/*
 * Build the kernel's page tables and switch this CPU to them. One address
 * space for everything, 4 KiB pages, and nothing both writable and
 * executable:
 *   - the image: text RX, rodata and .ksyms R+NX, the init arrays R+NX or
 *     RW+NX (as the linker script places them), data and bss up to _end
 *     RW+NX;
 *   - all RAM of bi->mem (outside the image) at VA = PA, RW+NX;
 *   - the devices the platform needs (UART, irqchip, ...) uncached, RW+NX;
 *   - nothing in the first page, so that NULL faults;
 *   - the stack region (arch_mmu_stack_region) empty: arch_mmu_map fills it.
 * Table pages come from mm_pages_alloc. CPUs started later with
 * arch_cpu_start use the same tables. Boot CPU, interrupts off, once; panics
 * when the tables cannot be allocated.
 */
void arch_mmu_init(const struct boot_info *bi);

/* The virtual range kept for task and per-CPU stacks: page-aligned, mapped
 * by nothing until arch_mmu_map. Valid after arch_mmu_init. */
void arch_mmu_stack_region(vaddr_t *base, size_t *size);

/*
 * Map physical page `pa` at `va` (page-aligned, in the stack region) as
 * RW+NX normal memory, on every CPU. The entry was unmapped, so no other
 * CPU needs a shootdown; a CPU that still faults on it finds it mapped
 * (kernel_page_fault returns true). Table pages come from
 * mm_page_alloc_atomic when `atomic` (the fault path), mm_pages_alloc
 * otherwise. Returns 0; -EEXIST, changing nothing, when `va` is mapped
 * already; or -ENOMEM when a table page is missing. Preemption off; does
 * not block.
 */
int arch_mmu_map(vaddr_t va, paddr_t pa, bool atomic);

/* A new stack slot [va, va + size) in the stack region is about to be used:
 * make sure every page of it faults until arch_mmu_map maps it. Nothing to
 * do where unmapped pages fault anyway (bare metal); hosted installs guard
 * pages. Preemption off. */
void arch_mmu_reserve(vaddr_t va, size_t size);

/*
 * Unmap `npages` pages from `va` (in the stack region) and store in pa[i]
 * what each mapped, or 0 where nothing was. When this returns, no CPU can
 * reach the old pages through `va` any more (TLB shootdown), so they may be
 * freed; page-table pages left empty are freed too. Task or scheduler
 * context, interrupts enabled on entry; may wait for the other CPUs.
 *
 * Callers of arch_mmu_map (not atomic) and arch_mmu_unmap have touched 8 KiB
 * of their stack below the call, so an arch may hold a lock across its
 * table walk without taking a fault on its own stack meanwhile. Callers
 * hold no lock that another CPU may spin on with interrupts off (the
 * shootdown would wait for that CPU forever).
 */
void arch_mmu_unmap(vaddr_t va, size_t npages, paddr_t *pa);

/*
 * arch_mmu_unmap without the shootdown, for freeing many stacks at once:
 * until arch_mmu_unmap_sync() returns, other CPUs may still reach the old
 * pages through `va`, so neither the pages in pa[] nor `va` may be reused
 * before then. Page-table pages it empties are freed by the sync. Same
 * context rules as arch_mmu_unmap; the sync must follow before the caller
 * blocks or returns to a task.
 */
void arch_mmu_unmap_nosync(vaddr_t va, size_t npages, paddr_t *pa);
void arch_mmu_unmap_sync(void);

/* Make sure [pa, pa + size) of device registers is mapped uncached, RW+NX,
 * at VA = PA (drivers call it before touching a BAR or a DTB `reg`).
 * 0, or -ENOMEM. Task context. */
int arch_mmu_map_device(paddr_t pa, size_t size);

/*
 * Take every trap (exception and interrupt) on this CPU on the stack
 * [lo, top) from now on, unless the trap came from that stack already (a
 * nested trap). The stack has an unmapped guard page below lo; a trap that
 * overflows into it must be reported through kernel_fault (on a small
 * emergency stack of the arch's), never hang or reset silently. Interrupts
 * off.
 */
void arch_cpu_set_trap_stack(uintptr_t lo, uintptr_t top);

/* For the pytest that checks the report: overflow this CPU's trap stack
 * (for instance by taking a trap with the stack pointer just above its
 * guard). Never returns. */
__attribute__((noreturn)) void arch_debug_trap_stack_overflow(void);

/* ---- time ---- */

/* Free-running monotonic counter, and its frequency in Hz. */
uint64_t arch_cycles(void);
uint64_t arch_cycles_hz(void);

/* Bring up this CPU's timer interrupt, masked until a deadline is set. */
void arch_timer_init(const struct boot_info *bi);

/* One-shot: call kernel_timer_tick() from interrupt context on this CPU once
 * arch_cycles() >= deadline. A deadline in the past fires at once. Replaces any
 * earlier deadline. Called with interrupts disabled. */
void arch_timer_set_deadline(uint64_t deadline);

/* Disarm this CPU's timer. Called with interrupts disabled. */
void arch_timer_cancel(void);

/* ---- entropy ---- */

/*
 * One 64-bit value from the CPU's random number instruction (x86 RDSEED or
 * RDRAND, riscv Zkr `seed`, aarch64 RNDR with FEAT_RNG), detected at run
 * time, never assumed; hosted uses getrandom(2). Returns false when the
 * CPU has none or it gave no value after a few tries. Called by
 * kernel/random.c in task context; it may probe the CPU on its first call.
 */
bool arch_random_seed(uint64_t *v);

/* ---- traps and stack walking ---- */

/* Print the registers of a trap frame, a few per line. */
void arch_frame_dump(const struct trap_frame *tf);

/* PC and frame pointer saved in a trap frame, to start a backtrace. */
uintptr_t arch_frame_pc(const struct trap_frame *tf);
uintptr_t arch_frame_fp(const struct trap_frame *tf);

/* Frame pointer of the caller of this function, to start a backtrace here. */
#define arch_current_fp() ((uintptr_t)__builtin_frame_address(0))

/*
 * One step of a frame-pointer walk (everything is built with
 * -fno-omit-frame-pointer): from the frame at *fp, read the return address
 * into *pc and the caller's frame into *fp. Returns false when *fp does not
 * look like a frame (NULL, misaligned, outside [lo, hi)), so that a corrupt
 * stack ends the walk instead of faulting.
 */
bool arch_frame_next(uintptr_t *fp, uintptr_t *pc, uintptr_t lo, uintptr_t hi);

/* ---- PCI: port I/O and message-signalled interrupts (drivers/pci) ---- */

/*
 * The x86 I/O port space (IN and OUT instructions), where x86 PCI I/O BARs
 * live. Only x86_64 has one: elsewhere drivers/pci reaches I/O BARs through
 * the host bridge's I/O window, which is memory, so these panic there (a
 * call is a bug). Any context.
 */
uint8_t arch_pio_read8(uint16_t port);
uint16_t arch_pio_read16(uint16_t port);
uint32_t arch_pio_read32(uint16_t port);
void arch_pio_write8(uint16_t port, uint8_t v);
void arch_pio_write16(uint16_t port, uint16_t v);
void arch_pio_write32(uint16_t port, uint32_t v);

/*
 * Message-signalled interrupts (PCI MSI and MSI-X), for drivers/pci: a new
 * interrupt number *irq, which arrives through kernel_irq(*irq) on the boot
 * CPU, and the message that raises it: a device writes the 32-bit `*data`
 * to the 64-bit address `*addr`. Returns 0; -ENOSPC when every number is
 * taken; -ENOTSUP where the platform takes no MSIs (riscv64 without an
 * IMSIC, aarch64 without an ITS or a GICv2m frame, hosted): the device then
 * uses INTx. Task context.
 */
int arch_msi_alloc(unsigned int *irq, uint64_t *addr, uint32_t *data);

/* Give back a number from arch_msi_alloc that no device will signal any
 * more and that has no handler (kernel/irq.c never removes one). */
void arch_msi_free(unsigned int irq);

/* ---- upcalls: implemented by the kernel, called by the arch ---- */

/* First C code with a stack, on the boot CPU, interrupts disabled. */
__attribute__((noreturn)) void kernel_main(const struct boot_info *bi);

/* A secondary CPU is up (see arch_cpu_start). */
__attribute__((noreturn)) void kernel_secondary_main(unsigned int idx);

/* This CPU's timer deadline passed. Interrupt context. */
void kernel_timer_tick(void);

/* Another CPU sent this one an IPI. Interrupt context. */
void kernel_ipi(void);

/* A device interrupt `irq` (the irqchip's number) arrived. Interrupt context. */
void kernel_irq(unsigned int irq);

/*
 * A page fault on an address that has no mapping (not a permission fault):
 * `write` for a store, `exec` for an instruction fetch. On a stack of the
 * CPU's own (its trap stack, or the arch's exception stack), never on the
 * faulting one, interrupts off. Returns true when the kernel mapped the page (a
 * task's stack grew) and the access must be retried; false when it was not
 * the kernel's to map, and the arch reports it with kernel_fault. Never
 * returns for a stack overflow: that is reported here.
 */
bool kernel_page_fault(struct trap_frame *tf, uintptr_t addr, bool write, bool exec);

/*
 * An exception the kernel did not expect (bad access, illegal instruction).
 * `cause` is a short human description, `addr` the faulting data or
 * instruction address when `has_addr`. Prints a report and exits non-zero.
 */
struct fault_info {
	const char *cause;
	uintptr_t addr;
	bool has_addr;
};
__attribute__((noreturn)) void kernel_fault(struct trap_frame *tf, const struct fault_info *fi);

#endif /* WEFT_ARCH_H */
