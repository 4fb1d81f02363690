/*
 * paging_user_pt - page tables that are themselves mapped writable at a
 * user address.  Ring-3 code (run directly by the monitor) rewrites PTEs
 * and a PDE through that mapping; after the kernel's INVLPG or a CR3
 * reload the new mapping must take effect for ring 3 and ring 0 alike, with
 * the user/supervisor and read/write rules and the #PF error codes of the
 * new entries (SDM vol. 3A 4.6, 4.7, 4.10.4).
 *
 * Ring 3 is entered with an IRET to RT_UCODE/RT_UDATA (the pattern of
 * tests/ring3/r3_entry.asm) and talks to the kernel through INT 0x80:
 * EAX = function, EBX/ECX/EDX/ESI = arguments.  A page fault in ring 3 ends
 * the user run; the kernel checks its error code and CR2.
 */
#include "paging_guest.h"
#include "user_call.h"

#define TEST_VA  0x40000000u        /* PDE 256 -> pt_test */
#define TEST2_VA 0x40400000u        /* PDE 257: made by ring 3 */
#define USER_PT  0x50000000u        /* PDE 320 -> pt_map: pt_test, then pd */
#define USER_PD  (USER_PT + 0x1000u)
#define NFRAMES  4

enum { SYS_EXIT, SYS_FAIL, SYS_INVLPG, SYS_RELOAD_CR3 };

static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_low[2][1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_test[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_map[1024] __attribute__((aligned(4096)));
static volatile uint32_t frame[NFRAMES][1024] __attribute__((aligned(4096)));
static uint8_t kstack[8192] __attribute__((aligned(16)));
static uint8_t ustack[8192] __attribute__((aligned(16)));

static uint32_t magic(uint32_t f, uint32_t w) { return 0xD0000000u | (f << 16) | w; }

/* ---- entering ring 3 and coming back ------------------------------------ */

static void kernel_hook(struct trap_frame *f)
{
    if ((f->cs & 3) != 3)
        rt_fail(127, "unexpected vector %u error 0x%x at ring 0 eip 0x%x (cr2 0x%x)",
                f->vector, f->error, f->eip, READ_CR(2));
    if (f->vector == 0x80) {
        switch (f->eax) {
        case SYS_EXIT:
            user_abort(f->ebx);
        case SYS_FAIL:
            rt_fail((int)f->ebx, "ring 3: %s: got 0x%x, want 0x%x",
                    (const char *)f->esi, f->ecx, f->edx);
        case SYS_INVLPG:
            invlpg(f->ebx);
            return;
        case SYS_RELOAD_CR3:
            WRITE_CR(3, READ_CR(3));
            return;
        }
    }
    if (f->vector == 14)
        user_page_fault(f);
    rt_fail(127, "unexpected vector %u error 0x%x from ring 3 at 0x%x", f->vector, f->error, f->eip);
}

static uint32_t run_user(uint32_t (*fn)(void))
{
    return user_call(fn, (uint32_t)(ustack + sizeof ustack));
}

/* ---- ring-3 side ---------------------------------------------------------- */

static inline uint32_t u_sys(uint32_t nr, uint32_t b, uint32_t c, uint32_t d, const char *s)
{
    uint32_t ret;
    asm volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(b), "c"(c), "d"(d), "S"(s) : "memory");
    return ret;
}

#define U_CHECK_EQ(n, got, want, what) do { \
        uint32_t g_ = (got), w_ = (want); \
        if (g_ != w_) u_sys(SYS_FAIL, (n), g_, w_, (what)); \
    } while (0)

static volatile uint32_t *const upt = (volatile uint32_t *)USER_PT;
static volatile uint32_t *const upd = (volatile uint32_t *)USER_PD;

/* Rewrite PTEs of TEST_VA through the user mapping of pt_test. */
static uint32_t u_remap(void)
{
    U_CHECK_EQ(1, peek(TEST_VA + 8), magic(0, 2), "TEST_VA before");
    U_CHECK_EQ(2, upt[0] & ~(PTE_A | PTE_D), (uint32_t)frame[0] | PTE_P | PTE_W | PTE_U,
               "PTE 0 read through USER_PT");
    U_CHECK_EQ(3, upt[0] & PTE_A, PTE_A, "A of PTE 0 after the ring-3 read");
    upt[0] = (uint32_t)frame[1] | PTE_P | PTE_W | PTE_U;
    u_sys(SYS_INVLPG, TEST_VA, 0, 0, 0);
    U_CHECK_EQ(4, peek(TEST_VA + 8), magic(1, 2), "TEST_VA after the PTE write + INVLPG");
    poke(TEST_VA + 400, 0x1234);
    U_CHECK_EQ(5, upt[0] & (PTE_A | PTE_D), PTE_A | PTE_D, "A/D of PTE 0 after a ring-3 write");
    /* A new page, made visible by a CR3 reload. */
    upt[1] = (uint32_t)frame[2] | PTE_P | PTE_W | PTE_U;
    u_sys(SYS_RELOAD_CR3, 0, 0, 0, 0);
    U_CHECK_EQ(6, peek(TEST_VA + 0x1000 + 16), magic(2, 4), "page 1 after the CR3 reload");
    /* Many PTE writes in a loop, each followed by INVLPG. */
    for (uint32_t i = 0; i < 48; i++) {
        uint32_t k = 2 + i % 6, f = (i * 3) % NFRAMES;
        upt[k] = (uint32_t)frame[f] | PTE_P | PTE_W | PTE_U;
        u_sys(SYS_INVLPG, TEST_VA + k * 4096, 0, 0, 0);
        U_CHECK_EQ(7, peek(TEST_VA + k * 4096 + 4 * i), magic(f, i), "loop of PTE writes");
    }
    /* A directory entry through the user mapping of the directory: PDE
     * 257 shares pt_test. */
    upd[TEST2_VA >> 22] = (uint32_t)pt_test | PTE_P | PTE_W | PTE_U;
    u_sys(SYS_RELOAD_CR3, 0, 0, 0, 0);
    U_CHECK_EQ(8, peek(TEST2_VA + 0x1000 + 16), magic(2, 4), "page 1 through PDE 257");
    return 0x600D;
}

/* The remaining programs end in a page fault the kernel checks. */
static uint32_t u_unmap(void)
{
    upt[0] = 0;
    u_sys(SYS_INVLPG, TEST_VA, 0, 0, 0);
    return peek(TEST_VA + 0x20);
}

static uint32_t u_supervisor(void)
{
    upt[0] = (uint32_t)frame[3] | PTE_P | PTE_W;
    u_sys(SYS_INVLPG, TEST_VA, 0, 0, 0);
    return peek(TEST_VA + 0x24);
}

static uint32_t u_read_only(void)
{
    upt[0] = (uint32_t)frame[3] | PTE_P | PTE_U;
    u_sys(SYS_INVLPG, TEST_VA, 0, 0, 0);
    U_CHECK_EQ(9, peek(TEST_VA + 0x28), magic(3, 10), "read-only page readable");
    poke(TEST_VA + 0x28, 0);
    return 0;
}

static uint32_t u_identity_pt(void)
{
    /* pt_test's own identity address is a supervisor page. */
    poke((uint32_t)&pt_test[0], 0);
    return 0;
}

static uint32_t u_read_test(void)
{
    return peek(TEST_VA + 0x2C);
}

/* ---- kernel side ------------------------------------------------------------ */

static void expect_fault(int n, uint32_t (*fn)(void), uint32_t error, uint32_t cr2, const char *what)
{
    uint32_t c0 = user_pf_count;
    uint32_t r = run_user(fn);
    if (r != USER_FAULTED)
        rt_fail(n, "%s: ring 3 returned 0x%x instead of faulting", what, r);
    CHECK_EQ(n, user_pf_count, c0 + 1, what);
    if (user_pf_error != error || user_pf_cr2 != cr2)
        rt_fail(n, "%s: #PF error 0x%x CR2 0x%x, want error 0x%x CR2 0x%x",
                what, user_pf_error, user_pf_cr2, error, cr2);
}

void test_main(void)
{
    /* Identity map 8 MiB, user-accessible except page 0 and the paging
     * structures themselves (ring 3 reaches those only through USER_PT). */
    for (uint32_t t = 0; t < 2; t++) {
        for (uint32_t i = 0; i < 1024; i++)
            pt_low[t][i] = ((t * 1024 + i) << 12) | PTE_P | PTE_W | PTE_U;
        pd[t] = (uint32_t)pt_low[t] | PTE_P | PTE_W | PTE_U;
    }
    pt_low[0][0] = 0;
    const volatile uint32_t *supervisor[] = { pd, pt_low[0], pt_low[1], pt_test, pt_map };
    for (unsigned i = 0; i < sizeof supervisor / sizeof supervisor[0]; i++)
        pt_low[0][(uint32_t)supervisor[i] >> 12] &= ~PTE_U;
    pd[TEST_VA >> 22] = (uint32_t)pt_test | PTE_P | PTE_W | PTE_U;
    pd[USER_PT >> 22] = (uint32_t)pt_map | PTE_P | PTE_W | PTE_U;
    pt_map[0] = (uint32_t)pt_test | PTE_P | PTE_W | PTE_U;
    pt_map[1] = (uint32_t)pd | PTE_P | PTE_W | PTE_U;
    pt_test[0] = (uint32_t)frame[0] | PTE_P | PTE_W | PTE_U;
    for (uint32_t f = 0; f < NFRAMES; f++)
        for (uint32_t w = 0; w < 1024; w++)
            frame[f][w] = magic(f, w);

    user_paging_on(pd, (uint32_t)(kstack + sizeof kstack), kernel_hook);

    CHECK_EQ(10, run_user(u_remap), 0x600D, "u_remap");
    /* What ring 3 wrote is in the tables and in effect for ring 0 too. */
    CHECK_EQ(11, pt_test[0] & ~(PTE_A | PTE_D), (uint32_t)frame[1] | PTE_P | PTE_W | PTE_U,
             "pt_test[0] as ring 3 left it");
    CHECK_EQ(12, frame[1][100], 0x1234, "ring 3's write reached frame 1");
    CHECK_EQ(13, peek(TEST_VA + 400), 0x1234, "ring 0 sees frame 1 at TEST_VA");
    CHECK_EQ(14, pd[TEST2_VA >> 22] & ~(PTE_A | PTE_D), (uint32_t)pt_test | PTE_P | PTE_W | PTE_U,
             "PDE 257 as ring 3 wrote it");
    CHECK_EQ(15, peek(TEST2_VA + 400), 0x1234, "ring 0 through PDE 257");

    /* Ring 3 clears, restricts, write-protects; the kernel sees the faults. */
    expect_fault(16, u_unmap, 4, TEST_VA + 0x20, "read after ring 3 cleared the PTE");
    CHECK_EQ(17, pt_test[0], 0, "pt_test[0] cleared by ring 3");
    expect_fault(18, u_supervisor, 5, TEST_VA + 0x24, "ring-3 read of a supervisor page");
    CHECK_EQ(19, peek(TEST_VA + 0x24), magic(3, 9), "ring 0 reads the supervisor page");
    expect_fault(20, u_read_only, 7, TEST_VA + 0x28, "ring-3 write to a read-only page");
    CHECK_EQ(21, frame[3][10], magic(3, 10), "the faulting write changed nothing");
    expect_fault(22, u_identity_pt, 7, (uint32_t)&pt_test[0],
                 "ring-3 write to pt_test at its supervisor identity address");
    CHECK_EQ(23, pt_test[0] & ~(PTE_A | PTE_D), (uint32_t)frame[3] | PTE_P | PTE_U, "pt_test[0] kept");

    /* The kernel remaps for ring 3: a PTE write + INVLPG. */
    pt_test[0] = (uint32_t)frame[2] | PTE_P | PTE_U;
    invlpg(TEST_VA);
    CHECK_EQ(24, run_user(u_read_test), magic(2, 11), "ring 3 after the kernel's PTE write + INVLPG");
    /* ... and a CR3 reload instead of INVLPG. */
    pt_test[0] = (uint32_t)frame[0] | PTE_P | PTE_U;
    WRITE_CR(3, READ_CR(3));
    CHECK_EQ(25, run_user(u_read_test), magic(0, 11), "ring 3 after the kernel's PTE write + CR3 reload");

    rt_hook = NULL;
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    rt_puts("paging_user_pt: ring 3 rewrote its page tables\n");
}
