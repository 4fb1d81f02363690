/*
 * tests/guests/lib/rt.c - serial output, exit codes, descriptor tables and
 * the exception dispatcher of the test guests (contract in rt.h).
 */
#include <stdarg.h>
#include "rt.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define UART_LSR 5
#define LSR_THRE 0x20           /* transmit holding register empty */

volatile struct rt_trap rt_trap;
volatile uint32_t rt_resume;
volatile uint32_t rt_try_insn, rt_try_next;
void (*volatile rt_hook)(struct trap_frame *f);

uint64_t rt_gdt[RT_GDT_ENTRIES] __attribute__((aligned(8)));
uint64_t rt_idt[256] __attribute__((aligned(8)));
struct tss32 rt_tss __attribute__((aligned(16)));
struct dtr32 rt_gdtr, rt_idtr;
uint32_t rt_mb_magic, rt_mb_info;
extern char rt_stack_top[];

/* ---- console ------------------------------------------------------------ */

void rt_putc(char c)
{
    while (!(inb(COM1 + UART_LSR) & LSR_THRE))
        ;
    outb(COM1, (uint8_t)c);
}

void rt_puts(const char *s)
{
    while (*s)
        rt_putc(*s++);
}

static void put_num(uint32_t v, unsigned base, int width, char pad, bool neg)
{
    char buf[16];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg)
        buf[n++] = '-';
    while (n < width--)
        rt_putc(pad);
    while (n)
        rt_putc(buf[--n]);
}

/* %s %c %d %u %x %p, with an optional 0 flag and width. */
static void vprint(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            rt_putc(*fmt);
            continue;
        }
        char pad = ' ';
        int width = 0;
        if (*++fmt == '0')
            pad = '0', fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        switch (*fmt) {
        case 's': rt_puts(va_arg(ap, const char *)); break;
        case 'c': rt_putc((char)va_arg(ap, int)); break;
        case 'u': put_num(va_arg(ap, uint32_t), 10, width, pad, false); break;
        case 'x': put_num(va_arg(ap, uint32_t), 16, width, pad, false); break;
        case 'p': rt_puts("0x"); put_num(va_arg(ap, uint32_t), 16, 8, '0', false); break;
        case 'd': {
            int32_t v = va_arg(ap, int32_t);
            put_num(v < 0 ? -(uint32_t)v : (uint32_t)v, 10, width, pad, v < 0);
            break;
        }
        case '%': rt_putc('%'); break;
        default: rt_putc('?'); break;
        }
    }
}

void rt_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint(fmt, ap);
    va_end(ap);
}

/* ---- ending the run ----------------------------------------------------- */

/* isa-debug-exit: the monitor ends with status (value << 1) | 1.  If the write
 * does not stop us, say so and halt (status 4), which no test expects. */
void rt_exit(uint8_t value)
{
    outb(DEBUG_EXIT_PORT, value);
    rt_puts("rt: the debug-exit port did not stop the machine\n");
    for (;;)
        asm volatile("cli; hlt");
}

void rt_fail(int n, const char *fmt, ...)
{
    va_list ap;
    rt_printf("FAIL %d: ", n);
    va_start(ap, fmt);
    vprint(fmt, ap);
    va_end(ap);
    rt_putc('\n');
    rt_exit((uint8_t)n);
}

/* ---- descriptor tables -------------------------------------------------- */

/* SDM vol. 3 section 3.4.5: base 31..24 | flags | limit 19..16 | access |
 * base 23..0 | limit 15..0. */
uint64_t rt_seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (uint64_t)(limit & 0xFFFF)
         | (uint64_t)(base & 0xFFFFFF) << 16
         | (uint64_t)access << 40
         | (uint64_t)((limit >> 16) & 0xF) << 48
         | (uint64_t)(flags & 0xF) << 52
         | (uint64_t)(base >> 24) << 56;
}

void rt_gdt_set(int index, uint64_t desc)
{
    rt_gdt[index] = desc;
}

/* SDM vol. 3 section 6.11: offset 31..16 | type/attr | 0 | selector | offset 15..0. */
void rt_idt_set(int vector, uint32_t handler, uint16_t sel, uint8_t type_attr)
{
    rt_idt[vector] = (uint64_t)(handler & 0xFFFF)
                   | (uint64_t)sel << 16
                   | (uint64_t)type_attr << 40
                   | (uint64_t)(handler >> 16) << 48;
}

void rt_idt_default(int vector, uint8_t type_attr)
{
    rt_idt_set(vector, rt_isr_table[vector], RT_KCODE, type_attr);
}

void rt_iomap_tss_init(struct rt_iomap_tss *tss, int index, uint32_t esp0, uint16_t open)
{
    memset(tss, 0, sizeof *tss);
    tss->t.ss0 = RT_KDATA;
    tss->t.esp0 = esp0;
    tss->t.iomap = sizeof tss->t;
    memset(tss->map, 0xFF, sizeof tss->map);
    tss->map[open / 8] &= ~(1u << (open % 8));
    tss->end = 0xFF;
    rt_gdt_set(index, rt_seg_desc((uint32_t)tss, sizeof *tss - 1, ACC_TSS32, 0));
}

/* Called by _start before LGDT/LIDT/LTR. */
void rt_setup_tables(void)
{
    rt_gdt[0] = 0;
    rt_gdt[1] = rt_seg_desc(0, 0xFFFFF, ACC_CODE0, FLG_4K32);
    rt_gdt[2] = rt_seg_desc(0, 0xFFFFF, ACC_DATA0, FLG_4K32);
    rt_gdt[3] = rt_seg_desc(0, 0xFFFFF, ACC_CODE3, FLG_4K32);
    rt_gdt[4] = rt_seg_desc(0, 0xFFFFF, ACC_DATA3, FLG_4K32);
    rt_gdt[5] = rt_seg_desc((uint32_t)&rt_tss, sizeof rt_tss - 1, ACC_TSS32, 0);
    for (int i = RT_GDT_FREE; i < RT_GDT_ENTRIES; i++)
        rt_gdt[i] = 0;
    rt_gdtr.limit = sizeof rt_gdt - 1;
    rt_gdtr.base = (uint32_t)rt_gdt;

    rt_tss.ss0 = RT_KDATA;
    rt_tss.esp0 = (uint32_t)rt_stack_top;
    rt_tss.iomap = sizeof rt_tss;       /* no I/O bitmap */

    for (int v = 0; v < 256; v++)
        rt_idt_default(v, GATE_INT0);
    rt_idtr.limit = sizeof rt_idt - 1;
    rt_idtr.base = (uint32_t)rt_idt;
}

/* ---- exceptions --------------------------------------------------------- */

void rt_trap_dispatch(struct trap_frame *f)
{
    rt_trap.count++;
    rt_trap.f = *f;
    rt_trap.esp = (uint32_t)(&f->eflags + 1);
    if (rt_hook) {
        rt_hook(f);
        return;
    }
    if (rt_resume) {
        f->eip = rt_resume;
        rt_resume = 0;
        return;
    }
    rt_fail(127, "unexpected exception: vector %u error 0x%x at %x:%x eflags 0x%x",
            f->vector, f->error, f->cs, f->eip, f->eflags);
}

void rt_check_exc(int n, uint32_t n0, uint32_t vector, uint32_t error,
                  uint32_t eip, const char *what)
{
    const volatile struct trap_frame *f = &rt_trap.f;
    uint32_t taken = rt_trap.count - n0;
    if (taken == 0)
        rt_fail(n, "%s: no exception (want vector %u)", what, vector);
    if (taken > 1)
        rt_fail(n, "%s: %u exceptions, the last vector %u error 0x%x at 0x%x (want one, vector %u)",
                what, taken, f->vector, f->error, f->eip, vector);
    if (f->vector != vector)
        rt_fail(n, "%s: vector %u error 0x%x at 0x%x (want vector %u)",
                what, f->vector, f->error, f->eip, vector);
    if (error != RT_ANY && f->error != error)
        rt_fail(n, "%s: vector %u with error code 0x%x (want 0x%x)", what, vector, f->error, error);
    if (f->eip != eip)
        rt_fail(n, "%s: vector %u reported at EIP 0x%x (want 0x%x)", what, vector, f->eip, eip);
    if ((f->cs & 0xFFFF) != RT_KCODE)
        rt_fail(n, "%s: vector %u reported with CS 0x%x (want 0x%x)", what, vector, f->cs, RT_KCODE);
}

void rt_check_no_exc(int n, uint32_t n0, const char *what)
{
    const volatile struct trap_frame *f = &rt_trap.f;
    if (rt_trap.count != n0)
        rt_fail(n, "%s: unexpected exception vector %u error 0x%x at 0x%x",
                what, f->vector, f->error, f->eip);
}

/* ---- entry from _start -------------------------------------------------- */

void rt_start(void)
{
    if (rt_mb_magic != MULTIBOOT_BOOTLOADER_MAGIC)
        rt_fail(126, "EAX at entry is 0x%x, not the Multiboot magic 0x2badb002",
                rt_mb_magic);
    test_main();
    rt_puts("PASS\n");
    rt_exit(0);
}

/* ---- libc bits ---------------------------------------------------------- */

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *dp = d;
    while (n--)
        *dp++ = (uint8_t)c;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (uint8_t)*a - (uint8_t)*b;
}
