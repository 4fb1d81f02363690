; boot_mbr.asm - a hard disk whose master boot record checks what a PC
; BIOS promises a boot sector (the conventions SeaBIOS, Bochs' BIOS and
; every PC firmware follow): loaded at 0000:7C00 and entered in real mode
; with DL = the boot drive (0x80, the first hard disk), a stack, and the
; BIOS services a boot loader calls - INT 13h to read the disk (CHS and
; the extended LBA read), INT 12h and INT 15h E820 for the memory map,
; INT 1Ah for the tick count.  Run by tests/guests/boot-mbr.sh:
;   vmm --bios /usr/share/seabios/bios.bin --disk boot_mbr.img
; It reports on COM1 ("boot_mbr: ..." lines, then PASS) and through the
; debug-exit port 0xF4: 0 when every check holds, else the check's number.
bits 16
%define BOOT_NO_SETTLE
%include "boot_start.inc"
org 0x7c00

%define SECTOR2 0x7e00          ; where sector 1 (the second) is read to

start:
    BOOT_START
    mov [drive], dl

    ; 1: the BIOS boots the first hard disk as drive 0x80
    mov al, 1
    cmp byte [drive], 0x80
    jne fail

    ; 2: INT 13h AH=08h: drive parameters; at least one hard disk
    mov ah, 0x08
    mov dl, [drive]
    xor di, di
    int 0x13
    mov al, 2
    jc fail
    test dl, dl
    jz fail

    ; 3-4: INT 13h AH=02h (CHS) reads sector 2 (cylinder 0, head 0, sector 2)
    mov ax, 0x0201
    mov bx, SECTOR2
    mov cx, 0x0002
    xor dh, dh
    mov dl, [drive]
    int 0x13
    mov al, 3
    jc fail
    mov al, 4
    cmp dword [SECTOR2], 'SEC1'
    jne fail

    ; 5-7: INT 13h AH=41h (extensions present) and AH=42h (LBA read) of
    ; sector 2047, the last of the 1 MiB disk
    mov ah, 0x41
    mov bx, 0x55aa
    mov dl, [drive]
    int 0x13
    mov al, 5
    jc fail
    cmp bx, 0xaa55
    jne fail
    mov dword [SECTOR2], 0
    mov ah, 0x42
    mov dl, [drive]
    mov si, dap
    int 0x13
    mov al, 6
    jc fail
    mov al, 7
    cmp dword [SECTOR2], 'LAST'
    jne fail

    ; 8: INT 12h: conventional memory in KiB, at least 512 and at most 640
    int 0x12
    mov bl, 8
    cmp ax, 512
    jb fail_bl
    cmp ax, 640
    ja fail_bl

    ; 9-10: INT 15h E820: a usable (type 1) range starting at 1 MiB
    xor ebx, ebx
    mov byte [found], 0
.e820:
    mov eax, 0xe820
    mov edx, 0x534d4150         ; 'SMAP'
    mov ecx, 20
    mov di, e820buf
    int 0x15
    jc .e820_bad
    cmp eax, 0x534d4150
    je .entry
.e820_bad:
    mov al, 9
    jmp fail
.entry:
    cmp dword [e820buf], 0x100000
    jne .next
    cmp dword [e820buf + 16], 1
    jne .next
    mov byte [found], 1
.next:
    test ebx, ebx
    jnz .e820
    mov al, 10
    cmp byte [found], 1
    jne fail

    ; 11: INT 1Ah AH=00h: the tick count advances (the PIT's IRQ 0 at 18.2
    ; Hz), three ticks, which also lets SeaBIOS's serial console write out
    ; what was printed before (boot_com1.inc, settle)
    xor ah, ah
    int 0x1a
    mov bx, dx
.wait:
    hlt
    xor ah, ah
    int 0x1a
    sub dx, bx
    cmp dx, 3
    jb .wait

    jmp pass

fail_bl:
    mov al, bl
%include "boot_com1.inc"

msg_pass: db "boot_mbr: INT 13h CHS+LBA, 12h, E820, 1Ah ok", 10
          db "PASS", 10, 0
msg_fail: db "boot_mbr: FAIL ", 0

dap:    db 16, 0                ; disk address packet: size, reserved
        dw 1                    ; sectors
        dw SECTOR2, 0           ; buffer offset:segment
        dq 2047                 ; LBA
drive:  db 0
found:  db 0
e820buf: times 24 db 0

times 446-($-$$) db 0
; one partition, so that firmware that looks for one finds it: active,
; type 0x0c, LBA 1-2047
db 0x80, 0, 2, 0, 0x0c, 0, 0, 0
dd 1, 2047
times 510-($-$$) db 0
dw 0xaa55
sector1: db "SEC1"
times 1024-($-$$) db 0
times 2047*512-($-$$) db 0
last: db "LAST"
times 2048*512-($-$$) db 0
