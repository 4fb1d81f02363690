#!/usr/bin/env bash
# dev_ide.sh - the host side of the IDE test guests (dev_ide.c, dev_reset.c).
#
#   dev_ide.sh make IMAGE [SECTORS]   image whose sector n holds n, zero-padded
#                                     to 511 digits, and a newline (default 2048)
#   dev_ide.sh check IMAGE            after guest.dev_ide: sectors 100, 101 and
#                                     2047 hold n + 500000, the sectors around
#                                     them are untouched, the size is 1 MiB
#   dev_ide.sh boots IMAGE N          after guest.dev_reboot: sector 0 says
#                                     "boots N"
#   dev_ide.sh badinput VMM GUEST     vmm refuses bad --disk images before the
#                                     guest starts: status 2, the file named
set -uo pipefail

sector() { printf '%0511d\n' "$1"; }
read_sector() { dd if="$1" bs=512 skip="$2" count=1 status=none; }
fail() { echo "FAILED: $*"; exit 1; }

make_image() {
    local img=$1 n=${2:-2048} i
    rm -f "$img"
    for ((i = 0; i < n; i++)); do sector "$i"; done >"$img" || fail "cannot write $img"
    echo "made $img: $n sectors"
}

check_image() {
    local img=$1 s want
    [[ -f $img ]] || fail "$img is missing"
    local size; size=$(stat -c %s "$img")
    ((size == 1048576)) || fail "$img is $size bytes, not 1048576 (truncated or extended)"
    for s in 100 101 2047; do
        cmp -s <(read_sector "$img" "$s") <(sector $((s + 500000))) ||
            { od -c <(read_sector "$img" "$s") | tail -3; fail "sector $s does not hold what the guest wrote"; }
    done
    for s in 0 5 99 102 2046; do
        cmp -s <(read_sector "$img" "$s") <(sector "$s") || fail "sector $s was changed"
    done
    echo "$img: the guest's writes are in place, nothing else changed, size $size"
}

check_boots() {
    local img=$1 n=$2 got
    got=$(read_sector "$img" 0 | tr -d '\0' | head -1)
    [[ $got == "boots $n" ]] || fail "sector 0 of $img says '$got', want 'boots $n'"
    echo "$img: $got"
}

# run_bad NAME ARGS...: vmm must exit 2 and name the file in its message.
run_bad() {
    local what=$1 file=$2; shift 2
    local st
    out=$("$@" 2>&1 </dev/null); st=$?
    echo "--- $what: $* -> status $st: $out"
    ((st == 2)) || fail "$what: status $st, want 2"
    [[ $out == *"$file"* ]] || fail "$what: the message does not name $file"
    [[ $out != *PASS* ]] || fail "$what: the guest ran"
}

badinput() {
    local vmm=$1 guest=$2
    dir=$(mktemp -d) || fail "mktemp"
    trap 'chmod -R u+rwx "$dir"; rm -rf "$dir"' EXIT
    chmod 755 "$dir"
    head -c 513 /dev/zero >"$dir/odd.img"
    head -c 1000 /dev/zero >"$dir/k1.img"
    head -c 4096 /dev/zero >"$dir/ro.img" && chmod 444 "$dir/ro.img"
    head -c 4096 /dev/zero >"$dir/noread.img" && chmod 000 "$dir/noread.img"
    : >"$dir/empty.img"
    run_bad "missing" "$dir/none.img" "$vmm" --kernel "$guest" --disk "$dir/none.img"
    run_bad "odd-sized" "$dir/odd.img" "$vmm" --kernel "$guest" --disk "$dir/odd.img"
    run_bad "1000 bytes" "$dir/k1.img" "$vmm" --kernel "$guest" --disk "$dir/k1.img"
    run_bad "empty" "$dir/empty.img" "$vmm" --kernel "$guest" --disk "$dir/empty.img"
    run_bad "directory" "$dir" "$vmm" --kernel "$guest" --disk "$dir"
    run_bad "fifth disk" "$dir/ro.img" "$vmm" --kernel "$guest" --disk a --disk b --disk c \
        --disk d --disk "$dir/ro.img,ro"
    # Root opens any file: the permission cases run as an unprivileged user.
    local as=()
    if ((EUID == 0)); then
        if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
            as=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
        else
            echo "--- read-only and unreadable cases skipped: running as root without setpriv"
            echo "bad --disk images refused"
            return 0
        fi
    fi
    run_bad "read-only without ,ro" "$dir/ro.img" "${as[@]}" "$vmm" --kernel "$guest" --disk "$dir/ro.img"
    [[ $out == *",ro"* ]] || fail "read-only: the message does not suggest ,ro"
    run_bad "unreadable" "$dir/noread.img" "${as[@]}" "$vmm" --kernel "$guest" --disk "$dir/noread.img,ro"
    echo "bad --disk images refused"
}

case ${1:-} in
make) make_image "$2" "${3:-2048}" ;;
check) check_image "$2" ;;
boots) check_boots "$2" "$3" ;;
badinput) badinput "$2" "$3" ;;
*) echo "usage: $0 make IMAGE [SECTORS] | check IMAGE | boots IMAGE N | badinput VMM GUEST" >&2; exit 2 ;;
esac
