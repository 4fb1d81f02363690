#!/usr/bin/env bash
# boot-test.sh - boot Debian's i386 Linux under vmm with a busybox
# initramfs whose init runs the test programs (tests/linux/
# vmmtest.sh), and check every one of them against the host.
#
#   boot-test.sh --vmm VMM --mkinitramfs TOOL --list INITRAMFS.LIST [--list ...]
#                --kernel VMLINUZ --busybox BUSYBOX [--timeout S] [--mem MIB]
#                [--vmm-arg ARG]... [--append-extra ARGS] [--grub BIOS]
#                [--grub-cdrom BIOS] [--isolinux-cdrom BIOS]
#
# --grub BIOS boots as a PC does instead of loading the kernel directly:
# a GRUB image made here (grub-mkrescue: a hybrid ISO 9660 image that is
# also a hard disk with an MBR) holds the kernel, the initramfs and a
# grub.cfg with the same command line; vmm starts the firmware BIOS (vmm
# --bios) with that image as the first disk and the ext2 image as the
# second, which the guest finds by its label (vmmtest_disk=label: sd_mod
# names the two disks in whichever order its probes end).
# --grub-cdrom BIOS boots the same image as a CD instead (vmm --cdrom: El
# Torito, no emulation), with the ext2 image as the only disk (sda); the
# guest also reads the whole CD back through sr_mod (vmmtest_cdrom=sr0),
# which must give the image's own size and digest, and libata must have
# found the ATAPI drive without an error.
# --isolinux-cdrom BIOS does the same with an ISOLINUX CD (Debian's
# isolinux and syslinux-common: isolinux.bin and ldlinux.c32, xorriso's
# El Torito image with a boot-info table, isohdpfx.bin's MBR making it
# hybrid) whose isolinux.cfg talks on the serial line and boots the kernel
# and initramfs with the same command line.
# The kernel command line is "console=ttyS0 vmmtest=1", followed by
# --append-extra when given (tests/linux/panic-test.sh makes the kernel
# panic with it).
# A guest kernel panic ("Kernel panic - not syncing") ends the run at once:
# Linux's panic loop spins with interrupts enabled, so vmm cannot tell it
# from work and would run until the timeout.  The watcher below reads the
# panic text up to its "---[ end Kernel panic" line (or 3 s of silence, or
# 300 lines), then stops vmm (SIGTERM to timeout, which passes it on), and
# the test fails showing that text.
# The guest also gets an ext2 image made here (mke2fs -d) with --disk: it
# reads the host's file on it and writes two of its own, which are checked
# in the image after poweroff (debugfs), as is the file system (e2fsck -fn).
# Exit status: 0 pass, 1 fail, 77 skipped (the guest images, the kernel
# modules or e2fsprogs are not there: tests/guests/fetch-debian-guest.sh
# fetches the guest, ./setup.sh installs e2fsprogs).  On failure the whole
# serial output is printed, then the checks that failed.
set -uo pipefail

timeout_s=${VMM_LINUX_TIMEOUT:-600}
mem=128
vmm= mkinitramfs= kernel= busybox= append_extra= bios= loader= media=
lists=() vmm_args=()
while (($#)); do
    (($# >= 2)) || { echo "boot-test.sh: $1 needs a value" >&2; exit 2; }
    case $1 in
    --vmm) vmm=$2 ;;
    --mkinitramfs) mkinitramfs=$2 ;;
    --list) lists+=("$2") ;;
    --kernel) kernel=$2 ;;
    --busybox) busybox=$2 ;;
    --timeout) timeout_s=$2 ;;
    --mem) mem=$2 ;;
    --vmm-arg) vmm_args+=("$2") ;;
    --append-extra) append_extra=" $2" ;;
    --grub) bios=$2 loader=grub media=disk ;;
    --grub-cdrom) bios=$2 loader=grub media=cdrom ;;
    --isolinux-cdrom) bios=$2 loader=isolinux media=cdrom ;;
    *) echo "boot-test.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift 2
done
for v in vmm mkinitramfs kernel busybox; do
    [[ -n ${!v} ]] || { echo "boot-test.sh: --$v is required" >&2; exit 2; }
done
((${#lists[@]})) || { echo "boot-test.sh: --list is required" >&2; exit 2; }
for f in "$kernel" "$busybox"; do
    if [[ ! -s $f ]]; then
        echo "SKIP: $f is missing: run tests/guests/fetch-debian-guest.sh to fetch the Debian guest"
        exit 77
    fi
done
if ! grep -qs '/vmm\.load ' "${lists[@]}"; then
    echo "SKIP: the initramfs carries no kernel modules for the disk (${lists[*]}):"
    echo "SKIP: the kernel package is missing: run tests/guests/fetch-debian-guest.sh, then build"
    exit 77
fi
PATH=$PATH:/sbin:/usr/sbin
ISOLINUX=/usr/lib/ISOLINUX SYSLINUX_BIOS=/usr/lib/syslinux/modules/bios
if [[ -n $bios ]]; then
    [[ -s $bios ]] || { echo "SKIP: the firmware $bios is missing (Debian package seabios; ./setup.sh installs it)"; exit 77; }
fi
if [[ $loader == isolinux ]]; then
    for f in $ISOLINUX/isolinux.bin $ISOLINUX/isohdpfx.bin $SYSLINUX_BIOS/ldlinux.c32; do
        [[ -s $f ]] || { echo "SKIP: $f is missing: install isolinux and syslinux-common (./setup.sh does)"; exit 77; }
    done
    command -v xorriso >/dev/null || { echo "SKIP: xorriso is missing (./setup.sh installs it)"; exit 77; }
fi
if [[ $loader == grub ]]; then
    for t in grub-mkrescue xorriso mformat; do
        command -v $t >/dev/null ||
            { echo "SKIP: $t is missing: install grub-pc-bin, xorriso and mtools (./setup.sh does)"; exit 77; }
    done
    [[ -d /usr/lib/grub/i386-pc ]] ||
        { echo "SKIP: /usr/lib/grub/i386-pc is missing: install grub-pc-bin (./setup.sh does)"; exit 77; }
fi
for t in mke2fs debugfs dumpe2fs e2fsck; do
    if ! command -v $t >/dev/null; then
        echo "SKIP: $t is missing: install e2fsprogs (./setup.sh does)"
        exit 77
    fi
done

tmp=$(mktemp -d /tmp/vmm-linux-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$mkinitramfs" "${lists[@]}" "$tmp/initramfs.cpio" || { echo "FAIL: cannot build the initramfs"; exit 1; }

# The disk: an 8 MiB ext2 file system holding host/data.txt (300 KiB whose
# every 512-byte sector differs) and an empty guest/ for the guest's files.
# What the guest is to write there, for the checks after poweroff.
host_data() { seq 300000 -3 1 | head -c $((300 << 10)); }
guest_seq() { seq 1 80000; }
guest_hello() { echo "written by the vmm guest, Linux $release"; }
mkdir -p "$tmp/root/host" "$tmp/root/guest"
host_data >"$tmp/root/host/data.txt"
if ! mke2fs -q -F -t ext2 -L vmmtest -d "$tmp/root" "$tmp/disk.img" 8M >"$tmp/mke2fs.out" 2>&1; then
    echo "FAIL: mke2fs -t ext2 -d could not make the disk image:"
    cat "$tmp/mke2fs.out"
    exit 1
fi

# Stream the serial output, stamping the host clock when the guest prints
# its own date, so that the two are compared at the same moment, and
# watching for a kernel panic.  The subshell writes its PID (that of
# timeout, after exec) for the watcher to stop the run with.
PANIC='Kernel panic - not syncing'
start=$(date +%s)
cmdline="console=ttyS0 vmmtest=1$append_extra"
boot=(--kernel "$kernel" --initrd "$tmp/initramfs.cpio" --disk "$tmp/disk.img" --append "$cmdline")
# The boot image, $tmp/boot.img: GRUB's hybrid rescue image, or an
# ISOLINUX CD.  On a CD the guest reads the CD back (vmmtest_cdrom); on a
# disk the ext2 image is the second drive, found by its label.
boot_args="vmmtest_disk=label"
[[ $media == cdrom ]] && boot_args="vmmtest_cdrom=sr0"
if [[ $loader == isolinux ]]; then
    mkdir -p "$tmp/iso/isolinux" "$tmp/iso/boot"
    cp "$ISOLINUX/isolinux.bin" "$SYSLINUX_BIOS/ldlinux.c32" "$tmp/iso/isolinux/"
    cp "$kernel" "$tmp/iso/boot/vmlinuz"
    cp "$tmp/initramfs.cpio" "$tmp/iso/boot/initrd"
    printf '%s\n' "SERIAL 0 115200" "CONSOLE 0" "PROMPT 0" "TIMEOUT 0" "DEFAULT vmm" "LABEL vmm" \
        "  KERNEL /boot/vmlinuz" "  INITRD /boot/initrd" "  APPEND $cmdline $boot_args" \
        >"$tmp/iso/isolinux/isolinux.cfg"
    if ! xorriso -as mkisofs -o "$tmp/boot.img" -isohybrid-mbr "$ISOLINUX/isohdpfx.bin" \
            -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 \
            -boot-info-table "$tmp/iso" >"$tmp/xorriso.out" 2>&1; then
        echo "FAIL: xorriso could not make the ISOLINUX CD:"
        cat "$tmp/xorriso.out"
        exit 1
    fi
fi
if [[ $loader == grub ]]; then
    # GRUB on the serial line, no menu wait, the same kernel and command
    # line.
    mkdir -p "$tmp/iso/boot/grub"
    cp "$kernel" "$tmp/iso/boot/vmlinuz"
    cp "$tmp/initramfs.cpio" "$tmp/iso/boot/initrd"
    printf '%s\n' "serial --unit=0 --speed=115200" "terminal_input serial" \
        "terminal_output serial" "set timeout=0" "menuentry \"Debian (vmm test)\" {" \
        "  linux /boot/vmlinuz $cmdline $boot_args" "  initrd /boot/initrd" "}" \
        >"$tmp/iso/boot/grub/grub.cfg"
    if ! grub-mkrescue -o "$tmp/boot.img" "$tmp/iso" >"$tmp/grub.out" 2>&1; then
        echo "FAIL: grub-mkrescue could not make the boot image:"
        cat "$tmp/grub.out"
        exit 1
    fi
fi
[[ $media == disk ]] && boot=(--bios "$bios" --disk "$tmp/boot.img,ro" --disk "$tmp/disk.img")
[[ $media == cdrom ]] && boot=(--bios "$bios" --cdrom "$tmp/boot.img" --disk "$tmp/disk.img")
(
    echo "$BASHPID" >"$tmp/timeout.pid"
    exec timeout -k 10 "$timeout_s" "$vmm" "${boot[@]}" --mem "$mem" \
        ${vmm_args[@]+"${vmm_args[@]}"}
) </dev/null 2>"$tmp/stderr" |
    {
        prev= panic= after=0
        while :; do
            if [[ -n $panic ]]; then
                IFS= read -r -t 3 line || break
            else
                IFS= read -r line || break
            fi
            line=${line%$'\r'}
            printf '%s\n' "$line"
            [[ $prev == "@@ date" ]] && date +%s >"$tmp/hostdate"
            prev=$line
            [[ $line == *"$PANIC"* ]] && panic=1
            [[ -n $panic && $line == *"---[ end $PANIC"* ]] && break
            # A guest that keeps printing after its panic: 300 lines are enough.
            [[ -n $panic ]] && ((++after > 300)) && break
        done
        [[ -n $panic ]] && kill -TERM "$(cat "$tmp/timeout.pid")" 2>/dev/null
    } >"$tmp/out"
status=${PIPESTATUS[0]}
elapsed=$(($(date +%s) - start))

# A panic: its text (from the panic line on) is the report; the program
# checks would only repeat that the guest did not get there.
if grep -q "$PANIC" "$tmp/out"; then
    echo "---- serial output ----"
    cat "$tmp/out"
    echo "---- vmm stderr ----"
    cat "$tmp/stderr"
    echo "---- kernel panic ----"
    sed -n "/$PANIC/,\$p" "$tmp/out"
    echo "----"
    echo "FAIL: the guest kernel panicked after ${elapsed}s (run stopped at once, vmm status $status):" \
         "$(grep -m1 -o "$PANIC.*" "$tmp/out")"
    exit 1
fi

failures=()
fail() { failures+=("$*"); }

# section NAME: the lines between "@@ NAME" and the next "@@ " line, less
# the kernel's own console messages ("[    5.857050] tsc: Refined TSC ...")
# that the console prints whenever they happen: between the programs'
# lines, or right after the text of one (then the marker line reads
# "@@ uname[    1.914238] tsc: ...", and the message ends with an empty
# line of its own); so a message is cut from any line, and empty lines go.
section() {
    awk -v name="@@ $1" '{ sub(/\[ *[0-9]+\.[0-9]+\] .*$/, "") }
                         $0 == name { on = 1; next } /^@@ / { on = 0 }
                         /^$/ { next } on' "$tmp/out"
}

# The release the kernel file says it is (kernel_version at 0x20E points to
# a NUL-terminated string at that offset + 0x200).
kver_off=$(od -An -tu2 -j $((0x20E)) -N2 "$kernel" | tr -d ' ')
release=$(dd if="$kernel" bs=1 skip=$((kver_off + 0x200)) count=128 2>/dev/null |
          tr '\0' '\n' | head -n 1 | cut -d' ' -f1)

check_uname() {
    local u
    u=$(section uname)
    [[ $u =~ ^Linux\ [^\ ]+\ ${release//./\\.}\ .*\ i[3-6]86 ]] ||
        fail "uname -a: '$u' does not name Linux $release on i686"
}

check_cpuinfo() {
    local c nproc flags
    c=$(section cpuinfo)
    nproc=$(grep -c '^processor' <<<"$c")
    ((nproc == 1)) || fail "/proc/cpuinfo: $nproc processors, expected 1"
    grep -q '^vendor_id' <<<"$c" || fail "/proc/cpuinfo: no vendor_id line"
    flags=$(grep -m1 '^flags' <<<"$c")
    [[ -n $flags ]] || fail "/proc/cpuinfo: no flags line"
    for f in hypervisor vmx svm; do
        [[ " ${flags#*:} " == *" $f "* ]] && fail "/proc/cpuinfo: the guest sees '$f'"
    done
}

check_mount() {
    local m
    m=$(section mount)
    for want in "proc on /proc type proc" "sysfs on /sys type sysfs" \
                "devtmpfs on /dev type devtmpfs"; do
        grep -qF "$want" <<<"$m" || fail "mount: no '$want'"
    done
}

check_forkexec() {
    [[ $(section forkexec) == "forkexec 500/500" ]] ||
        fail "fork+exec loop: '$(section forkexec)', expected 'forkexec 500/500'"
}

check_sha256() {
    local want got
    want=$(yes 'vmm sha256 pipe 0123456789abcdef' | head -c $((64 << 20)) | sha256sum | cut -d' ' -f1)
    got=$(section sha256 | cut -d' ' -f1)
    [[ $got == "$want" ]] || fail "dd | sha256sum: guest '$got', host '$want'"
}

check_sort() {
    local want_size want got
    want_size=$(seq 170000 -1 1 | wc -c)
    want=$(seq 170000 -1 1 | LC_ALL=C sort | sha256sum | cut -d' ' -f1)
    mapfile -t got < <(section sort)
    [[ ${got[0]:-} == "$want_size" ]] || fail "sort: input of '${got[0]:-}' bytes, expected $want_size"
    [[ ${got[1]:-} == "$want  -" ]] || fail "sort: digest '${got[1]:-}', host '$want  -'"
}

check_date() {
    local guest host
    guest=$(section date)
    host=$(cat "$tmp/hostdate" 2>/dev/null)
    if [[ ! $guest =~ ^[0-9]+$ || -z $host ]]; then
        fail "date: no guest time ('$guest')"
    elif ((guest - host > 2 || host - guest > 2)); then
        fail "date: guest $guest, host $host: more than 2 s apart"
    fi
}

# The guest's section, then the image itself: the guest's files must hold
# exactly the expected bytes, and the file system must be clean (the guest
# unmounted it before poweroff).
check_disk() {
    local d want f size state
    d=$(section disk)
    grep -qx mounted <<<"$d" || fail "disk: the guest did not mount the ext2 image ($(tail -n 1 <<<"$d"))"
    want=$(host_data | sha256sum | cut -d' ' -f1)
    grep -qx "host $want  -" <<<"$d" ||
        fail "disk: host/data.txt read in the guest: '$(grep '^host ' <<<"$d")', host 'host $want  -'"
    grep -qx unmounted <<<"$d" || fail "disk: the guest did not unmount the image"
    for f in seq hello; do
        local path=/guest/$f.txt
        if [[ $f == seq ]]; then guest_seq >"$tmp/want"; else guest_hello >"$tmp/want"; fi
        if ! debugfs -R "dump $path $tmp/got" "$tmp/disk.img" >"$tmp/debugfs.out" 2>&1 ||
           [[ ! -f $tmp/got ]]; then
            fail "disk: debugfs cannot read $path from the image: $(tr '\n' ' ' <"$tmp/debugfs.out")"
            continue
        fi
        if ! cmp "$tmp/want" "$tmp/got" >"$tmp/cmp.out" 2>&1; then
            size=$(stat -c %s "$tmp/got")
            fail "disk: $path in the image ($size bytes) is not what the guest was to write" \
                 "($(stat -c %s "$tmp/want") bytes): first difference at $(sed 's/.* differ: //' "$tmp/cmp.out")"
        fi
        rm -f "$tmp/got"
    done
    state=$(dumpe2fs -h "$tmp/disk.img" 2>/dev/null | sed -n 's/^Filesystem state: *//p')
    [[ $state == clean ]] || fail "disk: the file system's state is '$state', not 'clean' (not unmounted?)"
    if ! e2fsck -fn "$tmp/disk.img" >"$tmp/e2fsck.out" 2>&1; then
        fail "disk: e2fsck -fn does not find the file system clean: $(cat "$tmp/e2fsck.out")"
    fi
}

# The CD read back in the guest (--grub-cdrom, --isolinux-cdrom): all of the image, and the
# drive found by libata and the SCSI layer with no error on the way.
check_cdrom() {
    local c want size
    c=$(section cdrom)
    size=$(stat -c %s "$tmp/boot.img")
    grep -qx "size $((size / 512))" <<<"$c" ||
        fail "cdrom: /sys/block/sr0/size '$(grep '^size' <<<"$c")', expected $((size / 512)) sectors of 512 bytes"
    want=$(sha256sum <"$tmp/boot.img" | cut -d' ' -f1)
    grep -qx "image $want  -" <<<"$c" ||
        fail "cdrom: /dev/sr0 read in the guest: '$(grep '^image' <<<"$c")', host 'image $want  -'"
    grep -q 'ATAPI: VMM ATAPI CD-ROM' <<<"$c" || fail "cdrom: libata did not report the ATAPI drive"
    grep -qE 'scsi [0-9:]+: CD-ROM +VMM +VMM ATAPI CD-ROM' <<<"$c" ||
        fail "cdrom: the SCSI scan did not find the CD-ROM (INQUIRY)"
    if grep -iE 'exception|failed|error|timeout|reset' <<<"$c" | grep -v 'ATAPI:' >"$tmp/cderr"; then
        fail "cdrom: libata or the SCSI layer reported trouble: $(tr '\n' '|' <"$tmp/cderr")"
    fi
}

if ((status != 0)); then
    fail "vmm exit status $status, expected 0 (a clean poweroff)$( ((status == 124)) && echo ": timed out after ${timeout_s}s")"
fi
grep -qx '@@ end' "$tmp/out" || fail "the test script did not reach its end"
grep -qx '@@ exit 0' "$tmp/out" || fail "the test script did not exit 0"
check_uname
check_cpuinfo
check_mount
check_forkexec
check_sha256
check_sort
check_date
check_disk
[[ $media == cdrom ]] && check_cdrom

if ((${#failures[@]})); then
    echo "---- serial output ----"
    cat "$tmp/out"
    echo "---- vmm stderr ----"
    cat "$tmp/stderr"
    echo "----"
    printf 'FAIL: %s\n' "${failures[@]}"
    exit 1
fi
echo "PASS: Linux $release booted, ran the issue-6 programs and powered off in ${elapsed}s"
