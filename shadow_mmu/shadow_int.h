/*
 * shadow_mmu/shadow_int.h - the shadow's inner state, shared by its four
 * files: shadow.c (views, CR3 loads, faults), hostmap.c (the host mappings
 * and their bookkeeping), userview.c (switching the user view at a CR3
 * load) and pttrace.c (tracing the guest's page tables).
 * Nothing outside shadow_mmu/ includes it.
 *
 * Tags.  Kernel view i (0 <= i < SHADOW_VIEWS) has tag i; the user view of
 * the same address space has tag USER_TAG + i.  Every mapping is named by
 * its tag and guest linear page number (lpn).
 */
#ifndef SHADOW_MMU_SHADOW_INT_H
#define SHADOW_MMU_SHADOW_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "shadow_mmu/shadow.h"
#include "shadow_mmu/mmu.h"
#include "shadow_mmu/guest_mem.h"
#include "cpu/machine.h"

#define LM_PRESENT 1u
#define LM_WRITE   2u
#define LM_ONES    4u               /* the all-ones page of unassigned space */
#define LM_ASIDE   8u               /* remembered, not in the host (user view not live) */
#define LM_HOT     0x30u            /* user page: switches it is still mapped back eagerly */
#define LM_HOT_ONE 0x10u
#define LM_HOT_NEW 0x20u            /* a page just faulted in: the next two switches */
#define LM_LISTED  0x40u            /* transient: already kept while compacting a list */
#define LM_NX      0x80u            /* user view: execute-disabled (no PROT_EXEC) */
#define RMAP_SLOTS 8                /* every kernel and user view of a frame fits */
#define RMAP_MANY  0xFFFFFFFFu
#define NPAGES_4G  (1u << 20)
#define USER_TAG   SHADOW_VIEWS     /* tag of user view 0 */
#define NTAGS      (2 * SHADOW_VIEWS)
#define LIST_MAX   65536u
#define PT_ENTRIES 1024u            /* entries of a page table, at most (512 with PAE) */
#define MAX_DIRS   2048u            /* directory slots in 4 GiB, at most (struct pg_format) */
#define UNSYNC_MAX 512u             /* unsynced page tables between two resyncs */
#define VIEW_FREE 0xFFFFFFFFu

/* ptp[]: what a guest-physical page is to the shadow. */
enum { PT_NONE, PT_TRACED, PT_UNSYNC };

/* view->uses[]: how a view's walks read a physical page as a page table:
 * 1..ndirs for the table of directory slot (value - 1), or USE_MULTI. */
#define USE_MULTI 0xFFFFu

/* What one tag maps. */
struct hmap {
    uint32_t *map;              /* per linear page: physical page << 12 | LM_* */
    uint32_t *list;             /* pages mapped since the last clear (LIST_MAX) */
    uint32_t nlist;
    uint64_t mapped;
    uint16_t regcount[1024];    /* pages mapped per 4 MiB region */
    uint32_t regbits[32];       /* the regions whose count is not zero */
};

/* One guest address space: a kernel view (its own host reservation) and a
 * user view (host [user_first pages, 4 GiB) while that address space
 * runs). */
struct view {
    uint8_t *base;              /* host address of guest linear 0, kernel view */
    uint32_t cr3;               /* page directory shadowed; VIEW_FREE if none */
    uint16_t *uses;             /* per physical page: read as a page table (USE_*) */
    /* Per directory slot (4 MiB, or 2 MiB with PAE: struct pg_format): the
     * directory entry its mappings were built from, and whether it maps a
     * big page.  The host bookkeeping (struct hmap) counts 4 MiB regions
     * in both formats: a PAE slot d lies in region d >> 1. */
    uint64_t pde[MAX_DIRS];
    uint8_t big[MAX_DIRS];
    uint64_t last_used;
};

struct shadow {
    struct view v[SHADOW_VIEWS];
    int cur;
    struct hmap t[NTAGS];
    int ulive;                  /* the user view that is in the host now */
    uint32_t (*rmap)[RMAP_SLOTS];
    uint8_t *ptp;               /* per physical page: PT_NONE, PT_TRACED, PT_UNSYNC */
    uint32_t unsync[UNSYNC_MAX];        /* the PT_UNSYNC pages */
    uint32_t (*snap)[PT_ENTRIES];       /* the entries every mapping they produced
                                           agrees with (pttrace.c) */
    uint16_t *snap_slot;        /* per physical page: its index in unsync[] */
    uint32_t *drop;             /* scratch for a user-view switch (LIST_MAX) */
    uint32_t nunsync;
    uint64_t npages;            /* physical pages of RAM */
    uint64_t clock;
    uint8_t *xstate;            /* per frame: SHADOW_X_* (shadow_exec_filter_on),
                                   NULL: every frame runs in a user view */
    uint32_t user_first;        /* first linear page a user view can hold: 1
                                   where the host forbids mapping its page 0
                                   (mmap_min_addr), else 0 (cpu/host_facts.h) */
    struct {                    /* --trace-mmu START-END: the range lab_mmu_trace.h logs */
        bool on;
        uint32_t lo, hi;
    } trace;
};

/* The machine's shadow (shadow_init put it there). */
static inline struct shadow *shadow_of(struct vm *vm)
{
    return *vm_shadow(vm);
}

static inline bool is_user(int tag)
{
    return tag >= USER_TAG;
}

/* Is frame ppn kept from running in a user view (shadow_exec_filter)? */
static inline bool exec_filtered(const struct shadow *s, int tag, uint32_t ppn)
{
    return is_user(tag) && s->xstate && ppn < s->npages && s->xstate[ppn] != SHADOW_X_CLEAN &&
           s->xstate[ppn] != SHADOW_X_STEP;
}

/* The pages a tag mapped since its last clear: hm_list_page(h, i) for i
 * below hm_list_len(h); past LIST_MAX the list is incomplete and every
 * linear page is visited instead (callers check the map entry either way). */
static inline uint32_t hm_list_len(const struct hmap *h)
{
    return h->nlist <= LIST_MAX ? h->nlist : NPAGES_4G;
}

static inline uint32_t hm_list_page(const struct hmap *h, uint32_t i)
{
    return h->nlist <= LIST_MAX ? h->list[i] : i;
}

/* hostmap.c */
int hm_init(struct shadow *s);
void hm_destroy(struct shadow *s);
uint8_t *hm_host(const struct shadow *s, int tag, uint32_t lpn);
int hm_map(struct vm *vm, int tag, uint32_t lpn, uint32_t ppn, bool writable, bool nx);
int hm_map_ones(struct vm *vm, int tag, uint32_t lpn);
/* May this frame be mapped writable (neither translated code nor a traced
 * page table)? */
bool hm_may_write(struct vm *vm, uint32_t ppn);
/* Map n linear pages from lpn to the frames from ppn, in one system call;
 * the caller has checked every page (not mapped yet, RAM, hm_may_write when
 * writable).  `hot` is the one page that was touched. */
int hm_map_run(struct vm *vm, int tag, uint32_t lpn, uint32_t ppn, uint32_t n, bool writable,
               bool nx, uint32_t hot);
void hm_unmap(struct vm *vm, int tag, uint32_t lpn);
void hm_clear_region(struct vm *vm, int tag, uint32_t d);
void hm_clear(struct vm *vm, int tag);
void hm_protect_aliases(struct vm *vm, uint32_t ppn);
void hm_unmap_user_aliases(struct vm *vm, uint32_t ppn);
void hm_switch_user(struct vm *vm, int view);
bool hm_bring_back_page(struct vm *vm, int tag, uint32_t lpn, bool write);
void hm_reserve(void *p, uint64_t len);
/* Empty [first, first+n) of a tag's host range (a hole for the user view,
 * a reservation for a kernel view). */
void hm_release(struct shadow *s, int tag, uint32_t first, uint64_t n);
/* mmap the memfd from file_page at host, MAP_FIXED and populated. */
int hm_map_fd(struct vm *vm, void *host, uint64_t len, int prot, uint32_t file_page);
/* The memfd page an entry maps (its frame, or the all-ones page), and the
 * host protection it is mapped with in a tag. */
uint32_t hm_file_page(struct vm *vm, uint32_t entry);
int hm_prot(int tag, uint32_t entry);

/* userview.c */

/* Drop [first, first+n) linear pages of view i, kernel and user. */
void view_unmap(struct vm *vm, int i, uint32_t first, uint32_t n);
/* Drop directory slot d (struct pg_format) of view i, kernel and user. */
void view_unmap_region(struct vm *vm, int i, uint32_t d);
/* Does view i map anything in directory slot d (its 4 MiB region, with PAE)? */
bool region_used(struct vm *vm, int i, uint32_t d);

/* pttrace.c */
void pt_mark(struct vm *vm, uint32_t ppn, uint16_t use);
void pt_note_walk(struct vm *vm, uint32_t lin);
void pt_revalidate_view(struct vm *vm, int i);
void pt_unsync(struct vm *vm, uint32_t ppn);

#endif
