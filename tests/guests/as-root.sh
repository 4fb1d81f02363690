# as-root.sh - sourced by the scripts that fetch or build guest images:
# sets the array `sudo` to the prefix that runs a command as root (empty
# when we are root, `sudo` otherwise; calls `die` when neither works) and
# makes apt and dpkg ask no questions.
if ((EUID == 0)); then
    sudo=()
elif command -v sudo >/dev/null; then
    sudo=(sudo)
else
    die "not root and sudo is not available"
fi
export DEBIAN_FRONTEND=noninteractive
