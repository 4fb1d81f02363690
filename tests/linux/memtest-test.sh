#!/usr/bin/env bash
# memtest-test.sh - run Debian's memtest86+ (memtest86+ia32.bin, loaded
# through the Linux boot protocol) under vmm over 64 MiB until its first
# full pass completes, and check that it reported no error.
#
#   memtest-test.sh --vmm VMM --image MEMTEST86+IA32.BIN [--timeout S] [--mem MIB]
#
# memtest86+ 6.x has no option to stop after one pass, so the test watches
# its screen and stops the machine itself:
#  - `console=ttyS0,115200` makes memtest mirror its screen on COM1 (VT100
#    cursor addressing, whole lines at a time, no newlines): the status row
#    "Pass: N   Errors: E" is read from that stream every second; `nopause`
#    skips the pause for configuration at start-up;
#  - when N reaches 1 (the first pass is complete) the test types Ctrl-A x
#    on vmm's standard input (a FIFO), which ends vmm with status 0, and
#    --vga-dump prints the VGA text screen at exit: the same status row must
#    be there too, read from guest memory rather than from the serial port.
# An error count above 0 in either place, vmm ending by itself, or no pass
# within the timeout is a failure.  Exit status: 0 pass, 1 fail, 77 skipped
# (no image: tests/guests/fetch-debian-guest.sh fetches it).
set -uo pipefail

timeout_s=${VMM_MEMTEST_TIMEOUT:-600}
mem=64
vmm= image=
while (($#)); do
    (($# >= 2)) || { echo "memtest-test.sh: $1 needs a value" >&2; exit 2; }
    case $1 in
    --vmm) vmm=$2 ;;
    --image) image=$2 ;;
    --timeout) timeout_s=$2 ;;
    --mem) mem=$2 ;;
    *) echo "memtest-test.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift 2
done
[[ -n $vmm && -n $image ]] || { echo "memtest-test.sh: --vmm and --image are required" >&2; exit 2; }
if [[ ! -s $image ]]; then
    echo "SKIP: $image is missing: run tests/guests/fetch-debian-guest.sh to fetch memtest86+"
    exit 77
fi

tmp=$(mktemp -d /tmp/vmm-memtest.XXXXXX)
pid=
cleanup() {
    [[ -n $pid ]] && kill "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# vmm's standard input: a FIFO held open read-write here, so that vmm
# never sees end of file and the test can type into it.
mkfifo "$tmp/in"
exec 3<>"$tmp/in"
start=$(date +%s)
"$vmm" --mem "$mem" --kernel "$image" --append "console=ttyS0,115200 nopause" \
    --vga-dump <&3 >"$tmp/out" 2>"$tmp/err" &
pid=$!

# The status rows "Pass: N        Errors: E" memtest has drawn so far.
status_rows() { grep -aoE 'Pass: +[0-9]+ +Errors: +[0-9]+' "$1"; }

result=timeout
while (($(date +%s) - start < timeout_s)); do
    sleep 1
    if status_rows "$tmp/out" | grep -qE 'Errors: +[1-9]'; then
        result=errors
        break
    fi
    if status_rows "$tmp/out" | grep -qE 'Pass: +[1-9]'; then
        result=pass
        break
    fi
    kill -0 "$pid" 2>/dev/null || { result=exited; break; }
done
elapsed=$(($(date +%s) - start))

# Stop the machine with the console's escape (Ctrl-A x) so that vmm ends
# normally and prints the VGA screen; kill it if that does not work.
if kill -0 "$pid" 2>/dev/null; then
    printf '\001x' >&3
    for _ in $(seq 20); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
fi
wait "$pid"
vmm_status=$?
pid=

# The VGA dump follows the serial stream, which has no newline of its
# own: every line after the first is the screen.
screen=$(tail -n +2 "$tmp/out")
screen_row=$(grep -aoE 'Pass: +[0-9]+ +Errors: +[0-9]+' <<<"$screen" | tail -n 1)
serial_row=$(status_rows "$tmp/out" | tail -n 1)

failures=()
case $result in
pass) ;;
errors) failures+=("memtest86+ reported errors: '$(status_rows "$tmp/out" | grep -E 'Errors: +[1-9]' | head -n 1)'") ;;
exited) failures+=("vmm ended before the first pass completed (status $vmm_status)") ;;
timeout) failures+=("no complete pass within ${timeout_s}s (last status row: '$serial_row')") ;;
esac
if [[ $result == pass ]]; then
    ((vmm_status == 0)) || failures+=("vmm exit status $vmm_status after Ctrl-A x, expected 0")
    if [[ ! $screen_row =~ ^Pass:\ +([0-9]+)\ +Errors:\ +([0-9]+)$ ]]; then
        failures+=("no 'Pass: N Errors: E' row on the VGA screen at exit")
    elif ((BASH_REMATCH[1] < 1 || BASH_REMATCH[2] != 0)); then
        failures+=("the VGA screen says '$screen_row', expected a pass and no error")
    fi
fi

if ((${#failures[@]})); then
    echo "---- serial output (escape sequences turned into new lines, last 40) ----"
    sed 's/\x1b\[[0-9;?]*[A-Za-z]/\n/g' "$tmp/out" | grep -av '^ *$' | tail -n 40
    echo "---- VGA screen at exit ----"
    printf '%s\n' "$screen"
    echo "---- vmm stderr ----"
    cat "$tmp/err"
    echo "----"
    printf 'FAIL: %s\n' "${failures[@]}"
    exit 1
fi
echo "VGA screen at exit:"
printf '%s\n' "$screen"
echo "PASS: memtest86+ completed its first pass over ${mem} MiB with no errors in ${elapsed}s (serial: '$serial_row', screen: '$screen_row')"
