# SPDX-License-Identifier: MIT
"""Memory: stack overflow and trap-stack overflow reports, W^X faults and
running out of memory, each in a boot of its own, on every arch. The
in-kernel suites (stack.*, heap.*, mm.*) cover the rest."""
import re

import pytest

from conftest import boot


@pytest.mark.parametrize("option,limit", [("", 1024), ("stack_max=256K ", 256)])
def test_stack_overflow_is_reported(arch_ok, option, limit):
    b = boot(arch_ok, "check", args=f"{option}-- overflow")
    assert b.status == 2, b.output
    assert re.search(rf"panic: task 2: stack overflow \(limit {limit} KiB", b.output), b.output
    bt = b.output[b.output.index("backtrace:"):]
    assert re.search(r"#\d+\s+0x[0-9a-f]+ recurse_forever\+0x", bt), bt
    assert "overflow: still running" not in b.output
    assert b.output.rstrip().endswith("weft: exit status 2")


def test_trap_stack_overflow_is_reported(arch_ok):
    b = boot(arch_ok, "check", args="-- trapstack")
    assert b.status == 2, b.output
    assert re.search(r"trap stack overflow", b.output), b.output
    assert b.output.rstrip().endswith("weft: exit status 2")


WX = {
    "wx-text": ("write_text", r"write to read-only memory"),
    "wx-rodata": ("write_rodata", r"write to read-only memory"),
    "wx-heap": (None, r"instruction fetch from non-executable memory"),
    "wx-stack": (None, r"instruction fetch from non-executable memory"),
}


@pytest.mark.parametrize("what", sorted(WX))
def test_w_xor_x(arch_ok, what):
    func, cause = WX[what]
    b = boot(arch_ok, "check", args=f"-- {what}")
    assert b.status == 2, b.output
    assert re.search(r"fatal: unexpected trap: .*" + cause, b.output), b.output
    assert re.search(r"^fault address: 0x[0-9a-f]+", b.output, re.M), b.output
    if func:
        assert re.search(r"^pc: 0x[0-9a-f]+ " + func, b.output, re.M), b.output
    assert b.output.rstrip().endswith("weft: exit status 2")


def test_out_of_memory_is_enomem_and_recoverable(arch_ok):
    b = boot(arch_ok, "check", args="-- oom", smp=2)
    assert b.status == 0, b.output
    m = re.search(r"oom: (\d+) MiB allocated, then NULL with errno ENOMEM", b.output)
    assert m and int(m.group(1)) >= 128, b.output
    again = re.search(r"oom: freed; (\d+) MiB allocated again", b.output)
    assert again and int(again.group(1)) >= int(m.group(1)) * 9 // 10, b.output
    # The tasks it starts afterwards still run and print.
    assert len(re.findall(r"^line task=\d+ n=\d+ ", b.output, re.M)) >= 4, b.output
