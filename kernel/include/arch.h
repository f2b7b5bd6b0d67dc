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
