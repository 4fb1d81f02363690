/*
 * cli_sti_pushf_popf - the interrupt flag and POPF at CPL 0.
 *
 * The translator keeps IF, DF, IOPL, AC, NT and ID virtual; here the guest
 * checks that what it reads back with PUSHF is what it wrote with CLI/STI/
 * POPF, that the flags still act (DF on string instructions, the arithmetic
 * flags on Jcc/SETcc), and that sensitive instructions leave the arithmetic
 * flags alone.  SDM vol. 1 section 3.4.3, vol. 2 POPF: at CPL 0 every
 * writable bit except VM/VIF/VIP may be changed.
 */
#include "rt.h"

#define EFL_NT (1u << 14)
#define EFL_AC (1u << 18)
#define EFL_ID (1u << 21)
#define EFL_RESERVED_ZERO ((1u << 3) | (1u << 5) | (1u << 15) | 0xFFC00000u)

static uint32_t popf_pushf(uint32_t v)
{
    uint32_t out;
    asm volatile("pushl %1; popfl; pushfl; popl %0" : "=r"(out) : "r"(v) : "cc", "memory");
    return out;
}

static void check_cli_sti(void)
{
    uint32_t f;
    asm volatile("cli; pushfl; popl %0" : "=r"(f) :: "memory");
    CHECK(1, !(f & EFL_IF), "PUSHF after CLI shows IF=1 (eflags 0x%x)", f);
    asm volatile("sti; pushfl; popl %0; cli" : "=r"(f) :: "memory");
    CHECK(2, f & EFL_IF, "PUSHF after STI shows IF=0 (eflags 0x%x)", f);
    CHECK(3, f & 2, "EFLAGS bit 1 reads 0 (eflags 0x%x)", f);
    CHECK(4, !(f & EFL_RESERVED_ZERO), "reserved EFLAGS bits read 1 (eflags 0x%x)", f);
    asm volatile("cli; pushfl; popl %0" : "=r"(f) :: "memory");
    CHECK(5, !(f & EFL_IF), "PUSHF after STI;CLI shows IF=1 (eflags 0x%x)", f);
}

/* CLI/STI/PUSHF must not disturb CF, ZF, SF, OF. */
static void check_sensitive_keep_flags(void)
{
    uint8_t c, z, s, o;
    asm volatile("movl $0x7fffffff, %%eax; addl $1, %%eax\n\t"     /* OF=1 SF=1 ZF=0 */
                 "stc\n\t"
                 "cli; sti; cli; pushfl; leal 4(%%esp), %%esp\n\t"
                 "setc %0; setz %1; sets %2; seto %3"
                 : "=m"(c), "=m"(z), "=m"(s), "=m"(o) :: "eax", "cc", "memory");
    CHECK(6, c == 1 && z == 0 && s == 1 && o == 1,
          "CLI/STI/PUSHF changed the arithmetic flags: CF=%u ZF=%u SF=%u OF=%u (want 1 0 1 1)",
          c, z, s, o);
}

static void check_popf_if(void)
{
    uint32_t f = popf_pushf(0x2 | EFL_IF);
    CHECK(7, f & EFL_IF, "POPF did not set IF (read back 0x%x)", f);
    f = popf_pushf(0x2);
    CHECK(8, !(f & EFL_IF), "POPF did not clear IF (read back 0x%x)", f);
}

static void check_popf_arith(void)
{
    uint32_t f = popf_pushf(0x2 | EFL_ARITH);
    CHECK_EQ(9, f & EFL_ARITH, EFL_ARITH, "POPF of all arithmetic flags read back");
    f = popf_pushf(0x2);
    CHECK_EQ(10, f & EFL_ARITH, 0, "POPF of no arithmetic flags read back");

    /* The popped flags must drive conditional instructions. */
    uint8_t c, z, s, o, p;
    asm volatile("pushl %5; popfl; setc %0; setz %1; sets %2; seto %3; setp %4"
                 : "=m"(c), "=m"(z), "=m"(s), "=m"(o), "=m"(p)
                 : "r"(0x2u | EFL_CF | EFL_SF | EFL_PF) : "cc", "memory");
    CHECK(11, c == 1 && z == 0 && s == 1 && o == 0 && p == 1,
          "SETcc after POPF(CF SF PF): CF=%u ZF=%u SF=%u OF=%u PF=%u", c, z, s, o, p);
    asm volatile("pushl %5; popfl; setc %0; setz %1; sets %2; seto %3; setp %4"
                 : "=m"(c), "=m"(z), "=m"(s), "=m"(o), "=m"(p)
                 : "r"(0x2u | EFL_ZF | EFL_OF) : "cc", "memory");
    CHECK(12, c == 0 && z == 1 && s == 0 && o == 1 && p == 0,
          "SETcc after POPF(ZF OF): CF=%u ZF=%u SF=%u OF=%u PF=%u", c, z, s, o, p);
}

static void check_popf_df(void)
{
    static const char buf[4] = "abc";
    uint32_t f = popf_pushf(0x2 | EFL_DF);
    asm volatile("cld");
    CHECK(13, f & EFL_DF, "POPF did not set DF (read back 0x%x)", f);

    /* DF from POPF must steer LODSB backwards. */
    const char *esi = buf + 2;
    uint32_t al;
    asm volatile("pushl %3; popfl; lodsb; cld"
                 : "=a"(al), "+S"(esi) : "a"(0), "r"(0x2u | EFL_DF) : "cc", "memory");
    CHECK_EQ(14, al & 0xFF, 'c', "LODSB with DF=1 from POPF loaded");
    CHECK(15, esi == buf + 1, "LODSB with DF=1 from POPF moved ESI by %d", (int)(esi - (buf + 2)));

    asm volatile("std; pushfl; popl %0; cld" : "=r"(f) :: "memory");
    CHECK(16, f & EFL_DF, "PUSHF after STD shows DF=0 (0x%x)", f);
    asm volatile("pushfl; popl %0" : "=r"(f) :: "memory");
    CHECK(17, !(f & EFL_DF), "PUSHF after CLD shows DF=1 (0x%x)", f);
}

static void check_popf_system_bits(void)
{
    for (uint32_t iopl = 0; iopl < 4; iopl++) {
        uint32_t f = popf_pushf(0x2 | iopl << 12);
        CHECK_EQ(18, (f & EFL_IOPL) >> 12, iopl, "IOPL read back after POPF at CPL 0");
    }
    uint32_t f = popf_pushf(0x2 | EFL_AC);
    CHECK(19, f & EFL_AC, "POPF did not set AC (0x%x)", f);
    f = popf_pushf(0x2 | EFL_ID);
    CHECK(20, f & EFL_ID, "POPF did not set ID: the CPU would look like a 486 without CPUID (0x%x)", f);
    f = popf_pushf(0x2);
    CHECK(21, !(f & (EFL_ID | EFL_AC | EFL_IOPL)), "POPF did not clear ID/AC/IOPL (0x%x)", f);
    /* NT: read back, and clear at once (IRET with NT=1 is a task return). */
    f = popf_pushf(0x2 | EFL_NT);
    write_eflags(0x2);
    CHECK(22, f & EFL_NT, "POPF did not set NT (0x%x)", f);
    /* VM cannot be set by POPF (SDM vol. 2, POPF operation). */
    f = popf_pushf(0x2 | (1u << 17));
    CHECK(23, !(f & (1u << 17)), "POPF set VM (0x%x)", f);
}

/* 16-bit PUSHF/POPF touch only FLAGS, the low 16 bits. */
static void check_popfw(void)
{
    uint32_t f;
    write_eflags(0x2 | EFL_ID | EFL_AC);
    asm volatile("pushw %1; popfw; pushfl; popl %0"
                 : "=r"(f) : "r"((uint16_t)(0x2 | EFL_CF | EFL_IF | EFL_DF)) : "cc", "memory");
    write_eflags(0x2);
    CHECK_EQ(24, f & (EFL_ID | EFL_AC | EFL_CF | EFL_IF | EFL_DF),
             EFL_ID | EFL_AC | EFL_CF | EFL_IF | EFL_DF, "EFLAGS after POPFW");
    uint16_t w;
    write_eflags(0x2 | EFL_ZF | EFL_IOPL);
    asm volatile("pushfw; popw %0" : "=r"(w) :: "memory");
    write_eflags(0x2);
    CHECK_EQ(25, w & (EFL_ZF | EFL_IOPL | EFL_IF), EFL_ZF | EFL_IOPL, "PUSHFW image");
}

void test_main(void)
{
    check_cli_sti();
    check_sensitive_keep_flags();
    check_popf_if();
    check_popf_arith();
    check_popf_df();
    check_popf_system_bits();
    check_popfw();
}
