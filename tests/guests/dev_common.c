/*
 * tests/guests/dev_common.c - interrupt dispatch and rate measurement for
 * the device test guests (see dev_common.h).
 */
#include "dev_common.h"

dev_handler dev_handlers[256];

static void dispatch(struct trap_frame *f)
{
    dev_handler h = f->vector < 256 ? dev_handlers[f->vector] : NULL;
    if (!h)
        rt_fail(127, "unexpected vector %u (error 0x%x) at %x:%x", f->vector, f->error,
                f->cs, f->eip);
    h(f);
}

void dev_irq_init(void)
{
    rt_hook = dispatch;
}

/* Wait with IF=1 until *counter moves; returns the TSC at that moment. */
static uint64_t next_interrupt(int n, volatile uint32_t *counter)
{
    uint32_t c0 = *counter;
    uint64_t start = rdtsc();
    while (*counter == c0) {
        sti_hlt();
        cli();
        if (rdtsc() - start > TSC_HZ)
            rt_fail(n, "no interrupt for a second (count %u)", c0);
    }
    return rdtsc();
}

uint32_t dev_measure_rate(int n, volatile uint32_t *counter, uint64_t min_ns)
{
    uint64_t t0 = next_interrupt(n, counter);
    uint32_t n0 = *counter;
    uint64_t t1 = t0;
    while (t1 - t0 < min_ns)
        t1 = next_interrupt(n, counter);
    uint32_t ticks = *counter - n0;
    return (uint32_t)((uint64_t)ticks * TSC_HZ * 1000 / (t1 - t0));
}

struct mb_info_head {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

const char *dev_cmdline(void)
{
    const struct mb_info_head *mb = (const struct mb_info_head *)rt_mb_info;
    if (!mb || !(mb->flags & (1u << 2)) || !mb->cmdline)
        return "";
    return (const char *)mb->cmdline;
}
