# SPDX-License-Identifier: MIT
# aarch64: EL1 (or entered at EL2 and dropped to EL1), arm64 Image protocol (QEMU virt -kernel,
# U-Boot booti). Make variables for `make run`: GIC=3 (GICv3 instead of the default GICv2) and
# EL2=1 (enter at EL2: -machine virtualization=on, PSCI through smc).
CROSS := aarch64-linux-gnu-
CC := $(CROSS)gcc
NM := $(CROSS)nm
OBJCOPY := $(CROSS)objcopy

include libc/newlib.mk

# The Linux cross compiler used freestanding: no PIE (Debian's default), and no outline atomics
# (Debian's default; their libgcc helpers pick LSE through getauxval, which we lack). Frame
# records in leaf functions too, so that a fault in a leaf shows its caller in the backtrace.
ARCH_CFLAGS := -march=armv8-a -mtune=cortex-a72 -fno-pie -mno-outline-atomics \
	-mno-omit-leaf-frame-pointer $(NEWLIB_CFLAGS)
# Interrupt and trap paths never touch FP/SIMD registers, so a trap saves only x0-x30.
KERNEL_CFLAGS := -mgeneral-regs-only
# mmu_boot.c runs with the MMU off, where all data accesses are to Device memory, and unaligned
# Device accesses always fault: keep the compiler from merging or widening accesses, and from
# turning loops into library calls that assume Normal memory.
CFLAGS_mmu_boot.c := -mstrict-align -fno-tree-loop-distribute-patterns

ARCH_DRIVERS := arch/common/pci_none.c drivers/uart/uart.c drivers/uart/pl011.c drivers/irq/gic.c \
	drivers/acpi/acpi.c drivers/acpi/fadt.c
LINKER_SCRIPT := linker/aarch64.ld
LINK = $(CC) $(ARCH_CFLAGS) -nostdlib -static -no-pie -T $(LINKER_SCRIPT) -Wl,--gc-sections \
	-Wl,-z,noexecstack -Wl,--build-id=none
LIBS := -Wl,--start-group $(NEWLIB_LIBS) -Wl,--end-group

# The arm64 Image: the ELF's bytes from the load address on, with the header
# (boot/aarch64/header.S) first. QEMU -kernel and U-Boot booti load it and
# pass the DTB in x0.
IMAGE := $(B)/Image
$(IMAGE): $(B)/weft.elf
	$(quiet) OBJCOPY $@
	$(Q)$(OBJCOPY) -O binary $< $@

GIC ?= 2
EL2 ?= 0
ifeq ($(filter $(GIC),2 3),)
$(error GIC=$(GIC): use 2 or 3)
endif
ifeq ($(filter $(EL2),0 1),)
$(error EL2=$(EL2): use 0 or 1)
endif
comma := ,
QEMU_MACHINE := virt$(if $(filter 3,$(GIC)),$(comma)gic-version=3)$(if \
	$(filter 1,$(EL2)),$(comma)virtualization=on)

# The kernel command line: the shell splits ARGS as it would for a hosted run
# (no globbing), and words with blanks get the double quotes the kernel's
# parser knows.
QEMU_APPEND = "$$(set -f; s=; for w in $(ARGS); do case "$$w" in \
	*[[:space:]]*) printf '%s"%s"' "$$s" "$$w";; *) printf '%s%s' "$$s" "$$w";; esac; \
	s=' '; done)"

# The NIC and entropy device of `make run` (Makefile: NET, NIC, RNG).
DEFAULT_NIC := virtio-net-device
DEFAULT_RNG := virtio-rng-device
RUN_CMD = qemu-system-aarch64 -machine $(QEMU_MACHINE) -cpu cortex-a72 -smp $(SMP) -m $(MEM) \
	-nographic -no-reboot -kernel $(IMAGE) -append $(QEMU_APPEND) \
	$(NET_FLAGS) $(QEMU_FLAGS)
