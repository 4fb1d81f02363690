#!/usr/bin/env bash
# run-guest.sh - run one test guest under vmm and check how the run ended.
#
#   run-guest.sh [--timeout S] [--bios] [--expect-output REGEX]... VMM GUEST STATUS [VMM-ARGS...]
#
# GUEST is a kernel (vmm --kernel), or with --bios a firmware image (vmm --bios).
# STATUS is the vmm exit status the guest must produce: 1 when it passes
# (debug-exit value 0), 4 for a halt with interrupts off, 8 for a triple
# fault.  The serial output (and vmm's own messages) is printed on failure;
# each REGEX (grep -E) must match it.
set -uo pipefail

timeout_s=20
load=--kernel
patterns=()
while (($#)); do
    case $1 in
    --timeout) timeout_s=$2; shift 2 ;;
    --bios) load=--bios; shift ;;
    --expect-output) patterns+=("$2"); shift 2 ;;
    *) break ;;
    esac
done
if (($# < 3)); then
    echo "usage: $0 [--timeout S] [--expect-output REGEX]... VMM GUEST STATUS [VMM-ARGS...]" >&2
    exit 2
fi
vmm=$1 guest=$2 want=$3
shift 3

explain() {
    case $1 in
    0) echo "guest powered off" ;;
    1) echo "guest passed (debug-exit 0)" ;;
    2) echo "vmm rejected the options or the kernel file" ;;
    4) echo "guest halted with interrupts off" ;;
    6) echo "guest did something vmm does not implement" ;;
    8) echo "triple fault" ;;
    10) echo "internal error of vmm" ;;
    12) echo "guest escaped direct execution and was stopped" ;;
    124) echo "timed out after ${timeout_s}s" ;;
    137) echo "killed after the timeout" ;;
    *) if (($1 % 2 == 1 && $1 < 256)); then echo "guest failed check $((($1 - 1) / 2))"
       elif (($1 > 128)); then echo "vmm died from signal $(($1 - 128))"
       else echo "monitor error"; fi ;;
    esac
}

out=$(timeout --kill-after=5 "$timeout_s" "$vmm" "$load" "$guest" "$@" 2>&1)
got=$?

echo "--- $vmm $load $guest $*"
printf '%s\n' "$out"
echo "--- exit status $got ($(explain "$got")); expected $want ($(explain "$want"))"

ok=1
((got == want)) || ok=0
for p in "${patterns[@]}"; do
    grep -Eq -- "$p" <<<"$out" || { ok=0; echo "--- the output has no line matching /$p/"; }
done
((ok)) && exit 0
echo "FAILED: ${guest##*/}"
exit 1
