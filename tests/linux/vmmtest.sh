#!/bin/sh
# The programs of issue 6, run by /init when the command line holds
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

echo "@@ end"
