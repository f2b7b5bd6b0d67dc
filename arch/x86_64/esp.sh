#!/bin/bash
# SPDX-License-Identifier: MIT
# x86_64: put the EFI image, and the kernel command line, on an EFI system partition.
#
#   esp.sh run EFI QEMU-COMMAND... -- [KERNEL-COMMAND-LINE-WORDS...]
#       Run QEMU with an ESP directory of its own, attached through QEMU's
#       vvfat, holding \EFI\BOOT\BOOTX64.EFI and \EFI\weft\cmdline.txt (which
#       boot/x86_64/efi.c reads). Each run has its own directory, so runs with
#       different ARGS, one after another or side by side, never see each
#       other's command line. Exits with QEMU's status.
#   esp.sh image OUT EFI [KERNEL-COMMAND-LINE-WORDS...]
#       Write a FAT image of such an ESP (no partition table: firmware boots
#       it from a USB stick, or copy its files onto an existing ESP).
#
# The words become one line, with double quotes around words that hold
# blanks (kernel/bootargs.c), so that ARGS="-- a 'b c'" gives argv a, "b c".
set -eu

cmdline() {
	local line= w
	for w in "$@"; do
		[[ $w == *[[:space:]]* ]] && w="\"$w\""
		line+="${line:+ }$w"
	done
	printf '%s\n' "$line"
}

# Fill directory $1 as an ESP for EFI image $2 and command line words $3...
fill_esp() {
	local dir=$1 efi=$2
	shift 2
	mkdir -p "$dir/EFI/BOOT" "$dir/EFI/weft"
	cp "$efi" "$dir/EFI/BOOT/BOOTX64.EFI"
	cmdline "$@" >"$dir/EFI/weft/cmdline.txt"
}

mode=${1:-}
case $mode in
run)
	efi=$2
	shift 2
	qemu=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		qemu+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift

	# Runs killed by a timeout cannot clean up: remove the ESPs of runs
	# whose process is gone.
	base=$(dirname "$efi")
	for old in "$base"/esp-run.*; do
		[ -d "$old" ] && ! kill -0 "${old##*.}" 2>/dev/null && rm -rf "$old"
	done
	esp=$base/esp-run.$$
	trap 'rm -rf "$esp"' EXIT
	trap 'exit 130' INT TERM HUP
	rm -rf "$esp"
	fill_esp "$esp" "$efi" "$@"
	status=0
	"${qemu[@]}" -drive "format=raw,file=fat:rw:$esp" || status=$?
	exit $status
	;;
image)
	out=$2 efi=$3
	shift 3
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	fill_esp "$tmp/esp" "$efi" "$@"
	# 32 MiB: FAT16, with room to spare for the image.
	rm -f "$out"
	export MTOOLS_SKIP_CHECK=1
	mformat -i "$out" -C -T 65536 -h 64 -s 32 -v WEFT ::
	mcopy -i "$out" -s "$tmp/esp/EFI" ::/
	;;
*)
	echo "usage: esp.sh run EFI QEMU-COMMAND... -- [WORDS...] | esp.sh image OUT EFI [WORDS...]" >&2
	exit 2
	;;
esac
