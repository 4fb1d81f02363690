; tests/fuzz/bios_seeds.asm - the hand-made firmware inputs of
; tests/fuzz/ring0.sh --bios (docs/fuzzing.md).  Assembled by
; tests/fuzz/bios_seeds.sh once per seed (nasm -D SEED_<NAME>) into
; tests/fuzz/bios/<name>.  ring0.sh puts an input at the end of a 64 KiB
; image, so an input of SIZE bytes starts at F000:(10000h - SIZE) and its
; last 16 bytes hold the reset vector (F000:FFF0).  Random bytes
; (bios_seeds.sh writes them, the same each time: a fixed seed) follow the
; code of each seed, from offset RANDOM (label `random`) to the reset vector.
;
;   v86    protected mode with a GDT, a TSS (ring-0 stack) and an IDT whose
;          gates all lead to a ring-0 handler, then IRETD to virtual-8086
;          mode (IOPL 3) at the random bytes; the handler returns to the
;          byte after the one that faulted, and the 256th event ends the run
;          (debug exit 0x21: status 67)
;   a20    the A20 gate closed through port 0x92 and then through the 8042
;          (command D1), then the random bytes in real mode
;   crtc   text written to 0xB8000, then the random bytes as (index, value)
;          pairs written to the CRTC (0x3D4/0x3D5, registers 0-0x18 with the
;          write protection of 0-7 cleared first), the misc register (colour
;          or mono), and the attribute controller; then CLI; HLT (status 4):
;          the screen is what --vga-dump prints
;   x87_mf an unmasked x87 exception left pending (1 / 0 with ZE unmasked),
;          then FRSTOR, which waits: the guest's #MF, through IVT entry 16
;          to a debug exit of 0x33 (status 103); vmm died of SIGFPE there
;          before the emulator checked for the pending exception

%define SIZE 4096
%define RANDOM 1024                     ; where the random bytes start
%define BASE (10000h - SIZE)            ; offset of the input in segment F000
%define LIN(x) (0F0000h + BASE + (x) - $$)

    bits 16
    org BASE

start:
    cli
    xor ax, ax
    mov ss, ax
    mov sp, 7000h
%ifdef SEED_V86
    ; the GDT, IDT and TSS live in RAM at 0x500..: copy the GDT there
    mov ax, cs
    mov ds, ax
    xor ax, ax
    mov es, ax
    mov si, gdt
    mov di, 500h
    mov cx, gdt_end - gdt
    rep movsb
    ; IDT at 0x600: 256 interrupt gates to handler (selector 8)
    mov di, 600h
    mov cx, 256
.gate:
    mov ax, (LIN(handler)) & 0FFFFh
    stosw
    mov ax, 8
    stosw
    mov ax, 8E00h
    stosw
    mov ax, (LIN(handler)) >> 16
    stosw
    loop .gate
    ; the exceptions that push an error code: 8, 10-14, 17
    mov ax, (LIN(handler_err)) & 0FFFFh
    mov [es:600h + 8 * 8], ax
    mov [es:600h + 10 * 8], ax
    mov [es:600h + 11 * 8], ax
    mov [es:600h + 12 * 8], ax
    mov [es:600h + 13 * 8], ax
    mov [es:600h + 14 * 8], ax
    mov [es:600h + 17 * 8], ax
    mov word [es:4F0h], 256             ; events before the end
    ; TSS at 0xE00: ESP0 = 0x6000, SS0 = 0x10, I/O map base beyond the limit
    mov di, 0E00h
    xor ax, ax
    mov cx, 52
    rep stosw
    mov dword [es:0E04h], 6000h
    mov word [es:0E08h], 10h
    mov word [es:0E66h], 68h
    o32 lgdt [cs:gdtr]
    o32 lidt [cs:idtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 8:LIN(pm32)
    bits 32
pm32:
    mov ax, 10h
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 6000h
    mov ax, 18h
    ltr ax
    ; IRETD frame to virtual-8086 mode: GS FS DS ES SS ESP EFLAGS CS EIP
    push dword 0
    push dword 0
    push dword 0
    push dword 0
    push dword 0
    push dword 7000h
    push dword 00023002h                ; VM, IOPL 3
    push dword 0F000h
    push dword (random - $$ + BASE)
    iretd
handler_err:
    add esp, 4
handler:
    inc dword [esp]                     ; resume at the next byte
    dec word [ss:4F0h]                  ; DS is null after leaving virtual-8086 mode
    jz .end
    iretd
.end:
    mov al, 21h
    out 0F4h, al
    hlt
    bits 16
gdtr:
    dw gdt_end - gdt - 1
    dd 500h
idtr:
    dw 256 * 8 - 1
    dd 600h
    align 8
gdt:
    dq 0
    dq 00CF9A000000FFFFh                ; 0x08 ring-0 code, flat
    dq 00CF92000000FFFFh                ; 0x10 ring-0 data, flat
    dq 000089000E000067h                ; 0x18 TSS at 0xE00, limit 0x67
gdt_end:
%endif
%ifdef SEED_A20
    in al, 92h
    and al, ~2
    out 92h, al
    mov al, 0D1h
    out 64h, al
    mov al, 0DDh                        ; output port: A20 (bit 1) clear
    out 60h, al
    jmp random
%endif
%ifdef SEED_CRTC
    mov ax, 0B800h
    mov es, ax
    xor di, di
    mov cx, 2000
    mov ax, 1F41h
.text:
    stosw
    inc al
    loop .text
    mov ax, cs
    mov ds, ax
    mov dx, 3D4h
    mov ax, 0011h                       ; CRTC 0x11: unprotect 0-7
    out dx, ax
    mov si, random
    mov cx, 200
.pair:
    lodsw
    xchg al, ah
    and ah, 7Fh
    cmp ah, 19h
    jae .skip
    xchg al, ah
    out dx, ax
.skip:
    loop .pair
    lodsb
    mov dx, 3C2h                        ; misc output: colour or mono
    out dx, al
    mov dx, 3DAh
    in al, dx
    mov dx, 3BAh
    in al, dx
    mov dx, 3C0h
    mov cx, 16
.attr:
    lodsb
    out dx, al
    loop .attr
    mov dx, 3B4h
    lodsw
    out dx, ax
    cli
    hlt
%endif
%ifdef SEED_X87_MF
    xor ax, ax
    mov ds, ax
    mov word [16 * 4], .mf
    mov word [16 * 4 + 2], 0F000h
    fninit
    mov word [500h], 037Bh              ; ZE unmasked
    fldcw [500h]
    fld1
    fldz
    fdivp st1, st0                      ; 1 / 0: ZE pending, unmasked
    frstor [600h]
    mov al, 1                           ; not reached: status 3
    out 0F4h, al
    hlt
.mf:
    mov al, 33h
    out 0F4h, al
    hlt
%endif

    times RANDOM - ($ - $$) db 0        ; the code ends before RANDOM
random:
    times SIZE - 16 - ($ - $$) db 0     ; bios_seeds.sh writes the random bytes here
    jmp 0F000h:BASE
    times SIZE - ($ - $$) db 0
