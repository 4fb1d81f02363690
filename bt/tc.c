/*
 * bt/tc.c - the translation cache: allocation, lookup, chaining, fault
 * mapping, invalidation and flushing.  The CPL-3 TUs kept per address
 * space are bt/tc_user.c's.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "bt/bt.h"
#include "bt/tc.h"
#include "bt/emit.h"
#include "cpu/machine.h"
#include "cpu/counters.h"
#include "shadow_mmu/shadow.h"
#include "cpu/fpu.h"
#include "cpu/host.h"
#include "shadow_mmu/mmu.h"

extern char bt_exit[], bt_rdtsc[], bt_callout[];

/* An absolute jump through an 8-byte pointer right after it, at an 8-byte
 * aligned address: translated ring 3 may run with AC set (host_ac), and an
 * unaligned pointer would raise #AC in the monitor's own code.
 *   [align 8] jmp [rip+2] ; int3 int3 ; .quad target */
static uint8_t *emit_abs_jump(struct emit *e, void *target)
{
    static const uint8_t jmp_rip2[] = { 0xFF, 0x25, 2, 0, 0, 0, 0xCC, 0xCC };
    while ((uintptr_t)e->p & 7)
        emit_byte(e, 0xCC);
    uint8_t *start = e->p;
    emit_bytes(e, jmp_rip2, sizeof jmp_rip2);
    emit_u64(e, (uint64_t)(uintptr_t)target);
    return start;
}

/* The pieces of code every TU jumps to: the way out to bt_exit (an
 * absolute jump, since the TC may be far from the monitor's text), the
 * miss path of the indirect-branch table (target eip in r8d), and the ways
 * to the RDTSC helper and the light callouts (bt/entry.S). */
static void tc_emit_common(struct tc *tc)
{
    struct emit e = { tc->base, tc->end, false };
    tc->exit_tramp = emit_abs_jump(&e, bt_exit);
    tc->miss_stub = e.p;
    static const uint8_t mov_eip_r8d[] = { 0x45, 0x89, 0x47, VCPU_OFF_EIP };
    emit_bytes(&e, mov_eip_r8d, sizeof mov_eip_r8d);
    emit_ctx_store_imm32(&e, VCPU_OFF_REASON, EXIT_LOOKUP);
    emit_jmp(&e, tc->exit_tramp);
    tc->rdtsc_tramp = emit_abs_jump(&e, bt_rdtsc);
    tc->callout_tramp = emit_abs_jump(&e, bt_callout);
    tc->free = (uint8_t *)(((uintptr_t)e.p + 63) & ~(uintptr_t)63);
}

static void table_reset(struct tc *tc, int m)
{
    for (uint32_t i = 0; i < TC_LOOKUP_ENTRIES; i++) {
        tc->lookup_keys[m][i] = 0;
        tc->lookup_code[m][i] = (uint64_t)(uintptr_t)tc->miss_stub;
    }
}

/* Table TC_T16 empty, assuming nothing yet of the selectors' bases. */
static void t16_reset(struct tc *tc)
{
    table_reset(tc, TC_T16);
    memset(tc->t16_sel_base, 0xFF, 65536 * sizeof *tc->t16_sel_base);
}

static void lookup_reset(struct tc *tc)
{
    for (int m = 0; m < TC_TABLES; m++)
        if (m != TC_T16)
            table_reset(tc, m);
    t16_reset(tc);
}

/*
 * The entries of table TC_T16 are keyed by IP and CS selector only, but a
 * 16-bit TU is made for one CS base and one set of segment-limit classes
 * (bt_mode_key).  A selector keeps its base in real mode (base = selector
 * * 16), not necessarily in protected mode or across a mode switch; the
 * limit classes change only at mode switches.  So before 16-bit code runs
 * (bt_prepare_segments), the table is emptied if the current CS selector
 * had another base in it, or the limits differ: every entry the code can
 * reach (near branches keep CS) then matches the current state.
 */
static void t16_sync(struct vcpu *c)
{
    struct tc *tc = c->bt.tc;
    uint64_t mk = bt_mode_key(c);
    uint32_t limits = (uint32_t)(mk >> 32) & 0xFFFF;
    uint16_t sel = c->seg[S_CS].sel;
    uint32_t base = c->seg[S_CS].base;
    if (limits != tc->t16_limits ||
        (tc->t16_sel_base[sel] != ~0u && tc->t16_sel_base[sel] != base)) {
        t16_reset(tc);
        tc->t16_limits = limits;
        tc->stats->bt_t16_resets++;
    }
    tc->t16_sel_base[sel] = base;
}

int bt_init(struct vm *vm, char *err, unsigned long errlen)
{
    struct tc *tc = calloc(1, sizeof *tc);
    if (!tc)
        goto oom;
    tc->base = mmap(NULL, BT_TC_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (tc->base == MAP_FAILED) {
        snprintf(err, errlen, "cannot map the %u MiB translation cache", BT_TC_SIZE >> 20);
        free(tc);
        return -1;
    }
    tc->end = tc->base + BT_TC_SIZE;
    tc->tus = calloc(TC_MAX_TUS, sizeof *tc->tus);
    tc->map = calloc(TC_MAX_MAP, sizeof *tc->map);
    tc->links = calloc(TC_MAX_LINKS, sizeof *tc->links);
    /* One block per table so that r14 reaches both halves with constant
     * offsets. */
    for (int m = 0; m < TC_TABLES; m++) {
        uint8_t *lt = aligned_alloc(64, TC_LOOKUP_ENTRIES * 12u);
        if (!lt)
            goto oom;
        tc->lookup_base[m] = lt;
        tc->lookup_keys[m] = (uint32_t *)lt;
        tc->lookup_code[m] = (uint64_t *)(lt + TC_LOOKUP_CODE_OFF);
    }
    tc->t16_sel_base = malloc(65536 * sizeof *tc->t16_sel_base);
    if (!tc->tus || !tc->map || !tc->links || !tc->t16_sel_base)
        goto oom;
    if (fpu_gate_init(err, errlen) < 0)
        return -1;
    tc->npages = (uint32_t)(vm_mem(vm)->size / GUEST_PAGE_SIZE);
    tc->page_tus = malloc(tc->npages * sizeof *tc->page_tus);
    tc->data_writes = calloc(tc->npages, 1);
    if (!tc->page_tus || !tc->data_writes)
        goto oom;
    memset(tc->page_tus, 0xFF, tc->npages * sizeof *tc->page_tus);
    memset(tc->hash, 0xFF, sizeof tc->hash);
    tc_emit_common(tc);
    lookup_reset(tc);
    tc->stats = vm_stats(vm);
    *vm_tc(vm) = tc;
    struct vcpu *c = vm_cpu(vm);
    c->bt.tc = tc;
    c->bt.lookup_table = (uint64_t)(uintptr_t)tc->lookup_base[0];
    tc->seg_key = bt_segment_key(c);
    return 0;
oom:
    snprintf(err, errlen, "out of memory for the translation cache");
    return -1;
}

void bt_destroy(struct vm *vm)
{
    struct tc *tc = tc_of(vm);
    if (!tc)
        return;
    munmap(tc->base, BT_TC_SIZE);
    free(tc->tus);
    free(tc->map);
    free(tc->links);
    free(tc->page_tus);
    free(tc->data_writes);
    free(tc->t16_sel_base);
    for (int v = 0; v < SHADOW_VIEWS; v++)
        free(tc->user[v].tus);
    for (int m = 0; m < TC_TABLES; m++)
        free(tc->lookup_base[m]);
    tc_kernel_destroy(tc);
    free(tc);
    *vm_tc(vm) = NULL;
    vm_cpu(vm)->bt.tc = NULL;
}

struct tu *tc_find_key(struct tc *tc, uint32_t lin, int table, uint64_t mkey)
{
    for (int32_t i = tc->hash[tc_hash_of(lin)]; i >= 0; i = tc->tus[i].hash_next)
        if (tc->tus[i].lin == lin && tc->tus[i].valid && tc->tus[i].table == table &&
            tc->tus[i].mkey == mkey)
            return &tc->tus[i];
    return NULL;
}

void tu_lin_pages(const struct tu *tu, uint32_t lp[2])
{
    lp[0] = tu->lin & ~(GUEST_PAGE_SIZE - 1);
    /* A TU that ends before its first instruction (a breakpoint, an
     * undecodable one) covers no byte: its page is the first one's. */
    uint32_t last = tu->guest_len ? tu->lin + tu->guest_len - 1 : tu->lin;
    lp[1] = last & ~(GUEST_PAGE_SIZE - 1);
}

bool tc_maps_to(struct vm *vm, uint32_t lin_page, uint32_t pa_page, bool user)
{
    uint32_t pa;
    /* A fetch: a page that became execute-disabled maps no code. */
    unsigned acc = ACC_FETCH | ACC_NOSET | (user ? ACC_USER : 0);
    return mmu_translate(vm_cpu(vm), lin_page, acc, &pa, NULL) == MMU_OK &&
           (pa & ~(GUEST_PAGE_SIZE - 1)) == pa_page;
}

struct tu *tc_revive(struct vm *vm, uint32_t lin, int table, uint64_t mkey)
{
    struct tc *tc = tc_of(vm);
    for (int32_t i = tc->hash[tc_hash_of(lin)]; i >= 0; i = tc->tus[i].hash_next) {
        struct tu *tu = &tc->tus[i];
        if (!tu->dormant || tu->lin != lin || tu->table != table || tu->mkey != mkey)
            continue;
        uint32_t lp[2];
        tu_lin_pages(tu, lp);
        if (!tc_maps_to(vm, lp[0], tu->page[0], tu->user) ||
            (lp[1] != lp[0] && !tc_maps_to(vm, lp[1], tu->page[1], tu->user)))
            continue;
        tu->dormant = false;
        tu->valid = true;
        if (tu->user) {
            tc_note_user(tc, tu);
            tc->stats->bt_user_revived++;
        } else {
            if (!tc_note_kernel(vm, tu))
                return NULL;
            tc->stats->bt_kernel_revived++;
        }
        return tu;
    }
    return NULL;
}

struct tu *tc_alloc(struct tc *tc)
{
    if (tc->ntus >= TC_MAX_TUS)
        return NULL;
    struct tu *tu = &tc->tus[tc->ntus];
    memset(tu, 0, sizeof *tu);
    tu->links = -1;
    tu->hash_next = -1;
    return tu;
}

void tc_insert(struct tc *tc, struct tu *tu)
{
    uint32_t h = tc_hash_of(tu->lin);
    int32_t idx = (int32_t)(tu - tc->tus);
    tu->hash_next = tc->hash[h];
    tc->hash[h] = idx;
    for (int i = 0; i < 2; i++) {
        uint32_t ppn = tu->page[i] / GUEST_PAGE_SIZE;
        tu->page_next[i] = -1;
        if (ppn >= tc->npages || (i == 1 && tu->page[1] == tu->page[0]))
            continue;
        tu->page_next[i] = tc->page_tus[ppn];
        tc->page_tus[ppn] = idx;
    }
    tu->valid = true;
    tc->ntus++;
}

void bt_lookup_install(struct vm *vm, const struct tu *tu)
{
    struct tc *tc = tc_of(vm);
    /* 16-bit code beyond IP 0xFFFF (a 4 GiB CS) has no key there.  An entry
     * made while the 16-bit table's state is another is dropped by the
     * t16_sync of bt_prepare_segments, before translated code runs. */
    if (tu->table == TC_T16 && tu->eip > 0xFFFF)
        return;
    uint32_t key = tu_lookup_key(tu);
    uint32_t slot = tc_lookup_slot(key);
    tc->lookup_keys[tu->table][slot] = key;
    tc->lookup_code[tu->table][slot] = (uint64_t)(uintptr_t)tu->code;
}

static struct tu *tu_of_code(struct tc *tc, const uint8_t *p)
{
    uint32_t lo = 0, hi = tc->ntus;
    while (lo < hi) {                       /* last TU with code <= p */
        uint32_t mid = (lo + hi) / 2;
        if (tc->tus[mid].code <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    struct tu *tu = &tc->tus[lo - 1];
    return p < tu->code + tu->code_len ? tu : NULL;
}

void bt_link(struct vm *vm, uint8_t *site, void *target_code, uint32_t target_lin)
{
    struct tc *tc = tc_of(vm);
    struct tu *target = tc_find_key(tc, target_lin, bt_table(vm), bt_mode_key(vm_cpu(vm)));
    if (!target || target->code != target_code || tc->nlinks >= TC_MAX_LINKS)
        return;
    /* The site must still belong to a live TU (a flush may have come between). */
    struct tu *from = tu_of_code(tc, site);
    if (!from || !from->valid)
        return;
    int32_t rel;
    memcpy(&rel, site, 4);
    struct tc_link *l = &tc->links[tc->nlinks];
    l->site = site;
    l->stub = site + 4 + rel;
    l->next = target->links;
    target->links = (int32_t)tc->nlinks++;
    patch_rel32(site, target_code);
    tc->stats->bt_chained++;
}

bool bt_host_fault(struct vm *vm, uint64_t rip, uint32_t *guest_eip, unsigned *fix)
{
    struct tc *tc = tc_of(vm);
    const uint8_t *p = (const uint8_t *)(uintptr_t)rip;
    if (!tc || p < tc->base || p >= tc->free)
        return false;
    struct tu *tu = tu_of_code(tc, p);
    if (!tu || tu->ninsn == 0)
        return false;
    uint32_t off = (uint32_t)(p - tu->code);
    const struct tu_map *m = &tc->map[tu->map_first];
    uint32_t i = 0;
    while (i + 1 < tu->ninsn && m[i + 1].host_off <= off)
        i++;
    *guest_eip = m[i].eip;
    *fix = m[i].fix;
    return true;
}

/* Make a TU unreachable: out of the lookup table, and every branch that
 * was chained to it sent back through its exit stub. */
static void tu_unhook(struct tc *tc, struct tu *tu)
{
    tu->valid = false;
    uint32_t slot = tc_lookup_slot(tu_lookup_key(tu));
    if (tc->lookup_code[tu->table][slot] == (uint64_t)(uintptr_t)tu->code) {
        tc->lookup_keys[tu->table][slot] = 0;
        tc->lookup_code[tu->table][slot] = (uint64_t)(uintptr_t)tc->miss_stub;
    }
    for (int32_t l = tu->links; l >= 0; l = tc->links[l].next)
        patch_rel32(tc->links[l].site, tc->links[l].stub);
    tu->links = -1;
}

/* Kill one TU (valid or dormant): unreachable, and out of the hash chain. */
void tc_kill(struct tc *tc, struct tu *tu)
{
    if (!tu->valid && !tu->dormant)
        return;
    if (tu->valid)
        tu_unhook(tc, tu);
    tu->dormant = false;
    int32_t idx = (int32_t)(tu - tc->tus);
    for (int32_t *pp = &tc->hash[tc_hash_of(tu->lin)]; *pp >= 0; pp = &tc->tus[*pp].hash_next)
        if (*pp == idx) {
            *pp = tu->hash_next;
            break;
        }
}

/* A TU whose code page changed mapping: unreachable but kept. */
void tc_sleep(struct tc *tc, struct tu *tu)
{
    if (!tu->valid)
        return;
    tu_unhook(tc, tu);
    tu->dormant = true;
}

void bt_invalidate_page(struct vm *vm, uint32_t page_pa)
{
    struct tc *tc = tc_of(vm);
    uint32_t pg = page_pa & ~(GUEST_PAGE_SIZE - 1), ppn = pg / GUEST_PAGE_SIZE;
    if (ppn < tc->npages) {
        /* Walk the page's list; every TU on it dies, so the list empties. */
        for (int32_t i = tc->page_tus[ppn]; i >= 0;) {
            struct tu *tu = &tc->tus[i];
            int32_t next = tu->page[0] == pg ? tu->page_next[0] : tu->page_next[1];
            if (tu->valid)
                tc->stats->bt_invalidated++;
            tc_kill(tc, tu);                /* a dormant one too: its bytes changed */
            i = next;
        }
        tc->page_tus[ppn] = -1;
        tc->data_writes[ppn] = 0;
    }
    shadow_code_page(vm, pg, false);
}

/* The bytes of guest-physical page pg that a TU was made from, as
 * [*lo, *hi) within the page. */
static void tu_bytes_in(const struct tu *tu, uint32_t pg, uint32_t *lo, uint32_t *hi)
{
    uint32_t start = tu->lin & (GUEST_PAGE_SIZE - 1);
    uint32_t end = start + (tu->guest_len ? tu->guest_len : 1);
    if (tu->page[0] == pg && tu->page[1] == pg && end > GUEST_PAGE_SIZE) {
        *lo = 0;                            /* both linear pages map this frame */
        *hi = GUEST_PAGE_SIZE;
    } else if (tu->page[0] == pg) {
        *lo = start;
        *hi = end < GUEST_PAGE_SIZE ? end : GUEST_PAGE_SIZE;
    } else {
        *lo = 0;
        *hi = end - GUEST_PAGE_SIZE;
    }
}

/*
 * Real-mode code keeps its variables, and often its stack, in the pages of
 * its code: dropping every TU of the page at each such write would
 * translate the same code again and again.  A write the monitor makes (the
 * emulator, DMA) therefore kills only the TUs made from the bytes written;
 * the page stays write-protected while TUs remain on it.  Dead TUs met on
 * the way (killed through their other page) leave the list too.
 */
void bt_code_written(struct vm *vm, uint32_t pa, uint32_t len)
{
    struct tc *tc = tc_of(vm);
    uint32_t pg = pa & ~(GUEST_PAGE_SIZE - 1), ppn = pg / GUEST_PAGE_SIZE;
    uint32_t off = pa - pg, end = off + len;
    if (ppn >= tc->npages)
        return;
    for (int32_t *link = &tc->page_tus[ppn]; *link >= 0;) {
        struct tu *tu = &tc->tus[*link];
        int32_t *next = tu->page[0] == pg ? &tu->page_next[0] : &tu->page_next[1];
        uint32_t lo, hi;
        tu_bytes_in(tu, pg, &lo, &hi);
        bool dead = !tu->valid && !tu->dormant;
        if (dead || (off < hi && end > lo)) {
            if (!dead) {
                if (tu->valid)
                    tc->stats->bt_invalidated++;
                tc->stats->bt_partial_invalidations++;
                tc_kill(tc, tu);
            }
            *link = *next;
        } else {
            link = next;
        }
    }
    if (tc->page_tus[ppn] < 0) {
        tc->data_writes[ppn] = 0;
        shadow_code_page(vm, pg, false);
    }
}

bool bt_data_page(struct vm *vm, uint32_t pa)
{
    struct tc *tc = tc_of(vm);
    uint32_t ppn = pa / GUEST_PAGE_SIZE;
    if (ppn >= tc->npages || ++tc->data_writes[ppn] < BT_DATA_WRITES)
        return false;
    tc->data_writes[ppn] = 0;
    return true;
}

void bt_flush(struct vm *vm, const char *why)
{
    struct tc *tc = tc_of(vm);
    tc->ntus = tc->nmap = tc->nlinks = 0;
    for (int v = 0; v < SHADOW_VIEWS; v++)
        tc->user[v].ntus = tc->user[v].ncode = 0;
    tc_kernel_reset(tc);
    memset(tc->hash, 0xFF, sizeof tc->hash);
    memset(tc->page_tus, 0xFF, tc->npages * sizeof *tc->page_tus);
    memset(tc->data_writes, 0, tc->npages);
    tc_emit_common(tc);
    lookup_reset(tc);
    struct guest_mem *m = vm_mem(vm);
    for (uint64_t p = 0; p < m->size / GUEST_PAGE_SIZE; p++)
        if (m->code_pages[p])
            shadow_code_page(vm, (uint32_t)(p * GUEST_PAGE_SIZE), false);
    tc->seg_key = bt_segment_key(vm_cpu(vm));
    tc->stats->bt_flushes++;
    if (vm_tracing(vm))
        fprintf(stderr, "[bt] flush: %s\n", why);
}

bool bt_seg_unlimited(const struct seg *s)
{
    /* Expand-up data (type bit 2 clear) or code, 4 GiB limit: no check can fail. */
    bool expand_down = SEG_ATTR_S(s->attr) && !(s->attr & 8) && (s->attr & 4);
    return s->limit == 0xFFFFFFFFu && !expand_down;
}

void bt_prepare_segments(struct vcpu *c)
{
    /* CPL 3 runs in the user view (host [0, 4 GiB), only the guest's user
     * pages): a supervisor page is simply absent there, and a miss is a
     * user-mode fault, exactly as for directly executed ring 3. */
    bool user = bt_user_mode(c);
    c->bt.xview = user ? 0 : c->bt.kview;
    bool code16 = bt_code16(c);
    if (code16)
        t16_sync(c);
    c->bt.lookup_table = (uint64_t)(uintptr_t)c->bt.tc->lookup_base[code16 ? TC_T16
                                                                    : user ? 1 + shadow_current_view(c->vm) : 0];
    c->bt.fpu_gate = fpu_gate_for(c->cr0, c->cr4);
    /* Alignment checks (#AC) apply at CPL 3 with CR0.AM and EFLAGS.AC: the
     * host checks translated code's guest accesses then, as for direct
     * ring 3 (its own accesses, to struct vcpu and the tables, are aligned). */
    c->bt.host_ac = user && (c->cr0 & CR0_AM) && (c->eflags & FL_AC) ? FL_AC : 0;
    /* GS holds the kernel view for translated code of either CPL (CPL-3
     * translations address the user view at host 0 with no segment), so
     * it changes only when the address space's kernel view does. */
    c->bt.gs_base = c->bt.kview;
    host_gs_sync(c);
    c->bt.seglimit_guard[0] = bt_seg_unlimited(&c->seg[S_FS]) ? c->bt.guard_ok : c->bt.guard_trap;
    c->bt.seglimit_guard[1] = bt_seg_unlimited(&c->seg[S_GS]) ? c->bt.guard_ok : c->bt.guard_trap;
}

bool bt_segments_match(struct vm *vm)
{
    return bt_segment_key(vm_cpu(vm)) == tc_of(vm)->seg_key;
}

uint64_t bt_segment_key(const struct vcpu *c)
{
    /* Translations hard-wire "base 0" for ES, SS and DS when they are flat,
     * and CS.base into every EIP they compute. */
    uint64_t key = c->seg[S_CS].base;
    if (c->seg[S_ES].base == 0) key |= 1ull << 32;
    if (c->seg[S_SS].base == 0) key |= 1ull << 33;
    if (c->seg[S_DS].base == 0) key |= 1ull << 34;
    /* ... and which of them have no limit to check (bt_seg_unlimited).
     * FS and GS are left out: their bases are read at run time, and
     * guests switch them at every context switch (TLS, per-CPU data), so
     * accesses through them are never limit-checked (docs/translator.md). */
    if (SEG_ATTR_DB(c->seg[S_SS].attr)) key |= 1ull << 35;    /* ESP, not SP (bt_stack_flat) */
    static const int keyed[] = { S_ES, S_CS, S_SS, S_DS };
    for (int i = 0; i < 4; i++)
        if (bt_seg_unlimited(&c->seg[keyed[i]]))
            key |= 1ull << (40 + keyed[i]);
    return key;
}
