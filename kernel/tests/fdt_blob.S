/* SPDX-License-Identifier: MIT */
/* The compiled kernel/tests/fdt_test.dts, for kernel/tests/fdt_test.c. */
	.section .rodata
	.balign 8
	.globl fdt_test_blob
fdt_test_blob:
	.incbin "fdt_test.dtb"
	.globl fdt_test_blob_end
fdt_test_blob_end:
	.section .note.GNU-stack, "", %progbits
