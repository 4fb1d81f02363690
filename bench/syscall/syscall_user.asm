; bench/syscall/syscall_user.asm - the measured loops and the minimal kernel
; side of one system call, both ways a 32-bit Linux process makes one.
bits 32

section .data
global u_calls
u_calls: dd 0                           ; N, set by the kernel before each run

section .text
global u_syscall_loop, sys_iret, u_sysenter_loop, sys_sysexit, u_sysenter_back

; Ring 3: N round trips user -> kernel -> user.  Returns the number done.
u_syscall_loop:
        mov ecx, [u_calls]
        xor eax, eax
.loop:
        int 0x80                        ; DPL-3 trap gate -> sys_iret
        inc eax
        dec ecx
        jnz .loop
        ret

; Ring 0, on the TSS.ESP0 stack: the smallest possible system call.
sys_iret:
        iretd

; Ring 3: N SYSENTER round trips, with the convention of Linux's vDSO
; (__kernel_vsyscall): EBP holds the user stack pointer at SYSENTER, the
; caller's EBP is on that stack.  SYSENTER saves neither EIP nor ESP; the
; kernel side returns with SYSEXIT to EDX with ESP = ECX.
u_sysenter_loop:
        push ebx
        push ebp
        mov ebx, [u_calls]
        xor eax, eax
.loop:
        push ebp
        mov ebp, esp
        sysenter                        ; -> sys_sysexit at CPL 0
u_sysenter_back:
        pop ebp
        inc eax
        dec ebx
        jnz u_sysenter_loop.loop
        pop ebp
        pop ebx
        ret

; Ring 0, on IA32_SYSENTER_ESP: straight back (SYSEXIT: EIP = EDX,
; ESP = ECX, CS/SS from IA32_SYSENTER_CS + 16 / + 24, RPL 3).
sys_sysexit:
        mov ecx, ebp
        mov edx, u_sysenter_back
        sysexit

section .note.GNU-stack noalloc noexec nowrite progbits
