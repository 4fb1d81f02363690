; tests/ring3/page_zero_user.asm - the program page_zero.c copies to linear
; address 0 and runs at CPL 3.  Assembled for address 0 (its data addresses
; are absolute; its jumps are relative), it adds the 256 words of its table
; at 0x800 into EDX 400 times, keeping the running sum at 0x1FF0 (page 1)
; after every word and at 0x7F0 (page 0) after every round, and makes one
; system call per round (SYS_TEST: the kernel counts it).  Returns the sum
; (r3_run's value).
bits 32

SYS_COUNT equ 16
ROUNDS    equ 400
WORDS     equ 256

section .rodata
global p0_code, p0_code_end
p0_code:
        push ebx
        push esi
        xor edx, edx                    ; sum
        mov dword [0x7F0], 0
        mov esi, ROUNDS
.round: xor ecx, ecx
.word:  add edx, [0x800 + ecx*4]        ; data in page 0
        mov [0x1FF0], edx               ; running sum, page 1
        inc ecx
        cmp ecx, WORDS
        jne .word
        mov [0x7F0], edx                ; once a round into page 0
        mov eax, SYS_COUNT
        int 0x80                        ; from page 0
        dec esi
        jnz .round
        mov eax, edx
        pop esi
        pop ebx
        ret
p0_code_end:
