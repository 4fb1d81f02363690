#!/usr/bin/env python3
"""tests/fuzz/seeds.py OUTDIR [BUILD] - starting inputs for the harnesses
(docs/fuzzing.md): valid kernels of each format the loader knows (a few KiB
each), device programming sequences as Linux and the test guests do them,
and common instructions with a ring-0 and a ring-3 state.  run.sh fuzzes
from these plus tests/fuzz/corpus/; the corpus checked in was grown from
them and minimised (libFuzzer -merge=1)."""
import os, struct, subprocess, sys

out, build = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "build")
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

def put(harness, name, data):
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# ---- loader: 4 option bytes, then the kernel file ----
def opts(initrd_kib=0, append_units=0):
    units = initrd_kib * 4                    # 256-byte units
    return bytes([(append_units << 1) | (1 if initrd_kib else 0),
                  units & 0xFF, (units >> 8) & 0xFF, (units >> 16) & 0xFF])

def elf32(entry, segs, mb_header=b""):
    """ET_EXEC i386 with one PT_LOAD per (paddr, data, memsz)."""
    phoff, n = 52, len(segs)
    off = phoff + 32 * n
    hdr = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    hdr += struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, entry, phoff, 0, 0, 52, 32, n, 0, 0, 0)
    ph, body = b"", b""
    for paddr, data, memsz in segs:
        ph += struct.pack("<IIIIIIII", 1, off + len(body), paddr, paddr, len(data), memsz, 7, 4)
        body += data
    return hdr + ph + body

code = b"\xb0\x00\xe6\xf4\xf4"               # mov al,0; out 0xf4,al; hlt
put("loader", "elf", opts() + elf32(0x100000, [(0x100000, code, 0x2000)]))
put("loader", "elf_two_segs", opts(8, 2) + elf32(0x100000, [(0x100000, code, 16), (0x200000, b"\1" * 64, 4096)]))
mb = struct.pack("<III", 0x1BADB002, 0x00010003, (-(0x1BADB002 + 0x00010003)) & 0xFFFFFFFF)
aout = mb + struct.pack("<IIIII", 0x100000, 0x100000, 0, 0x104000, 0x10000C + 20)
put("loader", "multiboot_aout", opts(4, 1) + aout + code + bytes(64))
mbe = struct.pack("<III", 0x1BADB002, 3, (-(0x1BADB002 + 3)) & 0xFFFFFFFF)
put("loader", "multiboot_elf", opts() + elf32(0x100000, [(0x100000, mbe + code, 0x1000)]))

def small_bzimage(path, kernel_bytes):
    data = open(path, "rb").read()
    setup = (data[0x1F1] or 4) + 1
    img = bytearray(data[: setup * 512 + kernel_bytes])
    struct.pack_into("<I", img, 0x1F4, (kernel_bytes + 15) // 16)     # syssize
    if struct.unpack_from("<H", img, 0x206)[0] >= 0x20A:
        struct.pack_into("<I", img, 0x260, 0x10000)                   # init_size
    return bytes(img)

for name in ("vmlinuz", "memtest86+ia32.bin"):
    p = os.path.join(root, "guest-images", name)
    if os.path.exists(p):
        put("loader", "bz_" + name.split(".")[0].replace("+", ""), opts(64, 3) + small_bzimage(p, 4096))

guests = os.path.join(root, build, "tests", "guests")
for g in ("halt.elf", "demo.elf"):
    p = os.path.join(guests, g)
    if os.path.exists(p):
        tmp = os.path.join(out, "stripped.tmp")
        subprocess.run(["strip", "-o", tmp, p], check=True)
        stripped = open(tmp, "rb").read()
        os.unlink(tmp)
        put("loader", "guest_" + g.split(".")[0], opts() + stripped)

# ---- devices: a machine byte, then 9-byte records (fuzz_devices.c) ----
def put_dev(name, data, machine=0):
    put("devices", name, bytes([machine]) + data)

def rec(target, how, off, value, dt=0):
    return struct.pack("<BBHIB", target, how, off, value, dt)

RAW = 255                                    # index past every range: a raw port
W, R = 4, 0
def outb(port, v): return rec(RAW, W | 0, port, v)
def inb(port): return rec(RAW, R | 0, port, 0)
pic = b"".join(outb(p, v) for p, v in [(0x20, 0x11), (0x21, 0x30), (0x21, 4), (0x21, 1),
                                        (0xA0, 0x11), (0xA1, 0x38), (0xA1, 2), (0xA1, 1),
                                        (0x21, 0), (0xA1, 0)])
pit = outb(0x43, 0x34) + outb(0x40, 0x9C) + outb(0x40, 0x2E) + rec(RAW, 0x38, 0x61, 0, 200)
put_dev("pic_pit", pic + pit + rec(RAW, 0x38, 0x40, 0, 255) * 4)
rtc = outb(0x70, 0x0B) + outb(0x71, 0x42) + outb(0x70, 0x0C) + inb(0x71) + rec(RAW, 0x38, 0x71, 0, 255)
put_dev("rtc", pic + rtc)
ide = (outb(0x1F6, 0xE0) + outb(0x1F2, 1) + outb(0x1F3, 3) + outb(0x1F4, 0) + outb(0x1F5, 0) +
       outb(0x1F7, 0x30) + b"".join(rec(RAW, W | 1, 0x1F0, 0x1234 + i) for i in range(256)) +
       outb(0x1F7, 0x20) + b"".join(rec(RAW, R | 1, 0x1F0, 0) for i in range(256)) +
       outb(0x1F6, 0xF0) + outb(0x1F7, 0xEC) + inb(0x1F7))
put_dev("ide", ide)
uart = (outb(0x3FB, 0x80) + outb(0x3F8, 1) + outb(0x3F9, 0) + outb(0x3FB, 3) + outb(0x3FC, 0x0B) +
        outb(0x3F9, 0x0F) + outb(0x3FA, 0xC7) + outb(0x3F8, 0x41) + rec(0, 0x40 | 0x28, 0, 0x42, 100) +
        inb(0x3FD) + inb(0x3F8) + inb(0x3FA))
put_dev("uart", pic + uart)
kbc = outb(0x64, 0x20) + inb(0x60) + outb(0x64, 0x60) + outb(0x60, 0x47) + outb(0x60, 0xFF) + inb(0x60) + inb(0x64)
put_dev("i8042", kbc)
pci = b"".join(rec(RAW, W | 2, 0xCF8, 0x80000000 | (d << 11) | r) + rec(RAW, R | 2, 0xCFC, 0)
               for d in range(4) for r in (0, 8, 0x10, 0x3C))
put_dev("pci", pci + rec(RAW, W | 2, 0xCF8, 0x80000010) + rec(RAW, W | 2, 0xCFC, 0xFFFFFFFF))
vga = b"".join(outb(0x3D4, r) + outb(0x3D5, r * 3) for r in range(0x10)) + inb(0x3DA) + outb(0x3C0, 0x10)
put_dev("vga", vga)
# LAPIC and IOAPIC through the MMIO ranges: index (npio + k) is not known
# here, so the seeds use every index near the end and let the fuzzer sort.
mm = b"".join(rec(i, W | 2, 0xF0, 0x1FF) + rec(i, W | 2, 0x3E0, 0xB) + rec(i, W | 2, 0x320, 0x20030) +
              rec(i, W | 2, 0x380, 1000) + rec(i, 0x38, 0x390, 0, 50) + rec(i, W | 2, 0, 0x10) +
              rec(i, W | 2, 0x10, 0x12345) + rec(i, R | 2, 0x10, 0) for i in range(20, 40))
put_dev("apic_mmio", mm)
FIRMWARE, VGABIOS = 1, 2
def outw(port, v): return rec(RAW, W | 1, port, v)
def inw(port): return rec(RAW, R | 1, port, 0)
# The PIIX functions (firmware PC): every function's header and a few
# registers, then writes of all ones to the BARs and the PIRQ routing.
piix = b"".join(rec(RAW, W | 2, 0xCF8, 0x80000000 | (d << 11) | (f << 8) | r) + rec(RAW, R | 2, 0xCFC, 0)
                for d in range(3) for f in range(4) for r in (0, 8, 0x20, 0x40, 0x60))
piix += b"".join(rec(RAW, W | 2, 0xCF8, 0x80000000 | (1 << 11) | (f << 8) | r) + rec(RAW, W | 2, 0xCFC, 0xFFFFFFFF)
                 for f in range(4) for r in (0x10, 0x20, 0x40, 0x60, 0x04))
put_dev("piix", piix, FIRMWARE)
# fw_cfg: signature, ID, the directory, then the VGA BIOS file.
fw = b"".join(outw(0x510, k) + inb(0x511) * 8 for k in (0, 1, 3, 0x19))
fw += outw(0x510, 0x19) + inb(0x511) * 200 + outw(0x510, 0x23) + inb(0x511) * 64 + outb(0x511, 1) + rec(RAW, R | 2, 0x510, 0)
put_dev("fw_cfg", fw, FIRMWARE | VGABIOS)
# A20: port 0x92 and the 8042's output port (command D1), closed and opened.
a20 = (inb(0x92) + outb(0x92, 0) + outb(0x92, 2) + outb(0x64, 0xD1) + outb(0x60, 0xDD) + outb(0x64, 0xD0) +
       inb(0x60) + outb(0x64, 0xD1) + outb(0x60, 0xDF) + outb(0x92, 1))
put_dev("a20", a20)
# Keyboard: scanning on (F4), then typed text and escape sequences.
def typed(b): return rec(0, 0x44 | 0x80 | 0x20, 0, struct.unpack("<I", b.ljust(4, b"\0")[:4])[0])
kbd = outb(0x60, 0xF4) + inb(0x60) + b"".join(typed(t) for t in (b"ab\x01A", b"\x1b[A", b"\x1b[1;", b"5~\x1bx", b"\xc3\xa9\x1b")) + inb(0x60) * 8 + inb(0x64)
put_dev("keyboard", kbd)
# The CRTC with hostile geometry, start address, cursor and offset, over a
# screen of text written to video memory (0xB8000 = window offset 0x18000).
def vram(off, v): return rec(0, 0x44, off // 2, v)
text = b"".join(vram(0x18000 + 4 * i, 0x07410742 + i) for i in range(40))
crtc = lambda pairs: b"".join(outw(0x3D4, r | v << 8) for r, v in pairs)
put_dev("vga_crtc", text + crtc([(0x11, 0), (1, 0xFF), (0x12, 0xFF), (0x13, 0xFF), (0x0C, 0xFF), (0x0D, 0xFF),
                                 (0x0E, 0xFF), (0x0F, 0xFF), (0x0A, 0), (0x0B, 0x1F), (0x09, 0x1F), (0x07, 0xFF)]))
put_dev("vga_mono", text + outb(0x3C2, 0x66) + crtc([(0x0C, 0x7F), (0x13, 0)]) + outw(0x3B4, 0xFF0C) + inb(0x3BA) +
        outb(0x3CE, 6) + outb(0x3CF, 0x0C) + outb(0x3C0, 0x10) + outb(0x3C0, 0x08))

# ---- decode: 34 bytes of state, then code ----
def state(f0, f1=0, regs=(0x1000, 2, 3, 0x200000, 0x100, 0x8000, 0x200010, 0x200020)):
    return bytes([f0, f1]) + struct.pack("<8I", *regs)
insns = {
    "alu": b"\x01\xc8\x29\x13\x0f\xaf\xc1\xf7\xf1\xd3\xe0\x0f\xc1\x0b",
    "string": b"\xf3\xa4\xf3\xab\xf3\xa6\xf2\xae\xac\xad",
    "stack": b"\x60\x61\x9c\x9d\x06\x1f\xc8\x10\x00\x01\xc9\xe8\x00\x00\x00\x00",
    "system": b"\x0f\x01\x10\x0f\x00\xd8\x0f\x20\xc0\x0f\x22\xd8\x0f\x32\x0f\x30\x0f\xa2\xfa\xfb",
    "io": b"\xe4\x70\xe6\x80\xec\xee\x6c\x6e\xf3\x6d",
    "far": b"\xea\x00\x00\x10\x00\x08\x00\xcf\xcd\x80\xca\x04\x00\x9a\x00\x00\x00\x00\x1b\x00",
    "bcd": b"\x27\x2f\x37\x3f\xd4\x0a\xd5\x0a\x63\xc1\x62\x06\xc4\x06",
    "sse": b"\x0f\x28\xc1\x66\x0f\x6f\x06\x0f\x11\x07\xf3\x0f\x7e\xc1\x0f\xae\x06",
    "mmu": b"\x0f\x01\x38\x8b\x05\x00\x00\x00\xc0\x0f\x09\x0f\x08",
}
for name, code in insns.items():
    put("decode", name + "_r0", state(0x00) + code)
    put("decode", name + "_r3", state(0x31) + code)
    put("decode", name + "_pg", state(0x02 | 0x10, 0x01) + code)
put("decode", "code16", state(0x04) + b"\x66\xb8\x01\x00\x00\x00\x67\x8b\x07\xe2\xfe")
put("decode", "ss_limit", state(0x08) + b"\x50\x58\x60\x61")
# Byte 1 bit 7: real-address mode (byte 0 bit 0 clear) or virtual-8086
# mode (set); in real mode byte 0 bit 3 gives "unreal" 4 GiB data limits.
REAL = 0x80
rm = {
    "int": b"\xcd\x10\xcc\xcf\x9c\x9d\xfa\xfb",
    "far": b"\xea\x05\x00\x00\x10\x9a\x00\x00\x00\xf0\xcb\xca\x02\x00",
    "seg": b"\x8e\xd8\x8e\xc0\x07\x1f\xc5\x06\x00\x00\xc4\x1e\x04\x00",
    "pm": b"\x0f\x01\x16\x00\x20\x0f\x20\xc0\x0c\x01\x0f\x22\xc0\xea\x00\x00\x08\x00",
    "a20": b"\xe4\x92\x0c\x02\xe6\x92\x24\xfd\xe6\x92\xb0\xd1\xe6\x64",
    "string32": b"\x67\x66\xf3\xa5\x67\xac\x66\xab\x67\x8b\x07",
    "x87": b"\xdb\xe3\xd9\xe8\xde\xc1\xdf\xe0\xdb\xf1\xda\xc1",
    "io": b"\xe4\x60\xe6\x80\xec\xee\x6c\x6e\xf3\x6d",
}
for name, code in rm.items():
    put("decode", "real_" + name, state(0x00, REAL) + code)
    put("decode", "unreal_" + name, state(0x0C, REAL) + code)
    put("decode", "v86_" + name, state(0x01, REAL) + code)
    put("decode", "v86_iopl3_" + name, state(0x31, REAL) + code)
