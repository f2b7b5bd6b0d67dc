# SPDX-License-Identifier: MIT
"""The in-kernel suite on hosted under AddressSanitizer + UBSan and under
ThreadSanitizer: data races, use-after-free and undefined behaviour in the
generic kernel fail the run."""
import re

import pytest

from conftest import arch_available, boot
from test_boot import check_suite

REPORTS = re.compile(r"ERROR: AddressSanitizer|WARNING: ThreadSanitizer|runtime error:|"
                     r"ERROR: LeakSanitizer")


# ThreadSanitizer delivers asynchronous signals late and with its own
# context, so a task that never yields cannot be preempted under it
# (arch/hosted/cpu.c). The tests that need that to make progress run in
# the other builds: spinners that never yield, and 8 tasks contending for
# one mutex 800 000 times, which under TSan's cost per switch does not
# finish in minutes at 2 CPUs or more. So do the three longest stress
# tests (the prime sieve, 100 000 round trips, 100 000 spawns: over six
# minutes under TSan); the channel, select, sync and timer tests exercise
# the same code there.
# The stealing test needs preemption too: without it the CPU running the
# spawning task never leaves it, and the other CPUs drain the queue before
# it is free (seen under TSan: that CPU has 0 of 10 000 tasks, the others
# share them).
# Under TSan, task stacks are not paged in by our fault handler (TSan's
# runtime runs on them and cannot take a SIGSEGV in the middle of itself:
# arch/hosted/mmu.c), so the tests that watch stack_in_use grow are left
# out. TSan also counts every task as a thread of its own and dies past 8128
# ("Thread limit exceeded"), so 100 000 parked tasks cannot run under it.
# The reuse of a burst's dead tasks relies on the next burst coming within
# the scavenger's period (a second), and a burst of 3000 tasks takes longer
# than that under TSan.
SKIP = {"asan": "", "tsan": "-- -sched.preemption -sync.mutex_8 -sched.prime_sieve "
                           "-sched.pingpong -sched.spawn_100000 -sched.stealing "
                           "-stack.grows_to -stack.an_8m -stack.parked -stack.dead_tasks"}


# One CPU as well as four: with one, tasks that another CPU would have run
# are still parked at exit, which is where the leak checker has to see
# their stacks (libc/hosted.c).
@pytest.mark.parametrize("smp", [1, 4])
@pytest.mark.parametrize("sanitizer", ["asan", "tsan"])
def test_suite_under_sanitizer(sanitizer, smp):
    if not arch_available("hosted"):
        pytest.skip("no host compiler")
    b = boot("hosted", "tests", args=SKIP[sanitizer], smp=smp, mem="512M", timeout=600,
             extra=[f"SANITIZE={sanitizer}"])
    assert not REPORTS.search(b.output), b.output
    check_suite(b)
