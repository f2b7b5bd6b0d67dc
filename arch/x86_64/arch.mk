# SPDX-License-Identifier: MIT
# x86_64: the image is one GNU-EFI application (boot/x86_64/efi.c says why),
# booted by OVMF on QEMU q35 or by any UEFI firmware from \EFI\BOOT\BOOTX64.EFI.
CC := gcc
NM := nm
OBJCOPY := objcopy
READELF := readelf

EFI_LIB := /usr/lib
EFI_INC := /usr/include/efi

include libc/newlib.mk

# The host compiler, used freestanding against newlib (libc/newlib.mk).
# -fpic: the firmware loads the image anywhere (linker/x86_64.ld);
# -fvisibility=hidden keeps references PC-relative instead of through the
# GOT; no red zone, as newlib was built. -fshort-wchar is not used: newlib's
# wchar_t is 4 bytes, and the EFI stub writes its UCS-2 strings as u""
# literals instead.
ARCH_CFLAGS := $(NEWLIB_CFLAGS) -fpic -fvisibility=hidden -mno-red-zone \
	-fno-asynchronous-unwind-tables
# Kernel, driver, arch and libc code never touches SSE or x87 registers, so
# that interrupt entry need not save them (arch/x86_64/trap.c).
KERNEL_CFLAGS := -mgeneral-regs-only
CFLAGS_efi.c := -DGNU_EFI_USE_MS_ABI -isystem $(EFI_INC) -isystem $(EFI_INC)/x86_64 \
	-isystem $(EFI_INC)/protocol

ARCH_DRIVERS := drivers/acpi/acpi.c drivers/acpi/madt.c drivers/acpi/fadt.c \
	drivers/irq/lapic.c drivers/uart/ns16550_pio.c
LINKER_SCRIPT := linker/x86_64.ld

# A shared object, so that every absolute address is a relocation that
# crt0's _relocate can apply; -Bsymbolic binds every symbol inside the
# image, and -z defs makes an undefined one an error (a shared object may
# otherwise leave it for a dynamic linker there is none of); -znocombreloc
# keeps the relocations where the script collects them.
LINK = ld -nostdlib -shared -Bsymbolic -z defs -znocombreloc -z noexecstack \
	-T $(LINKER_SCRIPT) $(EFI_LIB)/crt0-efi-x86_64.o
# GNU-EFI's crt0 and _relocate (libgnuefi), not libefi: boot/x86_64/efi.c.
LIBS := $(NEWLIB_LIBS) $(EFI_LIB)/libgnuefi.a

EFI_SECTIONS := .text .ksyms .rodata .preinit_array .init_array .fini_array weft_tests .data \
	.dynamic .rela .reloc .bss

IMAGE := $(B)/weft.efi
$(IMAGE): $(B)/weft.elf arch/x86_64/arch.mk
	$(quiet) EFI $@
	$(Q)if $(READELF) -rW $< | awk '/^ *[0-9a-f]+ +[0-9a-f]+ R_/ && $$3 != "R_X86_64_RELATIVE"' \
		| grep .; then echo "$<: dynamic relocations that crt0 cannot apply" >&2; exit 1; fi
	$(Q)$(OBJCOPY) $(foreach s,$(EFI_SECTIONS),-j $(s)) --target=efi-app-x86_64 \
		--subsystem=10 $< $@

# A FAT image holding \EFI\BOOT\BOOTX64.EFI (and \EFI\weft\cmdline.txt from
# ARGS), to write to a USB stick or an ESP: `make image ARCH=x86_64`.
ESP_IMAGE := $(B)/esp.img
image: $(ESP_IMAGE)
.PHONY: $(ESP_IMAGE)
$(ESP_IMAGE): $(IMAGE)
	$(quiet) ESP $@
	$(Q)arch/x86_64/esp.sh image $@ $(IMAGE) $(ARGS)

OVMF := /usr/share/ovmf/OVMF.fd
# The NIC and entropy device of `make run` (Makefile: NET, NIC, RNG).
DEFAULT_NIC := virtio-net-pci
# No virtio-rng by default: the CPU has RDRAND, and QEMU 7.2 segfaulted in
# 2 of about 20 SMP=4 boots per test run while the driver probed one
# (RNG=virtio-rng-pci still adds it; the network tests do).
DEFAULT_RNG :=
# No option ROMs: OVMF would spend seconds loading iPXE for each PCI device.
NIC_OPTS := $(comma)romfile=
RUN_CMD = arch/x86_64/esp.sh run $(IMAGE) \
	qemu-system-x86_64 -machine q35 -cpu max -smp $(SMP) -m $(MEM) -bios $(OVMF) \
	-nographic -no-reboot -net none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	$(NET_FLAGS) $(QEMU_FLAGS) -- $(ARGS)
