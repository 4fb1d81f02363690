#!/usr/bin/env bash
# setup.sh - prepare a Debian machine, build the monitor, fetch the Debian
# guests, boot Debian's i386 Linux to a shell.
#
#   ./setup.sh             install what is missing, build into build/, fetch
#                          the Debian guests into guest-images/, then boot
#                          Linux to an interactive busybox shell on this
#                          terminal (leave with 'poweroff -f' or Ctrl-A x)
#   ./setup.sh --no-boot   the same without the boot (used by .ci/run)
#
# Only packages that are not installed yet are installed, and guest images
# already in guest-images/ are not fetched again, so on a ready machine this
# needs no network and no root.  When something must be installed and we
# are not root, apt-get runs through sudo.  When the guests cannot be
# fetched (no package archive reachable) setup warns and goes on: the Linux
# tests then report themselves as skipped, and the boot falls back to the
# project's own demo guest.
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${VMM_BUILD_DIR:-build}
PACKAGES=(build-essential cmake pkg-config libzydis-dev libcapstone-dev
          libelf-dev libcriterion-dev gcc-multilib nasm binutils gdb e2fsprogs
          qemu-user qemu-user-static debootstrap python3 qemu-system-x86 gnuplot-nox
          seabios grub-pc-bin xorriso mtools isolinux syslinux-common)

boot=1
for arg in "$@"; do
    case $arg in
    --no-boot) boot=0 ;;
    -h|--help) sed -n "2,17p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

say() { printf '==> %s\n' "$*"; }
die() { printf 'setup.sh: %s\n' "$*" >&2; exit 1; }

# ---- 1. packages -----------------------------------------------------------
command -v dpkg-query >/dev/null || die "this script needs a Debian-based system (dpkg-query not found)"

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    say "all build dependencies are installed"
else
    say "installing missing packages: ${missing[*]}"
    if ((EUID == 0)); then
        sudo=()
    elif command -v sudo >/dev/null; then
        sudo=(sudo)
    else
        die "not root and sudo is not available: run as root, or install: ${missing[*]}"
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

# ---- 2. the Debian guests -------------------------------------------------
# Before the build, so that the initramfs is part of it.  A second run finds
# everything in guest-images/ and downloads nothing.
guest_ok=1
say "fetching the Debian guests (Linux kernel, busybox, memtest86+) into guest-images/"
if ! tests/guests/fetch-debian-guest.sh; then
    guest_ok=0
    printf '\nsetup.sh: WARNING: the Debian guest images could not all be fetched (is the package\n' >&2
    printf 'setup.sh: WARNING: archive reachable?).  The tests that need them (ctest -L linux) will\n' >&2
    printf 'setup.sh: WARNING: report SKIPPED; run tests/guests/fetch-debian-guest.sh again later.\n\n' >&2
fi

# The nested-KVM machine (ctest -L kvm; tests/kvm/nested.sh): Debian's amd64
# kernel with its kvm modules and busybox, into guest-images/kvm-l1/.
say "fetching the nested-KVM machine (amd64 kernel, kvm modules, busybox) into guest-images/kvm-l1/"
if ! tests/kvm/fetch-l1.sh; then
    printf '\nsetup.sh: WARNING: guest-images/kvm-l1 could not be fetched: the tests that need it\n' >&2
    printf 'setup.sh: WARNING: (ctest -L kvm) will report SKIPPED; run tests/kvm/fetch-l1.sh again later.\n\n' >&2
fi

# The Debian system guest (debootstrap'ed bookworm with systemd, gcc,
# python3, sqlite3; linux.debian_system boots it): several minutes and about
# 250 MB of downloads the first time, nothing afterwards.
say "building the Debian system guest into guest-images/debian-system/"
if ! tests/guests/build-debian-system.sh; then
    printf '\nsetup.sh: WARNING: the Debian system guest could not be built (see above).  The tests\n' >&2
    printf 'setup.sh: WARNING: that boot it will report SKIPPED; run\n' >&2
    printf 'setup.sh: WARNING: tests/guests/build-debian-system.sh again later.\n\n' >&2
fi

# ---- 3. build --------------------------------------------------------------
say "configuring and building into $BUILD_DIR/"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD_DIR" -j"$(nproc)"

kernel=guest-images/vmlinuz
initramfs=$BUILD_DIR/tests/linux/initramfs.cpio
linux_ready=0
if [[ -s $kernel && -x guest-images/busybox ]]; then
    cmake --build "$BUILD_DIR" --target initramfs
    [[ -s $initramfs ]] && linux_ready=1
fi

if ((!boot)); then
    say "build done (--no-boot: not booting a guest)"
    exit 0
fi

# ---- 4. boot Linux to a shell ------------------------------------------------
if ((linux_ready)); then
    cmd=("$BUILD_DIR/vmm" --kernel "$kernel" --initrd "$initramfs" --append console=ttyS0)
    say "booting Debian's i386 Linux under vmm: ${cmd[*]}"
    say "the kernel's messages scroll by for some seconds (ring-0 code is being"
    say "translated), then a busybox shell prompt appears: try 'uname -a',"
    say "'cat /proc/cpuinfo', 'ls /proc'.  Leave with 'poweroff -f' (or 'exit'),"
    say "or press Ctrl-A then x at any moment."
    set +e
    "${cmd[@]}"
    status=$?
    set -e
    if ((status == 0)); then
        say "the guest powered off (vmm exit status 0)"
        exit 0
    fi
    die "the Linux guest ended with vmm exit status $status (see docs/usage.md, docs/linux-guest.md)"
fi

# ---- 4'. no Linux: the demo guest -------------------------------------------
# The demo ends by writing 0 to the debug-exit port: vmm exits with (0<<1)|1.
if ((!guest_ok)); then
    why="the Debian guest images could not be fetched (see the warning above)"
else
    why="$initramfs was not built"
fi
demo=$BUILD_DIR/tests/guests/demo.elf
say "not booting Linux: $why"
say "booting the project's demo guest instead: $BUILD_DIR/vmm --kernel $demo"
set +e
"$BUILD_DIR/vmm" --kernel "$demo"
status=$?
set -e
if ((status == 1)); then
    say "the demo guest ran and passed (vmm exit status 1 = debug-exit value 0)"
else
    die "the demo guest failed: vmm exit status $status (see docs/testing.md)"
fi
