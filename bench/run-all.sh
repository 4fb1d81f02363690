#!/bin/bash
# bench/run-all.sh [RUNS] [ring0|syscall|ring3|paging|nano|linux|firmware]... - every
# benchmark, one combined table.
#
#   bench/run-all.sh              # all six, 3 runs of each side
#   bench/run-all.sh 5 syscall    # only the system-call benchmark, 5 runs
#   BUILD_DIR=/path/to/build bench/run-all.sh
#   REBUILD=1 bench/run-all.sh    # rebuild vmm and the benchmarks first
#
# ring0 is bench/run.sh (its own table is printed too); linux is
# bench/linux/run.sh (Debian's Linux: boot, fork+exec, sha256; its own table
# in seconds only, skipped without guest-images/); firmware is
# bench/firmware/run.py (power-on through SeaBIOS to a boot sector and
# through GRUB to Linux's init; its own table in seconds).  syscall, ring3 and
# paging and nano run their host program (if any), the guest under vmm, under
# vmm --accel kvm (where /dev/kvm runs 32-bit guests: `vmm --host-info`
# says; otherwise the column says why it is missing) and under
# qemu-system-i386 TCG RUNS times each and keep the best time per
# measurement.  Times are per operation, in ns: guest TSC ticks are ns under
# vmm (1 GHz virtual TSC) and host TSC ticks under QEMU TCG (converted with
# the host TSC frequency that bench/syscall/host_signal measures).
# A guest that fails under one monitor is reported (status and the tail of
# its output) and the others still run; the script then exits 1.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
runs=3
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
    runs=$1
    shift
fi
groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(ring0 syscall ring3 paging nano linux firmware)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for g in "${groups[@]}"; do
    case $g in
    ring0 | syscall | ring3 | paging | nano | linux | firmware) ;;
    *) echo "usage: $0 [RUNS] [ring0|syscall|ring3|paging|nano|linux|firmware]..." >&2; exit 2 ;;
    esac
done

b=$build/bench
need=("$build/vmm" "$b/ring0/bench_guest.elf" "$b/syscall/syscall_guest.elf"
      "$b/syscall/host_signal" "$b/syscall/host_syscall" "$b/ring3/ring3_guest.elf" "$b/ring3/ring3_native"
      "$b/paging/paging_guest.elf" "$b/nano/nano_guest.elf")
missing=0
for f in "${need[@]}"; do [ -e "$f" ] || missing=1; done
if [ $missing = 1 ] || [ "${REBUILD:-0}" = 1 ]; then
    echo "building in $build ..." >&2
    { cmake -S "$root" -B "$build" &&
      cmake --build "$build" -j2 --target vmm bench_ring0 bench_syscall bench_ring3 bench_paging bench_nano
    } > "$tmp/build.log" 2>&1 || { tail -30 "$tmp/build.log"; exit 1; }
fi

vmm=$build/vmm
qemu=$(command -v qemu-system-i386 || true)
qemu_args=(-accel tcg -display none -serial stdio -monitor none
           -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel)
failed=0

# run GROUP SIDE CMD... : one run; its "bench" lines go to $tmp/GROUP.SIDE.
# A run that does not reach "end" is recorded in $tmp/failures.
run() {
    local group=$1 side=$2 st
    shift 2
    timeout 600 "$@" > "$tmp/one" 2> "$tmp/err"
    st=$?
    if ! grep -q '^end' "$tmp/one"; then
        {
            echo "$group under $side FAILED (exit status $st): $*"
            tail -8 "$tmp/one" | sed 's/^/    out: /'
            tail -12 "$tmp/err" | sed 's/^/    err: /'
        } >> "$tmp/failures"
        failed=1
        return 1
    fi
    # KVM without TSC scaling: the guest counted host TSC ticks (vmm says
    # so at start); into ns here, so that the kvm column is ns like vmm's.
    if [ "$side" = kvm ] && grep -q "TSC counts at the host" "$tmp/err"; then
        awk -v hz="$tsc_hz" '/^bench / { $3 = sprintf("%.0f", $3 * 1e9 / hz) } /^bench / { print }' \
            "$tmp/one" >> "$tmp/$group.$side"
        return 0
    fi
    grep '^bench ' "$tmp/one" >> "$tmp/$group.$side"
}

# guest GROUP ELF [HOSTCMD...] : RUNS rounds of host, vmm, qemu, interleaved
# so that a change in host load hits every side alike.  A side that fails
# once is not run again.  also_host (an array, reset after each call) is a
# second host program run in each round.
also_host=()
guest() {
    local group=$1 elf=$2 i h=0 h2=0 v=1 k=$kvm_ok q=0
    shift 2
    [ $# -gt 0 ] && h=1 && echo "host:  $*" >> "$tmp/commands.$group"
    [ ${#also_host[@]} -gt 0 ] && h2=1 && echo "host:  ${also_host[*]}" >> "$tmp/commands.$group"
    echo "vmm:   $vmm --kernel $elf" >> "$tmp/commands.$group"
    [ $k = 1 ] && echo "kvm:   $vmm --accel kvm --kernel $elf" >> "$tmp/commands.$group"
    [ -n "$qemu" ] && q=1 && echo "qemu:  $qemu ${qemu_args[*]} $elf" >> "$tmp/commands.$group"
    for i in $(seq "$runs"); do
        [ $h = 1 ] && { run "$group" host "$@" || h=0; }
        [ $h2 = 1 ] && { run "$group" host "${also_host[@]}" || h2=0; }
        [ $v = 1 ] && { run "$group" vmm "$vmm" --kernel "$elf" || v=0; }
        [ $k = 1 ] && { run "$group" kvm "$vmm" --accel kvm --kernel "$elf" || k=0; }
        [ $q = 1 ] && { run "$group" qemu "$qemu" "${qemu_args[@]}" "$elf" || q=0; }
    done
    also_host=()
}

tsc_hz=$("$b/syscall/host_signal" --tsc | awk '{ print $2 }')
echo "runs: $runs of each side; best time kept; host TSC $tsc_hz Hz (converts QEMU TCG ticks)"
[ -z "$qemu" ] && echo "qemu-system-i386: skipped (install qemu-system-x86)"
# The kvm column: hardware virtualization only (a nested or software
# /dev/kvm gives no hardware figures: the probe refuses PVM).
kvm_ok=0
if kvm_why=$("$root/bench/kvm-why.sh" "$vmm"); then
    kvm_ok=1
else
    echo "kvm: missing on this host: $kvm_why"
fi

for g in "${groups[@]}"; do
    echo "running $g ..." >&2
    case $g in
    ring0)
        # bench/run.sh prints its own table; its rows join the combined one.
        echo "host/vmm/qemu: BUILD_DIR=$build $root/bench/run.sh $runs" > "$tmp/commands.ring0"
        if BUILD_DIR=$build "$root/bench/run.sh" "$runs" > "$tmp/ring0.out" 2>&1; then
            echo; echo "== bench/run.sh (ring 0) =="; cat "$tmp/ring0.out"
            awk '$1 != "total" && (NF == 4 || NF == 6) && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ {
                     print "bench", $1, $2, 0, 1 > (dir "/ring0.host")
                     print "bench", $1, $3, 0, 1 > (dir "/ring0.vmm")
                     # back to host TSC ticks, as the other guests report under QEMU
                     if (NF >= 6) printf "bench %s %.0f 0 1\n", $1, $5 * hz / 1e9 > (dir "/ring0.qemu")
                 }' dir="$tmp" hz="$tsc_hz" "$tmp/ring0.out"
        else
            { echo "ring0 (bench/run.sh) FAILED:"; tail -15 "$tmp/ring0.out" | sed 's/^/    /'; } >> "$tmp/failures"
            failed=1
        fi
        ;;
    syscall)
        also_host=("$b/syscall/host_syscall")
        guest syscall "$b/syscall/syscall_guest.elf" "$b/syscall/host_signal"
        ;;
    ring3) guest ring3 "$b/ring3/ring3_guest.elf" "$b/ring3/ring3_native" 3 ;;
    paging) guest paging "$b/paging/paging_guest.elf" ;;
    nano) guest nano "$b/nano/nano_guest.elf" ;;
    linux)
        # Seconds per whole program, not ns per operation: its own table.
        echo "host/vmm/qemu: BUILD_DIR=$build $root/bench/linux/run.sh $runs" > "$tmp/commands.linux"
        if BUILD_DIR=$build "$root/bench/linux/run.sh" "$runs" > "$tmp/linux.out" 2>/dev/null; then
            echo; echo "== bench/linux/run.sh (Debian Linux) =="; cat "$tmp/linux.out"
        else
            { echo "linux (bench/linux/run.sh) FAILED:"; tail -15 "$tmp/linux.out" | sed 's/^/    /'; } >> "$tmp/failures"
            failed=1
        fi
        ;;
    firmware)
        echo "vmm/qemu: BUILD_DIR=$build $root/bench/firmware/run.py $runs" > "$tmp/commands.firmware"
        if BUILD_DIR=$build "$root/bench/firmware/run.py" "$runs" > "$tmp/firmware.out" 2>&1; then
            echo; cat "$tmp/firmware.out"
        else
            { echo "firmware (bench/firmware/run.py) FAILED:"; tail -15 "$tmp/firmware.out" | sed 's/^/    /'; } >> "$tmp/failures"
            failed=1
        fi
        ;;
    esac
done

# The combined table.  best[group,side,name] is ns per operation.
echo
echo "== all benchmarks: ns per operation (best of $runs runs) =="
for g in "${groups[@]}"; do
    for side in host vmm kvm qemu; do
        [ -f "$tmp/$g.$side" ] && sed "s/^/$g $side /" "$tmp/$g.$side"
    done
done | awk -v tsc_hz="$tsc_hz" -v hasqemu="${qemu:+1}" '
    {
        g = $1; side = $2; name = $4; ticks = $5; sum = $6; ops = NF >= 7 ? $7 : 1
        scale = (side == "qemu") ? 1e9 / tsc_hz : 1
        t = ticks * scale / ops
        key = g SUBSEP name
        if (!(key in seen)) { seen[key] = 1; order[++n] = key; grp[n] = g; nm[n] = name }
        if (!((side, key) in best) || t < best[side, key]) best[side, key] = t
        # the plain signal floor: a #UD, #GP or #PF signal (not a system call)
        if (side == "host" && name ~ /^host_sig(ill|segv)/ && (!(g in floor) || t < floor[g])) floor[g] = t
        # the same guest must give the same checksum under every monitor
        # (host programs may time one row with different counts)
        if (side != "host" && (key in csum) && csum[key] != sum && sum != 0) bad = bad " " g "/" name "(" side ")"
        if (side != "host" && sum != 0) csum[key] = sum
        # kernels timed as one op each add up to a total (ring0, ring3)
        if (ops == 1) { hastotal[g] = 1; kernel[key] = 1 }
    }
    function cell(side, key) { return ((side, key) in best) ? sprintf("%14.1f", best[side, key]) : sprintf("%14s", "-") }
    function row(g, name, key,    r, tgt) {
        r = "-"; tgt = "-"
        # a guest system call against the host round trip of the same
        # trapped instruction (host_syscall: int80 -> host_sigsys_int80)
        mech = name; sub(/_roundtrip$/, "", mech); hk = g SUBSEP "host_sigsys_" mech
        if (g == "syscall" && ("vmm", key) in best && ("host", hk) in best) {
            r = sprintf("vmm/host %.2f", best["vmm", key] / best["host", hk]); tgt = "<= 2"
        } else if (g == "syscall" && ("vmm", key) in best && (g in floor)) {
            r = sprintf("vmm/signal %.2f", best["vmm", key] / floor[g]); tgt = "<= 2"
        } else if ((g == "ring0" || g == "ring3") && ("host", key) in best && ("vmm", key) in best) {
            r = sprintf("nat/vmm %.3f", best["host", key] / best["vmm", key])
            tgt = (g == "ring0") ? ">= 0.5" : ">= 0.95"
        } else if (g == "paging" && ("vmm", key) in best && ("qemu", key) in best) {
            r = sprintf("qemu/vmm %.2f", best["qemu", key] / best["vmm", key])
        }
        printf "%-8s %-20s %s %s %s %s  %-17s %s\n", g, name, cell("host", key), cell("vmm", key),
               cell("kvm", key), cell("qemu", key), r, tgt
    }
    END {
        printf "%-8s %-20s %14s %14s %14s %14s  %-17s %s\n", "bench", "item", "host ns", "vmm ns",
               "vmm-kvm ns", "qemu-tcg ns", "ratio", "target"
        for (i = 1; i <= n; i++) {
            row(grp[i], nm[i], order[i])
            if (hastotal[grp[i]] && (i == n || grp[i + 1] != grp[i])) {
                g = grp[i]; key = g SUBSEP "total"
                split("host vmm kvm qemu", sides, " ")
                for (k = 1; k <= 4; k++) {
                    tot = 0; all = 1
                    for (j = 1; j <= n; j++)
                        if (grp[j] == g && (order[j] in kernel)) {
                            if ((sides[k], order[j]) in best) tot += best[sides[k], order[j]]
                            else all = 0
                        }
                    if (all) best[sides[k], key] = tot
                }
                row(g, "total", key)
            }
        }
        if ("syscall" in floor) {
            printf "syscall ratio: against the host round trip of the same trapped instruction\n"
            for (i = 1; i <= n; i++)
                if (grp[i] == "syscall" && ("vmm", order[i]) in best)
                    printf "  %s: %.2f x the fastest host signal round trip (%.1f ns)\n", nm[i],
                           best["vmm", order[i]] / floor["syscall"], floor["syscall"]
        }
        if (bad != "") { print "CHECKSUM MISMATCH:" bad; exit 1 }
    }' || failed=1

echo
echo "commands (from $root):"
for g in "${groups[@]}"; do
    [ -f "$tmp/commands.$g" ] && sed "s/^/  $g  /" "$tmp/commands.$g"
done
[ -z "$qemu" ] && echo "  qemu-system-i386: skipped (install qemu-system-x86)"
if [ -f "$tmp/failures" ]; then
    echo
    echo "failures:"
    cat "$tmp/failures"
fi
exit $failed
