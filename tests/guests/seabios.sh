#!/bin/bash
# seabios.sh VMM: boot Debian's SeaBIOS (the bios.bin QEMU uses) with
# --bios-log and check what a QEMU-like PC makes it say.  Its log on port
# 0x402 (debugcon) must show the banner, the fw_cfg interface found and the
# RAM from etc/e820; the serial console (stdout) must show the banner and
# "No bootable device" through sercon (fw_cfg's etc/sercon-port), which is
# where SeaBIOS ends without a disk: it waits 60 s and retries, so the run
# ends at --time-limit, with status 16.  Skipped (77) without the seabios
# package.
set -uo pipefail

vmm=$1
BIOS=${SEABIOS:-/usr/share/seabios/bios.bin}
LIMIT=10        # --time-limit: SeaBIOS reaches "No bootable device" in under 2 s here
fail() { echo "FAILED: $*"; exit 1; }

if [[ ! -r $BIOS ]]; then
    echo "SKIP: $BIOS not found (Debian package seabios)"
    exit 77
fi
dir=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$dir"' EXIT

timeout $((LIMIT + 30)) "$vmm" --bios "$BIOS" --bios-log "$dir/log" --mem 64 --time-limit "$LIMIT" \
    </dev/null >"$dir/out" 2>"$dir/err"
st=$?
echo "--- status $st; stderr:"; cat "$dir/err"
echo "--- log (port 0x402), first 30 lines:"; head -30 "$dir/log"
echo "--- serial console (stdout):"; tr -d '\r' <"$dir/out" | cat -v
((st == 16)) || fail "status $st, want 16 (--time-limit)"

expect() {  # expect FILE WHAT STRING
    grep -qF -- "$3" "$1" || fail "$2 does not show '$3'"
}
expect "$dir/log" "the log" "SeaBIOS (version"
expect "$dir/log" "the log" "Found QEMU fw_cfg"
expect "$dir/log" "the log" "qemu/e820: addr 0x0000000000000000 len 0x0000000004000000 [RAM]"
expect "$dir/log" "the log" "sercon: using ioport 0x3f8"
expect "$dir/out" "the serial console" "SeaBIOS (version"
expect "$dir/out" "the serial console" "No bootable device"
echo "SeaBIOS logs on 0x402, reads fw_cfg and prints on COM1"
