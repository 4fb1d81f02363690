; tests/ring3/nt_flag_user.asm - the user program of the nt_flag guest:
; set EFLAGS.NT with POPF (allowed at any CPL), touch pages not touched
; before (under direct execution each is a hidden fault: an exit to the
; monitor and an entry straight back), make system calls with it set, read
; NT back, clear it, and return what it read.
bits 32

section .bss
alignb 4096
fresh:  resb 4 * 4096

section .text
global u_nt
u_nt:
        pushfd
        or dword [esp], 0x4000
        popfd
        mov dword [fresh], 1
        mov dword [fresh + 4096], 2
        mov dword [fresh + 8192], 3
        mov eax, 16                     ; SYS_TEST
        int 0x80
        mov eax, 16
        int 0x80
        pushfd
        pop eax
        and eax, 0x4000                 ; NT as ring 3 sees it after the calls
        pushfd
        and dword [esp], ~0x4000
        popfd
        ret                             ; into r3_user_exit: SYS_EXIT(eax)
