/*
 * descriptors - the descriptor-table instructions see the guest's tables,
 * never the host's: LGDT/SGDT, LIDT/SIDT, LLDT/SLDT, LTR/STR, SMSW/LMSW,
 * LAR/LSL/VERR/VERW (SDM vol. 2 for each; vol. 3 sections 3.5, 5.10, 7.2.4).
 */
#include "rt.h"

#define SEL(index, rpl) ((uint16_t)((index) << 3 | (rpl)))
#define LDT_SEL(index)  ((uint16_t)((index) << 3 | 4))

static uint64_t gdt2[RT_GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt2[256] __attribute__((aligned(8)));
static uint64_t ldt[4] __attribute__((aligned(8)));
static struct tss32 tss2;
static volatile uint8_t buf_a[16] = "GDT-copy-bytes.";
static volatile uint8_t buf_b[16] = "LDT-seg-bytes..";

static struct dtr32 sgdt(void) { struct dtr32 d; asm volatile("sgdt %0" : "=m"(d)); return d; }
static struct dtr32 sidt(void) { struct dtr32 d; asm volatile("sidt %0" : "=m"(d)); return d; }
static void lgdt(const struct dtr32 *d) { asm volatile("lgdt %0" :: "m"(*d) : "memory"); }
static void lidt(const struct dtr32 *d) { asm volatile("lidt %0" :: "m"(*d) : "memory"); }

static uint8_t fs_byte(uint32_t off)
{
    uint8_t v;
    asm volatile("movb %%fs:(%1), %0" : "=q"(v) : "r"(off) : "memory");
    return v;
}

static void load_fs(uint16_t sel) { asm volatile("movw %0, %%fs" :: "r"(sel) : "memory"); }

static void check_gdt(void)
{
    struct dtr32 d = sgdt();
    CHECK_EQ(1, d.base, (uint32_t)rt_gdt, "SGDT base");
    CHECK_EQ(2, d.limit, sizeof rt_gdt - 1, "SGDT limit");

    /* A copy of the GDT with one more entry, at another address and with
     * another limit: SGDT must return it, and loads must go through it. */
    memcpy(gdt2, rt_gdt, sizeof gdt2);
    gdt2[RT_GDT_FREE] = rt_seg_desc((uint32_t)buf_a, 15, ACC_DATA0, FLG_BYTE32);
    struct dtr32 n = { .limit = (RT_GDT_FREE + 1) * 8 - 1, .base = (uint32_t)gdt2 };
    lgdt(&n);
    d = sgdt();
    CHECK_EQ(3, d.base, (uint32_t)gdt2, "SGDT base after LGDT");
    CHECK_EQ(4, d.limit, n.limit, "SGDT limit after LGDT");
    /* Reload CS and DS through the new table. */
    asm volatile("ljmp %0, $1f\n1:\n\tmovw %w1, %%ds" :: "i"(RT_KCODE), "r"(RT_KDATA) : "memory");
    load_fs(SEL(RT_GDT_FREE, 0));
    CHECK_EQ(5, fs_byte(0), 'G', "byte 0 through a segment of the new GDT");
    CHECK_EQ(6, fs_byte(4), 'c', "byte 4 through a segment of the new GDT");

    /* The old limit no longer applies: a selector past the new limit faults. */
    uint32_t n0 = rt_trap.count;
    TRY("movw %w0, %%fs", :: "r"(SEL(RT_GDT_FREE + 1, 0)) : "memory");
    rt_check_exc(7, n0, 13, SEL(RT_GDT_FREE + 1, 0), rt_try_insn, "load of a selector past the new GDT limit");

    lgdt(&rt_gdtr);
    load_fs(RT_KDATA);
    d = sgdt();
    CHECK_EQ(8, d.base, (uint32_t)rt_gdt, "SGDT base after restoring the GDT");
}

static void check_idt(void)
{
    struct dtr32 d = sidt();
    CHECK_EQ(9, d.base, (uint32_t)rt_idt, "SIDT base");
    CHECK_EQ(10, d.limit, sizeof rt_idt - 1, "SIDT limit");

    /* A copy where vector 0x50 goes to vector 0x51's stub. */
    memcpy(idt2, rt_idt, sizeof idt2);
    idt2[0x50] = rt_idt[0x51];
    struct dtr32 n = { .limit = sizeof idt2 - 1, .base = (uint32_t)idt2 };
    lidt(&n);
    d = sidt();
    CHECK_EQ(11, d.base, (uint32_t)idt2, "SIDT base after LIDT");
    uint32_t n0 = rt_trap.count;
    TRY("int $0x50", ::: "memory");
    rt_check_exc(12, n0, 0x51, RT_ANY, rt_try_next, "INT 0x50 through the new IDT (entry points at 0x51's stub)");

    lidt(&rt_idtr);
    n0 = rt_trap.count;
    TRY("int $0x50", ::: "memory");
    rt_check_exc(13, n0, 0x50, RT_ANY, rt_try_next, "INT 0x50 after restoring the IDT");
}

static void check_ldt(void)
{
    uint16_t s;
    asm volatile("sldt %0" : "=r"(s));
    CHECK_EQ(14, s, 0, "SLDT before any LLDT");

    ldt[1] = rt_seg_desc((uint32_t)buf_b, 15, ACC_DATA0, FLG_BYTE32);
    rt_gdt_set(RT_GDT_FREE, rt_seg_desc((uint32_t)ldt, sizeof ldt - 1, ACC_LDT, 0));
    asm volatile("lldt %w0" :: "r"(SEL(RT_GDT_FREE, 0)) : "memory");
    asm volatile("sldt %0" : "=r"(s));
    CHECK_EQ(15, s, SEL(RT_GDT_FREE, 0), "SLDT after LLDT");
    load_fs(LDT_SEL(1));
    CHECK_EQ(16, fs_byte(0), 'L', "byte 0 through an LDT segment");
    CHECK_EQ(17, fs_byte(4), 's', "byte 4 through an LDT segment");

    /* An LDT selector past the LDT's limit faults with its selector. */
    uint32_t n0 = rt_trap.count;
    TRY("movw %w0, %%fs", :: "r"(LDT_SEL(4)) : "memory");
    rt_check_exc(18, n0, 13, LDT_SEL(4), rt_try_insn, "load of a selector past the LDT limit");

    /* LLDT of something that is not an LDT descriptor: #GP(selector). */
    n0 = rt_trap.count;
    TRY("lldt %w0", :: "r"(RT_KDATA) : "memory");
    rt_check_exc(19, n0, 13, RT_KDATA, rt_try_insn, "LLDT of a data segment");

    load_fs(RT_KDATA);
    asm volatile("lldt %w0" :: "r"(0) : "memory");
    asm volatile("sldt %0" : "=r"(s));
    CHECK_EQ(20, s, 0, "SLDT after LLDT 0");
    rt_gdt_set(RT_GDT_FREE, 0);
}

static uint32_t desc_type(int index) { return (uint32_t)(rt_gdt[index] >> 40) & 0xF; }

static void check_tr(void)
{
    uint16_t s;
    asm volatile("str %0" : "=r"(s));
    CHECK_EQ(21, s, RT_TSS, "STR after the runtime's LTR");
    CHECK_EQ(22, desc_type(RT_TSS >> 3), 0xB, "type of the loaded TSS descriptor (busy 32-bit TSS)");

    int i = RT_GDT_FREE + 1;
    tss2.iomap = sizeof tss2;
    rt_gdt_set(i, rt_seg_desc((uint32_t)&tss2, sizeof tss2 - 1, ACC_TSS32, 0));
    asm volatile("ltr %w0" :: "r"(SEL(i, 0)) : "memory");
    asm volatile("str %0" : "=r"(s));
    CHECK_EQ(23, s, SEL(i, 0), "STR after LTR of a second TSS");
    CHECK_EQ(24, desc_type(i), 0xB, "LTR did not mark the TSS descriptor busy: type");

    /* LTR of a busy TSS: #GP(selector). */
    uint32_t n0 = rt_trap.count;
    TRY("ltr %w0", :: "r"(RT_TSS) : "memory");
    rt_check_exc(25, n0, 13, RT_TSS, rt_try_insn, "LTR of a busy TSS");
    /* LTR of a data segment: #GP(selector). */
    n0 = rt_trap.count;
    TRY("ltr %w0", :: "r"(RT_KDATA) : "memory");
    rt_check_exc(26, n0, 13, RT_KDATA, rt_try_insn, "LTR of a data segment");

    /* Back to the runtime's TSS: clear its busy bit first. */
    rt_gdt[RT_TSS >> 3] &= ~(2ull << 40);
    asm volatile("ltr %w0" :: "r"(RT_TSS) : "memory");
    asm volatile("str %0" : "=r"(s));
    CHECK_EQ(27, s, RT_TSS, "STR after LTR back to the first TSS");
    rt_gdt_set(i, 0);
}

static uint32_t read_cr0(void) { uint32_t v; asm volatile("movl %%cr0, %0" : "=r"(v)); return v; }

static void check_msw(void)
{
    uint32_t cr0 = read_cr0();
    uint16_t m;
    asm volatile("smsw %0" : "=r"(m));
    CHECK_EQ(28, m, cr0 & 0xFFFF, "SMSW against CR0");
    CHECK(29, m & 1, "SMSW shows PE=0 in protected mode (0x%x)", m);
    asm volatile("smsw %0" : "=m"(m));
    CHECK_EQ(30, m, cr0 & 0xFFFF, "SMSW to memory");

    /* LMSW sets TS; it cannot clear PE (SDM vol. 2, LMSW). */
    asm volatile("lmsw %w0" :: "r"((uint16_t)((cr0 & 0xFFF0) | 0x8)) : "memory");
    uint32_t now = read_cr0();
    CHECK_EQ(31, now, (cr0 & ~0xFu) | 0x9, "CR0 after LMSW with TS set and PE clear");
    asm volatile("clts" ::: "memory");
    now = read_cr0();
    asm volatile("movl %0, %%cr0" :: "r"(cr0) : "memory");
    CHECK_EQ(32, now, (cr0 & ~0xFu) | 0x1, "CR0 after CLTS");
}

/* LAR/LSL/VERR/VERW report validity in ZF. */
static int lar(uint32_t sel, uint32_t *out)
{
    uint8_t z;
    uint32_t v = 0xDEADBEEF;
    asm volatile("larl %2, %0; setz %1" : "+r"(v), "=q"(z) : "r"(sel) : "cc");
    *out = v;
    return z;
}

static int lsl(uint32_t sel, uint32_t *out)
{
    uint8_t z;
    uint32_t v = 0xDEADBEEF;
    asm volatile("lsll %2, %0; setz %1" : "+r"(v), "=q"(z) : "r"(sel) : "cc");
    *out = v;
    return z;
}

static int verr(uint16_t sel) { uint8_t z; asm volatile("verr %w1; setz %0" : "=q"(z) : "r"(sel) : "cc"); return z; }
static int verw(uint16_t sel) { uint8_t z; asm volatile("verw %w1; setz %0" : "=q"(z) : "r"(sel) : "cc"); return z; }

static void check_lar_lsl_verr_verw(void)
{
    int x = RT_GDT_FREE;                /* execute-only code, DPL 0 */
    int b = RT_GDT_FREE + 1;            /* byte-granular data, limit 0x1234 */
    int g = RT_GDT_FREE + 2;            /* a 386 interrupt gate: not a segment */
    rt_gdt_set(x, rt_seg_desc(0, 0xFFFFF, 0x98, FLG_4K32));
    rt_gdt_set(b, rt_seg_desc(0x10000, 0x1234, ACC_DATA0, FLG_BYTE32));
    rt_gdt_set(g, rt_seg_desc(0, 0, 0x8E, 0));

    uint32_t v, want;
    CHECK(33, lar(RT_KCODE, &v), "LAR of the kernel code segment failed");
    want = (uint32_t)(rt_gdt[RT_KCODE >> 3] >> 32) & 0x00F0FF00;
    CHECK_EQ(34, v & 0x00F0FF00, want, "LAR of the kernel code segment");
    CHECK(35, lar(SEL(b, 0), &v), "LAR of a data segment failed");
    CHECK_EQ(36, v & 0x00F0FF00, 0x00409200, "LAR of the byte-granular data segment");
    CHECK(37, lar(RT_TSS, &v), "LAR of the TSS failed");
    CHECK_EQ(38, v & 0x00F0FF00, 0x00008B00, "LAR of the busy TSS");

    CHECK(39, !lar(0, &v), "LAR of the null selector succeeded");
    CHECK_EQ(40, v, 0xDEADBEEF, "LAR of the null selector changed its destination");
    CHECK(41, !lar(SEL(RT_GDT_ENTRIES + 3, 0), &v), "LAR past the GDT limit succeeded");
    CHECK(42, !lar(SEL(g, 0), &v), "LAR of an interrupt gate succeeded");
    CHECK(43, !lar(SEL(b, 3), &v), "LAR of a DPL 0 segment with RPL 3 succeeded");

    CHECK(44, lsl(RT_KCODE, &v), "LSL of the kernel code segment failed");
    CHECK_EQ(45, v, 0xFFFFFFFF, "LSL of the 4 GiB code segment");
    CHECK(46, lsl(SEL(b, 0), &v), "LSL of the byte-granular segment failed");
    CHECK_EQ(47, v, 0x1234, "LSL of the byte-granular segment");
    CHECK(48, lsl(RT_TSS, &v), "LSL of the TSS failed");
    CHECK_EQ(49, v, sizeof rt_tss - 1, "LSL of the TSS");
    CHECK(50, !lsl(SEL(g, 0), &v), "LSL of an interrupt gate succeeded");
    CHECK(51, !lsl(0, &v), "LSL of the null selector succeeded");

    CHECK(52, verr(RT_KCODE), "VERR of readable code failed");
    CHECK(53, !verw(RT_KCODE), "VERW of code succeeded");
    CHECK(54, verr(RT_KDATA) && verw(RT_KDATA), "VERR/VERW of writable data failed");
    CHECK(55, !verr(SEL(x, 0)), "VERR of execute-only code succeeded");
    CHECK(56, !verr(0) && !verw(0), "VERR/VERW of the null selector succeeded");
    CHECK(57, !verw(SEL(RT_GDT_ENTRIES + 3, 0)), "VERW past the GDT limit succeeded");
    CHECK(58, !verr(RT_TSS), "VERR of a TSS succeeded");
    CHECK(59, !verw(SEL(b, 3)), "VERW of a DPL 0 segment with RPL 3 succeeded");

    rt_gdt_set(x, 0);
    rt_gdt_set(b, 0);
    rt_gdt_set(g, 0);
}

void test_main(void)
{
    check_gdt();
    check_idt();
    check_ldt();
    check_tr();
    check_msw();
    check_lar_lsl_verr_verw();
}
