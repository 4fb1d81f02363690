/*
 * monitor/gdb_watch.c - breakpoints and watchpoints of the gdb stub.
 *
 * Breakpoints never touch guest memory: the translator asks
 * gdb_breakpoint_at() for each instruction it translates and ends the TU
 * before a breakpoint.  So translations made before a change of the
 * breakpoint set are stale; gdb removes all breakpoints at each stop and
 * inserts them again at each resume, so instead of flushing on every Z/z the
 * translation cache is flushed when the guest resumes with a set of
 * addresses different from the one it was translated with.
 *
 * Watchpoints (the run loop single-steps while one is set):
 *   write (Z2)  the watched bytes changed since the last instruction;
 *   read (Z3)   the instruction about to run reads them: its memory operands
 *               (explicit and implicit, e.g. POP's [ESP], MOVS's [ESI]) are
 *               decoded with Zydis and their linear addresses computed from
 *               the registers before it runs;
 *   access (Z4) either of the above.
 * A REP string instruction is decoded for its first element only; an
 * interrupt delivered between two steps can hide a read by its handler.
 */
#include <string.h>
#include <Zydis/Zydis.h>
#include "monitor/gdb_internal.h"
#include "monitor/gdbstub.h"
#include "monitor/vm.h"
#include "bt/bt.h"
#include "shadow_mmu/mmu.h"

static bool parse_z(const char *args, unsigned *type, uint32_t *addr, uint32_t *kind)
{
    const char *p = args;
    if (*p < '0' || *p > '4' || p[1] != ',')
        return false;
    *type = (unsigned)(*p - '0');
    if (!gdb_parse_hex(p + 2, &p, addr) || *p != ',' || !gdb_parse_hex(p + 1, &p, kind))
        return false;
    return *p == '\0' || *p == ';';     /* ";cond..." lists are ignored */
}

static const char *bp_change(struct gdb *g, bool insert, unsigned type, uint32_t addr)
{
    for (int i = 0; i < g->nbp; i++) {
        if (g->bp[i].addr != addr || g->bp[i].type != type)
            continue;
        if (!insert)
            g->bp[i] = g->bp[--g->nbp];
        return "OK";                    /* inserting twice is idempotent */
    }
    if (!insert)
        return "OK";                    /* gdb may remove what is gone (after D) */
    if (g->nbp == GDB_MAX_BP)
        return "E28";                   /* ENOSPC */
    g->bp[g->nbp++] = (struct gdb_bp){ addr, (uint8_t)type };
    return "OK";
}

static void wp_snapshot(struct gdb *g, struct gdb_wp *w)
{
    w->readable = gdb_mem_read(g->vm, w->addr, w->old, w->len) == w->len;
}

static const char *wp_change(struct gdb *g, bool insert, unsigned type, uint32_t addr, uint32_t len)
{
    for (int i = 0; i < g->nwp; i++) {
        struct gdb_wp *w = &g->wp[i];
        if (w->addr != addr || w->len != len || w->type != type)
            continue;
        if (!insert)
            *w = g->wp[--g->nwp];
        return "OK";
    }
    if (!insert)
        return "OK";
    if (len == 0 || len > GDB_WP_MAXLEN || addr + len - 1 < addr)
        return "E22";                   /* EINVAL */
    if (g->nwp == GDB_MAX_WP)
        return "E28";
    struct gdb_wp *w = &g->wp[g->nwp++];
    *w = (struct gdb_wp){ .addr = addr, .len = len, .type = (uint8_t)type };
    wp_snapshot(g, w);
    return "OK";
}

const char *gdb_z_packet(struct gdb *g, bool insert, const char *args)
{
    unsigned type;
    uint32_t addr, kind;
    if (!parse_z(args, &type, &addr, &kind))
        return "E22";
    if (type <= GDB_BP_HW)
        return bp_change(g, insert, type, addr);
    return wp_change(g, insert, type, addr, kind);
}

void gdb_clear_points(struct gdb *g)
{
    g->nbp = 0;
    g->nwp = 0;
    g->nacc = 0;
}

int gdb_bp_type_at(struct gdb *g, uint32_t a)
{
    int type = -1;
    for (int i = 0; i < g->nbp; i++)
        if (g->bp[i].addr == a && (type < 0 || g->bp[i].type == GDB_BP_SW))
            type = g->bp[i].type;
    return type;
}

/* Is address a among the first n entries of set? */
static bool in_set(const uint32_t *set, int n, uint32_t a)
{
    for (int i = 0; i < n; i++)
        if (set[i] == a)
            return true;
    return false;
}

static void sync_translations(struct gdb *g)
{
    bool same = true;
    for (int i = 0; i < g->nbp && same; i++)
        same = in_set(g->flushed, g->nflushed, g->bp[i].addr);
    for (int i = 0; i < g->nflushed && same; i++)
        same = gdb_bp_type_at(g, g->flushed[i]) >= 0;
    if (same)
        return;
    g->nflushed = 0;
    for (int i = 0; i < g->nbp; i++)
        if (!in_set(g->flushed, g->nflushed, g->bp[i].addr))
            g->flushed[g->nflushed++] = g->bp[i].addr;
    if (g->vm->tc)
        bt_flush(g->vm, "breakpoints changed");
}

static uint32_t seg_base_of(const struct vcpu *c, ZydisRegister r)
{
    static const struct { ZydisRegister z; int s; } map[] = {
        { ZYDIS_REGISTER_ES, S_ES }, { ZYDIS_REGISTER_CS, S_CS }, { ZYDIS_REGISTER_SS, S_SS },
        { ZYDIS_REGISTER_DS, S_DS }, { ZYDIS_REGISTER_FS, S_FS }, { ZYDIS_REGISTER_GS, S_GS },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].z == r)
            return c->seg[map[i].s].base;
    return c->seg[S_DS].base;
}

static uint32_t reg_value(const struct vcpu *c, ZydisRegister r)
{
    if (r == ZYDIS_REGISTER_NONE)
        return 0;
    int id = ZydisRegisterGetId(r);
    uint32_t v = id >= 0 && id < 8 ? c->gpr[id] : 0;
    return ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LEGACY_32, r) == 16 ? v & 0xFFFF : v;
}

/* Decode the instruction at CS:EIP and note its memory operands. */
static void decode_next(struct gdb *g)
{
    struct vcpu *c = &g->vm->cpu;
    ZydisDecoder dec;
    ZydisDecodedInstruction ins;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    uint8_t b[15];
    g->nacc = 0;
    uint32_t n = gdb_mem_read(g->vm, vcpu_linear_ip(c), b, sizeof b);
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    if (ZYAN_FAILED(ZydisDecoderDecodeFull(&dec, b, n, &ins, ops)))
        return;
    for (int i = 0; i < ins.operand_count && g->nacc < GDB_MAX_ACC; i++) {
        const ZydisDecodedOperand *op = &ops[i];
        if (op->type != ZYDIS_OPERAND_TYPE_MEMORY || op->mem.type != ZYDIS_MEMOP_TYPE_MEM)
            continue;
        uint32_t ea = (uint32_t)op->mem.disp.value + reg_value(c, op->mem.base) +
                      reg_value(c, op->mem.index) * (op->mem.scale ? op->mem.scale : 1);
        if (ins.address_width == 16)
            ea &= 0xFFFF;
        g->acc[g->nacc++] = (struct gdb_access){
            .lin = seg_base_of(c, op->mem.segment) + ea,
            .len = op->size / 8 ? op->size / 8 : 1,
            .read = op->actions & ZYDIS_OPERAND_ACTION_MASK_READ,
            .write = op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE,
        };
    }
}

void gdb_points_resume(struct gdb *g)
{
    sync_translations(g);
    for (int i = 0; i < g->nwp; i++)
        wp_snapshot(g, &g->wp[i]);
    if (g->nwp)
        decode_next(g);
}

static bool overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
    return (uint64_t)a < (uint64_t)b + blen && (uint64_t)b < (uint64_t)a + alen;
}

static bool was_read(struct gdb *g, const struct gdb_wp *w)
{
    for (int i = 0; i < g->nacc; i++)
        if (g->acc[i].read && overlaps(g->acc[i].lin, g->acc[i].len, w->addr, w->len))
            return true;
    return false;
}

int gdb_watch_hit(struct gdb *g)
{
    int hit = -1;
    for (int i = 0; i < g->nwp; i++) {
        struct gdb_wp *w = &g->wp[i];
        uint8_t now[GDB_WP_MAXLEN];
        bool readable = gdb_mem_read(g->vm, w->addr, now, w->len) == w->len;
        bool changed = readable != w->readable || (readable && memcmp(now, w->old, w->len));
        if (changed) {
            memcpy(w->old, now, w->len);
            w->readable = readable;
        }
        bool fired = (w->type != GDB_WP_READ && changed) ||
                     (w->type != GDB_WP_WRITE && was_read(g, w));
        if (fired && hit < 0)
            hit = i;
    }
    decode_next(g);
    return hit;
}
