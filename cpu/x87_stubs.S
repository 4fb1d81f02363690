/*
 * cpu/x87_stubs.S - one host routine per x87 memory form (ESC opcode D8-DF
 * and ModRM.reg 0-7), for the emulator (cpu/em_x87.c):
 *
 *   void stub(void *mem, void *guest_fx, void *host_fx)
 *
 * saves the monitor's x87/SSE state in host_fx, loads the guest's FXSAVE
 * image guest_fx, runs the guest's instruction with its memory operand at
 * mem ([rdi]: ModRM mod 00, rm 111), saves the guest's state back into
 * guest_fx and restores the monitor's.  The four environment forms
 * (FLDENV, FNSTENV, FRSTOR, FNSAVE) also come with an operand-size prefix
 * (x87_stubs16: the 16-bit formats); the register forms come below.  No instruction after the guest's
 * waits for a pending x87 exception, so one that it leaves pending stays
 * in the image for the guest's next x87 instruction, as on hardware.
 */
    .text

.macro X87STUB name, o16, op, reg
    .p2align 4
\name:
    fxsave64 (%rdx)
    fxrstor64 (%rsi)
    .if \o16
    .byte 0x66
    .endif
    .byte 0x\op, (\reg << 3) | 7
    fxsave64 (%rsi)
    fxrstor64 (%rdx)
    ret
.endm

.irp op, d8, d9, da, db, dc, dd, de, df
.irp reg, 0, 1, 2, 3, 4, 5, 6, 7
    X87STUB x87_stub_\op\()_\reg, 0, \op, \reg
.endr
.endr
X87STUB x87_stub16_d9_4, 1, d9, 4
X87STUB x87_stub16_d9_6, 1, d9, 6
X87STUB x87_stub16_dd_4, 1, dd, 4
X87STUB x87_stub16_dd_6, 1, dd, 6

    .section .data.rel.ro, "aw"
    .p2align 3
    .globl x87_stubs
x87_stubs:
.irp op, d8, d9, da, db, dc, dd, de, df
.irp reg, 0, 1, 2, 3, 4, 5, 6, 7
    .quad x87_stub_\op\()_\reg
.endr
.endr
    .globl x87_stubs16
x87_stubs16:
    .quad x87_stub16_d9_4, x87_stub16_d9_6, x87_stub16_dd_4, x87_stub16_dd_6

/*
 * The register and no-operand forms (ESC opcode D8-DF with ModRM.mod 3):
 * 512 routines of X87_REG_STUB bytes each, for opcode byte 0xD8 + n / 64
 * and ModRM byte 0xC0 + n % 64, at x87_reg_stubs + n * X87_REG_STUB:
 *
 *   void stub(void *guest_fx, void *host_fx, uint64_t flags, uint64_t out[2])
 *
 * as above, with the guest's arithmetic flags loaded into RFLAGS first
 * (FCMOVcc reads them, FCOMI and FUCOMI write them): out[0] is RFLAGS and
 * out[1] EAX afterwards (FNSTSW AX).  The emulator calls only the forms
 * its table allows (cpu/em_x87.c), never a reserved encoding.
 */
    .text
    .p2align 5
    .globl x87_reg_stubs
x87_reg_stubs:
    .set n, 0
    .rept 512
    .p2align 5
1:
    fxsave64 (%rsi)
    fxrstor64 (%rdi)
    push %rdx
    popfq
    .byte 0xD8 + (n >> 6), 0xC0 + (n & 63)
    pushfq
    popq (%rcx)
    movl %eax, 8(%rcx)
    fxsave64 (%rdi)
    fxrstor64 (%rsi)
    ret
    .if . - 1b > 32
    .error "x87 register stub longer than 32 bytes"
    .endif
    .set n, n + 1
    .endr

    .section .note.GNU-stack, "", @progbits
