/*
 * dev_bios_data - the machine as a PC BIOS hands it to a boot loader, read
 * the way an OS written for real PCs reads it.
 *
 * BIOS data area (IBM PC/AT BIOS, segment 0x40): the COM port table names
 * ports where a 16550 answers (scratch register), no LPT, the equipment
 * word, base memory at 0x413, the EBDA segment at 0x40E, the tick count at
 * 0x46C agreeing with the RTC's time of day, mode 3 video fields (mode,
 * 80 columns, 4 KiB page, CRTC at 0x3D4 where the CRTC answers, 25 rows).
 *
 * MP 1.4 section 4: the floating pointer "_MP_" searched (a) in the first
 * KiB of the EBDA, (b) in the last KiB of base memory when no EBDA is
 * given, (c) in 0xF0000-0xFFFFF; 16-byte boundaries, checksum over the
 * length byte's paragraphs, configuration table checksum.  Every search
 * must find a pointer to the same table.  ACPI 5.2.5.1: "RSD PTR " in the
 * first KiB of the EBDA, then 0xE0000-0xFFFFF; both lead to one RSDT.
 *
 * Memory sizes: the Multiboot memory map, mem_lower, CMOS 0x15/0x16,
 * 0x17/0x18, 0x30/0x31, 0x34/0x35 and the BDA agree; the EBDA and
 * 0xA0000-0xFFFFF are never usable.  Run with --mem 64 (CMOS 0x34 then
 * counts 48 MiB above 16 MiB).
 */
#include "dev_common.h"

#define MEM_MIB 64

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4], mmap_length, mmap_addr;
};
struct mb_mmap { uint32_t size; uint64_t addr, len; uint32_t type; } __attribute__((packed));

/* Physical addresses as pointers; hidden from the compiler, which takes a
 * constant below 4 KiB (the BDA) for a null-pointer offset. */
static volatile void *phys(uint32_t a)
{
    asm("" : "+r"(a));
    return (volatile void *)a;
}
static uint8_t rd8(uint32_t a) { return *(volatile uint8_t *)phys(a); }
static uint16_t rd16(uint32_t a) { return *(volatile uint16_t *)phys(a); }
static uint32_t rd32(uint32_t a) { return *(volatile uint32_t *)phys(a); }

static uint8_t sum(uint32_t a, uint32_t len)
{
    uint8_t s = 0;
    while (len--)
        s += rd8(a++);
    return s;
}

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static uint16_t cmos16(uint8_t lo) { return (uint16_t)(cmos(lo) | cmos(lo + 1) << 8); }

static void bda_devices(void)
{
    /* COM ports: a 16550 keeps what is written to its scratch register. */
    for (int i = 0; i < 2; i++) {
        uint16_t port = rd16(0x400 + 2 * i);
        CHECK_EQ(1, port, i == 0 ? 0x3F8 : 0x2F8, "BDA COM port");
        outb(port + 7, 0x5A);
        CHECK_EQ(2, inb(port + 7), 0x5A, "scratch register of the UART the BDA names");
    }
    CHECK_EQ(3, rd16(0x404) | rd16(0x406), 0, "COM3/COM4 absent");
    CHECK_EQ(4, rd16(0x408) | rd16(0x40A) | rd16(0x40C), 0, "no parallel ports");
    uint16_t eq = rd16(0x410);
    CHECK_EQ(5, eq & 1, 0, "equipment: no floppy drive");
    CHECK_EQ(6, (eq >> 1) & 1, 1, "equipment: x87 present");
    CHECK_EQ(7, (eq >> 4) & 3, 2, "equipment: initial video mode 80x25 colour");
    CHECK_EQ(8, (eq >> 9) & 7, 2, "equipment: serial ports");
    CHECK_EQ(9, eq >> 14, 0, "equipment: parallel ports");
    /* Video: mode 3 with the CRTC where the BDA says. */
    CHECK_EQ(10, rd8(0x449), 3, "video mode");
    CHECK_EQ(11, rd16(0x44A), 80, "columns");
    CHECK_EQ(12, rd16(0x44C), 0x1000, "video page size");
    CHECK_EQ(13, rd8(0x484) + 1, 25, "rows");
    uint16_t crtc = rd16(0x463);
    CHECK_EQ(14, crtc, 0x3D4, "CRTC port");
    outb(crtc, 0x0E);
    outb(crtc + 1, 0x01);
    outb(crtc, 0x0E);
    CHECK_EQ(15, inb(crtc + 1), 0x01, "CRTC cursor-high register at the BDA's port");
    outb(crtc + 1, 0x00);
    rt_printf("dev_bios_data: BDA COM1 0x%x COM2 0x%x, equipment 0x%x, mode %u %ux%u, CRTC 0x%x\n",
              rd16(0x400), rd16(0x402), eq, rd8(0x449), rd16(0x44A), rd8(0x484) + 1, crtc);
}

static uint32_t bcd(uint8_t v) { return (v >> 4) * 10 + (v & 0xF); }

/* The BDA's ticks were set at hand-off from the same clock: the RTC now is
 * at most a few seconds later (ticks run at 1193182 / 65536 Hz). */
static void tick_count(void)
{
    while (cmos(0x0A) & 0x80)
        ;                           /* update in progress */
    uint32_t now = bcd(cmos(0)) + 60 * bcd(cmos(2)) + 3600 * bcd(cmos(4));
    uint32_t ticks = rd32(0x46C);
    CHECK(20, ticks < 0x1800B0, "tick count 0x%x is past midnight's 0x1800B0", ticks);
    uint32_t then = (uint32_t)((uint64_t)ticks * 86400 / 0x1800B0);
    if (now < then)
        now += 86400;               /* midnight passed since the hand-off */
    CHECK(21, now - then <= 5, "BDA ticks %u (%u s) vs RTC %u s", ticks, then, now);
    rt_printf("dev_bios_data: tick count %u = %u s after midnight, RTC %u s\n", ticks, then, now % 86400);
}

static uint32_t find(uint32_t from, uint32_t len, const char *sig, uint32_t siglen, uint32_t sumlen)
{
    for (uint32_t a = from; a < from + len; a += 16)
        if (memcmp((const void *)a, sig, siglen) == 0 &&
            sum(a, sumlen ? sumlen : 16 * rd8(a + 8)) == 0)
            return a;
    return 0;
}

/* The three places of MP 1.4 section 4, in its order. */
static uint32_t mp_search(int from_step)
{
    uint32_t ebda = (uint32_t)rd16(0x40E) << 4, fp = 0;
    if (from_step == 0 && ebda)
        fp = find(ebda, 1024, "_MP_", 4, 0);
    /* (b) for a BIOS that defines no EBDA: the last KiB of base memory,
     * 639-640 KiB for 640 KiB of it (the spec's example): here the same
     * KiB as the EBDA, whose segment a BIOS without one leaves at 0. */
    if (!fp && from_step <= 1)
        fp = find((uint32_t)(rd16(0x413) + (ebda ? rd16(ebda) : 0)) * 1024 - 1024, 1024,
                  "_MP_", 4, 0);
    if (!fp)
        fp = find(0xF0000, 0x10000, "_MP_", 4, 0);
    return fp;
}

static void mp_pointer(void)
{
    uint32_t ebda = (uint32_t)rd16(0x40E) << 4;
    CHECK(30, ebda && ebda < 0xA0000, "EBDA segment 0x%x", ebda >> 4);
    uint32_t fp = mp_search(0), table = 0;
    CHECK(31, fp >= ebda && fp < ebda + 1024, "the MP search found 0x%x, not in the EBDA's first KiB", fp);
    for (int step = 0; step < 3; step++) {
        uint32_t f = step == 2 ? find(0xF0000, 0x10000, "_MP_", 4, 0) : mp_search(step);
        CHECK(32, f, "MP search step %d found nothing", step);
        CHECK_EQ(33, rd8(f + 9), 4, "MP spec revision");
        if (!table)
            table = rd32(f + 4);
        CHECK_EQ(34, rd32(f + 4), table, "floating pointers disagree on the table");
    }
    CHECK(35, memcmp((const void *)table, "PCMP", 4) == 0, "no PCMP at 0x%x", table);
    CHECK_EQ(36, sum(table, rd16(table + 4)), 0, "MP configuration table checksum");
    rt_printf("dev_bios_data: EBDA at 0x%x (%u KiB), MP pointer at 0x%x and in the BIOS area, table 0x%x\n",
              ebda, rd16(ebda), fp, table);
}

static void rsdp(void)
{
    uint32_t ebda = (uint32_t)rd16(0x40E) << 4;
    uint32_t a = find(ebda, 1024, "RSD PTR ", 8, 20);
    uint32_t b = find(0xE0000, 0x20000, "RSD PTR ", 8, 20);
    CHECK(40, a, "no RSDP in the first KiB of the EBDA");
    CHECK(41, b, "no RSDP in 0xE0000-0xFFFFF");
    CHECK_EQ(42, rd32(a + 16), rd32(b + 16), "the RSDPs name different RSDTs");
    uint32_t rsdt = rd32(a + 16);
    CHECK(43, memcmp((const void *)rsdt, "RSDT", 4) == 0, "no RSDT at 0x%x", rsdt);
    CHECK_EQ(44, sum(rsdt, rd32(rsdt + 4)), 0, "RSDT checksum");
    rt_printf("dev_bios_data: RSDP at 0x%x and 0x%x, RSDT 0x%x\n", a, b, rsdt);
}

/* Does a usable map entry overlap [lo, hi)? */
static bool usable_in(const struct mb_info *mb, uint64_t lo, uint64_t hi)
{
    for (uint32_t off = 0; off < mb->mmap_length;) {
        const struct mb_mmap *e = (const struct mb_mmap *)(mb->mmap_addr + off);
        if (e->type == 1 && e->addr < hi && e->addr + e->len > lo)
            return true;
        off += e->size + 4;
    }
    return false;
}

static uint64_t usable_from(const struct mb_info *mb, uint64_t base)
{
    for (uint32_t off = 0; off < mb->mmap_length;) {
        const struct mb_mmap *e = (const struct mb_mmap *)(mb->mmap_addr + off);
        if (e->type == 1 && e->addr == base)
            return e->len;
        off += e->size + 4;
    }
    return 0;
}

static void memory_sizes(void)
{
    const struct mb_info *mb = (const struct mb_info *)rt_mb_info;
    CHECK(50, (mb->flags & 0x41) == 0x41, "Multiboot flags 0x%x lack mem_* or mmap_*", mb->flags);
    uint32_t base_kib = rd16(0x413), ebda = (uint32_t)rd16(0x40E) << 4, ebda_kib = rd16(ebda);
    CHECK_EQ(51, base_kib * 1024, ebda, "base memory ends where the EBDA starts");
    CHECK_EQ(52, base_kib + ebda_kib, 640, "base memory + EBDA");
    CHECK_EQ(53, cmos16(0x15), base_kib + ebda_kib, "CMOS base memory (all conventional memory)");
    CHECK_EQ(54, mb->mem_lower, base_kib, "Multiboot mem_lower vs BDA 0x413");
    CHECK_EQ(55, usable_from(mb, 0), (uint64_t)base_kib * 1024, "usable low memory in the map");
    CHECK(56, !usable_in(mb, ebda, 0x100000), "the map calls part of the EBDA..1 MiB usable");
    uint64_t ext = usable_from(mb, 0x100000);
    CHECK_EQ(57, (uint32_t)(ext >> 10), MEM_MIB * 1024 - 1024, "usable memory from 1 MiB (KiB)");
    CHECK_EQ(58, mb->mem_upper, (uint32_t)(ext >> 10), "Multiboot mem_upper");
    CHECK_EQ(59, cmos16(0x17), (uint32_t)(ext >> 10), "CMOS 0x17/0x18 extended memory");
    CHECK_EQ(60, cmos16(0x30), (uint32_t)(ext >> 10), "CMOS 0x30/0x31 extended memory");
    CHECK_EQ(61, (uint64_t)cmos16(0x34) << 16, 0x100000 + ext - (16u << 20), "CMOS 0x34/0x35 above 16 MiB");
    rt_printf("dev_bios_data: base %u KiB + EBDA %u KiB = CMOS %u KiB; extended %u KiB in the map, "
              "mem_upper, CMOS 0x17 and 0x30; CMOS 0x34 %u x 64 KiB\n",
              base_kib, ebda_kib, cmos16(0x15), (uint32_t)(ext >> 10), cmos16(0x34));
}

void test_main(void)
{
    bda_devices();
    tick_count();
    mp_pointer();
    rsdp();
    memory_sizes();
}
