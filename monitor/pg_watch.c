/*
 * monitor/pg_watch.c - the silent-instruction watch (monitor/pg_watch.h).
 *
 * A trap-and-emulate monitor learns about a guest instruction only when
 * it traps.  To name the sensitive ones that do not, the watch decodes
 * every page of directly run code before it first runs: the user view maps
 * a frame executable only once the watch has decoded it (the shadow's exec
 * filter), so the first fetch from any page faults to here.
 *
 *   fetch fault -> decode the frame (a linear sweep from its start and one
 *                  from the faulting instruction)
 *     no sensitive instruction -> SHADOW_X_CLEAN: runs at full speed
 *     some                     -> SHADOW_X_STEP while the guest runs on
 *                                 it: one instruction per direct run (TF),
 *                                 each decoded first; back to
 *                                 SHADOW_X_SITES when EIP leaves the page
 *
 * At a sensitive instruction the modelled CPU's answer is computed first,
 * by the emulator on a copy of the virtual CPU; then the host runs the
 * instruction; the two answers are compared and the site recorded.  The
 * site's memory effects of the copy land where the host's own writes then
 * land (the pushed word, the stored descriptor-table register), so they do
 * not outlive the step.
 *
 * A linear sweep can fall out of step with the instructions (data in a
 * code page, an instruction that straddles into the page): a sensitive
 * instruction that both sweeps miss runs unrecorded.  Every instruction of
 * a stepped page is decoded as it runs, so there the record is exact.
 *
 * The SYSCALL guard (pg_watch_guard) uses the same filter where the host
 * enters its kernel for a SYSCALL in 32-bit code (cpu/host_facts.h,
 * syscall_guard).  It needs no sweep: every encoding of SYSCALL holds the
 * bytes 0F 05 side by side (prefixes come before them, SDM vol. 2A 2.1),
 * so a frame without that pair, and whose last byte is not 0F (the pair
 * across into whatever page follows), cannot run one.  A frame with it
 * runs translated (pg_watch_translate_here: the translator gives SYSCALL
 * the model's #UD); while the watch records, it is stepped, and a step
 * whose instruction is SYSCALL is not run: the guest gets the model's #UD
 * at it with every register as it was.
 */
#include <stdlib.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "monitor/pg_watch.h"
#include "monitor/pg_sites.h"
#include "monitor/vm.h"
#include "monitor/run_internal.h"
#include "cpu/pg_sensitive.h"
#include "cpu/emulate.h"
#include "cpu/exceptions.h"
#include "shadow_mmu/mmu.h"
#include "shadow_mmu/shadow.h"

struct pg_watch {
    bool record;                /* the silent-instruction watch proper */
    bool guard;                 /* the SYSCALL guard */
    bool stepping;
    uint32_t step_lpn, step_ppn;
    bool next_exec;             /* the page after step_lpn is executable for a
                                   stepped instruction that straddles into it */
    struct pg_sites sites;
    uint64_t scans, frames_with_sites, steps;
    uint8_t maybe[ZYDIS_MNEMONIC_MAX_VALUE + 1];     /* maybe_sensitive(), by mnemonic */
    bool maybe_ready;
    struct vcpu copy;           /* the modelled CPU's run of one instruction */
    struct stats stats_saved;   /* what that run must not count */
};

static struct pg_watch *watch_on(struct vm *vm, char *err, size_t errlen)
{
    struct pg_watch *w = vm->pg;
    if (w)
        return w;
    if (posix_memalign((void **)&w, 64, sizeof *w) != 0 || shadow_exec_filter_on(vm) < 0) {
        snprintf(err, errlen, "out of memory for the silent-instruction watch");
        return NULL;
    }
    memset(w, 0, sizeof *w);
    pg_sites_init(&w->sites);
    vm->pg = w;
    return w;
}

int pg_watch_init(struct vm *vm, char *err, size_t errlen)
{
    struct pg_watch *w = watch_on(vm, err, errlen);
    if (!w)
        return -1;
    w->record = true;
    return 0;
}

int pg_watch_guard(struct vm *vm, char *err, size_t errlen)
{
    struct pg_watch *w = watch_on(vm, err, errlen);
    if (!w)
        return -1;
    w->guard = true;
    return 0;
}

bool pg_watch_records(const struct vm *vm)
{
    return vm->pg && vm->pg->record;
}

/* Could the frame's bytes b[0..4095] hold a SYSCALL (0F 05)?  A 0F as the
 * last byte counts: the page that follows may change under it. */
static bool has_syscall_bytes(const uint8_t *b)
{
    for (const uint8_t *p = b; (p = memchr(p, 0x0F, GUEST_PAGE_SIZE - (size_t)(p - b))); p++)
        if (p == b + GUEST_PAGE_SIZE - 1 || p[1] == 0x05)
            return true;
    return false;
}

void pg_watch_destroy(struct vm *vm)
{
    if (vm->pg)
        pg_sites_free(&vm->pg->sites);
    free(vm->pg);
    vm->pg = NULL;
}

static unsigned fetch_rights(const struct vcpu *c)
{
    return ACC_FETCH | ACC_NOSET | (c->cpl == 3 ? ACC_USER : 0);
}

static void decoder_for(const struct vcpu *c, ZydisDecoder *d)
{
    ZydisDecoderInit(d, SEG_ATTR_DB(c->seg[S_CS].attr) ? ZYDIS_MACHINE_MODE_LEGACY_32
                                                        : ZYDIS_MACHINE_MODE_LEGACY_16,
                     SEG_ATTR_DB(c->seg[S_SS].attr) ? ZYDIS_STACK_WIDTH_32 : ZYDIS_STACK_WIDTH_16);
}

/* The mnemonics that can be sensitive: only these need their operands
 * decoded (PUSH, POP and MOV are sensitive with a segment register). */
static bool maybe_sensitive(ZydisMnemonic m)
{
    ZydisDecodedInstruction probe = { .mnemonic = m, .meta.branch_type = ZYDIS_BRANCH_TYPE_FAR };
    ZydisDecodedOperand sreg[2] = { { .type = ZYDIS_OPERAND_TYPE_REGISTER, .reg.value = ZYDIS_REGISTER_DS },
                                    { .type = ZYDIS_OPERAND_TYPE_REGISTER, .reg.value = ZYDIS_REGISTER_DS } };
    return pg_classify(&probe, sreg) != PG_NONE;
}

/* Does a linear sweep of page b from offset `from` meet a sensitive
 * instruction?  Bytes that do not decode are skipped one at a time.  The
 * instruction starts are marked in `starts`; a sweep stops where it falls
 * in step with one made before (the rest was decoded already). */
static bool sweep_finds(const ZydisDecoder *d, const uint8_t *b, uint32_t n, uint32_t from,
                        uint8_t *starts, const uint8_t *maybe)
{
    ZydisDecodedInstruction ins;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    ZydisDecoderContext ctx;
    for (uint32_t off = from; off < GUEST_PAGE_SIZE;) {
        if (starts[off] && off != from)
            return false;
        starts[off] = 1;
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(d, &ctx, b + off, n - off, &ins))) {
            off++;
            continue;
        }
        if (maybe[ins.mnemonic] &&
            ZYAN_SUCCESS(ZydisDecoderDecodeOperands(d, &ctx, &ins, ops, ZYDIS_MAX_OPERAND_COUNT)) &&
            pg_classify(&ins, ops) != PG_NONE)
            return true;
        off += ins.length;
    }
    return false;
}

/* Decode the frame behind linear page `lin` (instructions may run 14 bytes
 * into the next page): does it hold a sensitive instruction? */
static bool scan_frame(struct vm *vm, uint32_t lin, uint32_t pa)
{
    struct vcpu *c = &vm->cpu;
    uint8_t b[GUEST_PAGE_SIZE + ZYDIS_MAX_INSTRUCTION_LENGTH - 1];
    memcpy(b, guest_phys_ptr(&vm->mem, pa & ~0xFFFu, GUEST_PAGE_SIZE), GUEST_PAGE_SIZE);
    uint32_t n = GUEST_PAGE_SIZE;
    if (mmu_read(c, (lin | 0xFFFu) + 1, b + n, sizeof b - n, fetch_rights(c), NULL) == MMU_OK)
        n = sizeof b;
    ZydisDecoder d;
    decoder_for(c, &d);
    struct pg_watch *w = vm->pg;
    w->scans++;
    if (!w->maybe_ready) {
        for (int m = 0; m <= ZYDIS_MNEMONIC_MAX_VALUE; m++)
            w->maybe[m] = maybe_sensitive((ZydisMnemonic)m);
        w->maybe_ready = true;
    }
    if (w->guard && has_syscall_bytes(b))
        return true;
    if (!w->record)
        return false;
    uint8_t starts[GUEST_PAGE_SIZE] = { 0 };
    return sweep_finds(&d, b, n, 0, starts, w->maybe) ||
           sweep_finds(&d, b, n, lin & 0xFFFu, starts, w->maybe);
}

/* Leaving the stepped page: it runs no more until the guest comes back
 * (a frame stepped because it was written is decoded again then). */
static void stop_stepping(struct vm *vm)
{
    struct pg_watch *w = vm->pg;
    if (!w->stepping)
        return;
    w->stepping = false;
    if (w->next_exec)
        shadow_direct_exec(vm, (w->step_lpn + 1) << 12, false);
    w->next_exec = false;
    if (shadow_exec_state(vm, w->step_ppn) == SHADOW_X_STEP)
        shadow_set_exec_state(vm, w->step_ppn, vm->mem.code_pages[w->step_ppn]
                                                   ? SHADOW_X_SITES : SHADOW_X_UNSCANNED);
    shadow_direct_exec(vm, w->step_lpn << 12, false);
}

bool pg_watch_translate_here(struct vm *vm)
{
    const struct pg_watch *w = vm->pg;
    return w && w->guard && !w->record && w->stepping &&
           vcpu_linear_ip(&vm->cpu) >> 12 == w->step_lpn;
}

static void start_stepping(struct vm *vm, uint32_t lin, uint32_t ppn)
{
    struct pg_watch *w = vm->pg;
    stop_stepping(vm);
    w->stepping = true;
    w->step_lpn = lin >> 12;
    w->step_ppn = ppn;
    shadow_set_exec_state(vm, ppn, SHADOW_X_STEP);
}

bool pg_watch_fetch_fault(struct vm *vm, uint32_t lin)
{
    struct vcpu *c = &vm->cpu;
    struct pg_watch *w = vm->pg;
    uint32_t pa;
    if (mmu_translate(c, lin, fetch_rights(c), &pa, NULL) != MMU_OK ||
        !guest_mem_is_ram(&vm->mem, pa & ~0xFFFu, GUEST_PAGE_SIZE))
        return false;               /* the guest's own fault, or device memory */
    uint32_t ppn = pa >> 12;
    int st = shadow_exec_state(vm, ppn);
    if (w->stepping && lin >> 12 == w->step_lpn + 1 && vcpu_linear_ip(c) >> 12 == w->step_lpn) {
        /* The stepped instruction runs on into this page: let it, for this
         * one step (stepping this page instead would take the other away,
         * for ever).  Not in the user view yet: the miss maps it first. */
        if (!shadow_direct_exec(vm, lin, true))
            return false;
        w->next_exec = true;
        return true;
    }
    if (st == SHADOW_X_CLEAN || st == SHADOW_X_STEP)
        return shadow_direct_exec(vm, lin, true);   /* remembered from before its scan */
    if (st == SHADOW_X_UNSCANNED) {
        st = scan_frame(vm, lin, pa) ? SHADOW_X_SITES : SHADOW_X_CLEAN;
        w->frames_with_sites += st == SHADOW_X_SITES;
        shadow_code_page(vm, pa, true);     /* a write makes it unscanned again */
        shadow_set_exec_state(vm, ppn, st);
    }
    if (st == SHADOW_X_SITES)
        start_stepping(vm, lin, ppn);
    shadow_direct_exec(vm, lin, true);  /* or the retry maps it executable */
    return true;
}

/* ---- the modelled CPU's answer and the host's ------------------------- */

static uint32_t reg_value(const struct vcpu *c, ZydisRegister r)
{
    if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI)
        return c->gpr[r - ZYDIS_REGISTER_EAX];
    if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI)
        return c->gpr[r - ZYDIS_REGISTER_AX] & 0xFFFF;
    return 0;
}

/* Linear address of a memory operand, from the registers before the step. */
static uint32_t mem_linear(const struct vcpu *c, const ZydisDecodedInstruction *ins,
                           const ZydisDecodedOperand *o)
{
    uint32_t a = (uint32_t)o->mem.disp.value;
    if (o->mem.base != ZYDIS_REGISTER_NONE)
        a += reg_value(c, o->mem.base);
    if (o->mem.index != ZYDIS_REGISTER_NONE)
        a += reg_value(c, o->mem.index) * o->mem.scale;
    if (ins->address_width == 16)
        a &= 0xFFFF;
    int s = o->mem.segment - ZYDIS_REGISTER_ES;
    return c->seg[s >= 0 && s < S_NSEG ? s : S_DS].base + a;
}

static uint32_t read_u32(struct vcpu *c, uint32_t lin, unsigned n)
{
    uint32_t v = 0;
    mmu_read(c, lin, &v, n, ACC_READ | ACC_NOSET, NULL);
    return n == 4 ? v : v & ((1u << (8 * n)) - 1);
}

static uint32_t zf(const struct vcpu *c)
{
    return (c->rflags & FL_ZF) != 0;
}

/* What state c shows of the instruction just done (or the copy's run). */
static void describe(struct vcpu *c, const struct pg_step *st, bool host, char *buf, size_t n)
{
    const struct pg_insn_info *in = pg_insn_info(st->kind);
    uint32_t f = vcpu_get_eflags(c), v;
    switch (in->effect) {
    case PGE_FLAGS:
        snprintf(buf, n, "IF=%u IOPL=%u", (f >> 9) & 1, (f >> 12) & 3);
        return;
    case PGE_PUSH:
        v = read_u32(c, c->seg[S_SS].base + c->gpr[R_ESP], st->dest_len);
        if (st->kind == PG_PUSHF)
            snprintf(buf, n, "pushed IF=%u IOPL=%u", (v >> 9) & 1, (v >> 12) & 3);
        else
            snprintf(buf, n, "pushed 0x%04x", v & 0xFFFF);
        return;
    case PGE_DEST:
        if (st->dest_reg) {
            snprintf(buf, n, "0x%04x", reg_value(c, (ZydisRegister)st->dest_reg) & 0xFFFF);
        } else if (st->kind == PG_SGDT || st->kind == PG_SIDT) {
            snprintf(buf, n, "base 0x%08x limit 0x%04x", read_u32(c, st->dest_lin + 2, 4),
                     read_u32(c, st->dest_lin, 2));
        } else {
            snprintf(buf, n, "0x%04x", read_u32(c, st->dest_lin, 2));
        }
        return;
    case PGE_ZF_DEST:
        if (zf(c))
            snprintf(buf, n, "ZF=1 0x%08x", reg_value(c, (ZydisRegister)st->dest_reg));
        else
            snprintf(buf, n, "ZF=0");
        return;
    case PGE_ZF:
        snprintf(buf, n, "ZF=%u", zf(c));
        return;
    case PGE_SREG:
        if (host) {
            static const int seen[S_NSEG] = { [S_DS] = 0, [S_ES] = 1, [S_FS] = 2, [S_GS] = 3,
                                              [S_SS] = -1, [S_CS] = -1 };
            if (seen[st->sreg] >= 0)
                snprintf(buf, n, "the host's descriptor for 0x%04x", c->bt.ring3_sel[seen[st->sreg]]);
            else
                snprintf(buf, n, "a descriptor of the host's tables");
        } else {
            const struct seg *s = &c->seg[st->sreg];
            snprintf(buf, n, "0x%04x base 0x%08x limit 0x%08x", s->sel, s->base, s->limit);
        }
        return;
    case PGE_FAR:
        /* The host went on in the mirror of the guest's code segment
         * (any other would have ended the run as an escape). */
        snprintf(buf, n, "%04x:%08x", c->seg[S_CS].sel, c->eip);
        return;
    case PGE_CPUID:
        snprintf(buf, n, "%08x %08x %08x %08x", c->gpr[R_EAX], c->gpr[R_EBX], c->gpr[R_ECX],
                 c->gpr[R_EDX]);
        return;
    }
}

/* Decode the instruction at linear lin, read without setting A bits: up
 * to 15 bytes, or as many as the page holds when the next one is not
 * mapped.  False when nothing there decodes. */
static bool decode_at(struct vcpu *c, uint32_t lin, ZydisDecodedInstruction *ins,
                      ZydisDecodedOperand *ops)
{
    uint8_t b[ZYDIS_MAX_INSTRUCTION_LENGTH];
    uint32_t n = sizeof b;
    ZydisDecoder d;
    if (mmu_read(c, lin, b, n, ACC_READ | ACC_NOSET, NULL) != MMU_OK) {
        n = GUEST_PAGE_SIZE - (lin & 0xFFF);
        if (n >= sizeof b || mmu_read(c, lin, b, n, ACC_READ | ACC_NOSET, NULL) != MMU_OK)
            return false;
    }
    decoder_for(c, &d);
    return ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, b, n, ins, ops));
}

/* Run the instruction on a copy of the virtual CPU: the modelled answer.
 * An exception, or INT n, writes its frame below the stack pointer of the
 * stack it switches to, where nothing live is. */
static void evaluate(struct vm *vm, struct pg_step *st)
{
    struct pg_watch *w = vm->pg;
    w->copy = vm->cpu;
    memcpy(&w->stats_saved, &vm->stats, sizeof vm->stats);
    enum em_result r = emulate_step(&w->copy, NULL);
    if (r != EM_OK)
        snprintf(st->want, sizeof st->want, "(not evaluated)");
    else if (w->copy.bt.events != vm->cpu.bt.events)
        snprintf(st->want, sizeof st->want, "exception %d (error 0x%x)", w->copy.bt.last_vector,
                 w->copy.bt.last_error);
    else
        describe(&w->copy, st, false, st->want, sizeof st->want);
    st->want_flags = vcpu_get_eflags(&w->copy);
    memcpy(&vm->stats, &w->stats_saved, sizeof vm->stats);
}

/* Is the instruction at linear lin a SYSCALL (any prefixes, then 0F 05)?
 * Read as the fetch would, across into the next page if need be. */
static bool syscall_at(struct vcpu *c, uint32_t lin)
{
    uint8_t b[ZYDIS_MAX_INSTRUCTION_LENGTH];
    unsigned i = 0;
    for (; i < sizeof b; i++) {
        if (mmu_read(c, lin + i, &b[i], 1, ACC_READ | ACC_NOSET, NULL) != MMU_OK)
            return false;
        switch (b[i]) {
        case 0x26: case 0x2E: case 0x36: case 0x3E: case 0x64: case 0x65:
        case 0x66: case 0x67: case 0xF0: case 0xF2: case 0xF3:
            continue;           /* legacy prefixes (SDM vol. 2A 2.1.1) */
        }
        break;
    }
    uint8_t op;
    return i + 1 < sizeof b && b[i] == 0x0F &&
           mmu_read(c, lin + i + 1, &op, 1, ACC_READ | ACC_NOSET, NULL) == MMU_OK && op == 0x05;
}

bool pg_watch_begin(struct vm *vm, struct pg_step *st)
{
    struct pg_watch *w = vm->pg;
    struct vcpu *c = &vm->cpu;
    st->kind = PG_NONE;
    st->raise_ud = false;
    uint32_t lin = vcpu_linear_ip(c);
    if (w->stepping && (lin >> 12) != w->step_lpn)
        stop_stepping(vm);
    if (!w->stepping)
        return false;
    w->steps++;
    if (w->guard && syscall_at(c, lin)) {
        st->raise_ud = true;    /* the model has no SYSCALL: #UD, not run */
        return true;
    }
    if (!w->record)
        return true;    /* the guard alone: the run loop translates such a page instead */
    ZydisDecodedInstruction ins;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!decode_at(c, lin, &ins, ops))
        return true;
    st->kind = pg_classify(&ins, ops);
    if (st->kind == PG_NONE)
        return true;
    st->eip = c->eip;
    st->lin = lin;
    st->len = ins.length;
    st->cpl = c->cpl;
    st->esp = c->gpr[R_ESP];
    st->guest_tf = c->eflags & FL_TF;
    st->dest_reg = 0;
    st->dest_len = ins.operand_width / 8;
    st->sreg = S_DS;
    const ZydisDecodedOperand *o = &ops[0];
    if (o->type == ZYDIS_OPERAND_TYPE_MEMORY)
        st->dest_lin = mem_linear(c, &ins, o);
    else if (o->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        int s = o->reg.value - ZYDIS_REGISTER_ES;
        if (s >= 0 && s < S_NSEG)
            st->sreg = s;
        else
            st->dest_reg = o->reg.value;
    }
    if (st->kind == PG_LOAD_FAR_PTR)    /* LDS..LSS: the segment is implied */
        st->sreg = ins.mnemonic == ZYDIS_MNEMONIC_LES ? S_ES : ins.mnemonic == ZYDIS_MNEMONIC_LFS ? S_FS
                   : ins.mnemonic == ZYDIS_MNEMONIC_LGS ? S_GS : ins.mnemonic == ZYDIS_MNEMONIC_LSS ? S_SS
                   : S_DS;
    evaluate(vm, st);
    return true;
}

/*
 * The host kernel emulates SGDT, SIDT, SMSW, SLDT and STR for user code
 * (UMIP) without the single-step trap: the instructions after one of them
 * run too, up to the first the host does not emulate, before the step
 * ends.  Record the sensitive ones among them as run unseen.
 */
static void after_host_emulation(struct vm *vm, const struct pg_step *st)
{
    struct vcpu *c = &vm->cpu;
    if (pg_insn_info(st->kind)->effect == PGE_FAR)
        return;
    struct pg_step n = *st;
    n.eip = st->eip + st->len;
    n.lin = st->lin + st->len;
    for (int i = 0; i < 16 && n.eip != c->eip; i++) {
        ZydisDecodedInstruction ins;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        if (!decode_at(c, n.lin, &ins, ops) ||
            ins.meta.category == ZYDIS_CATEGORY_COND_BR || ins.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
            ins.meta.category == ZYDIS_CATEGORY_CALL || ins.meta.category == ZYDIS_CATEGORY_RET)
            return;
        if ((n.kind = pg_classify(&ins, ops)) != PG_NONE) {
            struct pg_site *s = pg_site_for(&vm->pg->sites, c, n.lin, n.cpl, n.eip, n.kind);
            if (s)
                s->unseen++;
        }
        n.eip += ins.length;
        n.lin += ins.length;
    }
}

void pg_watch_end(struct vm *vm, const struct pg_step *st)
{
    struct vcpu *c = &vm->cpu;
    if (st->kind == PG_NONE || vm->stop)
        return;
    bool ran = c->bt.exit_reason == EXIT_EXCEPTION && c->bt.exc_vector == EXC_DB;
    bool trapped = c->bt.exit_reason != EXIT_POLL && c->eip == st->eip &&
                   !(c->bt.exit_reason == EXIT_EXCEPTION && c->bt.exc_vector == EXC_PF);
    if (!ran && !trapped)
        return;                     /* it has not run yet */
    struct pg_site *s = pg_site_for(&vm->pg->sites, c, st->lin, st->cpl, st->eip, st->kind);
    if (!s)
        return;
    if (!ran) {
        s->trapped++;
        return;
    }
    /* The host pushed the TF of the single step: the guest must not see it. */
    if (st->kind == PG_PUSHF && !st->guest_tf) {
        uint32_t at = c->seg[S_SS].base + c->gpr[R_ESP], v = read_u32(c, at, st->dest_len) & ~FL_TF;
        mmu_write(c, at, &v, st->dest_len, ACC_WRITE | ACC_NOSET, NULL);
    }
    after_host_emulation(vm, st);
    char got[96];
    describe(c, st, true, got, sizeof got);
    bool differs = strcmp(got, st->want) != 0;
    s->silent++;
    if (differs && s->differ++ == 0) {
        snprintf(s->got, sizeof s->got, "%s", got);
        snprintf(s->want, sizeof s->want, "%s", st->want);
        s->got_flags = vcpu_get_eflags(c);
        s->want_flags = st->want_flags;
    } else if (!s->got[0]) {
        snprintf(s->got, sizeof s->got, "%s", got);
        snprintf(s->want, sizeof s->want, "%s", st->want);
    }
}

/*
 * A write to a decoded frame (shadow_code_page made it unscanned).  When
 * the writer runs on that frame itself (a loop that patches its own
 * immediate), decoding it again would protect it again before the write
 * is done, for ever: it is single-stepped instead, writable, every
 * instruction decoded as it comes, until EIP leaves it.
 */
void pg_watch_frame_written(struct vm *vm, uint32_t pa)
{
    struct pg_watch *w = vm->pg;
    struct vcpu *c = &vm->cpu;
    uint32_t lin = vcpu_linear_ip(c), epa;
    if (!w)
        return;
    if (w->stepping && w->step_ppn == pa >> 12)
        w->stepping = false;
    if (runs_directly(c) && mmu_translate(c, lin, fetch_rights(c), &epa, NULL) == MMU_OK &&
        epa >> 12 == pa >> 12)
        start_stepping(vm, lin, pa >> 12);
}

void pg_watch_report(struct vm *vm, FILE *out)
{
    struct pg_watch *w = vm->pg;
    fprintf(out, "# silent-instruction report (docs/popek-goldberg.md): ring 0 %s, ring 3 %s\n",
            vm->opt.ring0_direct ? "run directly (--ring0=direct)"
                                 : "translated (nothing in it runs unseen)",
            vm->opt.translate_ring3 ? "translated" : "run directly where the host allows");
    if (!w) {
        fprintf(out, "# nothing ran directly\n");
        return;
    }
    pg_sites_report(&w->sites, vm->syms, w->scans, w->frames_with_sites, w->steps, out);
}
