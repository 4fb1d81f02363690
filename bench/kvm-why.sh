#!/usr/bin/env bash
# bench/kvm-why.sh VMM - can `VMM --accel kvm` run guests on this host?
# Exit 0 with no output when it can (vmm's probe VM passed: VT-x or AMD-V);
# otherwise exit 1 and print vmm's own reason in one line (no /dev/kvm, or
# one that cannot run 32-bit guests, as PVM cannot).  The benchmarks' kvm
# columns ask this, from the /dev/kvm row of `vmm --host-info`.
set -uo pipefail
row=$("$1" --host-info 2>/dev/null | awk '/^\/dev\/kvm / { getline nxt; print $0 " " nxt }' |
      sed 's/  */ /g; s|^/dev/kvm ||')
[[ $row == *"--accel kvm and auto run the guest on it"* ]] && exit 0
echo "${row:-vmm --host-info printed no /dev/kvm row}"
exit 1
