#!/bin/bash
# tests/diff/run_diff.sh VMM NATIVE GUEST
#
# Runs the native runner and the guest under VMM, compares their outputs line
# by line, and on the first mismatch prints both lines and the disassembly of
# that case.  Exit 0 only when every line matches and the guest ended through
# the debug-exit port with value 0 (vmm status 1).
set -u
vmm=$1 native=$2 guest=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Hosts that cannot run 32-bit code run the reference under qemu-i386
# (tests/host/run32.sh says so); 77 (skip) when neither is possible.
"$(dirname "$0")/../host/run32.sh" "$native" > "$tmp/native"
nstatus=$?
[[ $nstatus == 77 ]] && exit 77
if [[ $nstatus != 0 ]]; then
    echo "FAIL: the native runner failed (a generator bug: the host CPU rejected a case)"
    tail -1 "$tmp/native"
    exit 1
fi
ncases=$(tail -1 "$tmp/native")

start=$(date +%s.%N)
timeout "${DIFF_TIMEOUT:-240}" "$vmm" --kernel "$guest" > "$tmp/guest" 2> "$tmp/stderr"
status=$?
end=$(date +%s.%N)
echo "native: $ncases; guest: vmm status $status in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s"

disasm() {   # case index -> objdump of case_<index> in the linked guest (real addresses)
    objdump -d -M intel --disassemble="case_$1" "$guest" | sed -n "/<case_/,/diff_case_done/p"
}

if cmp -s "$tmp/native" "$tmp/guest" && [ "$status" -eq 1 ]; then
    echo "PASS: all lines match"
    exit 0
fi

where=$(diff <(cat -n "$tmp/native") <(cat -n "$tmp/guest") | grep -m1 "^[<>]" | awk "{print \$2}")
if [ -n "$where" ]; then
    exp=$(sed -n "${where}p" "$tmp/native")
    got=$(sed -n "${where}p" "$tmp/guest")
    id=$(echo "$exp" | cut -d' ' -f1)
    echo "FAIL: first mismatch at output line $where"
    echo "  native: $exp"
    echo "  guest : ${got:-<no output: the guest stopped before this case>}"
    if [ -n "$got" ]; then   # name the fields that differ
        paste -d' ' <(echo "$exp" | tr ' ' '\n') <(echo "$got" | tr ' ' '\n') |
            awk '$1 != $2 { print "    differs: " $1 " vs " $2 }'
    fi
    case $id in
        [0-9]*) echo "case $((10#$id)) disassembly:"; disasm "$((10#$id))" ;;
    esac
else
    echo "FAIL: outputs match but vmm exited with status $status (expected 1: debug-exit value 0)"
fi
if [ -s "$tmp/stderr" ]; then
    echo "vmm stderr (last 20 lines):"
    tail -20 "$tmp/stderr"
fi
exit 1
