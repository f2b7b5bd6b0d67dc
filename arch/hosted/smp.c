// SPDX-License-Identifier: MIT
/*
 * hosted: CPUs are pthreads, IPIs are a signal to the target thread, and a
 * task's context is switched in user space (switch.S). Under ASan and TSan
 * every switch is announced to the sanitizer as a fiber switch.
 */
#include <asm/prctl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <arch.h>
#include <kernel/sched.h>
#include "asm_offsets.h"
#include "hosted.h"

_Static_assert(offsetof(struct arch_context, rsp) == CTX_RSP, "CTX_RSP");
_Static_assert(offsetof(struct arch_context, rbx) == CTX_RBX, "CTX_RBX");
_Static_assert(offsetof(struct arch_context, rbp) == CTX_RBP, "CTX_RBP");
_Static_assert(offsetof(struct arch_context, r12) == CTX_R12, "CTX_R12");
_Static_assert(offsetof(struct arch_context, r13) == CTX_R13, "CTX_R13");
_Static_assert(offsetof(struct arch_context, r14) == CTX_R14, "CTX_R14");
_Static_assert(offsetof(struct arch_context, r15) == CTX_R15, "CTX_R15");
_Static_assert(offsetof(struct arch_context, mxcsr) == CTX_MXCSR, "CTX_MXCSR");
_Static_assert(offsetof(struct arch_context, fpucw) == CTX_FPUCW, "CTX_FPUCW");

#if defined(__SANITIZE_THREAD__)
#define HOSTED_TSAN 1
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned int flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned int flags);
#endif
#if defined(__SANITIZE_ADDRESS__)
#define HOSTED_ASAN 1
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
				     size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#endif

void hosted_ctx_switch(struct arch_context *save, const struct arch_context *load);
void hosted_ctx_start(void);
void hosted_ctx_first(void (*fn)(void *), void *arg);

static pthread_t threads[MAX_CPUS];

/* A CPU is its thread's GS base, as on x86_64 (arch_common/x86_cpu_ops.h):
 * nothing else in a Linux process uses GS, and the kernel keeps each
 * thread's base across switches and signals. */
void arch_cpu_set_self(struct cpu *c)
{
	c->self = c;
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, c) < 0) {
		/* Not panic(): it needs this_cpu(). */
		dprintf(2, "weft: hosted: cannot point GS at CPU %u (%s)\n", c->idx,
			strerror(errno));
		_exit(2);
	}
}

void arch_ctx_init(struct arch_context *ctx, uintptr_t stack_lo, uintptr_t stack_hi,
		   void (*fn)(void *), void *arg)
{
	uint64_t *sp = (uint64_t *)(stack_hi & ~(uintptr_t)15);

#ifdef HOSTED_ASAN
	/* Frames abandoned on this stack left their redzones poisoned. */
	__asan_unpoison_memory_region((void *)stack_lo, stack_hi - stack_lo);
#endif
	/* hosted_ctx_switch's ret pops this, leaving rsp 16-aligned, so that
	 * hosted_ctx_start's call enters C with the ABI's alignment. */
	*--sp = (uint64_t)hosted_ctx_start;
	ctx->rsp = (uint64_t)sp;
	ctx->rbp = 0;
	ctx->r12 = (uint64_t)fn;
	ctx->r13 = (uint64_t)arg;
	ctx->mxcsr = 0x1f80; /* the ABI's initial state */
	ctx->fpucw = 0x37f;
	ctx->stack_lo = stack_lo;
	ctx->stack_hi = stack_hi;
#ifdef HOSTED_TSAN
	/* A fresh fiber: the old one's shadow stack still holds the frames
	 * abandoned on this stack. ctx is never the running context here. */
	if (ctx->fiber)
		__tsan_destroy_fiber(ctx->fiber);
	ctx->fiber = __tsan_create_fiber(0);
#endif
}

/* The first code of a new context (called by hosted_ctx_start). */
void hosted_ctx_first(void (*fn)(void *), void *arg)
{
#ifdef HOSTED_ASAN
	__sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
	fn(arg);
	__builtin_trap();
}

#if defined(HOSTED_TSAN) || defined(HOSTED_ASAN)
/* Otherwise arch_ctx_switch is hosted_ctx_switch itself (switch.S). */
void arch_ctx_switch(struct arch_context *save, const struct arch_context *load)
{
#ifdef HOSTED_TSAN
	if (!save->fiber)
		save->fiber = __tsan_get_current_fiber();
	__tsan_switch_to_fiber(load->fiber, 0);
#endif
#ifdef HOSTED_ASAN
	void *fake_stack = NULL;

	__sanitizer_start_switch_fiber(&fake_stack, (void *)load->stack_lo,
				       load->stack_hi - load->stack_lo);
#endif
	hosted_ctx_switch(save, load);
#ifdef HOSTED_ASAN
	__sanitizer_finish_switch_fiber(fake_stack, NULL, NULL);
#endif
}
#endif

struct start_args {
	unsigned int idx;
	uintptr_t stack_top;
	struct cpu *self;
};

static struct start_args start_args[MAX_CPUS];

static void secondary_enter(void *arg)
{
	kernel_secondary_main((unsigned int)(uintptr_t)arg);
}

static void *secondary_thread(void *arg)
{
	struct start_args *a = arg;
	struct arch_context boot_ctx = { 0 }, ctx = { 0 };

	sigset_t irqs;

	arch_cpu_set_self(a->self);
	hosted_irq.disabled = 1;
	hosted_trap_init();
	hosted_timer_init_cpu();
	sigemptyset(&irqs);
	sigaddset(&irqs, HOSTED_SIG_TIMER);
	sigaddset(&irqs, HOSTED_SIG_IPI);
	pthread_sigmask(SIG_UNBLOCK, &irqs, NULL);
	/* Continue on the scheduler stack the kernel gave this CPU. */
	arch_ctx_init(&ctx, a->stack_top - 4096, a->stack_top, secondary_enter,
		      (void *)(uintptr_t)a->idx);
	arch_ctx_switch(&boot_ctx, &ctx);
	return NULL;
}

int arch_cpu_start(unsigned int idx, uint64_t hwid, uintptr_t stack_top, struct cpu *self)
{
	pthread_attr_t attr;
	sigset_t block, old;
	int err;

	(void)hwid;
	if (idx >= MAX_CPUS)
		return -EINVAL;
	start_args[idx] = (struct start_args){ idx, stack_top, self };
	/* The new thread starts with the interrupt signals blocked, and
	 * unblocks them once it has somewhere to put them. */
	sigemptyset(&block);
	sigaddset(&block, HOSTED_SIG_TIMER);
	sigaddset(&block, HOSTED_SIG_IPI);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&threads[idx], &attr, secondary_thread, &start_args[idx]);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -err;
}

void arch_ipi_send(unsigned int idx)
{
	if (idx < MAX_CPUS && threads[idx])
		pthread_kill(threads[idx], HOSTED_SIG_IPI);
}

void hosted_smp_init_boot_cpu(void)
{
	threads[0] = pthread_self();
}
