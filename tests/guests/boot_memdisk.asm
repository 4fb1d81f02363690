; boot_memdisk.asm - the boot sector of a 1.44 MB FAT12 floppy image that
; syslinux's memdisk serves from RAM through its INT 13h emulation.  Run by
; tests/linux/memdisk-test.sh, which makes the image at test time
; (mformat -B keeps this code and writes the BIOS parameter block into the
; room left for it; mcopy adds HELLO.TXT) and boots
;   vmm --kernel memdisk --initrd floppy.img
; The checks: booted from drive 00h; memdisk's installation check answers
; on it; INT 13h AH=08h reports 80 cylinders, 2 heads, 18 sectors; the
; first FAT sector (CHS 0/0/2) starts with the media byte F0h; the root
; directory (CHS 0/1/2, LBA 19) lists HELLO.TXT (checks 5 and 7 are the
; reads themselves).  It reports on COM1 and
; exits through the debug-exit port 0xF4: 0 when every check holds, else
; the check's number.
bits 16
%include "boot_start.inc"
org 0x7c00

%define BUF 0x8000

    jmp short start
    nop
    times 62-($-$$) db 0        ; the BIOS parameter block (mformat's)

start:
    BOOT_START
    mov [drive], dl

    ; 1: booted from the first floppy drive
    mov al, 1
    test dl, dl
    jnz fail

    ; 2: memdisk's installation check (syslinux's mdiskchk): INT 13h AH=08h
    ; with 'ME' 'MD' 'IS' '?K' in the upper halves of EAX, ECX, EDX, EBX
    ; answers 'M!' 'ME' 'ID' 'SK' there
    mov eax, 0x454d0800
    mov ecx, 0x444d0000
    mov edx, 0x53490000
    mov dl, [drive]
    mov ebx, 0x3f4b0000
    int 0x13
    push 0
    pop es                      ; it returns its info structure in ES:DI
    mov bl, 2
    shr eax, 16
    cmp ax, 0x4d21
    jne fail_bl
    shr ecx, 16
    cmp cx, 0x4d45
    jne fail_bl
    shr edx, 16
    cmp dx, 0x4944
    jne fail_bl
    shr ebx, 16
    cmp bx, 0x4b53
    mov bl, 2
    jne fail_bl

    ; 3-4: INT 13h AH=08h: 80 cylinders (0-79), 2 heads (0-1), 18 sectors
    mov ah, 0x08
    mov dl, [drive]
    xor di, di
    int 0x13
    mov al, 3
    jc fail
    mov al, 4
    cmp ch, 79
    jne fail
    and cl, 0x3f
    cmp cl, 18
    jne fail
    cmp dh, 1
    jne fail

    ; 5-6: the first FAT sector starts with the media descriptor F0h
    mov cx, 0x0002              ; cylinder 0, sector 2
    xor dh, dh                  ; head 0
    mov al, 5
    call read
    mov al, 6
    cmp word [BUF], 0xfff0
    jne fail
    cmp byte [BUF + 2], 0xff
    jne fail

    ; 7-8: the root directory, LBA 19 = CHS 0/1/2, lists HELLO.TXT
    mov cx, 0x0002
    mov dh, 1
    mov al, 7
    call read
    mov si, BUF
    mov bx, 16                  ; entries in one sector
.entry:
    push si
    mov di, name
    mov cx, 11
    repe cmpsb
    pop si
    je pass                     ; boot_com1.inc
    add si, 32
    dec bx
    jnz .entry
    mov al, 8
    jmp fail


; Read one sector (CX, DH as INT 13h AH=02h takes them) into BUF; AL is
; the check's number if the read fails.
read:
    push ax
    push 0
    pop es                      ; AH=08h returned the diskette parameter table in ES:DI
    mov ax, 0x0201
    mov bx, BUF
    mov dl, [drive]
    int 0x13
    pop ax
    jc fail
    ret

fail_bl:
    mov al, bl
    jmp fail

%include "boot_com1.inc"

msg_pass: db "boot_memdisk: memdisk drive 00h, 80/2/18, FAT and HELLO.TXT read ok", 10
          db "PASS", 10, 0
msg_fail: db "boot_memdisk: FAIL ", 0
name:   db "HELLO   TXT"
drive:  db 0

times 510-($-$$) db 0
dw 0xaa55
