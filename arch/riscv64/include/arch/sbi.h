/* SPDX-License-Identifier: MIT */
/*
 * riscv64: calls into the SBI firmware (OpenSBI), RISC-V Supervisor Binary
 * Interface specification v1.0. All return the SBI error (0 or negative).
 */
#ifndef WEFT_ARCH_RISCV64_SBI_H
#define WEFT_ARCH_RISCV64_SBI_H

/* Extension ids (§3-10). */
#define SBI_EXT_LEGACY_SET_TIMER 0x00
#define SBI_EXT_LEGACY_SEND_IPI 0x04
#define SBI_EXT_LEGACY_SHUTDOWN 0x08
#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494d45
#define SBI_EXT_IPI 0x735049
#define SBI_EXT_HSM 0x48534d
#define SBI_EXT_SRST 0x53525354

/* Standard SBI errors (§3.2) that callers here tell apart. */
#define SBI_ERR_FAILED (-1)
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)
#define SBI_ERR_DENIED (-4)
#define SBI_ERR_INVALID_ADDRESS (-5)
#define SBI_ERR_ALREADY_AVAILABLE (-6)

#ifndef __ASSEMBLY__

#include <stdbool.h>
#include <stdint.h>

struct sbiret {
	long error;
	long value;
};

/* One ecall into the firmware (§3: a7 = extension, a6 = function). */
struct sbiret sbi_ecall(unsigned long ext, unsigned long fid, unsigned long a0, unsigned long a1,
			unsigned long a2);

/* Whether the firmware implements extension `ext` (Base, probe_extension). */
bool sbi_has_extension(unsigned long ext);

/* Program the timer: an S-mode timer interrupt once `time` >= stime_value,
 * which also clears a pending one (TIME extension, or the legacy call). */
void sbi_set_timer(uint64_t stime_value);

/* Start hart `hartid` in S-mode at `start`, with a0 = hartid and a1 =
 * opaque, the MMU off and interrupts disabled (HSM hart_start, §9.1).
 * Returns the SBI error; SBI_ERR_NOT_SUPPORTED without HSM. */
long sbi_hart_start(unsigned long hartid, unsigned long start, unsigned long opaque);

/* Raise a supervisor software interrupt on hart `hartid` (IPI send_ipi,
 * §7.1, or the legacy call, which reaches hart ids below 64 only). Any
 * context. */
void sbi_send_ipi(unsigned long hartid);

/* Stop the calling hart (HSM hart_stop); it waits in the firmware for a
 * hart_start. Returns only if the firmware refuses. */
void sbi_hart_stop(void);

/* Power off (SRST, or the legacy shutdown); `failure` chooses the reset
 * reason. Returns only if the firmware has neither. */
void sbi_system_off(bool failure);

#endif /* !__ASSEMBLY__ */

#endif
