/*
 * bench/paging/guest_main.c - paging microbenchmarks, one ring-0
 * Multiboot guest run under vmm and under QEMU TCG by bench/run-all.sh.
 *
 * The guest identity-maps its first 16 MiB with 4 KiB pages (supervisor,
 * writable, A/D clear: the monitor or the CPU sets them) and turns paging
 * on.  Every other mapping lies in a 4 MiB window of its own with its own
 * page tables, over RAM above 16 MiB that is reached only through those
 * windows:
 *
 *   linear       what                                   guest-physical
 *   0x40000000   hidden faults, one 8 MiB window a rep  POOL_A (8 MiB)
 *   0x50000000   true faults (PTEs not present)         POOL_A
 *   0x58000000   PTE writes                             POOL_A
 *   0x60000000   32 pages, a different table per CR3    POOL_C
 *   0x80000000   the 4 MiB "process" being forked       PARENT, then POOL0/1
 *   0x90000000   where the child's copy is made        POOL0 / POOL1
 *
 * Each measurement prints "bench NAME TICKS CHECKSUM OPS" (bench_guest.h);
 * TICKS is the best of REPS unless the name says otherwise.  Needs 48 MiB of
 * guest RAM (vmm's and QEMU's default is 128).
 *
 * Built twice: paging_guest.elf with 2-level tables, paging_pae_guest.elf
 * (-DPAE) with PAE tables (SDM vol. 3A 4.4: 64-bit entries, 512 to a table,
 * four directories under a PDPT) doing the same work, for the comparison of
 * the two formats in docs/benchmarks.md.  The PTEs are indexed as one array
 * per window in both (a 4 MiB window is one table, or two with PAE).
 */
#include "bench_guest.h"

#define REPS 3
#define PTE_P 0x001u
#define PTE_W 0x002u
#define CR0_PG 0x80000000u
#define CR4_PAE 0x20u

#ifdef PAE
typedef uint64_t pte_t;
#define DIR_SHIFT 21                    /* a directory entry maps 2 MiB */
#define DIR_ENTRIES 2048u               /* the four directories, one array */
#define pf_handler pf_handler_pae
#define pte_store_block pte_store_block_pae
#else
typedef uint32_t pte_t;
#define DIR_SHIFT 22
#define DIR_ENTRIES 1024u
#endif
#define TABLE_ENTRIES (4096u / sizeof(pte_t))

#define MIB (1024u * 1024)
#define POOL_A (16 * MIB)
#define POOL_C (24 * MIB)
#define PARENT (28 * MIB)
#define POOL0 (32 * MIB)
#define POOL1 (36 * MIB)

#define WIN_PAGES 2048u                 /* 8 MiB windows: two page tables */
#define HIDDEN_BASE 0x40000000u
#define TPF_BASE 0x50000000u            /* paging_asm.asm has it too */
#define PTEW_BASE 0x58000000u
#define CR3_BASE 0x60000000u
#define CR3_PAGES 32u
#define CR3_SWITCHES 2000u
#define FORK_BASE 0x80000000u
#define CHILD_BASE 0x90000000u
#define FORK_PAGES 1024u                /* 4 MiB */
#define FORKS 4u
#define BLOCK_STORES 256u               /* paging_asm.asm's block */

/* The PTEs of n 4 MiB windows (n tables, 2n with PAE), indexed as one
 * array. */
#define TABLES(name, n) pte_t name[(n) * 1024] __attribute__((aligned(4096)))

static pte_t pd1[DIR_ENTRIES] __attribute__((aligned(4096)));
static pte_t pd2[DIR_ENTRIES] __attribute__((aligned(4096)));
#ifdef PAE
static uint64_t pdpt1[4] __attribute__((aligned(32)));
static uint64_t pdpt2[4] __attribute__((aligned(32)));
#endif
static TABLES(ident_pt, 4);
static TABLES(hidden_pt, REPS * 2);
TABLES(tpf_pt, 2);                      /* paging_asm.asm sets P in it */
static TABLES(ptew_pt, 2);
static TABLES(cr3_pt1, 1);
static TABLES(cr3_pt2, 1);
static TABLES(fork_pt, 1);
static TABLES(child_pt, 1);
static uint32_t scratch[1024] __attribute__((aligned(4096)));

volatile uint32_t tpf_faults;
extern char pf_handler[];
void pte_store_block(pte_t *table, uint32_t pte, uint32_t linear);

/* Switch to the address space of directory pd1 or pd2 (with PAE, to the
 * PDPT that names its four pages). */
static inline void load_cr3(const pte_t *pd)
{
#ifdef PAE
    const void *top = pd == pd1 ? pdpt1 : pdpt2;
#else
    const void *top = pd;
#endif
    asm volatile("mov %0, %%cr3" :: "r"(top) : "memory");
}

static inline void invlpg(uint32_t linear)
{
    asm volatile("invlpg (%0)" :: "r"(linear) : "memory");
}

static inline volatile uint32_t *at(uint32_t linear)
{
    return (volatile uint32_t *)linear;
}

/* Point pd's entries for [linear, linear + 4 MiB * n) at the tables of
 * pts. */
static void map_tables(pte_t *pd, uint32_t linear, pte_t *pts, unsigned n)
{
    for (unsigned i = 0; i < n << (22 - DIR_SHIFT); i++)
        pd[(linear >> DIR_SHIFT) + i] = (uint32_t)(pts + i * TABLE_ENTRIES) | PTE_P | PTE_W;
}

/* Fill n PTEs (contiguous tables) with phys + i pages and the given flags. */
static void fill_ptes(pte_t *pte, unsigned n, uint32_t phys, uint32_t flags)
{
    for (unsigned i = 0; i < n; i++)
        pte[i] = (phys + i * 4096) | flags;
}

static void setup_paging(void)
{
    fill_ptes(ident_pt, 4096, 0, PTE_P | PTE_W);
    ident_pt[0] = 0;                    /* null pointers fault */
    map_tables(pd1, 0, ident_pt, 4);
    for (unsigned r = 0; r < REPS; r++) {
        fill_ptes(hidden_pt + r * WIN_PAGES, WIN_PAGES, POOL_A, PTE_P | PTE_W);
        map_tables(pd1, HIDDEN_BASE + r * WIN_PAGES * 4096, hidden_pt + r * WIN_PAGES, 2);
    }
    fill_ptes(tpf_pt, WIN_PAGES, POOL_A, PTE_W);
    map_tables(pd1, TPF_BASE, tpf_pt, 2);
    fill_ptes(ptew_pt, WIN_PAGES, POOL_A, PTE_P | PTE_W);
    map_tables(pd1, PTEW_BASE, ptew_pt, 2);
    fill_ptes(fork_pt, FORK_PAGES, PARENT, PTE_P | PTE_W);
    map_tables(pd1, FORK_BASE, fork_pt, 1);
    map_tables(pd1, CHILD_BASE, child_pt, 1);
    /* Two address spaces that differ only at CR3_BASE. */
    fill_ptes(cr3_pt1, CR3_PAGES, POOL_C, PTE_P | PTE_W);
    fill_ptes(cr3_pt2, CR3_PAGES, POOL_C + CR3_PAGES * 4096, PTE_P | PTE_W);
    for (unsigned i = 0; i < DIR_ENTRIES; i++)
        pd2[i] = pd1[i];
    map_tables(pd1, CR3_BASE, cr3_pt1, 1);
    map_tables(pd2, CR3_BASE, cr3_pt2, 1);

    rt_idt_set(14, (uint32_t)pf_handler, RT_KCODE, GATE_INT0);
#ifdef PAE
    for (unsigned i = 0; i < 4; i++) {
        pdpt1[i] = (uint32_t)(pd1 + i * 512) | PTE_P;
        pdpt2[i] = (uint32_t)(pd2 + i * 512) | PTE_P;
    }
    asm volatile("mov %%cr4, %%eax; or %0, %%eax; mov %%eax, %%cr4"
                 :: "i"(CR4_PAE) : "eax", "memory");
#endif
    load_cr3(pd1);
    asm volatile("mov %%cr0, %%eax; or %0, %%eax; mov %%eax, %%cr0"
                 :: "i"(CR0_PG) : "eax", "memory");
}

/* best-of-REPS bookkeeping */
/* (a) First touch of pages the guest's tables map: under vmm each one is a
 * kernel-view miss that the monitor fills without the guest noticing. */
static void bench_hidden(void)
{
    struct best b = { ~0ull };
    uint32_t sum = 0;
    for (unsigned r = 0; r < REPS; r++) {
        uint32_t base = HIDDEN_BASE + r * WIN_PAGES * 4096;
        uint64_t t0 = bench_rdtsc();
        for (uint32_t i = 0; i < WIN_PAGES; i++)
            *at(base + i * 4096) = i + r;
        keep(&b, bench_rdtsc() - t0);
        for (uint32_t i = 0; i < WIN_PAGES; i++)
            sum += *at(base + i * 4096);
    }
    bench_report("hidden_pf", b.ticks, sum, WIN_PAGES);
}

/* (b) A read of a not-present page; the guest's #PF handler sets P,
 * INVLPGs and returns; the read is retried (paging_asm.asm). */
static void bench_true_pf(void)
{
    struct best b = { ~0ull };
    uint32_t sum = 0;
    for (unsigned r = 0; r < REPS; r++) {
        fill_ptes(tpf_pt, WIN_PAGES, POOL_A, PTE_W);
        load_cr3(pd1);
        tpf_faults = 0;
        uint64_t t0 = bench_rdtsc();
        for (uint32_t i = 0; i < WIN_PAGES; i++)
            sum += *at(TPF_BASE + i * 4096);
        keep(&b, bench_rdtsc() - t0);
        if (tpf_faults != WIN_PAGES)
            rt_fail(1, "true_pf: %u page faults, want %u", tpf_faults, WIN_PAGES);
    }
    bench_report("true_pf", b.ticks, sum, WIN_PAGES);
}

static uint32_t pte_sum(const pte_t *pte, unsigned n)
{
    uint32_t s = 0;
    for (unsigned i = 0; i < n; i++)
        s = s * 31 + (uint32_t)pte[i];
    return s;
}

/* (c) PTE writes with INVLPG, pages not touched: what a kernel's mprotect or
 * munmap does.  The loop runs one store instruction many times (a monitor
 * that adapts to it pays the trace fault only a few times); the block runs
 * 256 different stores, first on ordinary memory (translated, never
 * faulting), then on the page table: that first run is one trace fault per
 * store, the later runs show what adaptation makes of them. */
static void bench_pte_write(void)
{
    struct best loop = { ~0ull }, rep = { ~0ull };
    uint64_t first = 0;

    for (unsigned r = 0; r < REPS; r++) {
        uint32_t phys = POOL_A + (r & 1) * 4096;
        uint64_t t0 = bench_rdtsc();
        for (uint32_t i = 0; i < WIN_PAGES; i++) {
            ptew_pt[i] = (phys + i * 4096) | PTE_P | PTE_W;
            invlpg(PTEW_BASE + i * 4096);
        }
        keep(&loop, bench_rdtsc() - t0);
    }
    bench_report("pte_write_loop", loop.ticks, pte_sum(ptew_pt, WIN_PAGES), WIN_PAGES);

    pte_store_block((pte_t *)scratch, POOL_A | PTE_P | PTE_W, PTEW_BASE);
    for (unsigned r = 0; r <= REPS; r++) {
        uint32_t pte = (POOL_A + r * 4096) | PTE_P | PTE_W;
        uint64_t t0 = bench_rdtsc();
        pte_store_block(ptew_pt + 1024, pte, PTEW_BASE + 1024 * 4096);
        uint64_t t = bench_rdtsc() - t0;
        if (r == 0)
            first = t;
        else
            keep(&rep, t);
    }
    uint32_t sum = pte_sum(ptew_pt + 1024, BLOCK_STORES);
    bench_report("pte_write_traced", first, sum, BLOCK_STORES);
    bench_report("pte_write_repeat", rep.ticks, sum, BLOCK_STORES);
}

static uint32_t touch_pages(uint32_t base, unsigned n)
{
    uint32_t s = 0;
    for (unsigned i = 0; i < n; i++)
        s += *at(base + i * 4096);
    return s;
}

/* (d) Alternate between two address spaces, touching 0 or CR3_PAGES pages
 * of the window that differs after each switch. */
static void bench_cr3(void)
{
    static const struct { const char *name; unsigned pages; } v[] = {
        { "cr3_switch", 0 }, { "cr3_switch_touch32", CR3_PAGES },
    };
    load_cr3(pd2);
    for (unsigned i = 0; i < CR3_PAGES; i++)
        *at(CR3_BASE + i * 4096) = 1000 + i;
    load_cr3(pd1);
    for (unsigned i = 0; i < CR3_PAGES; i++)
        *at(CR3_BASE + i * 4096) = i;

    for (unsigned k = 0; k < 2; k++) {
        struct best b = { ~0ull };
        uint32_t sum = 0;
        for (unsigned r = 0; r < REPS; r++) {
            sum = 0;
            uint64_t t0 = bench_rdtsc();
            for (uint32_t s = 0; s < CR3_SWITCHES; s++) {
                load_cr3(s & 1 ? pd1 : pd2);
                sum += touch_pages(CR3_BASE, v[k].pages);
            }
            keep(&b, bench_rdtsc() - t0);
        }
        load_cr3(pd1);
        bench_report(v[k].name, b.ticks, sum, CR3_SWITCHES);
    }
}

/* (e) fork-like: map fresh pages at CHILD_BASE, copy the 4 MiB "process"
 * at FORK_BASE into them page by page, point FORK_BASE's PTEs at the copy,
 * unmap CHILD_BASE, flush.  The next fork copies into the other pool. */
static void fork_once(uint32_t pool)
{
    fill_ptes(child_pt, FORK_PAGES, pool, PTE_P | PTE_W);
    load_cr3(pd1);
    for (uint32_t i = 0; i < FORK_PAGES; i++) {
        void *d = (void *)(CHILD_BASE + i * 4096), *s = (void *)(FORK_BASE + i * 4096);
        uint32_t n = 1024;
        asm volatile("cld; rep movsl" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
    }
    fill_ptes(fork_pt, FORK_PAGES, pool, PTE_P | PTE_W);
    fill_ptes(child_pt, FORK_PAGES, 0, 0);
    load_cr3(pd1);
    *at(FORK_BASE) += 1;                /* the parent runs on */
}

static void bench_fork(void)
{
    struct best b = { ~0ull };
    uint32_t seed = 12345, sum = 0;

    for (uint32_t i = 0; i < FORK_PAGES * 1024; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        *at(FORK_BASE + i * 4) = seed;
    }
    for (unsigned r = 0; r < REPS; r++) {
        uint64_t t0 = bench_rdtsc();
        for (unsigned f = 0; f < FORKS; f++)
            fork_once(f & 1 ? POOL1 : POOL0);
        keep(&b, bench_rdtsc() - t0);
    }
    for (uint32_t i = 0; i < FORK_PAGES * 1024; i += 1021)
        sum = sum * 31 + *at(FORK_BASE + i * 4);
    bench_report("fork_4mib", b.ticks, sum, FORKS);
}

void test_main(void)
{
    setup_paging();
    rt_puts("unit ticks\n");
    bench_hidden();
    bench_true_pf();
    bench_pte_write();
    bench_cr3();
    bench_fork();
    rt_puts("end\n");
}
