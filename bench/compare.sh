#!/usr/bin/env bash
# bench/compare.sh [--runs N] [--out DIR] - binary translation against
# hardware virtualization, QEMU TCG and native, in one interleaved run, as
# a report directory.
#
#   bench/compare.sh                     # 3 runs of each side, into bench-report-DATE/
#   bench/compare.sh --runs 5 --out /tmp/report
#   BUILD_DIR=/path/to/build bench/compare.sh
#   bench/compare.sh --out DIR --report-only   # the report again from DIR/run-all.txt
#
# Columns: native (the host programs), vmm (--accel bt, the default), vmm-kvm
# (--accel kvm: only where /dev/kvm runs 32-bit guests on VT-x/AMD-V; the
# probe refuses PVM, and the report says why the column is missing) and
# QEMU TCG.  Rows: the nanobenchmarks of Adams & Agesen (ASPLOS 2006) --
# system call by int 0x80 and by SYSENTER (bench/syscall), IN and OUT,
# divide by zero, CALL/RET (bench/nano), hidden and true page faults, PTE
# writes, CR3 switches, a fork-like copy (bench/paging) -- and the Linux
# workloads (bench/linux: boot to init, 500 fork+exec, 64 MiB sha256 pipe),
# and power-on through SeaBIOS to a boot sector and through GRUB to Linux's
# init (bench/firmware).
# The sides run interleaved, round by round (bench/run-all.sh).
#
# The report directory holds:
#   report.md        the tables in Markdown, the host, the commands
#   nano.png         ns per operation of every row, log scale, a bar per side
#   linux.png        seconds per Linux workload, a bar per side
#   counts-*.txt     `vmm --stats` of each benchmark guest under each
#                    engine: the events behind each difference (callouts,
#                    traps, hidden/true/trace faults on bt; exits by reason
#                    on kvm)
#   host.txt         `vmm --host-info`
#   run-all.txt      bench/run-all.sh's whole output
# Plots need gnuplot (Debian package gnuplot-nox, which setup.sh installs);
# without it the report says they were skipped.  Exit status: 0, or 1 when a
# benchmark failed (the report names it).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
runs=3 report_only=0
out=$root/bench-report-$(date +%Y%m%d-%H%M%S)
while (($#)); do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --report-only) report_only=1; shift ;;
    -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--runs N] [--out DIR]" >&2; exit 2 ;;
    esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --runs takes a positive number" >&2; exit 2; }
mkdir -p "$out" || exit 2
vmm=$build/vmm

echo "compare.sh: report in $out" >&2
if ((report_only)); then
    [[ -s $out/run-all.txt ]] || { echo "compare.sh: no $out/run-all.txt to report on" >&2; exit 2; }
    runs=$(awk '/^runs: / { print $2; exit }' "$out/run-all.txt")
    status=0
    grep -q '^failures:' "$out/run-all.txt" && status=1
else
    "$vmm" --host-info >"$out/host.txt" 2>&1
    BUILD_DIR=$build "$root/bench/run-all.sh" "$runs" syscall nano paging linux firmware >"$out/run-all.txt" 2>&1
    status=$?
fi

# ---- the events behind the figures: one --stats run per guest and engine
kvm_ok=0
"$root/bench/kvm-why.sh" "$vmm" >/dev/null && kvm_ok=1
for g in syscall/syscall_guest nano/nano_guest paging/paging_guest; do
    ((report_only)) && break
    name=$(basename "$g")
    "$vmm" --stats --kernel "$build/bench/$g.elf" >/dev/null 2>"$out/counts-$name-bt.txt"
    ((kvm_ok)) &&
        "$vmm" --accel kvm --stats --kernel "$build/bench/$g.elf" >/dev/null 2>"$out/counts-$name-kvm.txt"
done

# ---- report.md
# The rows of run-all.sh's combined table (its header first), and the notes
# printed under it.
table=$(awk '/^== all benchmarks/ { on = 1; next } on && NF == 0 { exit }
             on && ($1 == "bench" || $1 ~ /^(ring0|ring3|syscall|paging|nano)$/ && $3 ~ /^([0-9.]+|-)$/)' "$out/run-all.txt")
notes=$(awk '/^== all benchmarks/ { on = 1; next } on && NF == 0 { exit }
             on && !($1 == "bench" || $1 ~ /^(ring0|ring3|syscall|paging|nano)$/ && $3 ~ /^([0-9.]+|-)$/)' "$out/run-all.txt")
firmware=$(awk '/^== bench\/firmware/ { on = 1; print; next } on && NF == 0 { exit } on' "$out/run-all.txt")
linux=$(awk '/^== Debian i386 Linux/ { on = 1; next } on && /^also:|^ring 3 translated/ { exit } on' \
        "$out/run-all.txt")
{
    echo "# Binary translation against hardware virtualization"
    echo
    echo "Made by \`bench/compare.sh --runs $runs\` on $(date -u '+%Y-%m-%d %H:%M UTC'), vmm at commit" \
         "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)."
    echo
    echo "## Nanobenchmarks: ns per operation, best of $runs runs"
    echo
    awk 'NR == 1 { print "| bench | item | native | vmm (bt) | vmm (kvm) | QEMU TCG | ratio |"
                   print "| --- | --- | ---: | ---: | ---: | ---: | --- |"; next }
         { r = ""; for (i = 7; i <= NF; i++) r = r (i > 7 ? " " : "") $i
           printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, r }' <<<"$table"
    [[ -n $notes ]] && { echo; echo '```'; echo "$notes"; echo '```'; }
    echo
    grep '^kvm: missing' "$out/run-all.txt" | sed 's/^kvm: missing on this host:/**The vmm (kvm) column is missing on this host**:/'
    echo
    echo "## Linux (Debian i386, busybox): seconds, best of $runs runs"
    echo
    echo '```'
    echo "$linux"
    echo '```'
    echo
    if [[ -n $firmware ]]; then
        echo "## Power-on through the firmware (SeaBIOS): seconds, best of $runs runs"
        echo
        tail -n +2 <<<"$firmware"
        echo
    fi
    echo "## The events behind the figures (\`vmm --stats\`, one run of each guest)"
    echo
    for f in "$out"/counts-*.txt; do
        [[ -f $f ]] || continue
        echo "- \`$(basename "$f")\`: $(grep -E '^(bt\.callouts|direct\.traps|shadow\.(hidden|true|trace)_faults|exits\.[a-z]+|kvm\.exits[a-z._]*|kvm\.injected): ' "$f" |
            awk -F': ' '$2 > 0 { printf "%s%s %s", n++ ? ", " : "", $1, $2 }')"
    done
    echo
    echo "## The host"
    echo
    echo '```'
    cat "$out/host.txt"
    echo '```'
    echo
    echo "## Commands"
    echo
    echo '```'
    awk '/^commands \(from/ { on = 1 } on && NF == 0 { on = 0 } on' "$out/run-all.txt"
    echo '```'
} >"$out/report.md"

# ---- plots
# plot FILE TITLE YLABEL DATA COLUMN:TITLE... : a clustered bar chart on a
# log scale, one bar per column that has at least one value.
plot() {
    local png=$1 title=$2 ylabel=$3 data=$4 spec cols=() col
    shift 4
    for spec in "$@"; do
        col=${spec%%:*}
        awk -v c="$col" '$c != "NaN" { found = 1 } END { exit !found }' "$data" &&
            cols+=("'$data' using $col:xtic(1) title '${spec#*:}'")
    done
    ((${#cols[@]})) || return 0
    local IFS=,
    gnuplot <<EOF
set terminal pngcairo size 1400,600 noenhanced
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set grid ytics
set xtics rotate by -35
set key top left
set output "$png"
set title "$title"
set ylabel "$ylabel"
plot ${cols[*]}
EOF
}

if command -v gnuplot >/dev/null; then
    # Guest rows only (the host programs' own rows have no guest column).
    awk 'NR > 1 && ($4 != "-" || $6 != "-") { for (i = 3; i <= 6; i++) if ($i == "-") $i = "NaN"
                                              print $1 "/" $2, $3, $4, $5, $6 }' <<<"$table" >"$out/nano.dat"
    awk 'NR > 1 && $1 ~ /^(boot_to_init|forkexec_500|sha256_64MiB)$/ {
             n = 0; for (i = 2; i <= NF; i++) if ($i ~ /^([0-9.]+|skipped|-)$/) v[++n] = $i
             for (i = 1; i <= n; i++) if (v[i] !~ /^[0-9.]+$/) v[i] = "NaN"
             print $1, v[1], v[2], v[3], v[4], v[5], v[6] }' <<<"$linux" >"$out/linux.dat"
    plot "$out/nano.png" "Nanobenchmarks: native, vmm (bt), vmm (kvm), QEMU TCG" \
        "ns per operation (log scale)" "$out/nano.dat" 2:native "3:vmm (bt)" "4:vmm (kvm)" "5:QEMU TCG"
    plot "$out/linux.png" "Debian i386 Linux: native, vmm (bt), vmm (kvm), QEMU TCG" \
        "seconds (log scale)" "$out/linux.dat" 2:native "3:vmm (bt)" "7:vmm (kvm)" "5:QEMU TCG"
else
    echo "Plots skipped: gnuplot is not installed (apt-get install gnuplot-nox)." >>"$out/report.md"
fi
((status == 0)) || { echo; echo "## Failures"; echo; echo '```'
                     grep -E '^(CHECKSUM MISMATCH|.* FAILED)' "$out/run-all.txt"
                     awk '/^failures:/ { on = 1 } on' "$out/run-all.txt"; echo '```'; } >>"$out/report.md"
echo "compare.sh: $out/report.md" >&2
exit $((status != 0))
