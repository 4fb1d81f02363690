/*
 * monitor/gdb_regs.c - the guest's registers as gdb numbers them, and the
 * target description that tells gdb so.
 *
 * gdb's i386 target wants the feature org.gnu.gdb.i386.core with all 32
 * "core" registers: the 16 integer ones (eax..edi, eip, eflags, cs ss ds es
 * fs gs) and the 16 x87 ones (st0..st7, fctrl..fop); we add
 * org.gnu.gdb.i386.sse (xmm0..xmm7, mxcsr).  The x87/SSE values come from the
 * guest's FXSAVE image (vcpu->fx_guest, Intel SDM vol. 1, 10.5.1: FCW at 0,
 * FSW 2, abridged FTW 4, FOP 6, FIP 8, FCS 12, FDP 16, FDS 20, MXCSR 24,
 * ST0..7 at 32 + 16i, XMM0..7 at 160 + 16i).  Register order and sizes
 * follow gdb's features/i386/32bit-core.xml and 32bit-sse.xml, so the g
 * packet is 308 bytes.
 */
#include <stdio.h>
#include <string.h>
#include "monitor/gdb_internal.h"
#include "monitor/vm.h"
#include "cpu/segments.h"

enum reg_kind { K_GPR, K_EIP, K_EFLAGS, K_SEG, K_FX, K_FTAG };

struct reg_desc {
    const char *name;
    const char *type;
    const char *group;          /* NULL: gdb's default */
    unsigned size;              /* bytes in the g packet */
    enum reg_kind kind;
    unsigned arg;               /* gpr index, segment, or FXSAVE offset */
    unsigned fxlen;             /* bytes in the FXSAVE image (K_FX) */
};

#define GPR(n, t, i)  { n, t, NULL, 4, K_GPR, i, 0 }
#define SEG(n, s)     { n, "int32", NULL, 4, K_SEG, s, 0 }
#define FX(n, t, g, size, off, len) { n, t, g, size, K_FX, off, len }
#define ST(i)         FX("st" #i, "i387_ext", NULL, 10, 32 + 16 * (i), 10)
#define XMM(i)        FX("xmm" #i, "vec128", NULL, 16, 160 + 16 * (i), 16)

static const struct reg_desc regs[GDB_NREGS] = {
    GPR("eax", "int32", R_EAX), GPR("ecx", "int32", R_ECX),
    GPR("edx", "int32", R_EDX), GPR("ebx", "int32", R_EBX),
    GPR("esp", "data_ptr", R_ESP), GPR("ebp", "data_ptr", R_EBP),
    GPR("esi", "int32", R_ESI), GPR("edi", "int32", R_EDI),
    { "eip", "code_ptr", NULL, 4, K_EIP, 0, 0 },
    { "eflags", "i386_eflags", NULL, 4, K_EFLAGS, 0, 0 },
    SEG("cs", S_CS), SEG("ss", S_SS), SEG("ds", S_DS),
    SEG("es", S_ES), SEG("fs", S_FS), SEG("gs", S_GS),
    ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),
    FX("fctrl", "int", "float", 4, 0, 2), FX("fstat", "int", "float", 4, 2, 2),
    { "ftag", "int", "float", 4, K_FTAG, 0, 0 },
    FX("fiseg", "int", "float", 4, 12, 2), FX("fioff", "int", "float", 4, 8, 4),
    FX("foseg", "int", "float", 4, 20, 2), FX("fooff", "int", "float", 4, 16, 4),
    FX("fop", "int", "float", 4, 6, 2),
    XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
    FX("mxcsr", "i386_mxcsr", "vector", 4, 24, 4),
};

int gdb_reg_size(int n)
{
    return n >= 0 && n < GDB_NREGS ? (int)regs[n].size : 0;
}

/* The full x87 tag word from FXSAVE's abridged one (SDM vol. 1, 10.5.1.1):
 * 11 empty; else 10 special (NaN, infinity, denormal, unnormal), 01 zero,
 * 00 valid, judged from the register's exponent and integer bit. */
static uint16_t full_tag(const uint8_t *fx)
{
    unsigned top = (unsigned)(fx[3] >> 3) & 7;     /* FSW bits 11..13 */
    uint16_t tag = 0;
    for (unsigned phys = 0; phys < 8; phys++) {
        unsigned t = 3;
        if (fx[4] & (1u << phys)) {
            const uint8_t *r = fx + 32 + 16 * ((phys - top) & 7);
            uint16_t exp = (uint16_t)((r[9] & 0x7F) << 8 | r[8]);
            uint64_t mant;
            memcpy(&mant, r, 8);
            if (exp == 0x7FFF)
                t = 2;
            else if (exp == 0)
                t = mant ? 2 : 1;
            else
                t = (mant >> 63) ? 0 : 2;
        }
        tag |= (uint16_t)(t << (2 * phys));
    }
    return tag;
}

int gdb_reg_read(struct vm *vm, int n, uint8_t *buf)
{
    if (n < 0 || n >= GDB_NREGS)
        return -1;
    const struct reg_desc *d = &regs[n];
    struct vcpu *c = &vm->cpu;
    uint32_t v = 0;
    memset(buf, 0, d->size);
    switch (d->kind) {
    case K_GPR:    v = c->gpr[d->arg]; break;
    case K_EIP:    v = c->eip; break;
    case K_EFLAGS: v = vcpu_get_eflags(c); break;
    case K_SEG:    v = c->seg[d->arg].sel; break;
    case K_FTAG:   v = full_tag(c->fx_guest); break;
    case K_FX:
        memcpy(buf, c->fx_guest + d->arg, d->fxlen);
        if (n == 31)                /* fop: 11 bits */
            buf[1] &= 7;
        return (int)d->size;
    }
    memcpy(buf, &v, 4);             /* target order: little endian, as the host */
    return (int)d->size;
}

/* A selector write from the debugger loads the segment with the checks of
 * MOV Sreg; CS cannot be loaded that way (a far jump would be needed). */
static int write_seg(struct vcpu *c, int s, uint16_t sel)
{
    if (c->seg[s].sel == sel)
        return 0;
    if (s == S_CS)
        return -1;
    int vec;
    uint32_t err;
    return seg_load_data(c, s, sel, &vec, &err) == 0 ? 0 : -1;
}

int gdb_reg_write(struct vm *vm, int n, const uint8_t *buf)
{
    if (n < 0 || n >= GDB_NREGS)
        return -1;
    const struct reg_desc *d = &regs[n];
    struct vcpu *c = &vm->cpu;
    uint32_t v;
    memcpy(&v, buf, 4);
    switch (d->kind) {
    case K_GPR:    c->gpr[d->arg] = v; return 0;
    case K_EIP:    c->eip = v; return 0;
    case K_EFLAGS: vcpu_set_eflags(c, (v & FL_WRITABLE) | FL_FIXED); return 0;
    case K_SEG:    return v > 0xFFFF ? -1 : write_seg(c, (int)d->arg, (uint16_t)v);
    case K_FTAG: {
        uint8_t abridged = 0;       /* valid, zero or special: "not empty" */
        for (unsigned phys = 0; phys < 8; phys++)
            if (((v >> (2 * phys)) & 3) != 3)
                abridged |= (uint8_t)(1u << phys);
        c->fx_guest[4] = abridged;
        return 0;
    }
    case K_FX:
        memcpy(c->fx_guest + d->arg, buf, d->fxlen);
        return 0;
    }
    return -1;
}

/* Flag and vector types as gdb's own 32bit-core.xml / 32bit-sse.xml. */
static const char xml_head[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "<architecture>i386</architecture>\n"
    "<feature name=\"org.gnu.gdb.i386.core\">\n"
    "<flags id=\"i386_eflags\" size=\"4\">\n"
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>\n"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>\n"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>\n"
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>\n"
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>\n"
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>\n"
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>\n"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
    "<field name=\"ID\" start=\"21\" end=\"21\"/>\n"
    "</flags>\n";

static const char xml_sse_types[] =
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
    "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
    "<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
    "<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>"
    "<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/></union>\n"
    "<flags id=\"i386_mxcsr\" size=\"4\">\n"
    "<field name=\"IE\" start=\"0\" end=\"0\"/><field name=\"DE\" start=\"1\" end=\"1\"/>\n"
    "<field name=\"ZE\" start=\"2\" end=\"2\"/><field name=\"OE\" start=\"3\" end=\"3\"/>\n"
    "<field name=\"UE\" start=\"4\" end=\"4\"/><field name=\"PE\" start=\"5\" end=\"5\"/>\n"
    "<field name=\"DAZ\" start=\"6\" end=\"6\"/><field name=\"IM\" start=\"7\" end=\"7\"/>\n"
    "<field name=\"DM\" start=\"8\" end=\"8\"/><field name=\"ZM\" start=\"9\" end=\"9\"/>\n"
    "<field name=\"OM\" start=\"10\" end=\"10\"/><field name=\"UM\" start=\"11\" end=\"11\"/>\n"
    "<field name=\"PM\" start=\"12\" end=\"12\"/><field name=\"FZ\" start=\"15\" end=\"15\"/>\n"
    "</flags>\n";

static size_t add_regs(char *buf, size_t max, size_t o, int from, int to)
{
    for (int n = from; n < to && o < max; n++) {
        const struct reg_desc *d = &regs[n];
        int k = snprintf(buf + o, max - o, "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%d\"%s%s%s/>\n",
                         d->name, d->size * 8, d->type, n, d->group ? " group=\"" : "",
                         d->group ? d->group : "", d->group ? "\"" : "");
        o += (size_t)k;
    }
    return o;
}

const char *gdb_target_xml(void)
{
    /* Built once from regs[]: constant text, no guest state. */
    static char xml[8192];
    if (xml[0])
        return xml;
    size_t o = (size_t)snprintf(xml, sizeof xml, "%s", xml_head);
    o = add_regs(xml, sizeof xml, o, 0, 32);
    o += (size_t)snprintf(xml + o, sizeof xml - o, "</feature>\n<feature name=\"org.gnu.gdb.i386.sse\">\n%s",
                          xml_sse_types);
    o = add_regs(xml, sizeof xml, o, 32, GDB_NREGS);
    snprintf(xml + o, sizeof xml - o, "</feature>\n</target>\n");
    return xml;
}
