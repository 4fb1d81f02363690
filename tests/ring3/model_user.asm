; tests/ring3/model_user.asm - one instruction per case that the virtual CPU
; model (docs/cpu-model.md) must answer with an exception, run by model.c
; at CPL 3 and at CPL 0.  Each case is at global label m_<name> and resumes
; at n_<name>; model.c holds what each must raise.  EAX points at an aligned
; scratch buffer, EBX at a misaligned one, for the forms with a memory
; operand (the exception comes before any access), ECX holds a mark that
; an instruction which raises its exception must leave alone (SYSCALL,
; were it run, would put the return address there); all are set again
; before every case, since a case the host runs silently at CPL 3 may
; change them (VMCALL on a KVM-hosted host returns -KVM_EPERM in EAX).
bits 32

section .bss
align 64
global m_buf
m_buf:          resb 1024

section .text
global u_model
ECX_MARK equ 0x5EC5EC5E                 ; model.c checks it at each exception

%macro CASE 2+                          ; CASE name, bytes...
global m_%1, n_%1
        mov eax, m_buf
        lea ebx, [m_buf + 8]            ; 8-byte aligned, not 16
        mov ecx, ECX_MARK               ; what SYSCALL would overwrite
m_%1:   %2
n_%1:
%endmacro

u_model:
        push ebx
        ; not in the model: #UD
        CASE syscall,    db 0x0F, 0x05
        CASE sysret,     db 0x0F, 0x07
        CASE rdtscp,     db 0x0F, 0x01, 0xF9
        CASE xgetbv,     db 0x0F, 0x01, 0xD0
        CASE xsave,      db 0x0F, 0xAE, 0x20            ; xsave [eax]
        CASE invpcid,    db 0x66, 0x0F, 0x38, 0x82, 0x00 ; invpcid eax, [eax]
        CASE monitor,    db 0x0F, 0x01, 0xC8
        CASE mwait,      db 0x0F, 0x01, 0xC9
        CASE rsm,        db 0x0F, 0xAA
        CASE vmcall,     db 0x0F, 0x01, 0xC1
        CASE vmmcall,    db 0x0F, 0x01, 0xD9
        CASE vmxon,      db 0xF3, 0x0F, 0xC7, 0x30      ; vmxon [eax]
        CASE pfadd,      db 0x0F, 0x0F, 0xC0, 0x9E      ; 3DNow! pfadd mm0, mm0
        CASE vzeroupper, db 0xC5, 0xF8, 0x77            ; VEX
        CASE vpaddd,     db 0xC5, 0xF9, 0xFE, 0xC0      ; VEX vpaddd xmm0, xmm0, xmm0
        CASE popcnt,     db 0xF3, 0x0F, 0xB8, 0xC8      ; popcnt ecx, eax
        CASE pshufb,     db 0x66, 0x0F, 0x38, 0x00, 0xC0 ; SSSE3
        CASE pminsd,     db 0x66, 0x0F, 0x38, 0x39, 0xC0 ; SSE4.1
        CASE crc32,      db 0xF2, 0x0F, 0x38, 0xF1, 0xC8 ; SSE4.2
        CASE movbe,      db 0x0F, 0x38, 0xF0, 0x08      ; movbe ecx, [eax]
        CASE rdrand,     db 0x0F, 0xC7, 0xF1            ; rdrand ecx
        CASE rdseed,     db 0x0F, 0xC7, 0xF9            ; rdseed ecx
        CASE adcx,       db 0x66, 0x0F, 0x38, 0xF6, 0xC8 ; adcx ecx, eax
        CASE aesenc,     db 0x66, 0x0F, 0x38, 0xDC, 0xC0
        CASE clac,       db 0x0F, 0x01, 0xCA
        CASE rdpid,      db 0xF3, 0x0F, 0xC7, 0xF9      ; rdpid ecx
        CASE prefetchw,  db 0x0F, 0x0D, 0x08            ; prefetchw [eax]
        ; in the model, but this operand is wrong: #GP(0)
        CASE movaps,     db 0x0F, 0x28, 0x03            ; movaps xmm0, [ebx]
        CASE movdqa,     db 0x66, 0x0F, 0x6F, 0x03      ; movdqa xmm0, [ebx]
        CASE fxsave,     db 0x0F, 0xAE, 0x03            ; fxsave [ebx]
        CASE fxrstor,    db 0x0F, 0xAE, 0x0B            ; fxrstor [ebx]
        pop ebx
        mov eax, 1                      ; SYS_EXIT(1) when run by r3_run
        ret
