#!/bin/sh
# run-gdb-tests.sh LIST GUEST [DIFFERS] - the gdb tests of tests/gdb against
# `vmm --accel kvm`, inside the nested-KVM machine L1 (kvm.gdb): each runs
# tests/gdb/run-gdb.sh with the same gdb script and expectations as ctest's
# gdb.NAME, with /bin/vmm-kvm (vmm --accel kvm) as the vmm.
# LIST: one line per test, `gdbtest NAME STATUS 'SCRIPT' 'REGEX'...`
# (tests/gdb/CMakeLists.txt records them).  DIFFERS: "NAME skip reason"
# lines for tests of the translator itself.  Exit status 1 if any fails.
list=$1 guest=$2 differs=${3:-/dev/null}
passed=0 failed=0 skipped=0
ip link set lo up                       # gdb and vmm meet on 127.0.0.1

gdbtest() {
    name=$1 want=$2 script=$3
    shift 3
    reason=$(grep "^$name skip " "$differs" | cut -d' ' -f3-)
    if [ -n "$reason" ]; then
        echo "skip    $name: $reason"
        skipped=$((skipped + 1))
        return
    fi
    args=
    for re in "$@"; do
        args="$args --expect '$(printf %s "$re" | sed "s/'/'\\\\''/g")'"
    done
    if eval "bash /nested/run-gdb.sh $args /bin/vmm-kvm '$guest' '$script' $want" >/tmp/gdb.out 2>&1; then
        echo "ok      $name"
        passed=$((passed + 1))
    else
        echo "FAIL    $name:"
        tail -n 25 /tmp/gdb.out | sed 's/^/    | /'
        failed=$((failed + 1))
    fi
}

. "$list"
echo "kvm gdb: $passed passed, $skipped skipped (they test the translator), $failed failed"
[ "$failed" = 0 ]
