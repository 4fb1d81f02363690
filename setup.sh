#!/usr/bin/env bash
# setup.sh - prepare a Debian machine, build the monitor, boot the demo guest.
#
#   ./setup.sh             install what is missing, build into build/, boot
#                          the demo guest (a greeting on COM1, then it exits
#                          through the debug-exit port)
#   ./setup.sh --no-boot   the same without the boot (used by .ci/run)
#
# Only packages that are not installed yet are fetched, so on a ready machine
# this needs no network and no root.  When something must be installed and we
# are not root, apt-get runs through sudo.
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${VMM_BUILD_DIR:-build}
PACKAGES=(build-essential cmake pkg-config libzydis-dev libcapstone-dev
          libelf-dev libcriterion-dev gcc-multilib nasm binutils gdb)

boot=1
for arg in "$@"; do
    case $arg in
    --no-boot) boot=0 ;;
    -h|--help) sed -n "2,11p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

# ---- 2. build --------------------------------------------------------------
say "configuring and building into $BUILD_DIR/"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD_DIR" -j"$(nproc)"

((boot)) || { say "build done (--no-boot: not booting the demo guest)"; exit 0; }

# ---- 3. boot the demo guest -------------------------------------------------
# The demo ends by writing 0 to the debug-exit port: vmm exits with (0<<1)|1.
demo=$BUILD_DIR/tests/guests/demo.elf
say "booting the demo guest: $BUILD_DIR/vmm --kernel $demo"
set +e
"$BUILD_DIR/vmm" --kernel "$demo"
status=$?
set -e
if ((status == 1)); then
    say "the demo guest ran and passed (vmm exit status 1 = debug-exit value 0)"
else
    die "the demo guest failed: vmm exit status $status (see docs/testing.md)"
fi
