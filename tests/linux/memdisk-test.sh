#!/usr/bin/env bash
# memdisk-test.sh - boot a DOS-style floppy image through syslinux's memdisk,
# as QEMU users do with `-kernel memdisk -initrd floppy.img`:
#
#   memdisk-test.sh --vmm VMM --memdisk MEMDISK --bootsector BOOT_MEMDISK.BIN
#                   [--disk BOOTABLE.IMG]
#
# memdisk has only the real-mode entry of the Linux boot protocol (its
# header declares no protected-mode kernel: syssize 0), so vmm hands it to
# SeaBIOS through fw_cfg and QEMU's linuxboot.bin starts its setup code,
# which copies the floppy image (the initrd) to the top of low RAM, hooks
# INT 13h and boots the image's boot sector.  The image is made here: a
# 1.44 MB FAT12 file system (mformat -B keeps boot_memdisk.asm's code and
# writes the BIOS parameter block into it) with HELLO.TXT (mcopy).  The
# boot sector checks that memdisk serves it (tests/guests/boot_memdisk.asm)
# and ends the run through the debug-exit port: status 1 is its pass.
# Checked: vmm's note that the kernel goes through the firmware, memdisk's
# own banner and the disk it saw (on COM1 through SeaBIOS's sercon), the
# boot sector's PASS.  A second image without HELLO.TXT must make the boot
# sector fail its check 8 (status 17): the pass is not an accident of the
# first image.  --accel kvm is refused (status 2): that engine runs no
# firmware.  With --disk, a third run adds that bootable hard disk:
# the kernel must still boot first (fw_cfg's bootorder names the ROM
# first, as QEMU's boot index 0 for -kernel).  Exit status: 0 pass, 1 fail, 77 skipped (no memdisk,
# SeaBIOS, linuxboot.bin or mtools).
set -uo pipefail

vmm= memdisk= boot= disk=
while (($#)); do
    (($# >= 2)) || { echo "memdisk-test.sh: $1 needs a value" >&2; exit 2; }
    case $1 in
    --vmm) vmm=$2 ;;
    --memdisk) memdisk=$2 ;;
    --bootsector) boot=$2 ;;
    --disk) disk=$2 ;;
    *) echo "memdisk-test.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift 2
done
[[ -n $vmm && -n $memdisk && -n $boot ]] ||
    { echo "memdisk-test.sh: --vmm, --memdisk and --bootsector are required" >&2; exit 2; }
skip() { echo "SKIP: $*"; exit 77; }
[[ -s $memdisk ]] || skip "$memdisk is missing (Debian package syslinux-common; ./setup.sh installs it)"
[[ -s /usr/share/seabios/bios.bin ]] || skip "/usr/share/seabios/bios.bin is missing (Debian package seabios)"
[[ -s /usr/share/qemu/linuxboot.bin ]] || skip "/usr/share/qemu/linuxboot.bin is missing (Debian package qemu-system-data)"
for t in mformat mcopy; do
    command -v $t >/dev/null || skip "$t is missing (Debian package mtools; ./setup.sh installs it)"
done

tmp=$(mktemp -d /tmp/vmm-memdisk-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=()
fail() { failures+=("$*"); }

# make_floppy IMAGE [FILE]: the FAT12 image with our boot sector, FILE as HELLO.TXT.
make_floppy() {
    mformat -C -f 1440 -B "$boot" -i "$1" :: || return 1
    [[ -z ${2:-} ]] || mcopy -i "$1" "$2" ::HELLO.TXT
}
echo "a file for the boot sector to find" >"$tmp/hello.txt"
make_floppy "$tmp/floppy.img" "$tmp/hello.txt" || { echo "FAIL: cannot make the floppy image"; exit 1; }
make_floppy "$tmp/empty.img" || { echo "FAIL: cannot make the second floppy image"; exit 1; }

# run IMAGE NAME [VMM ARG...]: boot it; NAME.out (serial), NAME.err, NAME.status.
run() {
    timeout -k 5 120 "$vmm" --kernel "$memdisk" --initrd "$1" --mem 32 --time-limit 60 "${@:3}" \
        </dev/null >"$tmp/$2.out" 2>"$tmp/$2.err"
    echo $? >"$tmp/$2.status"
    tr -d '\r' <"$tmp/$2.out" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' >"$tmp/$2.txt"
}
run "$tmp/floppy.img" pass
run "$tmp/empty.img" nofile
runs=(pass nofile)
if [[ -n $disk ]]; then
    run "$tmp/floppy.img" disk --disk "$disk,ro"
    runs+=(disk)
    st=$(cat "$tmp/disk.status")
    ((st == 1)) && grep -q "boot_memdisk: memdisk drive 00h" "$tmp/disk.txt" ||
        fail "with a bootable disk attached the kernel did not boot first (status $st)"
fi

st=$(cat "$tmp/pass.status")
((st == 1)) || fail "vmm exit status $st with the floppy image, want 1 (the boot sector's pass)"
grep -q "syssize 0.*booting it through the firmware" "$tmp/pass.err" ||
    fail "vmm did not say that memdisk goes through the firmware"
grep -q "^MEMDISK" "$tmp/pass.txt" || fail "no memdisk banner on the serial console"
grep -q "Disk is fd0, 1440 K, C/H/S = 80/2/18" "$tmp/pass.txt" ||
    fail "memdisk did not report the 1.44 MB floppy"
grep -q "boot_memdisk: memdisk drive 00h, 80/2/18, FAT and HELLO.TXT read ok" "$tmp/pass.txt" ||
    fail "the boot sector did not report its checks"
# The KVM engine runs no firmware: refused before anything runs, status 2.
"$vmm" --accel kvm --kernel "$memdisk" --initrd "$tmp/floppy.img" </dev/null >/dev/null 2>"$tmp/kvm.err"
st=$?
((st == 2)) && grep -q "accel kvm: a kernel booted through the firmware is not supported" "$tmp/kvm.err" ||
    fail "--accel kvm: status $st, want 2 and the reason ($(cat "$tmp/kvm.err"))"
st=$(cat "$tmp/nofile.status")
((st == 17)) || fail "vmm exit status $st without HELLO.TXT, want 17 (the boot sector's check 8)"
grep -q "boot_memdisk: FAIL 8" "$tmp/nofile.txt" || fail "without HELLO.TXT the boot sector did not fail check 8"

if ((${#failures[@]})); then
    for n in "${runs[@]}"; do
        echo "---- $n: status $(cat "$tmp/$n.status"); stderr ----"; cat "$tmp/$n.err"
        echo "---- $n: serial console ----"; cat "$tmp/$n.txt"
    done
    printf 'FAIL: %s\n' "${failures[@]}"
    exit 1
fi
grep -oE "^MEMDISK.*|^Disk is.*|boot_memdisk: .*" "$tmp/pass.txt"
echo "memdisk booted the floppy image through the firmware; the boot sector passed"
