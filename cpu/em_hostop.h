/*
 * cpu/em_hostop.h - arithmetic of emulated instructions carried out by the
 * host CPU (only the emulator's own files include it).
 *
 * The emulator moves operands between guest memory, device registers and
 * struct vcpu itself, but the operation and its flags come from the same
 * instruction executed on host registers: the guest's arithmetic flags are
 * loaded into RFLAGS (POPFQ), the register form of the instruction runs,
 * RFLAGS is read back (PUSHFQ).  So every flag the SDM defines is exact by
 * construction, and the flags it leaves undefined (SF/ZF/PF after MUL, OF
 * after a multi-bit shift, all of them after DIV, ...) are the host's: the
 * same values translated and directly executed guest code gets from the
 * same instruction, whichever way a given instruction happens to run.
 * The 32-bit register forms behave identically in 64-bit mode.
 *
 * The asm moves RSP below the red zone before it pushes, and uses register
 * operands only, so no compiler-owned stack slot is overwritten or
 * addressed relative to the moved RSP.
 */
#ifndef CPU_EM_HOSTOP_H
#define CPU_EM_HOSTOP_H

#include <stdint.h>

#define HOST_FLAGS_IN  "lea -128(%%rsp), %%rsp\n\tpush %[f]\n\tpopfq\n\t"
#define HOST_FLAGS_OUT "\n\tpushfq\n\tpop %[f]\n\tlea 128(%%rsp), %%rsp"

/* d = d OP s (ADD, CMP, TEST, BT, BSF, IMUL r,r/m, ...) for one width. */
typedef uint32_t host_op2(uint32_t d, uint32_t s, uint64_t *f);
/* d = OP d (NEG, INC, ...). */
typedef uint32_t host_op1(uint32_t d, uint64_t *f);
/* d = d SHIFT count (count in CL; s is the SHLD/SHRD source). */
typedef uint32_t host_shift(uint32_t d, uint32_t s, uint8_t count, uint64_t *f);
/* MUL, IMUL, DIV, IDIV r/m: EDX:EAX (or AX) with the operand s. */
typedef void host_acc(uint32_t *a, uint32_t *d, uint32_t s, uint64_t *f);

/* One width of each kind; T is the C type, W the AT&T suffix, C the
 * register constraint ("q" for byte registers). */
#define HOST_OP2_W(name, insn, T, W, C) \
    static uint32_t name(uint32_t d, uint32_t s, uint64_t *f) \
    { \
        T x = (T)d, y = (T)s; \
        __asm__(HOST_FLAGS_IN insn W " %[y], %[x]" HOST_FLAGS_OUT \
                : [x] "+" C(x), [f] "+r"(*f) : [y] C(y) : "cc"); \
        return x; \
    }
#define HOST_OP1_W(name, insn, T, W, C) \
    static uint32_t name(uint32_t d, uint64_t *f) \
    { \
        T x = (T)d; \
        __asm__(HOST_FLAGS_IN insn W " %[x]" HOST_FLAGS_OUT \
                : [x] "+" C(x), [f] "+r"(*f) : : "cc"); \
        return x; \
    }
#define HOST_SHIFT_W(name, insn, T, W, C) \
    static uint32_t name(uint32_t d, uint32_t s, uint8_t count, uint64_t *f) \
    { \
        T x = (T)d; \
        (void)s; \
        __asm__(HOST_FLAGS_IN insn W " %%cl, %[x]" HOST_FLAGS_OUT \
                : [x] "+" C(x), [f] "+r"(*f) : "c"(count) : "cc"); \
        return x; \
    }
#define HOST_DSHIFT_W(name, insn, T, W) \
    static uint32_t name(uint32_t d, uint32_t s, uint8_t count, uint64_t *f) \
    { \
        T x = (T)d, y = (T)s; \
        __asm__(HOST_FLAGS_IN insn W " %%cl, %[y], %[x]" HOST_FLAGS_OUT \
                : [x] "+r"(x), [f] "+r"(*f) : [y] "r"(y), "c"(count) : "cc"); \
        return x; \
    }
#define HOST_ACC_W(name, insn, T, W, C) \
    static void name(uint32_t *a, uint32_t *d, uint32_t s, uint64_t *f) \
    { \
        T y = (T)s; \
        __asm__(HOST_FLAGS_IN insn W " %[y]" HOST_FLAGS_OUT \
                : "+a"(*a), "+d"(*d), [f] "+r"(*f) : [y] C(y) : "cc"); \
    }

/* The three widths name_8, name_16, name_32 of one instruction. */
#define HOST_OP2(name, insn) \
    HOST_OP2_W(name##_8, insn, uint8_t, "b", "q") \
    HOST_OP2_W(name##_16, insn, uint16_t, "w", "r") \
    HOST_OP2_W(name##_32, insn, uint32_t, "l", "r")
/* 16 and 32 bits only (BT*, BSF, BSR, IMUL r, r/m); name_8 is NULL. */
#define HOST_OP2_WIDE(name, insn) \
    HOST_OP2_W(name##_16, insn, uint16_t, "w", "r") \
    HOST_OP2_W(name##_32, insn, uint32_t, "l", "r")
#define HOST_OP1(name, insn) \
    HOST_OP1_W(name##_8, insn, uint8_t, "b", "q") \
    HOST_OP1_W(name##_16, insn, uint16_t, "w", "r") \
    HOST_OP1_W(name##_32, insn, uint32_t, "l", "r")
#define HOST_SHIFT(name, insn) \
    HOST_SHIFT_W(name##_8, insn, uint8_t, "b", "q") \
    HOST_SHIFT_W(name##_16, insn, uint16_t, "w", "r") \
    HOST_SHIFT_W(name##_32, insn, uint32_t, "l", "r")
#define HOST_DSHIFT(name, insn) \
    HOST_DSHIFT_W(name##_16, insn, uint16_t, "w") \
    HOST_DSHIFT_W(name##_32, insn, uint32_t, "l")
#define HOST_ACC(name, insn) \
    HOST_ACC_W(name##_8, insn, uint8_t, "b", "q") \
    HOST_ACC_W(name##_16, insn, uint16_t, "w", "r") \
    HOST_ACC_W(name##_32, insn, uint32_t, "l", "r")

/* A table row's three widths, by operand size in bytes (width_index()). */
#define HOST_W3(name) { name##_8, name##_16, name##_32 }
#define HOST_W2(name) { NULL, name##_16, name##_32 }

/* Shared with the exchange and string groups: CMP (CMPXCHG, CMPS, SCAS)
 * and ADD (XADD), by host_width_index (em_alu.c). */
extern host_op2 *const em_host_cmp[3];
extern host_op2 *const em_host_add[3];

static inline int host_width_index(unsigned bytes)
{
    return bytes == 1 ? 0 : bytes == 2 ? 1 : 2;
}

#endif
