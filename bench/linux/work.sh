#!/bin/sh
# work.sh BIN [forkexec] [sha256] - the programs bench/linux/run.sh times
# (both when none is named), the same file in the guest (BIN=/bin, under
# vmm and QEMU) and on the host (BIN = a directory of links to the same
# i386 busybox).  Every program is framed by the lines
#   @@ NAME start UPTIME  /  @@ NAME end UPTIME RESULT
# UPTIME is /proc/uptime (10 ms steps) read with the shell's own `read`
# (no process); run.sh also stamps each line with the host clock on arrival.
BIN=${1:-/bin}
shift
[ $# -gt 0 ] || set -- forkexec sha256

# 500 x fork + execve + wait of BIN/true (given by path, busybox sh execs it).
forkexec() {
    read u _ </proc/uptime; echo "@@ forkexec start $u"
    n=0
    while [ $n -lt 500 ]; do
        "$BIN/true"
        n=$((n + 1))
    done
    read u _ </proc/uptime; echo "@@ forkexec end $u $n"
}

# 64 MiB through a pipe into sha256sum (the stream of tests/linux/vmmtest.sh).
sha256() {
    read u _ </proc/uptime; echo "@@ sha256 start $u"
    d=$(yes 'vmm sha256 pipe 0123456789abcdef' | dd bs=65536 count=1024 iflag=fullblock 2>/dev/null | sha256sum)
    read u _ </proc/uptime; echo "@@ sha256 end $u ${d%% *}"
}

for phase; do
    case $phase in
    forkexec | sha256) $phase ;;
    *) echo "work.sh: unknown program '$phase'" >&2; exit 2 ;;
    esac
done
