// SPDX-License-Identifier: MIT
/* x86_64: context switches and preemption keep every register a task owns;
 * every CPU has its own per-CPU block. */
#include <stddef.h>
#include <string.h>

#include <weft.h>

#include <arch.h>
#include <arch/x86.h>
#include <kernel/sched.h>
#include <kernel/test.h>
#include <kernel/time.h>
#include "../x86_64.h"
#include "switch_test.h"

struct x86_test_regs {
	uint64_t gpr[15];
	uint64_t rflags;
	uint8_t xmm[16][16];
	uint8_t ymmh[16][16];
	uint64_t st0;
	uint32_t mxcsr;
	uint16_t fcw;
	uint8_t pad[TR_SIZE - TR_FCW - 2];
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct x86_test_regs, gpr) == TR_GPR, "TR_GPR");
_Static_assert(offsetof(struct x86_test_regs, rflags) == TR_RFLAGS, "TR_RFLAGS");
_Static_assert(offsetof(struct x86_test_regs, xmm) == TR_XMM, "TR_XMM");
_Static_assert(offsetof(struct x86_test_regs, ymmh) == TR_YMMH, "TR_YMMH");
_Static_assert(offsetof(struct x86_test_regs, st0) == TR_ST0, "TR_ST0");
_Static_assert(offsetof(struct x86_test_regs, mxcsr) == TR_MXCSR, "TR_MXCSR");
_Static_assert(offsetof(struct x86_test_regs, fcw) == TR_FCW, "TR_FCW");
_Static_assert(sizeof(struct x86_test_regs) == TR_SIZE, "TR_SIZE");

#define X86_RFLAGS_DF (1ul << 10)

/* switch_helpers.S */
int x86_test_switch_probe(struct arch_context *save, const struct arch_context *load);
void x86_test_switch_clobbered(struct arch_context *save, const struct arch_context *load);
void x86_test_spin(const struct x86_test_regs *expect, struct x86_test_regs *got, int avx);
volatile int x86_test_spin_stop;

static struct arch_context probe_ctx, fresh_ctx;
static struct {
	uintptr_t fp, ret, caller_fp, arg;
	uint32_t mxcsr;
	uint16_t fcw;
	unsigned int rounds;
} fresh_saw;
static uint64_t fresh_stack[1024] __attribute__((aligned(16)));

extern const char x86_ctx_start[];

static void fresh_fn(void *arg)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);

	__asm__ __volatile__("stmxcsr %0; fnstcw %1" : "=m"(fresh_saw.mxcsr), "=m"(fresh_saw.fcw));
	fresh_saw.fp = fp;
	fresh_saw.caller_fp = ((uintptr_t *)fp)[0];
	fresh_saw.ret = ((uintptr_t *)fp)[1];
	fresh_saw.arg = (uintptr_t)arg;
	for (;;) {
		fresh_saw.rounds++;
		x86_test_switch_clobbered(&fresh_ctx, &probe_ctx);
	}
}

TEST(x86_64, ctx_switch_keeps_callee_saved_registers_mxcsr_and_fpucw)
{
	uintptr_t hi = (uintptr_t)&fresh_stack[1024] - 8; /* misaligned on purpose */

	memset(&fresh_saw, 0, sizeof(fresh_saw));
	/* Not as a task: the probe's contexts are private, so keep this one
	 * from being preempted while it is on the other stack. */
	preempt_disable();
	arch_ctx_init(&fresh_ctx, (uintptr_t)fresh_stack, hi, fresh_fn, &fresh_saw);
	int first = x86_test_switch_probe(&probe_ctx, &fresh_ctx);
	/* The second switch resumes fresh_fn inside its loop, not at its start. */
	int second = x86_test_switch_probe(&probe_ctx, &fresh_ctx);

	preempt_enable();
	EXPECT_EQ(first, 0);
	EXPECT_EQ(second, 0);
	EXPECT_EQ(fresh_saw.rounds, 2u);
	EXPECT_UEQ(fresh_saw.arg, (uintptr_t)&fresh_saw);
	/* fn was called with the ABI's alignment (its frame is 16-byte
	 * aligned), below hi, from x86_ctx_start, with a zero frame pointer
	 * so that backtraces stop, and the ABI's FP control state. */
	EXPECT_UEQ(fresh_saw.fp % 16, 0);
	EXPECT_TRUE(fresh_saw.fp < hi && fresh_saw.fp > hi - 64);
	EXPECT_UEQ(fresh_saw.caller_fp, 0);
	EXPECT_TRUE(fresh_saw.ret > (uintptr_t)x86_ctx_start &&
		    fresh_saw.ret < (uintptr_t)x86_ctx_start + 16);
	EXPECT_UEQ(fresh_saw.mxcsr, 0x1f80);
	EXPECT_UEQ(fresh_saw.fcw, 0x37f);
	EXPECT_UEQ(arch_ctx_fp(&fresh_ctx) != 0, 1);
}

#define SPINNERS_MAX 8
#define SPIN_NS (300 * NSEC_PER_MSEC)

struct spinner {
	struct x86_test_regs expect, got;
	uint64_t start;
	waitgroup_t *wg;
	int avx;
};

static void spinner_fn(void *arg)
{
	struct spinner *s = arg;

	s->start = now_ns();
	x86_test_spin(&s->expect, &s->got, s->avx);
	wg_done(s->wg);
}

static bool avx_enabled(void)
{
	uint32_t lo, hi;

	if (!(x86_read_cr4() & CR4_OSXSAVE))
		return false;
	__asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo & XCR0_AVX;
}

static uint64_t preemptions(void)
{
	uint64_t n = 0;

	for (int i = 0; i < MAX_CPUS; i++)
		if (x86_percpus[i].cpu)
			n += __atomic_load_n(&x86_percpus[i].cpu->preemptions, __ATOMIC_RELAXED);
	return n;
}

TEST(x86_64, preemption_keeps_every_register)
{
	static struct spinner sp[SPINNERS_MAX];
	waitgroup_t wg = { 0 };
	/* One more spinner than CPUs: at least two share a CPU, and only
	 * preemption lets both start before the end. */
	int n = num_cpu() + 1, avx = avx_enabled();
	uint64_t preempted = preemptions(), stop_at;

	if (n > SPINNERS_MAX)
		n = SPINNERS_MAX;
	for (int i = 0; i < n; i++) {
		struct x86_test_regs *e = &sp[i].expect;

		memset(&sp[i], 0, sizeof(sp[i]));
		for (int r = 0; r < 15; r++)
			e->gpr[r] =
				0x0123456789abcdefull * (uint64_t)(i + 1) + (uint64_t)r * 0x1111;
		e->rflags = X86_RFLAGS_DF;
		for (int r = 0; r < 16; r++)
			for (int b = 0; b < 16; b++) {
				e->xmm[r][b] = (uint8_t)(i * 37 + r * 16 + b);
				e->ymmh[r][b] = avx ? (uint8_t)(0xa5 ^ (i * 53 + r * 16 + b)) : 0;
			}
		/* A normal double (exact through the x87 in any mode), a
		 * rounding mode and some exception flags, and an x87 rounding
		 * and precision, all per task. */
		e->st0 = 0x3ff0000000012345ull | (uint64_t)(i + 1) << 20;
		e->mxcsr =
			0x1f80 | (uint32_t)(i & 3) << 13 | (uint32_t)(i & 1) << 15 | 1u << (i % 6);
		e->fcw = (uint16_t)(0x7f | (i & 3) << 10 | (i & 1 ? 0x200 : 0x300));
		sp[i].wg = &wg;
		sp[i].avx = avx;
	}
	x86_test_spin_stop = 0;
	wg_add(&wg, n);
	for (int i = 0; i < n; i++)
		ASSERT_GT(go(spinner_fn, &sp[i]), 0);
	sleep_ns(SPIN_NS);
	stop_at = now_ns();
	x86_test_spin_stop = 1;
	wg_wait(&wg);

	EXPECT_UGE(preemptions(), preempted + 1);
	for (int i = 0; i < n; i++) {
		struct x86_test_regs *e = &sp[i].expect, *g = &sp[i].got;

		EXPECT_TRUE(sp[i].start > 0 && sp[i].start < stop_at);
		for (int r = 0; r < 15; r++)
			EXPECT_UEQ(g->gpr[r], e->gpr[r]);
		EXPECT_UEQ(g->rflags & X86_RFLAGS_DF, X86_RFLAGS_DF);
		EXPECT_EQ(memcmp(g->xmm, e->xmm, sizeof(e->xmm)), 0);
		EXPECT_EQ(memcmp(g->ymmh, e->ymmh, sizeof(e->ymmh)), 0);
		EXPECT_UEQ(g->st0, e->st0);
		EXPECT_UEQ(g->mxcsr, e->mxcsr);
		EXPECT_UEQ(g->fcw, e->fcw);
	}
}

/* Every CPU's GS base points at its own struct cpu, whose arch is that
 * CPU's block: a task that reads them with preemption off sees the CPU it
 * runs on (its local APIC agrees). */
static waitgroup_t percpu_wg;
static volatile int percpu_bad;

static void percpu_checker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++) {
		unsigned long flags = arch_irq_save();
		struct x86_percpu *pc = x86_this_percpu();
		struct cpu *c = arch_cpu_self();

		if (c->self != c || c->arch != pc || pc->cpu != c || &x86_percpus[c->idx] != pc ||
		    x86_cpu_apic_id() != pc->apic_id || !pc->online)
			percpu_bad++;
		arch_irq_restore(flags);
		if (i % 100 == 0)
			yield();
	}
	wg_done(&percpu_wg);
}

TEST(x86_64, per_cpu_block_matches_the_cpu)
{
	percpu_bad = 0;
	wg_add(&percpu_wg, 4 * num_cpu());
	for (int i = 0; i < 4 * num_cpu(); i++)
		ASSERT_GT(go(percpu_checker, NULL), 0);
	wg_wait(&percpu_wg);
	EXPECT_EQ(percpu_bad, 0);
}
