; realmode_bios.asm - a 64 KiB test firmware for vmm --bios: from the reset
; vector through real mode, protected mode and back (Intel SDM vol. 3A
; chapters 9 and 20).  It reports on COM1 and through the debug-exit port
; 0xF4: 0 (vmm status 1, "PASS") when every check holds, else the number N
; of the first failed check (vmm status 2N + 1).
;
; The image is mapped at 0xFFFF0000 (ROM, where the first fetch happens)
; and copied to 0xF0000 (RAM): offsets below are the same in both, so the
; code runs with CS = 0xF000 after the first far jump.  Variables live in
; RAM at 0x600 (DS = 0), the stack at 0000:7000.

        bits 16
        org 0

TICKS   equ 0x600               ; IRQ 0 count
PIT_RELOAD equ 11931            ; channel 0's count: 100 Hz
MARK    equ 0x602               ; set by handlers
RESUME  equ 0x604               ; where the fault handler resumes
FLT_IP  equ 0x606               ; IP pushed by the last fault
FLT_VEC equ 0x608               ; its vector
FLAGS_IN equ 0x60A              ; FLAGS inside the INT handler
LAT_MIN equ 0x610               ; least IRQ 0 latency seen, PIT counts
LAT_MAX equ 0x612               ; and the most
T0      equ 0x614               ; TSC (low dword) at the start of check 34
AFTER   equ 0x618               ; set by the instruction after an unmasking OUT
SEEN    equ 0x61A               ; AFTER as the IRQ 0 handler found it
IMAGE   equ 0xF0000             ; linear address of the RAM copy

%macro CHECK 1                  ; jump here with ZF clear: fail check %1
        jz %%ok
        mov al, %1
        jmp fail
%%ok:
%endmacro

; ---- serial output and exit ----
putc:                           ; AL -> COM1
        push dx
        push ax
        mov dx, 0x3FD
.wait:  in al, dx
        test al, 0x20
        jz .wait
        pop ax
        mov dx, 0x3F8
        out dx, al
        pop dx
        ret

puts:                           ; CS:SI, NUL terminated
        push ax
.next:  cs lodsb
        test al, al
        jz .done
        call putc
        jmp .next
.done:  pop ax
        ret

hex4:                           ; AX in hex
        push cx
        mov cx, 4
.digit: rol ax, 4
        push ax
        and al, 0x0F
        add al, '0'
        cmp al, '9'
        jbe .out
        add al, 'A' - '9' - 1
.out:   call putc
        pop ax
        loop .digit
        pop cx
        ret

fail:                           ; AL = check number; also shows the last fault
        push ax
        mov si, msg_fail
        call puts
        pop ax
        push ax
        xor ah, ah
        call hex4
        mov si, msg_fault
        call puts
        mov ax, [cs:0]          ; keep DS as it is: it may not be 0
        xor ax, ax
        mov ds, ax
        mov ax, [FLT_VEC]
        call hex4
        mov al, ' '
        call putc
        mov ax, [FLT_IP]
        call hex4
        mov al, 10
        call putc
        pop ax
        out 0xF4, al
        hlt

msg_fail: db "FAIL check ", 0
msg_fault: db ", last fault vector/IP ", 0
msg_pass: db "PASS", 10, 0
msg_hello: db "real mode firmware", 10, 0
msg_latency: db "IRQ 0 latency while spinning, least and most, PIT counts (hex): ", 0

; ---- handlers ----
; A fault: record its vector and the pushed IP, resume at [RESUME].
de_handler:
        mov word [FLT_VEC], 0
        jmp fault_common
gp_handler:
        mov word [FLT_VEC], 13
fault_common:
        push bp
        mov bp, sp
        mov ax, [bp + 2]
        mov [FLT_IP], ax
        mov ax, [RESUME]
        mov [bp + 2], ax
        pop bp
        iret

int40_handler:
        pushf
        pop word [FLAGS_IN]
        mov word [MARK], 0x4040
        iret

timer_handler:
        push ax
        inc word [TICKS]
        mov al, 0x20            ; EOI to the master 8259
        out 0x20, al
        pop ax
        iret

; IRQ 0 with its latency: PIT channel 0 counts down from the reload
; value (rate generator, mode 2) and raises IRQ 0 as it reloads, so the
; count read in the handler tells how long the interrupt took to arrive.
tick_probe:
        push ax
        push bx
        mov al, 0x00            ; latch channel 0
        out 0x43, al
        in al, 0x40
        mov bl, al
        in al, 0x40
        mov bh, al
        mov ax, PIT_RELOAD
        sub ax, bx              ; counts since the reload
        cmp ax, [LAT_MIN]
        jae .notmin
        mov [LAT_MIN], ax
.notmin:
        cmp ax, [LAT_MAX]
        jbe .notmax
        mov [LAT_MAX], ax
.notmax:
        inc word [TICKS]
        mov al, [AFTER]
        mov [SEEN], al
        mov al, 0x20
        out 0x20, al
        pop bx
        pop ax
        iret

farproc:
        mov word [MARK], 0xFA12
        retf

farproc32:
        mov word [MARK], 0xFA32
        o32 retf

set_vector:                     ; BX = vector, AX = handler offset (segment F000)
        shl bx, 2
        mov [bx], ax
        mov word [bx + 2], 0xF000
        ret

; ---- the test ----
entry:
        ; 1: the reset state (SDM vol. 3A 9.1.1): EDX = the signature
        ; (family 6, model 13, stepping 8), CR0 = 60000010, CS = F000.
        mov eax, cr0
        cmp eax, 0x60000010
        CHECK 1
        cmp edx, 0x6D8
        CHECK 2
        mov ax, cs
        cmp ax, 0xF000
        CHECK 3
        xor ax, ax
        mov ss, ax
        mov sp, 0x7000
        mov ds, ax
        mov es, ax
        mov si, msg_hello
        call puts

        ; 4: segment arithmetic: 1234:0010 and 1235:0000 are one byte.
        mov ax, 0x1234
        mov ds, ax
        mov byte [0x0010], 0x5A
        mov ax, 0x1235
        mov es, ax
        cmp byte [es:0], 0x5A
        CHECK 4
        xor ax, ax
        mov ds, ax
        mov es, ax

        ; 5: 32-bit operands and addresses (0x66, 0x67) in 16-bit code.
        mov eax, 0x12345678
        add eax, 0x11111111
        cmp eax, 0x23456789
        CHECK 5
        mov esi, 0x100
        mov dword [esi * 2 + 0x1000], 0xCAFEBABE
        mov bx, 0x1200
        cmp word [bx + 2], 0xCAFE
        CHECK 6

        ; 7: the stack: 16- and 32-bit pushes move SP by 2 and 4.
        mov bx, sp
        push ax
        push eax
        mov cx, bx
        sub cx, sp
        cmp cx, 6
        CHECK 7
        pop eax
        pop ax
        cmp sp, bx
        CHECK 8

        ; 9: INT n through the IVT: IF cleared inside, FLAGS restored by IRET.
        mov bx, 0x40
        mov ax, int40_handler
        call set_vector
        sti
        int 0x40
        pushf
        pop cx
        cli
        cmp word [MARK], 0x4040
        CHECK 9
        test word [FLAGS_IN], 0x0200
        jz .if_clear
        mov al, 10
        jmp fail
.if_clear:
        test cx, 0x0200
        jnz .if_back
        mov al, 11
        jmp fail
.if_back:

        ; 12: #DE through IVT vector 0, IP pushed = the DIV itself.
        xor bx, bx
        mov ax, de_handler
        call set_vector
        mov bx, 13
        mov ax, gp_handler
        call set_vector
        mov word [RESUME], .after_div
        mov word [FLT_VEC], 0xFFFF
        xor bl, bl
        mov ax, 1
.div:   div bl
.after_div:
        cmp word [FLT_VEC], 0
        CHECK 12
        cmp word [FLT_IP], .div
        CHECK 13

        ; 14: far CALL and RET, 16- and 32-bit.
        mov bx, sp
        call 0xF000:farproc
        cmp word [MARK], 0xFA12
        CHECK 14
        cmp sp, bx
        CHECK 15
        call dword 0xF000:farproc32
        cmp word [MARK], 0xFA32
        CHECK 16
        cmp sp, bx
        CHECK 17

        ; 18: IRQ 0 from the PIT through the 8259, vector 8, while halted.
        mov bx, 8
        mov ax, timer_handler
        call set_vector
        mov al, 0x11            ; ICW1: edge, cascade, ICW4
        out 0x20, al
        mov al, 0x08            ; ICW2: vectors 8-15
        out 0x21, al
        mov al, 0x04            ; ICW3: slave on IRQ 2
        out 0x21, al
        mov al, 0x01            ; ICW4: 8086 mode
        out 0x21, al
        mov al, 0xFE            ; only IRQ 0
        out 0x21, al
        mov al, 0x34            ; channel 0, lobyte/hibyte, rate generator
        out 0x43, al
        mov al, PIT_RELOAD & 0xFF
        out 0x40, al
        mov al, PIT_RELOAD >> 8
        out 0x40, al
        mov word [TICKS], 0
.wait:  sti
        hlt
        cli
        cmp word [TICKS], 3
        jb .wait

        ; 34-36: IRQ 0 while real-mode code spins without port I/O or
        ; HLT.  The monitor interprets such code many instructions per
        ; turn of its run loop (docs/cpu-model.md, "Real-address mode"):
        ; the ticks must come all the same (34: ten within 2 s of TSC, 1 GHz
        ; under vmm), not early (35: ten take at least 90 ms), and at
        ; least one of them at once (36: less than 100 us, 119 PIT counts,
        ; after its reload; the least rather than the most, which a loaded
        ; host stretches).  The handler also keeps AFTER for check 37.
        mov bx, 8
        mov ax, tick_probe
        call set_vector
        mov word [LAT_MIN], 0xFFFF
        mov word [LAT_MAX], 0
        mov word [TICKS], 0
        rdtsc
        mov [T0], eax
        sti
.spin:  cmp word [TICKS], 10
        jae .ticked
        rdtsc
        sub eax, [T0]
        cmp eax, 2000000000
        jb .spin
        cli
        mov al, 34
        jmp fail
.ticked:
        cli
        rdtsc
        sub eax, [T0]
        cmp eax, 90000000
        jae .not_early
        mov al, 35
        jmp fail
.not_early:
        mov si, msg_latency
        call puts
        mov ax, [LAT_MIN]
        call hex4
        mov al, ' '
        call putc
        mov ax, [LAT_MAX]
        call hex4
        mov al, 10
        call putc
        cmp word [LAT_MIN], 119
        jb .prompt
        mov al, 36
        jmp fail
.prompt:

        ; 37: an OUT that makes an interrupt deliverable (unmasking IRQ 0
        ; while it is requested, IF set) has it taken before the next
        ; instruction, inside a run of interpreted instructions too.
        mov al, 0xFF            ; mask IRQ 0 ...
        out 0x21, al
        sti
.irr:   mov al, 0x0A            ; ... until the PIT requests it (OCW3: read IRR)
        out 0x20, al
        in al, 0x20
        test al, 1
        jz .irr
        mov byte [AFTER], 0
        mov byte [SEEN], 0xFF
        mov al, 0xFE
        out 0x21, al            ; unmask: IRQ 0 now
        mov byte [AFTER], 1
        cli
        cmp byte [SEEN], 0
        CHECK 37
        mov al, 0xFF            ; mask every line again
        out 0x21, al

        ; 19: A20 is on (port 0x92 bit 1), and stays on.
        in al, 0x92
        or al, 0x02
        out 0x92, al
        in al, 0x92
        test al, 0x02
        jnz .a20
        mov al, 19
        jmp fail
.a20:

        ; 20: to protected mode: LGDT, CR0.PE, a far jump to 32-bit code.
        o32 lgdt [cs:gdtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword 0x08:(IMAGE + pm32)

        bits 32
pm32:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, 0x7000
        mov dword [0x200000], 0xDEADBEEF
        mov dword [0x100500], 0x12345678
        mov dword [0x000500], 0
        ; back to 16-bit protected mode, then real mode: DS keeps the
        ; flat 4 GiB segment (unreal mode), SS and ES a 64 KiB one.
        jmp 0x18:pm16

        bits 16
pm16:
        mov ax, 0x20
        mov ss, ax
        mov es, ax
        mov eax, cr0
        and al, 0xFE
        mov cr0, eax
        jmp 0xF000:rm_back

rm_back:
        xor ax, ax
        mov ss, ax
        mov sp, 0x7000
        mov ds, ax
        mov es, ax
        mov eax, cr0
        test al, 1
        CHECK 20
        ; 21: unreal mode: DS's 4 GiB limit survived; a 32-bit address
        ; reads above 1 MiB.
        mov eax, [dword 0x200000]
        cmp eax, 0xDEADBEEF
        CHECK 21
        ; 22: no A20 wrap: 0x100500 is not 0x500.
        mov eax, [dword 0x100500]
        cmp eax, 0x12345678
        CHECK 22
        ; 23: ES has a 64 KiB limit: the same access through it is #GP.
        mov word [RESUME], .after_gp
        mov word [FLT_VEC], 0xFFFF
.gp:    mov eax, [es:dword 0x200000]
.after_gp:
        cmp word [FLT_VEC], 13
        CHECK 23
        cmp word [FLT_IP], .gp
        CHECK 24

        ; 25-30: the A20 gate closed (port 0x92 bit 1 clear; bit 0 stays
        ; clear, it would reset): physical address bit 20 reads as 0, so
        ; 0x100500 is 0x500 whether reached as FFFF:0510, through unreal
        ; mode's 32-bit offset or from 32-bit protected mode.
        in al, 0x92
        and al, 0xFC
        out 0x92, al
        mov eax, [dword 0x100500]
        cmp eax, 0                      ; [0x500], cleared in pm32
        CHECK 25
        mov ax, 0xFFFF
        mov fs, ax
        mov dword [fs:0x510], 0xCAFEF00D
        cmp dword [0x500], 0xCAFEF00D
        CHECK 26
        o32 lgdt [cs:gdtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword 0x08:(IMAGE + pm32_a20)
rm_a20:
        xor ax, ax
        mov ss, ax
        mov sp, 0x7000
        mov ds, ax
        mov es, ax
        cmp dword [0x700], 0xCAFEF00D   ; what 32-bit code read at 0x100500
        CHECK 27
        cmp dword [dword 0x200600], 0x5555AAAA  ; its write to 0x300600
        CHECK 28
        ; the gate opened again through the keyboard controller's output
        ; port (command 0xD1, then the byte: A20 bit 1, reset bit 0 high)
        call kbc_wait
        mov al, 0xD1
        out 0x64, al
        call kbc_wait
        mov al, 0xDF
        out 0x60, al
        call kbc_wait
        cmp dword [dword 0x100500], 0x12345678
        CHECK 29
        cmp dword [0x500], 0xCAFEF00D
        CHECK 30

        ; 31-33 and 38: the x87 in real mode, as Linux's real-mode setup probes it
        ; (FNINIT, FNSTSW AX) and as 16-bit programs compute with it:
        ; register and no-operand forms, a memory store, FCOMI's flags.
        mov ax, 0xFFFF
        fninit
        fnstsw ax
        test ax, ax
        CHECK 31
        fld1
        fld1
        faddp st1, st0
        fld st0
        fmulp st1, st0                  ; (1 + 1)^2
        fistp word [0x710]
        cmp word [0x710], 4
        CHECK 32
        fld1
        fldz
        fcomi st0, st1                  ; 0 < 1: CF set, ZF clear
        jnc .x87_bad
        jz .x87_bad
        fcompp
        fnstsw ax
        and ax, 0x3800                  ; TOP back to 0: the stack is empty
        CHECK 33
        jmp .x87_ok
.x87_bad:
        mov al, 38
        jmp fail
.x87_ok:
        ; 39-40: FXSAVE and FXRSTOR in real mode (through unreal mode's
        ; 32-bit offset, as iPXE saves the FPU): the image holds FCW 037F
        ; and one value on the stack (TOP 7); FXRSTOR brings it back
        ; after FNINIT emptied the stack.
        fninit
        fld1
        mov esi, 0x800
        fxsave [esi]
        cmp word [0x800], 0x037F
        CHECK 39
        fninit
        fxrstor [esi]
        fnstsw ax
        and ax, 0x3800
        cmp ax, 0x3800
        CHECK 40
        fstp st0

        mov si, msg_pass
        call puts
        mov al, 0
        out 0xF4, al
        hlt

kbc_wait:                       ; until the 8042's input buffer is empty
        in al, 0x64
        test al, 0x02
        jnz kbc_wait
        ret

        bits 32
pm32_a20:                       ; translated 32-bit code, paging off, A20 closed
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov eax, [0x100500]
        mov [0x700], eax
        mov dword [0x300600], 0x5555AAAA
        jmp 0x18:pm16_a20

        bits 16
pm16_a20:
        mov ax, 0x20
        mov ss, ax
        mov es, ax
        mov eax, cr0
        and al, 0xFE
        mov cr0, eax
        jmp 0xF000:rm_a20

        align 8
gdt:    dq 0
        dq 0x00CF9A000000FFFF   ; 0x08: 32-bit code, base 0, 4 GiB
        dq 0x00CF92000000FFFF   ; 0x10: data, base 0, 4 GiB
        dq 0x00009A0F0000FFFF   ; 0x18: 16-bit code, base 0xF0000, 64 KiB
        dq 0x000092000000FFFF   ; 0x20: 16-bit data, base 0, 64 KiB
gdt_end:
gdtr:   dw gdt_end - gdt - 1
        dd IMAGE + gdt

; ---- the reset vector: 0xFFFFFFF0, the last paragraph of the image ----
        times 0xFFF0 - ($ - $$) db 0xF4
reset:  jmp 0xF000:entry
        times 0x10000 - ($ - $$) db 0xF4
