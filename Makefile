# SPDX-License-Identifier: MIT
# Weft: the one entry point. See README.md.
#
#   make run  [ARCH=riscv64] [APP=hello | APP_DIR=path] [SMP=1] [MEM=256M] [ARGS="... -- argv"]
#             [TIMEOUT=seconds] [QEMU_FLAGS="extra QEMU options"]
#   make test        every test on every arch
#   make deps        install Debian packages and build newlib (run first by the others)
#   make image       build the image only
#   make bench       benchmarks (docs/BENCHMARKS.md)

ARCH ?= riscv64
APP ?= hello
SMP ?= 1
MEM ?= 256M
ARGS ?=
PORT ?= 8080
TIMEOUT ?= 0
SANITIZE ?=
QEMU_FLAGS ?=
V ?= 0
comma := ,

ARCHES := riscv64 aarch64 x86_64 hosted
ifeq ($(filter $(ARCH),$(ARCHES)),)
$(error ARCH=$(ARCH) is not one of: $(ARCHES))
endif

ifdef APP_DIR
APP_DIR := $(abspath $(APP_DIR))
APP_NAME := $(notdir $(APP_DIR))
else
APP_DIR := apps/$(APP)
APP_NAME := $(APP)
endif
ifeq ($(wildcard $(APP_DIR)/*.c),)
$(error no app: $(APP_DIR) has no .c files)
endif

BUILD_ROOT := build
VARIANT := $(ARCH)$(if $(SANITIZE),-$(SANITIZE))$(if $(FAILING_TEST),-failing)
B := $(BUILD_ROOT)/$(VARIANT)/$(APP_NAME)
NEWLIB := $(BUILD_ROOT)/$(ARCH)/newlib
DEPS_STAMP := $(BUILD_ROOT)/.deps-stamp
PYTHON := /usr/bin/python3

ifeq ($(V),1)
Q :=
quiet = @true
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
Q := @
quiet = @true
else
Q := @
quiet = @printf '  %-7s %s\n'
endif

# ---- sources ----
KERNEL_SRCS := $(wildcard kernel/*.c)
DRIVER_SRCS := drivers/devices.c drivers/dt/fdt.c drivers/irq/irqchip.c \
	$(wildcard drivers/pci/*.c drivers/virtio/*.c)
APP_SRCS := $(wildcard $(APP_DIR)/*.c)
APP_CFLAGS :=
WEFT_TESTS :=
-include $(APP_DIR)/app.mk
ifeq ($(WEFT_TESTS),1)
TEST_SRCS := $(wildcard kernel/tests/*.[cS] drivers/*/tests/*.[cS] libc/tests/*.[cS] \
	arch/$(ARCH)/tests/*.[cS])
endif

# ---- flags (arch.mk adds to them) ----
WARN := -Wall -Wextra -Werror
CFLAGS := -std=gnu11 -O2 -g $(WARN) -fno-omit-frame-pointer -fno-optimize-sibling-calls \
	-fno-strict-aliasing -fno-common \
	-fno-stack-protector -MMD -MP -DWEFT_APP_NAME='"$(APP_NAME)"' \
	$(if $(FAILING_TEST),-DWEFT_FAILING_TEST)
INCLUDES := -Ikernel/include -Idrivers/include -Iarch/$(ARCH)/include -Iarch/common/include \
	-Ilibc/include
ASFLAGS := -D__ASSEMBLY__
LDFLAGS :=
LIBS :=

include arch/$(ARCH)/arch.mk

# ---- lwIP 2.1.3 (kernel/net/), from Debian's source package ----
# scripts/deps.sh unpacks it into $(LWIP); it is never committed. Only the
# parts Weft uses are compiled: the core, IPv4, the netconn and socket APIs
# and Ethernet (no apps, no IPv6, no PPP). It is third-party code, so it gets
# warnings but not -Werror; our port (kernel/net/, libc/socket.c) gets both.
LWIP := $(BUILD_ROOT)/src/lwip-2.1.3+dfsg1
LWIP_FILES := core/def.c core/inet_chksum.c core/init.c core/ip.c core/mem.c core/memp.c \
	core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/tcp.c core/tcp_in.c \
	core/tcp_out.c core/timeouts.c core/udp.c core/ipv4/dhcp.c core/ipv4/etharp.c \
	core/ipv4/icmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c \
	api/api_lib.c api/api_msg.c api/err.c api/netbuf.c api/netifapi.c api/sockets.c \
	api/tcpip.c netif/ethernet.c
LWIP_OBJS := $(patsubst %,$(B)/lwip/%.o,$(LWIP_FILES))
CFLAGS += $(if $(filter hosted,$(ARCH)),-DWEFT_HOSTED)
LWIP_CFLAGS := $(filter-out -Werror,$(CFLAGS)) -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers
KERNEL_SRCS += $(wildcard kernel/net/*.c) libc/socket.c
ifeq ($(WEFT_TESTS),1)
TEST_SRCS += $(wildcard kernel/net/tests/*.c)
endif
INCLUDES += -Ikernel/net/include -I$(LWIP)/src/include

# ---- the guest's network, for `make run` on bare-metal arches ----
# NET=user: one NIC (NIC, a QEMU -device model; arch.mk picks the default)
# on QEMU's user network, DHCP at 10.0.2.15, with host port PORT on
# 127.0.0.1 forwarded to guest port 80; NET=none: no NIC. VIRTIO_MMIO=modern
# makes virtio-mmio devices version 2 instead of QEMU's legacy default. RNG
# is the virtio-rng device (empty: none).
NET ?= user
NIC ?= $(DEFAULT_NIC)
RNG ?= $(DEFAULT_RNG)
VIRTIO_MMIO ?= legacy
ifeq ($(filter $(NET),user none),)
$(error NET=$(NET) is not one of: user none)
endif
ifeq ($(filter $(VIRTIO_MMIO),legacy modern),)
$(error VIRTIO_MMIO=$(VIRTIO_MMIO) is not one of: legacy modern)
endif
NET_FLAGS = $(if $(filter user,$(NET)),-netdev user$(comma)id=n0$(comma)hostfwd=tcp:127.0.0.1:$(PORT)-:80 \
	-device $(NIC)$(NIC_OPTS)$(comma)netdev=n0) $(if $(RNG),-device $(RNG)$(NIC_OPTS)) \
	$(if $(filter modern,$(VIRTIO_MMIO)),-global virtio-mmio.force-legacy=false) \
	$(if $(filter none,$(NET)),-nic none)

ARCH_SRCS := $(wildcard arch/$(ARCH)/*.c arch/$(ARCH)/*.S boot/$(ARCH)/*.c boot/$(ARCH)/*.S)
SRCS := $(ARCH_SRCS) $(KERNEL_SRCS) $(DRIVER_SRCS) $(ARCH_DRIVERS) $(LIBC_SRCS) $(TEST_SRCS)
OBJS := $(patsubst %,$(B)/obj/%.o,$(SRCS))
APP_OBJS := $(patsubst $(APP_DIR)/%,$(B)/app/%.o,$(APP_SRCS))
ALL_OBJS := $(OBJS) $(LWIP_OBJS) $(APP_OBJS)

# Everything is rebuilt when a flag changes, not only when a file does.
BUILD_FLAGS := $(CC) $(CFLAGS) $(ARCH_CFLAGS) $(KERNEL_CFLAGS) $(APP_CFLAGS) $(INCLUDES) $(LINK) $(LIBS)
ifneq ($(file < $(B)/flags),$(BUILD_FLAGS))
$(shell mkdir -p $(B))
$(file > $(B)/flags,$(BUILD_FLAGS))
endif
$(ALL_OBJS): $(B)/flags

.PHONY: all deps image run test bench gdb clean distclean format format-check print-%
all: image

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/deps.sh scripts/build-newlib.sh
	$(Q)scripts/deps.sh $(BUILD_ROOT)
	$(Q)touch $@

$(B)/obj/%.c.o: %.c | $(DEPS_STAMP)
	$(quiet) CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(ARCH_CFLAGS) $(KERNEL_CFLAGS) $(CFLAGS_$(notdir $<)) $(INCLUDES) -c $< -o $@

# A build tree whose lwIP source went missing fetches it again.
$(addprefix $(LWIP)/src/,$(LWIP_FILES)) &:
	$(Q)scripts/deps.sh $(BUILD_ROOT)

$(B)/lwip/%.c.o: $(LWIP)/src/%.c | $(DEPS_STAMP)
	$(quiet) CC lwip/$*.c
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(LWIP_CFLAGS) $(ARCH_CFLAGS) $(KERNEL_CFLAGS) $(INCLUDES) -c $< -o $@

$(B)/obj/%.S.o: %.S | $(DEPS_STAMP)
	$(quiet) AS $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(ARCH_CFLAGS) $(ASFLAGS) $(INCLUDES) -c $< -o $@

# App code sees only the public header and the C library, and its main()
# becomes app_main() (kernel/include/kernel/libc.h).
$(B)/app/%.c.o: $(APP_DIR)/%.c | $(DEPS_STAMP)
	$(quiet) CC $(if $(filter apps/%,$(APP_DIR)),$(APP_DIR)/$*.c,$*.c)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(ARCH_CFLAGS) $(APP_CFLAGS) -Dmain=app_main -Ilibc/include -c $< -o $@

# Two links: the second carries the symbol table of the first, placed after
# all code so that no function moves (kernel/include/kernel/ksym.h). The
# first links an empty table, so that both define the same symbols: on
# hosted, whose executable exports them (-rdynamic), the dynamic sections
# before the code then have the same size in both. The second link checks
# that every function stayed where the first put it.
$(B)/ksyms0.S: scripts/ksyms.sh
	$(Q)mkdir -p $(dir $@)
	$(Q)scripts/ksyms.sh $(NM) - > $@

$(B)/ksyms0.o $(B)/ksyms.o: $(B)/%.o: $(B)/%.S
	$(Q)$(CC) $(ARCH_CFLAGS) -c $< -o $@

$(B)/pass1.elf: $(ALL_OBJS) $(B)/ksyms0.o $(LINKER_SCRIPT)
	$(quiet) LD $@
	$(Q)$(LINK) -o $@ $(ALL_OBJS) $(B)/ksyms0.o $(LIBS)

$(B)/ksyms.S: $(B)/pass1.elf scripts/ksyms.sh
	$(quiet) KSYMS $@
	$(Q)scripts/ksyms.sh $(NM) $< > $@

$(B)/weft.elf: $(ALL_OBJS) $(B)/ksyms.o $(LINKER_SCRIPT)
	$(quiet) LD $@
	$(Q)$(LINK) -o $@.tmp $(ALL_OBJS) $(B)/ksyms.o $(LIBS)
	$(Q)scripts/ksyms.sh $(NM) $@.tmp | cmp -s - $(B)/ksyms.S || \
		{ echo "ksyms: functions moved between the two links of $@" >&2; exit 1; }
	$(Q)mv $@.tmp $@

# The device tree that the FDT parser's tests read.
$(B)/obj/kernel/tests/fdt_blob.S.o: $(B)/fdt_test.dtb
$(B)/obj/kernel/tests/fdt_blob.S.o: ASFLAGS += -Wa,-I$(B)
$(B)/fdt_test.dtb: kernel/tests/fdt_test.dts | $(DEPS_STAMP)
	$(quiet) DTC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)dtc -q -I dts -O dtb -o $@ $<

image: $(IMAGE)

# The runner streams the console, enforces TIMEOUT (seconds, 0 = none) and
# exits with the status main returned; make then exits with that status too
# (scripts/make_exit.c), so that `make run` behaves like `go run`.
-load $(BUILD_ROOT)/tools/make_exit.so
$(BUILD_ROOT)/tools/make_exit.so: scripts/make_exit.c
	@mkdir -p $(dir $@)
	$(Q)gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $<

# QEMU's user network accepts forwarded connections through a listen queue
# of two; QEMU runs with a normal one (scripts/listen_backlog.c).
LISTEN_BACKLOG_SO := $(BUILD_ROOT)/tools/listen_backlog.so
$(LISTEN_BACKLOG_SO): scripts/listen_backlog.c
	@mkdir -p $(dir $@)
	$(Q)gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $< -ldl
ifeq ($(NET)$(filter hosted,$(ARCH)),user)
RUN_ENV := env LD_PRELOAD=$(abspath $(LISTEN_BACKLOG_SO))
endif

# make expands a target's whole recipe before running it, so the status is
# read in a second target, after the boot has finished.
RUN_STATUS := $(B)/run.status
.PHONY: boot
boot: $(IMAGE) $(if $(RUN_ENV),$(LISTEN_BACKLOG_SO))
ifeq ($(NET)$(filter hosted,$(ARCH)),user)
	@echo "weft: guest port 80 is http://127.0.0.1:$(PORT)"
endif
	$(Q)$(PYTHON) scripts/run.py --timeout $(TIMEOUT) -- $(RUN_ENV) $(RUN_CMD); echo $$? > $(RUN_STATUS)

run: boot
	$(Q)$(weft-exit $(file < $(RUN_STATUS)))

print-%:
	@echo '$($*)'

# ---- tests ----
TEST_ARCHES ?= $(ARCHES)
test: $(DEPS_STAMP)
	$(Q)scripts/test.sh $(TEST_ARCHES)

bench: $(DEPS_STAMP)
	$(Q)$(PYTHON) scripts/bench.py

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	$(Q)clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

# Keeps the built newlib (build/<arch>/newlib), its source and the deps stamp.
clean:
	rm -rf $(filter-out %/newlib $(BUILD_ROOT)/src/%,$(wildcard $(BUILD_ROOT)/*/*))

# Also removes the built newlib and the deps stamp.
distclean:
	rm -rf $(BUILD_ROOT)

-include $(ALL_OBJS:.o=.d)
