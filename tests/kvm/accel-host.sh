#!/bin/sh
# accel-host.sh VMM GUEST - --accel on this host, whatever its /dev/kvm is
# (POSIX sh: it runs on the host and inside the nested-KVM machine L1):
#  - kvm with an option of the translator is refused (status 2, one line);
#  - kvm runs GUEST to PASS where /dev/kvm runs 32-bit guests, and where it
#    cannot (none, or PVM) is refused with status 2 and one line saying why;
#  - auto always runs GUEST to PASS and says which engine it took, the one
#    `vmm --host-info` predicts.
vmm=$1 guest=$2
fail() { echo "FAIL: $*"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$vmm" --accel kvm --trace --kernel "$guest" >"$out" 2>&1
st=$?
[ "$st" = 2 ] || fail "--accel kvm --trace: status $st, want 2"
grep -qx 'vmm: --accel kvm: --trace is an option of the binary translator (--accel bt)' "$out" ||
    fail "--accel kvm --trace: $(cat "$out")"

engine=bt
"$vmm" --host-info | grep -q '^/dev/kvm .*--accel kvm and auto run the guest on it' && engine=kvm
echo "this host: --host-info says auto takes $engine"

timeout 120 "$vmm" --accel kvm --kernel "$guest" >"$out" 2>&1
st=$?
if [ "$engine" = kvm ]; then
    [ "$st" = 1 ] && grep -qx PASS "$out" || fail "--accel kvm: status $st: $(tail -n 5 "$out")"
    echo "--accel kvm ran the guest"
else
    [ "$st" = 2 ] || fail "--accel kvm on a /dev/kvm that cannot run the guest: status $st, want 2"
    [ "$(wc -l <"$out")" = 1 ] && grep -q '^vmm: --accel kvm: .*/dev/kvm' "$out" ||
        fail "--accel kvm refused without one line naming /dev/kvm: $(cat "$out")"
    echo "refused as it should be: $(cat "$out")"
fi

timeout 120 "$vmm" --accel auto --kernel "$guest" >"$out" 2>&1
st=$?
[ "$st" = 1 ] && grep -qx PASS "$out" || fail "--accel auto: status $st: $(tail -n 5 "$out")"
grep -q "^vmm: --accel auto: using $engine" "$out" ||
    fail "--accel auto did not say it took $engine: $(head -n 3 "$out")"
echo "PASS: --accel auto took $engine"
