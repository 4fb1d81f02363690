/*
 * shadow_mmu/lab_page_share.c - lab 4: content-based page sharing
 * (docs/labs/page-sharing.md).
 *
 * Pages with the same contents (zeroed memory, the same file cached by
 * two processes, the same kernel text in two VMs) need only one host page,
 * mapped read-only into every place and copied at the first write.  The
 * first step, and this lab, is to find them: hash every page, sort the
 * hashes, and compare the pages whose hashes are equal byte by byte (a
 * hash match alone is no proof).  The reference solution is built with
 * VMM_LAB_SOLUTIONS (the default); the lab is the #else branch.
 */
#include <stdlib.h>
#include <string.h>
#include "shadow_mmu/lab_page_share.h"
#include "shadow_mmu/guest_mem.h"

#if VMM_LAB_SOLUTIONS

struct page_hash {
    uint64_t hash;
    uint32_t ppn;
};

/* FNV-1a over the page, 8 bytes at a time. */
static uint64_t page_hash(const uint8_t *p)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < GUEST_PAGE_SIZE; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
    }
    return h;
}

static int by_hash(const void *a, const void *b)
{
    const struct page_hash *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->ppn < y->ppn ? -1 : x->ppn > y->ppn;
}

static bool all_zero(const uint8_t *p)
{
    static const uint8_t zero[GUEST_PAGE_SIZE];
    return memcmp(p, zero, GUEST_PAGE_SIZE) == 0;
}

int page_share_scan(const struct guest_mem *m, struct page_share *r)
{
    uint64_t n = m->size / GUEST_PAGE_SIZE, k = 0;
    memset(r, 0, sizeof *r);
    struct page_hash *h = malloc(n * sizeof *h);
    if (!h)
        return -1;
    r->pages = n;
    for (uint64_t p = 0; p < n; p++) {
        const uint8_t *page = m->ram + p * GUEST_PAGE_SIZE;
        if (all_zero(page))
            r->zero++;
        else
            h[k++] = (struct page_hash){ page_hash(page), (uint32_t)p };
    }
    qsort(h, k, sizeof *h, by_hash);
    /* Within a run of equal hashes, group by contents: each page joins the
     * first earlier page of the run it equals. */
    uint8_t *counted = calloc(k ? k : 1, 1);
    for (uint64_t i = 0; i < k && counted; i++) {
        if (counted[i])
            continue;
        uint64_t size = 1;
        for (uint64_t j = i + 1; j < k && h[j].hash == h[i].hash; j++)
            if (!counted[j] && memcmp(m->ram + (uint64_t)h[i].ppn * GUEST_PAGE_SIZE,
                                      m->ram + (uint64_t)h[j].ppn * GUEST_PAGE_SIZE,
                                      GUEST_PAGE_SIZE) == 0) {
                counted[j] = 1;
                size++;
            }
        if (size > 1) {
            r->groups++;
            r->in_groups += size;
            if (size > r->largest)
                r->largest = size;
        }
    }
    free(counted);
    free(h);
    return 0;
}

#else   /* the lab: find the pages identical to another one */

int page_share_scan(const struct guest_mem *m, struct page_share *r)
{
    (void)m;
    memset(r, 0, sizeof *r);
    return 0;
}

#endif

/* Pages that sharing would free: all zero pages but one, and all pages of
 * each identical group but one. */
void page_share_print(const struct page_share *r, FILE *out)
{
    uint64_t zero_freed = r->zero ? r->zero - 1 : 0, other_freed = r->in_groups - r->groups;
    uint64_t freed = zero_freed + other_freed;
    fprintf(out, "share: %llu pages of RAM scanned: %llu all zero, %llu non-zero ones in %llu sets "
            "of identical pages (the largest %llu)\n", (unsigned long long)r->pages,
            (unsigned long long)r->zero, (unsigned long long)r->in_groups,
            (unsigned long long)r->groups, (unsigned long long)r->largest);
    fprintf(out, "share: sharing would free %llu pages (%llu.%llu MiB, %llu %% of RAM): "
            "%llu zero, %llu other\n", (unsigned long long)freed,
            (unsigned long long)(freed / 256), (unsigned long long)(freed % 256 * 10 / 256),
            (unsigned long long)(r->pages ? freed * 100 / r->pages : 0),
            (unsigned long long)zero_freed, (unsigned long long)other_freed);
}
