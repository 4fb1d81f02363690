; tests/guests/lib/entry.asm - Multiboot header, start-up and the exception
; stubs shared by every test guest (see rt.h for the contract).
;
; The Multiboot loader enters _start in 32-bit protected mode, paging off,
; flat CS/DS, EAX = 0x2BADB002, EBX = the info structure (Multiboot 0.6.96
; section 3.2).  We install our own GDT, IDT and TSS before any C code that
; could fault runs.
bits 32

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00000003         ; bit 0: page-aligned modules, bit 1: memory info

section .multiboot progbits alloc noexec nowrite align=4
        dd MB_MAGIC
        dd MB_FLAGS
        dd -(MB_MAGIC + MB_FLAGS)

section .bss nobits alloc noexec write align=16
        resb 16384
global rt_stack_top
rt_stack_top:

section .text
global _start
extern rt_setup_tables, rt_start, rt_trap_dispatch
extern rt_gdtr, rt_idtr, rt_mb_magic, rt_mb_info

_start:
        cli
        cld
        mov esp, rt_stack_top
        mov [rt_mb_magic], eax
        mov [rt_mb_info], ebx
        call rt_setup_tables
        lgdt [rt_gdtr]
        jmp 0x08:.flat                  ; reload CS from our GDT
.flat:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        lidt [rt_idtr]
        mov ax, 0x28
        ltr ax
        call rt_start                   ; does not return
.hang:
        cli
        hlt
        jmp .hang

; One stub per vector.  The CPU pushes an error code for #DF, #TS, #NP, #SS,
; #GP, #PF, #AC, #CP, #VC and #SX (SDM vol. 3 section 6.13); the other stubs
; push a zero so that every frame has the same shape.
%assign i 0
%rep 256
isr_ %+ i:
%if i == 8 || (i >= 10 && i <= 14) || i == 17 || i == 21 || i == 29 || i == 30
        push dword i
%else
        push dword 0
        push dword i
%endif
        jmp isr_common
%assign i i+1
%endrep

; Build struct trap_frame (rt.h) and hand it to C.  Everything the test could
; have changed is restored by POPAD, the segment pops and IRET.
isr_common:
        pushad
        pushfd                          ; EFLAGS as the gate left it
        push ds
        push es
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        cld
        push esp
        call rt_trap_dispatch
        add esp, 4
        pop es
        pop ds
        add esp, 4
        popad
        add esp, 8                      ; vector and error code
        iretd

section .rodata
global rt_isr_table
rt_isr_table:
%assign i 0
%rep 256
        dd isr_ %+ i
%assign i i+1
%endrep

; no executable stack wanted (for the native link of compute_host, and tidy)
section .note.GNU-stack noalloc noexec nowrite progbits
