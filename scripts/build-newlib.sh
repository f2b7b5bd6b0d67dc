#!/bin/sh
# SPDX-License-Identifier: MIT
# Build newlib from Debian's newlib-source tarball for one arch into
# build/<arch>/newlib. Usage: scripts/build-newlib.sh <arch> [build-root]
set -eu

arch=$1
root=${2:-build}
tarball=$(ls /usr/src/newlib/newlib-*.tar.* 2>/dev/null | head -n 1)
[ -n "$tarball" ] || { echo "build-newlib: no tarball in /usr/src/newlib (install newlib-source)" >&2; exit 1; }

mkdir -p "$root"
root=$(cd "$root" && pwd)
prefix=$root/$arch/newlib
stamp=$prefix/.stamp
# The stamp names the tarball and this script's own hash, so that changing
# a flag here rebuilds newlib on machines that already have it.
want="$(basename "$tarball") $(sha1sum <"$0" | cut -d' ' -f1)"
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && exit 0

# Two makes at once (say, two arches in parallel) must not build the same
# newlib twice: wait for the other, then check again.
exec 9>"$root/.newlib-$arch.lock"
flock 9
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && exit 0

# Every arch builds with per-task reentrancy (__getreent) and retargetable
# locks, which libc/ provides; the kernel supplies the syscalls.
common="-O2 -g -ffunction-sections -fdata-sections -D__DYNAMIC_REENT__ -fno-stack-protector"
case $arch in
riscv64)
	target=riscv64-unknown-elf
	tools=riscv64-unknown-elf-
	cflags="$common -mcmodel=medany"
	;;
aarch64)
	# The Linux cross compiler, used freestanding for a bare-metal target.
	target=aarch64-none-elf
	tools=aarch64-linux-gnu-
	cflags="$common -ffreestanding -fno-pie"
	;;
x86_64)
	# The x86_64 image is a PE/COFF EFI application: position independent,
	# and without a red zone, as the UEFI calling convention requires
	# (until ExitBootServices, firmware interrupts use the current stack).
	target=x86_64-none-elf
	tools=
	cflags="$common -ffreestanding -fpic -mno-red-zone"
	;;
*)
	echo "build-newlib: no newlib for arch '$arch'" >&2
	exit 1
	;;
esac

src=$root/src
mkdir -p "$src"
# Debian's tarball unpacks to a directory of its own naming ("newlib-salsa").
name=$(tar -tf "$tarball" | head -n 1 | cut -d/ -f1)
(
	flock 8
	if [ ! -f "$src/$name/.unpacked" ]; then
		rm -rf "${src:?}/$name"
		tar -C "$src" -xf "$tarball"
		touch "$src/$name/.unpacked"
	fi
) 8>"$root/.newlib-src.lock"

obj=$root/$arch/newlib-build
# Build into a staging prefix and swap it in at the end, so that builds
# running meanwhile keep the old newlib.
stage=$prefix.new
rm -rf "$obj" "$stage"
mkdir -p "$obj"
cd "$obj"
echo "  NEWLIB  $arch ($name, log in $obj/build.log)"
# READELF: configure's .init_array check runs it; without it (there is no
# aarch64-none-elf-readelf) newlib leaves out __libc_init_array.
{
	"$src/$name/configure" --target=$target --prefix="$stage" \
		--disable-multilib --disable-newlib-supplied-syscalls \
		--enable-newlib-retargetable-locking --enable-newlib-io-long-long \
		--enable-newlib-io-c99-formats --disable-nls \
		CC_FOR_TARGET="${tools}gcc" AR_FOR_TARGET="${tools}ar" \
		AS_FOR_TARGET="${tools}as" LD_FOR_TARGET="${tools}ld" \
		NM_FOR_TARGET="${tools}nm" RANLIB_FOR_TARGET="${tools}ranlib" \
		OBJDUMP_FOR_TARGET="${tools}objdump" READELF_FOR_TARGET="${tools}readelf" \
		CFLAGS_FOR_TARGET="$cflags"
	make -j"$(nproc)" all-target-newlib
	make install-target-newlib
} >build.log 2>&1 || { tail -n 30 build.log >&2; echo "build-newlib: $arch failed" >&2; exit 1; }

# Flatten <stage>/<target>/{include,lib} to <stage>/{include,lib}.
mv "$stage/$target/include" "$stage/include"
mv "$stage/$target/lib" "$stage/lib"
rm -rf "${stage:?}/$target" "$obj"
echo "$want" >"$stage/.stamp"
rm -rf "$prefix.old"
[ -d "$prefix" ] && mv "$prefix" "$prefix.old"
mv "$stage" "$prefix"
rm -rf "$prefix.old"
