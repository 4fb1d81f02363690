; tests/ring3/single_step_user.asm - the user program of the single_step
; guest: set EFLAGS.TF with PUSHF/OR/POPF, then five instructions, each
; followed by a #DB trap (the first trap comes after the instruction that
; follows the POPF, SDM vol. 3 17.3.1.4).  The kernel's #DB handler clears TF
; in the frame after the fifth; the user program then reads EFLAGS back.
bits 32

section .text
global u_step, s_i1, s_i2, s_i3, s_i4, s_i5, s_after

u_step:
        pushfd
        or dword [esp], 0x100           ; EFLAGS.TF
        popfd
s_i1:   mov eax, 1                      ; EAX = 1
s_i2:   add eax, 2                      ; EAX = 3
s_i3:   jmp short s_i4                  ; the trap reports the target
        ud2
s_i4:   shl eax, 2                      ; EAX = 12
s_i5:   inc eax                         ; EAX = 13
s_after:
        pushfd                          ; no more traps: TF is clear again
        pop ecx
        shl ecx, 8                      ; return (EFLAGS << 8) | EAX
        or eax, ecx
        ret                             ; into r3_user_exit
