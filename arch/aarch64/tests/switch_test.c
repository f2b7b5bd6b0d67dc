// SPDX-License-Identifier: MIT
/* aarch64: context switches and preemption keep every register a task owns. */
#include <stddef.h>
#include <string.h>

#include <weft.h>

#include <arch.h>
#include <kernel/sched.h>
#include <kernel/test.h>
#include <kernel/time.h>

/* What aarch64_test_spin leaves behind (switch_helpers.S). */
struct spin_regs {
	uint64_t x[31]; /* x[1] is the loop's scratch: not checked */
	uint64_t pad;
	uint64_t q[32][2]; /* low, high */
	uint64_t nzcv, fpcr, fpsr;
};

_Static_assert(offsetof(struct spin_regs, q) == 256, "spin_regs.q");
_Static_assert(offsetof(struct spin_regs, nzcv) == 768, "spin_regs.nzcv");
_Static_assert(offsetof(struct spin_regs, fpsr) == 784, "spin_regs.fpsr");

/* switch_helpers.S */
int aarch64_test_switch_probe(struct arch_context *save, const struct arch_context *load);
void aarch64_test_switch_clobbered(struct arch_context *save, const struct arch_context *load);
void aarch64_test_spin(uint64_t deadline, uint64_t base, struct spin_regs *out);

#define PROBE_FPCR 0x02c00000u
#define PROBE_FPSR 0x08000017u

static struct arch_context probe_ctx, fresh_ctx;
static struct {
	uintptr_t fp, lr, caller_fp, arg, fpcr, sp;
	unsigned int rounds;
} fresh_saw;
static uint64_t fresh_stack[1024] __attribute__((aligned(16)));

static void fresh_fn(void *arg)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
	uint64_t fpcr;

	__asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
	fresh_saw.fp = fp;
	/* The AAPCS64 frame record at fp: {caller's x29, x30 at entry}. */
	fresh_saw.caller_fp = ((uintptr_t *)fp)[0];
	fresh_saw.lr = ((uintptr_t *)fp)[1];
	fresh_saw.arg = (uintptr_t)arg;
	fresh_saw.fpcr = fpcr;
	for (;;) {
		fresh_saw.rounds++;
		aarch64_test_switch_clobbered(&fresh_ctx, &probe_ctx);
	}
}

TEST(aarch64, ctx_switch_keeps_callee_saved_registers_fpcr_and_fpsr)
{
	uintptr_t hi = (uintptr_t)&fresh_stack[1024] - 8; /* misaligned on purpose */

	memset(&fresh_saw, 0, sizeof(fresh_saw));
	/* Not as a task: the probe's contexts are private, so keep this one
	 * from being preempted while it is on the other stack. */
	preempt_disable();
	arch_ctx_init(&fresh_ctx, (uintptr_t)fresh_stack, hi, fresh_fn, &fresh_saw);
	int first = aarch64_test_switch_probe(&probe_ctx, &fresh_ctx);
	/* The second switch resumes fresh_fn inside its loop, not at its start. */
	int second = aarch64_test_switch_probe(&probe_ctx, &fresh_ctx);

	preempt_enable();
	EXPECT_EQ(first, 0);
	EXPECT_EQ(second, 0);
	EXPECT_EQ(fresh_saw.rounds, 2u);
	EXPECT_UEQ(fresh_saw.arg, (uintptr_t)&fresh_saw);
	/* The first frame: on the 16-byte aligned stack just below hi, with
	 * a zero return address and caller frame so that backtraces stop,
	 * and the C default FPCR (round to nearest, no traps). */
	EXPECT_UEQ(fresh_saw.fp % 16, 0);
	EXPECT_TRUE(fresh_saw.fp < hi && fresh_saw.fp > hi - 128);
	EXPECT_UEQ(fresh_saw.lr, 0);
	EXPECT_UEQ(fresh_saw.caller_fp, 0);
	EXPECT_UEQ(fresh_saw.fpcr, 0);
	EXPECT_TRUE(arch_ctx_fp(&fresh_ctx) != 0);
}

#define SPINNERS_MAX 8
#define SPIN_NS (200 * NSEC_PER_MSEC)

struct spinner {
	struct spin_regs regs;
	uint64_t base, deadline;
	uint64_t start, end;
	waitgroup_t *wg;
};

static void spinner_fn(void *arg)
{
	struct spinner *s = arg;

	s->start = now_ns();
	s->deadline = arch_cycles() + time_ns_to_cycles(SPIN_NS);
	aarch64_test_spin(s->deadline, s->base, &s->regs);
	s->end = now_ns();
	wg_done(s->wg);
}

/* How many registers aarch64_test_spin found changed. */
static int spin_mismatches(const struct spinner *s)
{
	const struct spin_regs *r = &s->regs;
	int bad = r->x[0] != s->deadline;

	for (int n = 2; n <= 30; n++)
		bad += r->x[n] != s->base + (uint64_t)n;
	for (int n = 0; n < 32; n++) {
		uint64_t lo = s->base + 0x100 + (uint64_t)n;

		bad += r->q[n][0] != lo || r->q[n][1] != ~lo;
	}
	bad += (r->nzcv & 0xf0000000u) != 0xa0000000u;
	bad += r->fpcr != PROBE_FPCR;
	bad += r->fpsr != PROBE_FPSR;
	return bad;
}

TEST(aarch64, preemption_keeps_every_register)
{
	static struct spinner sp[SPINNERS_MAX];
	waitgroup_t wg = { 0 };
	/* One more spinner than CPUs: at least two share a CPU, and only
	 * preemption lets both run before either is done. */
	int n = num_cpu() + 1;

	if (n > SPINNERS_MAX)
		n = SPINNERS_MAX;
	for (int i = 0; i < n; i++) {
		memset(&sp[i], 0, sizeof(sp[i]));
		sp[i].base = 0x0123456789ab0000ull * (uint64_t)(i + 1);
		sp[i].wg = &wg;
	}
	wg_add(&wg, n);
	for (int i = 0; i < n; i++)
		ASSERT_GT(go(spinner_fn, &sp[i]), 0);
	wg_wait(&wg);

	uint64_t last_start = 0, first_end = UINT64_MAX;

	for (int i = 0; i < n; i++) {
		EXPECT_EQ(spin_mismatches(&sp[i]), 0);
		if (sp[i].start > last_start)
			last_start = sp[i].start;
		if (sp[i].end < first_end)
			first_end = sp[i].end;
	}
	/* Every spinner started before any finished: they shared CPUs. */
	EXPECT_TRUE(last_start < first_end);
}
