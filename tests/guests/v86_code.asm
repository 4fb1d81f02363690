; tests/guests/v86_code.asm - the two halves of guest.v86 that are not C:
;
; v86_enter / v86_back: the ring-0 side.  v86_enter(&start) keeps the
; callee-saved registers and ESP, builds the nine-dword frame of an IRET
; to virtual-8086 mode (EIP, CS, EFLAGS with VM, ESP, SS, ES, DS, FS, GS)
; and runs IRETD at CPL 0.  The monitor (v86.c) ends the run by sending a
; trap's IRET to v86_back instead of back to the task: there DS, ES, FS and
; GS are null (the processor nulled them on the way out of virtual-8086
; mode), so they are reloaded first, then ESP, and v86_enter returns.
;
; v86_blob .. v86_blob_end: the 8086 program, copied to 1000:0000 and
; run there with CS = DS = ES = SS = 1000 (OFF(x) is a label's offset in
; that segment).  It computes with MMX and SSE instructions too, which the
; monitor must carry out for a virtual-8086 program.  It leaves its results at OFF(results), in the order of
; struct v86_results (v86.c), and ends with HLT.  A second entry,
; tick_wait, runs with IF set until the monitor has counted three timer
; interrupts taken in virtual-8086 mode.

bits 32
section .text
global v86_enter, v86_back
v86_enter:
        push ebp
        push ebx
        push esi
        push edi
        mov [v86_saved_esp], esp
        mov eax, [esp + 20]             ; const struct v86_start *
        push dword [eax + 32]           ; GS
        push dword [eax + 28]           ; FS
        push dword [eax + 24]           ; DS
        push dword [eax + 20]           ; ES
        push dword [eax + 16]           ; SS
        push dword [eax + 12]           ; ESP
        push dword [eax + 8]            ; EFLAGS (VM set)
        push dword [eax + 4]            ; CS
        push dword [eax]                ; EIP
        iretd

v86_back:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov esp, [v86_saved_esp]
        pop edi
        pop esi
        pop ebx
        pop ebp
        ret

section .bss
v86_saved_esp: resd 1

section .rodata
%define OFF(x) ((x) - v86_blob)
global v86_blob, v86_blob_end, v86_int61_off, v86_results_off, v86_int3_next_off
global v86_ticks_off, v86_tick_wait_off, v86_xm_insn_off, v86_xm_next_off
v86_int61_off:   dd OFF(int61)
v86_results_off: dd OFF(results)
v86_int3_next_off: dd OFF(int3_next)
v86_ticks_off:   dd OFF(ticks)
v86_tick_wait_off: dd OFF(tick_wait)
v86_xm_insn_off: dd OFF(xm_insn)
v86_xm_next_off: dd OFF(xm_next)

bits 16
align 16                                ; vec_g's offset is its linear alignment
v86_blob:
        ; arithmetic: 1 + 2 + ... + 100 with LOOP, and a 32-bit add (66h)
        xor ax, ax
        mov cx, 100
.sum:   add ax, cx
        loop .sum
        mov [OFF(results)], ax
        mov eax, 0x12345678
        add eax, 0x11111111
        mov [OFF(results) + 4], eax

        ; memory: 256 words stored through ES:DI at 2000:0000 (ES loaded
        ; in virtual-8086 mode: a paragraph), summed back with LODSW
        mov ax, 0x2000
        mov es, ax
        xor di, di
        mov ax, 0xA55A
        mov cx, 256
        cld
        rep stosw
        push ds
        push es
        pop ds                          ; DS = 2000 for LODSW
        xor si, si
        xor ebx, ebx
        mov cx, 256
.add:   lodsw
        movzx eax, ax
        add ebx, eax
        loop .add
        pop ds
        mov [OFF(results) + 8], ebx

        ; INT 61h: the monitor reflects it through the IVT to int61 below
        mov ax, 0x1234
        int 0x61
        mov [OFF(results) + 12], ax
        mov [OFF(results) + 14], bx

        ; OUT to a port the TSS bitmap opens (the UART scratch register),
        ; read back; then to one it closes (0x80): the monitor sees #GP
        mov dx, 0x3FF
        mov al, 0x5A
        out dx, al
        xor al, al
        in al, dx
        mov [OFF(results) + 16], al
        mov al, 0x42
        out 0x80, al

        ; a store to a page the monitor maps on demand (1000:8000 = 18000h)
        mov word [0x8000], 0x7E57
        mov ax, [0x8000]
        mov [OFF(results) + 18], ax

        ; INT3 is not IOPL-sensitive: it reaches the IDT's DPL-3 gate
        int3
int3_next:
        mov word [OFF(results) + 20], 0x600D

        ; MMX and SSE arithmetic (the monitor set CR4.OSFXSR): the VMM
        ; interprets virtual-8086 code, and must carry these out, memory
        ; operands through the task's segments, not stop the VM
        movdqu xmm0, [OFF(vec_a)]
        movdqu xmm1, [OFF(vec_b)]
        paddd xmm0, xmm1
        movdqu [OFF(results) + 24], xmm0
        movdqa xmm2, xmm0
        pxor xmm2, xmm1
        movdqu [OFF(results) + 40], xmm2
        movdqu xmm3, [OFF(vec_f)]
        addps xmm3, [OFF(vec_g)]        ; a 16-byte aligned memory operand
        movdqu [OFF(results) + 56], xmm3
        movq mm0, [OFF(vec_a)]
        paddw mm0, [OFF(vec_b)]
        movq [OFF(results) + 72], mm0
        emms

        ; an unmasked SIMD exception (divide-by-zero, ZM clear) is #XM
        ; (the monitor set CR4.OSXMMEXCPT), with XMM0 left as it was; the
        ; monitor counts it and resumes at xm_next
        ldmxcsr [OFF(mx_zm)]
xm_insn:
        divss xmm0, [OFF(vec_zero)]
xm_next:
        stmxcsr [OFF(results) + 80]
        movdqu [OFF(results) + 84], xmm0
        hlt                             ; back to protected mode (#GP)

tick_wait:
        ; entered with IF set: wait for three timer interrupts, which the
        ; monitor counts in `ticks`, or give up after 20 000 000 turns
        ; (some 10 ms on hardware, under --accel kvm)
        mov ecx, 20000000
.wait:  cmp word [OFF(ticks)], 3
        jae .done
        dec ecx
        jnz .wait
.done:  hlt

int61:  ; the real-mode handler: its IRET is emulated by the monitor too
        add ax, 1
        mov bx, 0xBEEF
        iret

align 16
vec_a:  dd 1, 2, 3, 0x7FFFFFFF
vec_b:  dd 10, 20, 30, 1
vec_f:  dd 1.5, 2.0, -1.0, 100.0
vec_g:  dd 2.5, 0.25, 1.0, 0.5
vec_zero: dd 0.0
mx_zm:  dd 0x1D80                       ; every exception masked but ZM
results: times 100 db 0
ticks:  dw 0
v86_blob_end:
