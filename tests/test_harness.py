# SPDX-License-Identifier: MIT
"""The test harness itself: a failing in-kernel test must fail the run."""
import os

import pytest

from conftest import arch_available, boot


def test_failing_test_fails_the_suite():
    if not arch_available("hosted"):
        pytest.skip("no host compiler")
    b = boot("hosted", "tests", args="-- selftest", extra=["FAILING_TEST=1"])
    assert b.status == 1, b.output
    assert "FAIL selftest.deliberately_fails" in b.output
    assert "1 passed, 1 failed" in b.output
    assert "expected 1 + 1 == 3, got 2 vs 3" in b.output
