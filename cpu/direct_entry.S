/*
 * cpu/direct_entry.S - running guest ring-3 code directly in 32-bit mode.
 *
 * direct_enter(struct vcpu *c, struct direct_frame *f): save the monitor's
 * registers and stack, swap in the guest FPU state, load the guest's data
 * segment selectors (host LDT entries that mirror the guest's segments) and
 * general registers, and IRETQ to the guest's CS:EIP (a 32-bit LDT code
 * segment): the same instruction Linux uses to return to 32-bit processes.
 * From the moment FS is loaded the C library's TLS is gone: no C runs until
 * direct_exit puts the monitor's FS base back.
 *
 * direct_exit: the signal handler sends every exit from guest code here
 * (RIP = direct_exit, CS = 0x33, RSP = the saved monitor stack, R15 = vcpu).
 *
 * host_signal_entry: every signal of the monitor enters here first.  It
 * records the segment selectors the interrupted code had and restores the
 * monitor's FS base before any C code (which uses TLS and the stack
 * protector canary at fs:0x28) runs.
 */
#include "cpu/switch.inc"

/* Put the monitor's FS base back after guest code loaded FS, the way this
 * host allows (host_fs_restore, set by host_init from cpu/host_facts.h):
 * 0 nothing (no direct execution, FS never changes), 1 WRFSBASE, 2
 * arch_prctl(ARCH_SET_FS).  Clobbers rax, rdi, rsi, rcx, r11. */
.macro RESTORE_HOST_FS
    movzbl host_fs_restore(%rip), %eax
    cmp $1, %eax
    jb 3f
    ja 2f
    mov host_fsbase(%rip), %rax
    wrfsbase %rax
    jmp 3f
2:  mov $158, %eax                  /* SYS_arch_prctl */
    mov $0x1002, %edi               /* ARCH_SET_FS */
    mov host_fsbase(%rip), %rsi
    syscall
3:
.endm

    .text
    .globl direct_enter
    .type direct_enter, @function
direct_enter:
    LEAVE_MONITOR
    pushq 32(%rsi)                  /* SS */
    pushq 24(%rsi)                  /* ESP */
    pushq 16(%rsi)                  /* EFLAGS */
    pushq 8(%rsi)                   /* CS */
    pushq 0(%rsi)                   /* EIP */
    mov 40(%rsi), %eax
    mov %eax, %ds
    mov 48(%rsi), %eax
    mov %eax, %es
    mov 64(%rsi), %eax
    mov %eax, %gs
    mov 56(%rsi), %eax
    mov %eax, %fs
    LOAD_GUEST_GPRS_BUT_ESP
    iretq
    .size direct_enter, .-direct_enter

    .globl direct_exit
    .type direct_exit, @function
direct_exit:
    /* sigreturn takes EFLAGS.NT from the interrupted guest code, not from
     * the handler's frame, and guest code at CPL 3 may set NT (POPF): with
     * it, the next IRETQ of direct_enter would fault in the monitor. */
    pushfq
    andq $~0x4000, (%rsp)
    popfq
    xor %eax, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %gs
    mov %eax, %fs
    RESTORE_HOST_FS
    RETURN_TO_MONITOR
    .size direct_exit, .-direct_exit

    .globl host_signal_entry
    .type host_signal_entry, @function
host_signal_entry:
    /* The kernel delivers signals with the interrupted EFLAGS.AC: guest
     * ring-3 code may have set it (alignment checking), and the monitor's
     * C code must not run with it. */
    pushfq
    andq $~0x40000, (%rsp)
    popfq
    mov %ds, %eax
    mov %ax, host_seen_sel+0(%rip)
    mov %es, %eax
    mov %ax, host_seen_sel+2(%rip)
    mov %fs, %eax
    mov %ax, host_seen_sel+4(%rip)
    mov %gs, %eax
    mov %ax, host_seen_sel+6(%rip)
    push %rdi
    push %rsi
    push %rdx
    RESTORE_HOST_FS
    pop %rdx
    pop %rsi
    pop %rdi
    jmp host_on_signal
    .size host_signal_entry, .-host_signal_entry

    .data
    .globl host_fsbase
host_fsbase:
    .quad 0
    .globl host_fs_restore
host_fs_restore:
    .byte 0
    .globl host_seen_sel
host_seen_sel:
    .short 0, 0, 0, 0

    .section .note.GNU-stack,"",@progbits
