#!/usr/bin/env bash
# if-page0.sh COMMAND... - run COMMAND (run-guest.sh VMM ...) only where vmm
# can map host page 0 (`vmm --host-info`: "host page 0 mappable yes", which
# needs CAP_SYS_RAWIO or vm.mmap_min_addr 0): there guest linear page 0 is
# mapped in the user view like any page.  Elsewhere its accesses are
# emulated (correct, one at a time) and the test is skipped (status 77).
vmm=
for a in "$@"; do
    [[ $a == */vmm ]] && { vmm=$a; break; }
done
if [[ -z $vmm ]] || ! "$vmm" --host-info | grep -q '^host page 0 mappable *yes'; then
    echo "SKIPPED: vmm cannot map host page 0 here (no CAP_SYS_RAWIO, vm.mmap_min_addr > 0):" \
         "guest page 0 is emulated one access at a time (docs/direct.md, \"Linear page 0\")"
    exit 77
fi
exec "$@"
