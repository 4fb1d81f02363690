/*
 * bench/syscall/bench_guest.c - result lines and the ring-3 runner shared by
 * the benchmark guests (contract in bench_guest.h).
 */
#include "bench_guest.h"

/* TSS.ESP0 must not be the boot stack the kernel side is still using when it
 * enters ring 3: a trap from CPL 3 starts a fresh frame at ESP0 (SDM vol. 3
 * 6.12.1). */
static uint8_t kernel_stack[16384] __attribute__((aligned(16)));
static uint8_t user_stack[65536] __attribute__((aligned(16)));

void bench_put_u64(uint64_t v)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        rt_putc(buf[--n]);
}

void bench_report(const char *name, uint64_t ticks, uint32_t checksum, uint32_t ops)
{
    rt_puts("bench ");
    rt_puts(name);
    rt_putc(' ');
    bench_put_u64(ticks);
    rt_printf(" %u %u\n", checksum, ops);
}

void bench_user_init(void)
{
    rt_tss.ss0 = RT_KDATA;
    rt_tss.esp0 = (uint32_t)(kernel_stack + sizeof kernel_stack);
    rt_idt_set(BENCH_EXIT_VECTOR, (uint32_t)bench_user_exit_gate, RT_KCODE, GATE_INT3);
}

uint32_t bench_user_call(uint32_t (*fn)(void))
{
    return bench_user_enter(fn, (uint32_t)(user_stack + sizeof user_stack));
}
