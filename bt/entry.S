/*
 * bt/entry.S - switching between the monitor and translated code.
 *
 * bt_enter(struct vcpu *c, void *code): save the monitor's callee-saved
 * registers and stack, swap the FPU/SSE state to the guest's, load the
 * guest registers into the host registers of the same names, and jump.
 * While guest code runs, RSP holds the guest's ESP (a guest address), so
 * nothing may be pushed on it: every signal handler runs on a sigaltstack.
 *
 * bt_exit: reached by a jump from translated code: save the guest
 * registers and flags, swap FPU state back, and return from bt_enter.
 * bt_exit_signal: the same, for a signal handler that has already copied
 * the guest registers and flags out of the interrupted context.
 *
 * bt_rdtsc: RDTSC for translated code without an exit (bt/xl_system.c).
 * Reached by a jump with the return address in r10; EDX:EAX := cpu_rdtsc(),
 * the guest TSC exactly as the emulator computes it.  The C call runs on
 * the monitor's stack below bt_enter's frame (free while guest code runs;
 * signals use the sigaltstack), keeps the guest's other registers and
 * arithmetic flags, and leaves the guest FPU/SSE state loaded: cpu_rdtsc
 * and the vDSO clock_gettime under it are integer code.  FS still holds the
 * monitor's TLS base (translated code changes only GS), DF is clear.
 *
 * bt_callout: a light callout (bt/xl_callout.c).  Reached by a jump with
 * the C function in r11 and the return address in r10; vcpu->eip already
 * holds the guest instruction's EIP.  The guest registers and flags are
 * stored in struct vcpu as bt_exit does and the guest FPU/SSE state saved
 * (the C code may use SSE registers); int fn(struct vcpu *) runs on the
 * monitor's stack.  0: reload the guest state (the function may have
 * changed it, and the kernel view, hence the GS base) and go on at r10.
 * Otherwise leave translated code as from a signal, with the exit reason
 * the function set.
 */
#include "cpu/switch.inc"

/* Into translated code at *reg: GS = the kernel view (written here where
 * the host kernel keeps a WRGSBASE value, else set by host_gs_sync),
 * the guest's arithmetic flags (TF, DF stay clear; IF set; AC only where
 * the guest's alignment checks apply: vcpu->host_ac), its registers and ESP. */
.macro ENTER_TRANSLATED reg
    cmpb $0, OFF_GS_INSN(%r15)
    je .Lgs_kept\@
    mov OFF_GS_BASE(%r15), %rax
    wrgsbase %rax
.Lgs_kept\@:
    mov OFF_RFLAGS(%r15), %rax
    and $0x8d5, %rax
    or $0x202, %rax
    or OFF_HOST_AC(%r15), %eax
    push %rax
    popfq
    LOAD_GUEST_GPRS_BUT_ESP
    mov 0x10(%r15), %esp
    jmp *\reg
.endm

    .text
    .globl bt_enter
    .type bt_enter, @function
bt_enter:
    LEAVE_MONITOR
    mov OFF_LOOKUP(%r15), %r14
    mov OFF_POLL_IRQ(%r15), %r13
    mov OFF_POLL_ANY(%r15), %r12
    mov %rsi, %r11
    ENTER_TRANSLATED %r11
    .size bt_enter, .-bt_enter

/* Translated code leaves: the guest's registers and flags into struct
 * vcpu, and onto the monitor's stack. */
.macro SAVE_GUEST_STATE
    mov %eax, 0x00(%r15)
    mov %ecx, 0x04(%r15)
    mov %edx, 0x08(%r15)
    mov %ebx, 0x0c(%r15)
    mov %esp, 0x10(%r15)
    mov %ebp, 0x14(%r15)
    mov %esi, 0x18(%r15)
    mov %edi, 0x1c(%r15)
    mov OFF_HOST_RSP(%r15), %rsp
    pushfq
    pop %rax
    mov %rax, OFF_RFLAGS(%r15)
    /* AC was on for guest alignment checks: off before the monitor's C. */
    btr $18, %eax
    jnc .Lac_off\@
    push %rax
    popfq
.Lac_off\@:
.endm

    .globl bt_exit
    .type bt_exit, @function
bt_exit:
    SAVE_GUEST_STATE
    .globl bt_exit_signal
bt_exit_signal:
    mov OFF_HOST_RSP(%r15), %rsp
    RETURN_TO_MONITOR
    .size bt_exit, .-bt_exit

    .globl bt_rdtsc
    .type bt_rdtsc, @function
bt_rdtsc:
    mov %rsp, %r11
    mov OFF_HOST_RSP(%r15), %rsp    /* 16-byte aligned (LEAVE_MONITOR) */
    pushfq
    push %r11                       /* guest ESP */
    push %r10                       /* return address */
    push %rcx
    push %rsi
    push %rdi
    push %r8
    push %r9                        /* eight pushes: still aligned */
    mov %r15, %rdi
    call cpu_rdtsc
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rcx
    pop %r10
    pop %r11
    mov %rax, %rdx
    shr $32, %rdx
    mov %eax, %eax
    popfq
    mov %r11, %rsp
    jmp *%r10
    .size bt_rdtsc, .-bt_rdtsc

    .globl bt_callout
    .type bt_callout, @function
bt_callout:
    SAVE_GUEST_STATE
    push %r10
    push %r10                       /* two slots: the stack stays aligned */
    fxsave64 OFF_FX_GUEST(%r15)
    mov %r15, %rdi
    call *%r11
    fxrstor64 OFF_FX_GUEST(%r15)
    pop %r10
    pop %r10
    test %eax, %eax
    jnz 1f
    ENTER_TRANSLATED %r10
1:  jmp bt_exit_signal
    .size bt_callout, .-bt_callout

    .section .note.GNU-stack,"",@progbits
