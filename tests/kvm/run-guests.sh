#!/bin/sh
# run-guests.sh LIST [DIFFERS] - run the project's test guests under
# `vmm --accel kvm` with the checks ctest makes of them under the translator
# (tests/guests/guest_test.cmake, guest_record): the exit status, PASS for
# a passing guest, every EXPECT regex.  Runs inside the nested-KVM machine
# L1 (busybox sh; tests/kvm/CMakeLists.txt, kvm.guests).
#
# LIST holds one line per guest:
#   guest NAME STATUS 'ELF' NARGS 'ARG'... 'REGEX'...
# DIFFERS has one "NAME KIND reason" line for each guest that cannot give
# the translator's answer here (docs/bt-vs-vt.md, "Where the engines
# differ"): KIND "skip", not run (it tests the translator itself), or
# "differs", run and reported with the reason without failing the test.
# Exit status 1 when any other guest fails.
list=$1
differs=${2:-/dev/null}
passed=0 failed=0 known=0 skipped=0

# The arguments again as one string of quoted words, for eval.
quote() { printf "'%s' " "$(printf %s "$1" | sed "s/'/'\\\\''/g")"; }

guest() {
    name=$1 want=$2 elf=$3 nargs=$4
    shift 4
    args=
    while [ "$nargs" -gt 0 ]; do
        args="$args$(quote "$1")"
        shift
        nargs=$((nargs - 1))
    done
    kind=$(grep "^$name " "$differs" | cut -d' ' -f2)
    reason=$(grep "^$name " "$differs" | cut -d' ' -f3-)
    if [ "$kind" = skip ]; then
        echo "skip    $name: $reason"
        skipped=$((skipped + 1))
        return
    fi
    eval "timeout 120 vmm --accel kvm --kernel '$elf' $args" >/tmp/out 2>&1
    st=$?
    why=
    [ "$st" = "$want" ] || why="exit status $st, expected $want"
    if [ -z "$why" ] && [ "$want" = 1 ] && ! grep -qx PASS /tmp/out; then
        why="no PASS line"
    fi
    for re in "$@"; do
        [ -n "$why" ] && break
        grep -Eq -- "$re" /tmp/out || why="no line matches '$re'"
    done
    if [ -z "$why" ]; then
        echo "ok      $name${reason:+ (listed as differing: $reason)}"
        passed=$((passed + 1))
    elif [ -n "$reason" ]; then
        echo "differs $name: $why; known: $reason"
        known=$((known + 1))
    else
        echo "FAIL    $name: $why; its last lines:"
        tail -n 15 /tmp/out | sed 's/^/    | /'
        failed=$((failed + 1))
    fi
}

. "$list"
echo "kvm guests: $passed passed, $known differ as documented, $skipped skipped (they test the translator), $failed failed"
[ "$failed" = 0 ]
