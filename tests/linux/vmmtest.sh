#!/bin/sh
# The test programs, run by /init when the command line holds
# vmmtest=1.  Every section starts with a line "@@ <name>" so that
# tests/linux/boot-test.sh can cut the output apart and check each one
# against what the host computes.
echo "@@ uname"
uname -a

echo "@@ cpuinfo"
cat /proc/cpuinfo

echo "@@ mount"
mount

echo "@@ forkexec"
# 500 times fork + exec + wait: busybox sh forks and execve()s a command
# given by path (it runs only builtins and NOFORK applets in-process).
n=0
ok=0
while [ $n -lt 500 ]; do
    /bin/true && ok=$((ok + 1))
    n=$((n + 1))
done
echo "forkexec $ok/$n"

echo "@@ sha256"
# 64 MiB through a pipe: the host computes the same stream's digest.
yes 'vmm sha256 pipe 0123456789abcdef' | dd bs=65536 count=1024 iflag=fullblock 2>/dev/null | sha256sum

echo "@@ sort"
# About 1 MiB of lines in descending numeric order, sorted as strings.
seq 170000 -1 1 > /tmp/sort.in
wc -c < /tmp/sort.in
sort /tmp/sort.in | sha256sum

echo "@@ date"
date +%s

echo "@@ disk"
# The ext2 image boot-test.sh attached with --disk: the modules for the
# legacy IDE ports, SCSI disks and ext2 (/sbin/load-modules), then the
# host's file read back, two files written, a clean unmount.  The host
# checks the digest here and the files in the image after poweroff.
disk_test() {
    /sbin/load-modules || return 1
    # The ext2 disk is sda, or the drive vmmtest_disk= names; "label": the
    # one whose file system is labelled vmmtest (booted through GRUB from a
    # disk, the boot image is a disk too, and sd_mod names the two in
    # whichever order its asynchronous probes finish).
    disk=sda
    for arg in $(cat /proc/cmdline); do
        case $arg in vmmtest_disk=*) disk=${arg#vmmtest_disk=} ;; esac
    done
    # libata and the SCSI scan may finish after insmod returns.
    n=0
    if [ "$disk" = label ]; then
        while ! dev=$(findfs LABEL=vmmtest 2>/dev/null) && [ $n -lt 100 ]; do
            sleep 0.1
            n=$((n + 1))
        done
        disk=${dev#/dev/}
        [ -n "$disk" ] || disk="(no file system labelled vmmtest)"
    fi
    while [ ! -b /dev/$disk ] && [ $n -lt 100 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    if [ ! -b /dev/$disk ]; then
        echo "no /dev/$disk after 10 s; the kernel said:"
        dmesg | grep -iE 'ata|scsi|sd[a-z ]'
        return 1
    fi
    echo "sda $(cat /sys/block/$disk/size) sectors"
    mount -t ext2 /dev/$disk /mnt || return 1
    echo "mounted"
    echo "host $(sha256sum < /mnt/host/data.txt)"
    # About 460 KiB whose every line differs, so that a sector written to
    # the wrong place shows.
    seq 1 80000 > /mnt/guest/seq.txt || return 1
    echo "written by the vmm guest, Linux $(uname -r)" > /mnt/guest/hello.txt || return 1
    sync
    umount /mnt || return 1
    echo "unmounted"
}
disk_test || echo "disk test failed"

echo "@@ cdrom"
# The CD-ROM the command line names with vmmtest_cdrom= (booted from it
# with vmm --cdrom): its size and the digest of all of it, read through
# sr_mod and the ATAPI packet interface, and what libata and the SCSI
# layer said about the drive (errors, if any), for the host to check.
cdrom_test() {
    cd=
    for arg in $(cat /proc/cmdline); do
        case $arg in vmmtest_cdrom=*) cd=${arg#vmmtest_cdrom=} ;; esac
    done
    if [ -z "$cd" ]; then
        echo "none"
        return 0
    fi
    n=0
    while [ ! -b /dev/$cd ] && [ $n -lt 100 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    echo "size $(cat /sys/block/$cd/size 2>/dev/null)"
    echo "image $(dd if=/dev/$cd bs=65536 2>/dev/null | sha256sum)"
    dmesg | sed 's/^\[[^]]*\] //' | grep -E '^(ata[0-9]|scsi [0-9]|sr [0-9])'
}
cdrom_test || echo "cdrom test failed"

echo "@@ end"
