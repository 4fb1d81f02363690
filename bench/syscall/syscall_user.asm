; bench/syscall/syscall_user.asm - the measured loop and the minimal kernel
; side of one system call.
bits 32

section .data
global u_calls
u_calls: dd 0                           ; N, set by the kernel before each run

section .text
global u_syscall_loop, sys_iret

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

section .note.GNU-stack noalloc noexec nowrite progbits
