#!/usr/bin/env bash
# run32.sh PROGRAM [ARGS...] - run a 32-bit x86 host program of the tests.
#
# Some hosts cannot run 32-bit code at all: a Linux kernel built without
# IA32 emulation, booted with ia32_emulation=0, or a paravirtualized guest
# kernel (PVM) whose GDT has no 32-bit user code segment.  There the program
# runs under qemu-i386 (Debian's qemu-user), and a line on stderr says so:
# the answers then come from QEMU's emulation, not from this host's CPU.
# With neither, exit 77 (ctest's SKIP_RETURN_CODE in this project).
set -uo pipefail
prog=$1; shift
# 126: the kernel refused the format (ENOEXEC), so nothing ran and the
# program can be started again under QEMU.
"$prog" "$@"
rc=$?
[[ $rc == 126 ]] || exit $rc
if command -v qemu-i386 >/dev/null; then
    echo "run32: this host cannot run 32-bit code; running $(basename "$prog") under qemu-i386" >&2
    exec qemu-i386 "$prog" "$@"
fi
echo "run32: SKIP: this host cannot run 32-bit code and qemu-i386 (qemu-user) is not installed" >&2
exit 77
