#!/usr/bin/env bash
# tests/sanitize.sh - build the two sanitizer variants and run them (not part
# of ./test.sh: it builds the project twice more).  docs/testing.md says what
# each covers and why ASan runs the unit tests only.
#   build-ubsan/  VMM_SANITIZE=undefined: the whole suite (unit, guests, Linux)
#   build-asan/   VMM_SANITIZE=address: the unit tests that need no user view
# Extra arguments go to both ctest runs, e.g. tests/sanitize.sh -R unit.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
status=0
for variant in undefined address; do
    case $variant in
        undefined) dir=${VMM_UBSAN_DIR:-build-ubsan} ;;
        address)   dir=${VMM_ASAN_DIR:-build-asan} ;;
    esac
    if [[ ! -f $dir/CMakeCache.txt ]]; then
        cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMM_SANITIZE=$variant
    fi
    cmake --build "$dir" -j"$jobs"
    echo "== VMM_SANITIZE=$variant ($dir)"
    ctest --test-dir "$dir" --output-on-failure --timeout 300 -j"$jobs" "$@" || status=1
done
exit $status
