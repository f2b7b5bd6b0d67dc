/* SPDX-License-Identifier: MIT */
/* Facts about this boot that generic code and the public API read. */
#ifndef WEFT_KERNEL_KERNEL_H
#define WEFT_KERNEL_KERNEL_H

#include <kernel/boot_info.h>

/* The kernel's own copy of what the boot stub found, completed from the DTB. */
extern struct boot_info boot;

/* Version string of this build. */
#define WEFT_VERSION "0.1"

#endif
