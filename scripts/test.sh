#!/bin/sh
# SPDX-License-Identifier: MIT
# make test: build every test image, then boot them all under pytest
# (tests/), which prints "N passed, N failed". Usage: scripts/test.sh ARCH...
set -u
cd "$(dirname "$0")/.."
arches=${*:-riscv64 aarch64 x86_64 hosted}
jobs=$(nproc 2>/dev/null || echo 2)

# Build first, in parallel, so that a build error shows up as one clear
# message; the boots below then find the images ready.
for arch in $arches; do
	apps="tests hello check"
	# The network apps are booted with a NIC, which hosted has not.
	[ "$arch" = hosted ] || apps="$apps httpd echo"
	for app in $apps; do
		make -s --no-print-directory -j"$jobs" ARCH="$arch" APP="$app" image ||
			echo "test.sh: building $app for $arch failed" >&2
	done
done
# The network tests boot QEMU with it (Makefile, LISTEN_BACKLOG_SO).
make -s --no-print-directory build/tools/listen_backlog.so ||
	echo "test.sh: building build/tools/listen_backlog.so failed" >&2

WEFT_ARCHES="$arches" /usr/bin/python3 -m pytest -p no:cacheprovider -q -rfE tests
