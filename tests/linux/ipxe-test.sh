#!/usr/bin/env bash
# ipxe-test.sh - boot iPXE's Linux-kernel image (Debian package ipxe:
# /boot/ipxe.lkrn) with --kernel, as QEMU users do with -kernel ipxe.lkrn:
#
#   ipxe-test.sh --vmm VMM --ipxe IPXE.LKRN [--timeout S]
#
# ipxe.lkrn has only the real-mode entry of the Linux boot protocol
# (code32_start 0), so vmm hands it to SeaBIOS through fw_cfg and QEMU's
# linuxboot.bin starts it.  iPXE then unpacks itself (an LZMA decompressor
# in 16-bit code, interpreted instruction by instruction: most of the run),
# installs itself in high memory, switches between real and protected mode
# for every BIOS call (FXSAVE/FXRSTOR of the FPU around each), probes the
# PCI bus and, finding no network card, says "No more network devices" and
# gives the boot back to the firmware.  The test reads COM1 (SeaBIOS's
# sercon mirrors iPXE's screen there) and stops vmm once that line and the
# firmware's next "Booting from" are there.  Checked: vmm's note that the kernel goes through the firmware,
# iPXE's "initialising devices...ok", its banner with the package's
# version, "No more network devices", and the firmware going on to its
# next boot device.  Exit status: 0 pass, 1 fail, 77 skipped (no
# ipxe.lkrn, SeaBIOS or linuxboot.bin).
set -uo pipefail

timeout_s=${VMM_IPXE_TIMEOUT:-240}
vmm= ipxe=
while (($#)); do
    (($# >= 2)) || { echo "ipxe-test.sh: $1 needs a value" >&2; exit 2; }
    case $1 in
    --vmm) vmm=$2 ;;
    --ipxe) ipxe=$2 ;;
    --timeout) timeout_s=$2 ;;
    *) echo "ipxe-test.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift 2
done
[[ -n $vmm && -n $ipxe ]] || { echo "ipxe-test.sh: --vmm and --ipxe are required" >&2; exit 2; }
skip() { echo "SKIP: $*"; exit 77; }
[[ -s $ipxe ]] || skip "$ipxe is missing (Debian package ipxe; ./setup.sh installs it)"
[[ -s /usr/share/seabios/bios.bin ]] || skip "/usr/share/seabios/bios.bin is missing (Debian package seabios)"
[[ -s /usr/share/qemu/linuxboot.bin ]] || skip "/usr/share/qemu/linuxboot.bin is missing (Debian package qemu-system-data)"

tmp=$(mktemp -d /tmp/vmm-ipxe-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
"$vmm" --kernel "$ipxe" --mem 64 --time-limit "$timeout_s" </dev/null >"$tmp/out" 2>"$tmp/err" &
pid=$!
# The serial text without escape sequences and carriage returns.
text() { tr -d '\r' <"$tmp/out" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g'; }
# iPXE's last line, then the firmware going on to its next boot device
# (iPXE waits for Ctrl-B a second time before it gives the boot back).
while kill -0 $pid 2>/dev/null; do
    t=$(text)
    if [[ $t == *"No more network devices"* && $t =~ Booting\ from\ (Floppy|Hard\ Disk) ]]; then
        kill -TERM $pid 2>/dev/null
        break
    fi
    sleep 1
done
wait $pid
status=$?
elapsed=$(($(date +%s) - start))
text >"$tmp/txt"

failures=()
fail() { failures+=("$*"); }
version=$(dpkg-query -W -f '${Version}' ipxe 2>/dev/null || true)
grep -q "code32_start 0x0 is outside the protected-mode kernel: booting it through the firmware" \
    "$tmp/err" || fail "vmm did not say that ipxe.lkrn goes through the firmware"
grep -q "iPXE initialising devices...ok" "$tmp/txt" || fail "no 'iPXE initialising devices...ok'"
grep -q "iPXE ${version:-[0-9]}.* -- Open Source Network Boot Firmware" "$tmp/txt" ||
    fail "no iPXE banner${version:+ naming version $version}"
grep -q "No more network devices" "$tmp/txt" || fail "iPXE did not get to 'No more network devices'"
grep -q "Booting from \(Floppy\|Hard Disk\)" "$tmp/txt" ||
    fail "the firmware did not go on to its next boot device after iPXE"
if ((${#failures[@]})); then
    echo "---- vmm status $status after ${elapsed}s; stderr ----"; cat "$tmp/err"
    echo "---- serial console ----"; cat "$tmp/txt"
    printf 'FAIL: %s\n' "${failures[@]}"
    exit 1
fi
grep -E "iPXE|network devices|Booting from" "$tmp/txt" | head -5
echo "iPXE started through the firmware and found no network device in ${elapsed}s"
