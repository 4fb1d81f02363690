#!/usr/bin/env bash
# tests/diff/soak.sh [SECONDS] [COUNT] - the random differential test as a
# long run: seed after seed (from DIFF_SOAK_SEED, default the current time),
# COUNT random cases each (default 4000), for SECONDS (default 600).  Each
# seed's cases run natively as 32-bit ring-3 code and under vmm as translated
# ring-0 guest code (run_diff.sh); the run stops at the first difference, the
# first failed guest or the first vmm crash, leaving the seed's files in
# diff-soak/ with the command that repeats it.  Needs a build (./test.sh or
# cmake --build build) and a host that runs 32-bit code (or qemu-i386, far
# slower).  docs/fuzzing.md, "Random ring-0 code against the host CPU".
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-600}
count=${2:-4000}
build=${VMM_BUILD_DIR:-build}
B=$build/tests/diff
D=tests/diff
for f in "$build/vmm" "$B/diffgen" "$B/harness.o" "$B/guest_start.o" "$B/guest_main.o" "$B/guest_runner.o"; do
    [[ -e $f ]] || { echo "soak.sh: $f is missing (cmake --build $build)" >&2; exit 2; }
done
out=diff-soak
mkdir -p "$out"
seed=${DIFF_SOAK_SEED:-$(date +%s)}
end=$((SECONDS + secs))
seeds=0 cases=0
while ((SECONDS < end)); do
    w=$out/seed-$seed
    mkdir -p "$w"
    # The same compile and link commands as diff_suite() in
    # tests/diff/CMakeLists.txt (DIFF_CFLAGS, guest.ld): keep them alike.
    "$B/diffgen" "$seed" "$count" "$w/cases.asm" >/dev/null &&
    nasm -f elf32 -I$D/ -o "$w/cases.o" "$w/cases.asm" &&
    cc -m32 -O2 -fno-pic -fno-stack-protector -fno-asynchronous-unwind-tables -I$D -no-pie \
        -o "$w/native" $D/native_main.c $D/runner.c "$B/harness.o" "$w/cases.o" &&
    ld -m elf_i386 -z max-page-size=0x1000 --no-warn-rwx-segments -T $D/guest.ld -o "$w/guest.elf" \
        "$B/guest_start.o" "$B/guest_main.o" "$B/guest_runner.o" "$B/harness.o" "$w/cases.o" ||
        { echo "soak.sh: building seed $seed failed (files in $w)"; exit 1; }
    if ! bash $D/run_diff.sh "$build/vmm" "$w/native" "$w/guest.elf" > "$w/result" 2>&1; then
        cat "$w/result"
        echo "soak.sh: seed $seed FAILED after $seeds clean seeds ($cases cases); repeat with:"
        echo "  bash $D/run_diff.sh $build/vmm $w/native $w/guest.elf"
        exit 1
    fi
    rm -rf "$w"
    seeds=$((seeds + 1)) cases=$((cases + count)) seed=$((seed + 1))
done
echo "soak.sh: $seeds seeds, $cases random cases, every one equal on the host CPU and under vmm ($secs s)"
