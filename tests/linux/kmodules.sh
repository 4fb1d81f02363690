#!/usr/bin/env bash
# kmodules.sh - take kernel modules and everything they need out of the
# Debian kernel package, for the initramfs (tests/linux/CMakeLists.txt).
#
#   kmodules.sh --images DIR --out DIR [--flavour F] MODULE...
#
# The kernel package (the newest guest-images/linux-image-6.1.*-F-unsigned_
# *_i386.deb, the one tests/guests/fetch-debian-guest.sh fetched; F is 686
# unless --flavour says 686-pae) carries the
# modules but no modules.dep: depmod writes that on installation.  So the
# load order is worked out here from each module's own .modinfo section
# (read with objcopy, no kmod needed): "depends=" (hard dependencies, by
# module name) and "softdep=pre: ... post: ..." (names or aliases that
# modprobe would load before or after; ext4 and jbd2 ask for crypto-crc32c,
# crc-t10dif for crct10dif).  A soft dependency given as an alias resolves to
# the modules carrying that alias outside arch/, i.e. the generic C
# implementations that work on any CPU; one that is built into the kernel
# or found nowhere is left out (it is soft).
#
# Output, in --out:
#   tree/lib/modules/RELEASE/...  the package's *.ko files (extracted again
#                                 only when the .deb changes)
#   modules.list                  mkinitramfs entries: the needed .ko files at
#                                 /lib/modules/RELEASE/..., and
#                                 /lib/modules/RELEASE/vmm.load, their paths
#                                 (relative to that directory) in load order
#   vmm.load                      that file
# Without a kernel package modules.list
# holds only a comment (the build goes on; the Linux test reports the disk
# check as skipped).  Exit status 1 on a missing module, a dependency cycle,
# or a failing tool.
set -euo pipefail

images= out= flavour=686
while (($#)) && [[ $1 == --* ]]; do
    case $1 in
    --images) images=$2 ;;
    --out) out=$2 ;;
    --flavour) flavour=$2 ;;
    *) echo "kmodules.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift 2
done
[[ -n $images && -n $out && $# -gt 0 ]] ||
    { echo "usage: kmodules.sh --images DIR --out DIR [--flavour F] MODULE..." >&2; exit 2; }
die() { echo "kmodules.sh: $*" >&2; exit 1; }
mkdir -p "$out"

deb=$(ls "$images"/linux-image-6.1.*-"$flavour"-unsigned_*_i386.deb 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -z $deb ]]; then
    echo "kmodules.sh: no linux-image-6.1.*-$flavour-unsigned_*_i386.deb in $images:" \
         "the initramfs carries no modules (tests/guests/fetch-debian-guest.sh fetches it)" >&2
    echo "# no kernel package in $images: no modules" >"$out/modules.list"
    rm -f "$out/vmm.load"
    exit 0
fi

# ---- the package's modules, extracted once per .deb ------------------------
tree=$out/tree
stamp="$(basename "$deb") $(stat -c '%s %Y' "$deb")"
if [[ $(cat "$tree/.stamp" 2>/dev/null) != "$stamp" ]]; then
    echo "kmodules.sh: extracting the modules of $(basename "$deb")" >&2
    rm -rf "$tree"
    mkdir -p "$tree"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tree" --wildcards './lib/modules/*.ko' ||
        die "cannot extract the modules of $deb"
    echo "$stamp" >"$tree/.stamp"
fi
releases=("$tree"/lib/modules/*/)
((${#releases[@]} == 1)) && [[ -d ${releases[0]} ]] ||
    die "$deb: expected one lib/modules/RELEASE directory"
moddir=${releases[0]%/}
release=${moddir##*/}

# Module name -> path relative to $moddir (the name is the file's with
# '-' read as '_', as the kernel and modprobe do).
declare -A path_of
while IFS= read -r -d '' ko; do
    rel=${ko#"$moddir"/}
    name=${rel##*/}
    name=${name%.ko}
    path_of[${name//-/_}]=$rel
done < <(find "$moddir" -name '*.ko' -print0)
((${#path_of[@]})) || die "$deb: no *.ko under lib/modules/$release"

# modinfo REL FIELD: the values of FIELD in the module's .modinfo section.
modinfo() {
    local tmp
    tmp=$(mktemp)
    if ! objcopy -O binary --only-section=.modinfo "$moddir/$1" "$tmp"; then
        rm -f "$tmp"
        die "objcopy cannot read the .modinfo section of $1"
    fi
    tr '\0' '\n' <"$tmp" | sed -n "s/^$2=//p"
    rm -f "$tmp"
}

# by_alias ALIAS: the names of the modules outside arch/ carrying ALIAS.
by_alias() {
    local ko rel
    grep -rlaF --include='*.ko' "alias=$1" "$moddir" | sort | while IFS= read -r ko; do
        rel=${ko#"$moddir"/}
        [[ $rel == kernel/arch/* ]] && continue
        modinfo "$rel" alias | grep -qxF "$1" || continue
        rel=$(basename "$rel" .ko)
        echo "${rel//-/_}"
    done
}

declare -A state                        # name -> visiting | done
order=()

# visit NAME WHY: NAME after everything it depends on.
visit() {
    local name=${1//-/_} why=$2 rel deps soft word list=pre pre=() post=() d
    [[ ${state[$name]:-} == done ]] && return
    [[ ${state[$name]:-} == visiting ]] && die "dependency cycle through $name"
    rel=${path_of[$name]:-}
    [[ -n $rel ]] || die "no module $name (needed by $why) in $deb"
    state[$name]=visiting
    deps=$(modinfo "$rel" depends | tr ',' ' ')
    soft=$(modinfo "$rel" softdep)
    for word in $soft; do
        case $word in
        pre:) list=pre ;;
        post:) list=post ;;
        *) if [[ $list == pre ]]; then pre+=("$word"); else post+=("$word"); fi ;;
        esac
    done
    for d in $deps; do visit "$d" "$name"; done
    for d in ${pre[@]+"${pre[@]}"}; do soft_visit "$d" "$name"; done
    order+=("$rel")
    state[$name]=done
    for d in ${post[@]+"${post[@]}"}; do soft_visit "$d" "$name"; done
}

soft_visit() {
    local want=$1 by=$2 m found=0
    if [[ -n ${path_of[${want//-/_}]:-} ]]; then
        visit "$want" "$by"
        return
    fi
    for m in $(by_alias "$want"); do
        visit "$m" "$by (soft dependency $want)"
        found=1
    done
    ((found)) || echo "kmodules.sh: soft dependency $want of $by: no module outside arch/ (built in or absent): left out" >&2
}

for m in "$@"; do visit "$m" "the command line"; done

# ---- outputs -----------------------------------------------------------------
printf '%s\n' "${order[@]}" >"$out/vmm.load"
{
    echo "# Kernel modules for the initramfs, written by tests/linux/kmodules.sh"
    echo "# from $(basename "$deb"): $*"
    declare -A dirs=()
    for d in /lib /lib/modules "/lib/modules/$release"; do
        echo "dir   $d 0755"
    done
    for rel in "${order[@]}"; do
        d=$(dirname "$rel") p=
        for part in ${d//\// }; do
            p+=/$part
            [[ -n ${dirs[$p]:-} ]] && continue
            dirs[$p]=1
            echo "dir   /lib/modules/$release$p 0755"
        done
        echo "file  /lib/modules/$release/$rel $moddir/$rel 0644"
    done
    echo "file  /lib/modules/$release/vmm.load $(realpath "$out/vmm.load") 0644"
} >"$out/modules.list"
echo "kmodules.sh: $release: ${#order[@]} modules for $*: ${order[*]##*/}" >&2
