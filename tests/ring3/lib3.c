/*
 * tests/ring3/lib3.c - the kernel half of the ring-3 test runtime: trap
 * stack, INT 0x80 dispatch, frame checks and identity paging (lib3.h).
 */
#include "lib3.h"

void (*volatile r3_on_event)(struct r3_frame *f);

/* Separate stacks: a trap from CPL 3 switches to TSS.ESP0 (SDM vol. 3
 * 6.12.1), which must not be the boot stack r3_run() is still using. */
static uint8_t kernel_stack[16384] __attribute__((aligned(16)));
static uint8_t user_stack[16384] __attribute__((aligned(16)));
uint32_t r3_kernel_stack_top;
uint32_t r3_user_stack_top;

/* Identity-mapping page directory and tables. */
static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t page_tables[R3_MAPPED_MIB / 4][1024] __attribute__((aligned(4096)));

static __attribute__((noreturn)) void sys_fail(struct trap_frame *f)
{
    const char *what = f->esi ? (const char *)f->esi : "user check";
    rt_fail((int)f->ebx, "%s (ring 3): got 0x%x, want 0x%x", what, f->ecx, f->edx);
}

static void r3_dispatch(struct trap_frame *f)
{
    struct r3_frame *uf = (struct r3_frame *)f;

    if (f->vector == R3_SYSCALL_VECTOR && r3_from_user(f) && f->eax < SYS_TEST) {
        switch (f->eax) {
        case SYS_EXIT:
            r3_return(f->ebx);
        case SYS_FAIL:
            sys_fail(f);
        case SYS_PUTS:
            rt_puts((const char *)f->esi);
            return;
        default:
            rt_fail(101, "int 0x80 from ring 3 with unknown function %u", f->eax);
        }
    }
    if (r3_on_event) {
        r3_on_event(uf);
        return;
    }
    rt_fail(127, "unexpected event: vector %u error 0x%x at %x:%x eflags 0x%x%s",
            f->vector, f->error, f->cs, f->eip, f->eflags,
            r3_from_user(f) ? " (from ring 3)" : " (from ring 0)");
}

void r3_init(void)
{
    r3_kernel_stack_top = (uint32_t)(kernel_stack + sizeof kernel_stack);
    r3_user_stack_top = (uint32_t)(user_stack + sizeof user_stack);
    rt_tss.ss0 = RT_KDATA;
    rt_tss.esp0 = r3_kernel_stack_top;
    rt_idt_default(R3_SYSCALL_VECTOR, GATE_TRAP3);
    rt_hook = r3_dispatch;
}

void r3_check_user_frame(int n, const struct r3_frame *f, uint32_t want_esp,
                         const char *what)
{
    if (!r3_from_user(&f->t))
        rt_fail(n, "%s: vector %u came from CS 0x%x (RPL %u), not from ring 3",
                what, f->t.vector, f->t.cs, f->t.cs & 3);
    CHECK_EQ(n, f->t.cs & 0xFFFF, RT_UCODE, what);
    CHECK_EQ(n, f->ss & 0xFFFF, RT_UDATA, what);
    if (want_esp != RT_ANY && f->esp != want_esp)
        rt_fail(n, "%s: user ESP in the frame is 0x%x, want 0x%x", what, f->esp, want_esp);
    /* The frame must lie at the top of the TSS.ESP0 stack: 5 words pushed by
     * the CPU, then the error code and vector of our stubs. */
    uint32_t top = (uint32_t)(&f->ss + 1);
    if (top != r3_kernel_stack_top)
        rt_fail(n, "%s: the privilege-change frame ends at 0x%x, not at TSS.ESP0 0x%x",
                what, top, r3_kernel_stack_top);
}

void r3_paging_on(void)
{
    for (unsigned t = 0; t < R3_MAPPED_MIB / 4; t++) {
        for (unsigned i = 0; i < 1024; i++)
            page_tables[t][i] = ((t * 1024 + i) << 12) | PTE_P | PTE_W | PTE_U;
        page_dir[t] = (uint32_t)page_tables[t] | PTE_P | PTE_W | PTE_U;
    }
    page_tables[0][0] = 0;              /* catch null pointers */
    asm volatile("mov %0, %%cr3" :: "r"(page_dir) : "memory");
    write_cr0(read_cr0() | CR0_PG);
}

uint32_t *r3_pte(uint32_t linear)
{
    uint32_t t = linear >> 22, i = (linear >> 12) & 1023;
    if (t >= R3_MAPPED_MIB / 4)
        rt_fail(102, "r3_pte: 0x%x is not in the identity map", linear);
    return &page_tables[t][i];
}

void r3_timer_start(uint32_t hz)
{
    /* 8259: ICW1 edge/cascade/ICW4, ICW2 base 0x20/0x28, ICW3, ICW4 8086. */
    static const uint8_t icw[2][4] = { { 0x11, 0x20, 0x04, 0x01 }, { 0x11, 0x28, 0x02, 0x01 } };
    for (int k = 0; k < 4; k++) {
        outb(k ? 0x21 : 0x20, icw[0][k]);
        outb(k ? 0xA1 : 0xA0, icw[1][k]);
    }
    outb(0x21, 0xFE);                   /* only IRQ 0 */
    outb(0xA1, 0xFF);
    uint16_t div = (uint16_t)(1193182u / hz);   /* channel 0, mode 2 */
    outb(0x43, 0x34);
    outb(0x40, div & 0xFF);
    outb(0x40, div >> 8);
}
