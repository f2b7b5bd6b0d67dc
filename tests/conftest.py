# SPDX-License-Identifier: MIT
"""pytest harness: boots Weft images through `make run`, exactly as a user
does, with a timeout on every boot, and checks what they print and the exit
status. WEFT_ARCHES (space separated) limits the arches; FAILING_TEST=1 builds
the test suite with a deliberately failing test, to show that a failing
in-kernel test fails `make test`."""
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALL_ARCHES = ["riscv64", "aarch64", "x86_64", "hosted"]

# What each arch needs on the host to build and boot.
ARCH_TOOLS = {
    "riscv64": ["riscv64-unknown-elf-gcc", "qemu-system-riscv64"],
    "aarch64": ["aarch64-linux-gnu-gcc", "qemu-system-aarch64"],
    "x86_64": ["gcc", "qemu-system-x86_64"],
    "hosted": ["gcc"],
}

# Seconds a boot may take before it counts as hung. x86_64 pays 3-4 s of
# OVMF before the kernel starts; everything runs under TCG on a shared host.
BOOT_TIMEOUT = {"riscv64": 120, "aarch64": 120, "x86_64": 180, "hosted": 120}


def selected_arches():
    want = os.environ.get("WEFT_ARCHES", " ".join(ALL_ARCHES)).split()
    return [a for a in want if a in ALL_ARCHES]


def arch_available(arch):
    return all(shutil.which(t) for t in ARCH_TOOLS[arch])


@dataclass
class Boot:
    status: int
    output: str

    def lines(self):
        return self.output.splitlines()


def boot(arch, app, args="", smp=1, mem="256M", timeout=None, extra=()):
    """Build (if needed) and boot `app` on `arch` with `make run`."""
    timeout = timeout or BOOT_TIMEOUT[arch]
    # No NIC unless a test asks for one (NET=user PORT=...): boots run side
    # by side, and each forwarded port must be free.
    cmd = ["make", "-s", "--no-print-directory", "run", f"ARCH={arch}", f"APP={app}",
           f"SMP={smp}", f"MEM={mem}", f"ARGS={args}", f"TIMEOUT={timeout}", "NET=none", *extra]
    if app == "tests" and os.environ.get("FAILING_TEST"):
        cmd.append("FAILING_TEST=1")
    # The runner enforces `timeout`; this outer one only guards the build.
    p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout + 600)
    out = p.stdout.decode(errors="replace").replace("\r\n", "\n")
    # OVMF paints the screen with ANSI escapes before the kernel starts.
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)
    return Boot(p.returncode, out)


def pytest_generate_tests(metafunc):
    if "arch" in metafunc.fixturenames:
        metafunc.parametrize("arch", selected_arches())


@pytest.fixture
def arch_ok(arch):
    if not arch_available(arch):
        pytest.skip(f"no toolchain for {arch}")
    return arch


_counts = {"passed": 0, "failed": 0, "skipped": 0, "xfailed": 0}


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        if report.skipped and hasattr(report, "wasxfail"):
            _counts["xfailed"] += 1  # a known, named bug struck (see the xfail reason)
        elif report.passed:
            _counts["passed"] += 1
        elif report.failed:
            _counts["failed"] += 1
        elif report.skipped:
            _counts["skipped"] += 1


def pytest_terminal_summary(terminalreporter):
    # The plain summary line CI reads.
    terminalreporter.write_line(
        f"{_counts['passed']} passed, {_counts['failed']} failed, {_counts['skipped']} skipped"
        + (f", {_counts['xfailed']} known failures (xfail)" if _counts["xfailed"] else ""))
