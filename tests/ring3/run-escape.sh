#!/usr/bin/env bash
# run-escape.sh MARKER RUNNER [ARGS...] - run the escape guest with RUNNER
# (tests/guests/run-guest.sh ...) and then require that MARKER, the file the
# escaped user code tries to create through a host system call, does not
# exist: the monitor must stop the guest before anything reaches the host.
set -uo pipefail
marker=$1
shift
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
