; compute_asm.asm - ring-0 compute kernels written in assembly, so that the
; instruction forms under test are exactly these (see compute.h).
;
; Each kernel is `uint32_t k(uint32_t seed)` (cdecl; EBX ESI EDI EBP kept,
; DF clear on return) and folds its intermediate results into a checksum in
; EBP.  The same object runs natively (compute_host, at build time) and in
; the guest; the guest compares.  Only architecturally defined flags are
; folded in (SDM vol. 1 appendix A), and no address is, since the buffers lie
; elsewhere in the two programs.
bits 32

F_CF equ 0x001
F_PF equ 0x004
F_AF equ 0x010
F_ZF equ 0x040
F_SF equ 0x080
F_OF equ 0x800
F_ALL equ F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF

; MIX r/m32: fold a value into the checksum (EBP).  Changes flags.
%macro MIX 1
        rol ebp, 5
        xor ebp, %1
        add ebp, 0x9E3779B9
%endmacro

; MIXF mask: fold the current flags selected by mask into the checksum.
%macro MIXF 1
        pushfd
        and dword [esp], %1
        rol ebp, 3
        xor ebp, [esp]
        lea esp, [esp + 4]
%endmacro

%macro PROLOGUE 0
        push ebp
        push ebx
        push esi
        push edi
        mov eax, [esp + 20]             ; seed
        mov ebp, 0x811C9DC5
%endmacro

%macro EPILOGUE 0
        cld
        mov eax, ebp
        pop edi
        pop esi
        pop ebx
        pop ebp
        ret
%endmacro

; next pseudo-random value in EAX (xorshift32); changes flags
%macro RNG 0
        mov edx, eax
        shl edx, 13
        xor eax, edx
        mov edx, eax
        shr edx, 17
        xor eax, edx
        mov edx, eax
        shl edx, 5
        xor eax, edx
%endmacro

section .bss
align 16
src:    resb 256
dst:    resb 256
bits_buf: resd 8
scratch: resd 16

section .rodata
align 4
xlat_table:
%assign i 0
%rep 256
        db (i * 37 + 11) & 0xFF
%assign i i+1
%endrep

section .text

; ---- string instructions, DF=0 and DF=1 ----------------------------------
global k_string
k_string:
        PROLOGUE
        or eax, 1
        ; fill src with 64 pseudo-random dwords
        mov edi, src
        mov ecx, 64
.fill:  RNG
        stosd
        loop .fill
        ; REP MOVSD forward: 64 dwords
        mov esi, src
        mov edi, dst
        mov ecx, 64
        rep movsd
        MIX ecx
        mov eax, esi
        sub eax, src
        MIX eax                         ; 256
        ; REP MOVSB backwards over the first 100 bytes, shifted by 3
        std
        mov esi, src + 99
        mov edi, dst + 102
        mov ecx, 100
        rep movsb
        cld
        mov eax, edi
        sub eax, dst
        MIX eax                         ; 2
        ; REP STOSB forward and backward
        mov al, 0x5A
        mov edi, dst + 200
        mov ecx, 17
        rep stosb
        std
        mov al, 0xC3
        mov edi, dst + 255
        mov ecx, 9
        rep stosb
        cld
        ; REPE CMPSB: first difference between dst and src from offset 0
        mov esi, src
        mov edi, dst
        mov ecx, 256
        repe cmpsb
        MIXF F_ALL
        MIX ecx
        ; REPNE SCASB forward for the byte at dst[150]
        mov al, [dst + 150]
        mov edi, dst
        mov ecx, 256
        repne scasb
        MIXF F_ALL
        MIX ecx
        ; REPNE SCASB backwards for 0x5A
        std
        mov al, 0x5A
        mov edi, dst + 255
        mov ecx, 256
        repne scasb
        cld
        MIX ecx
        ; REPE CMPSD backwards over equal data
        std
        mov esi, dst + 252
        mov edi, dst + 252
        mov ecx, 10
        repe cmpsd
        cld
        MIXF F_ALL
        MIX ecx
        ; LODSD/LODSW/LODSB sum
        mov esi, dst
        mov ecx, 20
        xor ebx, ebx
.lods:  lodsd
        add ebx, eax
        loop .lods
        lodsw
        add bx, ax
        lodsb
        add bl, al
        MIX ebx
        ; checksum of dst
        mov esi, dst
        mov ecx, 64
.sum:   lodsd
        MIX eax
        loop .sum
        EPILOGUE

; ---- stack: PUSHA/POPA, ENTER/LEAVE, RET imm16, PUSH/POP memory ----------
global k_stack
k_stack:
        PROLOGUE
        mov ebx, eax
        mov ecx, eax
        not ecx
        mov edx, 0x13579BDF
        mov esi, 0x2468ACE0
        mov edi, eax
        rol edi, 7
        push ebp
        mov ebp, 0x7777
        pusha
        mov eax, [esp + 12]             ; the ESP that PUSHA stored
        sub eax, esp                    ; = 32
        mov [esp + 28], eax             ; replace the saved EAX
        xor ebx, ebx
        xor ecx, ecx
        mov ebp, 1
        popa                            ; EAX=32, the rest restored; ESP image ignored
        mov [scratch], ebp              ; 0x7777
        pop ebp
        MIX eax
        MIX ebx
        MIX ecx
        MIX edx
        MIX esi
        MIX edi
        MIX [scratch]
        ; ENTER/LEAVE, level 0 and level 1
        mov eax, esp
        push ebp
        call .frame
        pop ebp
        MIX eax
        mov eax, esp
        sub eax, [scratch + 4]
        MIX eax                         ; ESP change across the call: 0
        ; RET imm16 drops arguments
        mov eax, esp
        mov [scratch + 8], eax
        push ebx
        push ecx
        push edx
        call .callee_ret12
        mov edx, esp
        sub edx, [scratch + 8]
        MIX edx                         ; 0
        MIX eax
        ; PUSH/POP memory operands, PUSH imm8/imm32
        mov dword [scratch + 12], 0x1234
        push dword [scratch + 12]
        push byte -3
        push dword 0x10000
        pop dword [scratch + 16]
        pop dword [scratch + 20]
        pop eax
        add eax, [scratch + 16]
        add eax, [scratch + 20]
        MIX eax                         ; 0x1234 + 0x10000 - 3
        ; PUSHW/POPW
        push word 0xBEEF
        push word 0xDEAD
        pop eax                         ; 0xBEEFDEAD
        MIX eax
        EPILOGUE

.frame: ; returns EAX = a value computed through two frames
        mov [scratch + 4], eax          ; caller ESP before the push
        enter 16, 0
        mov dword [ebp - 4], 5
        mov dword [ebp - 16], 7
        mov eax, [ebp - 4]
        imul eax, [ebp - 16]            ; 35
        mov ecx, esp
        sub ecx, ebp                    ; -16
        add eax, ecx                    ; 19
        push eax
        enter 8, 1
        mov ecx, [ebp - 4]              ; the frame pointer ENTER copied: EBP itself
        sub ecx, ebp                    ; 0
        mov edx, [ebp]                  ; the outer frame pointer
        sub edx, ebp                    ; 8: the pushed EAX and EBP lie between
        add ecx, edx
        mov edx, ebp
        sub edx, esp                    ; 4 (display) + 8 (locals)
        add ecx, edx
        leave
        pop eax
        add eax, ecx
        leave
        ret

.callee_ret12:
        mov eax, [esp + 4]
        add eax, [esp + 8]
        sub eax, [esp + 12]
        ret 12

; ---- calls and jumps: tables, recursion -----------------------------------
global k_calls
k_calls:
        PROLOGUE
        mov ebx, eax
        mov esi, 48                     ; iterations
        xor edi, edi
.next:  mov eax, ebx
        and eax, 3
        mov ecx, ebx
        call [call_table + eax * 4]
        add edi, eax
        MIX edi
        mov eax, ebx
        shr eax, 2
        and eax, 3
        jmp [jump_table + eax * 4]
.j0:    add edi, 11
        jmp .joined
.j1:    xor edi, 0x5555
        jmp .joined
.j2:    rol edi, 3
        jmp .joined
.j3:    lea edi, [edi * 4 + edi]
.joined:
        MIX edi
        ror ebx, 3
        xor ebx, esi
        ; an indirect call through a register and a near call through memory
        mov eax, .leaf
        call eax
        add edi, eax
        dec esi
        jnz .next
        ; recursion: fib(18)
        push 18
        call .fib
        add esp, 4
        MIX eax
        MIX edi
        EPILOGUE

.f0:    lea eax, [ecx + 1]
        ret
.f1:    mov eax, ecx
        imul eax, eax, 3
        ret
.f2:    mov eax, ecx
        not eax
        ret
.f3:    mov eax, ecx
        bswap eax
        ret
.leaf:  mov eax, 7
        ret

.fib:   mov eax, [esp + 4]
        cmp eax, 2
        jb .fib_done
        dec eax
        push eax
        call .fib
        mov [esp], eax                  ; reuse the argument slot
        mov eax, [esp + 8]
        sub eax, 2
        push eax
        call .fib
        add esp, 4
        pop ecx
        add eax, ecx
.fib_done:
        ret

section .rodata
align 4
call_table: dd k_calls.f0, k_calls.f1, k_calls.f2, k_calls.f3
jump_table: dd k_calls.j0, k_calls.j1, k_calls.j2, k_calls.j3
section .text

; ---- XLAT, 16-bit operands, MOVZX/MOVSX -----------------------------------
global k_xlat16
k_xlat16:
        PROLOGUE
        mov ebx, xlat_table
        mov ecx, 40
        mov edx, eax
.x:     mov eax, edx
        xlatb
        MIX eax
        ror edx, 5
        loop .x
        ; 16-bit string moves
        mov esi, xlat_table
        mov edi, dst
        mov ecx, 50
        rep movsw
        mov esi, dst + 98
        std
        lodsw
        cld
        MIX eax
        mov edi, dst
        mov ax, 0x1234
        mov ecx, 10
        rep stosw
        ; 16-bit arithmetic: carries stop at bit 15
        mov eax, 0xAAAAFFFF
        mov edx, 0x55550001
        add ax, dx
        MIXF F_ALL
        MIX eax                         ; 0xAAAA0000
        adc ax, 0x7FFF
        MIXF F_ALL
        MIX eax
        sub dx, 2
        MIXF F_ALL
        MIX edx
        movzx ecx, word [dst + 2]
        movsx esi, word [xlat_table + 100]
        movsx edi, byte [xlat_table + 200]
        movzx ebx, byte [xlat_table + 200]
        MIX ecx
        MIX esi
        MIX edi
        MIX ebx
        mov ax, [dst]
        xchg al, ah
        MIX eax
        inc ax
        neg ax
        MIXF F_ALL
        MIX eax
        EPILOGUE

; ---- bit instructions, double shifts ---------------------------------------
global k_bits
k_bits:
        PROLOGUE
        mov ebx, eax
        mov edi, bits_buf
        mov ecx, 8
.fill:  RNG
        stosd
        loop .fill
        ; BT/BTS/BTR/BTC on registers
        mov ecx, 32
.r:     mov eax, ebx
        bt eax, ecx                     ; offset taken mod 32
        MIXF F_CF
        bts eax, 3
        btr eax, ecx
        btc eax, 17
        MIXF F_CF
        MIX eax
        rol ebx, 1
        loop .r
        ; the same on a bit string in memory, offsets up to 255
        mov ecx, 0
.m:     bt [bits_buf], ecx
        MIXF F_CF
        bts [bits_buf], ecx
        imul edx, ecx, 7
        and edx, 255
        btr [bits_buf], edx
        MIXF F_CF
        lea edx, [ecx * 3 + 1]
        and edx, 255
        btc dword [bits_buf], edx
        inc ecx
        cmp ecx, 256
        jne .m
        mov ecx, 8
        mov esi, bits_buf
.msum:  lodsd
        MIX eax
        loop .msum
        ; BSF/BSR on non-zero values; ZF for zero
        mov eax, ebx
        or eax, 0x100
        bsf ecx, eax
        bsr edx, eax
        MIX ecx
        MIX edx
        xor eax, eax
        mov ecx, 0x55
        bsf ecx, eax
        MIXF F_ZF
        ; SHLD/SHRD with counts 1..31
        mov ecx, 1
.d:     mov eax, ebx
        mov edx, ebx
        not edx
        shld eax, edx, cl
        MIXF F_CF | F_ZF | F_SF | F_PF
        MIX eax
        mov eax, ebx
        shrd eax, edx, cl
        MIXF F_CF | F_ZF | F_SF | F_PF
        MIX eax
        inc ecx
        cmp ecx, 32
        jne .d
        mov eax, ebx
        shld eax, ebx, 1
        MIXF F_ALL & ~F_AF
        shrd eax, ebx, 1
        MIXF F_ALL & ~F_AF
        MIX eax
        EPILOGUE

; ---- CMPXCHG, XADD, BSWAP, XCHG, CMPXCHG8B ------------------------------------
global k_atomic
k_atomic:
        PROLOGUE
        mov ebx, eax
        mov [scratch], eax
        ; success, then failure, on memory
        mov eax, ebx
        mov ecx, 0x11111111
        lock cmpxchg [scratch], ecx
        MIXF F_ALL
        MIX eax
        mov eax, 0
        mov ecx, 0x22222222
        lock cmpxchg [scratch], ecx
        MIXF F_ALL
        MIX eax                         ; 0x11111111 loaded on failure
        MIX [scratch]
        ; on registers
        mov edx, 5
        mov eax, 5
        mov ecx, 9
        cmpxchg edx, ecx
        MIXF F_ZF
        MIX edx
        cmpxchg edx, ecx                ; EAX=5 != 9: EAX = 9
        MIX eax
        ; byte and word forms (scratch + 4..7 fully written first: other
        ; kernels leave addresses there)
        mov dword [scratch + 4], 0x80
        mov al, 0x80
        mov cl, 0x7F
        cmpxchg [scratch + 4], cl
        MIXF F_ALL
        mov ax, 1
        mov word [scratch + 6], 2
        cmpxchg [scratch + 6], cx
        MIXF F_ALL
        MIX [scratch + 4]
        ; XADD
        mov dword [scratch + 8], 1000
        mov ecx, ebx
        lock xadd [scratch + 8], ecx
        MIXF F_ALL
        MIX ecx
        MIX [scratch + 8]
        mov edx, 0x7FFFFFFF
        mov ecx, 1
        xadd edx, ecx
        MIXF F_ALL
        MIX edx
        MIX ecx
        ; BSWAP, XCHG
        mov eax, ebx
        bswap eax
        MIX eax
        xchg [scratch + 8], eax
        xchg eax, ecx
        xchg dl, dh
        MIX eax
        MIX ecx
        MIX edx
        MIX [scratch + 8]
        ; CMPXCHG8B: success and failure
        mov dword [scratch + 16], 1
        mov dword [scratch + 20], 2
        mov eax, 1
        mov edx, 2
        mov ebx, 0xAAAA
        mov ecx, 0xBBBB
        lock cmpxchg8b [scratch + 16]
        MIXF F_ZF
        mov eax, 0
        mov edx, 0
        cmpxchg8b [scratch + 16]
        MIXF F_ZF
        MIX eax
        MIX edx
        ; LOCK forms of ordinary arithmetic
        lock add dword [scratch + 16], 0x100
        lock inc dword [scratch + 20]
        lock or dword [scratch + 16], 0x8000
        lock not dword [scratch + 20]
        MIX [scratch + 16]
        MIX [scratch + 20]
        EPILOGUE

; ---- SETcc and CMOVcc over all 16 conditions ------------------------------
; The saved flags (on the stack) are restored before each instruction, since
; MIX changes them.
%macro SETEACH 1-*
%rep %0
        popfd
        pushfd
        mov eax, 0
        set%1 al
        MIX eax
%rotate 1
%endrep
%endmacro

%macro CMOVEACH 1-*
%assign n 1
%rep %0
        popfd
        pushfd
        mov ecx, n
        cmov%1 edi, ecx
        add edx, edi
%assign n n+1
%rotate 1
%endrep
%endmacro

%define ALL_CC o, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g

global k_cond
k_cond:
        PROLOGUE
        mov ebx, eax
        mov esi, 24
.loop:  mov eax, ebx
        RNG
        mov ebx, eax
        mov edx, eax
        ror edx, 16
        cmp ebx, edx
        pushfd
        SETEACH ALL_CC
        mov edi, 0
        CMOVEACH ALL_CC
        popfd
        MIX edi
        MIX edx
        ; sign, overflow and zero cases
        mov eax, 0x7FFFFFFF
        add eax, esi
        pushfd
        SETEACH ALL_CC
        popfd
        mov eax, esi
        sub eax, 12
        pushfd
        SETEACH ALL_CC
        popfd
        dec esi
        jnz .loop
        EPILOGUE

; ---- multiply and divide ----------------------------------------------------
global k_muldiv
k_muldiv:
        PROLOGUE
        mov ebx, eax
        or ebx, 1
        mov esi, 16
.loop:  ; MUL/IMUL one-operand, 32 bits: EDX:EAX
        mov eax, ebx
        mov ecx, ebx
        ror ecx, 11
        mul ecx
        MIXF F_CF | F_OF
        MIX eax
        MIX edx
        mov eax, ebx
        imul ecx
        MIXF F_CF | F_OF
        MIX eax
        MIX edx
        ; 16 and 8 bits
        mov eax, ebx
        mul cx
        MIXF F_CF | F_OF
        MIX eax
        MIX edx
        mov eax, ebx
        imul cl
        MIXF F_CF | F_OF
        MIX eax
        mov eax, ebx
        mul cl
        MIX eax
        ; two- and three-operand IMUL
        mov eax, ebx
        imul eax, ecx
        MIXF F_CF | F_OF
        MIX eax
        imul eax, ebx, -77
        MIXF F_CF | F_OF
        MIX eax
        imul eax, ebx, 100000
        MIX eax
        imul ax, cx
        MIXF F_CF | F_OF
        MIX eax
        mov [scratch], ecx
        imul eax, [scratch], 3
        MIX eax
        ; DIV/IDIV 32 bits with a divisor that avoids #DE
        mov eax, ebx
        mov edx, ebx
        shr edx, 20
        mov ecx, ebx
        shr ecx, 8
        or ecx, 0x10000000
        div ecx
        MIX eax
        MIX edx
        mov eax, ebx
        cdq
        mov ecx, ebx
        sar ecx, 12
        or ecx, 3
        idiv ecx
        MIX eax
        MIX edx
        ; 16 bits: DX:AX / r16
        mov eax, ebx
        mov edx, 0x0123
        mov ecx, 0x7FF3
        div cx
        MIX eax
        MIX edx
        mov eax, ebx
        cwd
        mov cx, -29
        idiv cx
        MIX eax
        MIX edx
        ; 8 bits: AX / r8
        mov eax, ebx
        and eax, 0x3FFF
        mov cl, 0xC5
        div cl
        MIX eax
        mov eax, ebx
        and eax, 0x0FFF
        neg ax
        mov cl, 107
        idiv cl
        MIX eax
        ; CDQ/CWDE/CBW
        mov eax, ebx
        cbw
        cwde
        MIX eax
        ror ebx, 7
        add ebx, 0x01234567
        dec esi
        jnz .loop
        EPILOGUE

; ---- LOOP/LOOPE/LOOPNE/JECXZ -------------------------------------------------
global k_loops
k_loops:
        PROLOGUE
        mov ebx, eax
        and ebx, 0xFF
        add ebx, 20
        ; LOOP counts down ECX
        mov ecx, ebx
        xor edx, edx
.l1:    add edx, ecx
        loop .l1
        MIX edx
        MIX ecx
        ; LOOPE stops at the first non-zero, LOOPNE at the first zero
        mov esi, xlat_table
        mov ecx, 200
        xor edi, edi
.l2:    mov al, [esi + edi]
        inc edi
        test al, 0x01
        loope .l2
        MIX ecx
        MIX edi
        mov ecx, 200
        xor edi, edi
.l3:    mov al, [esi + edi]
        inc edi
        cmp al, 0x3E
        loopne .l3
        MIX ecx
        MIX edi
        ; JECXZ skips a zero-trip loop
        xor ecx, ecx
        mov eax, 1
        jecxz .skip
        mov eax, 2
.skip:  MIX eax
        mov ecx, ebx
        mov eax, 0
.l4:    jecxz .l4done
        add eax, ecx
        dec ecx
        jmp .l4
.l4done:
        MIX eax
        EPILOGUE

; ---- arithmetic with carries, rotates, shifts, BCD ------------------------------
global k_arith
k_arith:
        PROLOGUE
        mov ebx, eax
        mov esi, 32
.loop:  ; 96-bit add and subtract through ADC/SBB chains
        mov eax, ebx
        mov edx, ebx
        not edx
        mov ecx, esi
        add eax, 0xF0000000
        adc edx, 0xFFFFFFFF
        adc ecx, 0
        MIXF F_ALL
        MIX eax
        MIX edx
        MIX ecx
        sub eax, ebx
        sbb edx, 0x12345678
        sbb ecx, 1
        MIXF F_ALL
        MIX eax
        MIX edx
        MIX ecx
        ; INC/DEC keep CF
        stc
        mov eax, 0x7FFFFFFF
        inc eax
        MIXF F_ALL
        dec eax
        MIXF F_ALL
        neg eax
        MIXF F_ALL
        not eax
        MIX eax
        ; shifts and rotates by CL (masked to 5 bits) and by 1
        mov eax, ebx
        mov ecx, esi
        add ecx, 3
        shl eax, cl
        MIXF F_CF | F_ZF | F_SF | F_PF
        MIX eax
        mov eax, ebx
        shr eax, cl
        MIXF F_CF | F_ZF | F_SF | F_PF
        MIX eax
        mov eax, ebx
        sar eax, cl
        MIXF F_CF | F_ZF | F_SF | F_PF
        MIX eax
        mov eax, ebx
        rol eax, cl
        MIXF F_CF
        MIX eax
        ror eax, cl
        MIXF F_CF
        MIX eax
        stc
        rcl eax, cl
        MIXF F_CF
        MIX eax
        rcr eax, cl
        MIXF F_CF
        MIX eax
        shl eax, 1
        MIXF F_ALL & ~F_AF
        sar eax, 1
        MIXF F_ALL & ~F_AF
        rcr eax, 1
        MIXF F_CF | F_OF
        MIX eax
        ; BCD: DAA/DAS/AAA/AAS/AAM/AAD (32-bit mode only)
        mov eax, ebx
        and eax, 0x0F0F
        mov al, 0x38
        add al, 0x47
        daa
        MIXF F_CF | F_AF | F_ZF | F_SF | F_PF
        MIX eax
        sub al, 0x29
        das
        MIXF F_CF | F_AF | F_ZF | F_SF | F_PF
        MIX eax
        mov eax, ebx
        and eax, 0x0707
        add al, 9
        aaa
        MIXF F_CF | F_AF
        MIX eax
        sub al, 8
        aas
        MIXF F_CF | F_AF
        MIX eax
        mov eax, ebx
        and eax, 0x7F
        aam
        MIXF F_ZF | F_SF | F_PF
        MIX eax
        aad
        MIXF F_ZF | F_SF | F_PF
        MIX eax
        aam 16
        MIX eax
        ror ebx, 5
        xor ebx, esi
        dec esi
        jnz .loop
        EPILOGUE

; no executable stack wanted (for the native link of compute_host, and tidy)
section .note.GNU-stack noalloc noexec nowrite progbits
