#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run a Weft image (a QEMU command line, or a hosted executable) and exit
with the status its main() returned.

The kernel's last line is "weft: exit status N". Where the machine's exit
device can carry N (riscv64's test device, aarch64 semihosting, a hosted
process) QEMU already exits with it; where it cannot (x86_64's ACPI S5 is
always 0, isa-debug-exit is never 0) this line is the only record, so it is
the one this runner trusts. No line means the image died or hung: exit 125,
or 124 after --timeout seconds.

Usage: run.py [--timeout SECONDS] [--log FILE] -- COMMAND...
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

EXIT_RE = re.compile(rb"weft: exit status (-?\d+)")


def run(cmd, timeout=0, log=None, out=sys.stdout.buffer, stdin=None):
    """Run cmd, copying its output to out (and log); return (status, output)."""
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    buf = bytearray()
    deadline = time.monotonic() + timeout if timeout > 0 else None
    timed_out = False
    os.set_blocking(proc.stdout.fileno(), False)
    try:
        while True:
            chunk = None
            try:
                chunk = proc.stdout.read(65536)
            except BlockingIOError:
                pass
            if chunk:
                buf += chunk
                if out:
                    out.write(chunk)
                    out.flush()
                if log:
                    log.write(chunk)
            elif chunk == b"" and proc.poll() is not None:
                break
            else:
                if deadline and time.monotonic() > deadline:
                    timed_out = True
                    break
                time.sleep(0.01)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    m = None
    for m in EXIT_RE.finditer(buf):
        pass
    if timed_out:
        msg = f"\nrun.py: timed out after {timeout} s\n".encode()
        if out:
            out.write(msg)
        buf += msg
        return 124, bytes(buf)
    if m:
        status = int(m.group(1)) & 0xff
        # A clean "0" followed by a failing process (a sanitizer's report
        # at exit, say) is a failure.
        if status == 0 and proc.returncode not in (0, None):
            status = proc.returncode if proc.returncode > 0 else 128 - proc.returncode
        return status, bytes(buf)
    if proc.returncode != 0:
        return proc.returncode if proc.returncode > 0 else 128 - proc.returncode, bytes(buf)
    msg = b"\nrun.py: the image stopped without an exit status line\n"
    if out:
        out.write(msg)
    return 125, bytes(buf) + msg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=0)
    ap.add_argument("--log")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")
    log = open(a.log, "wb") if a.log else None
    # The guest runs in a session of its own (so that a timeout can kill
    # all of it): when we are told to stop, unwind through run()'s
    # `finally`, which kills it, rather than die and leave it running.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    status, _ = run(cmd, a.timeout, log, stdin=None)
    sys.exit(status)


if __name__ == "__main__":
    main()
