; tests/ring3/faults_user.asm - the user program of the faults guest: one
; faulting (or trapping) instruction per case, each at a global label f_<x>
; with the place to resume at r_<x>.  faults.c holds the table of what each
; must raise.  ESP stays constant throughout and ESI/EDI/EBP hold patterns
; the kernel checks in every frame.
bits 32

section .data
align 8
u_bounds:       dd 0, 10                ; BOUND range [0, 10]
u_misaligned:   dd 0, 0

section .bss
align 4
global u_fault_esp
u_fault_esp:    resd 1

section .text
global u_faults
extern ro_page, sup_page, np_page

%macro CASE 2                           ; CASE name, instruction
global f_%1, r_%1
f_%1:   %2
r_%1:
%endmacro

u_faults:
        mov esi, 0x5151A0A0
        mov edi, 0xD1D1E0E0
        mov ebp, 0xB0B0C0C0
        mov [u_fault_esp], esp

        CASE ud, ud2
        xor edx, edx
        mov eax, 7
        xor ecx, ecx
        CASE de, {div ecx}
        CASE bp, int3
        mov al, 0x7F
        add al, 1                       ; signed overflow: OF=1
        CASE of, into
        mov eax, 20
        CASE br, {bound eax, [u_bounds]}
        CASE cli, cli
        CASE sti, sti
        CASE hlt, hlt
        mov dx, 0x3F8
        CASE in, {in al, dx}
        CASE out, {out dx, al}
        CASE movcr0, {mov eax, cr0}
        CASE int81, {int 0x81}
        mov ax, 0x10                    ; the kernel's data segment, DPL 0
        CASE ds0, {mov ds, ax}
        mov ax, 0x3B                    ; DPL-3 data, not present
        CASE dsnp, {mov ds, ax}
        CASE ssnp, {mov ss, ax}
        pushfd
        or dword [esp], 0x40000         ; EFLAGS.AC
        popfd
        CASE ac, {mov eax, [u_misaligned + 1]}
        pushfd
        and dword [esp], ~0x40000
        popfd
        CASE pfro, {mov dword [ro_page + 0x10], 1}
        CASE pfsup, {mov eax, [sup_page + 0x20]}
        CASE pfnpr, {mov eax, [np_page + 0x30]}
        CASE pfnpw, {mov [np_page + 0x40], eax}
        CASE pffetch, {jmp np_page}
        mov eax, 1
        ret                             ; into r3_user_exit: SYS_EXIT(1)
