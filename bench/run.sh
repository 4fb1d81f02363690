#!/bin/bash
# bench/run.sh [RUNS] - the ring-0 compute benchmark: native vs vmm (vs QEMU TCG).
#
# Builds what is missing (in $BUILD_DIR, default <repo>/build), runs the
# native program and the guest under vmm RUNS times each (default 5), keeps
# the best time per kernel, and prints a table in nanoseconds with the ratio
# native/vmm (the target is >= 0.5).  If qemu-system-i386 is installed,
# the same guest also runs under QEMU TCG.  Checksums must agree everywhere.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
runs=${1:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$build/vmm" ] || [ ! -f "$build/bench/ring0/bench_guest.elf" ] ||
   [ "${REBUILD:-0}" = 1 ]; then
    echo "building in $build ..." >&2
    cmake -S "$root" -B "$build" > "$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; exit 1; }
    cmake --build "$build" --target vmm bench_ring0 -j2 > "$tmp/build.log" 2>&1 ||
        { tail -30 "$tmp/build.log"; exit 1; }
fi
native=$build/bench/ring0/bench_native
guest=$build/bench/ring0/bench_guest.elf
vmm=$build/vmm

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# run LABEL OUTFILE CMD... : append the "bench" lines of one run, note wall time
run() {
    local label=$1 out=$2 t0 t1 st
    shift 2
    t0=$(now)
    set +e
    "$@" > "$tmp/one" 2> "$tmp/err"
    st=$?
    set -e
    t1=$(now)
    if ! grep -q '^end' "$tmp/one"; then
        echo "$label: run failed (status $st)" >&2
        tail -20 "$tmp/err" >&2
        exit 1
    fi
    grep '^bench ' "$tmp/one" >> "$out"
    grep '^tsc_hz ' "$tmp/one" >> "$tmp/tsc" || true
    echo "$(elapsed "$t0" "$t1")" >> "$out.wall"
}

echo "runs: $runs each; times are the best of (3 in-process reps x $runs runs)"
for i in $(seq "$runs"); do
    run native "$tmp/native" "$native" 3
    run vmm "$tmp/vmm" "$vmm" --kernel "$guest"
done

qemu=$(command -v qemu-system-i386 || true)
if [ -n "$qemu" ]; then
    for i in $(seq "$runs"); do
        run qemu "$tmp/qemu" "$qemu" -accel tcg -display none -serial stdio -monitor none \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$guest"
    done
fi

tsc_hz=$(sort -n "$tmp/tsc" | awk '{ v[NR] = $2 } END { print v[int((NR + 1) / 2)] }')

# best[label,kernel] in ns; vmm ticks are ns (1 GHz TSC); QEMU TCG ticks are host TSC ticks.
awk -v tsc_hz="$tsc_hz" -v hasqemu="${qemu:+1}" '
    FILENAME ~ /native$/ { lab = "native"; scale = 1 }
    FILENAME ~ /vmm$/    { lab = "vmm"; scale = 1 }
    FILENAME ~ /qemu$/   { lab = "qemu"; scale = 1e9 / tsc_hz }
    {
        k = $2; t = $3 * scale
        if (!(k in seen)) { seen[k] = 1; order[++n] = k }
        if (!((lab, k) in best) || t < best[lab, k]) best[lab, k] = t
        if ((k in sum) && sum[k] != $4) bad = bad " " k "(" lab ")"
        sum[k] = $4
    }
    END {
        printf "%-16s %14s %14s %10s", "kernel", "native ns", "vmm ns", "nat/vmm"
        if (hasqemu) printf " %14s %10s", "qemu-tcg ns", "nat/qemu"
        printf "\n"
        for (i = 1; i <= n; i++) {
            k = order[i]
            printf "%-16s %14.0f %14.0f %10.3f", k, best["native", k], best["vmm", k],
                   best["native", k] / best["vmm", k]
            if (hasqemu) printf " %14.0f %10.3f", best["qemu", k], best["native", k] / best["qemu", k]
            printf "\n"
            tn += best["native", k]; tv += best["vmm", k]; tq += best["qemu", k]
        }
        printf "%-16s %14.0f %14.0f %10.3f", "total", tn, tv, tn / tv
        if (hasqemu) printf " %14.0f %10.3f", tq, tn / tq
        printf "\n"
        if (bad != "") { print "CHECKSUM MISMATCH:" bad; exit 1 }
    }' "$tmp/native" "$tmp/vmm" ${qemu:+"$tmp/qemu"}

wall() { sort -n "$1.wall" | head -1; }
echo "wall clock per whole run (best): native $(wall "$tmp/native") s (3 reps), vmm $(wall "$tmp/vmm") s (3 reps, incl. translation)${qemu:+, qemu $(wall "$tmp/qemu") s}"
echo "host TSC: $tsc_hz Hz (used only to convert QEMU TCG ticks)"
if [ -z "$qemu" ]; then
    echo "qemu-system-i386: not installed, skipped (Debian package: qemu-system-x86; apt-get install qemu-system-x86)"
fi
