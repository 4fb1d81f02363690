#!/usr/bin/env python3
"""mkgrubdisk.py - make a partitioned hard disk image that boots through GRUB
in its master boot record, from an ext2/3/4 file system image, without loop
devices, mounts or root.

    mkgrubdisk.py --fs FS.img --out DISK.img --kernel PATH --initrd PATH
                  [--append ARGS] [--title TEXT] [--grub-dir DIR]

The disk is what `grub-install` leaves on a PC with one Linux partition:

  sector 0        the MBR: GRUB's boot.img (its first 440 bytes), a disk
                  signature, one active partition of type 0x83, 0x55AA
  sectors 1-2047  GRUB's core.img in the gap before the first partition
                  (grub-mkimage -O i386-pc with biosdisk, part_msdos and
                  ext2; its prefix is (hd0,msdos1)/boot/grub)
  sector 2048...  partition 1: a sparse copy of FS.img, into which
                  /boot/grub/i386-pc/ (GRUB's modules) and /boot/grub/grub.cfg
                  (a serial-console menu with one entry: linux PATH ARGS,
                  initrd PATH) are written with debugfs.

PATH and the initrd are paths inside FS.img (e.g. /boot/vmlinuz-6.1.0-28-686).
The default boot.img and diskboot.img of grub-pc-bin already point at
sector 1 and sector 2 (grub-mkimage fills in core.img's length), which is
why no grub-bios-setup run is needed.  Exit status 0 on success, 1 if a tool
failed, 2 for bad arguments.
"""
import argparse
import os
import subprocess
import sys
import tempfile

SECTOR = 512
PART_START = 2048                 # 1 MiB, where partitioning tools start
MODULES = ["biosdisk", "part_msdos", "ext2"]


def die(msg, status=1):
    print(f"mkgrubdisk.py: {msg}", file=sys.stderr)
    sys.exit(status)


def chs(lba):
    """The CHS triple of an MBR entry (255 heads, 63 sectors per track);
    1023/254/63 when the sector lies beyond what CHS reaches."""
    c, rest = divmod(lba, 255 * 63)
    h, s = divmod(rest, 63)
    if c > 1023:
        c, h, s = 1023, 254, 62
    return bytes([h, ((s + 1) & 0x3F) | ((c >> 2) & 0xC0), c & 0xFF])


def mbr(boot_img, sectors):
    """boot.img's code with a partition table holding one active Linux
    partition of `sectors` sectors from PART_START."""
    m = bytearray(boot_img[:440]) + bytes(SECTOR - 440)
    m[440:444] = (0x766D6D31).to_bytes(4, "little")      # disk signature "1mmv"
    last = PART_START + sectors - 1
    entry = bytes([0x80]) + chs(PART_START) + bytes([0x83]) + chs(last) + \
        PART_START.to_bytes(4, "little") + sectors.to_bytes(4, "little")
    m[446:462] = entry
    m[510:512] = b"\x55\xAA"
    return bytes(m)


def copy_sparse(src, dst_fd, offset):
    """Copy src into dst_fd at offset, leaving holes where src has them."""
    with open(src, "rb") as f:
        fd = f.fileno()
        size = os.fstat(fd).st_size
        pos = 0
        while pos < size:
            try:
                data = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:
                break                                   # only a hole is left
            hole = os.lseek(fd, data, os.SEEK_HOLE)
            while data < hole:
                n = min(hole - data, 1 << 20)
                buf = os.pread(fd, n, data)
                os.pwrite(dst_fd, buf, offset + data)
                data += len(buf)
            pos = hole
    return size


def grub_cfg(kernel, initrd, append, title):
    return (f"serial --unit=0 --speed=115200\n"
            f"terminal_input serial\n"
            f"terminal_output serial\n"
            f"set timeout=0\n"
            f"set default=0\n"
            f"menuentry '{title}' {{\n"
            f"    linux {kernel} {append}\n"
            f"    initrd {initrd}\n"
            f"}}\n")


def run(argv, what):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        die(f"{what} failed ({' '.join(argv)}):\n{r.stdout}")
    return r.stdout


def install_grub_files(disk, grub_dir, cfg_path):
    """Write GRUB's modules and grub.cfg into partition 1 with debugfs."""
    part = f"{disk}?offset={PART_START * SECTOR}"
    if "Inode:" not in run(["debugfs", "-R", "stat /boot", part], "debugfs stat /boot"):
        die(f"{disk}: the file system has no /boot directory", 2)
    cmds = ["mkdir /boot/grub", "mkdir /boot/grub/i386-pc"]
    for name in sorted(os.listdir(grub_dir)):
        if name.endswith((".mod", ".lst")):
            dst = f"/boot/grub/i386-pc/{name}"
            cmds += [f'rm "{dst}"', f'write "{os.path.join(grub_dir, name)}" "{dst}"']
    cmds += ["rm /boot/grub/grub.cfg", f'write "{cfg_path}" /boot/grub/grub.cfg']
    with tempfile.NamedTemporaryFile("w", suffix=".debugfs", delete=False) as f:
        f.write("\n".join(cmds) + "\n")
        script = f.name
    try:
        run(["debugfs", "-w", "-f", script, part], "debugfs (writing /boot/grub)")
    finally:
        os.unlink(script)
    # debugfs goes on after a failed command (the rm of a file that is not
    # there yet is one): check what must be there.
    for path in ("/boot/grub/grub.cfg", "/boot/grub/i386-pc/normal.mod", "/boot/grub/i386-pc/linux.mod"):
        out = run(["debugfs", "-R", f"stat {path}", part], f"debugfs stat {path}")
        if "Inode:" not in out:
            die(f"{disk}: {path} was not written into the file system:\n{out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fs", required=True, help="ext2/3/4 file system image (partition 1)")
    ap.add_argument("--out", required=True, help="the disk image to write")
    ap.add_argument("--kernel", required=True, help="the kernel's path inside FS")
    ap.add_argument("--initrd", required=True, help="the initramfs's path inside FS")
    ap.add_argument("--append", default="console=ttyS0", help="the kernel command line")
    ap.add_argument("--title", default="Linux", help="the menu entry's title")
    ap.add_argument("--grub-dir", default="/usr/lib/grub/i386-pc")
    args = ap.parse_args()

    if not os.path.isfile(args.fs):
        die(f"{args.fs}: not a regular file", 2)
    for f in ("boot.img", "diskboot.img", "normal.mod"):
        if not os.path.isfile(os.path.join(args.grub_dir, f)):
            die(f"{args.grub_dir}/{f} is missing (package grub-pc-bin)", 2)
    fs_size = os.path.getsize(args.fs)
    if fs_size == 0 or fs_size % SECTOR:
        die(f"{args.fs}: size {fs_size} is not a non-zero multiple of {SECTOR}", 2)
    sectors = fs_size // SECTOR
    if PART_START + sectors > 0xFFFFFFFF:
        die(f"{args.fs}: too large for an MBR partition", 2)

    with tempfile.TemporaryDirectory() as tmp:
        core = os.path.join(tmp, "core.img")
        run(["grub-mkimage", "-O", "i386-pc", "-d", args.grub_dir, "-o", core,
             "-p", "(hd0,msdos1)/boot/grub"] + MODULES, "grub-mkimage")
        core_img = open(core, "rb").read()
        if len(core_img) > (PART_START - 1) * SECTOR:
            die(f"core.img is {len(core_img)} bytes: it does not fit before sector {PART_START}")
        boot_img = open(os.path.join(args.grub_dir, "boot.img"), "rb").read()
        cfg = os.path.join(tmp, "grub.cfg")
        with open(cfg, "w") as f:
            f.write(grub_cfg(args.kernel, args.initrd, args.append, args.title))

        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.ftruncate(fd, (PART_START + sectors) * SECTOR)
            os.pwrite(fd, mbr(boot_img, sectors), 0)
            os.pwrite(fd, core_img, SECTOR)
            copy_sparse(args.fs, fd, PART_START * SECTOR)
        finally:
            os.close(fd)
        install_grub_files(args.out, args.grub_dir, cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
