#!/usr/bin/env bash
# invaders-test.sh VMM IMAGE - run grub-invaders (Debian's package
# grub-invaders: a space-invaders game written as a Multiboot kernel, not
# for vmm) and check what a player would see on the VGA text screen.
#
# The game draws rows of invaders ("-*-") and the player's ship ("/ \") on
# the text screen at 0xB8000 and moves the invaders from the timer
# interrupt (PIT through the 8259).  The test stops vmm with SIGINT after 2 s
# and after 6 s (each run a fresh boot) and reads the screen vmm prints at
# exit (--vga-dump).  Both screens must show the ship and at least 20
# invaders, and must differ (the invaders marched: timer interrupts arrive).
# vmm must end by the signal (status 130), not by an error of its own.
# Exit status 0 pass, 1 fail, 77 skipped (the image is not fetched:
# tests/guests/fetch-debian-guest.sh does that).
set -uo pipefail
vmm=$1 image=$2
if [[ ! -s $image ]]; then
    echo "SKIP: $image is missing: tests/guests/fetch-debian-guest.sh fetches grub-invaders"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

screen_after() {    # screen_after SECONDS OUT: the screen after SECONDS of play
    "$vmm" --kernel "$image" --vga-dump </dev/null >"$2" 2>"$2.err" &
    local pid=$!
    sleep "$1"
    kill -INT "$pid"
    wait "$pid"
    local st=$?
    if ((st != 130)); then
        echo "FAIL: vmm ended with status $st before the signal (130 expected):"
        cat "$2.err"
        fail=1
    fi
}

check_screen() {    # check_screen FILE WHEN
    local invaders ships
    invaders=$(grep -o -- '-\*-' "$1" | wc -l)
    ships=$(grep -c '/ \\' "$1")
    echo "after $2: $invaders invaders, $ships ship(s) on the screen"
    if ((invaders < 20 || ships < 1)); then
        echo "FAIL: the screen after $2 lacks the invaders or the ship:"
        cat "$1"
        fail=1
    fi
}

screen_after 2 "$work/screen2"
screen_after 6 "$work/screen6"
check_screen "$work/screen2" "2 s"
check_screen "$work/screen6" "6 s"
if cmp -s "$work/screen2" "$work/screen6"; then
    echo "FAIL: the screen is the same after 2 s and 6 s: the invaders did not move"
    cat "$work/screen6"
    fail=1
fi
((fail)) && exit 1
echo "PASS: grub-invaders plays on vmm's VGA text screen"
