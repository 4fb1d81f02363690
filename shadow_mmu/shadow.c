/*
 * shadow_mmu/shadow.c - building the host views from the guest page tables.
 *
 * Views.  Translated ring-0 code sees guest linear memory through a kernel
 * view (an 8 GiB host reservation, GS base).  Up to SHADOW_VIEWS of them are
 * kept, one per recently used guest CR3, so that switching back to an
 * address space finds its mappings still there.  View 0 is the one
 * guest_mem created; with paging off it maps RAM 1:1.  Ring-3 code run
 * directly sees the single user view (host [4 KiB, 4 GiB)), which belongs to
 * the current CR3 and is dropped when CR3 changes.
 *
 * Tracing.  Every guest page the walker reads as a page directory or page
 * table is a "page-table page" (ptp[] = PT_TRACED): every host alias of it
 * is read-only.  The guest's first write to it faults; instead of trapping
 * every write, the page is then "unsynced": a snapshot of its 1024 entries
 * is kept, the page becomes writable and the guest's writes run at full
 * speed.  This is what a TLB allows: hardware need not notice a changed
 * entry until the guest flushes (MOV CR3, INVLPG), and an entry that was
 * not present was never cached, so a new mapping is found by the next
 * hidden fault, which walks the live tables.  At the next CR3 load
 * (shadow_resync) each unsynced page is compared with its snapshot, the
 * mappings that changed entries produced are dropped in every view, and the
 * page is write-protected again (or forgotten, if no view uses it as a page
 * table any more).  INVLPG drops its page at once.  Writes the monitor
 * itself makes (the emulator) to a traced page drop the affected mappings
 * at once (shadow_pt_written).
 *
 * Bookkeeping.  view->lmap[] holds, per guest linear page, what the view
 * maps there (physical page | LM_PRESENT | LM_WRITE); umap[] the same for
 * the user view.  rmap[] holds, per guest-physical page, up to RMAP_SLOTS
 * host aliases (view tag and linear page), or RMAP_MANY, so that a page
 * that becomes a code page or a page-table page can have every alias
 * write-protected.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "shadow_mmu/shadow.h"
#include "shadow_mmu/mmu.h"
#include "monitor/vm.h"

#define LM_PRESENT 1u
#define LM_WRITE   2u
#define LM_ONES    4u               /* the all-ones page of unassigned space */
#define RMAP_SLOTS 8              /* a frame seen by every view and the user view fits */
#define RMAP_MANY  0xFFFFFFFFu
#define NPAGES_4G  (1u << 20)
#define USER_TAG   SHADOW_VIEWS         /* rmap tag of the user view */
#define LIST_MAX   65536u
#define PTE_P  0x001u
#define PTE_A  0x020u
#define PTE_D  0x040u
#define PTE_AD (PTE_A | PTE_D)
#define PTE_PS 0x080u
#define PT_ENTRIES 1024u
#define UNSYNC_MAX 512u             /* unsynced page tables between two resyncs */

/* ptp[]: what a guest-physical page is to the shadow. */
enum { PT_NONE, PT_TRACED, PT_UNSYNC };

/* view->uses[]: how a view's walks read a physical page. */
#define USE_PD    0xFFFEu           /* as its page directory */
#define USE_MULTI 0xFFFFu           /* more than one way: scan the directory */
/* 1..1024: as the page table of directory entry (value - 1) */

struct view {
    uint8_t *base;              /* host address of guest linear 0 */
    uint32_t cr3;               /* page directory shadowed; VIEW_FREE if none */
    uint32_t *lmap;
    uint16_t *uses;             /* per physical page: read as PD/PT (USE_*) */
    uint16_t regcount[1024];    /* pages mapped per 4 MiB region (directory entry) */
    uint64_t mapped;
    uint64_t last_used;
};
#define VIEW_FREE 0xFFFFFFFFu

struct shadow {
    struct view v[SHADOW_VIEWS];
    int cur;
    uint32_t *umap;
    uint64_t umapped;
    /* Per tag (view, or USER_TAG): the linear pages mapped since the last
     * clear, so that a clear touches only them (past LIST_MAX: scan the map). */
    uint32_t *list[SHADOW_VIEWS + 1];
    uint32_t nlist[SHADOW_VIEWS + 1];
    uint32_t (*rmap)[RMAP_SLOTS];
    uint8_t *ptp;               /* per physical page: PT_NONE, PT_TRACED, PT_UNSYNC */
    uint32_t unsync[UNSYNC_MAX];        /* the PT_UNSYNC pages */
    uint32_t (*snap)[PT_ENTRIES];       /* their entries when they were unsynced */
    uint32_t nunsync;
    uint64_t npages;            /* physical pages of RAM */
    uint64_t clock;
};

static uint8_t *view_page(const struct view *v, uint32_t lpn)
{
    return v->base + (uint64_t)lpn * GUEST_PAGE_SIZE;
}

static uint8_t *user_page(uint32_t lpn)
{
    return (uint8_t *)((uintptr_t)lpn * GUEST_PAGE_SIZE);
}

/* Replace [p, p+len) by an inaccessible reservation: one system call. */
static void reserve(void *p, uint64_t len)
{
    mmap(p, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

int shadow_init(struct vm *vm, char *err, unsigned long errlen)
{
    struct shadow *s = calloc(1, sizeof *s);
    if (!s)
        goto oom;
    s->npages = vm->mem.size / GUEST_PAGE_SIZE;
    s->umap = calloc(NPAGES_4G, sizeof *s->umap);
    for (int t = 0; t <= USER_TAG; t++)
        if (!(s->list[t] = calloc(LIST_MAX, sizeof *s->list[t])))
            goto oom;
    s->rmap = calloc(s->npages, sizeof *s->rmap);
    s->ptp = calloc(s->npages, 1);
    s->snap = calloc(UNSYNC_MAX, sizeof *s->snap);
    if (!s->umap || !s->rmap || !s->ptp || !s->snap)
        goto oom;
    for (int i = 0; i < SHADOW_VIEWS; i++) {
        struct view *v = &s->v[i];
        v->cr3 = VIEW_FREE;
        v->lmap = calloc(NPAGES_4G, sizeof *v->lmap);
        v->uses = calloc(s->npages, sizeof *v->uses);
        if (!v->lmap || !v->uses)
            goto oom;
        if (i == 0) {
            v->base = vm->mem.kview;
        } else {
            v->base = mmap(NULL, KVIEW_SIZE, PROT_NONE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (v->base == MAP_FAILED) {
                snprintf(err, errlen, "cannot reserve kernel view %d", i);
                return -1;
            }
        }
    }
    vm->shadow = s;
    return 0;
oom:
    snprintf(err, errlen, "out of memory for the shadow page tables");
    return -1;
}

void shadow_destroy(struct vm *vm)
{
    struct shadow *s = vm->shadow;
    if (!s)
        return;
    for (int i = 0; i < SHADOW_VIEWS; i++) {
        if (i > 0 && s->v[i].base)
            munmap(s->v[i].base, KVIEW_SIZE);
        free(s->v[i].lmap);
        free(s->v[i].uses);
    }
    free(s->umap);
    for (int t = 0; t <= USER_TAG; t++)
        free(s->list[t]);
    free(s->rmap);
    free(s->ptp);
    free(s->snap);
    free(s);
    vm->shadow = NULL;
}

/* ---- reverse map ---------------------------------------------------- */

static uint32_t rmap_val(int tag, uint32_t lpn)
{
    return (((uint32_t)tag << 20) | lpn) + 1;
}

static void rmap_add(struct shadow *s, uint32_t ppn, int tag, uint32_t lpn)
{
    uint32_t val = rmap_val(tag, lpn);
    uint32_t *r = s->rmap[ppn];
    if (r[0] == RMAP_MANY)
        return;
    for (int i = 0; i < RMAP_SLOTS; i++)
        if (r[i] == val)
            return;
    for (int i = 0; i < RMAP_SLOTS; i++)
        if (r[i] == 0) {
            r[i] = val;
            return;
        }
    r[0] = RMAP_MANY;
}

static void rmap_del(struct shadow *s, uint32_t ppn, int tag, uint32_t lpn)
{
    uint32_t val = rmap_val(tag, lpn);
    for (int i = 0; i < RMAP_SLOTS; i++)
        if (s->rmap[ppn][i] == val)
            s->rmap[ppn][i] = 0;
}

/* ---- mapping and unmapping one page --------------------------------- */

static uint32_t *map_of(struct shadow *s, int tag)
{
    return tag == USER_TAG ? s->umap : s->v[tag].lmap;
}

static uint8_t *host_page(struct shadow *s, int tag, uint32_t lpn)
{
    return tag == USER_TAG ? user_page(lpn) : view_page(&s->v[tag], lpn);
}

/* A linear page became mapped in tag's map. */
static void note_mapped(struct shadow *s, int tag, uint32_t lpn)
{
    if (tag == USER_TAG) {
        s->umapped++;
    } else {
        s->v[tag].mapped++;
        s->v[tag].regcount[lpn >> 10]++;
    }
    if (s->nlist[tag] < LIST_MAX)
        s->list[tag][s->nlist[tag]] = lpn;
    s->nlist[tag]++;
}

/* Forget every mapping of one tag (its host range was re-reserved). */
static void clear_maps(struct shadow *s, int tag)
{
    uint32_t *m = map_of(s, tag);
    bool listed = s->nlist[tag] <= LIST_MAX;
    uint32_t n = listed ? s->nlist[tag] : NPAGES_4G;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t l = listed ? s->list[tag][i] : i;
        if (m[l] & LM_PRESENT) {
            if (!(m[l] & LM_ONES))
                rmap_del(s, m[l] >> 12, tag, l);
            m[l] = 0;
        }
    }
    s->nlist[tag] = 0;
    if (tag == USER_TAG) {
        s->umapped = 0;
    } else {
        s->v[tag].mapped = 0;
        memset(s->v[tag].regcount, 0, sizeof s->v[tag].regcount);
    }
}

static void unmap_one(struct vm *vm, int tag, uint32_t lpn)
{
    struct shadow *s = vm->shadow;
    uint32_t *m = map_of(s, tag);
    if (!(m[lpn] & LM_PRESENT))
        return;
    if (!(m[lpn] & LM_ONES))
        rmap_del(s, m[lpn] >> 12, tag, lpn);
    m[lpn] = 0;
    if (tag == USER_TAG) {
        s->umapped--;
    } else {
        s->v[tag].mapped--;
        s->v[tag].regcount[lpn >> 10]--;
    }
    reserve(host_page(s, tag, lpn), GUEST_PAGE_SIZE);
}

/* Drop the 4 MiB region d of a kernel view with one system call. */
static void region_clear(struct vm *vm, int tag, uint32_t d)
{
    struct shadow *s = vm->shadow;
    struct view *v = &s->v[tag];
    if (!v->regcount[d])
        return;
    reserve(view_page(v, d << 10), 4u << 20);
    for (uint32_t l = d << 10; l < (d + 1) << 10; l++)
        if (v->lmap[l] & LM_PRESENT) {
            if (!(v->lmap[l] & LM_ONES))
                rmap_del(s, v->lmap[l] >> 12, tag, l);
            v->lmap[l] = 0;
        }
    v->mapped -= v->regcount[d];
    v->regcount[d] = 0;
}

/* Drop [first, first+n) linear pages of one view, and of the user view when
 * that view is the current one (the user view belongs to the current CR3). */
static void unmap_range(struct vm *vm, int tag, uint32_t first, uint32_t n)
{
    bool user = tag == vm->shadow->cur;
    for (uint32_t l = first; l < first + n; l++) {
        unmap_one(vm, tag, l);
        if (user)
            unmap_one(vm, USER_TAG, l);
    }
}

/* A page that must not be written through the host views: a code page or a
 * page-table page. */
static bool write_protected(struct vm *vm, uint32_t ppn)
{
    return vm->mem.code_pages[ppn] || vm->shadow->ptp[ppn] == PT_TRACED;
}

static int map_one(struct vm *vm, int tag, uint32_t lpn, uint32_t ppn, bool writable)
{
    struct shadow *s = vm->shadow;
    uint32_t *m = map_of(s, tag);
    if (write_protected(vm, ppn))
        writable = false;
    int prot = PROT_READ | (writable ? PROT_WRITE : 0) | (tag == USER_TAG ? PROT_EXEC : 0);
    if (mmap(host_page(s, tag, lpn), GUEST_PAGE_SIZE, prot, MAP_SHARED | MAP_FIXED,
             vm->mem.memfd, (off_t)ppn * GUEST_PAGE_SIZE) == MAP_FAILED)
        return -1;
    if (m[lpn] & LM_PRESENT) {
        if (!(m[lpn] & LM_ONES))
            rmap_del(s, m[lpn] >> 12, tag, lpn);
    } else {
        note_mapped(s, tag, lpn);
    }
    m[lpn] = (ppn << 12) | LM_PRESENT | (writable ? LM_WRITE : 0);
    rmap_add(s, ppn, tag, lpn);
    return 0;
}

/* Unassigned physical memory reads as all ones: map the memfd's ones page
 * read-only there (a write faults and is emulated, then dropped). */
static int map_ones(struct vm *vm, int tag, uint32_t lpn)
{
    struct shadow *s = vm->shadow;
    uint32_t *m = map_of(s, tag);
    unmap_one(vm, tag, lpn);
    if (mmap(host_page(s, tag, lpn), GUEST_PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_FIXED,
             vm->mem.memfd, (off_t)GUEST_ONES_PAGE(&vm->mem) * GUEST_PAGE_SIZE) == MAP_FAILED)
        return -1;
    m[lpn] = LM_PRESENT | LM_ONES;      /* no RAM page behind it: not in rmap */
    note_mapped(s, tag, lpn);
    vm->stats.mmio_unassigned_maps++;
    return 0;
}

/* Make every writable host alias of a physical page read-only. */
static void protect_aliases(struct vm *vm, uint32_t ppn)
{
    struct shadow *s = vm->shadow;
    if (s->rmap[ppn][0] == RMAP_MANY) {
        for (int tag = 0; tag <= USER_TAG; tag++) {
            uint32_t *m = map_of(s, tag);
            for (uint32_t l = 0; l < NPAGES_4G; l++)
                if ((m[l] & LM_WRITE) && (m[l] >> 12) == ppn) {
                    mprotect(host_page(s, tag, l), GUEST_PAGE_SIZE, PROT_READ);
                    m[l] &= ~LM_WRITE;
                }
        }
        return;
    }
    for (int i = 0; i < RMAP_SLOTS; i++) {
        uint32_t r = s->rmap[ppn][i];
        if (!r)
            continue;
        int tag = (int)((r - 1) >> 20);
        uint32_t l = (r - 1) & (NPAGES_4G - 1);
        uint32_t *m = map_of(s, tag);
        if (m[l] & LM_WRITE) {
            mprotect(host_page(s, tag, l), GUEST_PAGE_SIZE, PROT_READ);
            m[l] &= ~LM_WRITE;
        }
    }
}

/* ---- views ------------------------------------------------------------ */

static void view_clear(struct vm *vm, struct view *v)
{
    struct shadow *s = vm->shadow;
    int tag = (int)(v - s->v);
    /* Always re-reserve: view 0 may hold the identity map of paging-off
     * times, which lmap does not count. */
    reserve(v->base, 4ull << 30);
    clear_maps(s, tag);
    memset(v->uses, 0, s->npages * sizeof *v->uses);
}

static void user_clear(struct vm *vm)
{
    struct shadow *s = vm->shadow;
    if (s->umapped)
        reserve(user_page(1), (4ull << 30) - GUEST_PAGE_SIZE);
    clear_maps(s, USER_TAG);
}

static void use_view(struct vm *vm, int i)
{
    struct shadow *s = vm->shadow;
    s->cur = i;
    s->v[i].last_used = ++s->clock;
    vm->cpu.kview = (uint64_t)(uintptr_t)s->v[i].base;
}

static void mark_pt(struct vm *vm, uint32_t ppn, uint16_t use);

/*
 * Give view i, last used by another address space, to the one at cr3.  The
 * 4 MiB regions whose directory entries are equal in both keep their
 * mappings: the entry is the same page table (traced, so still exact) or
 * the same 4 MiB page.  For Linux that is the whole kernel half, which
 * every page directory copies, so a new process does not fault the
 * kernel's data in again.  Called right after shadow_resync().
 */
static void view_recycle(struct vm *vm, int i, uint32_t cr3)
{
    struct view *v = &vm->shadow->v[i];
    uint32_t *oldpd = v->cr3 == VIEW_FREE ? NULL : guest_phys_ptr(&vm->mem, v->cr3, 4096);
    uint32_t *newpd = guest_phys_ptr(&vm->mem, cr3, 4096);
    if (!oldpd || !newpd) {
        view_clear(vm, v);
        vm->stats.shadow_flushes++;
        return;
    }
    for (uint32_t d = 0; d < 1024; d++) {
        if (!v->regcount[d])
            continue;
        uint32_t o = oldpd[d], n = newpd[d];
        /* A dirty bit the new entry lacks must be set by the next write. */
        if (!(n & PTE_P) || ((o ^ n) & ~PTE_A) || (o & ~n & PTE_D))
            region_clear(vm, i, d);
        else
            newpd[d] |= PTE_A;      /* as the walk of the kept mappings would */
    }
    vm->stats.shadow_view_recycles++;
}

/* The view for the current CR3: a cached one (kept exact by tracing), else
 * the least recently used one, recycled. */
static void select_view(struct vm *vm)
{
    struct shadow *s = vm->shadow;
    uint32_t cr3 = vm->cpu.cr3 & ~0xFFFu;
    int pick = -1;
    for (int i = 0; i < SHADOW_VIEWS; i++)
        if (s->v[i].cr3 == cr3)
            pick = i;
    if (pick >= 0) {
        vm->stats.shadow_view_hits++;
    } else {
        pick = 0;
        for (int i = 1; i < SHADOW_VIEWS; i++)
            if (s->v[i].last_used < s->v[pick].last_used)
                pick = i;
        view_recycle(vm, pick, cr3);
        s->v[pick].cr3 = cr3;
        use_view(vm, pick);
        mark_pt(vm, cr3 >> 12, USE_PD);     /* trace it before anything relies on it */
        return;
    }
    use_view(vm, pick);
}

void shadow_reset(struct vm *vm)
{
    struct shadow *s = vm->shadow;
    user_clear(vm);
    for (int i = 0; i < SHADOW_VIEWS; i++) {
        view_clear(vm, &s->v[i]);
        s->v[i].cr3 = VIEW_FREE;
    }
    memset(s->ptp, 0, s->npages);
    s->nunsync = 0;
    vm->stats.shadow_flushes++;
    if (!(vm->cpu.cr0 & CR0_PG)) {
        /* Paging off: view 0 maps RAM 1:1; code pages stay read-only. */
        guest_mem_map_identity(&vm->mem);
        for (uint64_t p = 0; p < s->npages; p++)
            if (vm->mem.code_pages[p])
                mprotect(view_page(&s->v[0], (uint32_t)p), GUEST_PAGE_SIZE, PROT_READ);
        use_view(vm, 0);
        return;
    }
    select_view(vm);
}

void shadow_cr3_loaded(struct vm *vm)
{
    if (!(vm->cpu.cr0 & CR0_PG))
        return;
    shadow_resync(vm);          /* a TLB flush: changed entries take effect */
    /* One user view: it belongs to the old CR3 (a reload of the same CR3
     * keeps it, exact after the resync). */
    if ((vm->cpu.cr3 & ~0xFFFu) != vm->shadow->v[vm->shadow->cur].cr3)
        user_clear(vm);
    select_view(vm);
}

void shadow_invlpg(struct vm *vm, uint32_t lin)
{
    if (!(vm->cpu.cr0 & CR0_PG))
        return;
    vm->stats.shadow_invlpg++;
    uint32_t lpn = lin >> 12;
    /* The page may have been part of a 4 MiB mapping: drop all of it. */
    if (vm->cpu.cr4 & CR4_PSE)
        unmap_range(vm, vm->shadow->cur, lpn & ~0x3FFu, 1024);
    else
        unmap_range(vm, vm->shadow->cur, lpn, 1);
}

/* ---- page-table pages ------------------------------------------------- */

static bool pde_points_to(uint32_t pde, uint32_t ppn, uint32_t cr4)
{
    return (pde & PTE_P) && !((pde & PTE_PS) && (cr4 & CR4_PSE)) && (pde >> 12) == ppn;
}

/* The current view's walk read physical page ppn as `use` (USE_PD, or
 * directory entry + 1).  Start tracing the page if nobody did. */
static void mark_pt(struct vm *vm, uint32_t ppn, uint16_t use)
{
    struct shadow *s = vm->shadow;
    if (ppn >= s->npages)
        return;
    uint16_t *u = &s->v[s->cur].uses[ppn];
    if (*u == 0)
        *u = use;
    else if (*u != use)
        *u = USE_MULTI;
    if (s->ptp[ppn] == PT_NONE) {
        s->ptp[ppn] = PT_TRACED;
        protect_aliases(vm, ppn);
    }
}

/* Record which page-table pages the translation of lin went through. */
static void note_walk(struct vm *vm, uint32_t lin)
{
    uint32_t pd = vm->cpu.cr3 & ~0xFFFu;
    uint32_t *pde = guest_phys_ptr(&vm->mem, pd + ((lin >> 22) << 2), 4);
    mark_pt(vm, pd >> 12, USE_PD);
    if (pde && pde_points_to(*pde, *pde >> 12, vm->cpu.cr4))
        mark_pt(vm, *pde >> 12, (uint16_t)((lin >> 22) + 1));
}

/* A set of changed entries of one page-table page. */
struct changed {
    uint32_t first, last;               /* range that may hold changes */
    uint32_t bits[PT_ENTRIES / 32];     /* which entries of it did */
};

static bool is_changed(const struct changed *ch, uint32_t e)
{
    return ch->bits[e / 32] >> (e % 32) & 1;
}

/* Drop in view i every mapping that the changed entries of page-table page
 * ppn produced: as its directory, a changed entry covered 4 MiB; as a page
 * table, one page below each directory entry that points here. */
static void drop_changed(struct vm *vm, int i, uint32_t ppn, const struct changed *ch)
{
    struct shadow *s = vm->shadow;
    struct view *v = &s->v[i];
    uint16_t use = v->uses[ppn];
    if (v->cr3 == VIEW_FREE || use == 0)
        return;
    if (ppn == v->cr3 >> 12)
        for (uint32_t e = ch->first; e <= ch->last; e++)
            if (is_changed(ch, e))
                unmap_range(vm, i, e << 10, 1024);
    if (use == USE_PD)
        return;
    uint32_t *pd = guest_phys_ptr(&vm->mem, v->cr3, 4096);
    uint32_t d0 = use == USE_MULTI ? 0 : use - 1u, d1 = use == USE_MULTI ? 1023 : use - 1u;
    for (uint32_t d = d0; pd && d <= d1; d++)
        if (pde_points_to(pd[d], ppn, vm->cpu.cr4))
            for (uint32_t e = ch->first; e <= ch->last; e++)
                if (is_changed(ch, e))
                    unmap_range(vm, i, (d << 10) | e, 1);
}

static void drop_changed_all(struct vm *vm, uint32_t ppn, const struct changed *ch)
{
    for (int i = 0; i < SHADOW_VIEWS; i++)
        drop_changed(vm, i, ppn, ch);
}

/* The monitor (the emulator) wrote a traced page-table page. */
void shadow_pt_written(struct vm *vm, uint32_t pa, uint32_t len)
{
    struct shadow *s = vm->shadow;
    uint32_t ppn = pa >> 12;
    if (!s || ppn >= s->npages || s->ptp[ppn] != PT_TRACED || !(vm->cpu.cr0 & CR0_PG))
        return;
    struct changed ch = { .first = (pa & 0xFFF) >> 2 };
    ch.last = ((pa & 0xFFF) + (len ? len : 1) - 1) >> 2;
    if (ch.last > PT_ENTRIES - 1)
        ch.last = PT_ENTRIES - 1;
    for (uint32_t e = ch.first; e <= ch.last; e++)
        ch.bits[e / 32] |= 1u << (e % 32);
    drop_changed_all(vm, ppn, &ch);
}

/* Is ppn still read as a page table by some view (its directory, or a table
 * a directory entry points to)? */
static bool still_used(struct vm *vm, uint32_t ppn)
{
    struct shadow *s = vm->shadow;
    bool used = false;
    for (int i = 0; i < SHADOW_VIEWS; i++) {
        struct view *v = &s->v[i];
        uint16_t use = v->uses[ppn];
        if (v->cr3 == VIEW_FREE || use == 0)
            continue;
        bool here = ppn == v->cr3 >> 12;
        if (use != USE_PD) {
            uint32_t *pd = guest_phys_ptr(&vm->mem, v->cr3, 4096);
            uint32_t d0 = use == USE_MULTI ? 0 : use - 1u, d1 = use == USE_MULTI ? 1023 : use - 1u;
            for (uint32_t d = d0; pd && d <= d1 && !here; d++)
                here = pde_points_to(pd[d], ppn, vm->cpu.cr4);
        }
        if (here)
            used = true;
        else
            v->uses[ppn] = 0;
    }
    return used;
}

/* Compare one unsynced page with its snapshot, drop what changed, and
 * trace it again (or forget it when no view uses it as a table any more:
 * guests free page tables and reuse the pages for data). */
static void resync_page(struct vm *vm, uint32_t ppn, const uint32_t *snap)
{
    struct shadow *s = vm->shadow;
    const uint32_t *now = guest_phys_ptr(&vm->mem, (uint32_t)ppn << 12, 4096);
    struct changed ch = { .first = PT_ENTRIES, .last = 0 };
    for (uint32_t e = 0; e < PT_ENTRIES; e++) {
        uint32_t o = snap[e], n = now[e];
        /* A/D bits the walker (or the guest) set change no mapping; a
         * cleared one must be seen again at the next access. */
        if (((o ^ n) & ~PTE_AD) || (o & ~n & PTE_AD)) {
            ch.bits[e / 32] |= 1u << (e % 32);
            if (e < ch.first)
                ch.first = e;
            ch.last = e;
        }
    }
    if (ch.first < PT_ENTRIES)
        drop_changed_all(vm, ppn, &ch);
    if (still_used(vm, ppn)) {
        s->ptp[ppn] = PT_TRACED;
        protect_aliases(vm, ppn);
    } else {
        s->ptp[ppn] = PT_NONE;
        vm->stats.shadow_untraced++;
    }
}

void shadow_resync(struct vm *vm)
{
    struct shadow *s = vm->shadow;
    for (uint32_t k = 0; k < s->nunsync; k++)
        if (s->ptp[s->unsync[k]] == PT_UNSYNC)
            resync_page(vm, s->unsync[k], s->snap[k]);
    s->nunsync = 0;
}

/* The guest writes a traced page-table page: let it (see the top). */
static void unsync_page(struct vm *vm, uint32_t ppn)
{
    struct shadow *s = vm->shadow;
    if (s->nunsync == UNSYNC_MAX)
        shadow_resync(vm);      /* early, which is always allowed */
    memcpy(s->snap[s->nunsync], guest_phys_ptr(&vm->mem, ppn << 12, 4096), 4096);
    s->unsync[s->nunsync++] = ppn;
    s->ptp[ppn] = PT_UNSYNC;
    vm->stats.shadow_trace_faults++;
}

/* ---- faults ----------------------------------------------------------- */

static enum shadow_result fault(struct vm *vm, int tag, uint32_t lin, bool write,
                                uint32_t *pa, uint32_t *pf_error)
{
    struct vcpu *c = &vm->cpu;
    struct mmu_fault f;
    unsigned acc = (write ? ACC_WRITE : ACC_READ) | (tag == USER_TAG ? ACC_USER : 0);
    enum mmu_result r = mmu_translate(c, lin, acc, pa, &f);
    if (r == MMU_PAGE_FAULT) {
        *pf_error = f.error;
        vm->stats.shadow_true_faults++;
        return SHADOW_GUEST_PF;
    }
    if (r == MMU_NOT_RAM && !write && !io_mmio_claimed(&vm->io, *pa) &&
        !(tag == USER_TAG && lin < GUEST_PAGE_SIZE) && map_ones(vm, tag, lin >> 12) == 0)
        return SHADOW_FIXED;
    if (r == MMU_NOT_RAM || (tag == USER_TAG && lin < GUEST_PAGE_SIZE))
        return SHADOW_MMIO;     /* device memory, or page 0 which the host cannot map */
    uint32_t ppn = *pa >> 12;
    if (write && vm->mem.code_pages[ppn])
        return SHADOW_SMC;
    if (write && vm->shadow->ptp[ppn] == PT_TRACED && (c->cr0 & CR0_PG))
        unsync_page(vm, ppn);   /* then mapped writable below */
    if (!(c->cr0 & CR0_PG) && tag != USER_TAG)
        return SHADOW_MMIO;     /* the identity map already has every RAM page */
    uint32_t cur = map_of(vm->shadow, tag)[lin >> 12];
    if ((cur & LM_PRESENT) && (cur >> 12) == ppn && ((cur & LM_WRITE) || !write))
        return SHADOW_MMIO;     /* mapped as asked and still faulting: not a paging matter */
    if (c->cr0 & CR0_PG)
        note_walk(vm, lin);
    vm->stats.shadow_hidden_faults++;
    /* Read-only until the first write, so the guest's dirty bit is exact. */
    if (map_one(vm, tag, lin >> 12, ppn, write) < 0)
        return SHADOW_MMIO;
    return SHADOW_FIXED;
}

enum shadow_result shadow_fault(struct vm *vm, uint32_t lin, bool write,
                                uint32_t *pa, uint32_t *pf_error)
{
    return fault(vm, vm->shadow->cur, lin, write, pa, pf_error);
}

enum shadow_result shadow_user_fault(struct vm *vm, uint32_t lin, bool write,
                                     uint32_t *pa, uint32_t *pf_error)
{
    return fault(vm, USER_TAG, lin, write, pa, pf_error);
}

void shadow_code_page(struct vm *vm, uint32_t pa, bool protect)
{
    uint32_t ppn = pa >> 12;
    if ((uint64_t)pa >= vm->mem.size || vm->mem.code_pages[ppn] == protect)
        return;
    vm->mem.code_pages[ppn] = protect;
    if (!(vm->cpu.cr0 & CR0_PG)) {
        /* The identity map holds every page writable: change just this one
         * (unless it is also a page-table page, which paging off cannot be). */
        mprotect(view_page(&vm->shadow->v[0], ppn), GUEST_PAGE_SIZE,
                 protect ? PROT_READ : PROT_READ | PROT_WRITE);
        return;
    }
    /* Aliases stay read-only when unprotected: the next write remaps them. */
    if (protect)
        protect_aliases(vm, ppn);
}

