#!/usr/bin/env python3
"""run-status.py SECONDS OUTFILE COMMAND... - run COMMAND with no input and
its output (stdout and stderr) in OUTFILE, and print how it ended:
"exit N", "signal N" (killed by signal N, which a shell would report as
128 + N, indistinguishable from an exit status), or "timeout" (still
running after SECONDS: killed)."""
import subprocess
import sys

secs, out, cmd = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
with open(out, "wb") as f:
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT)
    try:
        st = p.wait(timeout=secs)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        print("timeout")
        sys.exit(0)
print(f"signal {-st}" if st < 0 else f"exit {st}")
