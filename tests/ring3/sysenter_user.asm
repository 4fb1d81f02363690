; tests/ring3/sysenter_user.asm - the user program and the kernel's SYSENTER
; entry of the sysenter guest.
;
; Ring 3 makes two SYSENTERs: the first with the calling convention of
; Linux's vDSO (push ebp; mov ebp, esp), the second with EBP pointing at
; nothing (0x10), which hardware does not care about.  The kernel entry
; records EAX, EBX and EBP, answers in EAX, and SYSEXITs to the label after
; each SYSENTER (EDX = EIP, ECX = ESP, as the SDM defines SYSEXIT).
bits 32

section .bss
align 4
global u_r1, u_r2, k_count, k_eax, k_ebx, k_ebp, u_esp2
u_r1:    resd 1                 ; EAX after the first SYSENTER
u_r2:    resd 1                 ; after the second
u_esp2:  resd 1                 ; ESP at the second
k_count: resd 1
k_eax:   resd 2
k_ebx:   resd 2
k_ebp:   resd 2

section .text
global u_sysenter, k_sysenter

u_sysenter:
        push ebx
        push ebp
        mov eax, 42
        mov ebx, 0x1234
        push ebp                        ; the vDSO convention
        mov ebp, esp
        sysenter
u_back1:
        pop ebp
        mov [u_r1], eax
        mov [u_esp2], esp
        mov ebp, 0x10                   ; nothing is mapped there
        mov eax, 43
        mov ebx, 0x5678
        sysenter
u_back2:
        mov [u_r2], eax
        pop ebp
        pop ebx
        mov eax, 1
        ret                             ; into r3_user_exit: SYS_EXIT(1)

; CPL 0, ESP = IA32_SYSENTER_ESP; DS/ES are still the user's flat selectors.
k_sysenter:
        mov ecx, [k_count]
        mov [k_eax + ecx * 4], eax
        mov [k_ebx + ecx * 4], ebx
        mov [k_ebp + ecx * 4], ebp
        inc dword [k_count]
        test ecx, ecx
        jnz .second
        mov eax, 100
        mov ecx, ebp                    ; the user ESP, by the vDSO convention
        mov edx, u_back1
        sysexit
.second:
        mov eax, 200
        mov ecx, [u_esp2]
        mov edx, u_back2
        sysexit

section .note.GNU-stack noalloc noexec nowrite progbits
