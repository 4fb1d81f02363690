#!/usr/bin/env bash
# tests/fuzz/ring0.sh [--vmm VMM] [--guest ELF] [--vmm-arg ARG]... [SECONDS [MAXLEN]]
# tests/fuzz/ring0.sh --replay DIR [--vmm VMM] [--guest ELF] [--vmm-arg ARG]...
# tests/fuzz/ring0.sh --bios [--replay DIR] [--vmm VMM] [--vmm-arg ARG]... [SECONDS [MAXLEN]]
#
# Arbitrary bytes as ring-0 guest code: each run gives vmm the guest
# tests/guests/fuzz_ring0.c with an input of random length (1..MAXLEN,
# default 4096) from /dev/urandom as its --initrd, which the guest runs in
# ring 0 (through the translator), and a 1 MiB disk image.  For SECONDS
# (default 600), one input after the other.  Each run must end the way the
# product promises (docs/fuzzing.md, "Arbitrary ring-0 code"): exit status
# 0, 4, 6, 8 or odd (the debug exit: (v << 1) | 1, up to 255), or still
# running after 2 s (an endless loop: stopped, as a user would); never 10
# (internal error), a signal (run-status.py tells a signal from an exit
# status), or anything else.  After each run, from outside: a marker process
# (a `sleep`) still lives, a canary file outside the guest's reach is
# unchanged, and the disk image has its size.  A failing input is kept in
# fuzz-out/ring0/ with vmm's output; copy it to tests/fuzz/ring0/ to have
# `ctest -R fuzz.ring0_replay` run it from then on.
#
# --bios: each input is a firmware instead, run from the reset vector in
# real mode (vmm --bios, with --display none and --vga-dump): the input
# (1..MAXLEN bytes, at most 64 KiB) ends a 64 KiB image of zeros, so its
# last 16 bytes are the reset vector F000:FFF0 and the rest lies below;
# the same end checks.  tests/fuzz/bios/ holds the inputs ctest -R
# fuzz.bios_replay runs (bios_seeds.asm: the hand-made ones).
#
# --replay DIR runs every file of DIR once with the same checks.
# --vmm-arg ARG passes ARG to vmm (repeatable): --vmm-arg --ring0=direct runs
# the bytes through the trap-and-emulate engine, where status 12 (guest code
# that left its segments, stopped by the sandbox: docs/security.md) is a
# promised end too.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
vmm=$root/build/vmm
guest=$root/build/tests/guests/fuzz_ring0.elf
replay=
bios=
args=()
vmm_args=()
while (($#)); do
    case $1 in
    --vmm) vmm=$2; shift 2 ;;
    --guest) guest=$2; shift 2 ;;
    --replay) replay=$2; shift 2 ;;
    --bios) bios=1; shift ;;
    --vmm-arg) vmm_args+=("$2"); shift 2 ;;
    *) args+=("$1"); shift ;;
    esac
done
secs=${args[0]:-600}
maxlen=${args[1]:-4096}
[[ -z $bios ]] || { guest=; ((maxlen <= 65536)) || maxlen=65536; }
for f in "$vmm" ${guest:+"$guest"}; do
    [[ -e $f ]] || { echo "ring0.sh: $f is missing (cmake --build build)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/vmm-ring0-fuzz.XXXXXX)
sleep 100000 &
marker=$!
trap 'kill $marker 2>/dev/null; rm -rf "$work"' EXIT
canary=$work/canary
echo "vmm must never touch this" > "$canary"
canary_sum=$(sha256sum < "$canary")
disk=$work/disk.img
truncate -s 1M "$disk"
out=$root/fuzz-out/ring0
runs=0
declare -A seen=() unsupported=()

# The 64 KiB firmware image that ends with INPUT (--bios).
bios_image() {
    local size
    size=$(stat -c %s "$1")
    ((size <= 65536)) || size=65536
    { head -c $((65536 - size)) /dev/zero; tail -c "$size" "$1"; } > "$work/bios.img"
}

one() {     # one INPUT: run it, check; 0 fine, 1 failure (reported)
    local in=$1 end why= boot
    if [[ -n $bios ]]; then
        bios_image "$in"
        boot=(--bios "$work/bios.img" --display none --vga-dump)
    else
        boot=(--kernel "$guest" --initrd "$in")
    fi
    end=$("$here/run-status.py" 2 "$work/out" "$vmm" "${boot[@]}" --mem 64 \
          --disk "$disk" "${vmm_args[@]}")
    seen[${end// /-}]=$((${seen[${end// /-}]:-0} + 1))
    if [[ $end == "exit 6" ]]; then     # which operation vmm does not implement
        local what
        what=$(grep -m1 -o 'vmm: unsupported: .*' "$work/out" | sed 's/^vmm: unsupported: //')
        unsupported[$what]=$((${unsupported[$what]:-0} + 1))
    fi
    case $end in
    "exit 0"|"exit 4"|"exit 6"|"exit 8"|timeout) ;;
    "exit 12") [[ " ${vmm_args[*]} " == *" --ring0=direct "* ]] || why="vmm exit 12 (an escape, translated)" ;;
    "exit "*) (( ${end#exit } % 2 == 1 )) || why="vmm $end" ;;
    *) why="vmm ended by $end" ;;
    esac
    kill -0 "$marker" 2>/dev/null || why="${why:+$why; }the marker process is gone"
    [[ $(sha256sum < "$canary") == "$canary_sum" ]] || why="${why:+$why; }the canary file changed"
    [[ $(stat -c %s "$disk") == 1048576 ]] || why="${why:+$why; }the disk image changed size"
    [[ -z $why ]] && return 0
    mkdir -p "$out"
    local keep=$out/fail-$(date +%s)-$runs
    cp "$in" "$keep"
    cp "$work/out" "$keep.out"
    echo "ring0.sh: FAILED ($why) on input $keep (${in##*/}); last lines of vmm:"
    tail -15 "$work/out"
    if [[ -n $bios ]]; then
        cp "$work/bios.img" "$keep.img"
        echo "repeat: $vmm --bios $keep.img --display none --vga-dump --mem 64 --disk DISK"
    else
        echo "repeat: $vmm --kernel $guest --initrd $keep --mem 64 --disk DISK"
    fi
    return 1
}

summary() {
    local k s=
    for k in $(printf '%s\n' "${!seen[@]}" | sort); do s+=" $k:${seen[$k]}"; done
    echo "ring0.sh: $runs inputs, ends (how:count)$s; marker alive, canary and disk unchanged"
    for k in "${!unsupported[@]}"; do
        printf '  stopped as unsupported %4d x  %s\n' "${unsupported[$k]}" "$k"
    done | sort -k4,4nr
}

if [[ -n $replay ]]; then
    for in in "$replay"/*; do
        [[ -f $in ]] || continue
        runs=$((runs + 1))
        one "$in" || exit 1
    done
    summary
    exit 0
fi

end=$((SECONDS + secs))
while ((SECONDS < end)); do
    len=$((1 + (RANDOM * 32768 + RANDOM) % maxlen))
    head -c "$len" /dev/urandom > "$work/in"
    runs=$((runs + 1))
    one "$work/in" || exit 1
done
summary
