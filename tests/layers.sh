#!/usr/bin/env bash
# layers.sh SRC - the direction of dependencies: cpu/, bt/, shadow_mmu/ and
# devices/ lie below monitor/ and include none of its headers; they ask the
# machine for what they need through cpu/machine.h, which monitor/vm.c
# implements.  Any include of monitor/ from below fails.  The build runs
# this (the `layers` target of CMakeLists.txt), and so does the ctest
# layers.includes.
set -euo pipefail
src=$1
cd "$src"
found=$(grep -n '#include "monitor/' cpu/*.[ch] bt/*.[ch] shadow_mmu/*.[ch] devices/*.[ch] || true)
if [[ -n $found ]]; then
    echo "FAIL: a lower layer includes monitor/ (give it what it needs through cpu/machine.h instead):"
    echo "$found" | sed 's/^/  /'
    exit 1
fi
echo "layers: no include of monitor/ from cpu/, bt/, shadow_mmu/ or devices/"
