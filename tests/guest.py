# SPDX-License-Identifier: MIT
"""A guest booted in the background with a NIC on QEMU's user network, for
the network tests (tests/test_net.py) and benchmarks (scripts/bench_net.py).
"""
import os
import re
import signal
import socket
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listen_backlog_env():
    """The command prefix that `make run` puts before QEMU on the user
    network (scripts/listen_backlog.c), for a guest started from a bare
    QEMU command line."""
    so = os.path.join("build", "tools", "listen_backlog.so")
    subprocess.run(["make", "-s", "--no-print-directory", so], cwd=ROOT, check=True)
    return ["env", f"LD_PRELOAD={os.path.join(ROOT, so)}"]


class Guest:
    """One QEMU boot of an app that serves on guest port 80, in the
    background, with its console collected."""

    def __init__(self, arch, app, nic_args=(), inject_nic=None, smp=2, cmd=None, port=None):
        """Boot `app` with `make run`; or, given `cmd`, run that command (a
        peer guest) with host port `port` forwarded to its port 80."""
        self.arch, self.app = arch, app
        self.port = port or free_port()
        self.lines = []
        self.started = time.monotonic()
        flags = ""
        if inject_nic:
            # A second NIC on a -netdev socket backend: QEMU takes each UDP
            # datagram sent to qemu_port as a frame for the guest, and sends
            # the guest's frames to `sink`, which nobody reads.
            self.qemu_port = free_port(socket.SOCK_DGRAM)
            self.sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sink.bind(("127.0.0.1", 0))
            flags = (f"-netdev socket,id=n1,udp=127.0.0.1:{self.sink.getsockname()[1]},"
                     f"localaddr=127.0.0.1:{self.qemu_port} -device {inject_nic},netdev=n1")
        if cmd is None:
            cmd = ["make", "-s", "--no-print-directory", "run", f"ARCH={arch}", f"APP={app}",
                   f"SMP={smp}", "MEM=256M", "NET=user", f"PORT={self.port}", "TIMEOUT=1800",
                   f"QEMU_FLAGS={flags}", *nic_args]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\r\n")
            self.lines.append(re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line))

    def output(self):
        return "\n".join(self.lines)

    def wait_for(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(re.search(pattern, l) for l in list(self.lines)):
                return
            if self.proc.poll() is not None:
                self.reader.join(5)
                break
            time.sleep(0.2)
        raise AssertionError(f"{self.arch}/{self.app}: no /{pattern}/ within {timeout} s "
                             f"(exit {self.proc.poll()}):\n{self.output()[-4000:]}")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.reader.join(5)
        if hasattr(self, "sink"):
            self.sink.close()

    def qemu_pid(self):
        """The QEMU process under `make run` (found by its forwarded port)."""
        # The runner and x86_64's esp.sh carry the same command line in
        # their arguments: only the QEMU process itself starts with it.
        out = subprocess.run(["pgrep", "-f", f"^qemu-system.*hostfwd=tcp:127.0.0.1:{self.port}-"],
                             stdout=subprocess.PIPE, text=True).stdout.split()
        return int(out[0]) if out else None

    def alive(self):
        assert self.proc.poll() is None, f"the guest exited:\n{self.output()[-4000:]}"
        assert not any("panic" in l or "fatal:" in l for l in self.lines), self.output()
