/*
 * addressing - addresses as a 32-bit CPU forms them (SDM vol. 1 3.3, vol. 3
 * 3.4): segment base plus offset modulo 4 GiB, 16-bit address size (0x67:
 * SI, DI, CX, wrapping at 64 KiB inside the segment), string instructions
 * that wrap at 4 GiB in both directions, and stack operations through SS
 * with a base, and through a 16-bit stack (SP), and the masked stores
 * MASKMOVQ/MASKMOVDQU, whose destination DS:EDI is implicit, through a
 * segment with a base.  Expected values follow the
 * SDM; every access is checked through a flat segment afterwards.
 */
#include "rt.h"

#define SEL_BASED  ((RT_GDT_FREE + 0) << 3)     /* data, base BASED_BASE, 4 GiB */
#define SEL_SS16   ((RT_GDT_FREE + 1) << 3)     /* data, base SS16_BASE, 64 KiB, B=0 */
#define BASED_BASE 0x00200000u
#define SS16_BASE  0x00300000u

static volatile uint8_t *const based = (volatile uint8_t *)BASED_BASE;

static void clear(uint32_t lin, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        ((volatile uint8_t *)lin)[i] = 0;
}

/* a16 REP STOSB through ES with a base: CX counts, DI wraps at 64 KiB, the
 * upper halves of ECX and EDI stay. */
static void rep_stosb_addr16(void)
{
    clear(BASED_BASE + 0xFFF0, 0x10);
    clear(BASED_BASE, 0x10);
    uint32_t ecx = 0xABCD0010, edi = 0x1234FFF8, eax = 0x5A;
    asm volatile("push %%es; mov %w3, %%es; cld; .byte 0x67; rep stosb; pop %%es"
                 : "+c"(ecx), "+D"(edi) : "a"(eax), "r"(SEL_BASED) : "memory");
    CHECK_EQ(1, ecx, 0xABCD0000u, "ECX after a16 REP STOSB (CX counted, upper half kept)");
    CHECK_EQ(2, edi, 0x12340008u, "EDI after a16 REP STOSB (DI wrapped at 64 KiB)");
    for (uint32_t i = 0xFFF8; i < 0x10000; i++)
        CHECK_EQ(3, based[i], 0x5A, "byte below the 64 KiB wrap");
    for (uint32_t i = 0; i < 8; i++)
        CHECK_EQ(4, based[i], 0x5A, "byte after the 64 KiB wrap");
    CHECK_EQ(5, based[8], 0, "byte past the count");
    CHECK_EQ(6, based[0xFFF7], 0, "byte before the start");
}

/* 32-bit REP STOSD through ES with a base, DF=1 from EDI=4: EDI runs past 0
 * to 0xFFFFFFFC, and base + EDI wraps to just below the base. */
static void rep_stosd_wrap_down(void)
{
    clear(BASED_BASE - 0x10, 0x20);
    uint32_t ecx = 4, edi = 4, eax = 0x11223344;
    asm volatile("push %%es; mov %w3, %%es; std; rep stosl; cld; pop %%es"
                 : "+c"(ecx), "+D"(edi) : "a"(eax), "r"(SEL_BASED) : "memory");
    CHECK_EQ(7, ecx, 0, "ECX after REP STOSD");
    CHECK_EQ(8, edi, 0xFFFFFFF4u, "EDI after REP STOSD with DF=1 across 0");
    volatile uint32_t *w = (volatile uint32_t *)(BASED_BASE - 8);
    CHECK_EQ(9, w[0], 0x11223344u, "dword at base - 8 (EDI 0xFFFFFFF8)");
    CHECK_EQ(10, w[1], 0x11223344u, "dword at base - 4 (EDI 0xFFFFFFFC)");
    CHECK_EQ(11, w[2], 0x11223344u, "dword at base (EDI 0)");
    CHECK_EQ(12, w[3], 0x11223344u, "dword at base + 4 (EDI 4)");
    CHECK_EQ(13, w[4], 0, "dword at base + 8 (not written)");
}

/* The same upwards: DF=0 from EDI=0xFFFFFFF8 runs past 4 GiB to 8. */
static void rep_movsd_wrap_up(void)
{
    static const uint32_t src[4] = { 1, 2, 3, 4 };
    clear(BASED_BASE - 0x10, 0x20);
    uint32_t ecx = 4, edi = 0xFFFFFFF8, esi = (uint32_t)src;
    asm volatile("push %%es; mov %w3, %%es; cld; rep movsl; pop %%es"
                 : "+c"(ecx), "+D"(edi), "+S"(esi) : "r"(SEL_BASED) : "memory");
    CHECK_EQ(14, edi, 8, "EDI after REP MOVSD with DF=0 across 4 GiB");
    volatile uint32_t *w = (volatile uint32_t *)(BASED_BASE - 8);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(15, w[i], (uint32_t)(i + 1), "dword copied across the 4 GiB wrap");
}

/* LODS through a segment override with a base, and a MOV through FS with
 * a base whose sum with the offset wraps at 4 GiB (TLS at negative
 * offsets does this). */
static void based_overrides(void)
{
    *(volatile uint32_t *)(BASED_BASE - 4) = 0xCAFEF00D;
    *(volatile uint32_t *)(BASED_BASE + 0x40) = 0x600DD00D;
    uint32_t v, esi = 0x40;
    asm volatile("push %%fs; mov %w2, %%fs; lodsl %%fs:(%%esi), %%eax; pop %%fs"
                 : "=a"(v), "+S"(esi) : "r"(SEL_BASED) : "memory");
    CHECK_EQ(16, v, 0x600DD00Du, "LODSD through FS with a base");
    CHECK_EQ(17, esi, 0x44, "ESI after LODSD");
    asm volatile("push %%fs; mov %w1, %%fs; movl %%fs:0xFFFFFFFC, %0; pop %%fs"
                 : "=r"(v) : "r"(SEL_BASED) : "memory");
    CHECK_EQ(18, v, 0xCAFEF00Du, "FS base + 0xFFFFFFFC wraps to base - 4");
    uint32_t idx = 0xFFFFFFF0;
    asm volatile("push %%gs; mov %w1, %%gs; movl %%gs:12(%2), %0; pop %%gs"
                 : "=r"(v) : "r"(SEL_BASED), "r"(idx) : "memory");
    CHECK_EQ(19, v, 0xCAFEF00Du, "GS base + (0xFFFFFFF0 + 12) wraps to base - 4");
}

/* PUSH/POP/CALL through SS with a base, and through a 16-bit stack. */
static void stacks(void)
{
    clear(BASED_BASE + 0xFF0, 0x10);
    uint32_t popped, esp_after;
    asm volatile("mov %%esp, %%edx; mov %%ss, %%ecx\n\t"
                 "mov %w3, %%ss; mov $0x1000, %%esp\n\t"
                 "push $0x7788; push %%eax; pop %0; mov %%esp, %1\n\t"
                 "mov %%ecx, %%ss; mov %%edx, %%esp"
                 : "=&r"(popped), "=&r"(esp_after)
                 : "a"(0x99AA), "r"(SEL_BASED) : "ecx", "edx", "memory");
    CHECK_EQ(20, popped, 0x99AA, "POP through SS with a base");
    CHECK_EQ(21, esp_after, 0xFFC, "ESP after PUSH, PUSH, POP");
    CHECK_EQ(22, *(volatile uint32_t *)(BASED_BASE + 0xFFC), 0x7788, "PUSH imm landed at SS.base + ESP");
    CHECK_EQ(23, *(volatile uint32_t *)(BASED_BASE + 0xFF8), 0x99AA, "PUSH EAX landed at SS.base + ESP");

    /* A 16-bit stack (B=0): PUSH uses SP and wraps at 64 KiB; the upper
     * half of ESP is kept. */
    clear(SS16_BASE + 0xFFF0, 0x10);
    clear(SS16_BASE, 0x10);
    asm volatile("mov %%esp, %%edx; mov %%ss, %%ecx\n\t"
                 "mov %w3, %%ss; mov $0xABCD0004, %%esp\n\t"
                 "push %%eax; push %%eax; mov %%esp, %1; pop %0; pop %0\n\t"
                 "mov %%ecx, %%ss; mov %%edx, %%esp"
                 : "=&r"(popped), "=&r"(esp_after)
                 : "a"(0x31415926), "r"(SEL_SS16) : "ecx", "edx", "memory");
    CHECK_EQ(24, esp_after, 0xABCDFFFCu, "ESP after two pushes on a 16-bit stack from SP=4");
    CHECK_EQ(25, popped, 0x31415926u, "POP from a 16-bit stack");
    CHECK_EQ(26, *(volatile uint32_t *)(SS16_BASE), 0x31415926u, "first PUSH at SP 0");
    CHECK_EQ(27, *(volatile uint32_t *)(SS16_BASE + 0xFFFC), 0x31415926u,
             "second PUSH at SP 0xFFFC (SP wrapped)");
}

/* MASKMOVDQU and MASKMOVQ through FS with a base: only the bytes whose
 * mask byte has bit 7 set are stored, at FS.base + EDI, and nothing at EDI
 * itself (an offset above the host's mmap_min_addr, so that a store there
 * would not fault). */
#define MASK_OFF 0x20000u
static void masked_stores(void)
{
    WRITE_CR(0, (READ_CR(0) & ~0xCu) | 0x2u);      /* EM and TS clear, MP set */
    WRITE_CR(4, READ_CR(4) | 0x600u);              /* OSFXSR, OSXMMEXCPT */
    static const uint8_t data[16] __attribute__((aligned(16))) = {
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
        0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F };
    static const uint8_t mask[16] __attribute__((aligned(16))) = {
        0x80, 0x00, 0xFF, 0x7F, 0x80, 0x00, 0x00, 0x80,
        0x00, 0x80, 0x80, 0x00, 0x01, 0x80, 0x00, 0xC0 };
    volatile uint8_t *dst = based + MASK_OFF, *flat = (volatile uint8_t *)MASK_OFF;
    for (int i = 0; i < 32; i++)
        dst[i] = flat[i] = 0xEE;
    uint32_t edi = MASK_OFF;
    asm volatile("movdqa %1, %%xmm0; movdqa %2, %%xmm1; push %%fs; mov %w3, %%fs;"
                 ".byte 0x64; maskmovdqu %%xmm1, %%xmm0; pop %%fs"
                 : "+D"(edi) : "m"(data), "m"(mask), "r"(SEL_BASED) : "memory");
    for (int i = 0; i < 16; i++)
        CHECK_EQ(28, dst[i], (mask[i] & 0x80) ? data[i] : 0xEE, "byte after MASKMOVDQU fs:[edi]");
    CHECK_EQ(29, edi, MASK_OFF, "EDI after MASKMOVDQU");
    edi = MASK_OFF + 16;
    asm volatile("movq %1, %%mm0; movq %2, %%mm1; push %%fs; mov %w3, %%fs;"
                 ".byte 0x64; maskmovq %%mm1, %%mm0; pop %%fs; emms"
                 : "+D"(edi) : "m"(data[8]), "m"(mask[8]), "r"(SEL_BASED) : "memory");
    for (int i = 0; i < 8; i++)
        CHECK_EQ(30, dst[16 + i], (mask[8 + i] & 0x80) ? data[8 + i] : 0xEE,
                 "byte after MASKMOVQ fs:[edi]");
    CHECK_EQ(31, dst[24], 0xEE, "byte past MASKMOVQ's 8");
    for (int i = 0; i < 32; i++)
        CHECK_EQ(32, flat[i], 0xEE, "byte at EDI without the FS base (must stay)");
}

void test_main(void)
{
    rt_gdt_set(RT_GDT_FREE, rt_seg_desc(BASED_BASE, 0xFFFFF, ACC_DATA0, FLG_4K32));
    rt_gdt_set(RT_GDT_FREE + 1, rt_seg_desc(SS16_BASE, 0xFFFF, ACC_DATA0, 0));
    rep_stosb_addr16();
    rep_stosd_wrap_down();
    rep_movsd_wrap_up();
    based_overrides();
    stacks();
    masked_stores();
    rt_printf("addressing: a16 strings, 4 GiB string wraps both ways, based overrides, "
              "SS with a base, a 16-bit stack, masked stores through FS\n");
}
