#!/usr/bin/env bash
# build-debian-system.sh - build the Debian system guest into
# guest-images/debian-system/ (ignored by git):
#
#   rootfs.ext4   a Debian 12 (bookworm) i386 root file system, ext4, 2 GiB
#                 sparse: debootstrap --variant=minbase with systemd, udev,
#                 Debian's 686 and 686-pae kernels with their
#                 initramfs-tools initramfs, gcc, python3 and sqlite3;
#                 root's password is "vmm"
#   vmlinuz       the 686 kernel of that system (from its /boot)
#   initrd.img    its initramfs, made by Debian's update-initramfs
#   vmlinuz-pae   the 686-pae kernel (PAE paging with NX), Debian's
#   initrd-pae.img  default i386 flavour, and its initramfs
#   VERSION       what was built, and from which packages
#
# Boot it with
#   build/vmm --mem 512 --kernel guest-images/debian-system/vmlinuz \
#     --initrd guest-images/debian-system/initrd.img \
#     --append "root=/dev/sda console=ttyS0" --disk COPY-OF-rootfs.ext4
# (the guest writes to its root file system: boot a copy), or with
# vmlinuz-pae and initrd-pae.img: the same root file system has both
# kernels' modules.
#
# How: debootstrap runs the packages' i386 maintainer scripts in a chroot.
# A host kernel built without 32-bit user code (docs/host.md) cannot exec
# them, so the i386 ELF format is registered with binfmt_misc to
# qemu-i386-static (QEMU's user-mode emulator, package qemu-user-static)
# for the time of the build, when the host does not run i386 programs by
# itself.  The
# mirror is the one apt on this machine uses for bookworm.  The image is made
# without loop devices or mounts: `mke2fs -d` copies the tree into it.
# Nothing is rebuilt when rootfs.ext4 and both kernels and initramfs are there
# (--force rebuilds; --cache-dir=DIR keeps the downloaded packages there for
# the next build, as debootstrap's option of that name).  Needs root (or sudo): debootstrap, chroot and the
# binfmt_misc registration.  Takes several minutes and about 250 MB of
# downloads; docs/linux-guest.md has the measured figures.  Exit status 0
# when the guest is there at the end, 1 if not.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=guest-images/debian-system
SUITE=bookworm
SIZE=2G
PASSWORD=vmm
# Beyond minbase: an init system and a login on the serial console, the
# kernel and its initramfs, e2fsck for the boot-time check of /, and the
# programs the system test runs.
INCLUDE=systemd,systemd-sysv,udev,kmod,procps,e2fsprogs,linux-image-686,linux-image-686-pae,initramfs-tools,gcc,libc6-dev,python3,sqlite3

force=0
cache=()
for arg in "$@"; do
    case $arg in
    --force) force=1 ;;
    --cache-dir=*) cache=("$arg") ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-debian-system.sh: unknown option '$arg'" >&2; exit 2 ;;
    esac
done

say() { printf '==> %s\n' "$*"; }
die() { printf 'build-debian-system.sh: %s\n' "$*" >&2; exit 1; }

OUTPUTS=(rootfs.ext4 vmlinuz initrd.img vmlinuz-pae initrd-pae.img)
built() { local f; for f in "${OUTPUTS[@]}"; do [[ -s $OUT/$f ]] || return 1; done; }
if [[ $force == 0 ]] && built; then
    say "$OUT is already there (--force to build it again)"
    exit 0
fi

. tests/guests/as-root.sh

need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v mke2fs >/dev/null || need+=(e2fsprogs)
[[ -x /usr/bin/qemu-i386-static ]] || need+=(qemu-user-static)
if ((${#need[@]})); then
    say "installing ${need[*]}"
    "${sudo[@]}" apt-get install -y --no-install-recommends "${need[@]}" ||
        { "${sudo[@]}" apt-get update && "${sudo[@]}" apt-get install -y --no-install-recommends "${need[@]}"; } ||
        die "cannot install ${need[*]}"
fi

# The mirror apt already uses for the suite: nothing is fetched from
# anywhere else.
mirror=$(apt-cache policy 2>/dev/null |
         awk -v s="$SUITE/main" '$3 == s && $2 ~ /^https?:/ { print $2; exit }')
[[ -n $mirror ]] || die "apt knows no '$SUITE main' source to take packages from (see /etc/apt/sources.list*)"

work=$(mktemp -d "${TMPDIR:-/tmp}/debian-system.XXXXXX")
root=$work/root
cleanup() {
    # debootstrap may leave /proc or /sys mounted in the chroot on failure.
    for m in proc sys dev/pts dev; do
        mountpoint -q "$root/$m" 2>/dev/null && "${sudo[@]}" umount -l "$root/$m" || true
    done
    "${sudo[@]}" rm -rf "$work"
    # Leave the host's binfmt_misc as it was found.
    if ((registered)); then
        echo -1 | "${sudo[@]}" tee "$binfmt/vmm-qemu-i386" >/dev/null || true
    fi
}
trap cleanup EXIT

# i386 programs in the chroot: run by the host when it can, otherwise
# through QEMU's user-mode emulator registered with binfmt_misc.  The F flag
# opens the (static) emulator now, so that it is found inside the chroot.
binfmt=/proc/sys/fs/binfmt_misc
registered=0
ensure_i386_exec() {
    local probe=$work/busybox
    # A small i386 program: busybox-static's true if fetched, else none.
    if [[ -x guest-images/busybox ]]; then
        cp guest-images/busybox "$probe"
        "$probe" true 2>/dev/null && { say "i386 programs already run on this host"; return 0; }
    fi
    if [[ ! -e $binfmt/register ]]; then
        "${sudo[@]}" mount -t binfmt_misc binfmt_misc "$binfmt" ||
            die "binfmt_misc is not available: cannot run the i386 maintainer scripts"
    fi
    if [[ ! -e $binfmt/qemu-i386 && ! -e $binfmt/vmm-qemu-i386 ]]; then
        say "registering i386 ELF programs with binfmt_misc -> /usr/bin/qemu-i386-static"
        # Magic and mask: ELF, 32-bit, little-endian, version 1, type
        # EXEC or DYN (the mask lets bit 0 of e_type vary), machine 3 (i386).
        printf '%s' ':vmm-qemu-i386:M::\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00:\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-i386-static:F' |
            "${sudo[@]}" tee "$binfmt/register" >/dev/null ||
            die "cannot register qemu-i386-static with binfmt_misc"
        registered=1
    fi
    if [[ -x guest-images/busybox ]]; then
        "$probe" true || die "i386 programs still do not run through binfmt_misc"
    fi
}
ensure_i386_exec

t0=$SECONDS
in_root() { "${sudo[@]}" chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
put() {     # put PATH CONTENT: write a file of the guest system
    "${sudo[@]}" mkdir -p "$(dirname "$root/$1")"
    printf '%s\n' "$2" | "${sudo[@]}" tee "$root/$1" >/dev/null
}

# First stage (host only): download and unpack.  Then, before any package
# is configured, the initramfs configuration, so that the kernel's postinst
# builds the right initramfs once.
say "debootstrap $SUITE i386, first stage (minbase + $INCLUDE) from $mirror"
"${sudo[@]}" debootstrap --foreign --arch=i386 --variant=minbase --include="$INCLUDE" \
    "${cache[@]}" "$SUITE" "$root" "$mirror" > "$work/debootstrap.log" 2>&1 ||
    { tail -30 "$work/debootstrap.log" >&2; die "debootstrap (first stage) failed (log above)"; }

# vmm's disks sit on the legacy ISA IDE ports (docs/devices.md), which
# pata_legacy drives; nothing on PCI announces them, so udev would not load
# it: the initramfs loads it by name, for the two channels vmm has.
# ata_piix first: on a PC with the PIIX's IDE function (QEMU's "pc"
# machine) it claims those ports, so the same image boots there too, for
# side-by-side comparisons; under vmm it finds nothing and pata_legacy does.
# MODULES=list: only those modules and what they need (the default, "most",
# copies every storage and network driver the kernel has).
put etc/initramfs-tools/modules "ata_piix
pata_legacy probe_mask=3
sd_mod
ext4"
put etc/initramfs-tools/conf.d/vmm.conf "MODULES=list"
put etc/modprobe.d/vmm-ide.conf "options pata_legacy probe_mask=3"

say "debootstrap $SUITE i386, second stage (the packages' own scripts, in the chroot)"
in_root /debootstrap/debootstrap --second-stage >> "$work/debootstrap.log" 2>&1 ||
    { tail -30 "$work/debootstrap.log" >&2; die "debootstrap (second stage) failed (log above)"; }
say "debootstrap took $((SECONDS - t0)) s"

say "configuring the guest system"
put etc/hostname vmm-debian
put etc/hosts "127.0.0.1 localhost
127.0.1.1 vmm-debian"
put etc/fstab "# root is the first disk of vmm (--disk), on the legacy IDE ports
/dev/sda / ext4 errors=remount-ro 0 1"
# A fixed machine id would make every copy of the image one machine; an
# empty file makes systemd generate one at the first boot.
"${sudo[@]}" truncate -s 0 "$root/etc/machine-id"
in_root sh -c "echo root:$PASSWORD | chpasswd"
in_root apt-get clean
"${sudo[@]}" rm -rf "$root/var/lib/apt/lists/"* "$root/var/log/"*.log "$root/debootstrap"

# The kernel of one flavour (686 or 686-pae) in the guest's /boot, the
# newest if several: its file name; its initramfs is initrd.img-<release>.
kernel_of() {
    local k
    k=$(cd "$root/boot" && ls vmlinuz-*-"$1" 2>/dev/null | sort -V | tail -1)
    [[ -n $k ]] || die "no $1 kernel in the guest's /boot"
    [[ -s $root/boot/initrd.img-${k#vmlinuz-} ]] || die "no initrd.img-${k#vmlinuz-} in the guest's /boot"
    echo "$k"
}
kernel=$(kernel_of 686)
kernel_pae=$(kernel_of 686-pae)

mkdir -p "$OUT"
rm -f "$OUT/rootfs.ext4.new"
say "writing $OUT/rootfs.ext4 ($SIZE, ext4, mke2fs -d)"
"${sudo[@]}" mke2fs -q -F -t ext4 -L debian-root -d "$root" "$OUT/rootfs.ext4.new" "$SIZE" ||
    die "mke2fs -d failed"
"${sudo[@]}" chown "$(id -u):$(id -g)" "$OUT/rootfs.ext4.new"
cp "$root/boot/$kernel" "$OUT/vmlinuz"
cp "$root/boot/initrd.img-${kernel#vmlinuz-}" "$OUT/initrd.img"
cp "$root/boot/$kernel_pae" "$OUT/vmlinuz-pae"
cp "$root/boot/initrd.img-${kernel_pae#vmlinuz-}" "$OUT/initrd-pae.img"
{
    echo "Debian $SUITE i386, debootstrap --variant=minbase --include=$INCLUDE"
    echo "kernels ${kernel#vmlinuz-} ${kernel_pae#vmlinuz-}"
    echo "mirror $mirror"
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $((SECONDS - t0)) s"
    in_root dpkg-query -W -f='${Package} ${Version}\n'
} > "$OUT/VERSION"
mv "$OUT/rootfs.ext4.new" "$OUT/rootfs.ext4"
say "$OUT is ready ($(du -h --apparent-size "$OUT/rootfs.ext4" | cut -f1) image, $(du -h "$OUT/rootfs.ext4" | cut -f1) used, $((SECONDS - t0)) s)"
