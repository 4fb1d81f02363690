#!/usr/bin/env bash
# check-doc-table.sh HOST_ESCAPE DOC - the table between the markers
# <!-- sandbox-table --> and <!-- /sandbox-table --> of DOC must be what
# `HOST_ESCAPE --table` prints from cpu/sandbox_table.c.
set -euo pipefail
bin=$1 doc=$2
want=$("$bin" --table)
have=$(sed -n '/<!-- sandbox-table -->/,/<!-- \/sandbox-table -->/p' "$doc" | sed '1d;$d')
if [[ "$want" != "$have" ]]; then
    echo "$doc's sandbox table differs from cpu/sandbox_table.c; regenerate it with:"
    echo "  $bin --table"
    diff <(echo "$have") <(echo "$want") || true
    exit 1
fi
echo "the table of $doc is cpu/sandbox_table.c's"
