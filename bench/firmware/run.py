#!/usr/bin/env python3
"""bench/firmware/run.py [RUNS] - power-on to a boot sector, and power-on to
Linux's init through GRUB, under vmm and under QEMU TCG, side by side in one
run (the sides interleaved, best of RUNS, default 3).

    bench/firmware/run.py
    BUILD_DIR=/path/to/build bench/firmware/run.py 5

Both monitors start Debian's SeaBIOS (/usr/share/seabios/bios.bin, QEMU's
default firmware) from the reset vector with 128 MiB and one IDE disk:

  boot sector  a 512-byte disk whose boot sector's first instruction
               writes to the debug-exit port 0xF4 (QEMU: -device
               isa-debug-exit,iobase=0xf4): the time from starting the
               monitor to its exit is power-on to the boot sector's first
               instruction (POST, the boot menu's wait, the disk read);
  GRUB to init a partitioned disk with GRUB in its MBR
               (tests/guests/mkgrubdisk.py) whose ext2 partition holds
               guest-images/vmlinuz and the tests' initramfs; GRUB boots
               them with "console=ttyS0 vmmtest=boot": the time to the line
               the initramfs's /init prints once user space runs, and to
               the monitor's exit after its `poweroff -f`;
  iPXE CD      Debian's /usr/lib/ipxe/ipxe.iso (package ipxe) from --cdrom
               (QEMU: -cdrom, -nic none: neither side has a network card):
               the time to iPXE's "No more network devices", after it has
               checked its own image with a bitwise CRC32 in 16-bit code,
               about 100 million 16-bit instructions; the monitor is then
               stopped.  Skipped without the ISO.

Times are wall-clock on the host, from starting the process to the line
(read from the serial console as it arrives) or to the exit.  QEMU runs
with -nographic (its default VGA card and VGA BIOS are part of its
power-on, as for a user of -nographic).  One more vmm run of the GRUB boot
with --stats shows the share of the time spent in real mode and 16-bit code
(realmode.ns, with bt.code16_insns translated and realmode.insns
interpreted).  Skipped (exit 0, a line saying why) without the firmware,
GRUB, the kernel or the initramfs; QEMU's column says "skipped" without
qemu-system-i386.  Exit status 1 when a run fails (its output tail shown).
"""
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
BIOS = "/usr/share/seabios/bios.bin"
INIT_LINE = b"vmm guest: user space reached"
IPXE_ISO = "/usr/lib/ipxe/ipxe.iso"
IPXE_LINE = b"No more network devices"
TIMEOUT = 120


def skip(why):
    print(f"firmware: skipped: {why}")
    sys.exit(0)


def boot_sector(path):
    """mov al, 0; out 0xF4, al; hlt; jmp $-1 -- then the 0x55AA signature."""
    code = bytes([0xB0, 0x00, 0xE6, 0xF4, 0xF4, 0xEB, 0xFD])
    with open(path, "wb") as f:
        f.write(code + bytes(510 - len(code)) + b"\x55\xAA")


def grub_disk(tmp, kernel, initramfs):
    tree = os.path.join(tmp, "tree")
    os.makedirs(os.path.join(tree, "boot"))
    shutil.copy(kernel, os.path.join(tree, "boot", "vmlinuz"))
    shutil.copy(initramfs, os.path.join(tree, "boot", "initrd"))
    fs = os.path.join(tmp, "fs.img")
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-d", tree, fs, "64M"], check=True,
                   stdout=subprocess.DEVNULL)
    disk = os.path.join(tmp, "grub.img")
    subprocess.run([os.path.join(ROOT, "tests", "guests", "mkgrubdisk.py"), "--fs", fs, "--out", disk,
                    "--kernel", "/boot/vmlinuz", "--initrd", "/boot/initrd",
                    "--append", "console=ttyS0 vmmtest=boot"], check=True)
    return disk


def timed(argv, line=None, stop_at_line=False):
    """Run argv; return (seconds to `line` or None, seconds to exit, exit
    status, output).  stop_at_line: kill it once the line came."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, t_line = b"", None
    while True:
        left = TIMEOUT - (time.monotonic() - t0)
        if left <= 0:
            p.kill()
            break
        r, _, _ = select.select([p.stdout], [], [], left)
        if not r:
            continue
        d = os.read(p.stdout.fileno(), 65536)
        if not d:
            break
        out += d
        if line and t_line is None and line in out:
            t_line = time.monotonic() - t0
            if stop_at_line:
                p.kill()
                break
    status = p.wait()
    return t_line, time.monotonic() - t0, status, out


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    if runs < 1:
        print("usage: run.py [RUNS]", file=sys.stderr)
        return 2
    vmm = os.path.join(BUILD, "vmm")
    kernel = os.path.join(ROOT, "guest-images", "vmlinuz")
    initramfs = os.path.join(BUILD, "tests", "linux", "initramfs.cpio")
    for f, why in ((vmm, "build vmm first"), (BIOS, "package seabios"),
                   (kernel, "tests/guests/fetch-debian-guest.sh fetches it"),
                   (initramfs, "cmake --build build --target initramfs"),
                   ("/usr/lib/grub/i386-pc/boot.img", "package grub-pc-bin")):
        if not os.path.exists(f):
            skip(f"{f} is missing ({why})")
    for tool in ("mke2fs", "debugfs", "grub-mkimage"):
        if not shutil.which(tool):
            skip(f"{tool} is missing (./setup.sh installs it)")
    qemu = shutil.which("qemu-system-i386")

    tmp = tempfile.mkdtemp(prefix="vmm-bench-firmware.")
    try:
        mbr = os.path.join(tmp, "first.img")
        boot_sector(mbr)
        disk = grub_disk(tmp, kernel, initramfs)
        qemu_common = [qemu, "-accel", "tcg", "-m", "128", "-nographic", "-bios", BIOS,
                       "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] if qemu else None
        cases = {
            "bootsector": ([vmm, "--mem", "128", "--bios", BIOS, "--disk", mbr + ",ro"],
                           qemu_common and qemu_common + ["-drive", f"file={mbr},format=raw,if=ide,snapshot=on"],
                           None),
            "grub": ([vmm, "--mem", "128", "--bios", BIOS, "--disk", disk + ",ro"],
                     qemu_common and qemu_common + ["-drive", f"file={disk},format=raw,if=ide,snapshot=on"],
                     INIT_LINE),
        }
        if os.path.exists(IPXE_ISO):
            cases["ipxe"] = ([vmm, "--mem", "128", "--cdrom", IPXE_ISO],
                             qemu and [qemu, "-accel", "tcg", "-m", "128", "-nographic", "-bios", BIOS,
                                       "-cdrom", IPXE_ISO, "-nic", "none"],
                             IPXE_LINE)
        best = {}
        failed = False

        def note(key, v):
            if v is not None and (key not in best or v < best[key]):
                best[key] = v

        for r in range(runs):
            for name, (vargv, qargv, line) in cases.items():
                sides = [("vmm", vargv), ("qemu", qargv)]
                if r % 2:
                    sides.reverse()
                for side, argv in sides:
                    if not argv:
                        continue
                    stop = name == "ipxe"
                    t_line, t_exit, status, out = timed(argv, line, stop)
                    # vmm: debug-exit value 0 is status 1, an ACPI power-off 0;
                    # QEMU: isa-debug-exit value 0 is status 1, power-off 0.
                    want = 1 if name == "bootsector" else 0
                    if (status != want and not stop) or (line and t_line is None):
                        failed = True
                        tail = out.decode("utf-8", "replace").splitlines()[-15:]
                        print(f"firmware: {name} under {side} FAILED (status {status}):")
                        print("\n".join("    " + s for s in tail))
                        continue
                    note((name, side, "exit"), t_exit)
                    note((name, side, "line"), t_line)

        _, t_exit, status, out = timed([vmm, "--stats", "--mem", "128", "--bios", BIOS, "--disk", disk + ",ro"],
                                       INIT_LINE)
        text = out.decode("utf-8", "replace")
        stats = dict(re.findall(r"^((?:realmode|bt)\.\w+): (\d+)", text, re.M))

        def cell(key):
            return f"{best[key]:.3f}" if key in best else ("skipped" if not qemu and key[1] == "qemu" else "-")

        def ratio(a, b):
            return f"{best[b] / best[a]:.2f}" if a in best and b in best else "-"

        print(f"== bench/firmware/run.py: power-on to the boot sector and to Linux's init through "
              f"GRUB (seconds, best of {runs}) ==")
        print("| | vmm | QEMU TCG | QEMU/vmm |")
        print("| --- | --- | --- | --- |")
        rows = [("power-on to the boot sector's first instruction", ("bootsector", "exit")),
                ("power-on to Linux's init through GRUB", ("grub", "line")),
                ("power-on to power-off through GRUB", ("grub", "exit")),
                ("power-on to iPXE's \"No more network devices\" (16-bit CRC32)", ("ipxe", "line"))]
        for label, (name, what) in rows:
            v, q = (name, "vmm", what), (name, "qemu", what)
            print(f"| {label} | {cell(v)} | {cell(q)} | {ratio(v, q)} |")
        if stats:
            ns = int(stats.get("realmode.ns", 0))
            print(f"vmm --stats, one GRUB boot of {t_exit:.3f} s: bt.code16_insns {stats.get('bt.code16_insns')} "
                  f"translated, realmode.insns {stats.get('realmode.insns')} interpreted, "
                  f"realmode.ns {ns} ({100.0 * ns / 1e9 / t_exit:.0f}% of the run in real mode and 16-bit code)")
        print(f"vmm: {' '.join(cases['grub'][0])}")
        if qemu:
            print(f"qemu: {' '.join(cases['grub'][1])}")
        return 1 if failed else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
