// SPDX-License-Identifier: MIT
/*
 * aarch64: PSCI, the firmware interface for powering CPUs and the system
 * (Arm DEN 0022, "Arm Power State Coordination Interface"). Calls follow the
 * SMC Calling Convention (Arm DEN 0028) through the conduit the DTB /psci
 * node names: hvc to a hypervisor or QEMU at EL2, smc to EL3 firmware.
 */
#include <errno.h>
#include <string.h>

#include <arch/aarch64.h>
#include <drivers/fdt.h>

/* PSCI 0.2+ function ids (DEN 0022, "Function ID numbers"). */
#define PSCI_0_2_FN64_CPU_ON 0xc4000003u
#define PSCI_0_2_FN_SYSTEM_OFF 0x84000008u

/* Return codes (DEN 0022, "Return error codes"). */
#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED (-3)
#define PSCI_ALREADY_ON (-4)
#define PSCI_ON_PENDING (-5)
#define PSCI_INTERNAL_FAILURE (-6)
#define PSCI_NOT_PRESENT (-7)
#define PSCI_DISABLED (-8)
#define PSCI_INVALID_ADDRESS (-9)

enum psci_conduit { PSCI_NONE, PSCI_HVC, PSCI_SMC };

static enum psci_conduit psci_conduit;

int psci_init(const void *dtb)
{
	int node, len;
	const char *method;

	if (!dtb)
		return -ENODEV;
	/* Version 0.1 ("arm,psci") has no SYSTEM_OFF and its own ids. */
	node = fdt_find_compatible(dtb, -1, "arm,psci-0.2");
	if (node < 0)
		node = fdt_find_compatible(dtb, -1, "arm,psci-1.0");
	if (node < 0 || !fdt_is_enabled(dtb, node))
		return -ENODEV;
	method = fdt_getprop(dtb, node, "method", &len);
	if (method && len == 4 && strcmp(method, "hvc") == 0)
		psci_conduit = PSCI_HVC;
	else if (method && len == 4 && strcmp(method, "smc") == 0)
		psci_conduit = PSCI_SMC;
	else
		return -ENODEV;
	return 0;
}

/* One SMCCC call with up to three arguments. Results come back in x0; with
 * SMCCC before v1.1 the callee may also change x1-x17. */
static long psci_call(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	if (psci_conduit == PSCI_HVC)
		__asm__ __volatile__("hvc #0"
				     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				     :
				     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
				       "x13", "x14", "x15", "x16", "x17", "memory");
	else if (psci_conduit == PSCI_SMC)
		__asm__ __volatile__("smc #0"
				     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				     :
				     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
				       "x13", "x14", "x15", "x16", "x17", "memory");
	else
		return -ENODEV;
	return (long)x0;
}

void psci_system_off(void)
{
	psci_call(PSCI_0_2_FN_SYSTEM_OFF, 0, 0, 0);
}

/* A PSCI return code as a negative errno. */
static int psci_errno(long ret)
{
	switch (ret) {
	case PSCI_SUCCESS:
		return 0;
	case PSCI_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	case PSCI_INVALID_PARAMETERS:
		return -EINVAL;
	case PSCI_DENIED:
		return -EPERM;
	case PSCI_ALREADY_ON:
		return -EALREADY;
	case PSCI_ON_PENDING:
		return -EINPROGRESS;
	case PSCI_NOT_PRESENT:
	case PSCI_DISABLED:
		return -ENODEV;
	case PSCI_INVALID_ADDRESS:
		return -EFAULT;
	case PSCI_INTERNAL_FAILURE:
	default:
		return -EIO;
	}
}

int psci_cpu_on(uint64_t mpidr, uintptr_t entry, uint64_t context)
{
	if (psci_conduit == PSCI_NONE)
		return -ENODEV;
	/* The result is a 32-bit signed value, even for a 64-bit call. */
	return psci_errno((int32_t)psci_call(PSCI_0_2_FN64_CPU_ON, mpidr, entry, context));
}
