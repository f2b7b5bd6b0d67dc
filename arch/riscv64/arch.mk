# SPDX-License-Identifier: MIT
# riscv64: S-mode under OpenSBI (QEMU virt, and boards through U-Boot booti).
CROSS := riscv64-unknown-elf-
CC := $(CROSS)gcc
NM := $(CROSS)nm
OBJCOPY := $(CROSS)objcopy

include libc/newlib.mk

# rv64gc/lp64d is the default multilib, which newlib was built for. medany:
# the image lives at 0x80200000, out of medlow's reach (+-2 GiB around 0).
# No linker relaxation (-mno-relax, --no-relax): it shrinks code depending on
# where data lands, and the two-pass link (kernel/include/kernel/ksym.h) needs
# every function at the same address in both links. So gp is unused, too.
ARCH_CFLAGS := -march=rv64gc -mabi=lp64d -mcmodel=medany -mno-relax $(NEWLIB_CFLAGS)
# RISC-V has no -mgeneral-regs-only; instead the trap entry turns the FPU off
# (sstatus.FS = Off) while the kernel handles a trap, so any FP use there faults.
KERNEL_CFLAGS :=

ARCH_DRIVERS := arch/common/pci_none.c drivers/uart/uart.c drivers/uart/ns16550.c drivers/irq/plic.c \
	drivers/acpi/acpi.c drivers/acpi/fadt.c
LINKER_SCRIPT := linker/riscv64.ld
LINK = $(CC) $(ARCH_CFLAGS) -nostdlib -static -T $(LINKER_SCRIPT) -Wl,--no-relax \
	-Wl,--gc-sections -Wl,-z,noexecstack
LIBS := $(NEWLIB_LIBS)

# Image is the ELF's bytes from the load address on, starting with the Linux
# RISC-V Image header, for U-Boot booti on boards (QEMU -kernel takes it too).
# `make run` boots the ELF, whose symbols gdb can use.
IMAGE := $(B)/Image
$(IMAGE): $(B)/weft.elf
	$(quiet) OBJCOPY $@
	$(Q)$(OBJCOPY) -O binary $< $@

OPENSBI := /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin

# The kernel command line: the shell splits ARGS as it would for a hosted
# run, and words with blanks get the double quotes the kernel's parser knows.
QEMU_APPEND = "$$(s=; for w in $(ARGS); do case "$$w" in \
	*[[:space:]]*) printf '%s"%s"' "$$s" "$$w";; *) printf '%s%s' "$$s" "$$w";; esac; \
	s=' '; done)"

# The NIC and entropy device of `make run` (Makefile: NET, NIC, RNG).
DEFAULT_NIC := virtio-net-device
DEFAULT_RNG := virtio-rng-device
RUN_CMD = qemu-system-riscv64 -machine virt -smp $(SMP) -m $(MEM) -nographic -no-reboot \
	-bios $(OPENSBI) -kernel $(B)/weft.elf -append $(QEMU_APPEND) \
	$(NET_FLAGS) $(QEMU_FLAGS)
