# SPDX-License-Identifier: MIT
# What every newlib arch (riscv64, aarch64, x86_64) compiles and links with.
# An arch.mk includes this after setting CC, and adds NEWLIB_CFLAGS to its
# ARCH_CFLAGS and NEWLIB_LIBS to its LIBS.

GCC_INCLUDE := $(shell $(CC) -print-file-name=include)
# GCC's limits.h lives here; newlib's limits.h reaches it with #include_next.
GCC_INCLUDE_FIXED := $(shell $(CC) -print-file-name=include-fixed)
LIBGCC := $(shell $(CC) -print-libgcc-file-name)

# Only newlib's headers and the compiler's own, never the host's.
# __DYNAMIC_REENT__: errno and stdio state per task, through __getreent()
# (libc/reent.c). newlib declares clock_gettime, nanosleep and
# CLOCK_MONOTONIC only where the platform says it has them; libc/syscalls.c
# implements them.
NEWLIB_CFLAGS := -nostdinc -isystem $(NEWLIB)/include -isystem $(GCC_INCLUDE) \
	-isystem $(GCC_INCLUDE_FIXED) -D__DYNAMIC_REENT__ -D_POSIX_TIMERS=1 -D_POSIX_MONOTONIC_CLOCK=200112L

NEWLIB_LIBS := $(NEWLIB)/lib/libc.a $(NEWLIB)/lib/libm.a $(LIBGCC)

LIBC_SRCS := libc/syscalls.c libc/start.c libc/reent.c libc/sleep.c libc/malloc.c libc/malloc_r.c
