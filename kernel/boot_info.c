// SPDX-License-Identifier: MIT
/* Helpers that fill struct boot_info, including from a device tree. */
#include <errno.h>
#include <string.h>

#include <drivers/fdt.h>
#include <kernel/boot_info.h>

int boot_add_mem(struct boot_info *bi, paddr_t base, uint64_t size)
{
	if (bi->nmem >= BOOT_MAX_REGIONS)
		return -ENOSPC;
	bi->mem[bi->nmem++] = (struct mem_region){ base, size };
	return 0;
}

int boot_add_reserved(struct boot_info *bi, paddr_t base, uint64_t size)
{
	if (bi->nreserved >= BOOT_MAX_REGIONS)
		return -ENOSPC;
	bi->reserved[bi->nreserved++] = (struct mem_region){ base, size };
	return 0;
}

uint64_t boot_mem_total(const struct boot_info *bi)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < bi->nmem; i++)
		total += bi->mem[i].size;
	return total;
}

static bool is_cpu(const void *dtb, int node)
{
	int len;
	const char *type = fdt_getprop(dtb, node, "device_type", &len);

	return type && len >= 4 && strcmp(type, "cpu") == 0 && fdt_is_enabled(dtb, node);
}

/* CPUs under /cpus, boot CPU (already in cpu_hwid[0]) first. */
static void dtb_cpus(struct boot_info *bi, const void *dtb)
{
	int cpus = fdt_path_offset(dtb, "/cpus");

	if (cpus < 0)
		return;
	for (int n = fdt_first_child(dtb, cpus); n >= 0; n = fdt_next_sibling(dtb, n)) {
		uint64_t id;

		if (!is_cpu(dtb, n) || fdt_reg(dtb, n, 0, &id, NULL) < 0)
			continue;
		if (bi->ncpus > 0 && id == bi->cpu_hwid[0])
			continue;
		if (bi->ncpus < BOOT_MAX_CPUS)
			bi->cpu_hwid[bi->ncpus++] = id;
	}
}

static void dtb_memory(struct boot_info *bi, const void *dtb)
{
	int len;

	for (int n = fdt_next_node(dtb, -1, NULL); n >= 0; n = fdt_next_node(dtb, n, NULL)) {
		const char *type = fdt_getprop(dtb, n, "device_type", &len);
		uint64_t base, size;

		if (!type || len < 7 || strcmp(type, "memory") != 0 || !fdt_is_enabled(dtb, n))
			continue;
		for (int i = 0; fdt_reg(dtb, n, i, &base, &size) == 0; i++)
			if (size)
				boot_add_mem(bi, base, size);
	}

	/* /memreserve/ entries and /reserved-memory children (firmware such
	 * as OpenSBI's own region). */
	uint64_t base, size;

	for (int i = 0; fdt_mem_rsv(dtb, i, &base, &size) == 0; i++)
		boot_add_reserved(bi, base, size);
	int rsv = fdt_path_offset(dtb, "/reserved-memory");

	for (int n = rsv >= 0 ? fdt_first_child(dtb, rsv) : -ENOENT; n >= 0;
	     n = fdt_next_sibling(dtb, n))
		for (int i = 0; fdt_reg_under(dtb, rsv, n, i, &base, &size) == 0; i++)
			boot_add_reserved(bi, base, size);
	boot_add_reserved(bi, (paddr_t)(uintptr_t)dtb, fdt_totalsize(dtb));
}

int boot_info_from_dtb(struct boot_info *bi, const void *dtb)
{
	int len;

	if (fdt_check(dtb) < 0)
		return -EINVAL;
	bi->dtb = dtb;
	dtb_cpus(bi, dtb);
	dtb_memory(bi, dtb);

	int chosen = fdt_path_offset(dtb, "/chosen");
	const char *args = chosen >= 0 ? fdt_getprop(dtb, chosen, "bootargs", &len) : NULL;

	if (args && len > 0 && !bi->cmdline[0]) {
		size_t n = MIN((size_t)len, sizeof(bi->cmdline) - 1);

		memcpy(bi->cmdline, args, n);
		bi->cmdline[n] = '\0';
	}
	return 0;
}
