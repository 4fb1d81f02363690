; tests/ring3/escape_user.asm - the user program of the escape guest: what a
; hostile guest program would try under direct execution.  In the guest's
; own GDT, selector 0x33 is an empty entry, so on a real CPU the far jump
; raises #GP(0x30).  On the host, 0x33 is Linux's 64-bit user code segment:
; the far jump succeeds and we run 64-bit code inside the monitor's process,
; where `syscall` is a host system call.  The monitor must stop us there.
bits 32

SYS_ESCAPED equ 16

section .data
align 4
global esc_marker_ptr, esc_reached, esc_pid, esc_fd_passwd, esc_fd_marker, esc_cs
esc_marker_ptr: dd 0                    ; file to create (from the command line)
esc_reached:    dd 0                    ; 1 once 64-bit code ran
esc_pid:        dd 0xFFFFFFFF
esc_fd_passwd:  dd 0xFFFFFFFF
esc_fd_marker:  dd 0xFFFFFFFF
esc_cs:         dd 0                    ; CS as the user code reads it
back:           dd back32               ; m16:32 to come back to 32-bit code
back_sel:       dw 0
path_passwd:    db "/etc/passwd", 0

section .text
global u_escape, esc_jmp

u_escape:
        push ebx
        xor eax, eax
        mov ax, cs
        mov [esc_cs], eax
        mov [back_sel], ax
esc_jmp:
        jmp 0x33:esc64

bits 64
esc64:
        mov esp, esp                    ; RSP = the 32-bit ESP, zero-extended
        mov dword [dword esc_reached], 1
        mov eax, 39                     ; getpid
        syscall
        mov [dword esc_pid], eax
        mov eax, 2                      ; open("/etc/passwd", O_RDONLY)
        mov edi, path_passwd
        xor esi, esi
        xor edx, edx
        syscall
        mov [dword esc_fd_passwd], eax
        mov eax, 2                      ; open(marker, O_WRONLY|O_CREAT|O_TRUNC, 0644)
        mov edi, [dword esc_marker_ptr]
        mov esi, 0x241
        mov edx, 0o644
        syscall
        mov [dword esc_fd_marker], eax
        jmp dword far [dword back]

bits 32
back32:
        mov eax, SYS_ESCAPED            ; tell the guest kernel what happened
        int 0x80
        pop ebx
        ret
