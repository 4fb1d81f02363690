/*
 * user_call.c - user_call and user_abort (user_call.h).
 */
#include "paging_guest.h"
#include "user_call.h"

volatile uint32_t user_pf_error, user_pf_cr2, user_pf_count;

void user_page_fault(struct trap_frame *f)
{
    user_pf_error = f->error;
    user_pf_cr2 = READ_CR(2);
    user_pf_count++;
    user_abort(USER_FAULTED);
}

/* uint32_t user_call(uint32_t (*fn)(void), uint32_t stack_top): IRET to fn
 * at CPL 3; returns what fn returns (through SYS_EXIT), or what
 * user_abort() is given by a handler.  The kernel's callee-saved registers
 * and ESP wait in user_kernel_esp. */
uint32_t user_kernel_esp;
asm(".text\n"
    ".globl user_call\n"
    "user_call:\n\t"
    "push %ebp; push %ebx; push %esi; push %edi\n\t"
    "mov %esp, user_kernel_esp\n\t"
    "mov 20(%esp), %eax\n\t"            /* fn */
    "mov 24(%esp), %ecx\n\t"            /* user stack top */
    "sub $4, %ecx\n\t"
    "movl $user_ret, (%ecx)\n\t"        /* fn returns into SYS_EXIT */
    "push $0x23\n\t"                    /* SS = RT_UDATA */
    "push %ecx\n\t"                     /* ESP */
    "push $0x2\n\t"                     /* EFLAGS: IF = 0 */
    "push $0x1b\n\t"                    /* CS = RT_UCODE */
    "push %eax\n\t"                     /* EIP */
    "mov $0x23, %bx\n\t"
    "mov %bx, %ds; mov %bx, %es; mov %bx, %fs; mov %bx, %gs\n\t"
    "iret\n"
    "user_ret:\n\t"                     /* ring 3: EAX = fn's value */
    "mov %eax, %ebx\n\t"
    "mov $0, %eax\n\t"                  /* SYS_EXIT */
    "int $0x80\n\t"
    "ud2\n"
    ".globl user_abort\n"
    "user_abort:\n\t"
    "mov 4(%esp), %eax\n\t"
    "mov user_kernel_esp, %esp\n\t"
    "mov $0x10, %cx\n\t"
    "mov %cx, %ds; mov %cx, %es; mov %cx, %fs; mov %cx, %gs\n\t"
    "pop %edi; pop %esi; pop %ebx; pop %ebp\n\t"
    "ret\n");

void user_identity_low(volatile uint32_t *pd, volatile uint32_t (*pt)[1024], uint32_t n)
{
    for (uint32_t t = 0; t < n; t++) {
        for (uint32_t i = 0; i < 1024; i++)
            pt[t][i] = ((t * 1024 + i) << 12) | PTE_P | PTE_W | PTE_U;
        pd[t] = (uint32_t)pt[t] | PTE_P | PTE_W | PTE_U;
    }
    pt[0][0] = 0;
}

void user_paging_on(const volatile uint32_t *pd, uint32_t kstack_top,
                    void (*hook)(struct trap_frame *f))
{
    rt_tss.ss0 = RT_KDATA;
    rt_tss.esp0 = kstack_top;
    rt_idt_default(0x80, GATE_TRAP3);
    rt_hook = hook;
    WRITE_CR(3, (uint32_t)pd);
    WRITE_CR(0, READ_CR(0) | 0x80010000u);     /* PG, WP */
}
