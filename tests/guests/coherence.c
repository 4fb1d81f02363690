/*
 * coherence - ring-0 code must run from the frame its linear page maps now
 * (SDM vol. 3A 4.10.4: after INVLPG of the page, or after a CR3 load, no
 * translation cached before is used for it), and a write to a frame of
 * code, through any linear alias, is what runs next (SDM vol. 3A 11.6,
 * self-modifying and cross-modifying code).  A binary translator keeps code
 * by linear address; each case makes it run code first, so that a stale
 * translation would be what runs after the change:
 *   1. a 4 KiB code page remapped to another frame, then INVLPG; called
 *      indirectly and through a direct CALL that a translator chains; then
 *      mapped back (the first translation must serve again, unchanged);
 *   2. an instruction that straddles two pages, only the second remapped;
 *   3. a 4 MiB page whose directory entry names another 4 MiB frame, then
 *      INVLPG of another address in the same page;
 *   4. a CR3 load into a second page directory that maps the same linear
 *      page to another frame, back and forth;
 *   5. a directory entry changed to name another page table (INVLPG, and a
 *      CR3 reload);
 *   6. new code written into the frame through a second linear alias, and
 *      through the identity mapping, then called at the first address.
 * Each called function is `mov eax, imm32 ; ret`, whose value says which
 * bytes ran.  Checked on QEMU (docs/translator.md, "How it is tested").
 */
#include "paging_guest.h"

#define CODE_VA 0x40000000u     /* PDE 256: pt_code / pt_code2 */
#define ALIAS_VA 0x40010000u    /* pt_code[16]: a second alias */
#define BIG_VA 0x40400000u      /* PDE 257: a 4 MiB page */
#define BIG_A 0x00400000u       /* the two 4 MiB frames (identity-mapped below) */
#define BIG_B 0x00800000u
#define LOW_MIB 12u             /* identity-mapped with 4 KiB pages */

static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pd2[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_low[LOW_MIB / 4][1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_code[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_code2[1024] __attribute__((aligned(4096)));
static uint8_t frame[6][4096] __attribute__((aligned(4096)));
static uint8_t caller[4096] __attribute__((aligned(4096)));

/* mov eax, v ; ret at p. */
static void put_fn(uint8_t *p, uint32_t v)
{
    p[0] = 0xB8;
    memcpy(p + 1, &v, 4);
    p[5] = 0xC3;
}

static uint32_t call(uint32_t va)
{
    return ((uint32_t (*)(void))va)();
}

/* call rel32 to target ; ret, at p (executed at its identity address). */
static void put_call(uint8_t *p, uint32_t target)
{
    uint32_t rel = target - ((uint32_t)p + 5);
    p[0] = 0xE8;
    memcpy(p + 1, &rel, 4);
    p[5] = 0xC3;
}

static uint32_t pte(const void *f)
{
    return (uint32_t)f | PTE_P | PTE_W;
}

/* Run va three times (translated, chained, found in the lookup table), and
 * check each call gives want. */
static void expect(int n, uint32_t va, uint32_t want, const char *what)
{
    for (int i = 0; i < 3; i++) {
        uint32_t got = call(va);
        if (got != want)
            rt_fail(n, "%s (call %d): ran code giving 0x%x, want 0x%x", what, i, got, want);
    }
}

static void remap_4k(void)
{
    put_fn(frame[0], 0xA0000001u);
    put_fn(frame[1], 0xB0000001u);
    put_call(caller, CODE_VA);
    pt_code[0] = pte(frame[0]);
    invlpg(CODE_VA);
    expect(1, CODE_VA, 0xA0000001u, "CODE_VA on frame 0");
    expect(2, (uint32_t)caller, 0xA0000001u, "direct CALL to CODE_VA on frame 0");
    pt_code[0] = pte(frame[1]);
    invlpg(CODE_VA);
    expect(3, CODE_VA, 0xB0000001u, "CODE_VA remapped to frame 1 + INVLPG");
    pt_code[0] = pte(frame[0]);
    invlpg(CODE_VA);
    expect(4, (uint32_t)caller, 0xA0000001u, "direct CALL after mapping frame 0 back");
    pt_code[0] = pte(frame[1]);
    invlpg(CODE_VA);
    expect(5, (uint32_t)caller, 0xB0000001u, "direct CALL after remapping to frame 1");
}

/* mov eax, imm32 at CODE_VA + 0x1FFD: B8 and two bytes of the immediate on
 * page 1, two more and the RET on page 2, which alone is remapped. */
static void straddle(void)
{
    uint32_t at = CODE_VA + 0x1FFD;
    frame[2][0xFFD] = 0xB8;
    frame[2][0xFFE] = 0x11;
    frame[2][0xFFF] = 0x22;
    uint8_t tail_a[] = { 0x33, 0x44, 0xC3 }, tail_b[] = { 0x55, 0x66, 0xC3 };
    memcpy(frame[3], tail_a, 3);
    memcpy(frame[4], tail_b, 3);
    pt_code[1] = pte(frame[2]);
    pt_code[2] = pte(frame[3]);
    invlpg(CODE_VA + 0x1000);
    invlpg(CODE_VA + 0x2000);
    expect(10, at, 0x44332211u, "straddling MOV, second page on frame 3");
    pt_code[2] = pte(frame[4]);
    invlpg(CODE_VA + 0x2000);
    expect(11, at, 0x66552211u, "straddling MOV, second page remapped to frame 4");
}

static void big_page(void)
{
    put_fn((uint8_t *)BIG_A + 0x1000, 0xA0000004u);
    put_fn((uint8_t *)BIG_A + 0x2000, 0xA0000104u);
    put_fn((uint8_t *)BIG_B + 0x1000, 0xB0000004u);
    put_fn((uint8_t *)BIG_B + 0x2000, 0xB0000104u);
    pd[BIG_VA >> 22] = BIG_A | PTE_P | PTE_W | PTE_PS;
    invlpg(BIG_VA);
    expect(20, BIG_VA + 0x1000, 0xA0000004u, "4 MiB page A, offset 0x1000");
    expect(21, BIG_VA + 0x2000, 0xA0000104u, "4 MiB page A, offset 0x2000");
    pd[BIG_VA >> 22] = BIG_B | PTE_P | PTE_W | PTE_PS;
    invlpg(BIG_VA + 0x1000);        /* one INVLPG drops the whole 4 MiB page */
    expect(22, BIG_VA + 0x2000, 0xB0000104u, "4 MiB page B after INVLPG of another address in it");
    expect(23, BIG_VA + 0x1000, 0xB0000004u, "4 MiB page B, offset 0x1000");
    pd[BIG_VA >> 22] = BIG_A | PTE_P | PTE_W | PTE_PS;
    WRITE_CR(3, (uint32_t)pd);
    expect(24, BIG_VA + 0x1000, 0xA0000004u, "4 MiB page A again after a CR3 reload");
}

static void cr3_switch(void)
{
    put_fn(frame[0], 0xA0000005u);
    put_fn(frame[5], 0xF0000005u);
    pt_code[0] = pte(frame[0]);
    for (uint32_t i = 0; i < 1024; i++)
        pd2[i] = pd[i];
    pd2[CODE_VA >> 22] = (uint32_t)pt_code2 | PTE_P | PTE_W;
    pt_code2[0] = pte(frame[5]);
    WRITE_CR(3, (uint32_t)pd);
    for (int round = 0; round < 3; round++) {
        expect(30, CODE_VA, 0xA0000005u, "first address space");
        expect(31, (uint32_t)caller, 0xA0000005u, "direct CALL, first address space");
        WRITE_CR(3, (uint32_t)pd2);
        expect(32, CODE_VA, 0xF0000005u, "second address space: another frame");
        expect(33, (uint32_t)caller, 0xF0000005u, "direct CALL, second address space");
        WRITE_CR(3, (uint32_t)pd);
    }
}

static void pde_change(void)
{
    put_fn(frame[0], 0xA0000006u);
    put_fn(frame[5], 0xF0000006u);
    expect(40, CODE_VA, 0xA0000006u, "PDE 256 -> pt_code");
    pd[CODE_VA >> 22] = (uint32_t)pt_code2 | PTE_P | PTE_W;
    invlpg(CODE_VA);
    expect(41, CODE_VA, 0xF0000006u, "PDE 256 -> pt_code2, INVLPG");
    pd[CODE_VA >> 22] = (uint32_t)pt_code | PTE_P | PTE_W;
    WRITE_CR(3, (uint32_t)pd);
    expect(42, CODE_VA, 0xA0000006u, "PDE 256 -> pt_code, CR3 reload");
}

static void alias_write(void)
{
    pt_code[0] = pte(frame[0]);
    pt_code[ALIAS_VA >> 12 & 1023] = pte(frame[0]);
    invlpg(CODE_VA);
    invlpg(ALIAS_VA);
    put_fn(frame[0], 0xA0000007u);
    expect(50, CODE_VA, 0xA0000007u, "before the alias write");
    expect(51, (uint32_t)caller, 0xA0000007u, "direct CALL before the alias write");
    put_fn((uint8_t *)ALIAS_VA, 0xA1000007u);
    expect(52, CODE_VA, 0xA1000007u, "after a write through the second alias");
    expect(53, (uint32_t)caller, 0xA1000007u, "direct CALL after the alias write");
    put_fn(frame[0], 0xA2000007u);          /* the identity mapping */
    expect(54, CODE_VA, 0xA2000007u, "after a write through the identity mapping");
}

void test_main(void)
{
    for (uint32_t t = 0; t < LOW_MIB / 4; t++) {
        for (uint32_t i = 0; i < 1024; i++)
            pt_low[t][i] = ((t * 1024 + i) << 12) | PTE_P | PTE_W;
        pd[t] = (uint32_t)pt_low[t] | PTE_P | PTE_W;
    }
    pd[CODE_VA >> 22] = (uint32_t)pt_code | PTE_P | PTE_W;
    WRITE_CR(3, (uint32_t)pd);
    WRITE_CR(4, READ_CR(4) | CR4_PSE);
    WRITE_CR(0, READ_CR(0) | CR0_PG);

    remap_4k();
    straddle();
    big_page();
    cr3_switch();
    pde_change();
    alias_write();
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    rt_puts("coherence: remap+INVLPG (4 KiB, straddling, 4 MiB), CR3 switch, PDE change, alias writes\n");
}
