/*
 * bt/tc_user.c - CPL-3 translations (ring 3 translated while the guest's
 * CR0.TS or EM is set, or always with --translate-ring3), kept per address
 * space.
 *
 * User code at one linear address means different code in another
 * address space, so each shadow view has its own lookup table (bt_table():
 * 0 at CPL 0, 1 + the view at CPL 3) and its own list of CPL-3 TUs, with
 * the code pages (linear page -> frame) they were made from.  The guest
 * may change those mappings, but a processor need not notice before a CR3
 * load or INVLPG (TLB semantics): there bt_check_user walks each page
 * again.  The TUs of a page that no longer maps its frame go dormant
 * (unreachable, kept), and tc_revive makes one valid again when its pages
 * map the same frames again, as every exec of the same program does.
 * docs/translator.md, "Ring 3 translated".
 */
#include <stdlib.h>
#include "bt/bt.h"
#include "bt/tc.h"
#include "cpu/machine.h"
#include "cpu/counters.h"
#include "shadow_mmu/shadow.h"

/* Record one code page (linear -> physical) of a view's CPL-3 TUs. */
static void note_code_page(struct tc_user *u, uint32_t lin_page, uint32_t pa_page)
{
    uint32_t n = u->ncode < TC_USER_CODE_PAGES ? u->ncode : TC_USER_CODE_PAGES;
    for (uint32_t i = 0; i < n; i++)
        if (u->code_lin[i] == lin_page)
            return;
    if (u->ncode < TC_USER_CODE_PAGES) {
        u->code_lin[u->ncode] = lin_page;
        u->code_pa[u->ncode] = pa_page;
    }
    u->ncode++;
}

void tc_note_user(struct tc *tc, struct tu *tu)
{
    struct tc_user *u = &tc->user[tu->view];
    if (u->ntus == u->cap) {
        uint32_t cap = u->cap ? 2 * u->cap : 1024;
        int32_t *p = realloc(u->tus, cap * sizeof *p);
        if (!p) {
            tc_kill(tc, tu);                /* cannot be dropped later: not kept */
            return;
        }
        u->tus = p;
        u->cap = cap;
    }
    u->tus[u->ntus++] = (int32_t)(tu - tc->tus);
    uint32_t lp[2];
    tu_lin_pages(tu, lp);
    note_code_page(u, lp[0], tu->page[0]);
    if (lp[1] != lp[0])
        note_code_page(u, lp[1], tu->page[1]);
}

static void drop_view(struct tc *tc, int v)
{
    struct tc_user *u = &tc->user[v];
    for (uint32_t i = 0; i < u->ntus; i++)
        tc_kill(tc, &tc->tus[u->tus[i]]);
    u->ntus = u->ncode = 0;
}

void bt_drop_user(struct vm *vm)
{
    for (int v = 0; v < SHADOW_VIEWS; v++)
        drop_view(tc_of(vm), v);
}

/* Does a TU come from linear page lin_page? */
static bool tu_on_page(const struct tu *tu, uint32_t lin_page)
{
    uint32_t lp[2];
    tu_lin_pages(tu, lp);
    return lp[0] == lin_page || lp[1] == lin_page;
}

void bt_check_user(struct vm *vm)
{
    struct tc *tc = tc_of(vm);
    int v = shadow_current_view(vm);
    struct tc_user *u = &tc->user[v];
    if (u->ntus == 0)
        return;
    if (u->ncode > TC_USER_CODE_PAGES) {        /* not all recorded: start again */
        drop_view(tc, v);
        tc->stats->bt_user_drops++;
        return;
    }
    /* Walk each code page again; drop the TUs of those that changed. */
    uint32_t kept = 0;
    for (uint32_t i = 0; i < u->ncode; i++) {
        uint32_t lin_page = u->code_lin[i];
        if (tc_maps_to(vm, lin_page, u->code_pa[i], true)) {
            u->code_lin[kept] = lin_page;
            u->code_pa[kept++] = u->code_pa[i];
            continue;
        }
        tc->stats->bt_user_drops++;
        uint32_t n = 0;
        for (uint32_t k = 0; k < u->ntus; k++) {
            int32_t idx = u->tus[k];
            if (tc->tus[idx].valid && tu_on_page(&tc->tus[idx], lin_page))
                tc_sleep(tc, &tc->tus[idx]);
            else if (tc->tus[idx].valid)
                u->tus[n++] = idx;
        }
        u->ntus = n;
    }
    u->ncode = kept;
}

bool bt_user_mode(const struct vcpu *c)
{
    return c->cpl == 3;
}

int bt_table(struct vm *vm)
{
    if (bt_code16(vm_cpu(vm)))
        return TC_T16;
    return bt_user_mode(vm_cpu(vm)) ? 1 + shadow_current_view(vm) : 0;
}
