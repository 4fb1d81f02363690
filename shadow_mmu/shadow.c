/*
 * shadow_mmu/shadow.c - building the host views from the guest page tables.
 *
 * Views.  Translated ring-0 code sees guest linear memory through a kernel
 * view (a 4 GiB window in a host reservation with guards on both sides,
 * shadow_mmu/guest_mem.h; GS base); ring-3 code run directly sees
 * the user view of the running address space in host [4 KiB, 4 GiB), or
 * [0, 4 GiB) where vmm may map host page 0 (s->user_first; hostmap.c).  Up to SHADOW_VIEWS address spaces keep both, one per
 * recently used guest CR3, so that switching back to an address space finds
 * its mappings still there (its user pages come back without a walk of the
 * guest's tables when touched).  A
 * new CR3 takes over the least recently used view and keeps the 4 MiB
 * regions whose directory entries it shares (view_recycle).  View 0's
 * kernel view is the one guest_mem created; with paging off it maps RAM
 * 1:1.
 *
 * Views are filled one 4 KiB page at a time by hidden faults (fault()):
 * the guest's tables are walked (setting A and D as hardware would) and the
 * page is mapped, read-only until the guest's first write so that the
 * dirty bit is set exactly when hardware would.  They stay exact because
 * the guest's page tables are traced (pttrace.c).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "shadow_mmu/shadow_int.h"
#include "shadow_mmu/lab_mmu_trace.h"
#include "shadow_mmu/mmu.h"
#include "cpu/host_facts.h"
#include "cpu/machine.h"
#include "devices/device.h"
#include "cpu/counters.h"

int shadow_init(struct vm *vm, bool emulate_page0, char *err, unsigned long errlen)
{
    struct shadow *s = calloc(1, sizeof *s);
    if (!s)
        goto oom;
    *vm_shadow(vm) = s;
    s->npages = vm_mem(vm)->size / GUEST_PAGE_SIZE;
    s->user_first = host_plan()->user_page0 && !emulate_page0 ? 0 : 1;
    s->ptp = calloc(s->npages, 1);
    s->snap = calloc(UNSYNC_MAX, sizeof *s->snap);
    s->snap_slot = calloc(s->npages, sizeof *s->snap_slot);
    if (!s->ptp || !s->snap || !s->snap_slot || hm_init(s) < 0)
        goto oom;
    for (int i = 0; i < SHADOW_VIEWS; i++) {
        struct view *v = &s->v[i];
        v->cr3 = VIEW_FREE;
        v->uses = calloc(s->npages, sizeof *v->uses);
        if (!v->uses)
            goto oom;
        if (i == 0) {
            v->base = vm_mem(vm)->kview;
        } else {
            v->base = kview_reserve();
            if (!v->base) {
                snprintf(err, errlen, "cannot reserve kernel view %d", i);
                return -1;
            }
        }
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory for the shadow page tables");
    return -1;
}

void shadow_destroy(struct vm *vm)
{
    struct shadow *s = shadow_of(vm);
    if (!s)
        return;
    for (int i = 0; i < SHADOW_VIEWS; i++) {
        if (i > 0)
            kview_release(s->v[i].base);
        free(s->v[i].uses);
    }
    hm_destroy(s);
    free(s->ptp);
    free(s->snap);
    free(s->snap_slot);
    free(s->xstate);
    free(s);
    *vm_shadow(vm) = NULL;
}

void shadow_trace_range(struct vm *vm, uint32_t lo, uint32_t hi)
{
    struct shadow *s = shadow_of(vm);
    s->trace.on = true;
    s->trace.lo = lo;
    s->trace.hi = hi;
}

/* ---- views ------------------------------------------------------------ */

static void view_clear(struct vm *vm, int i)
{
    struct shadow *s = shadow_of(vm);
    hm_clear(vm, i);
    hm_clear(vm, USER_TAG + i);
    memset(s->v[i].uses, 0, s->npages * sizeof *s->v[i].uses);
    memset(s->v[i].big, 0, sizeof s->v[i].big);
}

/* The user view follows later, when ring 3 runs (shadow_user_enter): a
 * guest whose kernel runs on page tables of its own (Linux's page-table
 * isolation writes CR3 at every kernel entry and exit) would otherwise
 * swap the process's user pages out of the host and back at each system
 * call, though its kernel never runs ring 3 on them. */
static void use_view(struct vm *vm, int i)
{
    struct shadow *s = shadow_of(vm);
    s->cur = i;
    s->v[i].last_used = ++s->clock;
    vm_cpu(vm)->bt.kview = (uint64_t)(uintptr_t)s->v[i].base;
}

void shadow_user_enter(struct vm *vm)
{
    hm_switch_user(vm, shadow_of(vm)->cur);
}

/*
 * The view for the current CR3: a cached one, else the least recently used
 * one, taken over.  Either way its regions are checked against the live
 * directory (pttrace.c): the cached view loses what changed since it last
 * ran, the taken-over one keeps the regions whose directory entries the two
 * address spaces share (for Linux the whole kernel half, which every page
 * directory copies), so a new process does not fault the kernel's data in
 * again.  Called right after shadow_resync().
 */
static void select_view(struct vm *vm)
{
    struct shadow *s = shadow_of(vm);
    struct vcpu *c = vm_cpu(vm);
    uint32_t cr3 = c->cr3 & mmu_format(c)->cr3_mask;
    int pick = -1;
    for (int i = 0; i < SHADOW_VIEWS; i++)
        if (s->v[i].cr3 == cr3)
            pick = i;
    if (pick >= 0) {
        vm_stats(vm)->shadow_view_hits++;
    } else {
        pick = 0;
        for (int i = 1; i < SHADOW_VIEWS; i++)
            if (s->v[i].last_used < s->v[pick].last_used)
                pick = i;
        s->v[pick].cr3 = cr3;
        vm_stats(vm)->shadow_view_recycles++;
    }
    pt_revalidate_view(vm, pick);
    use_view(vm, pick);
}

/* Paging off: the identity map's page ppn, and its alias in the odd
 * megabyte above while the A20 gate is closed (guest_mem_map_a20_alias),
 * get protection prot. */
static void identity_protect(struct vm *vm, uint32_t ppn, int prot)
{
    guest_mem_identity_protect(vm_mem(vm), ppn, prot);
}

void shadow_reset(struct vm *vm)
{
    struct shadow *s = shadow_of(vm);
    for (int i = 0; i < SHADOW_VIEWS; i++) {
        view_clear(vm, i);
        s->v[i].cr3 = VIEW_FREE;
    }
    memset(s->ptp, 0, s->npages);
    s->nunsync = 0;
    vm_stats(vm)->shadow_flushes++;
    if (!(vm_cpu(vm)->cr0 & CR0_PG)) {
        /* Paging off: view 0 maps RAM 1:1; code pages stay read-only. */
        struct guest_mem *m = vm_mem(vm);
        guest_mem_map_identity(m);
        for (uint64_t p = 0; p < s->npages; p++)
            if (m->code_pages[p])
                identity_protect(vm, (uint32_t)p, PROT_READ);
        use_view(vm, 0);
        return;
    }
    select_view(vm);
}

void shadow_cr3_loaded(struct vm *vm)
{
    if (!(vm_cpu(vm)->cr0 & CR0_PG))
        return;
    shadow_resync(vm);          /* a TLB flush: changed entries take effect */
    select_view(vm);
}

void shadow_invlpg(struct vm *vm, uint32_t lin)
{
    if (!(vm_cpu(vm)->cr0 & CR0_PG))
        return;
    struct shadow *s = shadow_of(vm);
    vm_stats(vm)->shadow_invlpg++;
    uint32_t lpn = lin >> 12, d = lin >> mmu_format(vm_cpu(vm))->dir_shift;
    /* A big page is one TLB entry: drop all of it. */
    if (s->v[s->cur].big[d])
        view_unmap_region(vm, s->cur, d);
    else
        view_unmap(vm, s->cur, lpn, 1);
    /* INVLPG also empties the processor's directory-entry caches. */
    pt_revalidate_view(vm, s->cur);
}

/* ---- faults ----------------------------------------------------------- */

/* Page 0 of the host cannot be mapped (mmap_min_addr) unless vmm has
 * CAP_SYS_RAWIO: where it cannot, a user view has it emulated. */
static bool host_page_zero(const struct shadow *s, int tag, uint32_t lin)
{
    return is_user(tag) && (lin >> 12) < s->user_first;
}

/*
 * Fault-around.  When Linux handles a page fault on a file it maps up to 16
 * of the file's pages around it at once (filemap_map_pages), and each of
 * them would cost ring 3 one more hidden fault here; the kernel's own data
 * lies in 4 MiB pages, whose 4 KiB pieces would each fault once per view.
 * A neighbour is mapped with the faulting page, by the same mmap, when that
 * costs nothing more: its guest entry is present and already accessed (and
 * dirty, for a writable mapping; user, in a user view), and its frame
 * continues the faulting page's frame, so the run is one host mapping (in
 * a 4 MiB page every neighbour qualifies).  Nothing the guest can see
 * changes (no A or D bit is set; a TLB may hold such entries anyway).
 * Mapping neighbours that needed a system call each was measured and
 * dropped: it made fork+exec slower (docs/linux-guest.md).
 */
#define AROUND_MAX 16

/* May page lpn, frame ppn, join the run?  For a big page the directory
 * entry, checked by the caller, is the entry.  A neighbour must also agree
 * with the faulting page on execute-disable (nx), which a user view maps
 * as PROT_EXEC or not. */
static bool around_entry(struct vm *vm, int tag, unsigned u, uint64_t pde, bool big,
                         uint32_t lpn, uint32_t ppn, bool writable, bool nx)
{
    struct vcpu *c = vm_cpu(vm);
    struct guest_mem *m = vm_mem(vm);
    const struct pg_format *fm = mmu_format(c);
    if ((shadow_of(vm)->t[tag].map[lpn] & LM_PRESENT) ||
        !guest_mem_is_ram(m, (uint64_t)ppn << 12, 4096) || (writable && !hm_may_write(vm, ppn)))
        return false;
    if (big)
        return true;
    uint32_t idx = lpn & ((1u << fm->pt_bits) - 1);
    uint32_t tpa = (uint32_t)(pde & fm->frame) + idx * fm->esize;
    if (!guest_phys_ptr(m, tpa, fm->esize))
        return false;
    uint64_t pte = mmu_read_entry(c, tpa);
    uint64_t need = PTE_P | PTE_A | (u ? PTE_U : 0);
    if (writable)
        need |= PTE_W | PTE_D;
    return (uint32_t)(pte & fm->frame) >> 12 == ppn && (pte & need) == need &&
           !(pte & (fm->rsvd_pte | (nx ? 0 : PTE_XD))) &&
           (mmu_is_nx(c, pde | pte) || exec_filtered(shadow_of(vm), tag, ppn)) == nx;
}

/* Map the faulting page lpn -> ppn with as many neighbours as qualify
 * (within its directory slot). */
static int map_around(struct vm *vm, int tag, unsigned u, uint32_t lpn, uint32_t ppn,
                      bool writable, bool nx)
{
    struct vcpu *c = vm_cpu(vm);
    if (!(c->cr0 & CR0_PG) || (writable && !hm_may_write(vm, ppn)))
        return hm_map(vm, tag, lpn, ppn, writable, nx);
    const struct pg_format *fm = mmu_format(c);
    uint32_t pa, slot = 1u << fm->pt_bits;
    uint64_t pde;
    mmu_dir_entry(c, lpn >> fm->pt_bits, &pa, &pde);
    bool big = mmu_is_big(c, pde);
    uint64_t need = PTE_P | (u ? PTE_U : 0) | (writable ? PTE_W : 0) |
                    (big && writable ? PTE_D : 0);
    if ((pde & need) != need)
        return hm_map(vm, tag, lpn, ppn, writable, nx);
    uint32_t region = lpn & ~(slot - 1), lo = lpn, hi = lpn, first = is_user(tag) ? shadow_of(vm)->user_first : 0;
    while (hi - lo + 1 < AROUND_MAX && hi + 1 < region + slot &&
           around_entry(vm, tag, u, pde, big, hi + 1, ppn + (hi + 1 - lpn), writable, nx))
        hi++;
    while (hi - lo + 1 < AROUND_MAX && lo > region && lo > first &&
           around_entry(vm, tag, u, pde, big, lo - 1, ppn - (lpn - lo + 1), writable, nx))
        lo--;
    if (lo == hi)
        return hm_map(vm, tag, lpn, ppn, writable, nx);
    for (uint32_t l = lo; l <= hi && !big; l++)
        if (l != lpn)
            pt_note_walk(vm, l << 12);
    vm_stats(vm)->shadow_mapped_around += hi - lo;
    return hm_map_run(vm, tag, lo, ppn - (lpn - lo), hi - lo + 1, writable, nx, lpn);
}

/* A fault in view `tag` with the rights `u` (ACC_USER for ring 3, 0 for
 * the supervisor: translated ring 0 in a kernel view, or ring 0 run
 * directly in the user view under --ring0=direct). */
static enum shadow_result fault(struct vm *vm, int tag, unsigned u, uint32_t lin, bool write,
                                uint32_t *pa, uint32_t *pf_error)
{
    struct vcpu *c = vm_cpu(vm);
    struct shadow *s = shadow_of(vm);
    struct stats *st = vm_stats(vm);
    struct mmu_fault f;
    unsigned acc = (write ? ACC_WRITE : ACC_READ) | u;
    enum mmu_result r = mmu_translate(c, lin, acc, pa, &f);
    if (r == MMU_PAGE_FAULT) {
        *pf_error = f.error;
        st->shadow_true_faults++;
        return SHADOW_GUEST_PF;
    }
    bool page0 = host_page_zero(s, tag, lin);
    if (r == MMU_NOT_RAM && !write && !io_mmio_claimed(vm_io(vm), *pa) && !page0 &&
        hm_map_ones(vm, tag, lin >> 12) == 0)
        return SHADOW_FIXED;
    if (r == MMU_NOT_RAM || page0)
        return SHADOW_MMIO;     /* device memory, or a page the host cannot map */
    uint32_t ppn = *pa >> 12;
    if (write && guest_mem_write_discarded(vm_mem(vm), *pa))
        return SHADOW_DISCARD;
    if (write && vm_mem(vm)->code_pages[ppn])
        return SHADOW_SMC;
    if (write && s->ptp[ppn] == PT_TRACED && (c->cr0 & CR0_PG))
        pt_unsync(vm, ppn);     /* then mapped writable below */
    if (!(c->cr0 & CR0_PG) && !is_user(tag))
        return SHADOW_MMIO;     /* the identity map already has every RAM page */
    uint32_t cur = s->t[tag].map[lin >> 12];
    if ((cur & LM_PRESENT) && (cur >> 12) == ppn && ((cur & LM_WRITE) || !write))
        return SHADOW_MMIO;     /* mapped as asked and still faulting: not a paging matter */
    if (c->cr0 & CR0_PG)
        pt_note_walk(vm, lin);
    st->shadow_hidden_faults++;
    if (is_user(tag))
        st->shadow_user_hidden_faults++;
    if (s->trace.on)
        mmu_trace_hidden(vm, lin, *pa, write, u != 0);
    /* Read-only until the first write, so the guest's dirty bit is exact;
     * unless the entry is dirty already and allows the write. */
    uint32_t pa2;
    bool writable = write || mmu_translate(c, lin, ACC_WRITE | ACC_NOSET | ACC_DIRTY | u,
                                           &pa2, NULL) == MMU_OK;
    /* Directly executed ring 3 fetches through the user view: an
     * execute-disabled page is mapped without PROT_EXEC, and a fetch from
     * it, emulated, takes the guest's #PF with I/D. */
    bool nx = is_user(tag) && (((c->cr0 & CR0_PG) &&
                                mmu_translate(c, lin, ACC_FETCH | ACC_NOSET | u, &pa2, NULL) != MMU_OK) ||
                               exec_filtered(s, tag, ppn));
    if (map_around(vm, tag, u, lin >> 12, ppn, writable, nx) < 0)
        return SHADOW_MMIO;
    return SHADOW_FIXED;
}

enum shadow_result shadow_fault(struct vm *vm, uint32_t lin, bool write,
                                uint32_t *pa, uint32_t *pf_error)
{
    return fault(vm, shadow_of(vm)->cur, 0, lin, write, pa, pf_error);
}

enum shadow_result shadow_user_fault(struct vm *vm, uint32_t lin, bool write,
                                     uint32_t *pa, uint32_t *pf_error)
{
    int tag = USER_TAG + shadow_of(vm)->cur;
    shadow_user_enter(vm);
    if (hm_bring_back_page(vm, tag, lin >> 12, write))
        return SHADOW_FIXED;
    return fault(vm, tag, ACC_USER, lin, write, pa, pf_error);
}

enum shadow_result shadow_direct_fault(struct vm *vm, uint32_t lin, bool write, bool supervisor,
                                       uint32_t *pa, uint32_t *pf_error)
{
    if (!supervisor)
        return shadow_user_fault(vm, lin, write, pa, pf_error);
    shadow_user_enter(vm);
    return fault(vm, USER_TAG + shadow_of(vm)->cur, 0, lin, write, pa, pf_error);
}

void shadow_user_flush(struct vm *vm)
{
    for (int i = 0; i < SHADOW_VIEWS; i++)
        hm_clear(vm, USER_TAG + i);
}

bool shadow_direct_exec(struct vm *vm, uint32_t lin, bool exec)
{
    struct shadow *s = shadow_of(vm);
    shadow_user_enter(vm);
    int tag = USER_TAG + s->cur;
    uint32_t *e = &s->t[tag].map[lin >> 12];
    if (!(*e & LM_PRESENT) || (*e & LM_ONES) || !(*e & LM_NX) == exec)
        return false;
    *e ^= LM_NX;
    mprotect(hm_host(s, tag, lin >> 12), GUEST_PAGE_SIZE, hm_prot(tag, *e));
    return true;
}

int shadow_exec_filter_on(struct vm *vm)
{
    struct shadow *s = shadow_of(vm);
    if (!s->xstate && !(s->xstate = calloc(s->npages, 1)))
        return -1;
    shadow_user_flush(vm);
    return 0;
}

int shadow_exec_state(struct vm *vm, uint32_t ppn)
{
    const struct shadow *s = shadow_of(vm);
    return s->xstate && ppn < s->npages ? s->xstate[ppn] : SHADOW_X_CLEAN;
}

void shadow_set_exec_state(struct vm *vm, uint32_t ppn, int state)
{
    struct shadow *s = shadow_of(vm);
    if (s->xstate && ppn < s->npages)
        s->xstate[ppn] = (uint8_t)state;
}

void shadow_user_prefault(struct vm *vm, uint32_t lin)
{
    struct vcpu *c = vm_cpu(vm);
    struct mmu_fault f;
    uint32_t pa, err;
    struct shadow *s = shadow_of(vm);
    int tag = USER_TAG + s->cur;
    shadow_user_enter(vm);
    if (!(c->cr0 & CR0_PG) || (s->t[tag].map[lin >> 12] & LM_PRESENT) ||
        mmu_translate(c, lin, ACC_READ | ACC_USER | ACC_NOSET, &pa, &f) != MMU_OK)
        return;
    if (fault(vm, tag, ACC_USER, lin, false, &pa, &err) == SHADOW_FIXED)
        vm_stats(vm)->shadow_prefaults++;
}

void shadow_code_page(struct vm *vm, uint32_t pa, bool protect)
{
    struct shadow *s = shadow_of(vm);
    struct guest_mem *m = vm_mem(vm);
    uint32_t ppn = pa >> 12;
    if ((uint64_t)pa >= m->size || m->code_pages[ppn] == protect)
        return;
    m->code_pages[ppn] = protect;
    if (!protect && s->xstate && s->xstate[ppn] != SHADOW_X_UNSCANNED) {
        /* Its code changes: decode it again before it next runs directly,
         * and take back the executable mappings it has. */
        uint8_t old = s->xstate[ppn];
        s->xstate[ppn] = SHADOW_X_UNSCANNED;
        if (old == SHADOW_X_CLEAN || old == SHADOW_X_STEP)
            hm_unmap_user_aliases(vm, ppn);
    }
    if (!(vm_cpu(vm)->cr0 & CR0_PG)) {
        /* The identity map holds every page writable: change just this one
         * (unless it is also a page-table page, which paging off cannot be). */
        identity_protect(vm, ppn, protect || guest_mem_write_discarded(m, pa) ? PROT_READ
                                                                            : PROT_READ | PROT_WRITE);
        return;
    }
    /* Aliases stay read-only when unprotected: the next write remaps them. */
    if (protect)
        hm_protect_aliases(vm, ppn);
}

void shadow_write_discard(struct vm *vm, uint64_t ro)
{
    struct guest_mem *m = vm_mem(vm);
    uint64_t changed = m->shadow_ro ^ ro;
    m->shadow_ro = ro;
    if (!*vm_shadow(vm))
        return;     /* no views yet (guest_mem_map_identity applies it), or --accel kvm */
    bool paging = vm_cpu(vm)->cr0 & CR0_PG;
    for (uint32_t i = 0; i < GUEST_SHADOW_PAGES; i++) {
        uint32_t ppn = (GUEST_SHADOW_BASE >> 12) + i;
        if (!(changed >> i & 1) || (uint64_t)ppn * GUEST_PAGE_SIZE >= m->size)
            continue;
        bool protect = ro >> i & 1;
        if (!paging)
            identity_protect(vm, ppn, protect || m->code_pages[ppn] ? PROT_READ
                                                                    : PROT_READ | PROT_WRITE);
        else if (protect)
            hm_protect_aliases(vm, ppn);
        /* Lifted with paging on: the read-only aliases are remapped
         * writable at the next write (fault()). */
    }
}

int shadow_current_view(struct vm *vm)
{
    struct shadow *s = shadow_of(vm);
    return s ? s->cur : 0;
}
