#!/usr/bin/env bash
# fetch-l1.sh - fetch the "L1" machine for the nested KVM tests (tests/kvm/).
#
#   tests/kvm/fetch-l1.sh [DEST]      DEST: guest-images/kvm-l1 (repo-relative)
#
# Why: this host's /dev/kvm cannot run 32-bit guests, so vmm's --accel kvm
# is tested inside a nested VM (nested.sh): Debian's amd64 kernel under
# qemu-system-x86_64 -accel tcg -cpu EPYC,+svm, whose own kvm/kvm-amd
# modules give a real /dev/kvm.  This script takes that kernel and a static
# busybox out of Debian's packages with `apt-get download` (no root, no
# install) and keeps only:
#
#   DEST/vmlinuz              the kernel of linux-image-RELEASE-amd64-unsigned
#   DEST/vmlinux              the same uncompressed (ELF, PVH entry; boots faster)
#   DEST/modules/*.ko         kvm, kvm-amd, kvm-intel, virtio_pci, virtio_blk
#                             (nested.sh --disk: /dev/vda in L1) and what they
#                             depend on (uncompressed, for busybox insmod)
#   DEST/modules/load-order   their file names, dependencies first
#   DEST/busybox              busybox-static (amd64)
#   DEST/gdb                  gdb-minimal's gdb (amd64; no Python, which L1
#                             lacks): kvm.gdb debugs a guest under --accel kvm
#   DEST/VERSIONS             the packages and versions these came from
#
# The package carries no modules.dep (depmod writes it on installation), so
# the dependencies are read as depmod does: each module's .modinfo
# "depends=" field (objcopy).  When DEST already holds everything (every
# module of WANT in load-order, every file there), nothing is downloaded.
# Exit status 1, with one line saying why, on failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
dest=${1:-$repo/guest-images/kvm-l1}
WANT=(kvm kvm-amd kvm-intel virtio_pci virtio_blk)

die() { echo "fetch-l1.sh: $*" >&2; exit 1; }

complete() {
    [[ -s $dest/vmlinuz && -x $dest/busybox && -x $dest/gdb && -s $dest/VERSIONS &&
       -s $dest/modules/load-order ]] || return 1
    local ko m
    while read -r ko; do [[ -s $dest/modules/$ko ]] || return 1; done <"$dest/modules/load-order"
    for m in "${WANT[@]}"; do tr - _ <"$dest/modules/load-order" | grep -qx "${m//-/_}.ko" || return 1; done
}
if complete; then
    echo "fetch-l1.sh: $dest is complete ($(paste -sd' ' "$dest/VERSIONS"))"
    exit 0
fi

for t in apt-get apt-cache dpkg-deb objcopy; do
    command -v "$t" >/dev/null || die "$t not found (a Debian host with binutils is needed)"
done

# The kernel linux-image-amd64 points to, else the newest 6.1 one apt knows.
abi=$(apt-cache depends linux-image-amd64 2>/dev/null |
      sed -n 's/^ *Depends: linux-image-\(.*\)-amd64$/\1/p' | head -n 1)
kpkg=linux-image-$abi-amd64-unsigned
if [[ -z $abi ]] || ! apt-cache show "$kpkg" >/dev/null 2>&1; then
    kpkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' |
           awk '{print $1}' | sort -V | tail -n 1)
    [[ -n $kpkg ]] || die "apt knows no linux-image-6.1.0-*-amd64-unsigned (apt-get update as root first?)"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-l1.sh: downloading $kpkg, busybox-static:amd64 and gdb-minimal:amd64"
(cd "$tmp" && apt-get download "$kpkg:amd64" busybox-static:amd64 gdb-minimal:amd64 >"$tmp/apt.log" 2>&1) ||
    die "apt-get download $kpkg busybox-static gdb-minimal failed: $(grep '^E:' "$tmp/apt.log" | head -n 1 | sed -E 's#[a-z]+://[^ ]+ *##')"
dpkg-deb -x "$tmp"/linux-image-*.deb "$tmp/k" || die "cannot unpack $kpkg"
dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/b" || die "cannot unpack busybox-static"
dpkg-deb -x "$tmp"/gdb-minimal_*.deb "$tmp/g" || die "cannot unpack gdb-minimal"

moddirs=("$tmp"/k/lib/modules/*/)
((${#moddirs[@]} == 1)) && [[ -d ${moddirs[0]} ]] || die "$kpkg: expected one lib/modules/RELEASE"
moddir=${moddirs[0]%/}
release=${moddir##*/}

new=$tmp/out
mkdir -p "$new/modules"
cp "$tmp/k/boot/vmlinuz-$release" "$new/vmlinuz" || die "$kpkg has no boot/vmlinuz-$release"
cp "$tmp/b/bin/busybox" "$new/busybox" || die "busybox-static has no bin/busybox"
cp "$tmp/g/usr/bin/gdb" "$new/gdb" || die "gdb-minimal has no usr/bin/gdb"

# The kernel uncompressed (its xz stream in the bzImage), an ELF that QEMU
# boots through its PVH entry: that saves L1 the ~5 s its decompressor
# takes under TCG.  nested.sh falls back to vmlinuz when there is none.
for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$new/vmlinuz" | cut -d: -f1); do
    xz -dc --single-stream < <(tail -c +$((off + 1)) "$new/vmlinuz") >"$new/vmlinux" 2>/dev/null &&
        [[ $(head -c 4 "$new/vmlinux" | tr -d '\0') == $'\177ELF' ]] && break
    rm -f "$new/vmlinux"
done
[[ -s $new/vmlinux ]] || echo "fetch-l1.sh: warning: no xz-compressed ELF in vmlinuz: L1 boots the slower way"

# Module name ('-' read as '_') -> its file in the package.
declare -A path_of state
while IFS= read -r -d '' f; do
    n=${f##*/}; n=${n%.xz}; n=${n%.ko}
    path_of[${n//-/_}]=$f
done < <(find "$moddir" \( -name '*.ko' -o -name '*.ko.xz' \) -print0)

# add NAME: copy NAME's module (decompressed) after the modules it depends on.
add() {
    local name=${1//-/_} src=${path_of[${1//-/_}]:-} ko d
    [[ -n ${state[$name]:-} ]] && return
    [[ -n $src ]] || die "$kpkg has no module $1"
    state[$name]=1
    ko=${src##*/}; ko=${ko%.xz}
    if [[ $src == *.xz ]]; then xz -dc "$src" >"$new/modules/$ko"; else cp "$src" "$new/modules/$ko"; fi
    objcopy -O binary --only-section=.modinfo "$new/modules/$ko" "$tmp/modinfo" ||
        die "cannot read the .modinfo of $ko"
    for d in $(tr '\0' '\n' <"$tmp/modinfo" | sed -n 's/^depends=//p' | tr ',' ' '); do add "$d"; done
    echo "$ko" >>"$new/modules/load-order"
}
for m in "${WANT[@]}"; do add "$m"; done

{
    echo "kernel $release"
    for deb in "$tmp"/*.deb; do dpkg-deb --showformat='${Package} ${Version}\n' -W "$deb"; done
} >"$new/VERSIONS"

mkdir -p "$dest"
rm -rf "$dest/modules" "$dest/vmlinux"
cp -r "$new"/. "$dest"/
complete || die "internal error: $dest is incomplete after the fetch"
echo "fetch-l1.sh: $dest: $release, modules $(paste -sd' ' "$dest/modules/load-order")"
