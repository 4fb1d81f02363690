; bench/syscall/user.asm - entering ring 3 and coming back (bench_guest.h).
;
; From CPL 0 the way down to CPL 3 is an IRET whose CS has RPL 3, with the
; five-word frame of an inter-privilege return: EIP, CS, EFLAGS, ESP, SS
; (SDM vol. 3 6.14).  The way back is INT BENCH_EXIT_VECTOR through a DPL-3
; gate: the CPU switches to TSS.SS0:ESP0, and the gate code abandons that
; frame and resumes bench_user_enter's caller like a longjmp.
bits 32

RT_KDATA equ 0x10
RT_UCODE equ 0x1B
RT_UDATA equ 0x23
BENCH_EXIT_VECTOR equ 0x81

section .bss
align 4
kernel_esp: resd 1

section .text
global bench_user_enter, bench_user_exit_gate

; uint32_t bench_user_enter(uint32_t (*fn)(void), uint32_t user_esp)
bench_user_enter:
        push ebp
        push ebx
        push esi
        push edi
        mov [kernel_esp], esp
        mov eax, [esp + 20]             ; fn
        mov ecx, [esp + 24]             ; top of the user stack
        sub ecx, 4
        mov dword [ecx], user_return    ; fn returns into the exit call
        push dword RT_UDATA             ; SS
        push ecx                        ; ESP
        push dword 0x2                  ; EFLAGS: IF=0, IOPL 0
        push dword RT_UCODE             ; CS
        push eax                        ; EIP
        ; data segments of DPL 3 survive the return to CPL 3 (IRET nulls
        ; those with DPL < CPL)
        mov bx, RT_UDATA
        mov ds, bx
        mov es, bx
        mov fs, bx
        mov gs, bx
        xor ebx, ebx
        xor esi, esi
        xor edi, edi
        xor ebp, ebp
        iretd

; ring 3: fn's return address; EAX is its value.
user_return:
        int BENCH_EXIT_VECTOR
        ud2

; CPL 0, on the TSS.ESP0 stack: back to bench_user_enter's caller, EAX kept.
bench_user_exit_gate:
        mov esp, [kernel_esp]
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

section .note.GNU-stack noalloc noexec nowrite progbits
