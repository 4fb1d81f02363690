/*
 * control_regs - control and debug registers, cache instructions, CPUID,
 * MSRs and the TSC as a CPL-0 guest sees them (SDM vol. 3 sections 2.5,
 * 17.2; vol. 2 CPUID, RDMSR, WRMSR, RDTSC; the model in docs/cpu-model.md).
 */
#include "rt.h"

#define CR0_MP (1u << 1)
#define CR0_TS (1u << 3)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR4_TSD (1u << 2)
#define CR4_DE  (1u << 3)
#define CR4_PSE (1u << 4)
#define CR4_PGE (1u << 7)
#define CR4_VMXE (1u << 13)

#define MSR_TSC 0x10
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_BOGUS 0x0BAD0BAD

#define READ_DR(n) ({ uint32_t v_; asm volatile("movl %%db" #n ", %0" : "=r"(v_)); v_; })
#define WRITE_DR(n, v) asm volatile("movl %0, %%db" #n :: "r"((uint32_t)(v)) : "memory")

static void wrmsr(uint32_t msr, uint64_t v)
{
    asm volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static void check_cr0(void)
{
    uint32_t cr0 = READ_CR(0);
    CHECK(1, cr0 & 1, "CR0.PE is clear in protected mode (0x%x)", cr0);
    CHECK(2, !(cr0 & 0x80000000u), "CR0.PG is set before the guest enabled paging (0x%x)", cr0);
    uint32_t bits = CR0_MP | CR0_NE | CR0_WP | CR0_AM;
    WRITE_CR(0, cr0 | bits);
    CHECK_EQ(3, READ_CR(0) & bits, bits, "CR0 bits MP NE WP AM after MOV CR0");
    WRITE_CR(0, cr0 & ~bits);
    CHECK_EQ(4, READ_CR(0) & bits, 0, "CR0 bits MP NE WP AM after clearing them");

    WRITE_CR(0, cr0 | CR0_TS);
    CHECK(5, READ_CR(0) & CR0_TS, "CR0.TS did not stick");
    asm volatile("clts" ::: "memory");
    CHECK_EQ(6, READ_CR(0), cr0 & ~CR0_TS, "CR0 after CLTS");
    WRITE_CR(0, cr0);
}

static void check_cr2_cr3(void)
{
    WRITE_CR(2, 0x12345678);
    CHECK_EQ(7, READ_CR(2), 0x12345678, "CR2 round trip");
    WRITE_CR(2, 0xFFFFF000);
    CHECK_EQ(8, READ_CR(2), 0xFFFFF000, "CR2 round trip");

    uint32_t cr3 = READ_CR(3);
    WRITE_CR(3, 0x00345018);            /* PWT|PCD with paging off: no effect */
    CHECK_EQ(9, READ_CR(3), 0x00345018, "CR3 round trip");
    WRITE_CR(3, cr3);
}

static void check_cr4(void)
{
    uint32_t cr4 = READ_CR(4);
    uint32_t bits = CR4_PSE | CR4_PGE | CR4_DE | CR4_TSD;
    WRITE_CR(4, cr4 | bits);
    CHECK_EQ(10, READ_CR(4) & bits, bits, "CR4 bits PSE PGE DE TSD after MOV CR4");

    /* TSD only restricts CPL > 0. */
    uint32_t n0 = rt_trap.count;
    TRY("rdtsc", ::: "eax", "edx", "memory");
    rt_check_no_exc(11, n0, "RDTSC at CPL 0 with CR4.TSD=1");

    /* With CR4.DE=1, DR4/DR5 are reserved: #UD (SDM vol. 3 section 17.2.2). */
    n0 = rt_trap.count;
    TRY("movl %%db4, %%eax", ::: "eax", "memory");
    rt_check_exc(12, n0, 6, RT_ANY, rt_try_insn, "MOV from DR4 with CR4.DE=1");

    WRITE_CR(4, cr4);
    CHECK_EQ(13, READ_CR(4) & bits, cr4 & bits, "CR4 after restoring it");

    /* VMXE is reserved on a CPU without VMX: #GP(0). */
    n0 = rt_trap.count;
    TRY("movl %0, %%cr4", :: "r"(cr4 | CR4_VMXE) : "memory");
    rt_check_exc(14, n0, 13, 0, rt_try_insn, "MOV CR4 with VMXE set");
    CHECK(15, !(READ_CR(4) & CR4_VMXE), "CR4.VMXE stuck after #GP");
}

static void check_dr(void)
{
    WRITE_DR(0, 0x11111110);
    WRITE_DR(1, 0x22222220);
    WRITE_DR(2, 0x33333330);
    WRITE_DR(3, 0x44444440);
    CHECK_EQ(16, READ_DR(0), 0x11111110, "DR0 round trip");
    CHECK_EQ(17, READ_DR(1), 0x22222220, "DR1 round trip");
    CHECK_EQ(18, READ_DR(2), 0x33333330, "DR2 round trip");
    CHECK_EQ(19, READ_DR(3), 0x44444440, "DR3 round trip");
    /* DR6 reserved bits read as 1 (0xFFFF0FF0 on P6 and later). */
    WRITE_DR(6, 0x0000000F);
    CHECK_EQ(20, READ_DR(6), 0xFFFF0FFF, "DR6 after writing B0-B3");
    /* DR7 with the LE/GE bits but no breakpoint enabled; bit 10 reads 1. */
    WRITE_DR(7, 0x00000300);
    CHECK_EQ(21, READ_DR(7), 0x00000700, "DR7 round trip");
    /* CR4.DE=0: DR4/DR5 alias DR6/DR7. */
    CHECK_EQ(22, READ_DR(4), 0xFFFF0FFF, "DR4 (alias of DR6)");
    CHECK_EQ(23, READ_DR(5), 0x00000700, "DR5 (alias of DR7)");
    WRITE_DR(7, 0x400);
    WRITE_DR(6, 0);
}

static void check_caches(void)
{
    static volatile uint32_t keep = 0x5A5AA5A5;
    uint32_t n0 = rt_trap.count;
    TRY("wbinvd", ::: "memory");
    rt_check_no_exc(24, n0, "WBINVD");
    keep = 0xC0FFEE;
    asm volatile("wbinvd" ::: "memory");
    n0 = rt_trap.count;
    TRY("invd", ::: "memory");
    rt_check_no_exc(25, n0, "INVD");
    CHECK_EQ(26, keep, 0xC0FFEE, "memory written before WBINVD, after INVD");
    n0 = rt_trap.count;
    TRY("invlpg (%0)", :: "r"(&keep) : "memory");
    rt_check_no_exc(27, n0, "INVLPG with paging off");
}

static void check_cpuid(void)
{
    uint32_t r[4];
    cpuid(0, r);
    char vendor[13];
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = 0;
    CHECK(28, strcmp(vendor, "GenuineIntel") == 0, "CPUID vendor is \"%s\"", vendor);
    CHECK(29, r[0] >= 1, "CPUID max basic leaf is %u", r[0]);

    cpuid(1, r);
    CHECK(30, !(r[2] & (1u << 31)), "CPUID.1:ECX shows the hypervisor bit (ECX 0x%x)", r[2]);
    CHECK(31, !(r[2] & (1u << 5)), "CPUID.1:ECX shows VMX (ECX 0x%x)", r[2]);
    CHECK(32, (r[3] & 0x30) == 0x30, "CPUID.1:EDX lacks TSC or MSR (EDX 0x%x)", r[3]);
    /* A 486-class bit pattern check: family must be 6 or 15. */
    uint32_t family = (r[0] >> 8) & 0xF;
    CHECK(33, family == 6 || family == 15, "CPUID family %u", family);

    cpuid(0x80000000u, r);
    if (r[0] >= 0x80000001u && r[0] < 0x80000100u) {
        cpuid(0x80000001u, r);
        CHECK(34, !(r[2] & (1u << 2)), "CPUID.80000001:ECX shows SVM (ECX 0x%x)", r[2]);
    }
}

static void check_msr(void)
{
    uint64_t old = rdmsr(MSR_SYSENTER_CS);
    wrmsr(MSR_SYSENTER_CS, RT_KCODE);
    CHECK_EQ(35, rdmsr(MSR_SYSENTER_CS), RT_KCODE, "SYSENTER_CS round trip");
    wrmsr(MSR_SYSENTER_ESP, 0x00CAFE00);
    CHECK_EQ(36, rdmsr(MSR_SYSENTER_ESP), 0x00CAFE00, "SYSENTER_ESP round trip");
    wrmsr(MSR_SYSENTER_EIP, 0x00C0DE00);
    CHECK_EQ(37, rdmsr(MSR_SYSENTER_EIP), 0x00C0DE00, "SYSENTER_EIP round trip");
    CHECK_EQ(38, rdmsr(MSR_SYSENTER_EIP) >> 32, 0, "SYSENTER_EIP high half");
    wrmsr(MSR_SYSENTER_CS, old);

    uint32_t n0 = rt_trap.count;
    TRY("rdmsr", :: "c"(MSR_BOGUS) : "eax", "edx", "memory");
    rt_check_exc(39, n0, 13, 0, rt_try_insn, "RDMSR of a nonexistent MSR");
    n0 = rt_trap.count;
    TRY("wrmsr", :: "c"(MSR_BOGUS), "a"(1), "d"(0) : "memory");
    rt_check_exc(40, n0, 13, 0, rt_try_insn, "WRMSR of a nonexistent MSR");
}

static void check_tsc(void)
{
    uint64_t t0 = rdtsc();
    volatile uint32_t spin = 0;
    for (int i = 0; i < 10000; i++)
        spin += i;
    uint64_t t1 = rdtsc();
    CHECK(41, t1 > t0, "RDTSC did not increase: 0x%x%08x then 0x%x%08x",
          (uint32_t)(t0 >> 32), (uint32_t)t0, (uint32_t)(t1 >> 32), (uint32_t)t1);
    uint64_t m = rdmsr(MSR_TSC);
    uint64_t t2 = rdtsc();
    CHECK(42, m >= t1 && t2 >= m, "the TSC MSR is not between two RDTSCs");
}

void test_main(void)
{
    check_cr0();
    check_cr2_cr3();
    check_cr4();
    check_dr();
    check_caches();
    check_cpuid();
    check_msr();
    check_tsc();
}
