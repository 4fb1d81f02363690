#!/usr/bin/env bash
# panic-test.sh - a guest kernel panic stops boot-test.sh at once, with the
# panic text in its report, instead of running until its timeout.
#
#   panic-test.sh BOOT-TEST-ARGS...   (the arguments of linux.boot)
#
# Two runs of boot-test.sh, each with a 300 s timeout and a 60 s limit:
#  1. a stand-in for vmm that prints a few boot lines, a panic as Linux
#     prints it (the panic line, a call trace, the "---[ end Kernel panic"
#     line) and then spins silently, as Linux's panic loop does;
#  2. Debian's kernel under vmm, told to start an initramfs init that does
#     not exist (rdinit=): it then looks for a root file system, finds none
#     and panics with "VFS: Unable to mount root fs".
# Both must end within the limit, fail (exit 1) and show the panic line.
# Exit status: 0 pass, 1 fail, 77 skipped (what boot-test.sh skips on, or
# vmm stopping the real kernel as unsupported before it gets to panic).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
LIMIT=60
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d /tmp/vmm-panic-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# run NAME WANT ARGS...: boot-test.sh must fail within LIMIT seconds and
# report the panic line WANT.
run() {
    local name=$1 want=$2 st t0 el; shift 2
    t0=$(date +%s)
    "$here/boot-test.sh" --timeout 300 "$@" >"$tmp/$name.out" 2>&1; st=$?
    el=$(($(date +%s) - t0))
    if ((st == 77)); then
        cat "$tmp/$name.out"
        exit 77
    fi
    echo "--- $name: boot-test.sh status $st after ${el}s; its last lines:"
    tail -n 4 "$tmp/$name.out"
    # vmm stopped by itself (an operation it does not implement) before the
    # kernel could panic: this half cannot be judged on this build.
    if [[ $name == linux ]] && ! grep -q "Kernel panic" "$tmp/$name.out" &&
       grep -q "^vmm: unsupported" "$tmp/$name.out"; then
        echo "SKIP: the stand-in run passed, but Debian's kernel stops vmm before it can panic:"
        grep -m1 "^vmm: unsupported" "$tmp/$name.out"
        exit 77
    fi
    ((el <= LIMIT)) || fail "$name: the panic did not stop the run ($el s > $LIMIT s)"
    ((st == 1)) || { cat "$tmp/$name.out"; fail "$name: status $st, want 1"; }
    grep -q "^FAIL: the guest kernel panicked.*$want" "$tmp/$name.out" ||
        { cat "$tmp/$name.out"; fail "$name: no report of the panic '$want'"; }
    grep -q -- "---- kernel panic ----" "$tmp/$name.out" || fail "$name: the panic text is not shown"
}

# The stand-in for vmm, and the files boot-test.sh wants (it only checks
# that they exist; the stand-in reads none of them).
cat >"$tmp/fake-vmm" <<'FAKE'
#!/bin/sh
echo "[    0.000000] Linux version 6.1.0 (stand-in for vmm in panic-test.sh)"
echo "[    1.000000] Run /init as init process"
echo "[    1.100000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000004"
echo "[    1.100100] CPU: 0 PID: 1 Comm: init Not tainted 6.1.0 #1"
echo "[    1.100200] Call Trace:"
echo "[    1.100300]  dump_stack_lvl+0x34/0x44"
echo "[    1.100400] ---[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000004 ]---"
exec sleep 600
FAKE
chmod +x "$tmp/fake-vmm"
echo "stand-in" >"$tmp/kernel"
echo "stand-in" >"$tmp/busybox"
echo "file /lib/modules/x.ko /dev/null 0644 0 0 # /vmm.load x" >"$tmp/list"
run stand-in "Attempted to kill init" --vmm "$tmp/fake-vmm" --mkinitramfs /bin/true \
    --list "$tmp/list" --kernel "$tmp/kernel" --busybox "$tmp/busybox"
grep -q "Call Trace:" "$tmp/stand-in.out" || fail "stand-in: the call trace after the panic line is not shown"

# The real kernel: no init to run, no root file system to find one on.
run linux "VFS: Unable to mount root fs" "$@" --append-extra "rdinit=/nonexistent"
echo "PASS: a kernel panic stops the Linux test at once and shows the panic text"
