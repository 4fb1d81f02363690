; boot_pam.asm - a master boot record that checks the BIOS area is
; read-only once SeaBIOS has booted: at the end of POST it clears the WE
; bits of the i440FX PAM registers for 0xF0000-0xFFFFF (82441FX datasheet,
; PAM0), so a write there goes to the ROM side and RAM keeps its bytes, as
; on a PC and under QEMU.  Run as guest.seabios_pam:
;   vmm --bios /usr/share/seabios/bios.bin --disk boot_pam.img
; It waits for SeaBIOS's serial console (settle) and reports on COM1 and through the debug-exit port 0xF4 (0: every check held).
bits 16
%include "boot_start.inc"
org 0x7c00

start:
    BOOT_START
    mov ax, 0xf000
    mov es, ax

    ; 1: a byte store to F000:FFF5 (the BIOS date) leaves it unchanged
    mov cx, 100                 ; many times: translated code, not one step
.byte:
    mov al, [es:0xfff5]
    mov bl, al
    not al
    mov [es:0xfff5], al
    mov al, 1
    cmp [es:0xfff5], bl
    jne fail
    loop .byte

    ; 2: a word store at F000:0000
    mov bx, [es:0]
    mov word [es:0], 0xa55a
    mov al, 2
    cmp [es:0], bx
    jne fail

    ; 3: REP STOSB over 16 bytes at F000:FF00 (the string path)
    mov si, 0xff00
    mov di, copy
    mov cx, 16
.save:
    mov al, [es:si]
    mov [di], al
    inc si
    inc di
    loop .save
    mov di, 0xff00
    mov cx, 16
    mov al, 0xcc
    cld
    rep stosb
    mov si, 0xff00
    mov di, copy
    mov cx, 16
.cmp:
    mov al, [es:si]
    cmp al, [di]
    mov al, 3
    jne fail
    inc si
    inc di
    loop .cmp

    jmp pass

%include "boot_com1.inc"

msg_pass: db "boot_pam: F-segment read-only after POST", 10
          db "PASS", 10, 0
msg_fail: db "boot_pam: FAIL ", 0
copy: times 16 db 0

times 446-($-$$) db 0
db 0x80, 0, 2, 0, 0x0c, 0, 0, 0
dd 1, 2047
times 510-($-$$) db 0
dw 0xaa55
times 2048*512-($-$$) db 0
