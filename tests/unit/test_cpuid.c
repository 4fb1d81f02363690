/*
 * tests/unit/test_cpuid.c - the CPU model: CPUID leaves, MSRs, TSC.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>
#include "cpu/cpuid.h"
#include "cpu/memtype.h"

static struct vcpu cpu;

static void setup(void)
{
    memset(&cpu, 0, sizeof cpu);
    cpu.apic_base = 0xFEE00900ull;
}

TestSuite(cpuid, .init = setup);

static void leaf(uint32_t l, uint32_t out[4])
{
    cpu_cpuid(&cpu, l, 0, out);
}

Test(cpuid, vendor_and_max_leaf)
{
    uint32_t r[4];
    char v[13] = { 0 };
    leaf(0, r);
    cr_assert_eq(r[0], 2);
    memcpy(v, &r[1], 4);
    memcpy(v + 4, &r[3], 4);
    memcpy(v + 8, &r[2], 4);
    cr_assert_str_eq(v, "GenuineIntel");
}

Test(cpuid, leaf1_signature_and_features)
{
    uint32_t r[4];
    leaf(1, r);
    cr_assert_eq((r[0] >> 8) & 0xF, 6, "family");
    cr_assert_eq((r[0] >> 4) & 0xF, 13, "model");
    cr_assert_eq(r[0] & 0xF, 8, "stepping");
    cr_assert_eq((r[1] >> 8) & 0xFF, 8, "CLFLUSH line 64 bytes");
    cr_assert_eq((r[1] >> 16) & 0xFF, 1, "one logical processor");
    cr_assert_eq(r[1] >> 24, 0, "APIC ID 0");
    /* offered: FPU DE PSE TSC MSR PAE CX8 APIC SEP MTRR PGE CMOV PAT CLFSH MMX
     * FXSR SSE SSE2 */
    uint32_t want = 1u << 0 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 8 | 1u << 9 |
                    1u << 11 | 1u << 12 | 1u << 13 | 1u << 15 | 1u << 16 | 1u << 19 |
                    1u << 23 | 1u << 24 | 1u << 25 | 1u << 26;
    cr_assert_eq(r[3], want, "edx %#x", r[3]);
    cr_assert_not(r[3] & (1u << 1), "no VME");
    cr_assert_eq(r[2], 1u, "SSE3 only: no VMX (bit 5), no hypervisor (bit 31)");
}

Test(cpuid, apic_flag_follows_apic_base)
{
    uint32_t r[4];
    cpu.apic_base &= ~(1ull << 11);
    leaf(1, r);
    cr_assert_not(r[3] & (1u << 9));
}

Test(cpuid, out_of_range_leaves_repeat_highest_basic)
{
    uint32_t l2[4], r[4];
    leaf(2, l2);
    cr_assert_eq(l2[0] & 0xFF, 1, "leaf 2 needs one call");
    leaf(4, r);
    cr_assert_arr_eq(r, l2, sizeof r);
    leaf(0x40000000u, r);                   /* hypervisor range: nothing special */
    cr_assert_arr_eq(r, l2, sizeof r);
    leaf(0x80000009u, r);                   /* past the highest extended leaf */
    cr_assert_arr_eq(r, l2, sizeof r);
}

Test(cpuid, extended_leaves)
{
    uint32_t r[4];
    char brand[49] = { 0 };
    leaf(0x80000000u, r);
    cr_assert_eq(r[0], 0x80000008u);
    leaf(0x80000001u, r);
    cr_assert_eq(r[3], 1u << 20, "NX; no SYSCALL, no LM");
    cr_assert_eq(r[2], 0);
    leaf(0x80000008u, r);
    cr_assert_eq(r[0], 0x2020u, "32 physical and 32 linear address bits");
    for (uint32_t l = 0x80000005u; l <= 0x80000007u; l++) {
        leaf(l, r);
        cr_assert(r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 0, "leaf %#x reserved", l);
    }
    for (uint32_t i = 0; i < 3; i++) {
        leaf(0x80000002u + i, r);
        memcpy(brand + 16 * i, r, 16);
    }
    cr_assert_str_eq(brand, "vmm virtual CPU (binary translation)");
}

Test(cpuid, sysenter_msrs)
{
    uint64_t v;
    cr_assert_eq(cpu_wrmsr(&cpu, 0x174, 0x60), 0);
    cr_assert_eq(cpu_wrmsr(&cpu, 0x175, 0xC0001000u), 0);
    cr_assert_eq(cpu_wrmsr(&cpu, 0x176, 0xC0100000u), 0);
    cr_assert_eq(cpu.sysenter_cs, 0x60);
    cr_assert_eq(cpu_rdmsr(&cpu, 0x175, &v), 0);
    cr_assert_eq(v, 0xC0001000u);
    cr_assert_eq(cpu_rdmsr(&cpu, 0x176, &v), 0);
    cr_assert_eq(v, 0xC0100000u);
}

Test(cpuid, apic_base_msr)
{
    uint64_t v;
    cr_assert_eq(cpu_rdmsr(&cpu, 0x1B, &v), 0);
    cr_assert_eq(v, 0xFEE00900ull);
    cr_assert_eq(cpu_wrmsr(&cpu, 0x1B, 0xFEC00800ull), 0);
    cr_assert_eq(cpu.apic_base, 0xFEC00900ull, "BSP bit is read-only");
    cr_assert_eq(cpu_wrmsr(&cpu, 0x1B, 0x1FEE00800ull), -1, "above 4 GiB is reserved");
    cr_assert_eq(cpu_wrmsr(&cpu, 0x1B, 0xFEE00801ull), -1, "low bits are reserved");
}

Test(cpuid, fixed_and_unknown_msrs)
{
    uint64_t v = 1;
    cr_assert_eq(cpu_rdmsr(&cpu, 0x179, &v), 0);
    cr_assert_eq(v, 0, "MCG_CAP: no banks");
    cr_assert_eq(cpu_wrmsr(&cpu, 0x179, 0), -1, "MCG_CAP is read-only");
    cr_assert_eq(cpu_wrmsr(&cpu, 0x17A, 0), 0);
    cr_assert_eq(cpu_wrmsr(&cpu, 0x17A, 1), -1);
    cr_assert_eq(cpu_wrmsr(&cpu, 0x1A0, 1), 0);
    cr_assert_eq(cpu_rdmsr(&cpu, 0x1A0, &v), 0);
    cr_assert_eq(v, 1);
    cr_assert_eq(cpu_rdmsr(&cpu, 0x17, &v), 0);
    cr_assert_eq(cpu_rdmsr(&cpu, 0x8B, &v), 0);
    cr_assert_eq(cpu_rdmsr(&cpu, 0xC0000080u, &v), 0, "EFER");
    cr_assert_eq(v, 0);
    cr_assert_eq(cpu_wrmsr(&cpu, 0xC0000080u, 1u << 11), 0, "EFER.NXE");
    cr_assert_eq(cpu_rdmsr(&cpu, 0xC0000080u, &v), 0);
    cr_assert_eq(v, 1u << 11);
    cr_assert_eq(cpu_wrmsr(&cpu, 0xC0000080u, 1u << 8), -1, "EFER.LME: no long mode");
    cr_assert_eq(cpu_wrmsr(&cpu, 0xC0000080u, 1u), -1, "EFER.SCE: no SYSCALL");
    cr_assert_eq(cpu.efer, 1u << 11, "a refused write changes nothing");
    cr_assert_eq(cpu_wrmsr(&cpu, 0x186, 0), -1, "no performance event selects");
    /* Linux's check_hw_exists() reads the P6 event select 0x186 with
     * rdmsrl_safe: the #GP makes it use software events only, so the perf
     * NMI watchdog is never armed (docs/cpu-model.md). */
    cr_assert_eq(cpu_rdmsr(&cpu, 0x186, &v), -1, "EVNTSEL0 not readable");
    cr_assert_eq(cpu_rdmsr(&cpu, 0xC1, &v), -1, "PERFCTR0 not readable");
}

Test(cpuid, tsc_counts_nanoseconds_and_can_be_set)
{
    uint64_t a = cpu_rdtsc(&cpu);
    struct timespec ts = { 0, 2000000 };
    nanosleep(&ts, NULL);
    uint64_t b = cpu_rdtsc(&cpu);
    cr_assert(b - a >= 2000000 && b - a < 1000000000ull, "2 ms = %llu ticks",
              (unsigned long long)(b - a));
    cr_assert_eq(cpu_wrmsr(&cpu, 0x10, 1000), 0);
    uint64_t t;
    cr_assert_eq(cpu_rdmsr(&cpu, 0x10, &t), 0);
    cr_assert(t >= 1000 && t < 1000 + 100000000ull, "tsc after write: %llu", (unsigned long long)t);
}

/* ---- MTRRs and PAT (SDM vol. 3A 11.11, 11.12) ---- */

Test(cpuid, pat_power_on_value_and_reserved_types)
{
    uint64_t v;
    memtype_reset(&cpu);
    cr_assert_eq(cpu_rdmsr(&cpu, 0x277, &v), 0);
    cr_assert_eq(v, 0x0007040600070406ull, "PAT at power-on: WB WT UC- UC, twice");
    /* Linux's PAT: WB, WC, UC-, UC, WB, WP, UC-, WT */
    cr_assert_eq(cpu_wrmsr(&cpu, 0x277, 0x0407050600070106ull), 0);
    cr_assert_eq(cpu_rdmsr(&cpu, 0x277, &v), 0);
    cr_assert_eq(v, 0x0407050600070106ull);
    for (int entry = 0; entry < 8; entry++) {
        cr_assert_eq(cpu_wrmsr(&cpu, 0x277, 2ull << (8 * entry)), -1, "type 2 in entry %d", entry);
        cr_assert_eq(cpu_wrmsr(&cpu, 0x277, 3ull << (8 * entry)), -1, "type 3 in entry %d", entry);
        cr_assert_eq(cpu_wrmsr(&cpu, 0x277, 8ull << (8 * entry)), -1, "bit 3 of entry %d", entry);
    }
    cr_assert_eq(cpu_rdmsr(&cpu, 0x277, &v), 0);
    cr_assert_eq(v, 0x0407050600070106ull, "a refused write changes nothing");
}

Test(cpuid, mtrr_cap_and_default_type)
{
    uint64_t v;
    memtype_reset(&cpu);
    cr_assert_eq(cpu_rdmsr(&cpu, 0xFE, &v), 0);
    cr_assert_eq(v & 0xFF, 8, "eight variable ranges");
    cr_assert(v & (1u << 8), "fixed ranges");
    cr_assert(v & (1u << 10), "write-combining");
    cr_assert_eq(cpu_wrmsr(&cpu, 0xFE, v), -1, "MTRRCAP is read-only");
    cr_assert_eq(cpu_rdmsr(&cpu, 0x2FF, &v), 0);
    cr_assert_eq(v, 0xC06, "as the BIOS left it: enabled, fixed ranges on, default write-back");
    cr_assert_eq(cpu_wrmsr(&cpu, 0x2FF, 0), 0, "disable");
    cr_assert_eq(cpu_wrmsr(&cpu, 0x2FF, 0x800 | 0), 0);
    cr_assert_eq(cpu_rdmsr(&cpu, 0x2FF, &v), 0);
    cr_assert_eq(v, 0x800);
    cr_assert_eq(cpu_wrmsr(&cpu, 0x2FF, 0x1000), -1, "bit 12 reserved");
    cr_assert_eq(cpu_wrmsr(&cpu, 0x2FF, 0x300), -1, "bits 8-9 reserved");
    cr_assert_eq(cpu_wrmsr(&cpu, 0x2FF, 0x802), -1, "type 2 reserved");
    cr_assert_eq(cpu_wrmsr(&cpu, 0x2FF, 0x807), -1, "type 7 (UC-) is a PAT type only");
}

Test(cpuid, mtrr_fixed_and_variable_ranges)
{
    uint64_t v;
    static const uint32_t fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26A, 0x26B,
                                      0x26C, 0x26D, 0x26E, 0x26F };
    memtype_reset(&cpu);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        uint64_t w = 0x0001040506000106ull;
        cr_assert_eq(cpu_wrmsr(&cpu, fixed[i], w), 0, "MSR %#x", fixed[i]);
        cr_assert_eq(cpu_rdmsr(&cpu, fixed[i], &v), 0);
        cr_assert_eq(v, w, "MSR %#x reads back", fixed[i]);
        cr_assert_eq(cpu_wrmsr(&cpu, fixed[i], 0x0300000000000000ull), -1, "type 3");
    }
    cr_assert_eq(cpu_rdmsr(&cpu, 0x251, &v), -1, "0x251 is no MTRR");
    for (uint32_t n = 0; n < 8; n++) {
        uint32_t base = 0x200 + 2 * n, mask = base + 1;
        cr_assert_eq(cpu_wrmsr(&cpu, base, 0x80000000ull | 1), 0, "PHYSBASE%u WC", n);
        cr_assert_eq(cpu_wrmsr(&cpu, mask, 0xF0000000ull | 0x800), 0, "PHYSMASK%u valid", n);
        cr_assert_eq(cpu_rdmsr(&cpu, base, &v), 0);
        cr_assert_eq(v, 0x80000001ull);
        cr_assert_eq(cpu_rdmsr(&cpu, mask, &v), 0);
        cr_assert_eq(v, 0xF0000800ull);
        cr_assert_eq(cpu_wrmsr(&cpu, base, 0x80000100ull), -1, "PHYSBASE bits 8-11 reserved");
        cr_assert_eq(cpu_wrmsr(&cpu, base, 0x180000000ull), -1, "beyond 32 physical bits");
        cr_assert_eq(cpu_wrmsr(&cpu, base, 0x80000002ull), -1, "type 2");
        cr_assert_eq(cpu_wrmsr(&cpu, mask, 0xF0000001ull), -1, "PHYSMASK bits 0-10 reserved");
    }
    cr_assert_eq(cpu_rdmsr(&cpu, 0x210, &v), -1, "a ninth range does not exist");
}
