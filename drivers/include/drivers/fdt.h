/* SPDX-License-Identifier: MIT */
/*
 * A small read-only flattened device tree (DTB) parser.
 *
 * Weft only reads the DTB the firmware hands over, so it needs a few lookups
 * rather than all of libfdt. Every access is bounds-checked against the
 * header's totalsize, so a malformed DTB gives an error, never a wild read.
 * Nodes are named by their offset in the structure block, as in libfdt;
 * negative values are errors (-EINVAL, -ENOENT).
 */
#ifndef WEFT_DRIVERS_FDT_H
#define WEFT_DRIVERS_FDT_H

#include <stdbool.h>
#include <stdint.h>

/* 0 if `fdt` has a valid header and blocks inside its size, else -EINVAL. */
int fdt_check(const void *fdt);
uint32_t fdt_totalsize(const void *fdt);

/* Node by absolute path ("/", "/chosen", "/soc/uart@10000000"); a component
 * without '@' matches a node name up to its '@'. */
int fdt_path_offset(const void *fdt, const char *path);

/* Iterate over all nodes in document order: start with offset -1. *depth (may
 * be NULL) is updated to the new node's depth. Returns -ENOENT at the end. */
int fdt_next_node(const void *fdt, int node, int *depth);

/* First child, or next sibling, of a node; -ENOENT when there is none. */
int fdt_first_child(const void *fdt, int node);
int fdt_next_sibling(const void *fdt, int node);

/* Parent of a node (a linear scan), or -ENOENT for the root. */
int fdt_parent(const void *fdt, int node);

/* Node name, such as "uart@10000000". */
const char *fdt_name(const void *fdt, int node);

/* Property value and length, or NULL if absent. */
const void *fdt_getprop(const void *fdt, int node, const char *name, int *len);

/* Whether the node's "compatible" list contains `compat`. */
bool fdt_is_compatible(const void *fdt, int node, const char *compat);

/* Next node after `node` (-1: from the start) compatible with `compat`. */
int fdt_find_compatible(const void *fdt, int node, const char *compat);

/* Node with this phandle, or -ENOENT. */
int fdt_find_phandle(const void *fdt, uint32_t phandle);

/* A node's status is "okay" or absent. */
bool fdt_is_enabled(const void *fdt, int node);

/* Cell counts that apply to `node`'s own "reg" (its parent's values). */
int fdt_addr_cells(const void *fdt, int node);
int fdt_size_cells(const void *fdt, int node);

/* Entry `idx` of the node's "reg"; 0 or -ENOENT. */
int fdt_reg(const void *fdt, int node, int idx, uint64_t *base, uint64_t *size);

/* fdt_reg() for a caller that knows the node's parent (a walk that keeps
 * its path), which saves fdt_reg's scan from the root to find it: walking
 * every node's "reg" stays linear in the size of the tree. */
int fdt_reg_under(const void *fdt, int parent, int node, int idx, uint64_t *base, uint64_t *size);

/* Property as a 32-bit or a cell-sized number; `def` when absent or short. */
uint32_t fdt_getprop_u32(const void *fdt, int node, const char *name, uint32_t def);

/* The memory reservation block (/memreserve/), entry `idx`; 0 or -ENOENT. */
int fdt_mem_rsv(const void *fdt, int idx, uint64_t *base, uint64_t *size);

/* Big-endian loads. */
static inline uint32_t fdt32_ld(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t fdt_cells_ld(const void *p, int cells)
{
	uint64_t v = 0;

	for (int i = 0; i < cells; i++)
		v = v << 32 | fdt32_ld((const uint8_t *)p + 4 * i);
	return v;
}

#endif
