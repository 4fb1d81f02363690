#!/usr/bin/env bash
# fetch-debian-guest.sh - fetch the Debian i386 guest of issue 6 into
# guest-images/ (ignored by git):
#
#   guest-images/linux-image-6.1.*-686-unsigned_*_i386.deb, busybox-static_*_i386.deb
#   guest-images/linux/      the kernel package unpacked (boot/, lib/modules/)
#   guest-images/vmlinuz     the kernel (a bzImage)
#   guest-images/busybox     the static i386 busybox
#
# It enables the i386 architecture in dpkg, refreshes apt's lists when a
# package is not known yet, picks the newest 6.1 686 unsigned kernel image
# apt offers, downloads the two packages with `apt-get download` (no install)
# and unpacks them with dpkg-deb -x.  What is already in guest-images/ is not
# fetched again; --force fetches anew.  Needs root (or sudo) for dpkg/apt
# configuration, Debian's package archive for the downloads.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=guest-images
force=0
for arg in "$@"; do
    case $arg in
    --force) force=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-debian-guest.sh: unknown option '$arg'" >&2; exit 2 ;;
    esac
done

say() { printf '==> %s\n' "$*"; }
die() { printf 'fetch-debian-guest.sh: %s\n' "$*" >&2; exit 1; }

if [[ $force == 0 && -s $OUT/vmlinuz && -x $OUT/busybox ]]; then
    say "$OUT/vmlinuz and $OUT/busybox are already there (--force to fetch again)"
    exit 0
fi

command -v dpkg >/dev/null && command -v apt-get >/dev/null ||
    die "this script needs a Debian-based system (dpkg, apt-get)"
if ((EUID == 0)); then
    sudo=()
elif command -v sudo >/dev/null; then
    sudo=(sudo)
else
    die "not root and sudo is not available"
fi
export DEBIAN_FRONTEND=noninteractive

# A failing index (a mirror in the middle of a sync, say) is not fatal by
# itself: what matters is whether the packages are known afterwards.
apt_update() {
    "${sudo[@]}" apt-get update || say "apt-get update reported errors; going on with the lists it has"
}

updated=0
if ! dpkg --print-foreign-architectures | grep -qx i386; then
    say "enabling the i386 architecture in dpkg"
    "${sudo[@]}" dpkg --add-architecture i386
    apt_update
    updated=1
fi

# The newest linux-image-6.1.<x>-<abi>-686-unsigned that apt knows.
newest_kernel() {
    apt-cache pkgnames linux-image-6.1 |
        grep -E '^linux-image-6\.1\.[0-9]+-[0-9]+-686-unsigned$' |
        sort -V | tail -n 1
}
kpkg=$(newest_kernel || true)
if [[ -z $kpkg && $updated == 0 ]]; then
    say "no 6.1 686 kernel image in apt's lists: refreshing them"
    apt_update
    kpkg=$(newest_kernel || true)
fi
[[ -n $kpkg ]] || die "apt offers no linux-image-6.1.*-686-unsigned package for i386"
say "kernel package: $kpkg"

mkdir -p "$OUT"
fetch() {   # fetch PACKAGE:ARCH unless its .deb is already in $OUT
    local name=${1%%:*}
    local have=("$OUT/${name}"_*_i386.deb)
    if [[ $force == 0 && -f ${have[0]} ]]; then
        say "already downloaded: ${have[0]}"
        return
    fi
    say "downloading $1"
    (cd "$OUT" && apt-get download "$1")
}
fetch "$kpkg:i386"
fetch "busybox-static:i386"

kdeb=$(ls "$OUT/${kpkg}"_*_i386.deb | sort -V | tail -n 1)
bdeb=$(ls "$OUT"/busybox-static_*_i386.deb | sort -V | tail -n 1)

say "unpacking $kdeb"
rm -rf "$OUT/linux"
dpkg-deb -x "$kdeb" "$OUT/linux"
vmlinuz=$(ls "$OUT"/linux/boot/vmlinuz-* | head -n 1)
[[ -f $vmlinuz ]] || die "no boot/vmlinuz-* in $kdeb"
cp "$vmlinuz" "$OUT/vmlinuz"

say "unpacking $bdeb"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$bdeb" "$tmp"
[[ -f $tmp/bin/busybox ]] || die "no bin/busybox in $bdeb"
install -m 0755 "$tmp/bin/busybox" "$OUT/busybox"

say "done: $OUT/vmlinuz ($(basename "$vmlinuz")), $OUT/busybox"
file "$OUT/vmlinuz" "$OUT/busybox" 2>/dev/null || true
