/* SPDX-License-Identifier: MIT */
/* ACPI: helpers shared by the files of drivers/acpi. */
#ifndef WEFT_DRIVERS_ACPI_PRIV_H
#define WEFT_DRIVERS_ACPI_PRIV_H

#include <stdint.h>
#include <string.h>

/* Table fields are packed and unaligned: read them bytewise. */
static inline uint16_t acpi_get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t acpi_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t acpi_get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A table signature as a printable string. */
void acpi_sig_str(const void *sig, char out[5]);

#endif
