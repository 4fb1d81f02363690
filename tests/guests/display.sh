#!/bin/bash
# display.sh VMM BOOT_KBD_IMG: --display curses on a pseudo-terminal.
# SeaBIOS runs the VGA BIOS (SeaVGABIOS, from fw_cfg's vgaroms/) and boots
# boot_kbd.img, whose boot sector prints through INT 10h and reads two keys
# through INT 16h; vt_screen.py types "q" and the Up arrow on the terminal
# (escape sequence ESC [ A) and reads back the screen vmm drew.  The
# screen must show the scrolled numbered lines, the yellow-on-blue banner,
# the keys as INT 16h returned them (q: ASCII 71 scan 10; Up: 00 48) and
# the end; the run ends through the debug-exit port (status 1), with the
# terminal's settings restored.  SeaBIOS alone shows its banner and "No
# bootable device" there, and SIGTERM ends it with the terminal restored.
# Then the refusals: --display curses with stdout not a terminal, or with --serial
# stdio, exit 2.  Skipped (77) without the seabios package's bios.bin and
# vgabios-isavga.bin, or without python3.
set -uo pipefail

vmm=$1
img=$2
here=$(dirname "$0")
fail() { echo "FAILED: $*"; exit 1; }

for f in /usr/share/seabios/bios.bin /usr/share/seabios/vgabios-isavga.bin; do
    [[ -r $f ]] || { echo "SKIP: $f not found (Debian package seabios)"; exit 77; }
done
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }

out=$(timeout 60 python3 "$here/vt_screen.py" --timeout 30 \
        --keys-after 'q' 'press a key' --keys-after '\x1b[A' 'scan 10' \
        --wait-for 'boot_kbd: done' -- "$vmm" --disk "$img",ro --display curses --mem 32)
st=$?
echo "--- the screen vmm drew (vt_screen.py status $st):"
echo "$out"
((st == 0)) || fail "the screen never showed 'boot_kbd: done'"
expect() { grep -qE -- "$1" <<<"$out" || fail "no line matching '$1'"; }
expect '^exit 1$'
expect '^line 08   VGA BIOS banner$'                 # INT 10h AH=13h at row 2, scrolled up twice
expect '^attrs 0 0:07 10:1E 25:07$'                # the banner: yellow on blue
expect '^boot_kbd: press a key: ascii 71 scan 10$'   # "q"
expect '^boot_kbd: press a key: ascii 00 scan 48$'   # Up
expect '^boot_kbd: done$'
expect '^tty restored$'
grep -q '^line 00' <<<"$out" && fail "line 00 should have scrolled away"

# SeaBIOS's own messages on the display (through the VGA BIOS), and the
# terminal given back when SIGTERM ends the run (status 128 + 15)
out=$(timeout 60 python3 "$here/vt_screen.py" --timeout 30 --sigterm \
        --wait-for 'No bootable device' -- "$vmm" --display curses --mem 32)
st=$?
echo "--- SeaBIOS without a disk, ended by SIGTERM (vt_screen.py status $st):"
echo "$out" | grep -v '^attrs'
((st == 0)) || fail "the screen never showed 'No bootable device'"
expect '^SeaBIOS \(version'
expect '^tty restored$'
expect '^exit 143$'

# refusals, before anything runs
"$vmm" --display curses --disk "$img" >/dev/null 2>"$img.err" </dev/null
st=$?
cat "$img.err"
((st == 2)) || fail "--display curses to a file: status $st, want 2"
grep -q "stdout is not a terminal" "$img.err" || fail "no message naming stdout"
rm -f "$img.err"
echo "PASS"
