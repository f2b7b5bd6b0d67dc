// SPDX-License-Identifier: MIT
/* aarch64: the CPU's random number register, RNDR (FEAT_RNG), when it has one. */
#include <arch.h>
#include <arch/sysreg.h>

bool arch_random_seed(uint64_t *v)
{
	/* ID_AA64ISAR0_EL1.RNDR, bits [63:60]: 1 when RNDR and RNDRRS exist
	 * (Arm ARM D19.2.61). The register reads the same on every core. */
	if (((read_sysreg(id_aa64isar0_el1) >> 60) & 0xf) == 0)
		return false;
	for (int i = 0; i < 8; i++) {
		uint64_t x, nzcv;

		/* RNDR is S3_3_C2_C4_0; a failed read sets PSTATE.Z and
		 * returns 0 (Arm ARM C5.2.14). */
		__asm__ __volatile__("mrs %0, s3_3_c2_c4_0\n\tmrs %1, nzcv" : "=r"(x), "=r"(nzcv));
		if (!(nzcv & (1ull << 30))) {
			*v = x;
			return true;
		}
	}
	return false;
}
