; boot_kbd.asm - a boot sector that uses the screen and the keyboard through
; the BIOS, as DOS-era programs and boot loaders do: INT 10h (mode set 3,
; teletype output with scrolling, cursor position, a string with an
; attribute) and INT 16h (wait for a key).  Run by tests/guests/display.sh
; under --display curses with the VGA BIOS, keys typed on a pseudo-terminal:
;   vmm --disk boot_kbd.img --display curses
; It prints 30 numbered lines (the screen scrolls), a yellow-on-blue banner
; at row 2, column 10 (written with INT 10h AH=13h), asks for two keys and
; prints what INT 16h returned for each (ASCII and scan code in hex), then
; "boot_kbd: done" and ends the run through the debug-exit port 0xF4 (0).
bits 16
%include "boot_start.inc"
org 0x7c00

start:
    BOOT_START

    mov ax, 0x0003              ; mode 3: 80x25 colour text, screen cleared
    int 0x10

    mov cx, 30                  ; 30 lines on 25 rows: the first 6 scroll away
    xor bx, bx
.lines:
    mov si, line_msg
    call puts
    mov al, bl
    call hex8
    call newline
    inc bl
    loop .lines

    mov ax, 0x1300              ; write string, attribute in BL, cursor not moved
    mov bx, 0x001E              ; page 0, yellow on blue
    mov cx, banner_len
    mov dx, 0x020A              ; row 2, column 10
    mov bp, banner
    int 0x10

    mov si, ask_msg
    call puts
    call key
    mov si, ask_msg
    call puts
    call key
    mov si, done_msg
    call puts
    mov al, 0
    out 0xf4, al                ; the debug-exit port: status (0 << 1) | 1
.halt:
    hlt
    jmp .halt

; wait for a key and print "ascii XX scan YY"
key:
    xor ah, ah
    int 0x16
    push ax
    mov si, ascii_msg
    call puts
    pop ax
    push ax
    call hex8
    mov si, scan_msg
    call puts
    pop ax
    mov al, ah
    call hex8
    call newline
    ret

puts:
    lodsb
    test al, al
    jz .end
    call putc
    jmp puts
.end:
    ret

putc:
    push bx
    mov ah, 0x0e
    xor bx, bx
    int 0x10
    pop bx
    ret

newline:
    mov al, 13
    call putc
    mov al, 10
    jmp putc

hex8:
    push ax
    shr al, 4
    call .digit
    pop ax
    and al, 0x0f
.digit:
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'A' - '9' - 1
.out:
    jmp putc

line_msg:  db "line ", 0
ask_msg:   db "boot_kbd: press a key: ", 0
ascii_msg: db "ascii ", 0
scan_msg:  db " scan ", 0
done_msg:  db "boot_kbd: done", 0
banner:    db "VGA BIOS banner"
banner_len equ $ - banner

    times 510 - ($ - $$) db 0
    dw 0xaa55
