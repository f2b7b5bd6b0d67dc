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
# (arch/hosted/cpu.c); that one test runs in the other builds.
SKIP = {"asan": "", "tsan": "-- -sched.preemption"}


@pytest.mark.parametrize("sanitizer", ["asan", "tsan"])
def test_suite_under_sanitizer(sanitizer):
    if not arch_available("hosted"):
        pytest.skip("no host compiler")
    b = boot("hosted", "tests", args=SKIP[sanitizer], smp=4, timeout=600,
             extra=[f"SANITIZE={sanitizer}"])
    assert not REPORTS.search(b.output), b.output
    check_suite(b)
