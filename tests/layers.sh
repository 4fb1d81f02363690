#!/usr/bin/env bash
# layers.sh SRC - the direction of dependencies: cpu/, bt/, shadow_mmu/ and
# devices/ lie below monitor/ and include none of its headers, except the
# pairs tests/layers-allowed.txt still lists (the debt being paid off).  A
# new include of monitor/ from below fails, and so does a listed pair that
# is gone (remove its line: the list only shrinks).
set -euo pipefail
src=$1
cd "$src"
allowed=$(grep -v '^#' tests/layers-allowed.txt | sort)
found=$(grep -o '#include "monitor/[a-z_]*\.h"' cpu/*.[ch] bt/*.[ch] shadow_mmu/*.[ch] devices/*.[ch] |
        sed 's/:#include "/ /; s/"$//' | sort || true)
new=$(comm -13 <(echo "$allowed") <(echo "$found"))
gone=$(comm -23 <(echo "$allowed") <(echo "$found"))
status=0
if [[ -n $new ]]; then
    echo "FAIL: a lower layer includes monitor/ (give it what it needs from below instead):"
    echo "$new" | sed 's/^/  /'
    status=1
fi
if [[ -n $gone ]]; then
    echo "FAIL: tests/layers-allowed.txt lists includes that are gone (delete these lines):"
    echo "$gone" | sed 's/^/  /'
    status=1
fi
((status)) || echo "layers: $(echo "$found" | grep -c .) includes of monitor/ from below, all listed; none new"
exit $status
