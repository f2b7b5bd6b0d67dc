// SPDX-License-Identifier: MIT
/* riscv64: the Zkr entropy source, the `seed` CSR, when S-mode may read it. */
#include <arch.h>

#include "riscv64.h"

#define SEED_OPST_SHIFT 30
#define SEED_OPST_ES16 2 /* 16 bits of entropy in [15:0] */
#define SEED_OPST_DEAD 3

/* 0: not probed yet, 1: usable, 2: absent. */
static int zkr_state;

static bool seed_read(uint32_t *s)
{
	unsigned long x;

	/* The seed CSR (0x015) must be accessed with a read-write
	 * instruction; csrr would trap (Zkr spec §4.1). */
	__asm__ __volatile__("csrrw %0, 0x015, x0" : "=r"(x)::"memory");
	*s = (uint32_t)x;
	return true;
}

bool arch_random_seed(uint64_t *v)
{
	int st = __atomic_load_n(&zkr_state, __ATOMIC_ACQUIRE);
	uint32_t s = 0;

	if (st == 0) {
		/* Without Zkr, or when M-mode firmware left mseccfg.SSEED
		 * clear, the access is an illegal instruction: probe it once
		 * with the trap handler ready to skip it. */
		unsigned long flags = arch_irq_save();

		riscv_probe_begin();
		seed_read(&s);
		st = riscv_probe_end() ? 1 : 2;
		arch_irq_restore(flags);
		__atomic_store_n(&zkr_state, st, __ATOMIC_RELEASE);
	}
	if (st != 1)
		return false;

	uint64_t out = 0;
	int have = 0;

	for (int tries = 0; tries < 64 && have < 4; tries++) {
		seed_read(&s);
		switch (s >> SEED_OPST_SHIFT) {
		case SEED_OPST_ES16:
			out = out << 16 | (s & 0xffff);
			have++;
			break;
		case SEED_OPST_DEAD:
			return false;
		default: /* BIST or WAIT: try again */
			arch_cpu_relax();
		}
	}
	if (have < 4)
		return false;
	*v = out;
	return true;
}
