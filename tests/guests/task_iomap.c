/*
 * task_iomap - the I/O permission bitmap of the task that runs (Intel SDM
 * vol. 1 19.5.2, vol. 3A 8.2.1): a ring-3 task entered by CALL through a
 * task gate has its own TSS with an I/O bitmap that opens the UART's
 * scratch register (0x3FF) and keeps port 0x80 closed.  At CPL 3 > IOPL 0,
 * IN/OUT on 0x3FF work and on 0x80 raise #GP(0) (taken on the ring-0 stack
 * of the task's own TSS); the runtime's TSS, which has no bitmap, would
 * refuse both.  The task goes back by IRET with NT set, at CPL 3.
 */
#include "rt.h"

#define SEL(i) ((uint16_t)((i) << 3))
enum { G_TSS_U = RT_GDT_FREE, G_GATE_U };
#define SCRATCH 0x3FF
#define CLOSED 0x80

static struct rt_iomap_tss tss_u;
static uint8_t stk_user[2048], stk_ring0[2048] __attribute__((aligned(16)));

volatile uint32_t u_runs, u_scratch, u_gp_count, u_gp_vector, u_gp_error, u_gp_cs, u_cs;
void u_entry(void);

/* The ring-3 task: its stub loops, since it resumes after its IRET. */
void u_body(void)
{
    uint32_t n0 = rt_trap.count, cs;
    u_runs++;
    asm volatile("movl %%cs, %0" : "=r"(cs));
    u_cs = cs;
    outb(SCRATCH, 0x5A);
    u_scratch = inb(SCRATCH);
    TRY("outb %%al, %0", :: "i"(CLOSED), "a"(0) : "memory");
    u_gp_count = rt_trap.count - n0;
    u_gp_vector = rt_trap.f.vector;
    u_gp_error = rt_trap.f.error;
    u_gp_cs = rt_trap.f.cs;
}
asm(".text\nu_entry:\n\tcall u_body\n\tiret\n\tjmp u_entry\n");

void test_main(void)
{
    rt_iomap_tss_init(&tss_u, G_TSS_U, (uint32_t)stk_ring0 + sizeof stk_ring0, SCRATCH);
    tss_u.t.eip = (uint32_t)u_entry;
    tss_u.t.eflags = 0x2;                   /* IOPL 0 */
    tss_u.t.esp = (uint32_t)stk_user + sizeof stk_user;
    tss_u.t.cs = RT_UCODE;
    tss_u.t.ss = tss_u.t.ds = tss_u.t.es = tss_u.t.fs = tss_u.t.gs = RT_UDATA;
    /* A DPL-3 gate: ring 3 could call it too; ring 0 calls it here. */
    rt_gdt[G_GATE_U] = (uint64_t)SEL(G_TSS_U) << 16 | (uint64_t)0xE5 << 40;

    for (uint32_t i = 1; i <= 2; i++) {
        asm volatile("lcall %0, $0" :: "i"(SEL(G_GATE_U)) : "memory");
        CHECK_EQ(1, u_runs, i, "the ring-3 task ran");
        CHECK_EQ(2, u_cs, RT_UCODE, "CS in the task (CPL 3 from its TSS)");
        CHECK_EQ(3, u_scratch, 0x5A, "IN/OUT of a port its bitmap opens (the scratch register)");
        CHECK_EQ(4, u_gp_count, 1, "exceptions from OUT to a port its bitmap closes");
        CHECK_EQ(5, u_gp_vector, 13, "the exception of OUT to a closed port");
        CHECK_EQ(6, u_gp_error, 0, "its error code");
        CHECK_EQ(7, u_gp_cs, RT_UCODE, "the CS it was reported with");
        CHECK_EQ(8, tss_u.t.link, RT_TSS, "the task's back link");
        uint32_t cs;
        asm volatile("movl %%cs, %0" : "=r"(cs));
        CHECK_EQ(9, cs, RT_KCODE, "CS after the IRET back");
        asm volatile("clts");
    }
    rt_printf("task_iomap: a ring-3 task's own I/O bitmap: port 0x%x open, 0x%x closed\n",
              SCRATCH, CLOSED);
}
