#!/usr/bin/env bash
# memtest-cdrom-test.sh - boot Debian's memtest86+ from a CD as an old PC
# boots a floppy: El Torito floppy emulation, SeaBIOS presenting the CD's
# floppy image as drive A:, memtest's own boot sector loading the rest
# from it through INT 13h.
#
#   memtest-cdrom-test.sh --vmm VMM --image MEMTEST86+IA32.BIN [--deb MEMTEST86+.DEB]
#                         [--seconds S] [--pass] [--mem MIB] [--floppy]
#
# --floppy: the same floppy image on a floppy drive instead (vmm --fda,
# read-only; SeaBIOS's floppy driver through the 82077AA and DMA channel
# 2), with no CD made; SeaBIOS must say it booted the floppy.
#
# memtest86+ia32.bin starts with a boot sector (0x55AA at 510), so padded
# to 1474560 bytes it is a 1.44 MB boot floppy; xorriso makes the CD
# around it (-b floppy.img without -no-emul-boot: floppy emulation,
# chosen by the image's size).  With --deb, the ISO the package itself
# ships (/usr/lib/memtest86+/memtest86+ia32.iso, an El Torito CD with the
# same floppy image and a GRUB MBR) boots too.
# Started this way memtest has no command line, so no serial console: its
# screen is only in VGA memory, which `vmm --vga-dump` prints at the end of
# the run.  Each CD runs for S seconds (--time-limit, default 30: memtest
# is then well into its first pass) and the final screen must show
# memtest's header and status row with `Errors: 0` and tests under way
# (`Pass N%` above 0, or test #2 or a later one running); with --pass the first pass must be complete (`Pass:
# 1` or more and the PASS banner), which takes about three minutes here
# (S = 360 leaves room).  SeaBIOS must say it booted the CD.
# Exit status: 0 pass, 1 fail, 77 skipped (no image, no xorriso or no
# SeaBIOS: tests/guests/fetch-debian-guest.sh, ./setup.sh).
set -uo pipefail

seconds=30
mem=64
vmm= image= deb= want_pass= floppy=
while (($#)); do
    case $1 in
    --pass) want_pass=1; shift; continue ;;
    --floppy) floppy=1; shift; continue ;;
    esac
    (($# >= 2)) || { echo "memtest-cdrom-test.sh: $1 needs a value" >&2; exit 2; }
    case $1 in
    --vmm) vmm=$2 ;;
    --image) image=$2 ;;
    --deb) deb=$2 ;;
    --seconds) seconds=$2 ;;
    --mem) mem=$2 ;;
    *) echo "memtest-cdrom-test.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift 2
done
[[ -n $vmm && -n $image ]] || { echo "memtest-cdrom-test.sh: --vmm and --image are required" >&2; exit 2; }
BIOS=/usr/share/seabios/bios.bin
FLOPPY=1474560
[[ -s $image ]] || { echo "SKIP: $image is missing: run tests/guests/fetch-debian-guest.sh"; exit 77; }
[[ -s $BIOS ]] || { echo "SKIP: $BIOS is missing (Debian package seabios; ./setup.sh installs it)"; exit 77; }
[[ -n $floppy ]] || command -v xorriso >/dev/null || { echo "SKIP: xorriso is missing (./setup.sh installs it)"; exit 77; }

tmp=$(mktemp -d /tmp/vmm-memtest-cd.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=()
fail() { failures+=("$*"); }

size=$(stat -c %s "$image")
if ((size > FLOPPY)); then
    echo "FAIL: $image ($size bytes) does not fit on a 1.44 MB floppy"
    exit 1
fi
if [[ $(od -An -tx1 -j 510 -N2 "$image" | tr -d ' ') != 55aa ]]; then
    echo "FAIL: $image has no boot sector (no 0x55AA at offset 510): it cannot boot from a floppy"
    exit 1
fi
mkdir "$tmp/cd"
cp "$image" "$tmp/cd/floppy.img"
truncate -s $FLOPPY "$tmp/cd/floppy.img"
if [[ -n $floppy ]]; then
    :
elif ! xorriso -as mkisofs -o "$tmp/floppy-cd.iso" -b floppy.img -c boot.cat "$tmp/cd" \
        >"$tmp/xorriso.out" 2>&1; then
    echo "FAIL: xorriso could not make the CD:"
    cat "$tmp/xorriso.out"
    exit 1
fi
[[ -n $floppy ]] ||
    xorriso -indev "$tmp/floppy-cd.iso" -report_el_torito plain 2>/dev/null | grep -q 'BIOS  y  fd1.4' ||
    fail "the CD made here is not an El Torito 1.44 MB floppy emulation CD"

cds=("$tmp/floppy-cd.iso")
[[ -z $floppy ]] || cds=("$tmp/cd/floppy.img")
if [[ -n $deb ]]; then
    if [[ -s $deb ]] && dpkg-deb -x "$deb" "$tmp/deb" 2>"$tmp/dpkg.out" &&
       [[ -s $tmp/deb/usr/lib/memtest86+/memtest86+ia32.iso ]]; then
        cds+=("$tmp/deb/usr/lib/memtest86+/memtest86+ia32.iso")
    else
        fail "--deb $deb: no usr/lib/memtest86+/memtest86+ia32.iso in it ($(cat "$tmp/dpkg.out" 2>/dev/null))"
    fi
fi

# The VGA screen vmm printed at exit: the last 25 lines of its output (the
# serial output, SeaBIOS's mirrored screen, comes before it).
run_cd() {
    local cd=$1 name=${1##*/} out=$tmp/out.$n status screen
    local drive=(--cdrom "$cd") booted='Booting from DVD/CD'
    [[ -z $floppy ]] || drive=(--fda "$cd,ro") booted='Booting from Floppy'
    timeout -k 10 $((seconds + 60)) "$vmm" --mem "$mem" "${drive[@]}" --vga-dump \
        --time-limit "$seconds" </dev/null >"$out" 2>"$tmp/err.$n"
    status=$?
    screen=$(tail -n 25 "$out")
    ((status == 16)) || fail "$name: vmm ended with status $status before --time-limit $seconds: $(cat "$tmp/err.$n")"
    grep -aq "$booted" "$out" || fail "$name: SeaBIOS did not say '$booted'"
    grep -q 'Memtest86+ v' <<<"$screen" || fail "$name: no memtest86+ header on the VGA screen"
    local row
    row=$(grep -oE 'Pass: +[0-9]+ +Errors: +[0-9]+' <<<"$screen")
    if [[ -z $row ]]; then
        fail "$name: no status row (Pass: N  Errors: E) on the VGA screen"
    else
        [[ $row =~ Errors:\ +0$ ]] || fail "$name: memtest found errors: '$row'"
        if [[ -n $want_pass ]]; then
            [[ $row =~ Pass:\ +[1-9] ]] || fail "$name: the first pass did not complete in $seconds s: '$row'"
        fi
    fi
    # Progress: the pass percentage above 0, or a test after the first two
    # under way (on a loaded machine 30 s may end before the pass shows 1%).
    grep -qE 'Pass +[1-9][0-9]?%|Test #([2-9]|1[0-9])' <<<"$screen" ||
        fail "$name: no test progress (Pass N% or Test #2 onwards) on the VGA screen"
    summary+=("$name: ${row:-no status row}")
    if ((${#failures[@]})); then
        echo "---- $name: vmm output (serial, then the VGA screen) ----"
        cat -v "$out" | tail -n 60
    fi
}

summary=()
n=0
for cd in "${cds[@]}"; do
    run_cd "$cd"
    n=$((n + 1))
done
if ((${#failures[@]})); then
    printf 'FAIL: %s\n' "${failures[@]}"
    exit 1
fi
what="floppy-emulation CDs"
[[ -z $floppy ]] || what="a floppy drive (--fda)"
echo "PASS: memtest86+ from $what, after ${seconds}s: ${summary[*]}"
