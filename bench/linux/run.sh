#!/bin/bash
# bench/linux/run.sh [--pae] [RUNS] - Debian's i386 Linux under vmm and under
# qemu-system-i386 TCG, and the same i386 busybox run natively on the host
# side by side in one run.
#
#   bench/linux/run.sh               # 3 runs of each side, build dir ./build
#   bench/linux/run.sh 5
#   bench/linux/run.sh --pae 3       # the 686-pae flavour instead (PAE + NX)
#   BUILD_DIR=/path/to/build bench/linux/run.sh
#
# Both monitors boot guest-images/vmlinuz (with --pae vmlinuz-pae, Debian's
# default i386 flavour, which turns on PAE paging with NX and, on a CPU
# model without the Meltdown fix, page-table isolation) with the same initramfs (the
# tests' one, tests/linux/initramfs.list, with bench/linux/init as /init and
# bench/linux/work.sh as /work.sh), 128 MiB and the command line
# "console=ttyS0" and nothing else.  Measured, best of RUNS:
#  - boot: from starting the monitor to the line "@@ init" that /init prints
#    once user space runs (where the interactive init starts its shell);
#  - total: to the monitor's exit after `poweroff -f`;
#  - forkexec: 500 x fork + execve + wait of /bin/true by busybox sh;
#  - sha256: `yes | dd` 64 MiB through a pipe into busybox sha256sum (the
#    digest is checked against the host's).
# The two programs are timed by the arrival of their start/end lines on the
# host clock (bash's EPOCHREALTIME, as each line comes out of the serial
# port or the native pipe); the guest's own /proc/uptime (10 ms steps) is
# printed alongside as a cross-check of the guest clock.  Natively, the same
# work.sh runs under the same i386 static busybox (a directory of links to
# it stands for /bin).  Without qemu-system-i386 its column says "skipped"
# (Debian package qemu-system-x86).  The qemu-kvm column is the same guest
# under hardware-assisted virtualization (qemu-system-i386 -accel kvm), for
# comparing binary translation with VT-x/AMD-V: it runs only when /dev/kvm
# is usable (a probe boots this guest under KVM to user space first) and
# otherwise says why it is skipped; a KVM run that fails is reported but
# does not fail the benchmark (it is a reference, not the product).  Without guest-images/ the whole
# benchmark is skipped with exit status 0 (tests/guests/fetch-debian-guest.sh
# fetches it).  Exit status 1 when a side fails (its output tail is shown).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
kernel=$root/guest-images/vmlinuz
if [[ ${1:-} == --pae ]]; then
    kernel=$root/guest-images/vmlinuz-pae
    shift
fi
runs=${1:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [--pae] [RUNS]" >&2; exit 2; }

busybox=$root/guest-images/busybox
for f in "$kernel" "$busybox"; do
    if [[ ! -s $f ]]; then
        echo "linux: skipped: $f is missing (run tests/guests/fetch-debian-guest.sh)"
        exit 0
    fi
done

vmm=$build/vmm
mkinitramfs=$build/tests/linux/mkinitramfs
list=$build/tests/linux/initramfs.list
if [[ ! -x $vmm || ! -x $mkinitramfs || ! -f $list || ${REBUILD:-0} == 1 ]]; then
    echo "building vmm and mkinitramfs in $build ..." >&2
    { cmake -S "$root" -B "$build" && cmake --build "$build" -j2 --target vmm mkinitramfs
    } >/dev/null || { echo "linux: build failed" >&2; exit 1; }
fi
qemu=$(command -v qemu-system-i386 || true)


tmp=$(mktemp -d /tmp/vmm-bench-linux.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The initramfs: the tests' list with our /init and /work.sh.
awk -v init="$here/init" -v work="$here/work.sh" '
    $1 == "file" && $2 == "/init" { print "file /init " init " 0755"; print "file /work.sh " work " 0755"; next }
    { print }' "$list" >"$tmp/list"
"$mkinitramfs" "$tmp/list" "$tmp/initramfs.cpio" || exit 1

# Natively: the same busybox, its applets as links in one directory.
mkdir "$tmp/bin"
for a in sh true yes dd sha256sum; do ln -s "$busybox" "$tmp/bin/$a"; done
want=$(yes 'vmm sha256 pipe 0123456789abcdef' | head -c $((64 << 20)) | sha256sum | cut -d' ' -f1)

append="console=ttyS0"
vmm_cmd=("$vmm" --kernel "$kernel" --initrd "$tmp/initramfs.cpio" --mem 128 --append "$append")
# The same with guest ring 3 translated instead of run directly: the cost
# of translating user code, side by side (on a host that runs no 32-bit
# user code both columns are translated).
tr3_cmd=("${vmm_cmd[@]}" --translate-ring3)
qemu_cmd=("$qemu" -accel tcg -m 128 -nic none -display none -serial stdio -monitor none
          -no-reboot -kernel "$kernel" -initrd "$tmp/initramfs.cpio" -append "$append")
# Hardware-assisted virtualization on the same guest, when this machine has
# it: the probe boots this guest under KVM to user space and straight off
# ("vmmbench=boot"); a nested or broken KVM can stop the guest with an
# internal error and leave QEMU waiting, hence the timeouts.
kvm_why=
if [[ -z $qemu ]]; then
    kvm_why="no qemu-system-i386"
elif [[ ! -e /dev/kvm ]]; then
    kvm_why="no /dev/kvm (no VT-x/AMD-V here)"
elif [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
    kvm_why="/dev/kvm is not accessible"
else
    echo "probing KVM (qemu-system-i386 -accel kvm, up to 60 s) ..." >&2
    probe=$(timeout 60 "$qemu" -accel kvm -m 128 -nic none -display none -serial stdio -monitor none \
            -no-reboot -kernel "$kernel" -initrd "$tmp/initramfs.cpio" -append "$append vmmbench=boot" \
            </dev/null 2>&1)
    st=$?
    if [[ $st != 0 || $probe != *"@@ init"* ]]; then
        why=$(grep -m1 -E "KVM internal error|Could not access KVM|failed to initialize" <<<"$probe")
        kvm_why="KVM did not boot the guest (qemu exit status $st${why:+: $why})"
    fi
fi
kvm_cmd=("$qemu" -accel kvm -m 128 -nic none -display none -serial stdio -monitor none
         -no-reboot -kernel "$kernel" -initrd "$tmp/initramfs.cpio" -append "$append")
native_cmd=(env "PATH=$tmp/bin" "$tmp/bin/sh" "$here/work.sh" "$tmp/bin")
# vmm's own second engine on the same guest (--accel kvm, docs/bt-vs-vt.md),
# where vmm's probe finds a /dev/kvm that runs 32-bit guests.
vkvm_cmd=("${vmm_cmd[@]}" --accel kvm)
vkvm_why=$("$root/bench/kvm-why.sh" "$vmm")

# Each output line prefixed with the host time it arrived at.
stamp() {
    local line
    while IFS= read -r line; do
        printf '%s %s\n' "$EPOCHREALTIME" "${line%$'\r'}"
    done
}

failed=0
# run SIDE CMD... : one run; one result line "SIDE boot total fe fe_up sha sha_up"
# (seconds, "-" where it does not apply) appended to $tmp/results.
run() {
    local side=$1 start end st
    shift
    start=$EPOCHREALTIME
    timeout "${KVM_TIMEOUT:-900}" "$@" </dev/null 2>"$tmp/err" | stamp >"$tmp/out"
    st=${PIPESTATUS[0]}
    end=$EPOCHREALTIME
    if ((st != 0)) || ! grep -q '@@ sha256 end' "$tmp/out"; then
        {
            echo "$side FAILED (exit status $st): $*"
            tail -n 8 "$tmp/out" | sed 's/^/    out: /'
            tail -n 8 "$tmp/err" | sed 's/^/    err: /'
        } >>"$tmp/failures"
        [[ $side == kvm ]] || failed=1
        return 1
    fi
    awk -v side="$side" -v start="$start" -v end="$end" -v want="$want" '
        $2 == "@@" && $3 == "init" { init = $1 }
        $2 == "@@" && $4 == "start" { t0[$3] = $1; u0[$3] = $5 }
        $2 == "@@" && $4 == "end" { t1[$3] = $1; u1[$3] = $5; res[$3] = $6 }
        END {
            if (res["forkexec"] != 500) { print side ": forkexec ran " res["forkexec"] " times" > "/dev/stderr"; exit 1 }
            if (res["sha256"] != want) { print side ": sha256 " res["sha256"] ", host " want > "/dev/stderr"; exit 1 }
            printf "%s %s %.3f %.3f %.2f %.3f %.2f\n", side,
                   init ? sprintf("%.3f", init - start) : "-", end - start,
                   t1["forkexec"] - t0["forkexec"], u1["forkexec"] - u0["forkexec"],
                   t1["sha256"] - t0["sha256"], u1["sha256"] - u0["sha256"]
        }' "$tmp/out" >>"$tmp/results" 2>>"$tmp/failures" || { [[ $side == kvm ]] || failed=1; return 1; }
}

echo "runs: $runs of each side, interleaved; best time kept" >&2
n=1 v=1 t=1 q=0
# The native side is i386 busybox: a host that runs no 32-bit user code
# (vmm --host-info, docs/host.md) has no native column.
if "$build/vmm" --host-info 2>/dev/null | grep -q '^32-bit user code.*refused'; then
    n=0
    echo "native: skipped: this host runs no 32-bit user code (vmm --host-info); vmm translates guest ring 3 here" >&2
fi
[[ -n $qemu ]] && q=1
k=0 vk=0
[[ -z $kvm_why ]] && k=1
[[ -z $vkvm_why ]] && vk=1
for i in $(seq "$runs"); do
    echo "  run $i: native ..." >&2
    ((n)) && { run native "${native_cmd[@]}" || n=0; }
    echo "  run $i: vmm ..." >&2
    ((v)) && { run vmm "${vmm_cmd[@]}" || v=0; }
    echo "  run $i: vmm --translate-ring3 ..." >&2
    ((t)) && { run tr3 "${tr3_cmd[@]}" || t=0; }
    ((vk)) && echo "  run $i: vmm --accel kvm ..." >&2
    ((vk)) && { run vkvm "${vkvm_cmd[@]}" || vk=0; }
    ((q)) && echo "  run $i: qemu-tcg ..." >&2
    ((q)) && { run qemu "${qemu_cmd[@]}" || q=0; }
    ((k)) && echo "  run $i: qemu-kvm ..." >&2
    ((k)) && { KVM_TIMEOUT=300 run kvm "${kvm_cmd[@]}" || { k=0; kvm_why="KVM failed to run the programs (see below)"; }; }
done

echo "== Debian i386 Linux ($(basename "$kernel")): seconds (best of $runs; guest /proc/uptime in brackets) =="
awk -v hasqemu="${qemu:+1}" -v haskvm="${kvm_why:-1}" -v hasvkvm="${vkvm_why:-1}" '
    function min(k, v) { if (!(k in best) || v < best[k]) best[k] = v }
    {
        side = $1
        if ($2 != "-") min(side ",boot", $2)
        min(side ",total", $3)
        min(side ",fe", $4); min(side ",feu", $5)
        min(side ",sha", $6); min(side ",shau", $7)
    }
    function cell(side, k, up) {
        if (!((side "," k) in best))
            return sprintf("%18s", (side == "qemu" && !hasqemu) || (side == "kvm" && haskvm != "1") ||
                                   (side == "vkvm" && hasvkvm != "1") ? "skipped" : "-")
        if (up != "" && ((side "," up) in best))
            return sprintf("%9.3f [%6.2f]", best[side "," k], best[side "," up])
        return sprintf("%18.3f", best[side "," k])
    }
    function ratio(a, b, k) {
        return ((a "," k) in best && (b "," k) in best) ? sprintf("%.2f", best[a "," k] / best[b "," k]) : "-"
    }
    function row(name, k, up, r, tgt) {
        printf "%-22s %s %s %s %s %s %s  %-18s %s\n", name, cell("native", k, up), cell("vmm", k, up),
               cell("tr3", k, up), cell("qemu", k, up), cell("kvm", k, up), cell("vkvm", k, up), r, tgt
    }
    END {
        printf "%-22s %18s %18s %18s %18s %18s %18s  %-18s %s\n", "item", "native", "vmm", "vmm-tr3", "qemu-tcg",
               "qemu-kvm", "vmm-kvm", "ratio", "target"
        row("boot_to_init", "boot", "", "qemu/vmm " ratio("qemu", "vmm", "boot"), "> 1 (faster than QEMU)")
        row("boot_run_poweroff", "total", "", "qemu/vmm " ratio("qemu", "vmm", "total"), "-")
        row("forkexec_500", "fe", "feu", "qemu/vmm " ratio("qemu", "vmm", "fe"), ">= 1 (no slower than QEMU)")
        row("sha256_64MiB", "sha", "shau", "native/vmm " ratio("native", "vmm", "sha"), ">= 0.8")
        printf "also: forkexec native/vmm %s, native/qemu %s; sha256 native/qemu %s, qemu/vmm %s\n",
               ratio("native", "vmm", "fe"), ratio("native", "qemu", "fe"),
               ratio("native", "qemu", "sha"), ratio("qemu", "vmm", "sha")
        printf "ring 3 translated (vmm-tr3) over direct (vmm): boot %s, forkexec %s, sha256 %s (target: >= 1)\n",
               ratio("tr3", "vmm", "boot"), ratio("tr3", "vmm", "fe"), ratio("tr3", "vmm", "sha")
        if (haskvm == "1")
            printf "hardware-assisted (KVM) over vmm: boot %s, forkexec %s, sha256 %s\n",
                   ratio("kvm", "vmm", "boot"), ratio("kvm", "vmm", "fe"), ratio("kvm", "vmm", "sha")
        if (hasvkvm == "1")
            printf "vmm --accel kvm over vmm: boot %s, forkexec %s, sha256 %s\n",
                   ratio("vkvm", "vmm", "boot"), ratio("vkvm", "vmm", "fe"), ratio("vkvm", "vmm", "sha")
    }' "$tmp/results"

echo
echo "commands (from $root; INITRAMFS = the tests' initramfs with bench/linux/init and work.sh):"
echo "  native: PATH=BIN BIN/sh bench/linux/work.sh BIN   (BIN: links to guest-images/busybox)"
echo "  vmm:    ${vmm_cmd[*]}" | sed "s|$tmp/initramfs.cpio|INITRAMFS|; s|$root/||g"
echo "  vmm-tr3: the same with --translate-ring3"
if [[ -n $qemu ]]; then
    echo "  qemu:   ${qemu_cmd[*]}" | sed "s|$tmp/initramfs.cpio|INITRAMFS|; s|$root/||g"
else
    echo "  qemu-system-i386: skipped (install qemu-system-x86)"
fi
if [[ -z $vkvm_why ]]; then
    echo "  vmm-kvm: the vmm command with --accel kvm"
else
    echo "  vmm-kvm: skipped: $vkvm_why"
fi
if [[ -z $kvm_why ]]; then
    echo "  kvm:    ${kvm_cmd[*]}" | sed "s|$tmp/initramfs.cpio|INITRAMFS|; s|$root/||g"
else
    echo "  qemu-kvm: skipped: $kvm_why"
fi
if [[ -s $tmp/failures ]]; then
    echo
    echo "failures:"
    cat "$tmp/failures"
fi
exit $failed
