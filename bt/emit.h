/*
 * bt/emit.h - a byte emitter for the few host (x86-64) instructions the
 * translator writes itself.
 *
 * Every memory operand the translator emits uses 32-bit addressing (0x67),
 * so that guest addresses wrap at 4 GiB exactly as on the guest, and most
 * go through GS (0x65), whose base is the kernel view of guest memory.
 */
#ifndef BT_EMIT_H
#define BT_EMIT_H

#include <stdint.h>
#include <stdbool.h>
#include <string.h>

/* Host register numbers (r8..r15 need a REX bit). */
enum { H_RAX, H_RCX, H_RDX, H_RBX, H_RSP, H_RBP, H_RSI, H_RDI,
       H_R8, H_R9, H_R10, H_R11, H_R12, H_R13, H_R14, H_R15 };

struct emit {
    uint8_t *p;         /* next byte */
    uint8_t *end;       /* end of the buffer */
    bool overflow;
};

static inline void emit_byte(struct emit *e, uint8_t b)
{
    if (e->p < e->end)
        *e->p++ = b;
    else
        e->overflow = true;
}

static inline void emit_bytes(struct emit *e, const void *src, size_t n)
{
    if ((size_t)(e->end - e->p) < n) {
        e->overflow = true;
        return;
    }
    memcpy(e->p, src, n);
    e->p += n;
}

static inline void emit_u16(struct emit *e, uint16_t v) { emit_bytes(e, &v, 2); }
static inline void emit_u32(struct emit *e, uint32_t v) { emit_bytes(e, &v, 4); }
static inline void emit_u64(struct emit *e, uint64_t v) { emit_bytes(e, &v, 8); }

/* Flags for emit_mem(). */
#define EM_GS    0x01   /* GS segment override: guest memory */
#define EM_A32   0x02   /* 0x67: 32-bit address computation */
#define EM_O16   0x04   /* 0x66: 16-bit operand */
#define EM_W     0x08   /* REX.W: 64-bit operand */
#define EM_BYTE_REX 0x10 /* force a REX prefix (byte registers sil/dil/r8b...) */

/*
 * Emit `opcode reg, [base + index*scale + disp]`.
 * base or index may be -1 (none); reg is a register number or an opcode
 * extension (/digit).  Encodings follow Intel SDM vol. 2, 2.1 and 2.2.1.
 */
static inline void emit_mem(struct emit *e, unsigned fl, const uint8_t *op, int oplen,
                            int reg, int base, int index, int scale, int32_t disp)
{
    if (fl & EM_GS)
        emit_byte(e, 0x65);
    if (fl & EM_A32)
        emit_byte(e, 0x67);
    if (fl & EM_O16)
        emit_byte(e, 0x66);
    uint8_t rex = 0x40 | ((fl & EM_W) ? 8 : 0) | ((reg & 8) ? 4 : 0) |
                  ((index >= 0 && (index & 8)) ? 2 : 0) | ((base >= 0 && (base & 8)) ? 1 : 0);
    if (rex != 0x40 || (fl & EM_BYTE_REX))
        emit_byte(e, rex);
    emit_bytes(e, op, (size_t)oplen);
    int mod;
    if (base < 0)
        mod = 0;                                /* [index*s + disp32] via SIB */
    else if (disp == 0 && (base & 7) != 5)
        mod = 0;
    else if (disp >= -128 && disp <= 127)
        mod = 1;
    else
        mod = 2;
    int ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
    if (base >= 0 && index < 0 && (base & 7) != 4) {
        emit_byte(e, (uint8_t)((mod << 6) | ((reg & 7) << 3) | (base & 7)));
    } else {
        emit_byte(e, (uint8_t)((mod << 6) | ((reg & 7) << 3) | 4));
        emit_byte(e, (uint8_t)((ss << 6) | ((index < 0 ? 4 : index & 7) << 3) |
                               (base < 0 ? 5 : base & 7)));
    }
    if (base < 0 || mod == 2)
        emit_u32(e, (uint32_t)disp);
    else if (mod == 1)
        emit_byte(e, (uint8_t)(int8_t)disp);
}

/* `op r/m, reg` with a register r/m (mod = 11). */
static inline void emit_rr(struct emit *e, unsigned fl, uint8_t op, int reg, int rm)
{
    if (fl & EM_O16)
        emit_byte(e, 0x66);
    uint8_t rex = 0x40 | ((fl & EM_W) ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((rm & 8) ? 1 : 0);
    if (rex != 0x40 || (fl & EM_BYTE_REX))
        emit_byte(e, rex);
    emit_byte(e, op);
    emit_byte(e, (uint8_t)(0xC0 | ((reg & 7) << 3) | (rm & 7)));
}

/* jmp rel32 / jcc rel32 to an absolute host address; returns the address of
 * the rel32 field (for later patching). */
static inline uint8_t *emit_jmp(struct emit *e, const uint8_t *target)
{
    emit_byte(e, 0xE9);
    uint8_t *field = e->p;
    emit_u32(e, (uint32_t)(int32_t)(target - (e->p + 4)));
    return field;
}

static inline uint8_t *emit_jcc(struct emit *e, int cc, const uint8_t *target)
{
    emit_byte(e, 0x0F);
    emit_byte(e, (uint8_t)(0x80 | cc));
    uint8_t *field = e->p;
    emit_u32(e, (uint32_t)(int32_t)(target - (e->p + 4)));
    return field;
}

static inline void patch_rel32(uint8_t *field, const uint8_t *target)
{
    int32_t rel = (int32_t)(target - (field + 4));
    memcpy(field, &rel, 4);
}

/* Fields of struct vcpu reached through r15: `mov dword [r15+off], imm32`. */
static inline void emit_ctx_store_imm32(struct emit *e, int off, uint32_t imm)
{
    static const uint8_t op = 0xC7;
    emit_mem(e, 0, &op, 1, 0, H_R15, -1, 1, off);
    emit_u32(e, imm);
}

#endif
