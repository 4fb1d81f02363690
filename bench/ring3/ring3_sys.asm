; bench/ring3/ring3_sys.asm - the guest kernel's int 0x80 for the ring-3
; compute benchmark: EAX=1 returns the TSC in EDX:EAX, EAX=2 prints the
; string at ESI on COM1.  Everything else is preserved.
bits 32

RT_KDATA equ 0x10
SYS_NOW equ 1

section .text
global ring3_sys
extern rt_puts

ring3_sys:
        cmp eax, SYS_NOW
        jne .puts
        rdtsc
        iretd
.puts:
        pushad
        push ds
        push es
        mov ax, RT_KDATA
        mov ds, ax
        mov es, ax
        push esi
        call rt_puts
        add esp, 4
        pop es
        pop ds
        popad
        iretd

section .note.GNU-stack noalloc noexec nowrite progbits
