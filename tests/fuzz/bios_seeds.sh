#!/usr/bin/env bash
# tests/fuzz/bios_seeds.sh - assemble the hand-made inputs of
# tests/fuzz/ring0.sh --bios (bios_seeds.asm says what each does) into
# tests/fuzz/bios/, with the same pseudo-random bytes after each seed's code
# every time (Python's random with seed 1).  Needs nasm (setup.sh installs it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for seed in v86 a20 crtc x87_mf; do
    nasm -f bin -D "SEED_${seed^^}" -o "$tmp/$seed" "$here/bios_seeds.asm"
    python3 - "$tmp/$seed" "$here/bios/$seed" <<'PY'
import random, sys
img = bytearray(open(sys.argv[1], "rb").read())
start, end = 1024, len(img) - 16     # RANDOM and the reset vector (bios_seeds.asm)
rng = random.Random(1)
img[start:end] = bytes(rng.randrange(256) for _ in range(end - start))
open(sys.argv[2], "wb").write(bytes(img))
PY
done
ls -l "$here/bios"
