/*
 * shadow_mmu/lab_page_share.h - lab 4 (docs/labs/page-sharing.md): how much
 * of guest RAM holds pages identical to others, which a monitor could back
 * by one host page each, copy-on-write (VMware's content-based page
 * sharing; Linux's KSM).
 *
 * Contract: page_share_scan() reads every page of guest RAM once and fills
 * struct page_share; page_share_print() writes it as "share: ..." lines.
 * Nothing of the guest changes.
 */
#ifndef SHADOW_MMU_LAB_PAGE_SHARE_H
#define SHADOW_MMU_LAB_PAGE_SHARE_H

#include <stdint.h>
#include <stdio.h>

struct guest_mem;

struct page_share {
    uint64_t pages;             /* pages of RAM scanned */
    uint64_t zero;              /* of which all zero */
    uint64_t groups;            /* sets of two or more identical non-zero pages */
    uint64_t in_groups;         /* non-zero pages in those sets */
    uint64_t largest;           /* pages in the largest set */
};

int page_share_scan(const struct guest_mem *m, struct page_share *r);
void page_share_print(const struct page_share *r, FILE *out);

#endif
