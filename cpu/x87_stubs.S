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
 * (x87_stubs16: the 16-bit formats).  No instruction after the guest's
 * waits for a pending x87 exception, so one that it leaves pending stays
 * in the image for the guest's next x87 instruction, as on hardware.
 *
 * The register forms (ModRM mod 11: FNINIT, FLD ST(i), FADD ST, ST(i),
 * FCOMI...) have one routine each, 32 bytes apart from x87_reg_stubs, at
 * index (opcode - 0xD8) * 64 + (ModRM & 0x3F):
 *
 *   uint64_t stub(uint64_t flags, void *guest_fx, void *host_fx)
 *
 * runs the instruction the same way with the arithmetic flags `flags`
 * loaded (FCMOVcc reads them) and returns RFLAGS after it (FCOMI and
 * FUCOMI write ZF, PF and CF).  FNSTSW AX (DF E0) must not run here: its
 * AX would be the host's.
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

.macro X87REG op, modrm
0:
    fxsave64 (%rdx)
    fxrstor64 (%rsi)
    push %rdi
    popfq
    .byte 0x\op, \modrm
    pushfq
    pop %rax
    fxsave64 (%rsi)
    fxrstor64 (%rdx)
    ret
    .org 0b + 32            /* exactly 32 bytes: an error if the code is longer */
.endm

    .p2align 5
    .globl x87_reg_stubs
x87_reg_stubs:
.irp op, d8, d9, da, db, dc, dd, de, df
    modrm = 0xC0
    .rept 64
    X87REG \op, modrm
    modrm = modrm + 1
    .endr
.endr

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

    .section .note.GNU-stack, "", @progbits
