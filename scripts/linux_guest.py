#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Linux peer for the x86_64 network benchmark: Debian's own kernel
(linux-image-amd64) and busybox (busybox-static), both fetched with
`apt-get download` from Debian, booted from an initramfs whose /init loads
the virtio-net modules, takes 10.0.2.15/24 (QEMU's user network), and runs
busybox httpd on port 80 serving the same page Weft's httpd serves.

    scripts/linux_guest.py OUTDIR INDEX_HTML

writes OUTDIR/vmlinuz and OUTDIR/initrd.gz (reused when already there for
the same page) and prints the kernel version."""
import gzip
import os
import shutil
import stat
import subprocess
import sys
import tempfile

MODULES = [  # in load order
    "drivers/virtio/virtio_ring.ko",
    "drivers/virtio/virtio.ko",
    "drivers/virtio/virtio_pci_legacy_dev.ko",
    "drivers/virtio/virtio_pci_modern_dev.ko",
    "drivers/virtio/virtio_pci.ko",
    "net/core/failover.ko",
    "drivers/net/net_failover.ko",
    "drivers/net/virtio_net.ko",
]

INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
for m in {modules}; do insmod /lib/modules/$m || echo "init: insmod $m failed"; done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
httpd -p 80 -h /www
echo "linux-httpd: listening on port 80"
exec sh -c 'while :; do sleep 3600; done'
"""


def run(*cmd, cwd=None):
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def depends(pkg):
    out = subprocess.run(["apt-cache", "depends", pkg], check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Depends:") and line.split()[1].startswith("linux-image-"):
            return line.split()[1]
    raise SystemExit(f"linux_guest: cannot tell which kernel {pkg} depends on")


def cpio_newc(files):
    """An initramfs archive (the "newc" cpio format of
    Documentation/driver-api/early-userspace/buffer-format.rst) from
    (path, mode, data) triples; directories have data None."""
    out = bytearray()
    for ino, (path, mode, data) in enumerate(files + [("TRAILER!!!", 0, b"")], start=1):
        data = data or b""
        name = path.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08x}" for v in (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name), 0))
        out += hdr.encode() + name
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def main():
    outdir, index = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    page = open(index, "rb").read()
    stamp = os.path.join(outdir, "page.html")
    if (os.path.exists(os.path.join(outdir, "initrd.gz")) and os.path.exists(stamp)
            and open(stamp, "rb").read() == page):
        print(open(os.path.join(outdir, "version")).read().strip())
        return
    kpkg = depends("linux-image-amd64")
    with tempfile.TemporaryDirectory() as tmp:
        run("apt-get", "download", "-qq", kpkg, "busybox-static", cwd=tmp)
        for deb in os.listdir(tmp):
            if deb.endswith(".deb"):
                run("dpkg-deb", "-x", os.path.join(tmp, deb), os.path.join(tmp, "root"))
        root = os.path.join(tmp, "root")
        version = os.listdir(os.path.join(root, "lib/modules"))[0]
        shutil.copy(os.path.join(root, "boot", f"vmlinuz-{version}"),
                    os.path.join(outdir, "vmlinuz"))
        d = stat.S_IFDIR | 0o755
        f = stat.S_IFREG | 0o644
        x = stat.S_IFREG | 0o755
        files = [(p, d, None) for p in ("bin", "proc", "sys", "www", "lib", "lib/modules")]
        files.append(("bin/busybox", x, open(os.path.join(root, "bin/busybox"), "rb").read()))
        for m in MODULES:
            data = open(os.path.join(root, "lib/modules", version, "kernel", m), "rb").read()
            files.append((f"lib/modules/{os.path.basename(m)}", f, data))
        init = INIT.format(modules=" ".join(os.path.basename(m) for m in MODULES))
        files.append(("init", x, init.encode()))
        files.append(("www/index.html", f, page))
        with open(os.path.join(outdir, "initrd.gz"), "wb") as out:
            out.write(gzip.compress(cpio_newc(files), 6))
    open(os.path.join(outdir, "version"), "w").write(version + "\n")
    open(stamp, "wb").write(page)
    print(version)


if __name__ == "__main__":
    main()
