#!/bin/sh
# SPDX-License-Identifier: MIT
# Install what Weft needs on Debian 12, from Debian's registry only, then build
# newlib for each bare-metal arch. Idempotent: installed packages and built
# libraries are skipped. Usage: scripts/deps.sh BUILD_ROOT
set -eu
root=${1:-build}

packages="make gcc libc6-dev python3 python3-pytest curl netcat-openbsd wrk apache2-utils golang-go clang-format
	qemu-system-misc qemu-system-arm qemu-system-x86 qemu-system-data ipxe-qemu qemu-utils
	gcc-riscv64-unknown-elf gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
	opensbi ovmf gnu-efi newlib-source mtools dosfstools device-tree-compiler
	u-boot-qemu u-boot-tools dpkg-dev"

missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done

# Root, password-less sudo, or nothing (then $sudo_ok is empty).
sudo_ok=1
if [ "$(id -u)" = 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo="sudo -n"
else
	sudo_ok=
fi

if [ -n "$missing" ]; then
	if [ -z "$sudo_ok" ]; then
		echo "deps: missing Debian packages:$missing" >&2
		echo "deps: run 'make deps' as root, or with password-less sudo, to install them" >&2
		exit 1
	fi
	echo "  APT     $missing"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		$missing >/dev/null
fi

# lwIP 2.1.3 from Debian's source package (with Debian's patches applied),
# unpacked into $root/src; the Makefile compiles it into every image. apt-get
# source needs a deb-src entry: the same mirrors as the binary packages.
lwip_dir="$root/src/lwip-2.1.3+dfsg1"
if [ ! -f "$lwip_dir/src/core/init.c" ]; then
	src_list=/etc/apt/sources.list.d/weft-src.sources
	if ! apt-get source --print-uris lwip >/dev/null 2>&1; then
		if [ -z "$sudo_ok" ]; then
			echo "deps: apt-get source lwip needs a deb-src entry ($src_list)" >&2
			echo "deps: run 'make deps' as root, or with password-less sudo" >&2
			exit 1
		fi
		if [ -f /etc/apt/sources.list.d/debian.sources ]; then
			echo "  APT     deb-src entry $src_list"
			sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
				$sudo tee "$src_list" >/dev/null
		else
			# An older machine with a one-line-style sources.list.
			src_list=/etc/apt/sources.list.d/weft-src.list
			echo "  APT     deb-src entry $src_list"
			sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list |
				$sudo tee "$src_list" >/dev/null
		fi
		$sudo apt-get update -qq
	fi
	echo "  SRC     lwip"
	mkdir -p "$root/src"
	(cd "$root/src" && apt-get source -qq lwip >/dev/null)
	test -f "$lwip_dir/src/core/init.c" || {
		echo "deps: apt-get source lwip did not unpack $lwip_dir" >&2
		exit 1
	}
fi

for arch in riscv64 aarch64 x86_64; do
	"$(dirname "$0")/build-newlib.sh" "$arch" "$root"
done
