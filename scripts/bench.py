#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench: Weft's runtime against Go's, side by side in one invocation.

apps/bench (ARCH=hosted) and bench/go/main.go (Debian's golang-go) run the
same operations the same way (and apps/bench `malloc` against bench/c/malloc.c
on glibc for the allocator); each runs three times, alternating, and the
median of each figure is compared. Both use one CPU (procs=1, GOMAXPROCS=1),
so that the figures are the cost of the operation itself, not of cross-CPU
wakeups. Then apps/bench runs once more on each bare-metal arch in QEMU with
-icount shift=0,sleep=off, where a guest nanosecond is one instruction: its
figures are instructions per operation, the same on every run. Last, the
network benchmarks of scripts/bench_net.py. Writes docs/BENCHMARKS.md.
"""
import os
import platform
import re
import statistics
import subprocess
import sys

from bench_net import net_bench

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Runs of each side, alternating; the tables show medians. This host's
# noise comes in spells that can slow a whole run by half, so five was
# too few for a stable median.
RUNS = 9

# DESIGN §11: the weft/Go ratio to meet (lower is better).
TARGETS = {
    "spawn": ("spawn + run + exit a task", 0.4),
    "yield": ("yield between two tasks", 0.3),
    "unbuf_rt": ("unbuffered channel round trip", 0.3),
    "buf": ("buffered channel send + recv", 0.6),
    "mutex": ("uncontended mutex lock + unlock", 0.7),
    "parked": ("memory per parked task", 1.6),
}
LINE = re.compile(r"^bench (\w+) ([\d.]+) (\S+)$", re.M)


def run(cmd, env=None):
    out = subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT).stdout.decode()
    return {m.group(1): (float(m.group(2)), m.group(3)) for m in LINE.finditer(out)}


MALLOC_SIZES = [16, 64, 256, 1024, 4096]


def run_pair(cmd):
    """Two copies of cmd at once; their parsed outputs."""
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for _ in range(2)]
    outs = [p.communicate()[0].decode() for p in procs]
    for p in procs:
        if p.returncode:
            raise subprocess.CalledProcessError(p.returncode, cmd)
    return [{m.group(1): float(m.group(2)) for m in LINE.finditer(o)} for o in outs]


def malloc_bench():
    """malloc + free pairs, Weft's heap against glibc's malloc, in one run.

    apps/bench `malloc` on hosted with two CPUs and bench/c/malloc.c built
    here with the host's gcc run the same loop, alternating, RUNS times
    each. Beside them, `apps/bench malloc1` runs alone and as two processes
    at once, each with one CPU: two heaps that share nothing, so what they
    gain is what this host gives two copies of exactly Weft's loop, the
    ceiling for Weft's two tasks on one heap. Returns rows of (size,
    weft 1, glibc 1, ratio, met, weft 2/1 speedup, glibc 2/1 speedup, the
    two processes' speedup, weft's two tasks' throughput over the two
    processes'), from the medians."""
    peer = os.path.join(ROOT, "build", "c", "malloc")
    os.makedirs(os.path.dirname(peer), exist_ok=True)
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread", "-o", peer,
                    "bench/c/malloc.c"], cwd=ROOT, check=True)
    weft = os.path.join(ROOT, "build/hosted/bench/weft")
    solo = [weft, "-smp", "1", "--", "malloc1"]
    weft_runs, glibc_runs, alone_runs, pair_runs = [], [], [], []
    for _ in range(RUNS):
        glibc_runs.append(run([peer]))
        # Weft, the two processes and the one alone, one right after the
        # other: the ratios below are taken between neighbours.
        weft_runs.append(run([weft, "-smp", "2", "--", "malloc"]))
        pair_runs.append(run_pair(solo))
        alone_runs.append(run(solo))
    rows = []
    for size in MALLOC_SIZES:
        key = f"malloc1_{size}"
        med = lambda runs, k: statistics.median(r[f"{k}_{size}"][0] for r in runs)
        w1, w2 = med(weft_runs, "malloc1"), med(weft_runs, "malloc2")
        g1, g2 = med(glibc_runs, "malloc1"), med(glibc_runs, "malloc2")
        # The two processes' throughput (the pairs both did per ns) over
        # one's alone, and Weft's two tasks' over the two processes'.
        p2 = statistics.median(a[key][0] * (1 / p[key] + 1 / q[key])
                               for a, (p, q) in zip(alone_runs, pair_runs))
        # Each a ratio of neighbours: the host's speed drifts by up to half
        # in spells of seconds, and a ratio of medians taken in different
        # spells would measure the spells.
        share = statistics.median((1 / r[f"malloc2_{size}"][0]) / (1 / p[key] + 1 / q[key])
                                  for r, (p, q) in zip(weft_runs, pair_runs))
        # Throughput on two threads over one: ns per pair alone / ns per pair with two.
        rows.append((f"{size} B", f"{w1:.1f} ns", f"{g1:.1f} ns", f"{w1 / g1:.2f}",
                     "met" if w1 / g1 <= 1.0 else "NOT met", f"{w1 / w2:.2f}", f"{g1 / g2:.2f}",
                     f"{p2:.2f}", f"{share:.2f}"))
    return rows


ICOUNT_ARCHES = ["riscv64", "aarch64", "x86_64"]
ICOUNT_OPS = ["boot", "spawn", "yield", "unbuf_rt", "buf", "mutex"]


def icount(arch):
    """Instructions per operation on `arch`, or None if it did not run."""
    try:
        out = subprocess.run(
            ["make", "-s", "--no-print-directory", "run", f"ARCH={arch}", "APP=bench",
             "SMP=1", "MEM=512M", "TIMEOUT=600", "ARGS=-- quick", "NET=none", "RNG=",
             "QEMU_FLAGS=-icount shift=0,sleep=off"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900).stdout
    except subprocess.TimeoutExpired:
        return None
    text = out.decode(errors="replace").replace("\r\n", "\n")  # serial consoles send CRLF
    found = {m.group(1): float(m.group(2)) for m in LINE.finditer(text)}
    return found if all(k in found for k in ICOUNT_OPS) else None


def main():
    subprocess.run(["make", "-s", "ARCH=hosted", "APP=bench", "image"], cwd=ROOT, check=True)
    gobin = os.path.join(ROOT, "build", "go", "bench")
    os.makedirs(os.path.dirname(gobin), exist_ok=True)
    env = dict(os.environ, GOCACHE=os.path.join(ROOT, "build", "gocache"), GO111MODULE="off",
               GOFLAGS="", GOMAXPROCS="1")
    subprocess.run(["go", "build", "-o", gobin, "bench/go/main.go"], cwd=ROOT, env=env,
                   check=True)
    goversion = subprocess.run(["go", "version"], stdout=subprocess.PIPE,
                               env=env).stdout.decode().strip()

    weft = os.path.join(ROOT, "build/hosted/bench/weft")
    weft_runs, smp_runs, go_runs = [], [], []
    for _ in range(RUNS):
        weft_runs.append(run([weft, "-smp", "1", "-m", "1G"]))
        # Two CPUs but one P: the same single-CPU scheduling, with the
        # locking a multi-CPU machine needs.
        smp_runs.append(run([weft, "-smp", "2", "-m", "1G", "procs=1"]))
        go_runs.append(run([gobin], env=env))

    rows = []
    for key, (what, target) in TARGETS.items():
        w = statistics.median(r[key][0] for r in weft_runs)
        s = statistics.median(r[key][0] for r in smp_runs)
        g = statistics.median(r[key][0] for r in go_runs)
        unit = weft_runs[0][key][1]
        ratio = w / g if g else float("inf")
        rows.append((what, f"{w:.1f} {unit}", f"{g:.1f} {unit}", f"{ratio:.2f}", f"<= {target}",
                     "met" if ratio <= target else "NOT met", f"{s:.1f} {unit}",
                     f"{s / g if g else float('inf'):.2f}"))

    header = ("operation", "weft", "Go", "weft/Go", "target", "", "weft 2 CPUs",
              "2 CPUs/Go")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    print(fmt.format(*header))
    for r in rows:
        print(fmt.format(*r))

    mrows = malloc_bench()
    mheader = ("malloc + free", "weft", "glibc", "weft/glibc", "<= 1.0", "weft 2T/1T",
               "glibc 2T/1T", "2 procs/1", "weft 2T/2 procs")
    print()
    mwidths = [max(len(str(r[i])) for r in mrows + [mheader]) for i in range(len(mheader))]
    mfmt = "  ".join("{:<%d}" % w for w in mwidths)
    print(mfmt.format(*mheader))
    for r in mrows:
        print(mfmt.format(*r))

    counts = {arch: icount(arch) for arch in ICOUNT_ARCHES}
    print()
    print("instructions per operation (QEMU -icount shift=0,sleep=off):")
    print("  ".join(f"{h:>10}" for h in ["arch"] + ICOUNT_OPS))
    for arch, c in counts.items():
        cells = [f"{c[k]:.0f}" if c else "n/a" for k in ICOUNT_OPS]
        print("  ".join(f"{h:>10}" for h in [arch] + cells))

    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = re.search(r"model name\s*:\s*(.*)", f.read()).group(1)
    except (OSError, AttributeError):
        pass
    md = ["# Benchmarks", "",
          "Written by `make bench` (scripts/bench.py); do not edit by hand.", "",
          "## Method", "",
          "`apps/bench` (Weft, `ARCH=hosted`: the same kernel as a Linux process) and",
          "`bench/go/main.go` run the same operations the same way, in one invocation,",
          f"alternating, {RUNS} runs each; the table shows the median of each figure.",
          "Both run on one CPU (`-smp 1`, `GOMAXPROCS=1`), so each figure is the cost of",
          "the operation itself rather than of cross-CPU wakeups. On a one-CPU machine",
          "Weft's locks need only be atomic against that CPU's interrupts, as in Linux's",
          "uniprocessor kernels (`single_cpu` in kernel/include/kernel/cpu.h), while Go",
          "keeps its locked instructions at GOMAXPROCS=1. The last two columns show",
          "what that is worth: Weft again with two CPUs and one P (`-smp 2 procs=1`), the",
          "same scheduling with the atomic instructions a multi-CPU machine needs.",
          "Spawn is timed after one untimed batch of 1000 tasks, on both sides: that",
          "batch makes the stacks that the rest reuse. A fresh stack costs Weft on",
          "hosted microseconds of host system calls (installing the guard markers of",
          "a 1 MiB slot alone takes the host about 6.5 us), which bare metal does not",
          "pay; timed, the first batch was about half of the whole run's time.",
          "Memory per parked task",
          "is the growth of RAM in use while 100 000 tasks wait on one channel, divided",
          "by 100 000: for Go the process's resident set, for Weft its own count",
          "(`read_memstats`: total - free, in a 1 GiB hosted machine), which leaves out",
          "the hosted emulation's extra host memory, as Go's leaves out its page tables.",
          "Times are wall-clock on a shared machine: compare",
          "the ratios, which are taken within one run, rather than absolute figures.", "",
          f"Machine: {cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()};",
          f"{goversion}.", "",
          "## Hosted, weft against Go", "",
          "| " + " | ".join(h if h else " " for h in header) + " |",
          "|" + "---|" * len(header)]
    for r in rows:
        md.append("| " + " | ".join(r) + " |")
    md += ["", "## Hosted malloc, weft against glibc", "",
           "`apps/bench malloc` (Weft's heap behind malloc, `-smp 2`) and",
           "`bench/c/malloc.c` (the host's glibc malloc, built by the same run) time",
           "the same loop of malloc + free pairs of one size, alternating, "
           f"{RUNS} runs each,",
           "medians shown. The 1-thread columns are ns per pair on one task or",
           "thread; the 2T/1T columns are the throughput of two tasks or threads",
           "running the loop at once over that of one (2.00 is linear scaling).",
           "Two vCPUs of a shared host need not give two cores' worth of this loop,",
           "so `apps/bench malloc1` also runs the same one-task loop in one",
           "`-smp 1` process alone and in two such processes at once: two heaps",
           "that share nothing. *2 procs/1* is their throughput over one's, what",
           "two CPUs of this host give this exact instruction mix. *weft 2T/2 procs*",
           "compares two runs that both keep both CPUs busy: Weft's two tasks on",
           "one heap over the two processes, so 1.00 means sharing one heap costs",
           "nothing.",
           "This host's speed drifts by up to half in spells of seconds, for one",
           "thread as for two, so these two columns are medians of ratios taken",
           "from runs next to each other, not ratios of medians.",
           "Each process runs the loop untimed for half a second before and after",
           "its timed part, so both are busy while either times.", "",
           "| " + " | ".join(mheader) + " |",
           "|" + "---|" * len(mheader)]
    for r in mrows:
        md.append("| " + " | ".join(r) + " |")
    md += ["", "## Instructions per operation in QEMU", "",
           "`apps/bench quick` (a hundredth of the iterations) on one CPU, with no",
           "NIC or entropy device (`NET=none RNG=`: the scheduler alone), under",
           "`-icount shift=0,sleep=off`, where QEMU advances guest time by one",
           "nanosecond per instruction: the figures are instructions per operation",
           "(for `boot`, instructions from the kernel's clock starting, early in",
           "`kernel_main`, to the app's `main`), and repeat exactly from run to run",
           "on riscv64 and aarch64. OVMF under -icount is not exactly repeatable, so",
           "the x86_64 figures can vary slightly.", "",
           "| arch | " + " | ".join(ICOUNT_OPS) + " |",
           "|---|" + "---|" * len(ICOUNT_OPS)]
    for arch, c in counts.items():
        md.append(f"| {arch} | " + " | ".join(f"{c[k]:.0f}" if c else "n/a"
                                              for k in ICOUNT_OPS) + " |")
    md.append("")
    print()
    md += net_bench()
    with open(os.path.join(ROOT, "docs", "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(md))
    print("wrote docs/BENCHMARKS.md")


if __name__ == "__main__":
    sys.exit(main())
