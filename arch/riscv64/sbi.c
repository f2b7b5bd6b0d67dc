// SPDX-License-Identifier: MIT
/* riscv64: calls into the SBI firmware (RISC-V SBI specification v1.0). */
#include <arch/sbi.h>

/* Function ids used here (§4, §6, §9, §10). */
#define SBI_BASE_PROBE_EXTENSION 3
#define SBI_TIME_SET_TIMER 0
#define SBI_IPI_SEND_IPI 0
#define SBI_HSM_HART_START 0
#define SBI_HSM_HART_STOP 1
#define SBI_SRST_SYSTEM_RESET 0
#define SBI_SRST_TYPE_SHUTDOWN 0
#define SBI_SRST_REASON_NONE 0
#define SBI_SRST_REASON_FAILURE 1

struct sbiret sbi_ecall(unsigned long ext, unsigned long fid, unsigned long a0, unsigned long a1,
			unsigned long a2)
{
	register unsigned long r_a0 __asm__("a0") = a0;
	register unsigned long r_a1 __asm__("a1") = a1;
	register unsigned long r_a2 __asm__("a2") = a2;
	register unsigned long r_a6 __asm__("a6") = fid;
	register unsigned long r_a7 __asm__("a7") = ext;

	__asm__ __volatile__("ecall"
			     : "+r"(r_a0), "+r"(r_a1)
			     : "r"(r_a2), "r"(r_a6), "r"(r_a7)
			     : "memory");
	return (struct sbiret){ .error = (long)r_a0, .value = (long)r_a1 };
}

bool sbi_has_extension(unsigned long ext)
{
	struct sbiret r = sbi_ecall(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, ext, 0, 0);

	return r.error == 0 && r.value != 0;
}

void sbi_set_timer(uint64_t stime_value)
{
	static int has_time = -1; /* probed once: the answer never changes */

	if (has_time < 0)
		has_time = sbi_has_extension(SBI_EXT_TIME);
	if (has_time)
		sbi_ecall(SBI_EXT_TIME, SBI_TIME_SET_TIMER, stime_value, 0, 0);
	else
		sbi_ecall(SBI_EXT_LEGACY_SET_TIMER, 0, stime_value, 0, 0);
}

long sbi_hart_start(unsigned long hartid, unsigned long start, unsigned long opaque)
{
	static int has_hsm = -1;

	if (has_hsm < 0)
		has_hsm = sbi_has_extension(SBI_EXT_HSM);
	if (!has_hsm)
		return SBI_ERR_NOT_SUPPORTED;
	return sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_START, hartid, start, opaque).error;
}

void sbi_send_ipi(unsigned long hartid)
{
	/* CPUs that race on the first call each store the same answer. */
	static int has_ipi = -1;

	if (has_ipi < 0)
		has_ipi = sbi_has_extension(SBI_EXT_IPI);
	if (has_ipi) {
		/* hart_mask bit 0 is hart hart_mask_base. */
		sbi_ecall(SBI_EXT_IPI, SBI_IPI_SEND_IPI, 1, hartid, 0);
	} else if (hartid < 64) {
		/* The legacy call takes the address of one word of mask, over
		 * harts 0..63: firmware that old cannot reach the others. */
		unsigned long mask = 1ul << hartid;

		sbi_ecall(SBI_EXT_LEGACY_SEND_IPI, 0, (unsigned long)&mask, 0, 0);
	}
}

void sbi_hart_stop(void)
{
	sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_STOP, 0, 0, 0);
}

void sbi_system_off(bool failure)
{
	if (sbi_has_extension(SBI_EXT_SRST))
		sbi_ecall(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN,
			  failure ? SBI_SRST_REASON_FAILURE : SBI_SRST_REASON_NONE, 0);
	sbi_ecall(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0);
}
