// SPDX-License-Identifier: MIT
/* The system part of the public API (<weft.h>). */
#include <weft.h>

#include <arch.h>
#include <kernel/kernel.h>
#include <kernel/mem.h>

const char *sys_arch(void)
{
	return arch_name;
}

void read_memstats(struct memstats *ms)
{
	mem_stats(ms);
}
