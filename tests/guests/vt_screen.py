#!/usr/bin/env python3
"""tests/guests/vt_screen.py - run vmm on a pseudo-terminal, type into it and
read back the screen it draws (--display curses).

    vt_screen.py [--keys-after TEXT SECONDS]... [--wait-for TEXT] [--timeout S]
                 [--rows N] -- VMM ARGS...

The program runs with stdin and stdout on the slave side of a pty.  Its
output goes through a small VT100 model that knows what vmm's renderer
sends (cursor positioning, SGR, erase display, cursor show/hide and shape);
each --keys-after TEXT WAIT types TEXT (Python escapes: \\r, \\x1b[A) once
the screen has shown WAIT.  When the screen shows --wait-for, the script
types Ctrl-A x, waits for vmm to end and prints the screen (one line per
row, trailing blanks dropped), then "cursor ROW COL", "attrs ROW COL:XX ..."
(the attribute runs of the row's first 80 columns: where each starts and
its VGA attribute byte), "tty restored" or "tty left raw" (line editing
and echo back on the terminal after vmm ended) and "exit STATUS".
--sigterm sends SIGTERM instead of typing Ctrl-A x.  Exit status 0 when
--wait-for was seen, 1 when the timeout passed first.
"""
import os, pty, re, select, signal, sys, termios, time

class Screen:
    def __init__(self, rows=60, cols=132):
        self.rows, self.cols = rows, cols
        self.clear()
        self.r = self.c = 0
        self.attr = 0x07
        self.cursor_on = True
        self.pending = b""

    def clear(self):
        self.cell = [[(" ", 0x07) for _ in range(self.cols)] for _ in range(self.rows)]

    def sgr(self, params):
        fg, bg = self.attr & 0x0F, (self.attr >> 4) & 0x0F
        ansi_to_vga = [0, 4, 2, 6, 1, 5, 3, 7]
        for p in params or [0]:
            if p == 0: fg, bg = 7, 0
            elif 30 <= p <= 37: fg = ansi_to_vga[p - 30]
            elif 90 <= p <= 97: fg = ansi_to_vga[p - 90] | 8
            elif 40 <= p <= 47: bg = ansi_to_vga[p - 40]
            elif 100 <= p <= 107: bg = ansi_to_vga[p - 100] | 8
            elif p == 5: bg |= 8
        self.attr = fg | bg << 4

    def put(self, ch):
        if 0 <= self.r < self.rows and 0 <= self.c < self.cols:
            self.cell[self.r][self.c] = (ch, self.attr)
        self.c += 1

    def feed(self, data):
        text = (self.pending + data).decode("utf-8", "replace")
        self.pending = b""
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\x1b":
                m = re.match(r"\x1b\[(\??)([0-9;]*)( ?)([A-Za-z])", text[i:])
                if not m:
                    if len(text) - i < 16:      # a sequence cut by the read
                        self.pending = text[i:].encode()
                        return
                    i += 1
                    continue
                priv, args, sp, final = m.groups()
                nums = [int(x) if x else 0 for x in args.split(";")] if args else []
                if final == "H" and not priv:
                    self.r = (nums[0] if nums else 1) - 1
                    self.c = (nums[1] if len(nums) > 1 else 1) - 1
                elif final == "J":
                    self.clear()
                elif final == "m":
                    self.sgr(nums)
                elif priv and final in "hl" and nums == [25]:
                    self.cursor_on = final == "h"
                i += m.end()
            elif ch == "\r":
                self.c = 0; i += 1
            elif ch == "\n":
                self.r += 1; i += 1
            else:
                self.put(ch); i += 1

    def text(self, rows):
        return ["".join(ch for ch, _ in self.cell[r]).rstrip() for r in range(rows)]

def main():
    args = sys.argv[1:]
    keys, wait_for, timeout, rows = [], None, 60.0, 25
    quit_by_signal = False
    while args and args[0] != "--":
        if args[0] == "--keys-after":
            keys.append((args[1].encode().decode("unicode_escape").encode("latin-1"), args[2])); args = args[3:]
        elif args[0] == "--wait-for":
            wait_for = args[1]; args = args[2:]
        elif args[0] == "--timeout":
            timeout = float(args[1]); args = args[2:]
        elif args[0] == "--sigterm":
            quit_by_signal = True; args = args[1:]
        elif args[0] == "--rows":
            rows = int(args[1]); args = args[2:]
        else:
            sys.exit("vt_screen.py: unknown argument " + args[0])
    cmd = args[1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    scr = Screen()
    seen, deadline, quit_sent = False, time.time() + timeout, False
    status = None
    while True:
        joined = "\n".join(scr.text(rows))
        if keys and keys[0][1] in joined:
            os.write(fd, keys.pop(0)[0])
        if not quit_sent and wait_for is not None and wait_for in joined and not keys:
            seen = True
            time.sleep(0.2)
            if quit_by_signal:
                os.kill(pid, signal.SIGTERM)
            else:
                os.write(fd, b"\x01x")
            quit_sent = True
        if time.time() > deadline and not quit_sent:
            os.write(fd, b"\x01x")
            quit_sent = True
            deadline = time.time() + 10
        elif quit_sent and time.time() > deadline + 10:
            os.kill(pid, signal.SIGKILL)
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                break
            scr.feed(data)
    if wait_for is not None and wait_for in "\n".join(scr.text(rows)):
        seen = True
    _, ws = os.waitpid(pid, 0)
    status = os.waitstatus_to_exitcode(ws)
    try:    # the line discipline is shared by both sides of the pty
        lflag = termios.tcgetattr(fd)[3]
        restored = bool(lflag & termios.ICANON and lflag & termios.ECHO)
    except termios.error:
        restored = False
    for line in scr.text(rows):
        print(line)
    print("cursor %d %d" % (scr.r, scr.c))
    for r in range(rows):
        runs, last = [], None
        for c in range(80):
            a = scr.cell[r][c][1]
            if a != last:
                runs.append("%d:%02X" % (c, a))
                last = a
        print("attrs %d %s" % (r, " ".join(runs)))
    print("tty %s" % ("restored" if restored else "left raw"))
    print("exit %d" % status)
    sys.exit(0 if seen else 1)

if __name__ == "__main__":
    main()
