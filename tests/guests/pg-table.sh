#!/usr/bin/env bash
# pg-table.sh - the teaching kernel (pg_teach.c) under both ways of running
# guest ring 0, side by side: the binary translator (--ring0=translate) and
# the trap-and-emulate monitor (--ring0=direct), with what a CPU at CPL 0
# gives and what vmm's silent-instruction report says of each site.
#
#   pg-table.sh [--check] VMM PG_TEACH_ELF
#
# --check (ctest guest.pg_table): fail unless the translator matches the
# CPU on every row and reports nothing silent, and --ring0=direct differs
# on every instruction the host runs without a trap, with a "silent" line
# in its report for each, whose values are the ones the kernel printed.
set -uo pipefail

check=0
if [[ ${1:-} == --check ]]; then check=1; shift; fi
if (($# != 2)); then
    echo "usage: $0 [--check] VMM PG_TEACH_ELF" >&2
    exit 2
fi
vmm=$1 elf=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

timeout 60 "$vmm" --kernel "$elf" --pg-report "$tmp/bt.report" >"$tmp/bt.out" 2>&1
bt_status=$?
timeout 120 "$vmm" --ring0=direct --kernel "$elf" --pg-report "$tmp/te.report" \
    >"$tmp/te.out" 2>"$tmp/te.err"
te_status=$?
if ((te_status == 2)) && grep -q 'cannot run 32-bit user code' "$tmp/te.err"; then
    echo "pg-table: skipped: this host runs no 32-bit user code, so --ring0=direct cannot run"
    exit 77
fi

# "pg: NAME | got | want | verdict" -> NAME<TAB>got<TAB>want<TAB>verdict
rows() {
    sed -n 's/^pg: \(.*\)$/\1/p' "$1" | grep ' | ' |
        awk -F' [|] ' '{ for (i = 1; i <= NF; i++) gsub(/ +$/, "", $i); print $1 "\t" $2 "\t" $3 "\t" $4 }'
}
rows "$tmp/bt.out" >"$tmp/bt.rows"
rows "$tmp/te.out" >"$tmp/te.rows"

# The report's name for each row, and its line for the kernel's own site.
report_name() {
    case $1 in
    "MOV r,CS") echo "MOV r,Sreg" ;;
    "PUSH DS") echo "PUSH Sreg" ;;
    "POP DS") echo "POP Sreg" ;;
    "MOV FS,r") echo "MOV Sreg,r" ;;
    "CALL CS") echo "CALL far" ;;
    *) echo "$1" ;;
    esac
}
report_line() {     # REPORT NAME: the first line for that instruction in test_main
    grep -E "^(silent|same  |unseen|trap  ) $(report_name "$2" | sed 's/[][().*]/\\&/g') at .* test_main\+" "$1" | head -1
}

printf '%-9s | %-28s | %-28s | %-28s | %s\n' instr "translator" "trap-and-emulate" \
    "a CPU at CPL 0" "vmm's report (trap-and-emulate)"
printf '%s\n' "----------+------------------------------+------------------------------+------------------------------+--------------------------------"
paste "$tmp/bt.rows" "$tmp/te.rows" | while IFS=$'\t' read -r name bt_got want _ _ te_got _ _; do
    line=$(report_line "$tmp/te.report" "$name")
    printf '%-9s | %-28s | %-28s | %-28s | %s\n' "$name" "$bt_got" "$te_got" "$want" "${line%% *}"
done

((check)) || exit 0

fail=0
bad() { echo "pg-table: $*" >&2; fail=1; }
((bt_status == 1)) || bad "translator run ended with status $bt_status (want 1)"
((te_status == 1)) || bad "--ring0=direct run ended with status $te_status (want 1)"
grep -q '^pg: 0 of 21 rows differ' "$tmp/bt.out" || bad "the translator does not match a CPU on every row"
grep -qE '^(silent|unseen)' "$tmp/bt.report" && bad "the translator's report has silent sites"
[[ $(wc -l <"$tmp/te.rows") -eq 21 ]] || bad "--ring0=direct printed $(wc -l <"$tmp/te.rows") rows (want 21)"
while IFS=$'\t' read -r name got want verdict; do
    line=$(report_line "$tmp/te.report" "$name")
    case $name in
    "INT n")        # traps on every host: the monitor emulates it right
        [[ $verdict == ok && $line == trap* ]] || bad "INT n: $verdict, report '$line' (want ok, trap)" ;;
    CPUID)          # traps where the host has CPUID faulting, else silent
        if [[ $verdict == ok ]]; then [[ $line == trap* ]] || bad "CPUID: report '$line' (want trap)"
        else [[ $line == silent* ]] || bad "CPUID differs but the report says '$line'"; fi ;;
    *)
        [[ $verdict == DIFFERS ]] || bad "$name: the naive monitor gave the CPU's answer ($got)"
        [[ $line == silent* ]] || bad "$name: report '$line' (want a silent line)" ;;
    esac
    case $name in
    SGDT | SIDT | SLDT | STR | SMSW)   # the same notation in both
        [[ $line == *"got $got; a CPU at CPL 0 gives $want "* ]] ||
            bad "$name: report '$line' does not show got '$got', want '$want'" ;;
    POPF)
        [[ $line == *"IF stays ${got#IF=}, guest asked for ${want#IF=} "* ]] ||
            bad "POPF: report '$line' does not show IF ${got#IF=} against ${want#IF=}" ;;
    esac
done <"$tmp/te.rows"
if ((fail)); then
    echo "--- translator output"; cat "$tmp/bt.out"
    echo "--- --ring0=direct output"; cat "$tmp/te.out" "$tmp/te.err"
    exit 1
fi
echo "pg-table: ok"
