/*
 * fetch_straddle - an instruction whose bytes run from a present page into
 * a not-present one (SDM vol. 3A 4.7: the fetch of its first byte in the
 * second page faults, CR2 = that byte's address, the error code says
 * "not present, instruction fetch", and EIP stays at the instruction).
 * The kernel maps the second page and returns; the instruction then runs
 * whole.  Each case is a 6-byte JLE rel32 starting at the last byte of the
 * first page, taken (ZF set) to code on the second page, or not taken
 * (falling through to the second page too); run at CPL 3 through user_call
 * and at CPL 0 by a direct call, each twice (the second time the page is
 * present from the start, and the code already translated).
 * Registered with ring 3 direct and with --translate-ring3.
 */
#include "paging_guest.h"
#include "user_call.h"

#define CODE_VA 0x50000000u     /* page A; page B = CODE_VA + 4096 */
#define LOW_MIB 8u
#define PF_ID   0x10u           /* error code: instruction fetch (with NX only) */

static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_low[LOW_MIB / 4][1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_code[1024] __attribute__((aligned(4096)));
static uint8_t frame[2][4096] __attribute__((aligned(4096)));
static uint8_t kstack[8192] __attribute__((aligned(16)));
static uint8_t ustack[8192] __attribute__((aligned(16)));

static volatile uint32_t faults, fault_cr2, fault_err, fault_eip, pte_flags;

/* Page B not present: the kernel maps it on the fault and retries. */
static void kernel_hook(struct trap_frame *f)
{
    if (f->vector == 14 && READ_CR(2) == CODE_VA + 4096 && !(pt_code[1] & PTE_P)) {
        faults++;
        fault_cr2 = READ_CR(2);
        fault_err = f->error;
        fault_eip = f->eip;
        pt_code[1] = (uint32_t)frame[1] | pte_flags;
        invlpg(CODE_VA + 4096);
        return;
    }
    if ((f->cs & 3) == 3 && f->vector == 0x80 && f->eax == 0)
        user_abort(f->ebx);
    rt_fail(127, "unexpected vector %u error 0x%x at 0x%x (cr2 0x%x)", f->vector, f->error,
            f->eip, READ_CR(2));
}

/* Page A ends with `xor ecx, ecx` or `or ecx, 1` (ZF set or clear) and JLE's
 * first byte; page B holds the rest of JLE, then the fall-through
 * `mov eax, 0xFA11 ; ret`, and at B + 0x100 the target `mov eax, 0x7A4E ; ret`. */
static void write_code(bool taken)
{
    uint8_t *a = frame[0], *b = frame[1];
    memset(a, 0x90, 4096);
    memset(b, 0xCC, 4096);
    uint8_t *p = a + 4096 - 1 - 3;
    if (taken) {
        p[0] = 0x90; p[1] = 0x31; p[2] = 0xC9;          /* nop; xor ecx, ecx */
    } else {
        p[0] = 0x83; p[1] = 0xC9; p[2] = 0x01;          /* or ecx, 1 */
    }
    a[4095] = 0x0F;                                     /* jle rel32 at A + 0xFFF */
    b[0] = 0x8E;
    int32_t rel = (int32_t)(4096 + 0x100) - (int32_t)(4095 + 6);
    memcpy(b + 1, &rel, 4);
    b[5] = 0xB8; b[6] = 0x11; b[7] = 0xFA; b[8] = 0; b[9] = 0; b[10] = 0xC3;
    b[0x100] = 0xB8; b[0x101] = 0x4E; b[0x102] = 0x7A; b[0x103] = 0; b[0x104] = 0;
    b[0x105] = 0xC3;
}

static uint32_t run(bool user)
{
    uint32_t (*fn)(void) = (uint32_t (*)(void))(CODE_VA + 4096 - 4);
    return user ? user_call(fn, (uint32_t)(ustack + sizeof ustack)) : fn();
}

static void one_case(int n, bool user, bool taken)
{
    uint32_t want = taken ? 0x7A4Eu : 0xFA11u;
    pte_flags = PTE_P | PTE_W | (user ? PTE_U : 0);
    write_code(taken);
    pt_code[0] = (uint32_t)frame[0] | pte_flags;
    pt_code[1] = 0;
    invlpg(CODE_VA);
    invlpg(CODE_VA + 4096);
    faults = 0;
    uint32_t got = run(user);
    CHECK_EQ(n, got, want, "the straddling JLE ran whole after the fault");
    CHECK_EQ(n + 1, faults, 1, "one #PF for the second page");
    CHECK_EQ(n + 2, fault_cr2, CODE_VA + 4096, "CR2: the first byte in the second page");
    CHECK_EQ(n + 3, fault_err & ~PF_ID, user ? 0x4u : 0x0u, "error code: not present, read, U as the CPL");
    CHECK_EQ(n + 4, fault_eip, CODE_VA + 4095, "EIP at the instruction, not past it");
    got = run(user);
    CHECK_EQ(n + 5, got, want, "the straddling JLE again, both pages present");
    CHECK_EQ(n + 6, faults, 1, "no second fault");
}

void test_main(void)
{
    user_identity_low(pd, pt_low, LOW_MIB / 4);
    pd[CODE_VA >> 22] = (uint32_t)pt_code | PTE_P | PTE_W | PTE_U;

    user_paging_on(pd, (uint32_t)(kstack + sizeof kstack), kernel_hook);

    one_case(1, true, true);
    one_case(11, true, false);
    one_case(21, false, true);
    one_case(31, false, false);

    rt_hook = NULL;
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    rt_puts("fetch_straddle: JLE across a not-present page boundary, CPL 3 and CPL 0, "
            "taken and not\n");
}
