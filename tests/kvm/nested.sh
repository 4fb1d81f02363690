#!/usr/bin/env bash
# nested.sh - run a command as root inside a nested VM ("L1") that has a
# working /dev/kvm, and exit with the command's status.
#
#   tests/kvm/nested.sh [--l1 DIR] [--mem MiB] [--timeout S] [--expect REGEX]...
#                       [--file HOSTPATH[:GUESTPATH]]... [--disk IMG] -- COMMAND...
#   tests/kvm/nested.sh --check [--disk IMG]
#
# Why: this host's /dev/kvm (a software hypervisor) cannot run 32-bit guests,
# so vmm's --accel kvm is tested one level down: Debian's amd64 kernel
# (tests/kvm/fetch-l1.sh puts it in guest-images/kvm-l1, the --l1 default)
# boots under qemu-system-x86_64 -accel tcg -cpu EPYC,+svm, loads kvm and
# kvm-amd, and its /dev/kvm runs L2 guests on QEMU's emulated AMD-V.
#
# The initramfs (written with build/tests/linux/mkinitramfs; BUILD_DIR
# overrides build/) holds busybox and its applet links, the modules,
# /init (tests/kvm/l1-init), COMMAND in /nested/cmd (each word quoted, so
# any quoting survives) and every --file: at GUESTPATH, /bin/BASENAME by
# default; an ELF --file brings along its shared libraries and dynamic
# loader (ldd) at their host paths.  L1's console is streamed to stdout.
# --expect: a regex (grep -E) the command's output must match, else exit 1.
# --disk: the raw image IMG is L1's /dev/vda (virtio, host page cache
# write-back: what L1 writes is in IMG when L1 has powered off, l1-init's
# poweroff syncing first).  --check: only say whether L1 can run here
# (exit 0, or 77 with the reason), booting nothing.
#
# Exit status: COMMAND's; 77 (skip) without qemu-system-x86_64 or the L1
# images; 1 when /dev/kvm did not appear in L1, on --timeout (default 600 s),
# or when L1 ended without reporting COMMAND's status.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
l1=$repo/guest-images/kvm-l1 mem=2048 limit=600 files=() expect=() disk="" check=""

usage() { echo usage: >&2; sed -n '5,7p' "$0" | sed 's/^#//' >&2; exit 2; }
while (($#)); do
    case $1 in
    --l1) l1=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    --file) files+=("$2"); shift 2 ;;
    --expect) expect+=("$2"); shift 2 ;;
    --disk) disk=$2; shift 2 ;;
    --check) check=1; shift ;;
    --) shift; break ;;
    *) usage ;;
    esac
done
(($#)) || [[ -n $check ]] || usage

skip() { echo "nested.sh: SKIP: $*"; exit 77; }
die() { echo "nested.sh: $*" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null ||
    skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
[[ -s $l1/vmlinuz && -x $l1/busybox && -s $l1/modules/load-order ]] ||
    skip "no L1 kernel, modules and busybox in $l1 (tests/kvm/fetch-l1.sh fetches them)"
[[ -z $disk ]] || grep -qx virtio_blk.ko "$l1/modules/load-order" ||
    skip "no virtio modules in $l1 for --disk (tests/kvm/fetch-l1.sh fetches them)"
[[ -z $check ]] || exit 0
[[ -z $disk || -f $disk ]] || die "--disk $disk: no such file"
mkinitramfs=${BUILD_DIR:-$repo/build}/tests/linux/mkinitramfs
[[ -x $mkinitramfs ]] || die "$mkinitramfs not found (cmake --build build --target mkinitramfs)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
list=$tmp/list

# ---- the initramfs list (tests/linux/mkinitramfs.c), parents first --------
declare -A listed
add_dir() {
    [[ $1 == / || -n ${listed[$1]:-} ]] && return
    add_dir "$(dirname "$1")"
    listed[$1]=1
    echo "dir $1 0755" >>"$list"
}
add_file() {  # GUESTPATH HOSTPATH MODE
    [[ -n ${listed[$1]:-} ]] && return
    [[ "$1$2" != *[[:space:]]* ]] || die "'$2' -> '$1': the initramfs list takes no blanks in paths"
    add_dir "$(dirname "$1")"
    listed[$1]=1
    echo "file $1 $2 $3" >>"$list"
}
for d in /proc /sys /dev /root /tmp; do add_dir $d; done
echo "nod /dev/console 0600 c 5 1" >>"$list"
add_file /init "$here/l1-init" 0755
add_file /bin/busybox "$l1/busybox" 0755
while read -r applet; do
    add_dir "$(dirname "/$applet")"
    listed[/$applet]=1
    echo "slink /$applet /bin/busybox" >>"$list"
done < <("$l1/busybox" --list-full | grep -v '^bin/busybox$')
while read -r ko; do
    add_file "/nested/modules/$ko" "$l1/modules/$ko" 0644
done <"$l1/modules/load-order"
add_file /nested/modules/load-order "$l1/modules/load-order" 0644

for spec in ${files[@]+"${files[@]}"}; do
    src=${spec%%:*} dst=/bin/$(basename "${spec%%:*}")
    [[ $spec == *:* ]] && dst=${spec#*:}
    [[ -f $src ]] || die "--file $src: no such file"
    mode=0644
    [[ -x $src ]] && mode=0755
    unset "listed[$dst]"            # a --file replaces an applet link
    add_file "$dst" "$(realpath "$src")" $mode
    [[ $(head -c 4 "$src" | tr -d '\0') == $'\177ELF' ]] || continue
    libs=$(ldd "$src" 2>&1) || continue          # static: "not a dynamic executable"
    grep -q 'not found' <<<"$libs" && die "--file $src: $(grep 'not found' <<<"$libs" | head -n 1)"
    for lib in $(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' <<<"$libs"); do
        add_file "$lib" "$(realpath "$lib")" 0755
    done
done

# COMMAND, each word in single quotes (a ' inside becomes '\'').
q="'\\''"
for a in "$@"; do printf "'%s' " "${a//\'/$q}"; done >"$tmp/cmd"
echo >>"$tmp/cmd"
add_file /nested/cmd "$tmp/cmd" 0644
"$mkinitramfs" "$list" "$tmp/initrd.cpio" || die "mkinitramfs failed"

# ---- L1 ---------------------------------------------------------------------
echo "nested.sh: booting L1 ($(grep '^kernel' "$l1/VERSIONS" 2>/dev/null || echo "$l1")," \
     "initramfs $(($(stat -c %s "$tmp/initrd.cpio") >> 20)) MiB) to run: $*"
# vmlinux (uncompressed, PVH entry) boots ~5 s sooner than vmlinuz under TCG;
# -nodefaults (no VGA, IDE, floppy, NIC) spares the kernel probing them and
# the BIOS's serial console its terminal resets (what -nographic gives).
# -smap: QEMU 7.2's TCG faults a far return to 32-bit user code (CS 0x23)
# when SMAP is on, an oops in L1 whenever a program there runs such code.
# --foreground keeps qemu in the caller's process group, so that a signal
# to it (timeout(1) around nested.sh, Ctrl-C) ends qemu too.
kernel=$l1/vmlinux
[[ -s $kernel ]] || kernel=$l1/vmlinuz
drive=()
[[ -z $disk ]] || drive=(-drive "file=${disk//,/,,},format=raw,if=virtio,cache=writeback")
start=$SECONDS
set +e
timeout --foreground "$limit" qemu-system-x86_64 -accel tcg -cpu EPYC,+svm,-smap -m "$mem" -smp 1 \
    -nodefaults -display none -serial stdio -no-reboot ${drive[@]+"${drive[@]}"} \
    -kernel "$kernel" -initrd "$tmp/initrd.cpio" \
    -append "console=ttyS0 quiet panic=-1" </dev/null 2> >(grep -v "TCG doesn't support requested feature" >&2) |
    tee "$tmp/console"
qemu_status=${PIPESTATUS[0]}
set -e
tr -d '\r' <"$tmp/console" >"$tmp/log"
echo "nested.sh: L1 ran for $((SECONDS - start)) s"

((qemu_status != 124)) || die "L1 did not power off within $limit s (--timeout)"
grep -q '@@ nested no-kvm' "$tmp/log" &&
    die "/dev/kvm did not appear in L1 (the kvm modules did not load: see above)"
status=$(grep -oE '@@ nested status [0-9]+' "$tmp/log" | tail -n 1 | awk '{print $4}')
[[ -n $status ]] || die "L1 ended (qemu status $qemu_status) without reporting the command's status"
# --expect looks at what follows l1-init's "running:" line (not the command).
awk 'seen; /^l1: \/dev\/kvm present; running: /{ seen = 1 }' "$tmp/log" >"$tmp/output"
for re in ${expect[@]+"${expect[@]}"}; do
    grep -qE -- "$re" "$tmp/output" || die "the command's output does not match --expect '$re'"
done
echo "nested.sh: the command's exit status in L1: $status"
exit "$status"
