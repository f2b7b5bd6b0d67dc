# SPDX-License-Identifier: MIT
"""The tree keeps the Linux kernel style of .clang-format (make format
fixes it)."""
import shutil
import subprocess

import pytest

from conftest import ROOT


def test_clang_format_clean():
    if not shutil.which("clang-format"):
        pytest.skip("clang-format is not installed")
    p = subprocess.run(["make", "-s", "--no-print-directory", "format-check"], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert p.returncode == 0, p.stdout.decode()[-4000:]
