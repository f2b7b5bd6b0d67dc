// SPDX-License-Identifier: MIT
/* The system part of the public API (<weft.h>). */
#include <weft.h>

#include <arch.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>

const char *sys_arch(void)
{
	return arch_name;
}

void read_memstats(struct memstats *ms)
{
	mm_stats(ms);
}
