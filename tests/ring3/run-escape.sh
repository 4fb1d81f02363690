#!/usr/bin/env bash
# run-escape.sh MARKER RUNNER [ARGS...] - run the escape guest with RUNNER
# (tests/guests/run-guest.sh ...) and then require that MARKER, the file the
# escaped user code tries to create through a host system call, does not
# exist: the monitor must stop the guest before anything reaches the host.
set -uo pipefail
marker=$1
shift
# Where the host cannot run 32-bit code (vmm --host-info), guest ring 3 is
# translated, never run directly: there is no direct execution to escape
# from, and the far jump gets the #GP a real CPU raises.
vmm=$(dirname "$0")/../../build/vmm
for a in "$@"; do [[ $a == */vmm ]] && vmm=$a; done
if "$vmm" --host-info 2>/dev/null | grep -q '^32-bit user code.*refused'; then
    echo "SKIPPED: this host cannot run 32-bit user code, so guest ring 3 is translated and" \
         "there is no direct execution to escape from (vmm --host-info)"
    exit 77
fi
rm -f -- "$marker"
"$@"
status=$?
if [[ -e $marker ]]; then
    echo "FAILED: the escaped guest code created $marker on the host"
    rm -f -- "$marker"
    exit 1
fi
echo "host file $marker not created"
exit "$status"
