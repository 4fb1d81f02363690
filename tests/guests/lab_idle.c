/*
 * lab_idle - the guest of lab 1 (docs/labs/hlt-accounting.md): 40 HLTs,
 * each woken by the next tick of the PIT at 100 Hz, so the guest spends
 * about 0.4 s halted; the test reads vmm's --stats for it.
 */
#include "dev_common.h"

#define HALTS 40

static volatile uint32_t ticks;

static void irq0(struct trap_frame *f)
{
    (void)f;
    ticks++;
    pic_eoi(0);
}

void test_main(void)
{
    dev_irq_init();
    dev_handlers[PIC_VEC_MASTER] = irq0;
    pic_setup(0xFFFE);
    pit_rate(100);
    for (int i = 0; i < HALTS; i++)
        sti_hlt();
    cli();
    rt_printf("lab_idle: %d HLTs, %u timer interrupts\n", HALTS, ticks);
}
