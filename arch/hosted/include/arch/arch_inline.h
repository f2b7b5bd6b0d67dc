/* SPDX-License-Identifier: MIT */
/*
 * hosted: inline part of the arch contract. "Interrupts" are signals (the
 * per-thread timer signal and the IPI signal); masking them is a per-thread
 * flag that the signal handlers honour, which costs no system call. A signal
 * that arrives while masked is left pending and run on unmask.
 */
#ifndef WEFT_ARCH_HOSTED_INLINE_H
#define WEFT_ARCH_HOSTED_INLINE_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

struct hosted_irq_state {
	volatile int disabled;
	volatile int pending; /* HOSTED_IRQ_* bits that arrived while masked */
};
/*
 * Defined in the executable itself (arch/hosted/cpu.c), so the local-exec
 * model applies: one %fs-relative access. Without it, a PIE linked with
 * -rdynamic loads the variable's offset from the GOT first, on every
 * interrupt mask. The CPU itself is at the thread's GS base, which glibc
 * leaves alone (arch_common/x86_cpu_ops.h, arch/hosted/smp.c).
 */
#define HOSTED_TLS __attribute__((tls_model("local-exec")))
extern __thread struct hosted_irq_state hosted_irq HOSTED_TLS;

/* Run interrupts that arrived while masked; called on unmask. */
void hosted_irq_replay(void);

/* What arch_ctx_switch saves: the System V callee-saved registers, and the
 * x87 control word and MXCSR control bits, which are callee-saved too. */
struct arch_context {
	uint64_t rsp, rbx, rbp, r12, r13, r14, r15;
	uint32_t mxcsr;
	uint16_t fpucw;
	/* The stack it runs on, and its sanitizer fiber (ASan/TSan builds). */
	uintptr_t stack_lo, stack_hi;
	void *fiber;
};

#define arch_barrier() __asm__ __volatile__("" ::: "memory")

/*
 * This thread's interrupt state, which a real CPU keeps in a register, is
 * read and written here with one %fs-relative instruction each, in asm. In
 * C, ThreadSanitizer would check each access at an address the compiler may
 * have computed before a task switch earlier in the same function, after
 * which the task can run on another thread: it then reports a race on the
 * first thread's variables although the access itself, relative to %fs,
 * was to this thread's own.
 */
#define HOSTED_TLS_LOAD(var, field)                                                      \
	({                                                                               \
		__typeof__(+var.field) v_;                                               \
		__asm__ __volatile__("mov %%fs:" #var "@tpoff+%c1, %0"                   \
				     : "=r"(v_)                                          \
				     : "i"(__builtin_offsetof(__typeof__(var), field))); \
		v_;                                                                      \
	})
#define HOSTED_TLS_STORE(var, field, val)                          \
	__asm__ __volatile__("mov %0, %%fs:" #var "@tpoff+%c1"     \
			     :                                     \
			     : "r"((__typeof__(+var.field))(val)), \
			       "i"(__builtin_offsetof(__typeof__(var), field)))

static inline uintptr_t arch_ctx_fp(const struct arch_context *ctx)
{
	return (uintptr_t)ctx->rbp;
}

#ifdef __SANITIZE_THREAD__
/* TSan does not model fences (gcc refuses them under -Werror=tsan): an
 * atomic read-modify-write of one shared word orders memory at least as
 * strongly on x86, and TSan sees the synchronization it gives. */
extern unsigned long hosted_fence_word;
#define HOSTED_FENCE(order) __atomic_fetch_add(&hosted_fence_word, 0, order)
#else
#define HOSTED_FENCE(order) __atomic_thread_fence(order)
#endif

static inline void arch_mb(void)
{
	HOSTED_FENCE(__ATOMIC_SEQ_CST);
}

static inline void arch_rmb(void)
{
	HOSTED_FENCE(__ATOMIC_ACQUIRE);
}

static inline void arch_wmb(void)
{
	HOSTED_FENCE(__ATOMIC_RELEASE);
}

static inline void arch_cpu_relax(void)
{
	__builtin_ia32_pause();
}

static inline void arch_irq_disable(void)
{
	arch_barrier();
	HOSTED_TLS_STORE(hosted_irq, disabled, 1);
	arch_barrier();
}

static inline void arch_irq_enable(void)
{
	arch_barrier();
	HOSTED_TLS_STORE(hosted_irq, disabled, 0);
	arch_barrier();
	if (HOSTED_TLS_LOAD(hosted_irq, pending))
		hosted_irq_replay();
}

static inline bool arch_irq_enabled(void)
{
	return !HOSTED_TLS_LOAD(hosted_irq, disabled);
}

static inline unsigned long arch_irq_save(void)
{
	unsigned long was = (unsigned long)HOSTED_TLS_LOAD(hosted_irq, disabled);

	arch_irq_disable();
	return was;
}

static inline void arch_irq_restore(unsigned long was_disabled)
{
	if (!was_disabled)
		arch_irq_enable();
}

#include <arch_common/x86_cpu_ops.h>
#include <arch_common/x86_local_rmw.h>

#endif
