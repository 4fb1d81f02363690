#!/usr/bin/env bash
# bench/paging/compare-pae.sh [RUNS] - the paging benchmark on 2-level
# tables (paging_guest.elf) against the same work on PAE tables
# (paging_pae_guest.elf), both under vmm, RUNS (default 10) runs of each,
# interleaved so that a change in the host's load hits both alike.  Prints
# per item the best ns per operation of each and PAE's difference in
# percent.  BUILD_DIR (default build) holds vmm and bench/paging/.
set -euo pipefail
runs=${1:-10}
b=${BUILD_DIR:-build}
vmm=$b/vmm
for f in "$vmm" "$b/bench/paging/paging_guest.elf" "$b/bench/paging/paging_pae_guest.elf"; do
    [[ -x $f || -f $f ]] || { echo "compare-pae.sh: $f is missing (cmake --build $b --target vmm bench_paging)" >&2; exit 1; }
done
out=$(mktemp)
one=$(mktemp)
trap 'rm -f "$out" "$one"' EXIT
for _ in $(seq "$runs"); do
    for g in paging_guest paging_pae_guest; do
        # The guest ends through the debug-exit port: vmm's status is not 0.
        "$vmm" --kernel "$b/bench/paging/$g.elf" >"$one" 2>&1 || true
        grep -q '^end' "$one" || { echo "compare-pae.sh: $g did not finish:" >&2; tail -5 "$one" >&2; exit 1; }
        awk -v g="$g" '$1 == "bench" { print g, $2, $3, $5 }' "$one" >>"$out"
    done
done
# Lines: guest item ticks ops (ticks are ns: vmm's TSC runs at 1 GHz).
awk -v runs="$runs" '
    { t = $3 / $4; k = $2; g = $1 == "paging_guest" ? 0 : 1
      if (!((g, k) in best) || t < best[g, k]) best[g, k] = t; if (!(k in seen)) { seen[k] = 1; order[n++] = k } }
    END {
        printf "best of %d runs, ns per operation\n%-20s %12s %12s %8s\n", runs, "item", "2-level", "PAE", "PAE"
        for (i = 0; i < n; i++) { k = order[i]
            printf "%-20s %12.1f %12.1f %+7.1f%%\n", k, best[0, k], best[1, k], (best[1, k] / best[0, k] - 1) * 100 }
    }' "$out"
