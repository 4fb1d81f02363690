/*
 * coherence_user - guest.coherence's cases for code run at CPL 3: a user
 * code page remapped to another frame (INVLPG), a CR3 load into a second
 * address space that maps the same linear page elsewhere and back, a
 * directory entry naming another page table (CR3 reload), and the kernel
 * writing new code into the user frame through its own mapping of it (as a
 * kernel does through its direct map).  Each user function is
 * `mov eax, imm32 ; ret`, run by user_call; its value says which bytes ran.
 * Registered with ring 3 direct and with --translate-ring3.
 */
#include "paging_guest.h"
#include "user_call.h"

#define UCODE_VA 0x50000000u    /* PDE 320 */
#define LOW_MIB 8u

static volatile uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t pd2[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_low[LOW_MIB / 4][1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_u[1024] __attribute__((aligned(4096)));
static volatile uint32_t pt_u2[1024] __attribute__((aligned(4096)));
static uint8_t frame[3][4096] __attribute__((aligned(4096)));
static uint8_t kstack[8192] __attribute__((aligned(16)));
static uint8_t ustack[8192] __attribute__((aligned(16)));

static void put_fn(uint8_t *p, uint32_t v)
{
    p[0] = 0xB8;
    memcpy(p + 1, &v, 4);
    p[5] = 0xC3;
}

static void kernel_hook(struct trap_frame *f)
{
    if ((f->cs & 3) == 3 && f->vector == 0x80 && f->eax == 0)
        user_abort(f->ebx);
    rt_fail(127, "unexpected vector %u error 0x%x at 0x%x (cr2 0x%x)", f->vector, f->error,
            f->eip, READ_CR(2));
}

static void expect(int n, uint32_t want, const char *what)
{
    for (int i = 0; i < 3; i++) {
        uint32_t got = user_call((uint32_t (*)(void))UCODE_VA, (uint32_t)(ustack + sizeof ustack));
        if (got != want)
            rt_fail(n, "%s (call %d): ran code giving 0x%x, want 0x%x", what, i, got, want);
    }
}

static uint32_t upte(const void *f)
{
    return (uint32_t)f | PTE_P | PTE_W | PTE_U;
}

void test_main(void)
{
    user_identity_low(pd, pt_low, LOW_MIB / 4);
    pd[UCODE_VA >> 22] = (uint32_t)pt_u | PTE_P | PTE_W | PTE_U;
    for (uint32_t i = 0; i < 1024; i++)
        pd2[i] = pd[i];
    pd2[UCODE_VA >> 22] = (uint32_t)pt_u2 | PTE_P | PTE_W | PTE_U;
    put_fn(frame[0], 0xA0000011u);
    put_fn(frame[1], 0xB0000011u);
    put_fn(frame[2], 0xC0000011u);
    pt_u[0] = upte(frame[0]);
    pt_u2[0] = upte(frame[2]);

    user_paging_on(pd, (uint32_t)(kstack + sizeof kstack), kernel_hook);

    expect(1, 0xA0000011u, "user code on frame 0");
    pt_u[0] = upte(frame[1]);
    invlpg(UCODE_VA);
    expect(2, 0xB0000011u, "remapped to frame 1 + INVLPG");
    for (int round = 0; round < 3; round++) {
        WRITE_CR(3, (uint32_t)pd2);
        expect(3, 0xC0000011u, "second address space: frame 2");
        WRITE_CR(3, (uint32_t)pd);
        expect(4, 0xB0000011u, "first address space again: frame 1");
    }
    pd[UCODE_VA >> 22] = (uint32_t)pt_u2 | PTE_P | PTE_W | PTE_U;
    WRITE_CR(3, (uint32_t)pd);
    expect(5, 0xC0000011u, "PDE 320 -> pt_u2, CR3 reload");
    pd[UCODE_VA >> 22] = (uint32_t)pt_u | PTE_P | PTE_W | PTE_U;
    WRITE_CR(3, (uint32_t)pd);
    expect(6, 0xB0000011u, "PDE 320 -> pt_u again");
    put_fn(frame[1], 0xB1000011u);          /* the kernel's identity mapping */
    expect(7, 0xB1000011u, "after the kernel rewrote the frame through its own mapping");

    rt_hook = NULL;
    WRITE_CR(0, READ_CR(0) & ~CR0_PG);
    rt_puts("coherence_user: remap+INVLPG, CR3 switch, PDE change, kernel alias write at CPL 3\n");
}
