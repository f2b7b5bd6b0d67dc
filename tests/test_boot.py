# SPDX-License-Identifier: MIT
"""Booting, the in-kernel test suite, exit statuses and trap reports, on
every arch."""
import re

import pytest

from conftest import boot

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)


def check_suite(b):
    """The in-kernel suite ran to the end with no failure."""
    m = SUMMARY.search(b.output)
    assert m, "no test summary line:\n" + b.output[-3000:]
    failures = [l for l in b.lines() if l.startswith("FAIL ") or l.startswith("    ")]
    assert int(m.group(2)) == 0, "in-kernel failures:\n" + "\n".join(failures)
    assert int(m.group(1)) >= 20, "too few in-kernel tests ran"
    assert b.status == 0, b.output[-2000:]


@pytest.mark.parametrize("smp", [1, 4])
def test_kernel_suite(arch_ok, smp):
    check_suite(boot(arch_ok, "tests", smp=smp, mem="512M"))


def test_hello_prints_machine_and_argv(arch_ok):
    b = boot(arch_ok, "hello", args='-- one "two words"', smp=4 if arch_ok != "hosted" else 1)
    assert b.status == 0, b.output
    assert f"Hello from Weft on {arch_ok}!" in b.output
    m = re.search(r"cpus: (\d+), memory: ([\d.]+) MiB", b.output)
    assert m, b.output
    assert int(m.group(1)) == (4 if arch_ok != "hosted" else 1)
    # %f works (newlib's float printf) and the size is about what QEMU gave.
    assert 200.0 < float(m.group(2)) <= 256.0
    assert "argc: 3" in b.output
    assert "argv[1]: one" in b.output and "argv[2]: two words" in b.output
    assert b.output.rstrip().endswith("weft: exit status 0")


@pytest.mark.parametrize("how,status", [("return", 3), ("exit", 5), ("return", 0)])
def test_make_run_exits_with_main_status(arch_ok, how, status):
    b = boot(arch_ok, "check", args=f"-- {how} {status}")
    assert b.status == status, b.output
    assert f"weft: exit status {status}" in b.output


def test_abort_is_nonzero(arch_ok):
    b = boot(arch_ok, "check", args="-- abort")
    assert b.status != 0, b.output


# Each trap: the app function that faults, and what the cause must say.
TRAPS = {
    "null": ("read_null", r"(page fault|access fault|translation fault|data abort)"),
    "illegal": ("illegal_instruction", r"(illegal|undefined) instruction"),
    "wild": ("read_wild", r"(fault|abort|protection)"),
    "misaligned": ("misaligned_atomic", r"(misaligned|alignment)"),
}


@pytest.mark.parametrize("what", sorted(TRAPS))
def test_trap_report(arch_ok, what):
    if what == "misaligned" and arch_ok in ("x86_64", "hosted"):
        pytest.skip("x86 allows misaligned atomics (split locks), so nothing traps")
    func, cause = TRAPS[what]
    b = boot(arch_ok, "check", args=f"-- {what}")
    assert b.status == 2, b.output
    out = b.output
    assert re.search(r"fatal: unexpected trap: .*" + cause, out, re.I), out
    assert re.search(r"^pc: 0x[0-9a-f]+ " + func, out, re.M), out
    assert "registers:" in out
    bt = out[out.index("backtrace:"):]
    # Symbolized frames from the faulting function down to the kernel.
    assert re.search(r"#\d+\s+0x[0-9a-f]+ " + func + r"[.\w]*\+0x", bt), bt
    assert re.search(r"#\d+\s+0x[0-9a-f]+ app_main\+0x", bt) or "libc_start+0x" in bt, bt
    # main runs as task 1, on its own stack: the walk ends where it began.
    assert "task_entry+0x" in bt, bt
    if what == "null":
        assert re.search(r"fault address: 0x0+\b", out), out
    assert out.rstrip().endswith("weft: exit status 2")


def test_unknown_boot_option_is_reported_not_fatal(arch_ok):
    b = boot(arch_ok, "check", args="bogus=1 -- return 0")
    assert b.status == 0, b.output
    assert "weft: unknown boot option 'bogus' ignored" in b.output
    assert "check: return" in b.output


def test_libc_plumbing(arch_ok):
    """newlib (glibc on hosted) is wired to the kernel: errno, malloc,
    clock_gettime(CLOCK_MONOTONIC) with nanosleep, gettimeofday, stdio."""
    b = boot(arch_ok, "check", args="-- libc")
    assert b.status == 0, b.output
    for what in ("errno", "malloc", "nanosleep", "gettimeofday", "puts"):
        assert re.search(rf"^libc: {what} ok", b.output, re.M), b.output
    assert "libc: printf %f 3.142 %e 1.23e+04" in b.output
