; tests/ring3/popek_goldberg_user.asm - the user program of the
; popek_goldberg guest: execute each sensitive-but-unprivileged instruction
; once at CPL 3 and store what it gave in struct pg_seen (popek_goldberg.c).
bits 32

section .text
global u_pg
extern pg_seen

; struct pg_seen offsets
O_SGDT   equ 0      ; 6 bytes: limit, base
O_SIDT   equ 8
O_SMSW   equ 16     ; word
O_STR    equ 18     ; word
O_SLDT   equ 20     ; word
O_CS     equ 22     ; word
O_SS     equ 24     ; word
O_DS     equ 26     ; word
O_PUSHF  equ 28
O_CPUID  equ 32     ; eax, ebx, edx, ecx
O_LAR    equ 48     ; value, ZF
O_LSL    equ 56
O_VERR   equ 64     ; ZF
O_VERW   equ 68

u_pg:
        push ebx
        sgdt [pg_seen + O_SGDT]                 ; UMIP: #GP on this host
        sidt [pg_seen + O_SIDT]                 ; UMIP: #GP on this host
        smsw [pg_seen + O_SMSW]
        str [pg_seen + O_STR]
        sldt [pg_seen + O_SLDT]
        mov [pg_seen + O_CS], cs
        mov [pg_seen + O_SS], ss
        mov [pg_seen + O_DS], ds
        pushfd
        pop dword [pg_seen + O_PUSHF]
        xor eax, eax
        xor ecx, ecx
        cpuid
        mov [pg_seen + O_CPUID + 0], eax
        mov [pg_seen + O_CPUID + 4], ebx
        mov [pg_seen + O_CPUID + 8], edx
        mov [pg_seen + O_CPUID + 12], ecx
        mov ecx, 0x1B                   ; the guest's user code selector
        xor eax, eax
        lar eax, ecx
        setz byte [pg_seen + O_LAR + 4]
        mov [pg_seen + O_LAR], eax
        xor eax, eax
        lsl eax, ecx
        setz byte [pg_seen + O_LSL + 4]
        mov [pg_seen + O_LSL], eax
        verr cx
        setz byte [pg_seen + O_VERR]
        mov cx, 0x23                    ; the guest's user data selector
        verw cx
        setz byte [pg_seen + O_VERW]
        pop ebx
        mov eax, 1
        ret
