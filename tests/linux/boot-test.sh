#!/usr/bin/env bash
# boot-test.sh - boot Debian's i386 Linux under vmm with a busybox
# initramfs whose init runs the programs of issue 6 (tests/linux/
# vmmtest.sh), and check every one of them against the host.
#
#   boot-test.sh --vmm VMM --mkinitramfs TOOL --list INITRAMFS.LIST
#                --kernel VMLINUZ --busybox BUSYBOX [--timeout S] [--mem MIB]
#
# The kernel command line is "console=ttyS0 vmmtest=1" and nothing else.
# Exit status: 0 pass, 1 fail, 77 skipped (the guest images are not there:
# tests/guests/fetch-debian-guest.sh fetches them).  On failure the whole
# serial output is printed, then the checks that failed.
set -uo pipefail

timeout_s=${VMM_LINUX_TIMEOUT:-600}
mem=128
vmm= mkinitramfs= list= kernel= busybox=
while (($#)); do
    (($# >= 2)) || { echo "boot-test.sh: $1 needs a value" >&2; exit 2; }
    case $1 in
    --vmm) vmm=$2 ;;
    --mkinitramfs) mkinitramfs=$2 ;;
    --list) list=$2 ;;
    --kernel) kernel=$2 ;;
    --busybox) busybox=$2 ;;
    --timeout) timeout_s=$2 ;;
    --mem) mem=$2 ;;
    *) echo "boot-test.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift 2
done
for v in vmm mkinitramfs list kernel busybox; do
    [[ -n ${!v} ]] || { echo "boot-test.sh: --$v is required" >&2; exit 2; }
done
for f in "$kernel" "$busybox"; do
    if [[ ! -s $f ]]; then
        echo "SKIP: $f is missing: run tests/guests/fetch-debian-guest.sh to fetch the Debian guest"
        exit 77
    fi
done

tmp=$(mktemp -d /tmp/vmm-linux-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$mkinitramfs" "$list" "$tmp/initramfs.cpio" || { echo "FAIL: cannot build the initramfs"; exit 1; }

# Stream the serial output, stamping the host clock when the guest prints
# its own date, so that the two are compared at the same moment.
start=$(date +%s)
timeout -k 10 "$timeout_s" "$vmm" --kernel "$kernel" --initrd "$tmp/initramfs.cpio" \
    --mem "$mem" --append "console=ttyS0 vmmtest=1" </dev/null 2>"$tmp/stderr" |
    {
        prev=
        while IFS= read -r line; do
            line=${line%$'\r'}
            printf '%s\n' "$line"
            [[ $prev == "@@ date" ]] && date +%s >"$tmp/hostdate"
            prev=$line
        done
    } >"$tmp/out"
status=${PIPESTATUS[0]}
elapsed=$(($(date +%s) - start))

failures=()
fail() { failures+=("$*"); }

# section NAME: the lines between "@@ NAME" and the next "@@ " line, less
# the kernel's own console messages ("[    5.857050] tsc: Refined TSC ...")
# that the console prints whenever they happen, between the programs' lines.
section() {
    awk -v name="@@ $1" '$0 == name { on = 1; next } /^@@ / { on = 0 }
                         /^\[ *[0-9]+\.[0-9]+\] / { next } on' "$tmp/out"
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
