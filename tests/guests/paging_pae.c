/*
 * paging_pae - PAE paging (SDM vol. 3A 4.4) with the execute-disable bit,
 * as a guest kernel sees it through the shadow MMU: the CPUID flags and
 * IA32_EFER.NXE; 4 KiB and 2 MiB pages with 64-bit entries; the four PDPTEs
 * loaded at a CR3 write (and at a CR4.PGE change, 4.4.1), a PDPTE with
 * reserved bits refused with #GP; accessed and dirty bits set in the low
 * word without touching XD; fetches from execute-disabled pages (XD in the
 * PTE or the PDE) faulting with the I/D bit from ring 0 and from ring 3,
 * and the same code running once XD is cleared (and faulting again once it
 * is set back: translations follow the entries); reserved bits giving #PF
 * with RSVD; global pages kept across a CR3 load and replaced after INVLPG
 * or a CR4.PGE toggle; page-table writes (whole entries, and only the XD
 * half) taking effect after INVLPG or a CR3 load.
 *
 * Checked on QEMU 7.2 TCG (qemu-system-i386 -cpu qemu32,+pae,+nx, as the
 * other paging guests): everything passes there except where QEMU departs
 * from the SDM: it ignores reserved EFER bits instead of #GP (check 5),
 * reads the PDPT at every walk instead of loading the PDPTEs at MOV CR3
 * (checks 31, 34, 35), and reports a reserved-bit fault without P (60, 62,
 * 63; SDM vol. 3A 4.7: RSVD can be set only with P).
 */
#include "paging_guest.h"
#include "user_call.h"

#define CR4_PAE 0x20u
#define CR4_PGE 0x80u
#define PTE_G   0x100u
#define XD      (1ull << 63)
#define MSR_EFER 0xC0000080u
#define EFER_NXE (1u << 11)

#define PF_P    1u
#define PF_W    2u
#define PF_U    4u
#define PF_RSVD 8u
#define PF_ID   16u

#define TEST_VA 0x40000000u             /* PDPTE 1, PDE 0 -> pt_test (4 KiB pages) */
#define XDPD_VA 0x40200000u             /* PDE 1 -> pt_xd, itself XD */
#define HIGH_VA 0xC0000000u             /* PDPTE 3: a 2 MiB page of physical 0 */
#define CODE_K  16                      /* pt_test index of the ring-0 code page */
#define CODE_U  17                      /* ... of the ring-3 code page */
#define GLOBAL  20                      /* ... of the global page */

enum { SYS_EXIT };

static volatile uint64_t pdpt_page[512] __attribute__((aligned(4096)));
static volatile uint64_t pd[4][512] __attribute__((aligned(4096)));
static volatile uint64_t pd_alt[512] __attribute__((aligned(4096)));
static volatile uint64_t pt_test[512] __attribute__((aligned(4096)));
static volatile uint64_t pt_xd[512] __attribute__((aligned(4096)));
static volatile uint64_t pt_alt[512] __attribute__((aligned(4096)));
static volatile uint32_t frame[4][1024] __attribute__((aligned(4096)));
static uint8_t code[2][4096] __attribute__((aligned(4096)));
static uint8_t kstack[8192] __attribute__((aligned(16)));
static uint8_t ustack[8192] __attribute__((aligned(16)));

/* Two PDPTs in one page: A at offset 0, B at offset 32 (a PDPT needs only
 * 32-byte alignment; Linux allocates them so). */
static volatile uint64_t *const pdpt_a = &pdpt_page[0];
static volatile uint64_t *const pdpt_b = &pdpt_page[4];

static uint32_t va(uint32_t k) { return TEST_VA + k * 4096; }
static uint32_t lo(uint64_t e) { return (uint32_t)e; }
static uint32_t hi(uint64_t e) { return (uint32_t)(e >> 32); }

static void kernel_hook(struct trap_frame *f)
{
    if ((f->cs & 3) != 3 && rt_resume) {       /* a ring-0 TRY */
        f->eip = rt_resume;
        rt_resume = 0;
        return;
    }
    if ((f->cs & 3) != 3)
        rt_fail(127, "unexpected vector %u error 0x%x at ring 0 eip 0x%x (cr2 0x%x)",
                f->vector, f->error, f->eip, READ_CR(2));
    if (f->vector == 0x80 && f->eax == SYS_EXIT)
        user_abort(f->ebx);
    if (f->vector == 14)
        user_page_fault(f);
    rt_fail(127, "unexpected vector %u error 0x%x from ring 3 at 0x%x", f->vector, f->error, f->eip);
}

static void wrmsr(uint32_t msr, uint64_t v)
{
    asm volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/* mov $0x600D, %eax; ret */
static const uint8_t ret_600d[] = { 0xB8, 0x0D, 0x60, 0x00, 0x00, 0xC3 };

static uint32_t user_at(uint32_t lin)
{
    return user_call((uint32_t (*)(void))lin, (uint32_t)(ustack + sizeof ustack));
}

static void expect_user_fault(int n, uint32_t lin, uint32_t error, const char *what)
{
    uint32_t c0 = user_pf_count, r = user_at(lin);
    if (r != USER_FAULTED)
        rt_fail(n, "%s: ring 3 returned 0x%x instead of faulting", what, r);
    CHECK_EQ(n, user_pf_count, c0 + 1, what);
    if (user_pf_error != error || user_pf_cr2 != lin)
        rt_fail(n, "%s: #PF error 0x%x CR2 0x%x, want 0x%x at 0x%x", what, user_pf_error, user_pf_cr2,
                error, lin);
}

/* A jump to lin must fault with #PF(error) at lin. */
static void expect_fetch_fault(int n, uint32_t lin, uint32_t error, const char *what)
{
    uint32_t n0 = rt_trap.count;
    TRY("jmp *%0", :: "r"(lin));
    rt_check_exc(n, n0, 14, error, lin, what);
    CHECK_EQ(n, READ_CR(2), lin, what);
}

static uint32_t call_at(uint32_t lin)
{
    return ((uint32_t (*)(void))lin)();
}

static void build_tables(void)
{
    /* 0..8 MiB identity in 2 MiB pages, user-accessible (ring 3 runs the
     * guest's own code there); the test tables at 0x40000000; physical 0
     * again at 0xC0000000. */
    for (uint32_t i = 0; i < 4; i++) {
        pd[0][i] = (i << 21) | PTE_P | PTE_W | PTE_U | PTE_PS;
        pdpt_a[i] = (uint32_t)pd[i] | PTE_P;
        pdpt_b[i] = (uint32_t)pd[i] | PTE_P;
    }
    pd[1][0] = (uint32_t)pt_test | PTE_P | PTE_W | PTE_U;
    pd[1][1] = (uint32_t)pt_xd | PTE_P | PTE_W | PTE_U;        /* XD added once NXE is on */
    pd[3][0] = 0 | PTE_P | PTE_W | PTE_PS;
    for (uint32_t k = 0; k < 4; k++) {
        pt_test[k] = (uint32_t)frame[k] | PTE_P | PTE_W;
        for (uint32_t w = 0; w < 1024; w++)
            frame[k][w] = 0xF0000000u | k << 16 | w;
    }
    pt_xd[0] = (uint32_t)code[0] | PTE_P | PTE_W;
    pd_alt[0] = (uint32_t)pt_alt | PTE_P | PTE_W;
    pt_alt[0] = (uint32_t)frame[2] | PTE_P | PTE_W;
    for (int i = 0; i < 2; i++)
        memcpy(code[i], ret_600d, sizeof ret_600d);
}

static void check_model(void)
{
    uint32_t r[4];
    cpuid(1, r);
    CHECK(1, r[3] & (1u << 6), "CPUID.1:EDX.PAE clear (edx 0x%x)", r[3]);
    cpuid(0x80000000u, r);
    CHECK(2, r[0] >= 0x80000001u, "max extended leaf 0x%x", r[0]);
    cpuid(0x80000001u, r);
    CHECK(3, r[3] & (1u << 20), "CPUID.80000001H:EDX.NX clear (edx 0x%x)", r[3]);
    CHECK_EQ(4, rdmsr(MSR_EFER), 0, "EFER at reset");
    uint32_t n0 = rt_trap.count;
    TRY("wrmsr", :: "c"(MSR_EFER), "a"(1u << 8), "d"(0));     /* LME: no long mode */
    rt_check_exc(5, n0, 13, 0, rt_try_insn, "EFER.LME write");
    wrmsr(MSR_EFER, EFER_NXE);
    CHECK_EQ(6, rdmsr(MSR_EFER), EFER_NXE, "EFER.NXE set");
}

static void check_pages_and_ad(void)
{
    /* A 2 MiB page at HIGH_VA shows physical memory; A then D in its PDE. */
    frame[0][5] = 0x12345678;
    CHECK_EQ(10, peek(HIGH_VA + (uint32_t)&frame[0][5]), 0x12345678, "2 MiB page read");
    CHECK_EQ(11, lo(pd[3][0]) & (PTE_A | PTE_D), PTE_A, "A only in the 2 MiB PDE");
    poke(HIGH_VA + (uint32_t)&frame[0][6], 0xCAFE);
    CHECK_EQ(12, lo(pd[3][0]) & PTE_D, PTE_D, "D in the 2 MiB PDE after a write");
    CHECK_EQ(13, frame[0][6], 0xCAFE, "the write reached frame 0");

    /* 4 KiB pages: A/D in the low word, an XD bit above them untouched. */
    pt_test[1] = (uint32_t)frame[1] | PTE_P | PTE_W | XD;
    invlpg(va(1));
    CHECK_EQ(14, peek(va(1) + 8), 0xF0010002u, "read through a 64-bit PTE");
    CHECK_EQ(15, lo(pt_test[1]) & (PTE_A | PTE_D), PTE_A, "A only after a read");
    CHECK_EQ(16, lo(pd[1][0]) & PTE_A, PTE_A, "A in the PDE");
    poke(va(1) + 12, 0xD1D1);
    CHECK_EQ(17, lo(pt_test[1]) & PTE_D, PTE_D, "D after a write");
    CHECK_EQ(18, hi(pt_test[1]), 0x80000000u, "XD kept by the A/D updates");
    /* A cleared A/D pair comes back at the next accesses after INVLPG. */
    pt_test[1] &= ~(uint64_t)(PTE_A | PTE_D);
    invlpg(va(1));
    CHECK_EQ(19, peek(va(1) + 12), 0xD1D1, "read again");
    CHECK_EQ(20, lo(pt_test[1]) & (PTE_A | PTE_D), PTE_A, "A again, no D");
}

static void check_pdpte_loads(void)
{
    /* The walk uses the PDPTEs loaded at the last CR3 write: changing the
     * PDPT in memory changes nothing until CR3 is written again. */
    CHECK_EQ(30, peek(va(2) + 4), 0xF0020001u, "frame 2 via pt_test");
    pdpt_a[1] = (uint32_t)pd_alt | PTE_P;
    CHECK_EQ(31, peek(va(0) + 4), 0xF0000001u, "old PDPTE 1 still in force (page 0)");
    WRITE_CR(3, (uint32_t)pdpt_a);
    CHECK_EQ(32, peek(va(0) + 4), 0xF0020001u, "new PDPTE 1 after the CR3 write");
    /* A CR4.PGE change loads them too (SDM 4.4.1). */
    pdpt_a[1] = (uint32_t)pd[1] | PTE_P;
    WRITE_CR(4, READ_CR(4) ^ CR4_PGE);
    WRITE_CR(4, READ_CR(4) ^ CR4_PGE);
    CHECK_EQ(33, peek(va(0) + 4), 0xF0000001u, "PDPTE 1 reloaded by a CR4.PGE change");
    /* A present PDPTE with a reserved bit (bit 1): MOV CR3 is #GP(0). */
    pdpt_b[2] = (uint32_t)pd[2] | PTE_P | 2u;
    uint32_t n0 = rt_trap.count;
    TRY("movl %0, %%cr3", :: "r"((uint32_t)pdpt_b) : "memory");
    rt_check_exc(34, n0, 13, 0, rt_try_insn, "MOV CR3 with a reserved PDPTE bit");
    CHECK_EQ(35, READ_CR(3), (uint32_t)pdpt_a, "CR3 unchanged after the #GP");
    pdpt_b[2] = (uint32_t)pd[2] | PTE_P;
    WRITE_CR(3, (uint32_t)pdpt_b);              /* a PDPT at offset 32 of its page */
    CHECK_EQ(36, peek(va(1) + 12), 0xD1D1, "space B");
    WRITE_CR(3, (uint32_t)pdpt_a);
}

static void check_nx_ring0(void)
{
    uint32_t kva = va(CODE_K);
    pt_test[CODE_K] = (uint32_t)code[0] | PTE_P | PTE_W | XD;
    invlpg(kva);
    CHECK_EQ(40, peek(kva), 0x600DB8u, "an XD page is readable");
    expect_fetch_fault(41, kva, PF_P | PF_ID, "fetch from an XD page (ring 0)");
    pt_test[CODE_K] &= ~XD;
    invlpg(kva);
    CHECK_EQ(42, call_at(kva), 0x600D, "the code runs once XD is cleared");
    /* Only the high word written (as a 32-bit store): XD back on. */
    ((volatile uint32_t *)&pt_test[CODE_K])[1] = 0x80000000u;
    invlpg(kva);
    expect_fetch_fault(43, kva, PF_P | PF_ID, "fetch after XD was set again");
    /* XD in the directory entry covers its whole 2 MiB. */
    CHECK_EQ(44, call_at(XDPD_VA), 0x600D, "code under a PDE without XD");
    pd[1][1] |= XD;
    invlpg(XDPD_VA);
    expect_fetch_fault(45, XDPD_VA, PF_P | PF_ID, "fetch under an XD PDE");
    /* Not present: the fetch's error code has I/D but not P. */
    expect_fetch_fault(46, va(30), PF_ID, "fetch from a not-present page");
}

static void check_nx_ring3(void)
{
    uint32_t uva = va(CODE_U);
    pt_test[CODE_U] = (uint32_t)code[1] | PTE_P | PTE_U | XD;
    pd[1][0] |= PTE_U;
    invlpg(uva);
    expect_user_fault(50, uva, PF_P | PF_U | PF_ID, "fetch from an XD page (ring 3)");
    pt_test[CODE_U] &= ~XD;
    invlpg(uva);
    CHECK_EQ(51, user_at(uva), 0x600D, "ring-3 code runs once XD is cleared");
    pt_test[CODE_U] |= XD;
    WRITE_CR(3, READ_CR(3));                    /* a CR3 reload instead of INVLPG */
    expect_user_fault(52, uva, PF_P | PF_U | PF_ID, "ring-3 fetch after XD set again");
}

static void check_reserved(void)
{
    uint32_t n0 = rt_trap.count;
    pt_test[3] = (uint32_t)frame[3] | PTE_P | PTE_W | (1ull << 40);     /* above MAXPHYADDR */
    invlpg(va(3));
    TRY("movl (%0), %%eax", :: "r"(va(3)) : "eax");
    rt_check_exc(60, n0, 14, PF_P | PF_RSVD, rt_try_insn, "bit 40 in a PTE");
    CHECK_EQ(61, READ_CR(2), va(3), "CR2 of the RSVD fault");
    pd[3][1] = (2u << 21) | PTE_P | PTE_W | PTE_PS | (1u << 13);       /* bits 20:13 */
    n0 = rt_trap.count;
    TRY("movl $1, (%0)", :: "r"(HIGH_VA + (2u << 20)) : "memory");
    rt_check_exc(62, n0, 14, PF_P | PF_RSVD | PF_W, rt_try_insn, "bit 13 in a 2 MiB PDE");
    /* XD without EFER.NXE is reserved too. */
    pt_test[3] = (uint32_t)frame[3] | PTE_P | PTE_W | XD;
    wrmsr(MSR_EFER, 0);
    invlpg(va(3));
    n0 = rt_trap.count;
    TRY("movl (%0), %%eax", :: "r"(va(3)) : "eax");
    rt_check_exc(63, n0, 14, PF_P | PF_RSVD, rt_try_insn, "XD without NXE");
    wrmsr(MSR_EFER, EFER_NXE);
    CHECK_EQ(64, peek(va(3) + 4), 0xF0030001u, "XD with NXE: a readable page");
}

static void check_global(void)
{
    pt_test[GLOBAL] = (uint32_t)frame[0] | PTE_P | PTE_W | PTE_G;
    invlpg(va(GLOBAL));
    CHECK_EQ(70, peek(va(GLOBAL) + 4), 0xF0000001u, "global page");
    WRITE_CR(3, (uint32_t)pdpt_b);
    CHECK_EQ(71, peek(va(GLOBAL) + 4), 0xF0000001u, "global page after a CR3 load");
    WRITE_CR(3, (uint32_t)pdpt_a);
    pt_test[GLOBAL] = (uint32_t)frame[1] | PTE_P | PTE_W | PTE_G;
    invlpg(va(GLOBAL));
    CHECK_EQ(72, peek(va(GLOBAL) + 4), 0xF0010001u, "global page replaced after INVLPG");
    pt_test[GLOBAL] = (uint32_t)frame[2] | PTE_P | PTE_W | PTE_G;
    WRITE_CR(4, READ_CR(4) & ~CR4_PGE);
    WRITE_CR(4, READ_CR(4) | CR4_PGE);
    CHECK_EQ(73, peek(va(GLOBAL) + 4), 0xF0020001u, "global page replaced after a PGE toggle");
}

static void check_tracing(void)
{
    /* A PTE in use rewritten, seen after a CR3 reload; one made present,
     * seen at once; a whole table of writes in a loop. */
    CHECK_EQ(80, peek(va(2) + 8), 0xF0020002u, "page 2 before");
    pt_test[2] = (uint32_t)frame[3] | PTE_P | PTE_W;
    WRITE_CR(3, READ_CR(3));
    CHECK_EQ(81, peek(va(2) + 8), 0xF0030002u, "page 2 after the PTE write + CR3 reload");
    pt_test[40] = (uint32_t)frame[1] | PTE_P;
    CHECK_EQ(82, peek(va(40) + 8), 0xF0010002u, "a PTE made present");
    for (uint32_t i = 0; i < 64; i++)
        pt_test[48 + (i & 7)] = (uint32_t)frame[i & 3] | PTE_P | PTE_W;
    for (uint32_t i = 0; i < 8; i++)
        CHECK_EQ(83, peek(va(48 + i) + 28), 0xF0000007u | (i & 3) << 16, "PTE written in a loop");
    /* A PTE changed in place twice without a flush, then flushed. */
    for (uint32_t round = 0; round < 10; round++) {
        pt_test[2] = (uint32_t)frame[round & 3] | PTE_P | PTE_W;
        invlpg(va(2));
        CHECK_EQ(84, peek(va(2) + 16), 0xF0000004u | (round & 3) << 16, "PTE rewritten + INVLPG");
    }
}

void test_main(void)
{
    build_tables();
    rt_tss.ss0 = RT_KDATA;
    rt_tss.esp0 = (uint32_t)(kstack + sizeof kstack);
    rt_idt_default(0x80, GATE_TRAP3);
    rt_hook = kernel_hook;

    check_model();
    pd[1][1] &= ~XD;
    WRITE_CR(4, READ_CR(4) | CR4_PAE | CR4_PGE);
    WRITE_CR(3, (uint32_t)pdpt_a);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
    CHECK(7, READ_CR(0) & CR0_PG, "paging did not turn on");
    rt_puts("PAE paging on\n");

    check_pages_and_ad();
    check_pdpte_loads();
    check_nx_ring0();
    check_nx_ring3();
    check_reserved();
    check_global();
    check_tracing();

    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    CHECK(90, !(READ_CR(0) & CR0_PG), "paging off again");
    CHECK_EQ(91, frame[0][6], 0xCAFE, "identity after paging off");
}
