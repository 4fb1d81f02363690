#!/usr/bin/env bash
# lab-serial.sh - lab 2's test (docs/labs/serial-backends.md): the guest
# lab_serial through each --serial back end.
#
#   lab-serial.sh VMM LAB_SERIAL_ELF
#
# file:PATH  the guest's output lands in PATH (no input: "no input")
# pipe:PATH  a line written to PATH.in comes back on PATH.out
# unix:PATH,server  a client connects, reads "ready", sends a line, reads the echo
# unix:PATH  vmm connects to a server the test listens on
set -uo pipefail
if (($# != 2)); then
    echo "usage: $0 VMM LAB_SERIAL_ELF" >&2
    exit 2
fi
vmm=$1 elf=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "lab-serial: $*" >&2; fail=1; }

# file:
timeout 30 "$vmm" --kernel "$elf" --serial "file:$tmp/out.txt" </dev/null >"$tmp/stdout" 2>&1
st=$?
((st == 1)) || bad "file: vmm ended with status $st"
grep -q '^lab_serial: ready' "$tmp/out.txt" 2>/dev/null || bad "file: no 'ready' in the file"
grep -q '^lab_serial: no input' "$tmp/out.txt" 2>/dev/null || bad "file: no 'no input' in the file"
grep -q 'lab_serial' "$tmp/stdout" && bad "file: the guest's output went to stdout too"

# The socket and FIFO cases talk to vmm from python3 (standard library only).
python3 - "$vmm" "$elf" "$tmp" <<'PY' || fail=1
import os, socket, subprocess, sys, time
vmm, elf, tmp = sys.argv[1:4]

def read_until(recv, want, limit=30):
    data, end = b"", time.time() + limit
    while want not in data and time.time() < end:
        chunk = recv()
        if chunk:
            data += chunk
        else:
            time.sleep(0.02)
    return data

def check(name, proc, data):
    status = proc.wait(timeout=30)
    ok = status == 1 and b"lab_serial: got hello from " + name.encode() in data
    if not ok:
        print(f"lab-serial: {name}: status {status}, output {data!r}", file=sys.stderr)
    return ok

def converse(name, proc, recv, send):
    """Wait for "ready", send a line, read the echo and the end of the run."""
    data = read_until(recv, b"ready")
    send(f"hello from {name}\n".encode())
    data += read_until(recv, b"got ")
    data += read_until(recv, b"PASS", 5)
    return check(name, proc, data)

good = True

# unix:PATH,server: vmm listens, we connect.
sock = os.path.join(tmp, "con.sock")
p = subprocess.Popen([vmm, "--kernel", elf, "--serial", f"unix:{sock},server"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
end = time.time() + 20
while not os.path.exists(sock) and time.time() < end:
    time.sleep(0.02)
c = socket.socket(socket.AF_UNIX)
c.connect(sock)
c.settimeout(0.2)
def crecv():
    try:
        return c.recv(4096)
    except socket.timeout:
        return b""
good &= converse("server", p, crecv, c.sendall)
c.close()

# unix:PATH: we listen, vmm connects.
sock2 = os.path.join(tmp, "listen.sock")
l = socket.socket(socket.AF_UNIX)
l.bind(sock2)
l.listen(1)
p = subprocess.Popen([vmm, "--kernel", elf, "--serial", f"unix:{sock2}"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
l.settimeout(20)
c, _ = l.accept()
c.settimeout(0.2)
good &= converse("client", p, crecv, c.sendall)
c.close()

# pipe:PATH: PATH.in and PATH.out are FIFOs.
base = os.path.join(tmp, "fifo")
os.mkfifo(base + ".in")
os.mkfifo(base + ".out")
p = subprocess.Popen([vmm, "--kernel", elf, "--serial", f"pipe:{base}"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
out = os.open(base + ".out", os.O_RDONLY | os.O_NONBLOCK)
def precv():
    try:
        return os.read(out, 4096)
    except BlockingIOError:
        return b""
fin = os.open(base + ".in", os.O_RDWR)          # never waits for a reader
good &= converse("pipe", p, precv, lambda b: os.write(fin, b))
sys.exit(0 if good else 1)
PY

# A bad spec is refused with one line and status 2.
timeout 10 "$vmm" --kernel "$elf" --serial tcp:1234 </dev/null >"$tmp/bad" 2>&1
st=$?
((st == 2)) && grep -q -- '--serial tcp:1234' "$tmp/bad" || bad "a bad --serial gave status $st: $(cat "$tmp/bad")"

((fail)) && exit 1
echo "lab-serial: file, unix server, unix client and pipe back ends ok"
