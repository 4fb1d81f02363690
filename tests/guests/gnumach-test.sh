#!/usr/bin/env bash
# gnumach-test.sh VMM IMAGE - boot GNU Mach, the Hurd's microkernel (Debian
# package gnumach-image-*-486, i386: written elsewhere, not for vmm), with
# no Hurd servers, and check that it gets as far as it can alone.
#
# GNU Mach is a Multiboot ELF linked at 0xC1000000 and loaded at 16 MiB: the
# loader must start it at the entry's loaded address, as GRUB does.  On its
# serial console (console=com0) it must print its banner, the BIOS memory
# map from the Multiboot information, find PCI through configuration
# mechanism 1, read the RTC, then panic because no bootstrap server was
# loaded with it (which QEMU's -kernel shows too) and reset the machine:
# vmm exits 0 with "guest reset".  Exit status 0 pass, 1 fail, 77 skipped
# (the image is not fetched: tests/guests/fetch-debian-guest.sh does that).
set -uo pipefail
vmm=$1 image=$2
if [[ ! -s $image ]]; then
    echo "SKIP: $image is missing: tests/guests/fetch-debian-guest.sh fetches GNU Mach"
    exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout 60 "$vmm" --kernel "$image" --append "console=com0" </dev/null 2>&1 | tr -d '\r' >"$out"
st=${PIPESTATUS[0]}

fail=0
for want in '^GNU Mach [0-9]' '^biosmem: physical memory map:' \
            '^biosmem: 0*100000:0*8000000, available' \
            '^pcibios_init: Using configuration type 1' '^RTC time is 20[0-9][0-9]-' \
            'bootstrap_create: No bootstrap code loaded with the kernel!' 'vmm: guest reset'; do
    if ! grep -aq -- "$want" "$out"; then
        echo "FAIL: no line matching '$want'"
        fail=1
    fi
done
if ((st != 0)); then
    echo "FAIL: vmm exited with status $st (0 expected: the kernel resets after its panic)"
    fail=1
fi
if ((fail)); then
    echo "--- vmm's output ---"
    cat "$out"
    exit 1
fi
grep -a '^GNU Mach' "$out"
echo "PASS: GNU Mach booted to its bootstrap panic and reset the machine"
