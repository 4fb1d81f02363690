; tests/ring3/syscalls_user.asm - the user program of the syscalls guest.
;
; 1000 times: load EBX = i and every other register but EAX with a pattern
; derived from i, INT 0x80 with function SYS_DOUBLE, then store all eight
; registers for u_check_regs (C, still at CPL 3) to compare: EAX must be
; 2*i+1, the rest unchanged.
bits 32

SYS_DOUBLE equ 16
N_CALLS equ 1000

section .bss
align 4
global u_i, u_sys_esp, u_regs
u_i:       resd 1
u_sys_esp: resd 1               ; ESP at the INT 0x80, for the kernel to compare
u_regs:    resd 8               ; after the call, in PUSHAD order of rt.h: see syscalls.c

section .text
global u_syscalls, u_sys_ret
extern u_check_regs, u_ok

u_syscalls:
        mov dword [u_i], 0
sys_loop:
        mov ebx, [u_i]
        mov ecx, ebx
        xor ecx, 0x11111111
        mov edx, ebx
        xor edx, 0x22222222
        mov esi, ebx
        xor esi, 0x33333333
        mov edi, ebx
        xor edi, 0x44444444
        mov ebp, ebx
        xor ebp, 0x55555555
        mov [u_sys_esp], esp
        mov eax, SYS_DOUBLE
        int 0x80
u_sys_ret:
        mov [u_regs + 0], eax
        mov [u_regs + 4], ecx
        mov [u_regs + 8], edx
        mov [u_regs + 12], ebx
        mov [u_regs + 16], esp
        mov [u_regs + 20], ebp
        mov [u_regs + 24], esi
        mov [u_regs + 28], edi
        call u_check_regs
        inc dword [u_i]
        cmp dword [u_i], N_CALLS
        jb sys_loop
        mov eax, [u_ok]
        ret                             ; into r3_user_exit: SYS_EXIT(u_ok)
