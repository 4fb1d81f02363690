#!/usr/bin/env bash
# vmm-in-l1.sh - stand in for vmm, running `vmm --accel kvm ARGS...` inside
# the nested-KVM machine L1 (nested.sh), e.g. as tests/linux/boot-test.sh's
# --vmm (ctest kvm.linux_boot).
#
#   [VMM=PATH] tests/kvm/vmm-in-l1.sh VMM-ARGS...
#   tests/kvm/vmm-in-l1.sh --check
#
# Why: this host's /dev/kvm cannot run 32-bit guests, so the tests that run
# vmm get its KVM engine through this: VMM (default ${BUILD_DIR:-build}/vmm)
# is /bin/vmm in L1; the files of --kernel, --initrd and --symbols go to L1
# at their absolute host paths; --disk IMG[,ro] (one) is L1's /dev/vda
# (nested.sh --disk: what the guest writes is in IMG when this returns).
# stdout carries vmm's stdout (the guest's serial console) as it comes, with
# the CRs before LF off (L1's tty adds one to the guest's CR LF); stderr the
# rest: nested.sh's and L1's lines, then vmm's stderr (kept in L1 until vmm
# ends, so that it cannot split the guest's lines).  Exit status: vmm's in
# L1, else nested.sh's (1: L1 failed; 77: L1 cannot run here).  --check:
# only that 77 (with the reason) or 0, booting nothing.  A signal to the
# process group (timeout(1)) ends qemu too.  VMM_IN_L1_TIMEOUT: nested.sh's
# --timeout (default 3600 s: the caller's timeout is the one meant to act).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vmm=${VMM:-${BUILD_DIR:-$here/../../build}/vmm}

die() { echo "vmm-in-l1.sh: $*" >&2; exit 1; }
[[ ${1:-} != --check ]] || exec "$here/nested.sh" --check --disk /dev/null
abs() { if [[ $1 == /* ]]; then echo "$1"; else echo "$PWD/$1"; fi; }

args=(--accel kvm) files=(--file "$vmm:/bin/vmm") disk=()
while (($#)); do
    a=$1; shift
    [[ $a == --*=* ]] && set -- "${a#*=}" "$@" && a=${a%%=*}
    case $a in
    --kernel | --initrd | --symbols | --disk)
        (($#)) || die "$a needs a value"
        v=$1; shift ;;&
    --kernel | --initrd | --symbols)
        f=$(abs "$v"); files+=(--file "$f:$f"); args+=("$a" "$f") ;;
    --disk)
        ((${#disk[@]} == 0)) || die "one --disk only"
        disk=(--disk "$(abs "${v%,ro}")"); args+=(--disk "/dev/vda${v#"${v%,ro}"}") ;;
    *) args+=("$a") ;;
    esac
done

# The filter sends vmm's lines to stdout, the rest to stderr; it ends with
# status 0, so that the pipeline's is nested.sh's (pipefail).
# In L1: printk quiet (no kernel lines in the guest's), vmm's stdin as
# boot-test.sh gives it, sync (the disk), then the marker and vmm's stderr.
# shellcheck disable=SC2016  # expanded by sh in L1
l1cmd='dmesg -n 1; vmm "$@" </dev/null 2>/tmp/vmm.err; s=$?; sync; echo "@@ vmm-in-l1 stderr"; cat /tmp/vmm.err; exit $s'
"$here/nested.sh" --timeout "${VMM_IN_L1_TIMEOUT:-3600}" "${files[@]}" ${disk[@]+"${disk[@]}"} \
    -- sh -c "$l1cmd" sh "${args[@]}" |
    {
        state=before
        while IFS= read -r line; do
            while [[ $line == *$'\r' ]]; do line=${line%$'\r'}; done
            case $state in
            before) printf '%s\n' "$line" >&2
                    if [[ $line == "l1: /dev/kvm present; running: "* ]]; then state=vmm; fi ;;
            vmm) if [[ $line == *"@@ vmm-in-l1 stderr" ]]; then
                     line=${line%"@@ vmm-in-l1 stderr"}
                     [[ -z $line ]] || printf '%s\n' "$line"
                     state=after
                 else
                     printf '%s\n' "$line"
                 fi ;;
            after) printf '%s\n' "$line" >&2 ;;
            esac
        done
    }
