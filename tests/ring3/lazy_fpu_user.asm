; tests/ring3/lazy_fpu_user.asm - the user programs of the lazy_fpu guest
; (lazy_fpu.c).  Each instruction that must fault has a global label; ESI,
; EDI, EBP and EBX hold patterns the kernel checks in every frame.
bits 32

SYS_SET_TS equ 16
SYS_SET_EM equ 17
SYS_ADD    equ 18

section .data
align 16
global x_old, x_a, x_b, m_old, m_old1, m_add
x_old:  dd 0x11111111, 0x22222222, 0x33333333, 0x44444444
x_a:    dd 1.0, 2.0, 3.0, 4.0
x_b:    dd 10.0, 20.0, 30.0, 40.0
m_old:  dq 0x0102030405060708
m_old1: dq 0x5555AAAA5555AAAA
m_add:  dq 0x1010101010101010

section .bss
align 16
global u_out, demand
u_out:  resb 64
alignb 4096
demand: resb 16 * 4096                  ; not present until the kernel maps a page

section .text
global u_simd_nm, u_em, u_busy
global nm_movaps, nm_addps, nm_pxor, nm_paddb, nm_movq
global em_sse, em_wait, em_x87, em_mmx, busy_nm
extern ticks_user

%macro PATTERNS 0
        mov esi, 0x5151A0A0
        mov edi, 0xD1D1E0E0
        mov ebp, 0xB0B0C0C0
        mov ebx, 0xB1B2B3B4
%endmacro

%macro SET_TS 0
        mov eax, SYS_SET_TS
        int 0x80
%endmacro

; A. Entered with CR0.TS clear: load old values, then one SIMD instruction
; per CR0.TS, each of which must raise #NM before it changes anything.
u_simd_nm:
        movdqa xmm0, [x_old]
        movdqa xmm1, [x_b]
        movq mm0, [m_old]
        movq mm1, [m_old1]
        PATTERNS
        SET_TS
nm_movaps:
        movaps xmm0, [x_a]              ; xmm0 = 1 2 3 4
        SET_TS
nm_addps:
        addps xmm0, xmm1                ; xmm0 = 11 22 33 44
        movups [u_out], xmm0
        SET_TS
nm_pxor:
        pxor xmm1, xmm0                 ; xmm1 = x_b ^ sum
        movups [u_out + 16], xmm1
        SET_TS
nm_paddb:
        paddb mm0, [m_add]              ; bytes + 0x10
        movq [u_out + 32], mm0
        SET_TS
nm_movq:
        movq mm1, mm0
        movq [u_out + 40], mm1
        emms
        mov eax, 1
        ret

; B. Entered with CR0.EM set (TS clear): SSE and MMX -> #UD, x87 -> #NM,
; WAIT runs (it looks only at MP and TS).  The handler clears EM.
u_em:
        PATTERNS
em_sse: addps xmm0, xmm0
        mov eax, SYS_SET_EM
        int 0x80
em_wait:
        fwait                           ; no fault under EM alone
em_x87: fld1
        fstp dword [u_out + 48]
        mov eax, SYS_SET_EM
        int 0x80
em_mmx: paddb mm0, mm0
        emms
        mov eax, 2
        ret

; D. Entered with CR0.TS set and IF=1: no FPU work for a while - sums over
; 16 demand-mapped pages (page faults), a system call per page, a spin
; until three timer interrupts reached ring 3 - all while TS stays set,
; then one SSE instruction, which must raise #NM.  Returns the sum.
u_busy:
        PATTERNS
        xor ecx, ecx
        xor edx, edx                    ; running sum
.page:  mov eax, ecx
        shl eax, 12
        lea eax, [demand + eax]
        mov [eax + 8], ecx              ; #PF: the kernel maps the page
        add edx, [eax + 8]
        push ecx
        push edx
        mov eax, SYS_ADD
        mov ebx, ecx
        int 0x80                        ; the kernel adds ecx too
        pop edx
        pop ecx
        inc ecx
        cmp ecx, 16
        jb .page
        mov ecx, 0x10000000
.spin:  cmp dword [ticks_user], 3
        jae .ticked
        add edx, 0                      ; arithmetic only
        dec ecx
        jnz .spin
.ticked:
        mov ebx, 0xB1B2B3B4
busy_nm:
        movaps xmm2, [x_a]              ; -> #NM, then runs
        mov eax, edx
        ret

; E. Timing (lazy_fpu.c prints it): an integer loop, and a run of system
; calls, each run once with CR0.TS clear (direct) and once with it set
; (translated under vmm).
SYS_NOP equ 19
global u_compute, u_syscalls
u_compute:
        mov ecx, 20000000
        xor edx, edx
.l:     add edx, ecx
        dec ecx
        jnz .l
        mov eax, edx
        ret

u_syscalls:
        mov ecx, 5000
.s:     mov eax, SYS_NOP
        int 0x80
        dec ecx
        jnz .s
        mov eax, 5
        ret

; F. A page that holds both code run translated (CR0.TS set) and data that
; an SSE store writes once TS is clear and ring 3 runs directly: the store
; meets the write protection of translated code (self-modifying-code
; detection) and must still complete.
global u_smc, smc_nm, smc_buf
align 4096
u_smc:
        PATTERNS
        mov ecx, 100
.l:     dec ecx
        jnz .l
smc_nm: movaps xmm0, [x_a]              ; -> #NM; after CLTS runs directly
        movups [smc_buf], xmm0          ; SSE store into this very page
        mov eax, [smc_buf + 4]          ; 2.0
        ret
align 16
smc_buf: times 16 db 0

; G. Linear page 0, which the host cannot map (mmap_min_addr): made user-
; accessible by the kernel, read and written by ring 3 with CR0.TS set.
; Each access is emulated (MOV: the emulator does not know every
; instruction, e.g. not ADD to memory; that stops the guest with a report,
; as under direct execution).
global u_page0
u_page0:
        mov dword [0x20], 0x12345678
        mov eax, [0x20]
        inc eax
        mov [0x24], eax
        ret

; H. Thread-local data the i386 way: GS has a base (the thread pointer) and
; the variables lie below it, at negative offsets, so base + offset wraps
; around 4 GiB.  Returns the sum of what it read back.
global u_tls
extern tls_sel
u_tls:
        mov ax, [tls_sel]
        mov gs, ax
        mov dword [gs:-8], 5            ; base - 8
        add dword [gs:-8], 7            ; an ALU form, not only MOV
        mov eax, [gs:-8]
        mov ecx, [gs:-4]                ; the kernel put 100 there
        add eax, ecx
        mov cx, 0x23                    ; RT_UDATA back in GS
        mov gs, cx
        ret
