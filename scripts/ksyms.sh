#!/bin/sh
# SPDX-License-Identifier: MIT
# Emit the image's function symbol table as assembly (see kernel/include/kernel/ksym.h).
# Usage: scripts/ksyms.sh NM ELF > ksyms.S
# With ELF "-", an empty table: the first link's stand-in (Makefile).
set -eu
nm=$1
elf=$2
if [ "$elf" = - ]; then
	cat /dev/null
else
	"$nm" -n --defined-only "$elf"
fi | awk '
	# mawk (the Debian default) has no strtonum.
	function hex(s,    i, v) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
		return v
	}
	$3 == "__executable_start" { base = hex($1) }
	# data_start: glibc crt1.o (hosted) labels .data with a weak symbol.
	$2 ~ /^[tTwW]$/ && $3 !~ /^\.L/ && $3 !~ /^\$/ && $3 != "data_start" {
		addr[n] = hex($1); name[n] = $3; n++
	}
	END {
		print "\t.section .note.GNU-stack, \"\", %progbits"
		print "\t.section .ksyms, \"a\""
		print "\t.balign 8"
		print "\t.globl ksym_count"
		print "ksym_count:\n\t.long " n
		print "\t.balign 8"
		print "\t.globl ksym_table"
		print "ksym_table:"
		off = 0
		for (i = 0; i < n; i++) {
			printf "\t.long %d, %d\n", addr[i] - base, off
			off += length(name[i]) + 1
		}
		print "\t.globl ksym_names"
		print "ksym_names:"
		for (i = 0; i < n; i++)
			printf "\t.asciz \"%s\"\n", name[i]
	}'
