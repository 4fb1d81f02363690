#!/usr/bin/env python3
"""debian-system-test.py - boot the Debian system guest under vmm and use it
as a person at its serial console would.

    debian-system-test.py --vmm VMM --images DIR [--flavour 686|686-pae]
                          [--boots N] [--mem MIB] [--timeout S]
                          [--vmm-arg ARG]... [--work DIR] [--grub BIOS]

DIR is guest-images/debian-system (tests/guests/build-debian-system.sh
builds it): a bookworm i386 root file system on rootfs.ext4, with its two
kernels and Debian's own initramfs for each beside it: vmlinuz and
initrd.img (686, the default here) and vmlinuz-pae and initrd-pae.img
(686-pae: PAE paging with NX, Debian's default i386 flavour).  Every boot runs on a fresh
sparse copy of the image (the guest writes to its root file system), with
`root=/dev/sda console=ttyS0`, and:

  1. waits for systemd's getty on ttyS0 and logs in as root (password vmm);
  2. runs `systemctl is-system-running --wait`, which must print "running"
     (if not, `systemctl --failed` is shown);
  3. on the first boot only (the full check; later boots of --boots N do
     1, 2 and 4): compiles a C program with gcc and runs it, runs python3
     and sqlite3, each answer checked against a value computed here;
  4. powers off with `systemctl poweroff`: vmm must exit with status 0,
     and `e2fsck -fn` on the image copy must find it clean.

With --grub BIOS the guest boots as a PC with that disk does: the root file
system goes into partition 1 of a partitioned disk with GRUB in its master
boot record (tests/guests/mkgrubdisk.py), vmm starts the firmware BIOS with
no --kernel, and GRUB loads the flavour's kernel and initramfs from the
guest's own /boot (root=/dev/sda1); the checks are the same.

A kernel panic, the initramfs's emergency shell, a timeout or any wrong
answer fails the boot at once, with the console transcript's last lines and
the path of the whole transcript.  Exit status: 0 every boot passed, 1 a boot
failed, 77 skipped (the guest is not built, or e2fsck is missing).
"""
import argparse
import hashlib
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time

PASSWORD = "vmm"
# Terminal control sequences (colours, bash's bracketed-paste switch).
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PROMPT = "VMMSH# "
MKGRUBDISK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "guests", "mkgrubdisk.py")
# The kernel and initramfs of each flavour, in DIR.
FLAVOURS = {"686": ("vmlinuz", "initrd.img"), "686-pae": ("vmlinuz-pae", "initrd-pae.img")}
# Output that ends a boot at once: no later line can make it pass.
FATAL = [
    (re.compile(r"Kernel panic - not syncing[^\r\n]*"), "kernel panic"),
    (re.compile(r"\(initramfs\) "), "dropped to the initramfs shell"),
    (re.compile(r"Give root password for maintenance|emergency mode"), "systemd emergency mode"),
]

# The C program and its answer: the number of primes below 200000 and a
# checksum over them, which exercises the compiler's loops and the guest's
# integer arithmetic.
C_SOURCE = r"""
#include <stdio.h>
int main(void) {
    static char composite[200000];
    unsigned long count = 0, sum = 0;
    for (unsigned long i = 2; i < sizeof composite; i++) {
        if (composite[i]) continue;
        count++; sum = sum * 31 + i;
        for (unsigned long j = i * i; j < sizeof composite; j += i) composite[j] = 1;
    }
    printf("primes %lu %lu\n", count, sum & 0xffffffffUL);
    return 0;
}
"""


def c_answer():
    composite = bytearray(200000)
    count = total = 0
    for i in range(2, len(composite)):
        if composite[i]:
            continue
        count += 1
        total = (total * 31 + i) & 0xFFFFFFFF   # unsigned long is 32 bits on i386
        for j in range(i * i, len(composite), i):
            composite[j] = 1
    return f"primes {count} {total}"


class BootFailed(Exception):
    pass


class Console:
    """The guest's serial console: vmm's stdin and stdout."""

    def __init__(self, argv, transcript):
        self.log = open(transcript, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.buf = ""       # output not yet consumed by expect()
        self.eof = False

    def _read(self, timeout):
        if self.eof:
            return False
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            return False
        data = os.read(self.proc.stdout.fileno(), 65536)
        if not data:
            self.eof = True
            return False
        self.log.write(data)
        self.log.flush()
        self.buf += data.decode("utf-8", "replace")
        return True

    def expect(self, pattern, timeout, what):
        """Wait for PATTERN (a regex); return its match, consuming the output
        up to its end.  Fails on a FATAL line, on EOF and on timeout."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            for frx, why in FATAL:
                fm = frx.search(self.buf)
                if fm:
                    self._read(3)            # the rest of a panic message
                    raise BootFailed(f"{why} while waiting for {what}: {fm.group(0)!r}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise BootFailed(f"timeout ({timeout} s) waiting for {what}")
            if not self._read(min(left, 1.0)) and self.eof:
                raise BootFailed(f"vmm ended (status {self.proc.wait()}) while waiting for {what}")

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def run(self, command, timeout, what):
        """Run COMMAND at the shell prompt; return its output (without the
        echoed command line and the next prompt)."""
        self.send(command + "\n")
        m = self.expect(r"(?s)\n(.*?)" + re.escape(PROMPT), timeout, what)
        return ANSI.sub("", m.group(1)).replace("\r", "")

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.5)
        while self._read(0.1):
            pass
        return self.proc.poll()

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


def kernel_release(args):
    """The release of the flavour's kernel, from the VERSION file that
    build-debian-system.sh writes ("kernels 6.1.0-N-686 6.1.0-N-686-pae")."""
    with open(os.path.join(args.images, "VERSION")) as f:
        for line in f:
            if line.startswith("kernels "):
                for release in line.split()[1:]:
                    if release.endswith("-" + args.flavour):
                        return release
    raise BootFailed(f"{args.images}/VERSION names no {args.flavour} kernel")


def grub_disk(args, disk):
    """A partitioned copy of the root file system with GRUB in its MBR;
    the file system check then looks at partition 1."""
    release = kernel_release(args)
    subprocess.run([MKGRUBDISK, "--fs", os.path.join(args.images, "rootfs.ext4"), "--out", disk,
                    "--kernel", f"/boot/vmlinuz-{release}", "--initrd", f"/boot/initrd.img-{release}",
                    "--append", "root=/dev/sda1 console=ttyS0",
                    "--title", f"Debian GNU/Linux, {release} (vmm test)"], check=True)
    return [args.vmm, "--mem", str(args.mem), "--bios", args.grub, "--disk", disk], \
        f"{disk}?offset={1 << 20}"


def boot_once(args, n, full):
    disk = os.path.join(args.work, f"rootfs-{n}.ext4")
    transcript = os.path.join(args.work, f"console-{n}.log")
    if args.grub:
        try:
            argv, fs = grub_disk(args, disk)
        except (BootFailed, subprocess.CalledProcessError) as e:
            print(f"--- boot {n} FAILED: the GRUB disk could not be made: {e}")
            return False
        argv += args.vmm_arg
    else:
        fs = disk
        subprocess.run(["cp", "--sparse=always", os.path.join(args.images, "rootfs.ext4"), disk], check=True)
        kernel, initrd = FLAVOURS[args.flavour]
        argv = [args.vmm, "--mem", str(args.mem),
                "--kernel", os.path.join(args.images, kernel),
                "--initrd", os.path.join(args.images, initrd),
                "--append", "root=/dev/sda console=ttyS0", "--disk", disk] + args.vmm_arg
    con = Console(argv, transcript)
    t0 = time.monotonic()
    try:
        con.expect(r"login: ", args.timeout, "the login prompt")
        t_login = time.monotonic() - t0
        con.send("root\n")
        con.expect(r"Password: ", 30, "the password prompt")
        con.send(PASSWORD + "\n")
        con.expect(r"# ", 60, "the root shell")
        # A prompt no command output can be mistaken for (written so that
        # its echo does not match it), and kernel messages off the console
        # so that they do not mix with the answers.
        con.send(f"PS1='{PROMPT[:3]}''{PROMPT[3:]}'; export TERM=dumb; dmesg -n 1\n")
        con.expect(re.escape(PROMPT), 30, "the new prompt")

        release = con.run("uname -r", 30, "uname -r").strip().splitlines()[-1:]
        if not release or not re.fullmatch(r"[0-9.]+-[0-9]+-" + re.escape(args.flavour), release[0]):
            raise BootFailed(f"uname -r said {release!r}: not Debian's {args.flavour} kernel")
        if args.flavour == "686-pae":
            nx = con.run("dmesg | grep -c 'NX (Execute Disable) protection: active'", 30, "dmesg")
            if nx.strip().splitlines()[-1:] != ["1"]:
                raise BootFailed(f"the 686-pae kernel did not report NX protection active: {nx!r}")

        state = con.run("systemctl is-system-running --wait", 300, "systemctl is-system-running")
        if state.strip().splitlines()[-1:] != ["running"]:
            failed = con.run("systemctl --failed --no-pager", 60, "systemctl --failed")
            raise BootFailed(f"systemctl is-system-running said {state.strip()!r}; failed units:\n{failed}")

        if full:
            check_programs(con)

        con.send("systemctl poweroff\n")
        status = con.wait_exit(120)
        if status is None:
            raise BootFailed("vmm still runs 120 s after `systemctl poweroff`")
        if status != 0:
            raise BootFailed(f"vmm exited with status {status} after `systemctl poweroff` (0 expected)")
        fsck = subprocess.run(["e2fsck", "-fn", fs], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if fsck.returncode != 0:
            raise BootFailed(f"e2fsck -fn found the root file system unclean after poweroff:\n{fsck.stdout}")
        print(f"boot {n} ({release[0]}): login after {t_login:.1f} s, powered off cleanly after "
              f"{time.monotonic() - t0:.1f} s", flush=True)
    except BootFailed as e:
        con.kill()
        with open(transcript, "rb") as f:
            tail = f.read().decode("utf-8", "replace").replace("\r", "").splitlines()[-60:]
        print(f"--- last lines of the console ({transcript}) ---")
        print("\n".join(tail))
        print(f"--- boot {n} FAILED: {e}")
        return False
    con.kill()
    os.unlink(disk)
    return True


def check_programs(con):
    con.run("cat > /tmp/primes.c <<'EOF'\n" + C_SOURCE.strip() + "\nEOF", 30, "writing primes.c")
    out = con.run("gcc -O2 -Wall -o /tmp/primes /tmp/primes.c && /tmp/primes", 600, "gcc and the program")
    expected = c_answer()
    if expected not in out:
        raise BootFailed(f"gcc-built program printed {out!r}, expected {expected!r}")
    print(f"  gcc: {expected}", flush=True)

    text = "vmm runs Debian"
    out = con.run(f"python3 -c 'import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest(), "
                  f"sum(i*i for i in range(100000)))' '{text}'", 300, "python3")
    expected = f"{hashlib.sha256(text.encode()).hexdigest()} {sum(i * i for i in range(100000))}"
    if expected not in out:
        raise BootFailed(f"python3 printed {out!r}, expected {expected!r}")
    print(f"  python3: {expected}", flush=True)

    sql = ("create table t(x integer); "
           "with recursive c(i) as (select 1 union all select i+1 from c where i < 1000) "
           "insert into t select i from c; select count(*), sum(x*x) from t;")
    out = con.run(f"sqlite3 /tmp/t.db '{sql}' && sqlite3 /tmp/t.db 'select max(x) from t;'", 120, "sqlite3")
    expected = f"1000|{sum(i * i for i in range(1, 1001))}\n1000"
    if expected not in out:
        raise BootFailed(f"sqlite3 printed {out!r}, expected {expected!r}")
    print(f"  sqlite3: {expected.replace(chr(10), ' ')}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vmm", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--flavour", choices=sorted(FLAVOURS), default="686",
                    help="which of the guest's kernels boots it")
    ap.add_argument("--boots", type=int, default=1)
    ap.add_argument("--mem", type=int, default=512)
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("VMM_LINUX_TIMEOUT", "300")),
                    help="seconds to wait for the login prompt")
    ap.add_argument("--vmm-arg", action="append", default=[])
    ap.add_argument("--work", default=None, help="where image copies and transcripts go")
    ap.add_argument("--grub", default=None, metavar="BIOS",
                    help="boot the firmware BIOS and GRUB from a partitioned copy of the disk")
    args = ap.parse_args()

    for name in ("rootfs.ext4",) + FLAVOURS[args.flavour]:
        if not os.path.isfile(os.path.join(args.images, name)):
            print(f"SKIP: {args.images}/{name} is missing: tests/guests/build-debian-system.sh builds "
                  f"the Debian system guest (./setup.sh runs it)")
            return 77
    if args.grub:
        if not os.path.isfile(args.grub):
            print(f"SKIP: the firmware {args.grub} is missing (package seabios; ./setup.sh installs it)")
            return 77
        for tool, pkg in (("grub-mkimage", "grub-pc-bin"), ("debugfs", "e2fsprogs")):
            if shutil.which(tool) is None:
                print(f"SKIP: {tool} is missing (package {pkg}; ./setup.sh installs it)")
                return 77
    if shutil.which("e2fsck") is None:
        print("SKIP: e2fsck is missing (package e2fsprogs; ./setup.sh installs it)")
        return 77
    args.work = args.work or os.path.join(os.getcwd(), "debian-system")
    os.makedirs(args.work, exist_ok=True)

    failures = 0
    for n in range(1, args.boots + 1):
        if not boot_once(args, n, full=(n == 1)):
            failures += 1
            break
    print(f"{args.boots if not failures else n - 1} of {args.boots} boots passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
