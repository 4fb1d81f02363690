; tests/diff/harness.asm - enter and leave one test case (both runners).
;
; void diff_run(const void *code): cdecl.  Saves the caller's callee-saved
; registers and ESP, jumps to the case (which loads its own ESP inside the
; private stack), and comes back through diff_case_done.  DF is cleared
; before returning because the C ABI requires it.

bits 32
section .text
global diff_run, diff_case_done

diff_run:
    push ebp
    push ebx
    push esi
    push edi
    mov eax, [esp + 20]
    mov [saved_esp], esp
    jmp eax

diff_case_done:
    mov esp, [saved_esp]
    cld
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret

section .data
align 4
saved_esp: dd 0

section .note.GNU-stack noalloc noexec nowrite progbits
