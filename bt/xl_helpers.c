/*
 * bt/xl_helpers.c - emitting the host instructions every translation class
 * shares: guest memory operands (through GS at CPL 0, with segment bases
 * added by LEA), stack slots, exits to the monitor, exit stubs and the
 * flag-preserving indirect-branch lookup.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "bt/xlat.h"
#include "cpu/emulate.h"

/* ---- helpers ----------------------------------------------------------- */

int gpr_id(ZydisRegister r)
{
    return r == ZYDIS_REGISTER_NONE ? -1 : ZydisRegisterGetId(r);
}

int seg_index(ZydisRegister r)
{
    switch (r) {
    case ZYDIS_REGISTER_ES: return S_ES;
    case ZYDIS_REGISTER_CS: return S_CS;
    case ZYDIS_REGISTER_SS: return S_SS;
    case ZYDIS_REGISTER_FS: return S_FS;
    case ZYDIS_REGISTER_GS: return S_GS;
    default: return S_DS;
    }
}

/* Can accesses through this segment skip adding its base?  ES, SS, DS and
 * CS with base 0 can (bt_segment_key guards the assumption); FS and GS,
 * whose bases change at every guest context switch and are not part of
 * the key, and any segment with a base, cannot. */
bool seg_is_static(const struct vcpu *c, int s)
{
    return s != S_FS && s != S_GS && c->seg[s].base == 0;
}

bool seg_needs_base(const struct xlat *x, int s)
{
    return x->t16 || !seg_is_static(x->c, s);
}

/* Prefixes of every guest memory access: a 32-bit address, so that guest
 * addresses wrap at 4 GiB as on the guest; and GS, whose base is the
 * kernel view, at CPL 0.  CPL-3 code addresses the user view, which is
 * host [0, 4 GiB) itself, with no segment: GS then need not change when
 * the guest moves between its kernel and its user code. */
unsigned guest_mem_fl(const struct xlat *x)
{
    return EM_A32 | (x->user ? 0 : EM_GS);
}

/* Offset of the guest base of segment s in struct vcpu, for [r15 + off]. */
static int32_t seg_base_off(int s)
{
    return (int32_t)(offsetof(struct vcpu, seg) + (size_t)s * sizeof(struct seg) +
                     offsetof(struct seg, base));
}

/* With RCX kept in r10: `test` leaves in ECX zero when the access may
 * go on; otherwise `beyond` runs (entered with RCX restored).  JRCXZ
 * decides, so no flag changes. */
static void emit_unless_ecx_zero(struct xlat *x, const uint8_t *test, size_t n,
                                 void (*beyond)(struct xlat *))
{
    struct emit *e = &x->e;
    static const uint8_t save[] = { 0x49, 0x89, 0xCA };     /* mov r10, rcx */
    static const uint8_t restore[] = { 0x4C, 0x89, 0xD1 };  /* mov rcx, r10 */
    emit_bytes(e, save, sizeof save);
    emit_bytes(e, test, n);
    emit_byte(e, 0xE3);                                     /* jrcxz fits (patched below) */
    emit_byte(e, 0);
    uint8_t *rel = e->p - 1;
    emit_bytes(e, restore, sizeof restore);
    beyond(x);
    if (!e->overflow)
        *rel = (uint8_t)(e->p - (rel + 1));
    emit_bytes(e, restore, sizeof restore);                 /* fits: */
}

/*
 * Does the 32-bit value in `reg` (r8 or r11) fit in 16 bits?  ECX = value
 * - (value & 0xFFFF), zero exactly when it does.
 */
void emit_if_beyond_16(struct xlat *x, int reg, void (*beyond)(struct xlat *))
{
    const uint8_t test[] = {
        0x41, 0x0F, 0xB7, (uint8_t)(0xC8 | (reg & 7)),      /* movzx ecx, regw */
        0xF7, 0xD1,                                         /* not ecx */
        0x41, 0x8D, 0x4C, (uint8_t)(0x08 | (reg & 7)), 0x01, /* lea ecx, [reg + rcx + 1] */
    };
    emit_unless_ecx_zero(x, test, sizeof test, beyond);
}

/*
 * An access of `size` bytes at the 16-bit offset in r11d ends within 64
 * KiB?  Its last byte's offset is at most 0xFFFF + 15, so bit 16 says: ECX
 * = bits 16-23 of (r11d + size - 1), through BSWAP and the CH register.
 */
static void emit_if_end_beyond_64k(struct xlat *x, unsigned size, void (*beyond)(struct xlat *))
{
    const uint8_t test[] = {
        0x41, 0x8D, 0x4B, (uint8_t)(size - 1),              /* lea ecx, [r11 + size - 1] */
        0x0F, 0xC9,                                         /* bswap ecx */
        0x0F, 0xB6, 0xCD,                                   /* movzx ecx, ch */
    };
    emit_unless_ecx_zero(x, test, sizeof test, beyond);
}

/* Leave for the emulator at this instruction, which has done nothing yet. */
void emit_exit_emulate(struct xlat *x)
{
    emit_exit(x, x->eip, EXIT_EMULATE);
}

/*
 * r11d := the linear address of a memory operand [base + index*scale +
 * disp] through segment s: the offset, cut to 16 bits for a 16-bit address
 * size, plus the segment's base unless it is static, all modulo 4 GiB as the
 * processor computes it (LEA with a 32-bit address size wraps; no flags
 * change).  Uses r10 and r11.
 *
 * FS and GS are not part of the translation key, so their limits are
 * checked at run time: the access first reads one byte of
 * vcpu->seglimit_guard[], a page that the run loop makes unreadable while
 * that segment has a limit; the fault sends this one instruction to the
 * emulator, which checks it (only for instructions the emulator knows;
 * others go unchecked).
 */
void emit_linear_r11(struct xlat *x, int s, int base, int index, int scale, int32_t disp,
                     bool addr16, unsigned size)
{
    static const uint8_t mov = 0x8B, movb = 0x8A, lea = 0x8D;
    bool limit64k = x->t16 && seg_limit_class(&x->c->seg[s]) == LIM_64K;
    if ((s == S_FS || s == S_GS) && !x->t16 && emulate_supports(x->ins.mnemonic)) {
        emit_mem(&x->e, EM_W, &mov, 1, H_R11, H_R15, -1, 1,
                 VCPU_OFF_SEGLIMIT + (s == S_GS ? 8 : 0));       /* mov r11, [r15+guard] */
        emit_mem(&x->e, 0, &movb, 1, H_R11, H_R11, -1, 1, 0);    /* mov r11b, [r11] */
    }
    emit_mem(&x->e, EM_A32, &lea, 1, H_R11, base, index, scale, disp);
    if (addr16) {
        static const uint8_t movzx[] = { 0x45, 0x0F, 0xB7, 0xDB };  /* movzx r11d, r11w */
        emit_bytes(&x->e, movzx, sizeof movzx);
    } else if (limit64k) {
        /* 16-bit code with a 32-bit address through a 64 KiB segment (GCC
         * -m16 code addresses its stack as [ESP+n]): an offset beyond
         * 0xFFFF is #GP(0) or #SS(0), raised by the emulator before the
         * instruction has done anything. */
        emit_if_beyond_16(x, H_R11, emit_exit_emulate);
    }
    /* So is an access that starts within the limit and ends beyond it (a
     * word at offset 0xFFFF). */
    if (limit64k && size > 1)
        emit_if_end_beyond_64k(x, size < 128 ? size : 128, emit_exit_emulate);
    if (seg_needs_base(x, s)) {
        emit_mem(&x->e, 0, &mov, 1, H_R10, H_R15, -1, 1, seg_base_off(s));  /* mov r10d, base */
        emit_mem(&x->e, EM_A32, &lea, 1, H_R11, H_R11, H_R10, 1, 0);       /* lea r11d, [r11+r10] */
    }
}

/* The (first) explicit memory operand of the instruction, or NULL. */
const ZydisDecodedOperand *mem_operand(const struct xlat *x)
{
    for (int i = 0; i < x->ins.operand_count; i++)
        if (x->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
            x->ops[i].visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT)
            return &x->ops[i];
    return NULL;
}

/*
 * Emit `op reg, <the guest's memory operand>`, with disp_adj added to the
 * displacement (POP m32 addresses memory after ESP moved).  A flat
 * segment and a 32-bit address keep the guest's own addressing form;
 * otherwise the linear address is computed into r11 first (r10 and r11
 * are clobbered).
 */
void emit_guest_mem(struct xlat *x, const ZydisDecodedOperand *m, unsigned fl,
                    const uint8_t *op, int oplen, int reg, int32_t disp_adj)
{
    int base = gpr_id(m->mem.base), index = gpr_id(m->mem.index);
    int scale = m->mem.scale ? m->mem.scale : 1, s = seg_index(m->mem.segment);
    int32_t disp = (int32_t)m->mem.disp.value + disp_adj;
    if (!seg_needs_base(x, s) && x->ins.address_width != 16) {
        emit_mem(&x->e, fl | guest_mem_fl(x), op, oplen, reg, base, index, scale, disp);
        return;
    }
    emit_linear_r11(x, s, base, index, scale, disp, x->ins.address_width == 16, m->size / 8u);
    emit_mem(&x->e, fl | guest_mem_fl(x), op, oplen, reg, H_R11, -1, 1, 0);
}

/* mov r8d/r8w, <guest memory operand> */
void emit_load_guest_mem_r8(struct xlat *x, const ZydisDecodedOperand *m, int width)
{
    static const uint8_t mov = 0x8B;
    emit_guest_mem(x, m, width == 16 ? EM_O16 : 0, &mov, 1, H_R8, 0);
}

/* mov [esp + disp], reg  (width 16 or 32) */
void emit_store_stack(struct xlat *x, int width, int reg, int32_t disp)
{
    static const uint8_t mov = 0x89;
    emit_mem(&x->e, guest_mem_fl(x) | (width == 16 ? EM_O16 : 0), &mov, 1, reg, H_RSP, -1, 1, disp);
}

void emit_load_stack(struct xlat *x, int width, int reg, int32_t disp)
{
    static const uint8_t mov = 0x8B;
    emit_mem(&x->e, guest_mem_fl(x) | (width == 16 ? EM_O16 : 0), &mov, 1, reg, H_RSP, -1, 1, disp);
}

/* lea r32, [base + disp]: moves a pointer without touching the flags. */
void emit_lea(struct emit *e, int reg, int base, int32_t disp)
{
    static const uint8_t lea = 0x8D;
    emit_mem(e, EM_A32, &lea, 1, reg, base, -1, 1, disp);
}

void emit_exit(struct xlat *x, uint32_t eip, enum bt_exit why)
{
    emit_ctx_store_imm32(&x->e, VCPU_OFF_EIP, eip);
    emit_ctx_store_imm32(&x->e, VCPU_OFF_REASON, why);
    emit_jmp(&x->e, x->tc->exit_tramp);
}

/* A direct branch to guest eip `target`: a jump to an exit stub for now. */
void add_stub(struct xlat *x, uint8_t *site, uint32_t target)
{
    x->stubs[x->nstubs].site = site;
    x->stubs[x->nstubs].target = target;
    x->nstubs++;
}

void emit_goto(struct xlat *x, uint32_t target)
{
    add_stub(x, emit_jmp(&x->e, x->e.p), target);
}

/*
 * Indirect branch to the guest EIP in r8d through the lookup table, without
 * touching the guest's flags.  The key is the EIP plus key_hi (16-bit code
 * puts its CS selector in the high half, bt/xl_16.c); the slot is
 * tc_lookup_slot(key) (bt/tc.h, computed with mov, bswap, lea and movzx,
 * none of which write flags); the key compare is done as ecx = entry's key
 * + ~key + 1 with LEA and tested with JRCXZ.  A miss leaves through
 * tc->miss_stub with r8d = the EIP.
 */
void emit_indirect_keyed(struct xlat *x, uint32_t key_hi)
{
    struct emit *e = &x->e;
    /* A single step must not run on into the target's translation: the
     * miss path hands the target to the run loop. */
    if (x->single) {
        emit_jmp(e, x->tc->miss_stub);
        return;
    }
    static const uint8_t lea = 0x8D, mov = 0x8B;
    emit_mem(e, 0, &lea, 1, H_R9, H_R8, -1, 1, (int32_t)key_hi);      /* lea r9d, [r8 + key_hi] */
    static const uint8_t slot[] = {
        0x45, 0x89, 0xCB,                   /* mov r11d, r9d */
        0x41, 0x0F, 0xCB,                   /* bswap r11d */
        0x47, 0x8D, 0x1C, 0x19,             /* lea r11d, [r9 + r11] */
        0x45, 0x0F, 0xB7, 0xDB,             /* movzx r11d, r11w */
        0x49, 0x89, 0xCA,                   /* mov r10, rcx */
        0x41, 0xF7, 0xD1,                   /* not r9d */
    };
    emit_bytes(e, slot, sizeof slot);
    emit_mem(e, 0, &mov, 1, H_RCX, H_R14, H_R11, 4, 0);                /* mov ecx, [r14 + r11*4] */
    static const uint8_t cmp[] = {
        0x42, 0x8D, 0x4C, 0x09, 0x01,       /* lea ecx, [rcx + r9 + 1] */
        0xE3, 0x08,                         /* jrcxz hit (over the next 8 bytes) */
        0x4C, 0x89, 0xD1,                   /* mov rcx, r10 */
    };
    emit_bytes(e, cmp, sizeof cmp);
    emit_jmp(e, x->tc->miss_stub);          /* 5 bytes: miss (r8d = EIP) */
    static const uint8_t hit[] = {
        0x4C, 0x89, 0xD1,                   /* hit: mov rcx, r10 */
        0x43, 0xFF, 0xA4, 0xDE,             /* jmp [r14 + r11*8 + TC_LOOKUP_CODE_OFF] */
    };
    emit_bytes(e, hit, sizeof hit);
    emit_u32(e, TC_LOOKUP_CODE_OFF);
}

void emit_indirect(struct xlat *x)
{
    emit_indirect_keyed(x, 0);
}
