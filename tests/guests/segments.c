/*
 * segments - segment register loads with their descriptor checks, segment
 * bases and limits, far transfers (SDM vol. 3 sections 3.4, 5.3-5.8;
 * vol. 2 MOV, POP, LDS/LES/LFS/LGS/LSS, JMP, CALL, RET).
 */
#include "rt.h"

#define SEL(index, rpl) ((uint16_t)((index) << 3 | (rpl)))
enum {
    G_BUF = RT_GDT_FREE,        /* data, base = buf, limit 15 */
    G_NP,                       /* data, not present */
    G_CODE2,                    /* a second flat ring-0 code segment */
    G_XONLY,                    /* execute-only code */
    G_RO,                       /* read-only data, base = buf, limit 15 */
    G_FRESH,                    /* data, accessed bit clear */
};

static volatile uint8_t buf[16] = "0123456789abcdef";
static volatile uint8_t dst[16];

#define MOV_TO_SEG(seg, sel) asm volatile("movw %w0, %%" #seg :: "r"(sel) : "memory")
#define READ_SEG(seg) ({ uint32_t v_ = 0xFFFFFFFF; asm volatile("movl %%" #seg ", %0" : "=r"(v_)); v_; })

static void setup_gdt(void)
{
    rt_gdt_set(G_BUF, rt_seg_desc((uint32_t)buf, 15, ACC_DATA0, FLG_BYTE32));
    rt_gdt_set(G_NP, rt_seg_desc(0, 0xFFFFF, ACC_DATA0 & 0x7F, FLG_4K32));
    rt_gdt_set(G_CODE2, rt_seg_desc(0, 0xFFFFF, ACC_CODE0, FLG_4K32));
    rt_gdt_set(G_XONLY, rt_seg_desc(0, 0xFFFFF, 0x98, FLG_4K32));
    rt_gdt_set(G_RO, rt_seg_desc((uint32_t)buf, 15, 0x90, FLG_BYTE32));
    rt_gdt_set(G_FRESH, rt_seg_desc(0, 0xFFFFF, ACC_DATA0, FLG_4K32));
}

static void check_mov_push_pop(void)
{
    MOV_TO_SEG(es, RT_KDATA);
    MOV_TO_SEG(fs, SEL(G_BUF, 0));
    MOV_TO_SEG(gs, SEL(G_FRESH, 0));
    CHECK_EQ(1, READ_SEG(es), RT_KDATA, "MOV r32, ES");
    CHECK_EQ(2, READ_SEG(fs), SEL(G_BUF, 0), "MOV r32, FS");
    CHECK_EQ(3, READ_SEG(gs), SEL(G_FRESH, 0), "MOV r32, GS");
    CHECK_EQ(4, READ_SEG(ds), RT_KDATA, "MOV r32, DS");
    CHECK_EQ(5, READ_SEG(ss), RT_KDATA, "MOV r32, SS");
    CHECK_EQ(6, READ_SEG(cs), RT_KCODE, "MOV r32, CS (the guest's selector, zero-extended)");
    CHECK(7, (rt_gdt[G_FRESH] >> 40) & 1, "loading GS did not set the descriptor's accessed bit");

    /* PUSH/POP of segment registers move ESP by 4 in 32-bit code. */
    uint32_t before, after, gs;
    asm volatile("movl %%esp, %0\n\t"
                 "pushl %%fs\n\t"
                 "popl %%gs\n\t"
                 "pushl %%ds\n\t"
                 "popl %%ss\n\t"
                 "movl %%esp, %1\n\t"
                 "movl %%gs, %2"
                 : "=&r"(before), "=&r"(after), "=&r"(gs) :: "memory");
    CHECK_EQ(8, after, before, "ESP after PUSH FS; POP GS; PUSH DS; POP SS");
    CHECK_EQ(9, gs, SEL(G_BUF, 0), "GS after PUSH FS; POP GS");
    uint32_t top;
    asm volatile("pushl %%es; movl (%%esp), %0; addl $4, %%esp" : "=r"(top) :: "memory");
    CHECK_EQ(10, top & 0xFFFF, RT_KDATA, "the selector PUSH ES wrote");
    asm volatile("movl %%esp, %0; pushw %%fs; movl %%esp, %1; popw %%fs" : "=&r"(before), "=&r"(after) :: "memory");
    CHECK_EQ(11, before - after, 2, "ESP change of PUSHW FS");
    MOV_TO_SEG(gs, RT_KDATA);
}

static void check_bases_limits(void)
{
    MOV_TO_SEG(fs, SEL(G_BUF, 0));
    uint32_t v;
    asm volatile("movl %%fs:4, %0" : "=r"(v));
    CHECK_EQ(12, v, 0x37363534, "dword at FS:4 with FS base = buf");
    uint8_t b;
    asm volatile("movb %%fs:(%1), %0" : "=q"(b) : "r"(15));
    CHECK_EQ(13, b, 'f', "byte at FS:15");
    asm volatile("movl %0, %%fs:8" :: "r"(0x44434241) : "memory");
    CHECK(14, buf[8] == 'A' && buf[11] == 'D', "a store to FS:8 did not reach buf[8..11]");

    /* A string copy with an FS override on the source. */
    void *edi = (void *)dst;
    uint32_t esi = 0, ecx = 16;
    asm volatile("rep movsb %%fs:(%%esi), %%es:(%%edi)" : "+S"(esi), "+D"(edi), "+c"(ecx) :: "memory");
    CHECK(15, dst[0] == '0' && dst[8] == 'A' && dst[15] == 'f', "REP MOVSB from FS: copied the wrong bytes");

    /* Past the limit: #GP(0) (SDM vol. 3 section 5.3). */
    uint32_t n0 = rt_trap.count;
    TRY("movl %%fs:13, %%eax", ::: "eax", "memory");
    rt_check_exc(16, n0, 13, 0, rt_try_insn, "a dword read at FS:13 with limit 15");
    n0 = rt_trap.count;
    TRY("movb %%fs:15, %%al", ::: "eax", "memory");
    rt_check_no_exc(17, n0, "a byte read at FS:15 with limit 15");

    /* Read-only data: writes #GP(0), reads work. */
    MOV_TO_SEG(gs, SEL(G_RO, 0));
    asm volatile("movb %%gs:1, %0" : "=q"(b));
    CHECK_EQ(18, b, '1', "byte at GS:1 of the read-only segment");
    n0 = rt_trap.count;
    TRY("movb $0, %%gs:1", ::: "memory");
    rt_check_exc(19, n0, 13, 0, rt_try_insn, "a write through a read-only data segment");
    CHECK_EQ(20, buf[1], '1', "the faulting write changed memory");

    /* A null selector loads into FS, but using it faults with #GP(0). */
    MOV_TO_SEG(fs, 0);
    CHECK_EQ(21, READ_SEG(fs), 0, "FS after loading the null selector");
    n0 = rt_trap.count;
    TRY("movl %%fs:0, %%eax", ::: "eax", "memory");
    rt_check_exc(22, n0, 13, 0, rt_try_insn, "a read through a null FS");
    MOV_TO_SEG(fs, RT_KDATA);
    MOV_TO_SEG(gs, RT_KDATA);
}

static void check_load_faults(void)
{
    uint32_t n0 = rt_trap.count;
    TRY("movw %w0, %%fs", :: "r"(SEL(G_NP, 0)) : "memory");
    rt_check_exc(23, n0, 11, SEL(G_NP, 0), rt_try_insn, "MOV FS of a not-present segment (#NP)");
    CHECK_EQ(24, READ_SEG(fs), RT_KDATA, "FS after the faulting load");

    n0 = rt_trap.count;
    TRY("movw %w0, %%ss", :: "r"(SEL(G_NP, 0)) : "memory");
    rt_check_exc(25, n0, 12, SEL(G_NP, 0), rt_try_insn, "MOV SS of a not-present segment (#SS)");

    n0 = rt_trap.count;
    TRY("movw %w0, %%ss", :: "r"(0) : "memory");
    rt_check_exc(26, n0, 13, 0, rt_try_insn, "MOV SS of the null selector");
    CHECK_EQ(27, READ_SEG(ss), RT_KDATA, "SS after the faulting load");

    n0 = rt_trap.count;
    TRY("movw %w0, %%ss", :: "r"(RT_UDATA) : "memory");
    rt_check_exc(28, n0, 13, RT_UDATA & ~3, rt_try_insn, "MOV SS of a DPL 3 segment at CPL 0");

    n0 = rt_trap.count;
    TRY("movw %w0, %%ds", :: "r"(SEL(G_XONLY, 0)) : "memory");
    rt_check_exc(29, n0, 13, SEL(G_XONLY, 0), rt_try_insn, "MOV DS of execute-only code");

    n0 = rt_trap.count;
    TRY("movw %w0, %%es", :: "r"(SEL(G_BUF, 3)) : "memory");
    rt_check_exc(30, n0, 13, SEL(G_BUF, 0), rt_try_insn, "MOV ES of a DPL 0 segment with RPL 3");

    n0 = rt_trap.count;
    TRY("movw %w0, %%es", :: "r"(RT_TSS) : "memory");
    rt_check_exc(31, n0, 13, RT_TSS, rt_try_insn, "MOV ES of a TSS");

    n0 = rt_trap.count;
    TRY("movw %w0, %%ds; movw %w1, %%ds", :: "r"(RT_KCODE), "r"(RT_KDATA) : "memory");
    rt_check_no_exc(32, n0, "MOV DS of readable code");

    n0 = rt_trap.count;
    TRY("movw %w0, %%es; movw %w1, %%es", :: "r"(RT_UDATA), "r"(RT_KDATA) : "memory");
    rt_check_no_exc(33, n0, "MOV ES of a DPL 3 data segment at CPL 0");

    /* POP GS of a not-present segment: the fault leaves ESP alone, so the
     * stack pointer is put back by hand after it. */
    n0 = rt_trap.count;
    asm volatile("movl %%esp, %%ecx\n\t"
                 "pushl %0\n\t"
                 "movl $2f, rt_try_insn\n\t"
                 "movl $1f, rt_resume\n"
                 "2:\tpopl %%gs\n"
                 "1:\tmovl $0, rt_resume\n\t"
                 "movl %%ecx, %%esp"
                 :: "r"((uint32_t)SEL(G_NP, 0)) : "ecx", "memory");
    rt_check_exc(34, n0, 11, SEL(G_NP, 0), rt_try_insn, "POP GS of a not-present segment");
}

/* Far transfers (the labels in the asm are global: keep one copy). */
volatile uint32_t far_target_cs __attribute__((used));

static __attribute__((noinline)) void check_far(void)
{
    uint32_t cs;
    asm volatile("ljmp %1, $1f\n"
                 "1:\tmovl %%cs, %0\n\t"
                 "ljmp %2, $2f\n"
                 "2:"
                 : "=&r"(cs) : "i"(SEL(G_CODE2, 0)), "i"(RT_KCODE) : "memory");
    CHECK_EQ(35, cs, SEL(G_CODE2, 0), "CS after a far JMP to the second code segment");
    CHECK_EQ(36, READ_SEG(cs), RT_KCODE, "CS after the far JMP back");

    /* Far CALL and RETF: the callee sees the new CS, the caller its own. */
    uint32_t esp_before, esp_after;
    asm volatile("movl %%esp, %0\n\t"
                 "lcall %3, $far_func\n\t"
                 "movl %%esp, %1\n\t"
                 "movl %%cs, %2\n\t"
                 "jmp 1f\n"
                 "far_func:\n\t"
                 "movw %%cs, far_target_cs\n\t"
                 "lret\n"
                 "1:"
                 : "=&r"(esp_before), "=&r"(esp_after), "=&r"(cs) : "i"(SEL(G_CODE2, 0)) : "memory");
    CHECK_EQ(37, far_target_cs, SEL(G_CODE2, 0), "CS inside a far-called function");
    CHECK_EQ(38, cs, RT_KCODE, "CS after RETF");
    CHECK_EQ(39, esp_after, esp_before, "ESP after far CALL + RETF");

    /* Indirect far CALL through memory, and RETF imm16 dropping arguments. */
    static struct { uint32_t off; uint16_t sel; } __attribute__((packed)) fp;
    fp.sel = SEL(G_CODE2, 0);
    asm volatile("movl $far_func2, %3\n\t"
                 "movl %%esp, %0\n\t"
                 "pushl $0x11111111\n\t"
                 "pushl $0x22222222\n\t"
                 "lcall *%3\n\t"
                 "movl %%esp, %1\n\t"
                 "jmp 1f\n"
                 "far_func2:\n\t"
                 "movl 8(%%esp), %2\n\t"        /* the last argument pushed */
                 "lret $8\n"
                 "1:"
                 : "=&r"(esp_before), "=&r"(esp_after), "=&r"(cs), "+m"(fp) :: "memory");
    CHECK_EQ(40, cs, 0x22222222, "argument seen by the far-called function");
    CHECK_EQ(41, esp_after, esp_before, "ESP after RETF 8");

    /* A far JMP to a not-present or non-code segment faults at the JMP. */
    uint32_t n0 = rt_trap.count;
    TRY("ljmp %0, $0", :: "i"(SEL(G_BUF, 0)) : "memory");
    rt_check_exc(42, n0, 13, SEL(G_BUF, 0), rt_try_insn, "far JMP to a data segment");
    CHECK_EQ(43, READ_SEG(cs), RT_KCODE, "CS after the faulting far JMP");
}

static void check_lds_les(void)
{
    static struct { uint32_t off; uint16_t sel; } __attribute__((packed)) fp;
    fp.off = 12;
    fp.sel = SEL(G_BUF, 0);
    uint32_t esi, v, ds;
    /* LDS changes DS under our feet: read through it, then restore. */
    asm volatile("ldsl %3, %0\n\t"
                 "movl (%0), %1\n\t"
                 "movl %%ds, %2\n\t"
                 "movw %w4, %%ds"
                 : "=&r"(esi), "=&r"(v), "=&r"(ds) : "m"(fp), "r"(RT_KDATA) : "memory");
    CHECK_EQ(44, esi, 12, "offset loaded by LDS");
    CHECK_EQ(45, ds, SEL(G_BUF, 0), "DS loaded by LDS");
    CHECK_EQ(46, v, 0x66656463, "dword at DS:12 after LDS");

    fp.off = 0x1234;
    uint32_t edi, es;
    asm volatile("lesl %2, %0\n\t"
                 "movl %%es, %1\n\t"
                 "movw %w3, %%es"
                 : "=&r"(edi), "=&r"(es) : "m"(fp), "r"(RT_KDATA) : "memory");
    CHECK_EQ(47, edi, 0x1234, "offset loaded by LES");
    CHECK_EQ(48, es, SEL(G_BUF, 0), "ES loaded by LES");

    asm volatile("lfsl %1, %0" : "=r"(edi) : "m"(fp) : "memory");
    CHECK_EQ(49, READ_SEG(fs), SEL(G_BUF, 0), "FS loaded by LFS");
    asm volatile("lgsl %1, %0" : "=r"(edi) : "m"(fp) : "memory");
    CHECK_EQ(50, READ_SEG(gs), SEL(G_BUF, 0), "GS loaded by LGS");
    MOV_TO_SEG(fs, RT_KDATA);
    MOV_TO_SEG(gs, RT_KDATA);

    /* LES of a not-present segment: #NP(selector), ES and EDI unchanged. */
    fp.sel = SEL(G_NP, 0);
    edi = 0x5555;
    uint32_t n0 = rt_trap.count;
    TRY("lesl %1, %0", : "+r"(edi) : "m"(fp) : "memory");
    rt_check_exc(51, n0, 11, SEL(G_NP, 0), rt_try_insn, "LES of a not-present segment");
    CHECK_EQ(52, READ_SEG(es), RT_KDATA, "ES after the faulting LES");
    CHECK_EQ(53, edi, 0x5555, "destination register after the faulting LES");
}

void test_main(void)
{
    setup_gdt();
    check_mov_push_pop();
    check_bases_limits();
    check_load_faults();
    check_far();
    check_lds_les();
}
