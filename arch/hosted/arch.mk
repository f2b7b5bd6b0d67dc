# SPDX-License-Identifier: MIT
# hosted: the kernel as a Linux process (one pthread per CPU), for fast tests,
# sanitizers and benchmarks against Go.
CC := gcc
NM := nm

ARCH_CFLAGS := -pthread
ifeq ($(SANITIZE),asan)
ARCH_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all
else ifeq ($(SANITIZE),tsan)
ARCH_CFLAGS += -fsanitize=thread
else ifneq ($(SANITIZE),)
$(error SANITIZE=$(SANITIZE): use asan or tsan)
endif

LIBC_SRCS := libc/hosted.c libc/sleep.c libc/malloc.c
# ACPI table parsing is generic (drivers/pci reads the MCFG through it);
# a process has no firmware tables, so it always finds none.
ARCH_DRIVERS := arch/common/pci_none.c drivers/acpi/acpi.c drivers/acpi/fadt.c
LINKER_SCRIPT :=
LINK = $(CC) $(ARCH_CFLAGS) -rdynamic
LIBS := -lpthread -lrt

IMAGE := $(B)/weft
$(IMAGE): $(B)/weft.elf
	$(Q)cp $< $@

# -smp and -m stand in for QEMU's; the rest is the kernel command line.
RUN_CMD = $(IMAGE) -smp $(SMP) -m $(MEM) $(ARGS)
