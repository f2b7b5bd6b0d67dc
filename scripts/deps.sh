#!/bin/sh
# SPDX-License-Identifier: MIT
# Install what Weft needs on Debian 12, from Debian's registry only, then build
# newlib for each bare-metal arch. Idempotent: installed packages and built
# libraries are skipped. Usage: scripts/deps.sh BUILD_ROOT
set -eu
root=${1:-build}

packages="make gcc libc6-dev python3 python3-pytest curl netcat-openbsd wrk golang-go clang-format
	qemu-system-misc qemu-system-arm qemu-system-x86 qemu-system-data ipxe-qemu qemu-utils
	gcc-riscv64-unknown-elf gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
	opensbi ovmf gnu-efi newlib-source mtools dosfstools device-tree-compiler
	u-boot-qemu u-boot-tools"

missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		sudo=
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo="sudo -n"
	else
		echo "deps: missing Debian packages:$missing" >&2
		echo "deps: run 'make deps' as root, or with password-less sudo, to install them" >&2
		exit 1
	fi
	echo "  APT     $missing"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		$missing >/dev/null
fi

for arch in riscv64 aarch64 x86_64; do
	"$(dirname "$0")/build-newlib.sh" "$arch" "$root"
done
