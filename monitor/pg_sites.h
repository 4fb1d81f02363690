/*
 * monitor/pg_sites.h - the sites the silent-instruction watch recorded,
 * and their report (monitor/pg_watch.h).  Not a public contract: only
 * monitor/pg_watch.c and monitor/pg_sites.c include it.
 *
 * A site is one guest linear address at one CPL where a sensitive
 * instruction ran: how often it ran without a trap (and how often of those
 * its answer differed from the modelled CPU's, with the first such pair of
 * answers), how often it trapped, and how often it ran unseen.
 */
#ifndef MONITOR_PG_SITES_H
#define MONITOR_PG_SITES_H

#include <stdint.h>
#include <stdio.h>

struct vcpu;
struct symtab;

#define PG_HASH_SIZE 4096
/* Sites recorded at most: a guest that writes sensitive instructions all
 * over its memory must not grow the monitor without bound. */
#define PG_SITES_MAX 200000

struct pg_site {
    uint32_t lin;
    int cpl;
    uint16_t cs;
    uint32_t eip;
    uint8_t kind;               /* enum pg_insn */
    uint8_t bytes[15], len;
    uint64_t silent, differ, trapped, unseen;
    char got[96], want[96];     /* the first differing pair, else the first one */
    uint32_t got_flags, want_flags;
    int next;                   /* hash chain */
};

struct pg_sites {
    struct pg_site *v;
    int n, cap;
    int hash[PG_HASH_SIZE];
    uint64_t dropped;           /* executions at sites past PG_SITES_MAX, not recorded */
};

void pg_sites_init(struct pg_sites *t);
void pg_sites_free(struct pg_sites *t);
/* The site at linear address lin and CPL cpl, made on first sight (c is
 * the CPU that ran it: its CS, and the bytes there); NULL past the cap. */
struct pg_site *pg_site_for(struct pg_sites *t, struct vcpu *c, uint32_t lin, int cpl,
                            uint32_t eip, int kind);
/* The report's summary line and one line per site, by address. */
void pg_sites_report(struct pg_sites *t, const struct symtab *syms, uint64_t scans,
                     uint64_t frames_with_sites, uint64_t steps, FILE *out);

#endif
