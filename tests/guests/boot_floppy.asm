; boot_floppy.asm - a 1.44 MB floppy whose boot sector checks what a PC
; BIOS gives a floppy boot sector: loaded at 0000:7C00 with DL = 0 (drive
; A:), INT 13h AH=08h reporting a 1.44 MB drive (type 4, 80 cylinders, 2
; heads, 18 sectors), AH=02h reads of many sectors at once (the rest of
; track 0, a whole track of head 1, the disk's last sector), and AH=03h
; refused on a write-protected image.  Every sector of the image starts
; with 0xF1000000 + its LBA, so each read is checked for the right sector.
; Run by ctest guest.seabios_floppy*:
;   vmm --bios /usr/share/seabios/bios.bin --fda boot_floppy.img,ro
; It reports on COM1 and through the debug-exit
; port 0xF4: 0 when every check holds, else the check's number.
bits 16
%include "boot_start.inc"
org 0x7c00

%define MARK 0xF1000000

start:
    BOOT_START
    mov [drive], dl

    ; 1: the BIOS boots floppy drive A: as drive 0
    mov al, 1
    cmp byte [drive], 0
    jne fail

    ; 2-3: INT 13h AH=08h: a 1.44 MB drive: type 4, cylinders 0-79, heads 0-1, 18 sectors
    mov ah, 0x08
    mov dl, [drive]
    xor di, di
    mov es, di
    int 0x13
    mov al, 2
    jc fail
    cmp bl, 4
    jne fail
    mov al, 3
    cmp cx, 0x4f12              ; CH = 79, CL = 18
    jne fail
    cmp dh, 1
    jne fail

    ; 4-5: the rest of track 0 (sectors 2-18: LBA 1-17) in one call, to 1000:0000
    mov ax, 0x1000
    mov es, ax
    xor bx, bx
    mov ax, 0x0211
    mov cx, 0x0002
    xor dh, dh
    mov dl, [drive]
    int 0x13
    mov al, 4
    jc fail
    mov al, 5
    cmp dword [es:0], MARK + 1
    jne fail
    cmp dword [es:16 * 512], MARK + 17
    jne fail

    ; 6-7: all of cylinder 0, head 1 (LBA 18-35), to 2000:0000
    mov ax, 0x2000
    mov es, ax
    xor bx, bx
    mov ax, 0x0212
    mov cx, 0x0001
    mov dh, 1
    mov dl, [drive]
    int 0x13
    mov al, 6
    jc fail
    mov al, 7
    cmp dword [es:0], MARK + 18
    jne fail
    cmp dword [es:17 * 512], MARK + 35
    jne fail

    ; 8-9: the last sector: cylinder 79, head 1, sector 18 (LBA 2879)
    xor bx, bx
    mov ax, 0x0201
    mov cx, 0x4f12
    mov dh, 1
    mov dl, [drive]
    int 0x13
    mov al, 8
    jc fail
    mov al, 9
    cmp dword [es:0], MARK + 2879
    jne fail

    ; 10: a write to the write-protected image fails with AH = 03h
    xor bx, bx
    mov ax, 0x0301
    mov cx, 0x0002
    xor dh, dh
    mov dl, [drive]
    int 0x13
    mov al, 10
    jnc fail
    cmp ah, 0x03
    jne fail

    jmp pass

%include "boot_com1.inc"

msg_pass: db 10, "boot_floppy: INT 13h on a 1.44 MB floppy ok", 10
          db "PASS", 10, 0
msg_fail: db 10, "boot_floppy: FAIL ", 0
drive:  db 0

times 510-($-$$) db 0
dw 0xaa55
; every further sector: its mark, then zeros
%assign lba 1
%rep 2879
    dd MARK + lba
    times 508 db 0
%assign lba lba + 1
%endrep
