/*
 * dev_platform - the smaller pieces a P6-class PC has, checked the way
 * conformance tests check them.
 *
 * CPU (Intel SDM vol. 3A 11.11-11.12, vol. 3C 31.3): CPUID advertises MTRR
 * and PAT and not VMX; IA32_PAT reads its power-on value, keeps Linux's
 * value and refuses the reserved types 2 and 3 with #GP(0); MTRRCAP says 8
 * variable ranges, fixed ranges and WC and is read-only; MTRRdefType,
 * a fixed range and a variable pair keep what is written, reserved bits
 * and types are #GP(0); VMCALL, VMXON, VMMCALL and VMRUN are #UD.
 * Platform: no HPET table in the RSDT and the HPET's range at 0xFED00000
 * reads all ones and ignores writes; an ACPI sleep request of a type the
 * DSDT does not define (1) leaves the machine running with SLP_EN read as
 * 0; the 16550 interrupts with MCR.OUT2 clear, as QEMU's does.
 */
#include "dev_common.h"

/* WRMSR that may fault: true when it raised #GP(0). */
static bool wrmsr_gp(int n, uint32_t msr, uint64_t v)
{
    uint32_t n0 = rt_trap.count;
    TRY("wrmsr", :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
    if (rt_trap.count == n0)
        return false;
    rt_check_exc(n, n0, 13, 0, rt_try_insn, "WRMSR");
    return true;
}

static void memory_types(void)
{
    uint32_t r[4];
    cpuid(1, r);
    CHECK(1, r[3] & (1u << 12), "CPUID.1:EDX.MTRR clear");
    CHECK(2, r[3] & (1u << 16), "CPUID.1:EDX.PAT clear");
    CHECK(3, !(r[2] & (1u << 5)), "CPUID.1:ECX.VMX set");

    CHECK(4, rdmsr(0x277) == 0x0007040600070406ull, "PAT 0x%x%08x at power-on",
          (uint32_t)(rdmsr(0x277) >> 32), (uint32_t)rdmsr(0x277));
    CHECK(5, !wrmsr_gp(6, 0x277, 0x0007010600070106ull), "Linux's PAT refused");
    CHECK(7, rdmsr(0x277) == 0x0007010600070106ull, "PAT does not read back");
    CHECK(8, wrmsr_gp(9, 0x277, 0x0007010600070102ull), "PAT type 2 accepted");
    CHECK(10, wrmsr_gp(11, 0x277, 0x0003010600070106ull), "PAT type 3 accepted");
    CHECK(12, wrmsr_gp(13, 0x277, 0x0007010600070186ull), "PAT reserved bit 7 accepted");

    uint64_t cap = rdmsr(0xFE);
    CHECK_EQ(20, cap & 0xFF, 8, "MTRRCAP.VCNT");
    CHECK(21, (cap & 0x500) == 0x500, "MTRRCAP 0x%x lacks FIX or WC", (uint32_t)cap);
    CHECK(22, wrmsr_gp(23, 0xFE, cap), "MTRRCAP written");
    uint64_t def = rdmsr(0x2FF);
    CHECK_EQ(24, def, 0xC06, "MTRRdefType as the BIOS left it");
    CHECK(25, wrmsr_gp(26, 0x2FF, 0x1C06), "MTRRdefType bit 12 accepted");
    CHECK(27, wrmsr_gp(28, 0x2FF, 0xC03), "MTRRdefType type 3 accepted");
    CHECK(29, !wrmsr_gp(30, 0x26F, 0x0505050505050506ull), "fixed range refused");
    CHECK(31, rdmsr(0x26F) == 0x0505050505050506ull, "fixed range does not read back");
    CHECK(32, !wrmsr_gp(33, 0x20E, 0xE0000001ull), "PHYSBASE7 refused");
    CHECK(34, !wrmsr_gp(35, 0x20F, 0xF0000800ull), "PHYSMASK7 refused");
    CHECK_EQ(36, rdmsr(0x20E), 0xE0000001u, "PHYSBASE7");
    CHECK_EQ(37, rdmsr(0x20F), 0xF0000800u, "PHYSMASK7");
    CHECK(38, wrmsr_gp(39, 0x20F, 0xF0000801ull), "PHYSMASK reserved bit 0 accepted");
    CHECK(40, wrmsr_gp(41, 0x20E, 0x100000006ull), "PHYSBASE beyond 32 address bits accepted");
    rt_printf("dev_platform: PAT 0x%08x%08x, MTRRCAP 0x%x, MTRRdefType 0x%x, reserved values #GP\n",
              (uint32_t)(rdmsr(0x277) >> 32), (uint32_t)rdmsr(0x277), (uint32_t)cap, (uint32_t)def);
}

static void virtualization_is_ud(void)
{
    static uint64_t region;
    uint32_t n0 = rt_trap.count;
    TRY(".byte 0x0f, 0x01, 0xc1", ::: "memory");               /* VMCALL */
    rt_check_exc(50, n0, 6, RT_ANY, rt_try_insn, "VMCALL");
    n0 = rt_trap.count;
    TRY(".byte 0x0f, 0x01, 0xd9", ::: "memory");               /* VMMCALL */
    rt_check_exc(51, n0, 6, RT_ANY, rt_try_insn, "VMMCALL");
    n0 = rt_trap.count;
    TRY(".byte 0x0f, 0x01, 0xd8", :: "a"(0) : "memory");       /* VMRUN */
    rt_check_exc(52, n0, 6, RT_ANY, rt_try_insn, "VMRUN");
    n0 = rt_trap.count;
    TRY("vmxon %0", :: "m"(region) : "memory");
    rt_check_exc(53, n0, 6, RT_ANY, rt_try_insn, "VMXON");
    rt_printf("dev_platform: VMCALL, VMMCALL, VMRUN, VMXON raise #UD\n");
}

static uint32_t rd32(uint32_t a) { return *(volatile uint32_t *)a; }

static uint32_t acpi_table(const char *sig)
{
    uint32_t rsdp = 0;
    for (uint32_t a = 0xE0000; a < 0x100000 && !rsdp; a += 16)
        if (memcmp((const void *)a, "RSD PTR ", 8) == 0)
            rsdp = a;
    CHECK(60, rsdp, "no RSDP");
    uint32_t rsdt = rd32(rsdp + 16), n = (rd32(rsdt + 4) - 36) / 4;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = rd32(rsdt + 36 + 4 * i);
        if (memcmp((const void *)t, sig, 4) == 0)
            return t;
    }
    return 0;
}

static void no_hpet(void)
{
    CHECK(61, !acpi_table("HPET"), "an HPET table is advertised");
    CHECK_EQ(62, mmio_read(0xFED00000), 0xFFFFFFFFu, "HPET capabilities (unassigned)");
    mmio_write(0xFED00010, 1);      /* ENABLE_CNF, were there an HPET */
    CHECK_EQ(63, mmio_read(0xFED00010), 0xFFFFFFFFu, "HPET configuration after a write");
    CHECK_EQ(64, mmio_read(0xFED000F0), 0xFFFFFFFFu, "HPET main counter");
    rt_printf("dev_platform: no HPET table; 0xFED00000 reads all ones, writes ignored\n");
}

static void unpromised_sleep(void)
{
    uint32_t fadt = acpi_table("FACP");
    CHECK(70, fadt, "no FADT");
    uint16_t cnt = (uint16_t)rd32(fadt + 64);
    outw(cnt, (uint16_t)((inw(cnt) & ~0x1C00) | (1u << 10) | 0x2000));   /* SLP_TYP 1, SLP_EN */
    CHECK_EQ(71, inw(cnt) & 0x2000, 0, "SLP_EN after the request");
    CHECK_EQ(72, (inw(cnt) >> 10) & 7, 1, "SLP_TYP");
    rt_printf("dev_platform: ACPI sleep type 1 (not in the DSDT) ignored\n");
}

static volatile uint32_t com1_irqs, com1_byte;

static void on_com1(struct trap_frame *f)
{
    (void)f;
    if ((inb(0x3F8 + 2) & 0x0F) == 0x04)    /* received data */
        com1_byte = inb(0x3F8);
    com1_irqs++;
    pic_eoi(4);
}

static void uart_without_out2(void)
{
    dev_irq_init();
    dev_handlers[PIC_VEC_MASTER + 4] = on_com1;
    pic_setup(0xFFEF);              /* IRQ4 only */
    uint8_t mcr = inb(0x3F8 + 4);
    outb(0x3F8 + 4, 0x10);          /* loopback, OUT2 clear */
    outb(0x3F8 + 1, 0x01);          /* received-data interrupt */
    outb(0x3F8, 0xA5);
    uint64_t t0 = rdtsc();
    while (!com1_irqs && rdtsc() - t0 < TSC_HZ / 10) {
        sti_hlt();
        cli();
    }
    CHECK_EQ(80, com1_irqs, 1, "COM1 interrupts with OUT2 clear");
    CHECK_EQ(81, com1_byte, 0xA5, "byte received in loopback");
    outb(0x3F8 + 1, 0);
    outb(0x3F8 + 4, mcr);
    outb(0x21, 0xFF);
    rt_printf("dev_platform: COM1 receive interrupt with MCR.OUT2 clear\n");
}

void test_main(void)
{
    memory_types();
    virtualization_is_ud();
    no_hpet();
    unpromised_sleep();
    uart_without_out2();
}
