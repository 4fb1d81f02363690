/*
 * io - port I/O at CPL 0: IN/OUT in their immediate and DX forms, the
 * string forms INS/OUTS with and without REP and in both directions, on the
 * 16550's scratch and line-control registers and on an unclaimed port
 * (SDM vol. 1 chapter 19; the UART register map of the 16550 data sheet).
 * The runner also checks the REP OUTSB lines arrive on COM1.
 */
#include "rt.h"

#define UART_SCR (COM1 + 7)
#define UART_LCR (COM1 + 3)
#define UART_FCR (COM1 + 2)
#define UART_LSR (COM1 + 5)
#define UART_DLL (COM1 + 0)
#define UART_DLM (COM1 + 1)
#define UNCLAIMED_PORT 0x2E0
#define UNCLAIMED_PORT8 0xE0

static void check_in_out(void)
{
    outb(UART_SCR, 0x5A);
    CHECK_EQ(1, inb(UART_SCR), 0x5A, "scratch register after OUT 0x5A");
    outb(UART_SCR, 0xA5);
    CHECK_EQ(2, inb(UART_SCR), 0xA5, "scratch register after OUT 0xA5");

    outb(UART_LCR, 0x80 | 0x03);        /* DLAB: divisor latch visible */
    outb(UART_DLL, 0x01);
    outb(UART_DLM, 0x00);
    uint8_t dll = inb(UART_DLL), dlm = inb(UART_DLM);
    outb(UART_LCR, 0x03);
    CHECK_EQ(3, dll, 0x01, "divisor latch low byte");
    CHECK_EQ(4, dlm, 0x00, "divisor latch high byte");
    CHECK_EQ(5, inb(UART_LCR), 0x03, "line control register");
    CHECK_EQ(6, inb(UART_LSR) & 0x60, 0x60, "LSR THRE|TEMT of an idle transmitter");

    /* Nothing answers: the bus floats high. */
    CHECK_EQ(7, inb(UNCLAIMED_PORT), 0xFF, "IN AL from an unclaimed port");
    CHECK_EQ(8, inw(UNCLAIMED_PORT), 0xFFFF, "IN AX from an unclaimed port");
    CHECK_EQ(9, inl(UNCLAIMED_PORT), 0xFFFFFFFF, "IN EAX from an unclaimed port");
    uint32_t v = 0;
    asm volatile("inb $%c1, %%al" : "+a"(v) : "i"(UNCLAIMED_PORT8));
    CHECK_EQ(10, v, 0xFF, "IN AL, imm8 from an unclaimed port (upper EAX kept)");
    v = 0x12345678;
    asm volatile("inw $%c1, %%ax" : "+a"(v) : "i"(UNCLAIMED_PORT8));
    CHECK_EQ(11, v, 0x1234FFFF, "IN AX, imm8 keeps the upper half of EAX");

    /* IN/OUT leave the arithmetic flags alone. */
    uint8_t c, z;
    asm volatile("stc\n\t"
                 "movl $0, %%eax\n\t"       /* ZF stays as the CMP below left it */
                 "cmpl %%eax, %%eax\n\t"
                 "stc\n\t"
                 "movw %2, %%dx\n\t"
                 "outb %%al, %%dx\n\t"
                 "inb %%dx, %%al\n\t"
                 "setc %0; setz %1"
                 : "=m"(c), "=m"(z) : "i"(UART_SCR) : "eax", "edx", "cc", "memory");
    CHECK(12, c == 1 && z == 1, "flags after OUT/IN: CF=%u ZF=%u (want 1 1)", c, z);
}

static void check_string_io(void)
{
    /* OUTSB/INSB of one byte through the scratch register. */
    static volatile uint8_t src[4] = { 0x3C, 0x11, 0x22, 0x33 }, dst[8];
    const volatile uint8_t *esi = src;
    volatile uint8_t *edi = dst;
    asm volatile("outsb" : "+S"(esi) : "d"(UART_SCR) : "memory");
    CHECK(13, esi == src + 1, "OUTSB moved ESI by %d", (int)(esi - src));
    CHECK_EQ(14, inb(UART_SCR), 0x3C, "scratch register after OUTSB");
    asm volatile("insb" : "+D"(edi) : "d"(UART_SCR) : "memory");
    CHECK(15, edi == dst + 1, "INSB moved EDI by %d", (int)(edi - dst));
    CHECK_EQ(16, dst[0], 0x3C, "byte stored by INSB");

    /* REP INSB reads the same register four times. */
    uint32_t ecx = 4;
    edi = dst + 2;
    asm volatile("rep insb" : "+D"(edi), "+c"(ecx) : "d"(UART_SCR) : "memory");
    CHECK_EQ(17, ecx, 0, "ECX after REP INSB");
    CHECK(18, edi == dst + 6, "REP INSB moved EDI by %d", (int)(edi - (dst + 2)));
    CHECK(19, dst[1] == 0 && dst[2] == 0x3C && dst[5] == 0x3C && dst[6] == 0,
          "REP INSB stored %x %x %x %x %x %x", dst[1], dst[2], dst[3], dst[4], dst[5], dst[6]);

    /* REP INSB with DF=1 walks down. */
    outb(UART_SCR, 0x77);
    ecx = 2;
    edi = dst + 7;
    asm volatile("std; rep insb; cld" : "+D"(edi), "+c"(ecx) : "d"(UART_SCR) : "memory");
    CHECK(20, edi == dst + 5 && dst[7] == 0x77 && dst[6] == 0x77 && dst[5] == 0x3C,
          "REP INSB with DF=1: EDI moved by %d", (int)(edi - (dst + 7)));

    /* REP with ECX=0 does nothing. */
    ecx = 0;
    esi = src;
    outb(UART_SCR, 0x99);
    asm volatile("rep outsb" : "+S"(esi), "+c"(ecx) : "d"(UART_SCR) : "memory");
    CHECK(21, esi == src && inb(UART_SCR) == 0x99, "REP OUTSB with ECX=0 did something");
}

/* Bursts to COM1 stay within the 16-byte FIFO once THRE said it is empty. */
static void wait_thre(void)
{
    while (!(inb(UART_LSR) & 0x20))
        ;
}

static void check_rep_outsb_console(void)
{
    outb(UART_FCR, 0x07);               /* enable and clear the FIFOs */
    static const char line[] = "rep outsb ok\n";
    const char *esi = line;
    uint32_t ecx = sizeof line - 1;
    wait_thre();
    asm volatile("rep outsb" : "+S"(esi), "+c"(ecx) : "d"(COM1) : "memory");
    CHECK_EQ(22, ecx, 0, "ECX after REP OUTSB");
    CHECK(23, esi == line + sizeof line - 1, "REP OUTSB moved ESI by %d", (int)(esi - line));

    static const char rev[] = "\ndesrever 1=FD";      /* printed backwards */
    esi = rev + sizeof rev - 2;
    ecx = sizeof rev - 1;
    wait_thre();
    asm volatile("std; rep outsb; cld" : "+S"(esi), "+c"(ecx) : "d"(COM1) : "memory");
    CHECK(24, (uint32_t)esi == (uint32_t)rev - 1, "REP OUTSB with DF=1 moved ESI by %d", (int)(esi - (rev + sizeof rev - 2)));

    /* OUTSW/OUTSD/INSD move 2/4 bytes per transfer (an unclaimed port). */
    static uint32_t words[2] = { 0x12345678, 0 };
    esi = (const char *)words;
    asm volatile("outsw; outsl" : "+S"(esi) : "d"(UNCLAIMED_PORT) : "memory");
    CHECK(25, esi == (const char *)words + 6, "OUTSW+OUTSD moved ESI by %d", (int)(esi - (const char *)words));
    void *edi = &words[1];
    asm volatile("insl" : "+D"(edi) : "d"(UNCLAIMED_PORT) : "memory");
    CHECK(26, edi == &words[2] && words[1] == 0xFFFFFFFF, "INSD from an unclaimed port stored 0x%x", words[1]);
}

void test_main(void)
{
    check_in_out();
    check_string_io();
    check_rep_outsb_console();
}
