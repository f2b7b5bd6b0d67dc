# SPDX-License-Identifier: MIT
"""The scheduler seen from outside: Go's semantics at the edges (deadlock,
closing twice, a panic in a task, main returning while tasks run), per-task
errno, whole lines from concurrent printers, and an idle CPU that sleeps."""
import re
import resource
import subprocess

import pytest

from conftest import ROOT, boot


def smp_for(arch):
    return 4


def test_deadlock_is_detected(arch_ok):
    b = boot(arch_ok, "check", args="-- deadlock", smp=smp_for(arch_ok))
    assert b.status == 2, b.output
    assert "fatal: all tasks are asleep - deadlock!" in b.output
    # Both blocked tasks are listed with what they wait for and where.
    assert re.search(r"task 1 \[waiting: chan receive\]", b.output), b.output
    assert re.search(r"task 2 \[waiting: chan receive\]", b.output), b.output
    assert "block_forever+0x" in b.output


def test_closing_twice_panics(arch_ok):
    b = boot(arch_ok, "check", args="-- close2", smp=smp_for(arch_ok))
    assert b.status == 2, b.output
    assert "panic: chan_close: close of closed channel" in b.output
    assert "backtrace:" in b.output and "chan_close+0x" in b.output


def test_panic_in_a_task_dumps_every_task(arch_ok):
    b = boot(arch_ok, "check", args="-- taskpanic", smp=smp_for(arch_ok))
    assert b.status == 2, b.output
    assert "fatal: unexpected trap" in b.output
    dump = b.output[b.output.index("tasks:"):]
    assert re.search(r"task 2 \[running\] \(this task\)", dump), dump
    assert re.search(r"task 1 \[waiting: chan receive\]", dump), dump
    assert "app_main+0x" in dump


def test_main_returning_ends_the_image_while_tasks_run(arch_ok):
    b = boot(arch_ok, "check", args="-- busyexit 7", smp=smp_for(arch_ok))
    assert b.status == 7, b.output


def test_errno_is_per_task(arch_ok):
    b = boot(arch_ok, "check", args="-- errno", smp=smp_for(arch_ok))
    assert b.status == 0, b.output
    assert "errno: 0 mismatches" in b.output


def test_lines_from_concurrent_tasks_are_never_torn(arch_ok):
    b = boot(arch_ok, "check", args="-- print 8", smp=smp_for(arch_ok))
    assert b.status == 0, b.output
    pat = re.compile(r"^line task=(\d\d) n=(\d\d) abcdefghijklmnopqrstuvwxyz0123456789 end$")
    seen = set()
    for line in b.lines():
        if "task=" in line:
            m = pat.match(line)
            assert m, f"torn line: {line!r}"
            seen.add((m.group(1), m.group(2)))
    assert len(seen) == 8 * 50


def cpu_seconds_of(arch, ms):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    b = boot(arch, "check", args=f"-- sleep {ms}", smp=1)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert b.status == 0 and "woke" in b.output, b.output
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def test_an_idle_guest_does_not_spin(arch_ok):
    """A guest whose only task sleeps must leave the host CPU alone: the CPU
    time of a 5 s sleep, less that of a 0 s one (the boot), is well under a
    fifth of a core. A guest that spun in its idle loop would use ~5 s.
    The image is built first, so that the compiler's time is not counted."""
    subprocess.run(["make", "-s", "--no-print-directory", "image", f"ARCH={arch_ok}",
                    "APP=check", "NET=none"], cwd=ROOT, check=True)
    idle = cpu_seconds_of(arch_ok, 5000) - cpu_seconds_of(arch_ok, 0)
    print(f"{arch_ok}: {idle:.2f} s of host CPU over 5 s of guest sleep")
    assert idle < 1.0


def test_procs_limits_the_cpus_that_run_tasks(arch_ok):
    b = boot(arch_ok, "hello", args="procs=2", smp=4)
    assert b.status == 0, b.output
    assert "cpus: 2," in b.output
    assert "unknown boot option" not in b.output


def test_timeslice_option(arch_ok):
    good = boot(arch_ok, "check", args="timeslice=2000000 -- busyexit 0", smp=2)
    assert good.status == 0, good.output
    assert "timeslice" not in good.output.replace("check: busyexit", "")
    bad = boot(arch_ok, "check", args="timeslice=fast -- return 0")
    assert bad.status == 0, bad.output
    assert "boot option timeslice=fast is not a number" in bad.output
