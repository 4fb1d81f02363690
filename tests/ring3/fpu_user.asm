; tests/ring3/fpu_user.asm - the user programs of the fpu guest (fpu.c).
bits 32

SYS_NOISY  equ 16
SYS_SET_TS equ 17

section .data
align 16
x_pattern:                              ; xmm0..xmm7: 128 distinct bytes
%assign i 0
%rep 128
        db (i * 37 + 11) & 0xFF
%assign i i+1
%endrep
align 16
x_ones:   dd 1.0, 1.0, 1.0, 1.0
f_big:    dq 1234.5
cw_rz:    dw 0x0F7F                     ; x87: all masked, 64-bit precision, round toward zero
cw_zm:    dw 0x037B                     ; x87: zero-divide (ZM) unmasked
align 4
mx_rz:    dd 0x7F80                     ; MXCSR: all masked, round toward zero
mx_zm:    dd 0x1D80                     ; MXCSR: zero-divide (ZM) unmasked

section .bss
align 16
global u_fx_ref, u_fx_after, u_nm_out, u_xm_out
u_fx_ref:   resb 512                    ; FXSAVE right after loading
u_fx_after: resb 512                    ; FXSAVE after the trap or interrupts
u_nm_out:   resd 4
u_xm_out:   resd 4

section .text
global u_fpu_keep, u_fpu_nm, u_fpu_mf
global nm_1, nm_2, nm_3, mf_1, xm_1
extern u_mode, ticks_user

; Load known x87/SSE state, FXSAVE it, then either make a system call that
; prints (u_mode 0) or spin until five timer interrupts were taken in ring 3
; (u_mode 1), and FXSAVE again.  Returns the spin count left (mode 1).
u_fpu_keep:
        fninit
        fldcw [cw_rz]
        ldmxcsr [mx_rz]
        fld qword [f_big]
        fldpi
        fld1                            ; ST0 = 1, ST1 = pi, ST2 = 1234.5
        movdqa xmm0, [x_pattern + 0]
        movdqa xmm1, [x_pattern + 16]
        movdqa xmm2, [x_pattern + 32]
        movdqa xmm3, [x_pattern + 48]
        movdqa xmm4, [x_pattern + 64]
        movdqa xmm5, [x_pattern + 80]
        movdqa xmm6, [x_pattern + 96]
        movdqa xmm7, [x_pattern + 112]
        fxsave [u_fx_ref]
        cmp dword [u_mode], 0
        jne .spin
        mov eax, SYS_NOISY
        int 0x80
        xor eax, eax
        jmp .done
.spin:
        mov eax, 0x40000000
.wait:  cmp dword [ticks_user], 5
        jae .done
        dec eax
        jnz .wait
.done:
        fxsave [u_fx_after]
        ret

; Lazy FPU: the kernel entered with CR0.TS set.  Each of these must raise
; #NM; the handler clears TS and the instruction then runs.
u_fpu_nm:
nm_1:   fld1                            ; x87 with TS -> #NM
        fstp dword [u_nm_out]
        mov eax, SYS_SET_TS
        int 0x80
nm_2:   movaps xmm0, [x_ones]           ; SSE with TS -> #NM
        movd [u_nm_out + 4], xmm0
        mov eax, SYS_SET_TS
        int 0x80
nm_3:   fwait                           ; WAIT with TS and MP -> #NM
        mov eax, 3
        ret

; Unmasked FPU exceptions: x87 divide by zero is reported (#MF) at the next
; waiting instruction; SSE divide by zero (#XM) at the DIVPS itself.  Both
; handlers clear the cause and return to the same instruction.
u_fpu_mf:
        fninit
        fldcw [cw_zm]
        fld1
        fldz
        fdivp st1, st0                  ; 1/0: ZE pending
mf_1:   fwait                           ; -> #MF
        fninit
        ldmxcsr [mx_zm]
        movaps xmm0, [x_ones]
        xorps xmm1, xmm1
xm_1:   divps xmm0, xmm1                ; -> #XM; re-run with ZM masked: +inf
        movd [u_xm_out], xmm0
        mov eax, 4
        ret
