/*
 * bt/tc_kernel.c - CPL-0 translations kept coherent with the guest's
 * mappings.
 *
 * A CPL-0 TU is found by linear address (tc_find, the lookup table, chained
 * branches), but it was made from the bytes of particular frames.  When the
 * guest maps that linear page to another frame (a PTE or PDE change
 * followed by INVLPG, a CR3 load into an address space that maps the page
 * elsewhere, a paging-mode change) the processor fetches from the new frame
 * from then on (SDM vol. 3A 4.10.4: after INVLPG or MOV CR3 no stale entry
 * is used for the page), so the TU must not run again.
 *
 * Kernel code lives in the part of the address space every page directory
 * shares, so the CPL-0 TUs are one set for all address spaces, and the
 * frames their code pages map are recorded per 4 MiB region
 * (struct tc_kernel).  At each of those flush points bt_check_kernel reads
 * the live entries: a region mapped by big pages (a 4 MiB page, or two
 * contiguous 2 MiB pages with PAE) whose frames are the ones it was last
 * checked under costs one comparison (Linux's text and direct map);
 * otherwise each recorded page is walked again as a supervisor fetch
 * (module text in vmalloc space), so that a page that became
 * execute-disabled counts as mapping no frame.  The TUs of a page that
 * maps another frame go dormant: out of the lookup table, their incoming
 * branches unchained, but kept in the hash chain, so that tc_revive makes
 * them valid again once the page maps the same frame again (a switch back
 * to the address space they came from).  A write to the frame kills them
 * for good (bt_invalidate_page): the frame, not the linear page, is what
 * self-modifying code is detected on.
 *
 * CPL-3 TUs are kept per address space instead (bt/tc_user.c).
 */
#include <stdlib.h>
#include <string.h>
#include "bt/bt.h"
#include "bt/tc.h"
#include "cpu/machine.h"
#include "cpu/counters.h"
#include "shadow_mmu/mmu.h"

#define NO_FRAME 0xFFFFFFFFu

/* Does TU t cover linear page lpn with frame ppn? */
static bool tu_covers(const struct tu *t, uint32_t lpn, uint32_t ppn)
{
    uint32_t lp[2];
    tu_lin_pages(t, lp);
    return (lp[0] >> 12 == lpn && t->page[0] >> 12 == ppn) ||
           (lp[1] >> 12 == lpn && t->page[1] >> 12 == ppn);
}

/* Make dormant every valid CPL-0 TU made from linear page lpn when it
 * mapped frame ppn.  They are all on the frame's list. */
static void sleep_page(struct vm *vm, uint32_t lpn, uint32_t ppn)
{
    struct tc *tc = tc_of(vm);
    if (ppn >= tc->npages)
        return;
    for (int32_t i = tc->page_tus[ppn]; i >= 0;) {
        struct tu *t = &tc->tus[i];
        int32_t next = t->page[0] >> 12 == ppn ? t->page_next[0] : t->page_next[1];
        if (t->valid && t->table == 0 && tu_covers(t, lpn, ppn))
            tc_sleep(tc, t);
        i = next;
    }
}

static void forget_page(struct tc_kernel *k, uint32_t lpn)
{
    struct tc_region *r = k->reg[lpn >> 10];
    uint32_t i = lpn & 1023;
    r->bits[i / 32] &= ~(1u << (i % 32));
    if (--r->npages == 0)
        k->used[lpn >> 15] &= ~(1u << ((lpn >> 10) & 31));
}

/* Record that linear page lpn maps frame ppn for CPL-0 code.  A different
 * frame recorded before means the mapping changed without a flush point we
 * saw (allowed: the TLB may drop an entry at any time): its TUs go first. */
static bool note_page(struct vm *vm, uint32_t lpn, uint32_t ppn)
{
    struct tc *tc = tc_of(vm);
    struct tc_kernel *k = &tc->kern;
    uint32_t d = lpn >> 10, i = lpn & 1023;
    struct tc_region *r = k->reg[d];
    if (!r) {
        r = k->reg[d] = calloc(1, sizeof *r);
        if (!r)
            return false;
    }
    if (r->bits[i / 32] >> (i % 32) & 1) {
        if (r->frame[i] == ppn)
            return true;
        sleep_page(vm, lpn, r->frame[i]);
        tc->stats->bt_kernel_drops++;
    } else {
        r->bits[i / 32] |= 1u << (i % 32);
        if (r->npages++ == 0)
            k->used[d / 32] |= 1u << (d % 32);
    }
    r->frame[i] = ppn;
    /* The one-comparison check of the region holds only while every page
     * of it follows the 4 MiB page it was checked under. */
    if (r->pde && (r->pde >> 12) + i != ppn)
        r->pde = 0;
    return true;
}

bool tc_note_kernel(struct vm *vm, struct tu *tu)
{
    uint32_t lp[2];
    tu_lin_pages(tu, lp);
    bool ok = note_page(vm, lp[0] >> 12, tu->page[0] >> 12);
    if (ok && lp[1] != lp[0])
        ok = note_page(vm, lp[1] >> 12, tu->page[1] >> 12);
    if (!ok)
        tc_kill(tc_of(vm), tu);
    return ok;
}

/* The frame linear page lpn maps now for a supervisor fetch; NO_FRAME if
 * none (not present, or execute-disabled: SDM vol. 3A 4.6). */
static uint32_t frame_now(struct vcpu *c, uint32_t lpn)
{
    uint32_t pa;
    if (!(c->cr0 & CR0_PG))
        return lpn;
    if (mmu_translate(c, lpn << 12, ACC_FETCH | ACC_NOSET, &pa, NULL) == MMU_PAGE_FAULT)
        return NO_FRAME;
    return pa >> 12;
}

/* What makes a 4 MiB region map the same frames for a supervisor fetch as
 * when it was last checked, in one comparison: big pages (one 4 MiB page,
 * or two 2 MiB pages with PAE) whose frames continue each other, none
 * execute-disabled; rights and A/D do not matter to a supervisor fetch
 * without SMEP.  Its first frame | P | PS, or 0 if the region is not so. */
static uint32_t big_key(struct vcpu *c, uint32_t d)
{
    const struct pg_format *fm = mmu_format(c);
    uint32_t per = 1u << (22 - fm->dir_shift), first = 0;
    for (uint32_t k = 0; k < per; k++) {
        uint32_t lin = (d * per + k) << fm->dir_shift, pa;
        uint64_t e;
        if (!mmu_dir_entry(c, d * per + k, &pa, &e) || !(e & PTE_P) || !mmu_is_big(c, e) ||
            mmu_translate(c, lin, ACC_FETCH | ACC_NOSET, &pa, NULL) == MMU_PAGE_FAULT)
            return 0;
        if (k == 0)
            first = pa;
        else if (pa != first + (k << fm->dir_shift))
            return 0;
    }
    return first | PTE_PS | PTE_P;
}

/* Compare the recorded pages of region d with the live tables; the TUs of
 * a page that maps another frame go dormant and the page is forgotten. */
static void check_region(struct vm *vm, uint32_t d)
{
    struct vcpu *c = vm_cpu(vm);
    struct tc *tc = tc_of(vm);
    struct tc_kernel *k = &tc->kern;
    struct tc_region *r = k->reg[d];
    uint32_t key = c->cr0 & CR0_PG ? big_key(c, d) : 0;
    if (key && r->pde == key)
        return;
    for (uint32_t w = 0; w < 32; w++) {
        uint32_t bits = r->bits[w];
        while (bits) {
            uint32_t i = w * 32 + (uint32_t)__builtin_ctz(bits), lpn = d << 10 | i;
            bits &= bits - 1;
            if (frame_now(c, lpn) == r->frame[i])
                continue;
            sleep_page(vm, lpn, r->frame[i]);
            forget_page(k, lpn);
            tc->stats->bt_kernel_drops++;
        }
    }
    r->pde = key;
}

void bt_check_kernel(struct vm *vm, bool all, uint32_t lin)
{
    struct tc_kernel *k = &tc_of(vm)->kern;
    if (!all) {
        if (k->used[lin >> 27] >> ((lin >> 22) & 31) & 1)
            check_region(vm, lin >> 22);
        return;
    }
    for (uint32_t w = 0; w < 32; w++) {
        uint32_t bits = k->used[w];
        while (bits) {
            uint32_t d = w * 32 + (uint32_t)__builtin_ctz(bits);
            bits &= bits - 1;
            check_region(vm, d);
        }
    }
}

void tc_kernel_reset(struct tc *tc)
{
    struct tc_kernel *k = &tc->kern;
    for (uint32_t d = 0; d < 1024; d++)
        if (k->reg[d] && k->reg[d]->npages) {
            memset(k->reg[d]->bits, 0, sizeof k->reg[d]->bits);
            k->reg[d]->npages = 0;
            k->reg[d]->pde = 0;
        }
    memset(k->used, 0, sizeof k->used);
}

void tc_kernel_destroy(struct tc *tc)
{
    for (uint32_t d = 0; d < 1024; d++)
        free(tc->kern.reg[d]);
}
