/* SPDX-License-Identifier: MIT */
/*
 * aarch64: the arm64 Image header (Linux Documentation/arch/arm64/booting.rst,
 * "Call the kernel image"). QEMU -kernel, U-Boot booti and UEFI loaders read
 * it, load the image at a 2 MiB aligned RAM base + text_offset and jump to
 * its first byte with x0 = the DTB, MMU off, at EL2 or EL1.
 */
#include <arch/asm.h>

/* Header flags: bit 0 little-endian (0), bits 1-2 page size 4 KiB (1), bit 3
 * image placed 2 MiB aligned near the start of RAM (0). */
#define IMAGE_FLAGS (1 << 1)

	.section .head.text, "ax"

/* void _head(const void *dtb) -- the loader's entry point, at the image's first byte: code0
 * branches over the header to _start (arch/aarch64/entry.S). */
FUNC(_head)
	b	_start			/* code0 */
	.long	0			/* code1 */
	.quad	__text_offset		/* image load offset from the 2 MiB aligned base */
	.quad	__image_size		/* effective image size, bss included */
	.quad	IMAGE_FLAGS
	.quad	0			/* res2 */
	.quad	0			/* res3 */
	.quad	0			/* res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5: offset to a PE header; none */
END(_head)
