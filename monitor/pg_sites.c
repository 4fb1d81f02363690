/*
 * monitor/pg_sites.c - the sites of the silent-instruction watch and the
 * report (monitor/pg_sites.h): a hash table of sites, and one line per
 * site that reads
 *   silent POPF at 0008:00101bef test_main+0x2cf [popfd]: IF stays 1, guest asked for 0 (x 1)
 */
#include <stdlib.h>
#include <string.h>
#include "monitor/pg_sites.h"
#include "monitor/symbols.h"
#include "monitor/trace.h"
#include "cpu/pg_sensitive.h"
#include "cpu/vcpu.h"
#include "shadow_mmu/mmu.h"

void pg_sites_init(struct pg_sites *t)
{
    memset(t, 0, sizeof *t);
    memset(t->hash, 0xFF, sizeof t->hash);
}

void pg_sites_free(struct pg_sites *t)
{
    free(t->v);
    t->v = NULL;
}

struct pg_site *pg_site_for(struct pg_sites *t, struct vcpu *c, uint32_t lin, int cpl,
                            uint32_t eip, int kind)
{
    unsigned h = (lin * 2654435761u >> 20) % PG_HASH_SIZE;
    for (int i = t->hash[h]; i >= 0; i = t->v[i].next)
        if (t->v[i].lin == lin && t->v[i].cpl == cpl)
            return &t->v[i];
    if (t->n == PG_SITES_MAX) {
        t->dropped++;
        return NULL;
    }
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        struct pg_site *v = realloc(t->v, (size_t)cap * sizeof *v);
        if (!v)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    struct pg_site *s = &t->v[t->n];
    memset(s, 0, sizeof *s);
    s->lin = lin;
    s->cpl = cpl;
    s->cs = c->seg[S_CS].sel;
    s->eip = eip;
    s->kind = (uint8_t)kind;
    s->len = sizeof s->bytes;
    if (mmu_read(c, lin, s->bytes, sizeof s->bytes, ACC_READ | ACC_NOSET, NULL) == MMU_PAGE_FAULT)
        s->len = 0;
    s->next = t->hash[h];
    t->hash[h] = t->n++;
    return s;
}

static int by_address(const void *a, const void *b)
{
    const struct pg_site *x = a, *y = b;
    return x->lin < y->lin ? -1 : x->lin > y->lin;
}

static void site_detail(const struct pg_site *s, char *buf, size_t n)
{
    if (!s->differ) {
        snprintf(buf, n, "%s, as a CPU at CPL %d gives", s->got, s->cpl);
    } else if (s->kind == PG_POPF) {
        uint32_t g = s->got_flags, w = s->want_flags;
        if ((g ^ w) & FL_IF)
            snprintf(buf, n, "IF stays %u, guest asked for %u", (g >> 9) & 1, (w >> 9) & 1);
        else
            snprintf(buf, n, "IOPL stays %u, guest asked for %u", (g >> 12) & 3, (w >> 12) & 3);
    } else {
        snprintf(buf, n, "got %s; a CPU at CPL %d gives %s", s->got, s->cpl, s->want);
    }
}

static void print_site(const struct pg_site *s, const struct symtab *syms, FILE *out)
{
    char where[128] = "", text[160] = "", detail[256];
    uint32_t off;
    const char *name = symtab_lookup(syms, s->lin, &off);
    const char *insn = pg_insn_info(s->kind)->name;
    if (name)
        snprintf(where, sizeof where, " %s+0x%x", name, off);
    if (s->len)
        trace_insn_text(text, sizeof text, s->lin, s->bytes, s->len);
    if (s->silent) {
        site_detail(s, detail, sizeof detail);
        fprintf(out, "%s %s at %04x:%08x%s [%s]: %s (x %llu)\n", s->differ ? "silent" : "same  ",
                insn, s->cs, s->eip, where, text, detail, (unsigned long long)s->silent);
    }
    if (s->unseen)
        fprintf(out, "unseen %s at %04x:%08x%s [%s]: ran right after an instruction the host "
                "kernel emulated (UMIP), which skips the single-step trap (x %llu)\n",
                insn, s->cs, s->eip, where, text, (unsigned long long)s->unseen);
    if (s->trapped)
        fprintf(out, "trap   %s at %04x:%08x%s [%s]: emulated (x %llu)\n", insn, s->cs, s->eip,
                where, text, (unsigned long long)s->trapped);
}

void pg_sites_report(struct pg_sites *t, const struct symtab *syms, uint64_t scans,
                     uint64_t frames_with_sites, uint64_t steps, FILE *out)
{
    uint64_t silent = 0, wrong = 0, trapped = 0;
    qsort(t->v, (size_t)t->n, sizeof *t->v, by_address);
    for (int i = 0; i < t->n; i++) {
        silent += t->v[i].silent > 0 || t->v[i].unseen > 0;
        wrong += t->v[i].differ > 0;
        trapped += t->v[i].trapped > 0;
    }
    fprintf(out, "# %d sensitive sites ran: %llu without a trap (%llu of them answered "
            "differently from the modelled CPU), %llu trapped to the monitor; %llu pages "
            "decoded, %llu with sensitive instructions, %llu instructions single-stepped\n",
            t->n, (unsigned long long)silent, (unsigned long long)wrong, (unsigned long long)trapped,
            (unsigned long long)scans, (unsigned long long)frames_with_sites,
            (unsigned long long)steps);
    if (t->dropped)
        fprintf(out, "# %llu executions at sites beyond the first %d were not recorded\n",
                (unsigned long long)t->dropped, PG_SITES_MAX);
    for (int i = 0; i < t->n; i++)
        print_site(&t->v[i], syms, out);
}
