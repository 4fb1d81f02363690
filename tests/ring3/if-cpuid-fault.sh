#!/usr/bin/env bash
# if-cpuid-fault.sh COMMAND... - run COMMAND only where the host CPU has
# CPUID faulting (Linux shows `cpuid_fault` in /proc/cpuinfo): there vmm
# traps ring-3 CPUID and must answer it with the virtual model.  Elsewhere
# ring-3 CPUID is a documented Popek-Goldberg gap of the host, and the test
# is skipped (status 77) with this message.
if ! grep -qw cpuid_fault /proc/cpuinfo; then
    echo "SKIPPED: this host CPU has no CPUID faulting (no cpuid_fault in /proc/cpuinfo);" \
         "ring-3 CPUID shows the host processor here (docs/popek-goldberg.md)"
    exit 77
fi
exec "$@"
