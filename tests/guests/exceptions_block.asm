; exceptions_block.asm - exceptions in the middle of long straight-line code.
;
; Each routine runs a few dozen instructions that change every register,
; memory and the stack, then faults; the instructions after the fault must
; not run.  The C side (exceptions.c) compares the frame the handler saw with
; the values computed here by hand.  The handler resumes at rt_resume, where
; the routine restores the C registers.
bits 32

extern rt_resume

section .data
global sl_mem, sl_saved_esp, sl_bounds
sl_mem:       dd 0, 0, 0, 0
sl_saved_esp: dd 0
sl_bounds:    dd 10, 20

section .text

; void sl_divide_error(void): #DE at sl_de_fault with
;   EAX=100 EBX=0x22222222 ECX=0 EDX=0 ESI=0x77777777 EDI=0x04030201
;   EBP=0x88, CF=1 ZF=1 PF=1 SF=0 OF=0, ESP = saved - 4 with 0xAAAA5555 on top,
;   sl_mem = { 0x33333333, 0x77777777, 0 (never written), 0x88 }
global sl_divide_error, sl_de_fault
sl_divide_error:
        pushad
        mov [sl_saved_esp], esp
        mov dword [rt_resume], sl_de_resume
        mov eax, 0x11111111
        mov ebx, 0x22222222
        add eax, ebx
        lea esi, [eax + ebx * 2]
        mov edi, 0x01020304
        bswap edi
        xor ebp, ebp
        inc ebp
        shl ebp, 4
%rep 40
        add ebp, 3
%endrep
        mov [sl_mem], eax
        mov [sl_mem + 4], esi
        mov [sl_mem + 12], ebp
        push dword 0xAAAA5555
        mov edx, 0
        mov eax, 100
        xor ecx, ecx
        stc
sl_de_fault:
        div ecx
        mov dword [sl_mem + 8], 0xBAD
        mov eax, 0xBAD
        mov ebx, 0xBAD
sl_de_resume:
        mov esp, [sl_saved_esp]
        popad
        ret

; void sl_bound_range(void): #BR at sl_br_fault with
;   EAX=21 EBX=sl_bounds ECX=0x40 (a loop ran 0x40 times) EDX=0x7E0
;   (sum 0..0x40-1), ESI=0xFFFFFFFF EDI=0x7FFFFFFF EBP=0x3,
;   OF=1 SF=1 ZF=0 CF=0 (from the ADD that overflows), ESP = saved.
; The loop makes the block a loop body plus a tail: the fault is in the
; tail, after a conditional branch that was taken many times.
global sl_bound_range, sl_br_fault
sl_bound_range:
        pushad
        mov [sl_saved_esp], esp
        mov dword [rt_resume], sl_br_resume
        xor ecx, ecx
        xor edx, edx
.loop:
        add edx, ecx
        inc ecx
        cmp ecx, 0x40
        jne .loop
        mov esi, -1
        mov edi, 0x7FFFFFFF
        mov ebp, 3
        mov ebx, sl_bounds
        mov eax, 0x7FFFFFFF
        add eax, 1                      ; OF=1 SF=1
        mov eax, 21
sl_br_fault:
        bound eax, [ebx]
        mov dword [sl_mem + 8], 0xBAD
        xor eax, eax
sl_br_resume:
        mov esp, [sl_saved_esp]
        popad
        ret

; no executable stack wanted (for the native link of compute_host, and tidy)
section .note.GNU-stack noalloc noexec nowrite progbits
