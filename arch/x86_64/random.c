// SPDX-License-Identifier: MIT
/* x86_64: RDSEED, else RDRAND, when CPUID says the CPU has them. */
#include <arch.h>
#include <arch/x86.h>

/* CPUID.(EAX=7,ECX=0):EBX bit 18 is RDSEED; CPUID.1:ECX bit 30 is RDRAND
 * (Intel SDM vol. 2, CPUID). Both set CF when they returned a value. */
bool arch_random_seed(uint64_t *v)
{
	uint32_t r[4];
	bool rdseed = false, rdrand;

	if (x86_cpuid_max(0) >= 7) {
		x86_cpuid(7, 0, r);
		rdseed = r[1] & (1u << 18);
	}
	x86_cpuid(1, 0, r);
	rdrand = r[2] & (1u << 30);
	for (int i = 0; i < 16; i++) {
		uint64_t x;
		uint8_t ok = 0;

		if (rdseed)
			__asm__ __volatile__("rdseed %0; setc %1" : "=r"(x), "=qm"(ok));
		else if (rdrand)
			__asm__ __volatile__("rdrand %0; setc %1" : "=r"(x), "=qm"(ok));
		else
			return false;
		if (ok) {
			*v = x;
			return true;
		}
		arch_cpu_relax();
	}
	return false;
}
