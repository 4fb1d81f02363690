#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS] [HARNESS...] - build the libFuzzer harnesses
# (clang, ASan + UBSan, build-fuzz/) and run each for SECONDS (default 600),
# one after the other, at the lowest priority.  HARNESS: loader, devices,
# decode (default: all three).  docs/fuzzing.md says what each covers.
#
# Each run starts from tests/fuzz/corpus/HARNESS plus the seeds of
# tests/fuzz/seeds.py and grows fuzz-out/HARNESS/corpus; a crash is written
# to fuzz-out/HARNESS/ (libFuzzer's crash-*, leak-*, timeout-* files) and
# the log to fuzz-out/HARNESS/log.  To keep a reproducer, copy it into
# tests/fuzz/crashes/HARNESS/: ctest -L fuzz replays it from then on.
# Extra libFuzzer options: FUZZ_OPTS="-max_len=4096 ...".
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${1:-600}
shift || true
harnesses=("$@")
[[ ${#harnesses[@]} -gt 0 ]] || harnesses=(loader devices decode)

if ! command -v clang >/dev/null ||
   ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    echo "run.sh: installing clang and its libFuzzer runtime (apt-get)" >&2
    sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get install -y clang libclang-rt-dev
fi

dir=${VMM_FUZZ_DIR:-build-fuzz}
if [[ ! -f $dir/CMakeCache.txt ]]; then
    CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMM_FUZZ=ON
fi
cmake --build "$dir" -j2

status=0
for h in "${harnesses[@]}"; do
    out=fuzz-out/$h
    mkdir -p "$out/corpus" "$out/seeds"
    python3 tests/fuzz/seeds.py "$out/seeds" build >/dev/null 2>&1 || true
    echo "== $h: $secs s (log: $out/log)"
    # -timeout: one input taking 10 s is a hang; -rss_limit_mb: the guest
    # RAM of a harness is at most 32 MiB, far below it.
    if ! nice -n 19 "$dir/tests/fuzz/fuzz_$h" -max_total_time="$secs" -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/" \
            ${FUZZ_OPTS:-} "$out/corpus" tests/fuzz/corpus/"$h" "$out/seeds/$h" \
            >"$out/log" 2>&1; then
        echo "$h: FAILED, see $out/log and $out/crash-* / leak-* / timeout-*"
        status=1
    fi
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|#[0-9]+ +DONE)' \
        "$out/log" || true
done
exit $status
