; tests/ring3/timer_spin_user.asm - the user program of the timer_spin
; guest: spin on registers (no trap of its own) until the kernel has counted
; TARGET timer interrupts from ring 3, at most 2^31 times.  Returns the spins
; left.
bits 32

TARGET equ 2000

section .text
global u_spin
extern ticks_user

u_spin:
        mov eax, 0x80000000
.wait:  cmp dword [ticks_user], TARGET
        jae .done
        dec eax
        jnz .wait
.done:
        ret

section .note.GNU-stack noalloc noexec nowrite progbits
