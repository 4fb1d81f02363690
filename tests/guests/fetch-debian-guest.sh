#!/usr/bin/env bash
# fetch-debian-guest.sh - fetch the Debian guests into
# guest-images/ (ignored by git):
#
#   guest-images/linux-image-6.1.*-686-unsigned_*_i386.deb, busybox-static_*_i386.deb
#                            (the build takes the kernel modules from the first)
#   guest-images/linux/      the kernel package unpacked (boot/, lib/modules/)
#   guest-images/vmlinuz     the kernel (a bzImage)
#   guest-images/linux-image-6.1.*-686-pae-unsigned_*_i386.deb
#   guest-images/vmlinuz-pae the same release's 686-pae flavour (PAE paging
#                            with NX, Debian's default i386 kernel); the build
#                            takes its modules for a second initramfs
#   guest-images/busybox     the static i386 busybox
#   guest-images/memtest86+_*.deb, guest-images/memtest86+ia32.bin
#                            memtest86+ 6.x, its 32-bit Linux-boot-protocol image
#   guest-images/invaders.exec
#                            grub-invaders, a Multiboot kernel written elsewhere
#                            (a space-invaders game on the VGA text screen)
#   guest-images/gnumach     GNU Mach, the Hurd's microkernel (package
#                            gnumach-image-*-486, i386): a Multiboot ELF linked
#                            at 0xC1000000 and loaded at 16 MiB, written elsewhere
#
# It enables the i386 architecture in dpkg, refreshes apt's lists when a
# package is not known yet, picks the newest 6.1 686 unsigned kernel image
# apt offers, downloads the packages with `apt-get download` (no install)
# and unpacks them with dpkg-deb -x.  memtest86+ is taken for the host's own
# architecture (every build of that package carries memtest86+ia32.bin).
# What is already in guest-images/ is not fetched again: a second run
# touches neither apt nor the network.  --force fetches anew.  Needs root
# (or sudo) for the dpkg/apt configuration and Debian's package archive for
# the downloads.  Exit status 0 when everything is there at the end, 1 if
# not (the Linux guest and memtest86+ are fetched independently: one failing
# does not stop the other).
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=guest-images
force=0
for arg in "$@"; do
    case $arg in
    --force) force=1 ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-debian-guest.sh: unknown option '$arg'" >&2; exit 2 ;;
    esac
done

say() { printf '==> %s\n' "$*"; }
warn() { printf 'fetch-debian-guest.sh: %s\n' "$*" >&2; }
die() { warn "$*"; exit 1; }

# The kernel package stays: the build takes the initramfs's modules from it
# (tests/linux/kmodules.sh).
have_linux() {
    [[ -s $OUT/vmlinuz && -x $OUT/busybox ]] &&
        compgen -G "$OUT/linux-image-6.1.*-686-unsigned_*_i386.deb" >/dev/null
}
have_linux_pae() {
    [[ -s $OUT/vmlinuz-pae ]] &&
        compgen -G "$OUT/linux-image-6.1.*-686-pae-unsigned_*_i386.deb" >/dev/null
}
have_memtest() { [[ -s $OUT/memtest86+ia32.bin ]]; }
have_invaders() { [[ -s $OUT/invaders.exec ]]; }
have_gnumach() { [[ -s $OUT/gnumach ]]; }

if [[ $force == 0 ]] && have_linux && have_linux_pae && have_memtest && have_invaders && have_gnumach; then
    say "$OUT/vmlinuz, $OUT/vmlinuz-pae, $OUT/busybox, $OUT/memtest86+ia32.bin, $OUT/invaders.exec and $OUT/gnumach are already there (--force to fetch again)"
    exit 0
fi

command -v dpkg >/dev/null && command -v apt-get >/dev/null ||
    die "this script needs a Debian-based system (dpkg, apt-get)"
. tests/guests/as-root.sh
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A failing index (a mirror in the middle of a sync, say) is not fatal by
# itself: what matters is whether the packages are known afterwards.
updated=0
apt_update() {
    updated=1
    "${sudo[@]}" apt-get update || say "apt-get update reported errors; going on with the lists it has"
}

fetch() {   # fetch PACKAGE[:ARCH] unless its .deb is already in $OUT
    local name=${1%%:*}
    local have=("$OUT/${name}"_*.deb)
    if [[ $force == 0 && -f ${have[0]} ]]; then
        say "already downloaded: ${have[0]}"
        return
    fi
    say "downloading $1"
    (cd "$OUT" && apt-get download "$1")
}

newest_deb() { ls "$@" 2>/dev/null | sort -V | tail -n 1; }

# The newest linux-image-6.1.<x>-<abi>-686-unsigned that apt knows.
newest_kernel() {
    apt-cache pkgnames linux-image-6.1 |
        grep -E '^linux-image-6\.1\.[0-9]+-[0-9]+-686-unsigned$' |
        sort -V | tail -n 1
}

fetch_linux() {
    if ! dpkg --print-foreign-architectures | grep -qx i386; then
        say "enabling the i386 architecture in dpkg"
        "${sudo[@]}" dpkg --add-architecture i386
        apt_update
    fi
    local kpkg kdeb bdeb vmlinuz
    kpkg=$(newest_kernel || true)
    if [[ -z $kpkg && $updated == 0 ]]; then
        say "no 6.1 686 kernel image in apt's lists: refreshing them"
        apt_update
        kpkg=$(newest_kernel || true)
    fi
    [[ -n $kpkg ]] || { warn "apt offers no linux-image-6.1.*-686-unsigned package for i386"; return 1; }
    say "kernel package: $kpkg"
    fetch "$kpkg:i386" && fetch "busybox-static:i386" || return 1

    kdeb=$(newest_deb "$OUT/${kpkg}"_*_i386.deb)
    bdeb=$(newest_deb "$OUT"/busybox-static_*_i386.deb)
    say "unpacking $kdeb"
    rm -rf "$OUT/linux"
    dpkg-deb -x "$kdeb" "$OUT/linux" || return 1
    vmlinuz=$(ls "$OUT"/linux/boot/vmlinuz-* 2>/dev/null | head -n 1)
    [[ -f $vmlinuz ]] || { warn "no boot/vmlinuz-* in $kdeb"; return 1; }
    cp "$vmlinuz" "$OUT/vmlinuz"

    say "unpacking $bdeb"
    dpkg-deb -x "$bdeb" "$tmp/busybox" || return 1
    [[ -f $tmp/busybox/bin/busybox ]] || { warn "no bin/busybox in $bdeb"; return 1; }
    install -m 0755 "$tmp/busybox/bin/busybox" "$OUT/busybox"
    say "Linux guest: $OUT/vmlinuz ($(basename "$vmlinuz")), $OUT/busybox"
}

# The 686-pae flavour of the release the 686 kernel is (the same ABI name:
# linux-image-6.1.0-57-686-unsigned -> linux-image-6.1.0-57-686-pae-unsigned),
# so that both guests run the same kernel source.
fetch_linux_pae() {
    local kdeb kpkg pdeb
    kdeb=$(newest_deb "$OUT"/linux-image-6.1.*-686-unsigned_*_i386.deb)
    [[ -n $kdeb ]] || { warn "no 686 kernel package to take the release from"; return 1; }
    kpkg=$(basename "$kdeb")
    kpkg=${kpkg%%_*}
    kpkg=${kpkg%-686-unsigned}-686-pae-unsigned
    say "PAE kernel package: $kpkg"
    fetch "$kpkg:i386" || return 1
    pdeb=$(newest_deb "$OUT/${kpkg}"_*_i386.deb)
    say "unpacking $pdeb"
    dpkg-deb -x "$pdeb" "$tmp/linux-pae" || return 1
    local vmlinuz
    vmlinuz=$(ls "$tmp"/linux-pae/boot/vmlinuz-* 2>/dev/null | head -n 1)
    [[ -f $vmlinuz ]] || { warn "no boot/vmlinuz-* in $pdeb"; return 1; }
    install -m 0644 "$vmlinuz" "$OUT/vmlinuz-pae"
    say "Linux PAE guest: $OUT/vmlinuz-pae ($(basename "$vmlinuz"))"
}

fetch_memtest() {
    local mdeb
    if ! apt-cache show memtest86+ >/dev/null 2>&1 && [[ $updated == 0 ]]; then
        say "memtest86+ is not in apt's lists: refreshing them"
        apt_update
    fi
    fetch "memtest86+" || return 1
    mdeb=$(newest_deb "$OUT"/memtest86+_*.deb)
    say "unpacking $mdeb"
    dpkg-deb -x "$mdeb" "$tmp/memtest" || return 1
    [[ -f $tmp/memtest/boot/memtest86+ia32.bin ]] ||
        { warn "no boot/memtest86+ia32.bin in $mdeb"; return 1; }
    install -m 0644 "$tmp/memtest/boot/memtest86+ia32.bin" "$OUT/memtest86+ia32.bin"
    say "memtest86+: $OUT/memtest86+ia32.bin"
}

fetch_invaders() {
    local gdeb
    if ! apt-cache show grub-invaders >/dev/null 2>&1 && [[ $updated == 0 ]]; then
        say "grub-invaders is not in apt's lists: refreshing them"
        apt_update
    fi
    fetch "grub-invaders" || return 1
    gdeb=$(newest_deb "$OUT"/grub-invaders_*.deb)
    dpkg-deb -x "$gdeb" "$tmp/invaders" || return 1
    [[ -f $tmp/invaders/boot/invaders.exec ]] ||
        { warn "no boot/invaders.exec in $gdeb"; return 1; }
    install -m 0644 "$tmp/invaders/boot/invaders.exec" "$OUT/invaders.exec"
    say "grub-invaders: $OUT/invaders.exec"
}

fetch_gnumach() {     # the newest gnumach-image-N.N-486 package apt knows, i386 build
    local pkg gdeb
    pkg=$(apt-cache search --names-only '^gnumach-image-[0-9.]+-486$' 2>/dev/null | awk '{ print $1 }' |
          sort -V | tail -n 1)
    if [[ -z $pkg && $updated == 0 ]]; then
        say "gnumach-image-*-486 is not in apt's lists: refreshing them"
        apt_update
        pkg=$(apt-cache search --names-only '^gnumach-image-[0-9.]+-486$' 2>/dev/null |
              awk '{ print $1 }' | sort -V | tail -n 1)
    fi
    [[ -n $pkg ]] || { warn "apt knows no gnumach-image-*-486 package"; return 1; }
    fetch "$pkg:i386" || return 1
    gdeb=$(newest_deb "$OUT"/"$pkg"_*_i386.deb)
    dpkg-deb -x "$gdeb" "$tmp/gnumach" || return 1
    local gz
    gz=$(ls "$tmp"/gnumach/boot/gnumach-*.gz 2>/dev/null | head -n 1)
    [[ -n $gz ]] || { warn "no boot/gnumach-*.gz in $gdeb"; return 1; }
    gzip -dc "$gz" >"$OUT/gnumach.new" && mv "$OUT/gnumach.new" "$OUT/gnumach"
    say "GNU Mach: $OUT/gnumach (from $gdeb)"
}

status=0
if [[ $force == 1 ]] || ! have_linux; then
    fetch_linux || { warn "could not fetch the Linux guest (kernel, busybox)"; status=1; }
else
    say "$OUT/vmlinuz and $OUT/busybox are already there"
fi
if [[ $force == 1 ]] || ! have_linux_pae; then
    fetch_linux_pae || { warn "could not fetch the 686-pae Linux guest"; status=1; }
else
    say "$OUT/vmlinuz-pae is already there"
fi
if [[ $force == 1 ]] || ! have_memtest; then
    fetch_memtest || { warn "could not fetch memtest86+"; status=1; }
else
    say "$OUT/memtest86+ia32.bin is already there"
fi
if [[ $force == 1 ]] || ! have_invaders; then
    fetch_invaders || { warn "could not fetch grub-invaders"; status=1; }
fi
if [[ $force == 1 ]] || ! have_gnumach; then
    fetch_gnumach || { warn "could not fetch GNU Mach"; status=1; }
fi
for f in "$OUT/vmlinuz" "$OUT/vmlinuz-pae" "$OUT/busybox" "$OUT/memtest86+ia32.bin" "$OUT/invaders.exec" "$OUT/gnumach"; do
    [[ -e $f ]] && { file "$f" 2>/dev/null || true; }
done
exit $status
