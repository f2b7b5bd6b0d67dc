/* SPDX-License-Identifier: MIT */
/* x86_64 tests: the layout of struct x86_test_regs, shared by switch_test.c
 * and switch_helpers.S. */
#ifndef WEFT_ARCH_X86_64_TESTS_SWITCH_TEST_H
#define WEFT_ARCH_X86_64_TESTS_SWITCH_TEST_H

#define TR_GPR 0 /* rax rbx rcx rdx rsi rdi rbp r8 ... r15: 15 words */
#define TR_RFLAGS 120
#define TR_XMM 128 /* xmm0..15, 16 bytes each */
#define TR_YMMH 384 /* bits 255:128 of ymm0..15 (with AVX) */
#define TR_ST0 640 /* the x87 st(0), as a double */
#define TR_MXCSR 648
#define TR_FCW 652
#define TR_SIZE 704 /* a multiple of 64 */

#endif
