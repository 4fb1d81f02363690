#!/usr/bin/env bash
# run-gdb.sh - run one gdb command file against a guest under vmm --gdb.
#
#   run-gdb.sh [--expect REGEX]... VMM GUEST SCRIPT.gdb|BYTES.raw STATUS
#
# Starts `vmm --gdb PORT --gdb-wait --kernel GUEST` on a free loopback port
# (tries random ports until one can be bound), waits until it listens, runs
# `gdb -batch -nx -x SCRIPT GUEST` (@PORT@ in the script is replaced), then
# requires vmm's exit status to be STATUS and every REGEX (grep -E) to match
# gdb's output.  Exit 77 (skipped) when gdb is not installed.  A .raw file
# is sent as it is by a plain TCP client that then disconnects (robustness).
set -uo pipefail

patterns=()
while (($#)); do
    case $1 in
    --expect) patterns+=("$2"); shift 2 ;;
    *) break ;;
    esac
done
if (($# != 4)); then
    echo "usage: $0 [--expect REGEX]... VMM GUEST SCRIPT.gdb STATUS" >&2
    exit 2
fi
vmm=$1 guest=$2 script=$3 want=$4
command -v gdb >/dev/null || { echo "gdb is not installed: skipped"; exit 77; }

tmp=$(mktemp -d)
trap 'kill "${vmm_pid:-}" 2>/dev/null; rm -rf "$tmp"' EXIT

# Start vmm; it prints "waiting for gdb" once it listens.
started=0
for _ in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    : >"$tmp/vmm.out"
    timeout --kill-after=5 90 "$vmm" --gdb "$port" --gdb-wait --kernel "$guest" \
        >"$tmp/vmm.out" 2>&1 &
    vmm_pid=$!
    for _ in $(seq 1 100); do
        grep -q "waiting for gdb" "$tmp/vmm.out" && { started=1; break; }
        kill -0 "$vmm_pid" 2>/dev/null || break
        sleep 0.05
    done
    ((started)) && break
    wait "$vmm_pid" 2>/dev/null
    grep -q "cannot listen" "$tmp/vmm.out" || break    # another failure: report it
done
if ((!started)); then
    echo "vmm did not start listening:"
    cat "$tmp/vmm.out"
    exit 1
fi

if [[ $script == *.raw ]]; then
    # Not gdb: raw bytes (bad checksums, malformed and cut-off packets), then
    # the client vanishes.  The output checked is what the stub answered.
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    cat "$script" >&3
    gdb_out=$(timeout 1 cat <&3)
    exec 3>&-
    gdb_status=0
else
    sed "s/@PORT@/$port/g" "$script" >"$tmp/cmds.gdb"
    gdb_out=$(timeout --kill-after=5 60 gdb -batch -nx -x "$tmp/cmds.gdb" "$guest" 2>&1)
    gdb_status=$?
fi
wait "$vmm_pid"
got=$?
vmm_pid=

ok=1
((got == want)) || { ok=0; echo "vmm exit status $got, expected $want"; }
((gdb_status == 124 || gdb_status == 137)) && { ok=0; echo "gdb timed out"; }
for p in "${patterns[@]}"; do
    grep -Eq -- "$p" <<<"$gdb_out" || { ok=0; echo "gdb output does not match /$p/"; }
done

echo "--- client: ${script##*/} (port $port), exit $gdb_status"
printf '%s\n' "$gdb_out"
echo "--- vmm --gdb $port --gdb-wait --kernel $guest: exit $got"
cat "$tmp/vmm.out"
((ok)) && exit 0
echo "FAILED: ${script##*/}"
exit 1
