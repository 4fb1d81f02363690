#!/bin/bash
# input_files.sh VMM GUEST: every input-file option of vmm (--kernel, --initrd,
# --symbols, --disk, --bios) refuses a FIFO and a character device (/dev/zero) with
# exit status 2 and a one-line message naming the file, within a time limit:
# a FIFO would otherwise block the open until a writer comes, and /dev/zero
# never ends.  A plain file given to the same option is accepted (the guest
# runs), so the refusal is about the kind of file.
# The output file of --bios-log is refused when it is a directory or a FIFO
# with no reader (at once: the open does not wait).
set -uo pipefail

vmm=$1 guest=$2
LIMIT=10        # seconds; each refusal takes milliseconds
fail() { echo "FAILED: $*"; exit 1; }

dir=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/fifo" || fail "mkfifo"
[[ -c /dev/zero ]] || fail "/dev/zero is not a character device here"

# args OPTION FILE: the vmm arguments that give FILE to OPTION.
args() {
    case $1 in
    kernel) echo --kernel "$2" ;;
    bios) echo --bios "$2" ;;
    *) echo --kernel "$guest" --"$1" "$2" ;;
    esac
}

refused() {
    local opt=$1 file=$2 out st lines
    # shellcheck disable=SC2046
    out=$(timeout "$LIMIT" "$vmm" $(args "$opt" "$file") 2>&1 </dev/null); st=$?
    echo "--- --$opt $file -> status $st: $out"
    ((st != 124)) || fail "--$opt $file: vmm hung (killed after $LIMIT s)"
    ((st == 2)) || fail "--$opt $file: status $st, want 2"
    lines=$(printf '%s\n' "$out" | wc -l)
    ((lines == 1)) || fail "--$opt $file: $lines lines of message, want one"
    [[ $out == *"--$opt $file"* ]] || fail "--$opt $file: the message does not name the option and file"
    [[ $out == *"not a regular file"* ]] || fail "--$opt $file: the message does not say why"
}

for opt in kernel initrd symbols disk bios; do
    refused "$opt" "$dir/fifo"
    refused "$opt" /dev/zero
done

# --bios: a missing file or one of a size no firmware has is refused too,
# naming the file; so is --bios with a kernel that is not Linux's (only a
# bzImage is handed to the firmware) and --initrd with --bios but no kernel.
bios_refused() {
    local why=$1 out st
    shift
    out=$(timeout "$LIMIT" "$vmm" "$@" 2>&1 </dev/null); st=$?
    echo "--- $* -> status $st: $out"
    ((st == 2)) || fail "$*: status $st, want 2"
    [[ $out == *"$why"* ]] || fail "$*: the message does not say '$why'"
}
head -c 1000 /dev/zero >"$dir/small.bin"
head -c 327680 /dev/zero >"$dir/big.bin"
bios_refused "$dir/missing.bin: cannot open" --bios "$dir/missing.bin"
bios_refused "$dir/small.bin: firmware image of 1000 bytes" --bios "$dir/small.bin"
bios_refused "$dir/big.bin: firmware image of 327680 bytes" --bios "$dir/big.bin"
bios_refused "--bios with a Multiboot or ELF kernel" --bios "$dir/big.bin" --kernel "$guest"
bios_refused "--initrd needs --kernel" --bios "$dir/big.bin" --initrd "$dir/big.bin"

# --bios-log is written, not read: a directory is refused naming it, and a
# FIFO with no reader at once (the open is non-blocking), not waited for.
bios_refused "--bios-log $dir: Is a directory" --kernel "$guest" --bios-log "$dir"
bios_refused "--bios-log $dir/fifo: a FIFO with no reader" --kernel "$guest" --bios-log "$dir/fifo"

# The same options accept plain files: the guest runs and passes.
head -c 4096 /dev/zero >"$dir/disk.img"
echo "module" >"$dir/initrd.txt"
out=$(timeout 60 "$vmm" --kernel "$guest" --initrd "$dir/initrd.txt" --symbols "$guest" \
      --disk "$dir/disk.img" 2>&1 </dev/null); st=$?
((st == 1)) && [[ $out == *PASS* ]] || { echo "$out"; fail "regular files: status $st, want the guest's PASS (1)"; }
echo "FIFOs and devices refused on every file option; regular files accepted"
