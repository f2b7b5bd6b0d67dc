// SPDX-License-Identifier: MIT
/* riscv64: context switches and preemption keep every register a task owns. */
#include <string.h>

#include <weft.h>

#include <arch.h>
#include <kernel/sched.h>
#include <kernel/test.h>
#include <kernel/time.h>

/* switch_helpers.S */
int riscv_test_switch_probe(struct arch_context *save, const struct arch_context *load);
void riscv_test_switch_clobbered(struct arch_context *save, const struct arch_context *load);
int riscv_test_spin(uint64_t expect[32], uint64_t deadline);

static struct arch_context probe_ctx, fresh_ctx;
static struct {
	uintptr_t fp, ra, caller_fp, arg, fcsr;
	unsigned int rounds;
} fresh_saw;
static uint64_t fresh_stack[1024] __attribute__((aligned(16)));

static void fresh_fn(void *arg)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
	unsigned long fcsr;

	__asm__ __volatile__("frcsr %0" : "=r"(fcsr));
	fresh_saw.fp = fp;
	fresh_saw.ra = ((uintptr_t *)fp)[-1];
	fresh_saw.caller_fp = ((uintptr_t *)fp)[-2];
	fresh_saw.arg = (uintptr_t)arg;
	fresh_saw.fcsr = fcsr;
	for (;;) {
		fresh_saw.rounds++;
		riscv_test_switch_clobbered(&fresh_ctx, &probe_ctx);
	}
}

TEST(riscv64, ctx_switch_keeps_callee_saved_registers_and_fcsr)
{
	uintptr_t hi = (uintptr_t)&fresh_stack[1024] - 8; /* misaligned on purpose */

	memset(&fresh_saw, 0, sizeof(fresh_saw));
	/* Not as a task: the probe's contexts are private, so keep this one
	 * from being preempted while it is on the other stack. */
	preempt_disable();
	arch_ctx_init(&fresh_ctx, (uintptr_t)fresh_stack, hi, fresh_fn, &fresh_saw);
	int first = riscv_test_switch_probe(&probe_ctx, &fresh_ctx);
	/* The second switch resumes fresh_fn inside its loop, not at its start. */
	int second = riscv_test_switch_probe(&probe_ctx, &fresh_ctx);

	preempt_enable();
	EXPECT_EQ(first, 0);
	EXPECT_EQ(second, 0);
	EXPECT_EQ(fresh_saw.rounds, 2u);
	EXPECT_UEQ(fresh_saw.arg, (uintptr_t)&fresh_saw);
	/* The first frame: 16-byte aligned stack below hi, a zero return
	 * address and caller frame so that backtraces stop, fcsr cleared. */
	EXPECT_UEQ(fresh_saw.fp % 16, 0);
	EXPECT_TRUE(fresh_saw.fp <= hi && fresh_saw.fp > hi - 64);
	EXPECT_UEQ(fresh_saw.ra, 0);
	EXPECT_UEQ(fresh_saw.caller_fp, 0);
	EXPECT_UEQ(fresh_saw.fcsr, 0);
	EXPECT_UEQ(arch_ctx_fp(&fresh_ctx) != 0, 1);
}

#define SPINNERS_MAX 8
#define SPIN_NS (200 * NSEC_PER_MSEC)

struct spinner {
	uint64_t expect[32];
	uint64_t start, end;
	int result;
	waitgroup_t *wg;
};

static void spinner_fn(void *arg)
{
	struct spinner *s = arg;

	s->start = now_ns();
	s->result = riscv_test_spin(s->expect, arch_cycles() + time_ns_to_cycles(SPIN_NS));
	s->end = now_ns();
	wg_done(s->wg);
}

TEST(riscv64, preemption_keeps_every_register)
{
	static struct spinner sp[SPINNERS_MAX];
	waitgroup_t wg = { 0 };
	/* One more spinner than CPUs: at least two share a CPU, and only
	 * preemption lets both run before either is done. */
	int n = num_cpu() + 1;

	if (n > SPINNERS_MAX)
		n = SPINNERS_MAX;
	for (int i = 0; i < n; i++) {
		struct spinner *s = &sp[i];

		memset(s, 0, sizeof(*s));
		for (int r = 0; r < 32; r++)
			s->expect[r] =
				0x0123456789abcdefull * (uint64_t)(i + 1) + (uint64_t)r * 0x1111;
		/* fcsr: a rounding mode (0..4) and some flags, per task. */
		s->expect[0] = (uint64_t)(i % 5) << 5 | (uint64_t)(i + 1);
		s->expect[27] = (uintptr_t)s->expect;
		s->wg = &wg;
	}
	wg_add(&wg, n);
	for (int i = 0; i < n; i++)
		ASSERT_GT(go(spinner_fn, &sp[i]), 0);
	wg_wait(&wg);

	uint64_t last_start = 0, first_end = UINT64_MAX;

	for (int i = 0; i < n; i++) {
		EXPECT_EQ(sp[i].result, 0);
		if (sp[i].start > last_start)
			last_start = sp[i].start;
		if (sp[i].end < first_end)
			first_end = sp[i].end;
	}
	EXPECT_TRUE(last_start < first_end);
}
