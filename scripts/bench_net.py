#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The network half of `make bench` (scripts/bench.py calls net_bench()).

For each bare-metal arch, in QEMU under TCG with the default NIC: the time
from starting QEMU to the first HTTP response from apps/httpd, requests per
second and latency percentiles under wrk, TCP echo throughput through
apps/echo, and the host CPU that QEMU burns while the guest serves nothing.
On x86_64 the same wrk run goes against a Linux guest (Debian's kernel and
busybox httpd, scripts/linux_guest.py) under the same QEMU flags, in the same
invocation, and the ratio is reported."""
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from guest import Guest, free_port, listen_backlog_env  # noqa: E402

ARCHES = ["riscv64", "aarch64", "x86_64"]
SMP = 2
WRK_SECONDS = 10
ECHO_BYTES = 32 << 20
IDLE_SECONDS = 10


def first_response(g, timeout=300):
    """Seconds from QEMU's start to the first 200 from `/`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{g.port}/", timeout=2) as r:
                if r.status == 200:
                    return time.monotonic() - g.started
        except OSError:
            time.sleep(0.05)
    return None


def wrk(port):
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{WRK_SECONDS}s", "--latency",
                          f"http://127.0.0.1:{port}/"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=WRK_SECONDS + 120).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    lat = {p: re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M) for p in (50, 99)}
    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def ms(m):
        if not m:
            return None
        return float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]

    return {"rps": float(rps.group(1)) if rps else None, "p50": ms(lat[50]), "p99": ms(lat[99]),
            "errors": (errors.group(1) if errors else "none") +
                      (f", {non2xx.group(1)} non-2xx" if non2xx else "")}


def echo_throughput(port):
    """MB/s of one connection sending ECHO_BYTES and reading them back."""
    data = os.urandom(1 << 20)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        start = time.monotonic()

        def send():
            for _ in range(ECHO_BYTES // len(data)):
                s.sendall(data)

        t = threading.Thread(target=send)
        t.start()
        n = 0
        while n < ECHO_BYTES:
            chunk = s.recv(1 << 20)
            if not chunk:
                return None
            n += len(chunk)
        t.join()
        return ECHO_BYTES / (time.monotonic() - start) / 1e6


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu(g):
    """Host CPU used by QEMU over IDLE_SECONDS while nothing is sent, as a
    fraction of one core."""
    pid = g.qemu_pid()
    if not pid:
        return None
    time.sleep(2)  # let the boot's own work settle
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(IDLE_SECONDS)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def bench_arch(arch):
    row = {"arch": arch}
    subprocess.run(["make", "-s", f"ARCH={arch}", "APP=httpd", "image"], cwd=ROOT, check=True)
    subprocess.run(["make", "-s", f"ARCH={arch}", "APP=echo", "image"], cwd=ROOT, check=True)
    g = Guest(arch, "httpd", smp=SMP)
    try:
        row["boot"] = first_response(g)
        row["idle"] = idle_cpu(g)
        row.update(wrk(g.port))
    finally:
        g.stop()
    g = Guest(arch, "echo", smp=SMP)
    try:
        g.wait_for(r"echo: listening on port 80", 300)
        g.wait_for(r"vnet\d: 10\.0\.2\.15/", 300)
        row["echo"] = echo_throughput(g.port)
    finally:
        g.stop()
    return row


def bench_linux_x86(page):
    """wrk against busybox httpd in a Linux guest, QEMU flags as Weft's x86_64."""
    out = os.path.join(ROOT, "build", "linux-guest")
    os.makedirs(out, exist_ok=True)
    index = os.path.join(out, "index.html")
    with open(index, "wb") as f:
        f.write(page)
    version = subprocess.run([sys.executable, os.path.join(ROOT, "scripts/linux_guest.py"), out,
                              index], check=True, stdout=subprocess.PIPE,
                             text=True).stdout.strip().splitlines()[-1]
    port = free_port()
    cmd = [*listen_backlog_env(),
           "qemu-system-x86_64", "-machine", "q35", "-cpu", "max", "-smp", str(SMP), "-m", "256M",
           "-bios", "/usr/share/ovmf/OVMF.fd", "-nographic", "-no-reboot", "-net", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:80",
           "-device", "virtio-net-pci,romfile=,netdev=n0", "-device", "virtio-rng-pci,romfile=",
           "-kernel", os.path.join(out, "vmlinuz"), "-initrd", os.path.join(out, "initrd.gz"),
           "-append", "console=ttyS0 quiet"]
    g = Guest("x86_64", "linux", cmd=cmd, port=port)
    try:
        row = {"arch": f"x86_64 Linux {version}", "boot": first_response(g)}
        row["idle"] = idle_cpu(g)
        row.update(wrk(port))
    finally:
        g.stop()
    return row


def net_bench():
    """Returns (rows, markdown lines)."""
    rows = [bench_arch(a) for a in ARCHES]
    page = None
    g = Guest("x86_64", "httpd", smp=SMP)
    try:
        if first_response(g):
            with urllib.request.urlopen(f"http://127.0.0.1:{g.port}/", timeout=30) as r:
                page = r.read()
    finally:
        g.stop()
    linux = bench_linux_x86(page) if page else None
    if linux:
        rows.append(linux)

    def f(v, fmt):
        return fmt.format(v) if v is not None else "n/a"

    header = ("arch", "first response", "req/s", "p50", "p99", "wrk errors", "echo",
              "idle host CPU")
    table = [(r["arch"], f(r.get("boot"), "{:.2f} s"), f(r.get("rps"), "{:.0f}"),
              f(r.get("p50"), "{:.2f} ms"), f(r.get("p99"), "{:.2f} ms"), r.get("errors", "n/a"),
              f(r.get("echo"), "{:.1f} MB/s"), f(r.get("idle"), "{:.1%}")) for r in rows]
    widths = [max(len(str(x[i])) for x in table + [header]) for i in range(len(header))]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    print(fmt.format(*header))
    for t in table:
        print(fmt.format(*t))
    weft_x86 = next(r for r in rows if r["arch"] == "x86_64")
    ratio = None
    if linux and linux.get("rps") and weft_x86.get("rps"):
        ratio = weft_x86["rps"] / linux["rps"]
        print(f"x86_64 req/s, weft/Linux: {ratio:.2f}")

    md = ["## Network, in QEMU (TCG)", "",
          f"`apps/httpd` and `apps/echo` on each arch with `SMP={SMP}`, `MEM=256M` and the",
          "default NIC (virtio-net-device, virtio-mmio, on riscv64 and aarch64;",
          "virtio-net-pci on x86_64) on QEMU's user network, driven from the host",
          "through the forwarded port. *first response*: seconds from starting QEMU",
          "(OVMF included on x86_64) to the first `200` from `/`, polled every 50 ms.",
          f"*req/s*, *p50*, *p99*: `wrk -t2 -c32 -d{WRK_SECONDS}s --latency` on `/`.",
          f"*echo*: one connection sends {ECHO_BYTES >> 20} MiB and reads it back at once.",
          f"*idle host CPU*: the QEMU process's user+system CPU time over {IDLE_SECONDS} s",
          "while nothing is sent, as a share of one host core.",
          "The Linux row is Debian's kernel with busybox `httpd` in an initramfs",
          "(scripts/linux_guest.py), serving the same page under the same QEMU flags",
          "(`-kernel`/`-initrd` instead of the ESP); busybox httpd closes each",
          "connection, Weft's keeps it alive, as wrk asks. Everything is emulated",
          "by TCG on a shared host, so compare ratios within one run.", "",
          "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(t) + " |" for t in table]
    if ratio is not None:
        md += ["", f"x86_64 requests per second, weft/Linux: **{ratio:.2f}**"]
    md.append("")
    return md


if __name__ == "__main__":
    print("\n".join(net_bench()))
