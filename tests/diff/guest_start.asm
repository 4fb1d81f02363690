; tests/diff/guest_start.asm - Multiboot v1 entry of the differential-test
; guest, assembled also for bench/ring0's benchmark guest (both are a bare
; guest_main() at ring 0 on a 64 KiB stack).  The loader leaves us in flat 32-bit protected mode, paging off,
; interrupts off (Multiboot spec 3.2); we only need a stack.

bits 32
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0

section .multiboot
align 4
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)

section .text
global _start
extern guest_main
_start:
    mov esp, stack_top
    cld
    call guest_main
.hang:
    cli
    hlt
    jmp .hang

section .bss
align 16
    resb 65536
stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
