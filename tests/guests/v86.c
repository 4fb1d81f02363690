/*
 * v86 - virtual-8086 mode under a classic ring-0 monitor (Intel SDM vol. 3A
 * chapter 20): with paging on, the guest copies an 8086 program
 * (v86_code.asm) to 1000:0000, enters it by IRETD at CPL 0 with EFLAGS.VM
 * and IOPL 0, and serves its traps in a #GP/#PF/#BP hook on the TSS's
 * ring-0 stack:
 *   - INT 61h is IOPL-sensitive: #GP(0); the monitor reflects it through
 *     the real-mode IVT (pushes FLAGS, CS, IP on the task's stack), and
 *     emulates the IRET of the 8086 handler the same way;
 *   - OUT to port 0x80, closed in the TSS's I/O bitmap, is #GP(0) even
 *     though the bitmap opens the UART scratch register 0x3FF, which the
 *     program reaches directly (in virtual-8086 mode only the bitmap counts);
 *   - a store to an absent user page is #PF with CR2 and the U/S and W/R
 *     bits: the monitor maps the page and the store restarts;
 *   - INT3 goes through its DPL-3 gate without a #GP;
 *   - HLT is #GP(0): the monitor sends the IRET to protected mode instead.
 * A second run, entered with IF set, waits in a loop until the monitor
 * has taken three PIT interrupts (IRQ 0 through the 8259) from
 * virtual-8086 code.
 * Every trap's frame must hold the task's paragraphs in SS, ES and DS,
 * VM in EFLAGS, and null DS and ES in the handler.  The program's results
 * (arithmetic, 32-bit operands, REP STOSW/LODSW through a reloaded ES,
 * the reflected interrupt, the ports, the demand page, and PADDD, PXOR,
 * ADDPS and PADDW, which the VMM carries out for the program instead of
 * stopping the VM) are checked after.
 */
#include "rt.h"
#include "paging_guest.h"
#include "dev_common.h"

#define EFL_VM 0x20000u
#define CR0_EM 0x4u
#define CR0_TS 0x8u
#define CR4_OSFXSR 0x200u
#define CR4_OSXMMEXCPT 0x400u
#define SEL(i) ((uint16_t)((i) << 3))
enum { G_TSS = RT_GDT_FREE };

#define V_SEG 0x1000u               /* the program: 1000:0000, stack 1000:FFF0 */
#define V_BASE (V_SEG << 4)
#define DEMAND_PAGE 0x18000u        /* 1000:8000, absent until the first store */
#define SCRATCH 0x3FF
#define CLOSED 0x80

struct v86_start { uint32_t eip, cs, eflags, esp, ss, es, ds, fs, gs; };
/* The frame of an event from virtual-8086 mode goes on past EFLAGS. */
struct v86_frame {
    struct trap_frame f;
    uint32_t esp, ss, es, ds, fs, gs;
};
struct v86_results {
    uint16_t sum, pad0;
    uint32_t add32, stos_sum;
    uint16_t int_ax, int_bx;
    uint8_t scratch, pad1;
    uint16_t demand, int3_done;
    uint32_t paddd[4], pxor[4], addps[4], paddw[2];
    uint32_t mxcsr, xmm0[4];
};

extern const uint8_t v86_blob[], v86_blob_end[];
extern const uint32_t v86_int61_off, v86_results_off, v86_int3_next_off;
extern const uint32_t v86_ticks_off, v86_tick_wait_off, v86_xm_insn_off, v86_xm_next_off;
void v86_enter(const struct v86_start *s);
void v86_back(void);

static struct rt_iomap_tss tss;
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));

/* What the monitor saw. */
static volatile uint32_t reflected, irets, denied_port, denied_value, denied_count;
static volatile uint32_t pf_cr2, pf_error, pf_count, bp_count, bp_ip, exits, bad_frames;
static volatile uint32_t irq_vm_flags, xm_count, xm_ip;

static uint8_t *lin(uint32_t seg, uint32_t off) { return (uint8_t *)((seg << 4) + (off & 0xFFFF)); }

static void push16(struct v86_frame *v, uint16_t x)
{
    v->esp = (v->esp & ~0xFFFFu) | ((v->esp - 2) & 0xFFFF);
    memcpy(lin(v->ss, v->esp), &x, 2);
}

static uint16_t pop16(struct v86_frame *v)
{
    uint16_t x;
    memcpy(&x, lin(v->ss, v->esp), 2);
    v->esp = (v->esp & ~0xFFFFu) | ((v->esp + 2) & 0xFFFF);
    return x;
}

/* INT n through the IVT, as the 8086 would: FLAGS, CS, IP of the next
 * instruction on the task's stack, TF cleared. */
static void reflect(struct v86_frame *v, uint8_t n, uint32_t len)
{
    uint32_t ent;
    memcpy(&ent, (void *)(uint32_t)(n * 4), 4);
    push16(v, v->f.eflags & 0xFFFF);
    push16(v, v->f.cs);
    push16(v, v->f.eip + len);
    v->f.eflags &= ~EFL_TF;
    v->f.cs = ent >> 16;
    v->f.eip = ent & 0xFFFF;
    reflected++;
}

/* IRET: the arithmetic flags, DF and TF from the popped image; IF and
 * IOPL stay the monitor's. */
static void emulate_iret(struct v86_frame *v)
{
    uint32_t ip = pop16(v), cs = pop16(v), fl = pop16(v);
    const uint32_t mask = EFL_ARITH | EFL_DF | EFL_TF;
    v->f.eip = ip;
    v->f.cs = cs;
    v->f.eflags = (v->f.eflags & ~mask) | (fl & mask);
    irets++;
}

static void leave_v86(struct v86_frame *v)
{
    v->f.eip = (uint32_t)v86_back;
    v->f.cs = RT_KCODE;
    v->f.eflags = 0x2;
    exits++;
}

static void gp(struct v86_frame *v)
{
    const uint8_t *ip = lin(v->f.cs, v->f.eip);
    switch (ip[0]) {
    case 0xCD:                          /* INT imm8 */
        reflect(v, ip[1], 2);
        break;
    case 0xCF:                          /* IRET */
        emulate_iret(v);
        break;
    case 0xE6:                          /* OUT imm8, AL */
        denied_port = ip[1];
        denied_value = v->f.eax & 0xFF;
        denied_count++;
        v->f.eip += 2;
        break;
    case 0xF4:                          /* HLT */
        leave_v86(v);
        break;
    default:
        rt_fail(20, "#GP from virtual-8086 code at %x:%x (byte 0x%x)", v->f.cs, v->f.eip, ip[0]);
    }
}

/* Every event from virtual-8086 mode: the task's paragraphs in the frame,
 * null data segments in the handler (isr_common pushed DS and ES as the
 * processor left them). */
static void hook(struct trap_frame *f)
{
    struct v86_frame *v = (struct v86_frame *)f;
    if (!(f->eflags & EFL_VM))
        rt_fail(21, "vector %u from protected mode at %x:%x", f->vector, f->cs, f->eip);
    if ((f->ds & 0xFFFF) != 0 || (f->es & 0xFFFF) != 0 || v->ss != V_SEG ||
        (v->ds != V_SEG && v->ds != 0x2000) || f->cs != V_SEG)
        bad_frames++;
    switch (f->vector) {
    case 13:
        CHECK_EQ(22, f->error, 0, "error code of a #GP from virtual-8086 code");
        gp(v);
        break;
    case 14:
        pf_cr2 = READ_CR(2);
        pf_error = f->error;
        pf_count++;
        pt[pf_cr2 >> 12] = (pf_cr2 & ~0xFFFu) | PTE_P | PTE_W | PTE_U;
        invlpg(pf_cr2);
        break;
    case 3:
        bp_count++;
        bp_ip = f->eip;
        break;
    case 19:                            /* #XM: the program's DIVSS by zero */
        xm_count++;
        xm_ip = f->eip;
        f->eip = v86_xm_next_off;
        break;
    case PIC_VEC_MASTER:                /* IRQ 0: counted in the task's memory */
        (*(volatile uint16_t *)(V_BASE + v86_ticks_off))++;
        irq_vm_flags |= f->eflags;
        pic_eoi(0);
        break;
    default:
        rt_fail(23, "vector %u from virtual-8086 code at %x:%x", f->vector, f->cs, f->eip);
    }
}

/* Identity paging of 4 MiB: the first MiB user pages (the program, its
 * IVT, its data) but for the demand page; the kernel above supervisor. */
static void paging_on(void)
{
    for (uint32_t i = 0; i < 1024; i++) {
        uint32_t a = i << 12;
        pt[i] = a | PTE_P | PTE_W | (a < 0x100000 ? PTE_U : 0);
    }
    pt[DEMAND_PAGE >> 12] = 0;
    pd[0] = (uint32_t)pt | PTE_P | PTE_W | PTE_U;
    WRITE_CR(3, (uint32_t)pd);
    WRITE_CR(0, READ_CR(0) | CR0_PG);
}

/* A TSS of our own: the ring-0 stack events from virtual-8086 mode
 * switch to, and an I/O bitmap that opens only the scratch register. */
static void tss_setup(void)
{
    rt_iomap_tss_init(&tss, G_TSS, (uint32_t)ring0_stack + sizeof ring0_stack, SCRATCH);
    asm volatile("ltr %0" :: "r"(SEL(G_TSS)));
}

void test_main(void)
{
    uint32_t size = v86_blob_end - v86_blob;
    struct v86_results *r = (struct v86_results *)(V_BASE + v86_results_off);

    tss_setup();
    paging_on();
    memcpy((void *)V_BASE, v86_blob, size);
    uint32_t ivt61 = V_SEG << 16 | v86_int61_off;
    memcpy((void *)(0x61 * 4), &ivt61, 4);
    rt_idt_default(3, GATE_INT3);
    rt_hook = hook;

    WRITE_CR(0, READ_CR(0) & ~(CR0_EM | CR0_TS));  /* MMX and SSE for the program */
    WRITE_CR(4, READ_CR(4) | CR4_OSFXSR | CR4_OSXMMEXCPT);
    struct v86_start s = { 0, V_SEG, 0x2 | EFL_VM, 0xFFF0, V_SEG, V_SEG, V_SEG, 0, 0 };
    v86_enter(&s);
    rt_hook = 0;

    CHECK_EQ(1, exits, 1, "returns to protected mode");
    CHECK_EQ(2, read_eflags() & EFL_VM, 0, "EFLAGS.VM after the return");
    CHECK_EQ(3, r->sum, 5050, "1 + 2 + ... + 100 with LOOP");
    CHECK_EQ(4, r->add32, 0x23456789, "32-bit ADD through the operand-size prefix");
    CHECK_EQ(5, r->stos_sum, 256 * 0xA55A, "REP STOSW then LODSW through ES = 2000");
    CHECK_EQ(6, *(volatile uint16_t *)0x20000, 0xA55A, "what REP STOSW wrote at 2000:0000");
    CHECK_EQ(7, reflected, 1, "INT 61h reflected by the monitor");
    CHECK_EQ(8, irets, 1, "IRET of the 8086 handler emulated");
    CHECK_EQ(9, r->int_ax, 0x1235, "AX after the reflected INT 61h");
    CHECK_EQ(10, r->int_bx, 0xBEEF, "BX set by the 8086 handler");
    CHECK_EQ(11, r->scratch, 0x5A, "OUT/IN of the scratch register the bitmap opens");
    CHECK_EQ(12, denied_count, 1, "#GP for OUT to a closed port");
    CHECK_EQ(13, denied_port, CLOSED, "the closed port");
    CHECK_EQ(14, denied_value, 0x42, "the value OUT would have written");
    CHECK_EQ(15, pf_count, 1, "page faults");
    CHECK_EQ(16, pf_cr2, DEMAND_PAGE, "CR2 of the page fault");
    CHECK_EQ(17, pf_error, 0x6, "#PF error code: user write to an absent page");
    CHECK_EQ(18, r->demand, 0x7E57, "the store to the demand page");
    CHECK_EQ(19, bp_count, 1, "INT3 through its DPL-3 gate");
    CHECK_EQ(26, bp_ip, v86_int3_next_off, "IP pushed by INT3: the next instruction");
    CHECK_EQ(24, r->int3_done, 0x600D, "the program went on after INT3");
    CHECK_EQ(25, bad_frames, 0, "frames without the task's selectors or with DS/ES not null");
    static const uint32_t paddd[4] = { 11, 22, 33, 0x80000000u }, pxor[4] = { 1, 2, 63, 0x80000001u };
    static const uint32_t addps[4] = { 0x40800000u, 0x40100000u, 0, 0x42C90000u };   /* 4 2.25 0 100.5 */
    static const uint32_t paddw[2] = { 11, 22 };            /* words 1+10, 0, 2+20, 0 */
    for (int i = 0; i < 4; i++) {
        CHECK(31, r->paddd[i] == paddd[i], "PADDD in virtual-8086 mode, lane %d: 0x%x", i, r->paddd[i]);
        CHECK(32, r->pxor[i] == pxor[i], "PXOR in virtual-8086 mode, lane %d: 0x%x", i, r->pxor[i]);
        CHECK(33, r->addps[i] == addps[i], "ADDPS in virtual-8086 mode, lane %d: 0x%x", i, r->addps[i]);
    }
    for (int i = 0; i < 2; i++)
        CHECK(34, r->paddw[i] == paddw[i], "PADDW (MMX) in virtual-8086 mode, dword %d: 0x%x", i,
              r->paddw[i]);
    CHECK_EQ(35, xm_count, 1, "#XM for DIVSS by zero with ZM clear");
    CHECK_EQ(36, xm_ip, v86_xm_insn_off, "#XM is a fault at DIVSS");
    CHECK_EQ(37, r->mxcsr, 0x1D84, "MXCSR after the #XM: ZE set");
    for (int i = 0; i < 4; i++)
        CHECK(38, r->xmm0[i] == paddd[i], "XMM0 unchanged by the faulting DIVSS, lane %d: 0x%x", i,
              r->xmm0[i]);

    /* Timer interrupts while virtual-8086 code runs with IF set. */
    rt_hook = hook;
    pic_setup(0xFFFE);
    pit_rate(1000);
    s.eip = v86_tick_wait_off;
    s.eflags = 0x2 | EFL_VM | EFL_IF;
    v86_enter(&s);
    rt_hook = 0;
    outb(0x21, 0xFF);
    CHECK_EQ(27, exits, 2, "returns to protected mode after the timer run");
    /* Three, or one more if the timer beat the few instructions to HLT;
     * fewer only if the wait loop ran out first (hardware under --accel
     * kvm runs it fast), but at least one. */
    uint16_t ticks = *(volatile uint16_t *)(V_BASE + v86_ticks_off);
    CHECK(28, ticks >= 1 && ticks <= 4, "timer interrupts taken from virtual-8086 code: %u", ticks);
    CHECK(29, irq_vm_flags & EFL_VM, "the interrupt frames' EFLAGS has VM");
    CHECK_EQ(30, bad_frames, 0, "interrupt frames without the task's selectors");
    rt_printf("v86: 8086 program under a ring-0 monitor: INT reflected, port 0x%x closed, "
              "page 0x%x on demand, 3 timer interrupts\n", CLOSED, DEMAND_PAGE);
}
