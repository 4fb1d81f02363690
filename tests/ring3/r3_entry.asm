; tests/ring3/r3_entry.asm - entering ring 3 and coming back (lib3.h).
;
; The only way from CPL 0 to CPL 3 is a far return or IRET whose CS has RPL 3
; (SDM vol. 3 5.8.5/6.14); we build the five-word IRET frame of an
; inter-privilege return: EIP, CS, EFLAGS, ESP, SS.  The kernel state needed
; to come back (callee-saved registers, ESP) is kept in r3_kernel_esp, so that
; a handler running on the TSS.ESP0 stack can abandon it and resume the
; caller of r3_run, like a longjmp.
bits 32

RT_KDATA equ 0x10
RT_UCODE equ 0x1B
RT_UDATA equ 0x23
SYS_EXIT equ 0

section .bss
align 4
r3_kernel_esp: resd 1

section .text
global r3_run, r3_return, r3_user_exit
extern r3_user_stack_top

; uint32_t r3_run(uint32_t (*fn)(void), uint32_t eflags)
r3_run:
        push ebp
        push ebx
        push esi
        push edi
        mov [r3_kernel_esp], esp
        mov eax, [esp + 20]             ; fn
        mov edx, [esp + 24]             ; eflags
        mov ecx, [r3_user_stack_top]
        sub ecx, 4
        mov dword [ecx], r3_user_exit   ; fn returns into SYS_EXIT
        push dword RT_UDATA             ; SS
        push ecx                        ; ESP
        push edx                        ; EFLAGS
        push dword RT_UCODE             ; CS
        push eax                        ; EIP
        ; Data segments with DPL 3 survive the return to CPL 3 (IRET nulls the
        ; ones with DPL < CPL, SDM vol. 3 IRET pseudo-code).
        mov bx, RT_UDATA
        mov ds, bx
        mov es, bx
        mov fs, bx
        mov gs, bx
        xor ebx, ebx
        xor ecx, ecx
        xor edx, edx
        xor esi, esi
        xor edi, edi
        xor ebp, ebp
        iretd

; void r3_return(uint32_t value): back to r3_run's caller, at CPL 0.
r3_return:
        mov eax, [esp + 4]
        mov esp, [r3_kernel_esp]
        mov cx, RT_KDATA
        mov ds, cx
        mov es, cx
        mov fs, cx
        mov gs, cx
        pop edi
        pop esi
        pop ebx
        pop ebp
        ret

; Ring-3 code: where a user function returns to.  EAX is its value.
r3_user_exit:
        mov ebx, eax
        mov eax, SYS_EXIT
        int 0x80
        ud2                             ; SYS_EXIT does not return
