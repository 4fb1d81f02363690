#!/usr/bin/env bash
# test.sh - build (configuring build/ first when it does not exist yet) and run
# the whole test suite through ctest.  Extra arguments go to ctest, e.g.
#   ./test.sh -L guest        only the guest integration tests
#   ./test.sh -R unit.loader  one unit test
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${VMM_BUILD_DIR:-build}
jobs=$(nproc)

if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$BUILD_DIR" -j"$jobs"
# Tests labelled "long" (the 20-boot Debian soak) run only when asked for:
# ./test.sh -L long.
default=()
(($#)) || default=(-LE long)
exec ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 300 -j"$jobs" "${default[@]}" "$@"
