#!/bin/bash
# bench/sandbox-cost.sh [RUNS] - what the sandbox costs: the guest
# benchmarks of bench/run-all.sh (system calls, ring-3 compute, paging,
# ring-0 kernels) under vmm as it runs by default (the x86-64 system-call
# filter and Landlock) and under `vmm --no-sandbox`, RUNS (default 5)
# rounds, interleaved, best of each; per item the two in ns per operation
# and their ratio.  The guard regions cannot be turned off: they are
# address-space reservations made once, with no per-operation cost.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
runs=${1:-5}
b=$build/bench
elfs=("$b/syscall/syscall_guest.elf" "$b/ring3/ring3_guest.elf" "$b/paging/paging_guest.elf"
      "$b/ring0/bench_guest.elf")
for f in "$build/vmm" "${elfs[@]}"; do
    [[ -e $f ]] || { echo "sandbox-cost.sh: $f is missing (cmake --build $build)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in $(seq "$runs"); do
    for elf in "${elfs[@]}"; do
        g=$(basename "$elf" .elf)
        for side in sandbox nosandbox; do
            extra=()
            [[ $side == nosandbox ]] && extra=(--no-sandbox)
            timeout 600 "$build/vmm" "${extra[@]}" --kernel "$elf" > "$tmp/one" 2>/dev/null
            grep -q '^end' "$tmp/one" || { echo "sandbox-cost.sh: $g ($side) did not finish" >&2; exit 1; }
            grep '^bench ' "$tmp/one" | sed "s/^/$g $side /" >> "$tmp/all"
        done
    done
done
awk -v runs="$runs" '
    { g = $1; side = $2; name = $4; ops = NF >= 7 ? $7 : 1; t = $5 / ops; key = g " " name
      if (!(key in seen)) { seen[key] = 1; order[++n] = key }
      if (!((side, key) in best) || t < best[side, key]) best[side, key] = t }
    END {
        printf "best of %d runs, ns per operation (guest TSC)\n%-38s %14s %14s %9s\n", runs, "guest item",
               "sandbox", "--no-sandbox", "ratio"
        for (i = 1; i <= n; i++) {
            k = order[i]
            printf "%-38s %14.1f %14.1f %9.3f\n", k, best["sandbox", k], best["nosandbox", k],
                   best["sandbox", k] / best["nosandbox", k]
        }
    }' "$tmp/all"
