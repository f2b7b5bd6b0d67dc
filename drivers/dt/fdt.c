// SPDX-License-Identifier: MIT
/* A small, bounds-checked, read-only flattened device tree parser. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <drivers/fdt.h>

/* Devicetree Specification v0.4, §5: header and structure block tokens. */
#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

struct fdt_header {
	uint32_t magic, totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap, version,
		last_comp_version, boot_cpuid_phys, size_dt_strings, size_dt_struct;
};

#define HDR(fdt, field) fdt32_ld((const uint8_t *)(fdt) + offsetof(struct fdt_header, field))

static const uint8_t *fdt_struct(const void *fdt)
{
	return (const uint8_t *)fdt + HDR(fdt, off_dt_struct);
}

static uint32_t struct_size(const void *fdt)
{
	return HDR(fdt, size_dt_struct);
}

uint32_t fdt_totalsize(const void *fdt)
{
	return HDR(fdt, totalsize);
}

int fdt_check(const void *fdt)
{
	if (!fdt || ((uintptr_t)fdt & 3) || HDR(fdt, magic) != FDT_MAGIC)
		return -EINVAL;
	uint32_t total = HDR(fdt, totalsize);
	uint32_t so = HDR(fdt, off_dt_struct), ss = HDR(fdt, size_dt_struct);
	uint32_t str = HDR(fdt, off_dt_strings), strs = HDR(fdt, size_dt_strings);
	uint32_t rsv = HDR(fdt, off_mem_rsvmap);

	if (HDR(fdt, version) < 17 || total < sizeof(struct fdt_header))
		return -EINVAL;
	if (so > total || ss > total - so || str > total || strs > total - str || rsv > total)
		return -EINVAL;
	if ((so & 3) || (ss & 3) || (rsv & 7))
		return -EINVAL;
	return 0;
}

/* Length of the NUL-terminated string at s, or -1 if it runs past end. */
static int bounded_strlen(const uint8_t *s, const uint8_t *end)
{
	for (const uint8_t *p = s; p < end; p++)
		if (!*p)
			return (int)(p - s);
	return -1;
}

/*
 * Decode the token at struct offset `off`. Returns the token and sets *next
 * to the offset of the following token; FDT_END on any malformation.
 */
static uint32_t next_tag(const void *fdt, int off, int *next)
{
	const uint8_t *base = fdt_struct(fdt);
	uint32_t size = struct_size(fdt);

	if (off < 0 || (uint32_t)off + 4 > size)
		return FDT_END;
	uint32_t tag = fdt32_ld(base + off);
	uint32_t p = (uint32_t)off + 4;

	switch (tag) {
	case FDT_BEGIN_NODE: {
		int n = bounded_strlen(base + p, base + size);

		if (n < 0)
			return FDT_END;
		p += (uint32_t)n + 1;
		break;
	}
	case FDT_PROP: {
		if (p + 8 > size)
			return FDT_END;
		uint32_t len = fdt32_ld(base + p);

		if (len > size - p - 8)
			return FDT_END;
		p += 8 + len;
		break;
	}
	case FDT_END_NODE:
	case FDT_NOP:
		break;
	default:
		return FDT_END;
	}
	*next = (int)((p + 3) & ~3u);
	return tag;
}

int fdt_next_node(const void *fdt, int node, int *depth)
{
	int off = 0, next;
	uint32_t tag;

	if (node >= 0) {
		/* Skip the node's own BEGIN_NODE token. */
		if (next_tag(fdt, node, &off) != FDT_BEGIN_NODE)
			return -EINVAL;
	}
	for (;;) {
		tag = next_tag(fdt, off, &next);
		switch (tag) {
		case FDT_BEGIN_NODE:
			if (depth && node >= 0)
				++*depth;
			else if (depth)
				*depth = 0;
			return off;
		case FDT_END_NODE:
			if (depth)
				--*depth;
			break;
		case FDT_END:
			return -ENOENT;
		default:
			break;
		}
		off = next;
	}
}

int fdt_first_child(const void *fdt, int node)
{
	int depth = 0;
	int child = fdt_next_node(fdt, node, &depth);

	return child >= 0 && depth == 1 ? child : -ENOENT;
}

int fdt_next_sibling(const void *fdt, int node)
{
	int depth = 0;

	do {
		node = fdt_next_node(fdt, node, &depth);
		if (node < 0 || depth < 0)
			return -ENOENT;
	} while (depth > 0);
	return node;
}

int fdt_parent(const void *fdt, int node)
{
	int stack[32];
	int depth = 0;

	for (int off = fdt_next_node(fdt, -1, &depth); off >= 0;
	     off = fdt_next_node(fdt, off, &depth)) {
		if (depth < 0 || depth >= (int)(sizeof(stack) / sizeof(stack[0])))
			return -EINVAL;
		stack[depth] = off;
		if (off == node)
			return depth ? stack[depth - 1] : -ENOENT;
	}
	return -ENOENT;
}

const char *fdt_name(const void *fdt, int node)
{
	int next;

	if (next_tag(fdt, node, &next) != FDT_BEGIN_NODE)
		return "";
	return (const char *)fdt_struct(fdt) + node + 4;
}

const void *fdt_getprop(const void *fdt, int node, const char *name, int *lenp)
{
	const uint8_t *base = fdt_struct(fdt);
	const char *strings = (const char *)fdt + HDR(fdt, off_dt_strings);
	uint32_t strsize = HDR(fdt, size_dt_strings);
	int off, next;

	if (next_tag(fdt, node, &off) != FDT_BEGIN_NODE)
		return NULL;
	for (;;) {
		uint32_t tag = next_tag(fdt, off, &next);

		if (tag == FDT_NOP) {
			off = next;
			continue;
		}
		if (tag != FDT_PROP)
			return NULL; /* properties come before child nodes */
		uint32_t len = fdt32_ld(base + off + 4);
		uint32_t nameoff = fdt32_ld(base + off + 8);

		if (nameoff < strsize &&
		    bounded_strlen((const uint8_t *)strings + nameoff,
				   (const uint8_t *)strings + strsize) >= 0 &&
		    strcmp(strings + nameoff, name) == 0) {
			if (lenp)
				*lenp = (int)len;
			return base + off + 12;
		}
		off = next;
	}
}

bool fdt_is_compatible(const void *fdt, int node, const char *compat)
{
	int len;
	const char *p = fdt_getprop(fdt, node, "compatible", &len);
	size_t clen = strlen(compat);

	while (p && len > 0) {
		int n = bounded_strlen((const uint8_t *)p, (const uint8_t *)p + len);

		if (n < 0)
			return false;
		if ((size_t)n == clen && memcmp(p, compat, clen) == 0)
			return true;
		p += n + 1;
		len -= n + 1;
	}
	return false;
}

int fdt_find_compatible(const void *fdt, int node, const char *compat)
{
	for (node = fdt_next_node(fdt, node, NULL); node >= 0;
	     node = fdt_next_node(fdt, node, NULL))
		if (fdt_is_compatible(fdt, node, compat))
			return node;
	return -ENOENT;
}

int fdt_find_phandle(const void *fdt, uint32_t phandle)
{
	for (int node = fdt_next_node(fdt, -1, NULL); node >= 0;
	     node = fdt_next_node(fdt, node, NULL))
		if (fdt_getprop_u32(fdt, node, "phandle", 0) == phandle)
			return node;
	return -ENOENT;
}

bool fdt_is_enabled(const void *fdt, int node)
{
	int len;
	const char *s = fdt_getprop(fdt, node, "status", &len);

	return !s || (len >= 4 && memcmp(s, "okay", 4) == 0) ||
	       (len >= 2 && memcmp(s, "ok", 2) == 0);
}

/* Match one path component against a node name ("uart" matches "uart@1"). */
static bool name_matches(const char *name, const char *comp, size_t n)
{
	if (strncmp(name, comp, n) != 0)
		return false;
	return name[n] == '\0' || (name[n] == '@' && !memchr(comp, '@', n));
}

int fdt_path_offset(const void *fdt, const char *path)
{
	int node = 0;

	if (path[0] != '/')
		return -EINVAL;
	if (next_tag(fdt, 0, &(int){ 0 }) != FDT_BEGIN_NODE)
		return -EINVAL;
	while (*path) {
		while (*path == '/')
			path++;
		if (!*path)
			break;
		size_t n = strcspn(path, "/");
		int child;

		for (child = fdt_first_child(fdt, node); child >= 0;
		     child = fdt_next_sibling(fdt, child))
			if (name_matches(fdt_name(fdt, child), path, n))
				break;
		if (child < 0)
			return -ENOENT;
		node = child;
		path += n;
	}
	return node;
}

uint32_t fdt_getprop_u32(const void *fdt, int node, const char *name, uint32_t def)
{
	int len;
	const void *p = fdt_getprop(fdt, node, name, &len);

	return p && len >= 4 ? fdt32_ld(p) : def;
}

/* A cell count that `parent` sets for its children (-ENOENT: the root's
 * own "reg", which has no parent: the defaults apply). */
static int cells(const void *fdt, int parent, const char *name, int def)
{
	uint32_t v =
		parent >= 0 ? fdt_getprop_u32(fdt, parent, name, (uint32_t)def) : (uint32_t)def;

	return v <= 4 ? (int)v : def;
}

int fdt_addr_cells(const void *fdt, int node)
{
	return cells(fdt, fdt_parent(fdt, node), "#address-cells", 2);
}

int fdt_size_cells(const void *fdt, int node)
{
	return cells(fdt, fdt_parent(fdt, node), "#size-cells", 1);
}

int fdt_reg(const void *fdt, int node, int idx, uint64_t *base, uint64_t *size)
{
	return fdt_reg_under(fdt, fdt_parent(fdt, node), node, idx, base, size);
}

int fdt_reg_under(const void *fdt, int parent, int node, int idx, uint64_t *base, uint64_t *size)
{
	int len;
	const uint8_t *p = fdt_getprop(fdt, node, "reg", &len);
	int ac = cells(fdt, parent, "#address-cells", 2), sc = cells(fdt, parent, "#size-cells", 1);
	int entry = 4 * (ac + sc);

	if (!p || entry == 0 || idx < 0 || (idx + 1) * entry > len || ac > 2 || sc > 2)
		return -ENOENT;
	p += idx * entry;
	*base = fdt_cells_ld(p, ac);
	if (size)
		*size = sc ? fdt_cells_ld(p + 4 * ac, sc) : 0;
	return 0;
}

int fdt_mem_rsv(const void *fdt, int idx, uint64_t *base, uint64_t *size)
{
	uint32_t off = HDR(fdt, off_mem_rsvmap) + 16u * (uint32_t)idx;

	if (idx < 0 || off + 16 > HDR(fdt, totalsize))
		return -ENOENT;
	const uint8_t *p = (const uint8_t *)fdt + off;

	*base = fdt_cells_ld(p, 2);
	*size = fdt_cells_ld(p + 8, 2);
	return *base == 0 && *size == 0 ? -ENOENT : 0;
}
