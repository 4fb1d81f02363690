/*
 * cpu/simd_stubs.S - the host routines behind the emulator's MMX/SSE
 * instructions (cpu/em_simd.c): one stub per row of cpu/simd_forms.h,
 * form (register, memory) and immediate, and simd_host_run, which runs a
 * stub on an FXSAVE image of the emulator's making.  The contract is in
 * cpu/simd_forms.h.  Each stub is the guest's own encoding with its
 * operands moved to fixed places (XMM0/MM0/EAX, XMM1/MM1/ECX, [RDI]);
 * without a REX prefix these mean in 64-bit mode what they mean in 32-bit
 * and 16-bit code (SDM vol. 2A, 2.2.1: REX extends them, nothing else
 * changes), so the host computes what the modelled processor would.
 */
#include "cpu/simd_forms.h"

/* One stub: [pfx] 0F op ModRM [imm8] ret, SIMD_STUB_BYTES long. */
.macro SIMD_STUB pfx, op, modrm, immkind, immval
    .p2align 3
9:
    .if \pfx
    .byte \pfx
    .endif
    .byte 0x0F, \op, \modrm
    .if \immkind
    .byte \immval
    .endif
    ret
    .if . - 9b > SIMD_STUB_BYTES
    .error "SIMD stub longer than SIMD_STUB_BYTES"
    .endif
.endm

/* The stubs of one form: one per immediate the row can have. */
.macro SIMD_BLOCK pfx, op, modrm, immkind
    .if \immkind == SF_IMM8
    .set simd_imm, 0
    .rept 256
    SIMD_STUB \pfx, \op, \modrm, \immkind, simd_imm
    .set simd_imm, simd_imm + 1
    .endr
    .elseif \immkind == SF_PRED
    .set simd_imm, 0
    .rept 8
    SIMD_STUB \pfx, \op, \modrm, \immkind, simd_imm
    .set simd_imm, simd_imm + 1
    .endr
    .else
    SIMD_STUB \pfx, \op, \modrm, 0, 0
    .endif
.endm

/* A row: its stub blocks in .text, their addresses in simd_stubs. */
.macro SIMD_ROW pfx, op, digit, imm, forms, flags
    .if \digit == SF_R
    .set simd_reg, 0
    .else
    .set simd_reg, \digit
    .endif
    .set simd_modrm_r, 0xC1 | (simd_reg << 3)      /* mod 3, rm 1 */
    .set simd_modrm_m, 0x07 | (simd_reg << 3)      /* mod 0, rm 7: [rdi] */
    .p2align 3
.Lsimd_r\@:
    .if \forms & SF_REG
    SIMD_BLOCK \pfx, \op, simd_modrm_r, \imm
    .endif
    .p2align 3
.Lsimd_m\@:
    .if \forms & SF_MEM
    SIMD_BLOCK \pfx, \op, simd_modrm_m, \imm
    .endif
    .pushsection .data.rel.ro.simd_stubs, "aw"
    .if \forms & SF_REG
    .quad .Lsimd_r\@
    .else
    .quad 0
    .endif
    .if \forms & SF_MEM
    .quad .Lsimd_m\@
    .else
    .quad 0
    .endif
    .popsection
.endm

    .pushsection .data.rel.ro.simd_stubs, "aw"
    .p2align 3
    .globl simd_stubs
simd_stubs:
    .popsection

    .text
#define SIMD_X(pfx, op, digit, imm, forms, flags) SIMD_ROW pfx, op, digit, imm, forms, flags;
SIMD_FORMS(SIMD_X)

/*
 * void simd_host_run(const uint8_t *stub, struct simd_io *io)
 * RBX (callee-saved) holds io throughout.  Only the arithmetic flags come
 * from io (the caller masks them), so DF is clear and AC is clear as the
 * ABI and the monitor need.
 */
    .text
    .p2align 4
    .globl simd_host_run
simd_host_run:
    push %rbx
    mov %rsi, %rbx
    mov %rdi, %r11
    fxsave64 SIMD_IO_HOST(%rbx)
    fxrstor64 SIMD_IO_FX(%rbx)
    mov SIMD_IO_RAX(%rbx), %rax
    mov SIMD_IO_RCX(%rbx), %rcx
    lea SIMD_IO_MEM(%rbx), %rdi
    pushq SIMD_IO_FLAGS(%rbx)
    popfq
    call *%r11
    pushfq
    popq SIMD_IO_FLAGS(%rbx)
    mov %rax, SIMD_IO_RAX(%rbx)
    mov %rcx, SIMD_IO_RCX(%rbx)
    fxsave64 SIMD_IO_FX(%rbx)
    fxrstor64 SIMD_IO_HOST(%rbx)
    pop %rbx
    ret

    .section .note.GNU-stack, "", @progbits
