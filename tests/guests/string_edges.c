/*
 * string_edges - REP STOS, MOVS, CMPS and SCAS that cross the two ends of
 * the linear address space, in both directions (DF), with 32-bit addresses
 * and, run with --append a16, with 16-bit ones (0x67: SI/DI/CX, wrapping at
 * 64 KiB).  The processor wraps ESI/EDI modulo 2^32 (SI/DI modulo 2^16;
 * SDM vol. 1 3.3.7, vol. 2B MOVS/STOS "the registers are incremented or
 * decremented"), and a count of up to 2^32 elements runs until a page
 * fault stops it with the registers of the element that faulted.
 *
 * Each case must have the architectural result or that #PF, nothing else:
 * the monitor runs some of them as host string instructions on host
 * pointers (bt/xl_string.c), which must never leave the guest's window
 * (docs/security.md, "Guard regions").  Linear page 0 and the top page are
 * mapped; linear page 1 and the page under the top one are not.
 */
#include "paging_guest.h"

#define TOP 0xFFFFF000u
static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_low[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_top[1024] __attribute__((aligned(4096)));
static volatile uint32_t page0[1024] __attribute__((aligned(4096)));
static volatile uint32_t top[1024] __attribute__((aligned(4096)));
static volatile uint32_t buf[64] __attribute__((aligned(64)));
#define V 0x5EC0DE00u

static void fill(void)
{
    for (int i = 0; i < 1024; i++) {
        page0[i] = 0x10000000u | i;
        top[i] = 0x20000000u | i;
    }
    for (int i = 0; i < 64; i++)
        buf[i] = 0;
}

static void setup_paging(void)
{
    for (uint32_t i = 0; i < 1024; i++)
        pt_low[i] = (i << 12) | PTE_P | PTE_W;
    pt_low[0] = (uint32_t)page0 | PTE_P | PTE_W;    /* linear 0 */
    pt_low[1] = 0;                                  /* linear 0x1000: absent */
    pt_top[1023] = (uint32_t)top | PTE_P | PTE_W;   /* linear 0xFFFFF000 */
    pd[0] = (uint32_t)pt_low | PTE_P | PTE_W;
    pd[1023] = (uint32_t)pt_top | PTE_P | PTE_W;
    WRITE_CR(3, (uint32_t)pd);
    WRITE_CR(0, READ_CR(0) | CR0_PG | CR0_WP);
}

/* std; rep stosd from EDI = 8, 4 elements: 8, 4, 0, then 0xFFFFFFFC. */
static void stos_down(void)
{
    fill();
    uint32_t edi = 8, ecx = 4, n0 = rt_trap.count;
    TRY("std; rep stosl; cld", : "+D"(edi), "+c"(ecx) : "a"(V) : "memory", "cc");
    asm volatile("cld");
    rt_check_no_exc(1, n0, "std; rep stosd across linear 0");
    CHECK_EQ(2, page0[2], V, "[8]");
    CHECK_EQ(3, page0[0], V, "[0]");
    CHECK_EQ(4, top[1023], V, "[0xFFFFFFFC] after the wrap");
    CHECK_EQ(5, top[1022], 0x20000000u | 1022, "[0xFFFFFFF8] untouched");
    CHECK_EQ(6, edi, 0xFFFFFFF8u, "EDI");
    CHECK_EQ(7, ecx, 0, "ECX");
}

/* cld; rep stosd from 0xFFFFFFF8, 4 elements: ..F8, ..FC, then 0, 4. */
static void stos_up(void)
{
    fill();
    uint32_t edi = 0xFFFFFFF8u, ecx = 4, n0 = rt_trap.count;
    TRY("rep stosl", : "+D"(edi), "+c"(ecx) : "a"(V) : "memory", "cc");
    rt_check_no_exc(10, n0, "rep stosd across 4 GiB");
    CHECK_EQ(11, top[1022], V, "[0xFFFFFFF8]");
    CHECK_EQ(12, page0[1], V, "[4] after the wrap");
    CHECK_EQ(13, page0[2], 0x10000002u, "[8] untouched");
    CHECK_EQ(14, edi, 8, "EDI");
}

/* A count of 2^30 dwords downward from 8: 3 stores, the top page (1024),
 * then the absent page under it faults: #PF, CR2 = 0xFFFFEFFC. */
static void stos_down_far(void)
{
    fill();
    uint32_t edi = 8, ecx = 0x40000000u, n0 = rt_trap.count;
    TRY("std; rep stosl", : "+D"(edi), "+c"(ecx) : "a"(V) : "memory", "cc");
    asm volatile("cld");
    rt_check_exc(20, n0, 14, 2, rt_try_insn + 1, "std; rep stosd of 4 GiB from 8");
    CHECK_EQ(21, READ_CR(2), 0xFFFFEFFCu, "CR2");
    CHECK_EQ(22, edi, 0xFFFFEFFCu, "EDI at the fault");
    CHECK_EQ(23, ecx, 0x40000000u - 3 - 1024, "ECX at the fault");
    CHECK_EQ(24, top[0], V, "[0xFFFFF000]");
}

/* The same upward from 0xFFFFFFF8: 2 stores, page 0, then 0x1000 faults. */
static void stos_up_far(void)
{
    fill();
    uint32_t edi = 0xFFFFFFF8u, ecx = 0x40000000u, n0 = rt_trap.count;
    TRY("rep stosl", : "+D"(edi), "+c"(ecx) : "a"(V) : "memory", "cc");
    rt_check_exc(30, n0, 14, 2, rt_try_insn, "rep stosd of 4 GiB from 0xFFFFFFF8");
    CHECK_EQ(31, READ_CR(2), 0x1000u, "CR2");
    CHECK_EQ(32, edi, 0x1000u, "EDI at the fault");
    CHECK_EQ(33, ecx, 0x40000000u - 2 - 1024, "ECX at the fault");
    CHECK_EQ(34, page0[1023], V, "[0xFFC]");
}

/* std; rep movsd with the source crossing 0 and then with the destination. */
static void movs_down(void)
{
    fill();
    uint32_t esi = 4, edi = (uint32_t)&buf[10], ecx = 3, n0 = rt_trap.count;
    TRY("std; rep movsl; cld", : "+S"(esi), "+D"(edi), "+c"(ecx) :: "memory", "cc");
    asm volatile("cld");
    rt_check_no_exc(40, n0, "std; rep movsd, source across 0");
    CHECK_EQ(41, buf[10], 0x10000001u, "[4]");
    CHECK_EQ(42, buf[9], 0x10000000u, "[0]");
    CHECK_EQ(43, buf[8], 0x20000000u | 1023, "[0xFFFFFFFC]");
    CHECK_EQ(44, esi, 0xFFFFFFF8u, "ESI");
    for (int i = 0; i < 3; i++)
        buf[i] = 0xB0000000u | i;
    esi = (uint32_t)&buf[2];
    edi = 4;
    ecx = 3;
    TRY("std; rep movsl; cld", : "+S"(esi), "+D"(edi), "+c"(ecx) :: "memory", "cc");
    asm volatile("cld");
    rt_check_no_exc(45, n0, "std; rep movsd, destination across 0");
    CHECK_EQ(46, page0[1], 0xB0000002u, "[4]");
    CHECK_EQ(47, page0[0], 0xB0000001u, "[0]");
    CHECK_EQ(48, top[1023], 0xB0000000u, "[0xFFFFFFFC]");
    CHECK_EQ(49, edi, 0xFFFFFFF8u, "EDI");
}

static void movs_up(void)
{
    fill();
    uint32_t esi = 0xFFFFFFF8u, edi = (uint32_t)&buf[0], ecx = 4, n0 = rt_trap.count;
    TRY("rep movsl", : "+S"(esi), "+D"(edi), "+c"(ecx) :: "memory", "cc");
    rt_check_no_exc(50, n0, "rep movsd, source across 4 GiB");
    CHECK_EQ(51, buf[1], 0x20000000u | 1023, "[0xFFFFFFFC]");
    CHECK_EQ(52, buf[3], 0x10000001u, "[4]");
    CHECK_EQ(53, esi, 8, "ESI");
}

/* repe cmpsd and repne scasd across both ends (no native form: a loop). */
static void cmps_scas(void)
{
    fill();
    buf[2] = 0x10000001u;
    buf[1] = 0x10000000u;
    buf[0] = 0x20000000u | 1023;
    uint32_t esi = 4, edi = (uint32_t)&buf[2], ecx = 3, efl, n0 = rt_trap.count;
    TRY("std; repe cmpsl; cld; pushf; pop %3", : "+S"(esi), "+D"(edi), "+c"(ecx), "=r"(efl)
        :: "memory", "cc");
    asm volatile("cld");
    rt_check_no_exc(60, n0, "std; repe cmpsd across 0");
    CHECK_EQ(61, ecx, 0, "ECX: all three equal");
    CHECK_EQ(62, efl & EFL_ZF, EFL_ZF, "ZF");
    CHECK_EQ(63, esi, 0xFFFFFFF8u, "ESI");
    edi = 0xFFFFFFF8u;
    ecx = 8;
    TRY("repne scasl; pushf; pop %2", : "+D"(edi), "+c"(ecx), "=r"(efl) : "a"(0x10000001u)
        : "memory", "cc");
    rt_check_no_exc(64, n0, "repne scasd across 4 GiB");
    CHECK_EQ(65, ecx, 4, "ECX: found at the fourth");
    CHECK_EQ(66, edi, 8, "EDI");
    CHECK_EQ(67, efl & EFL_ZF, EFL_ZF, "ZF");
    /* A scan that runs into the absent page faults there. */
    edi = 0xFFFFFFF8u;
    ecx = 0x800;
    TRY("repne scasl", : "+D"(edi), "+c"(ecx) : "a"(V) : "memory", "cc");
    rt_check_exc(68, n0, 14, 0, rt_try_insn, "repne scasd into the absent page 0x1000");
    CHECK_EQ(69, READ_CR(2), 0x1000u, "CR2");
}

/* 0x67: DI and CX only; DI wraps at 64 KiB and the upper halves stay. */
static void addr16(void)
{
    fill();
    pt_low[15] = (15u << 12) | PTE_P | PTE_W;
    uint32_t edi = 0xABCD0004u, ecx = 0x12340003u, n0 = rt_trap.count;
    uint32_t save = peek(0xFFFC);
    TRY("std; addr16 rep stosl; cld", : "+D"(edi), "+c"(ecx) : "a"(V) : "memory", "cc");
    asm volatile("cld");
    rt_check_no_exc(70, n0, "std; addr16 rep stosd across DI = 0");
    CHECK_EQ(71, edi, 0xABCDFFF8u, "EDI: DI wrapped, upper half kept");
    CHECK_EQ(72, ecx, 0x12340000u, "ECX: CX counted, upper half kept");
    CHECK_EQ(73, peek(0xFFFC), V, "[0xFFFC] after DI wrapped");
    CHECK_EQ(74, top[1023], 0x20000000u | 1023, "[0xFFFFFFFC] untouched");
    poke(0xFFFC, save);
    edi = 0x5678FFF8u;
    ecx = 4;
    TRY("addr16 rep stosl", : "+D"(edi), "+c"(ecx) : "a"(V) : "memory", "cc");
    rt_check_no_exc(75, n0, "addr16 rep stosd across DI = 0xFFFF");
    CHECK_EQ(76, edi, 0x56780008u, "EDI");
    CHECK_EQ(77, page0[1], V, "[4]");
}

static bool want_a16(void)
{
    const uint32_t *mbi = (const uint32_t *)rt_mb_info;
    if (!(mbi[0] & 4))
        return false;
    return strcmp((const char *)mbi[4], "a16") == 0;
}

void test_main(void)
{
    setup_paging();
    if (want_a16()) {
        addr16();
        rt_printf("string_edges: 16-bit addresses wrap at 64 KiB\n");
        return;
    }
    stos_down();
    stos_up();
    stos_down_far();
    stos_up_far();
    movs_down();
    movs_up();
    cmps_scas();
    rt_printf("string_edges: 32-bit addresses wrap at 4 GiB, far counts stop at #PF\n");
}
