/*
 * tests/unit/test_shadow.c - the shadow bookkeeping (shadow_mmu/shadow.c)
 * through its public functions: hidden faults and dirty-bit emulation,
 * true faults, write-protected page-table pages that the guest's first write
 * unsyncs until the next CR3 load, shadow_pt_written, the
 * cache of kernel views keyed by CR3, INVLPG, reset, code pages.
 *
 * No vm_run: the tests call what the run loop would call (shadow_reset on a
 * CR0.PG change, shadow_cr3_loaded on a CR3 load, ...) and look at the host
 * views themselves.  A host page's protection is observed by touching it
 * under a SIGSEGV guard (probe(): read one byte, then write the same byte
 * back), which is exact and needs no parsing of /proc.
 *
 * Guest-physical layout (16 MiB of RAM), address space i = 0..5:
 *   0x10000 + i*4K  page directory PD(i)
 *   0x20000 + i*4K  page table PT(i), PD(i)[256] -> linear 0x40000000
 *   0x30000         page table PT_ALIAS, PD(i)[320] -> linear 0x50000000,
 *                   maps page-table pages so that the guest can write them
 *   0x100000 + i*4K frame F(i), PT(i)[0] -> F(i)
 * Every linear address used lies above RAM, so no identity mapping left
 * over from paging-off could satisfy an access by accident.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "monitor/vm.h"
#include "monitor/run.h"
#include "cpu/host_facts.h"
#include "shadow_mmu/shadow.h"
#include "shadow_mmu/mmu.h"

#define PD(i)     (0x10000u + (i) * 0x1000u)
#define PT(i)     (0x20000u + (i) * 0x1000u)
#define PT_ALIAS  0x30000u
#define F(i)      (0x100000u + (i) * 0x1000u)
#define BIG       0x400000u             /* a 4 MiB frame */

#define X         0x40000000u           /* PD index 256 */
#define ALIAS     0x50000000u           /* PD index 320 */
#define X_BIG     0x80000000u           /* PD index 512 */
#define X2        0x40400000u           /* PD index 257 */

#define P  0x001u
#define W  0x002u
#define U  0x004u
#define A  0x020u
#define D  0x040u
#define PS 0x080u

static struct vm *vm;

static void setup(void)
{
    char err[256] = "";
    vm = vm_alloc();
    cr_assert_not_null(vm);
    vm->opt.mem_mib = 16;
    vm->opt.no_sandbox = true;
    cr_assert_eq(vm_create(vm, err, sizeof err), 0, "vm_create: %s", err);
}

static void teardown(void)
{
    vm_destroy(vm);
    free(vm);
}

TestSuite(shadow, .init = setup, .fini = teardown);

static uint32_t *phys32(uint32_t pa)
{
    return (uint32_t *)(vm->mem.ram + pa);
}

/* Address space i: X -> F(i) (user, writable), ALIAS page k -> alias[k]. */
static void space(int i, const uint32_t *alias, int nalias)
{
    phys32(PD(i))[256] = PT(i) | P | W | U;
    phys32(PT(i))[0] = F(i) | P | W | U;
    *phys32(F(i)) = 0xF0000000u | (uint32_t)i;
    if (nalias) {
        phys32(PD(i))[320] = PT_ALIAS | P | W;
        for (int k = 0; k < nalias; k++)
            phys32(PT_ALIAS)[k] = alias[k] | P | W;
    }
}

/* What the run loop does when the guest sets CR0.PG (or changes WP/PSE),
 * and before ring 3 next runs (the user view follows then). */
static void paging_on(int i, uint32_t cr4)
{
    vm->cpu.cr0 |= CR0_PG | CR0_WP;
    vm->cpu.cr3 = PD(i);
    vm->cpu.cr4 = cr4;
    shadow_reset(vm);
    shadow_user_enter(vm);
}

/* ... and when it loads CR3 (kernel_only: no ring 3 runs afterwards). */
static void load_cr3_kernel_only(int i)
{
    vm->cpu.cr3 = PD(i);
    shadow_cr3_loaded(vm);
}

static void load_cr3(int i)
{
    load_cr3_kernel_only(i);
    shadow_user_enter(vm);
}

static uint8_t *kv(uint32_t lin)
{
    return (uint8_t *)(uintptr_t)vm->cpu.bt.kview + lin;
}

static uint8_t *uv(uint32_t lin)
{
    return (uint8_t *)(uintptr_t)lin;
}

/* ---- observing a host page's protection ------------------------------- */

enum prot { NONE, RO, RW };
static const char *prot_name[] = { "none", "read-only", "read-write" };
static sigjmp_buf probe_env;

static void probe_fault(int sig)
{
    (void)sig;
    siglongjmp(probe_env, 1);
}

static enum prot probe(uint8_t *p)
{
    struct sigaction sa = { .sa_handler = probe_fault }, old_segv, old_bus;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    volatile enum prot got = NONE;
    if (sigsetjmp(probe_env, 1) == 0) {
        volatile uint8_t *q = p;
        uint8_t v = *q;
        got = RO;
        *q = v;
        got = RW;
    }
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    return got;
}

#define assert_prot(p, want, what) do { \
        enum prot got_ = probe(p); \
        cr_assert_eq(got_, (want), "%s: host page is %s, want %s", (what), \
                     prot_name[got_], prot_name[want]); \
    } while (0)

static enum shadow_result kfault(uint32_t lin, bool write, uint32_t *pa, uint32_t *err)
{
    uint32_t dpa, derr;
    return shadow_fault(vm, lin, write, pa ? pa : &dpa, err ? err : &derr);
}

/* ---- paging on --------------------------------------------------------- */

/* The kernel view held RAM 1:1 while paging was off.  Once CR0.PG is set
 * none of it may stay: linear 0x100000 is not mapped by PD(0), so a
 * translated access there must fault into the monitor (and become the
 * guest's #PF), not read physical 0x100000. */
Test(shadow, paging_on_drops_identity_map)
{
    space(0, NULL, 0);
    assert_prot(kv(0x100000), RW, "paging off: identity map");
    paging_on(0, 0);
    cr_assert_eq(vm->cpu.bt.kview, (uint64_t)(uintptr_t)vm->mem.kview, "view 0 is vm->mem.kview");
    assert_prot(kv(0x100000), NONE,
                "paging on, linear 0x100000 unmapped by the guest (PDE 0 = 0), yet still "
                "mapped by the paging-off identity map");
    uint32_t err = 0xFF;
    cr_assert_eq(kfault(0x100000, false, NULL, &err), SHADOW_GUEST_PF);
    cr_assert_eq(err, 0);
}

/* ---- hidden faults and the dirty bit ------------------------------------- */

Test(shadow, read_maps_read_only_then_write_sets_dirty)
{
    space(0, NULL, 0);
    paging_on(0, 0);
    assert_prot(kv(X), NONE, "before the first touch");
    uint64_t hidden = vm->stats.shadow_hidden_faults;
    uint32_t pa = 0;
    cr_assert_eq(kfault(X + 0x10, false, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(pa, F(0) + 0x10);
    cr_assert_eq(vm->stats.shadow_hidden_faults, hidden + 1);
    assert_prot(kv(X), RO, "after a read fault (dirty-bit emulation)");
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000000u, "the view shows F(0)");
    cr_assert_eq(phys32(PT(0))[0], F(0) | P | W | U | A, "PTE after the read: 0x%x",
                 phys32(PT(0))[0]);
    cr_assert_eq(phys32(PD(0))[256], PT(0) | P | W | U | A);

    cr_assert_eq(kfault(X + 0x10, true, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(vm->stats.shadow_hidden_faults, hidden + 2);
    cr_assert_eq(phys32(PT(0))[0], F(0) | P | W | U | A | D, "PTE after the write: 0x%x",
                 phys32(PT(0))[0]);
    assert_prot(kv(X), RW, "after a write fault");
    *(uint32_t *)kv(X + 0x20) = 0x5A5A5A5A;
    cr_assert_eq(*phys32(F(0) + 0x20), 0x5A5A5A5A, "a write through the view reaches RAM");
}

/* A read of a page whose entry is dirty already (and writable) maps it
 * writable at once: the write fault would set nothing.  A read-only entry
 * stays read-only however dirty. */
Test(shadow, read_of_a_dirty_page_maps_it_writable)
{
    space(0, NULL, 0);
    phys32(PT(0))[0] |= A | D;
    phys32(PT(0))[1] = F(1) | P | U | A | D;                 /* dirty but read-only */
    paging_on(0, 0);
    uint64_t hidden = vm->stats.shadow_hidden_faults;
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    assert_prot(kv(X), RW, "dirty and writable: mapped writable on a read");
    cr_assert_eq(kfault(X + 0x1000, false, NULL, NULL), SHADOW_FIXED);
    assert_prot(kv(X + 0x1000), RO, "dirty but read-only (CR0.WP)");
    cr_assert_eq(shadow_user_fault(vm, X, false, &(uint32_t){ 0 }, &(uint32_t){ 0 }), SHADOW_FIXED);
    assert_prot(uv(X), RW, "the same in the user view");
    cr_assert_eq(vm->stats.shadow_hidden_faults, hidden + 3);
}

Test(shadow, user_view_read_then_write)
{
    space(0, NULL, 0);
    paging_on(0, 0);
    uint32_t pa = 0, err = 0;
    cr_assert_eq(shadow_user_fault(vm, X + 4, false, &pa, &err), SHADOW_FIXED);
    cr_assert_eq(pa, F(0) + 4);
    assert_prot(uv(X), RO, "user view after a read");
    assert_prot(kv(X), NONE, "the kernel view is filled separately");
    cr_assert_eq(phys32(PT(0))[0] & D, 0);
    cr_assert_eq(shadow_user_fault(vm, X + 4, true, &pa, &err), SHADOW_FIXED);
    assert_prot(uv(X), RW, "user view after a write");
    cr_assert_eq(phys32(PT(0))[0] & (A | D), A | D);
    cr_assert_eq(*(uint32_t *)uv(X), 0xF0000000u);
}

/* ---- true faults ---------------------------------------------------------- */

Test(shadow, guest_page_faults)
{
    space(0, NULL, 0);
    phys32(PT(0))[1] = F(1) | W | U;            /* not present */
    phys32(PT(0))[2] = F(2) | P | U;            /* read-only */
    phys32(PT(0))[3] = F(3) | P | W;            /* supervisor only */
    paging_on(0, 0);
    static const struct {
        uint32_t lin; bool user, write; uint32_t error;
    } cases[] = {
        { X + 0x1004, false, false, 0 },
        { X + 0x1004, false, true, PFERR_W },
        { X + 0x1004, true, false, PFERR_U },
        { X + 0x1004, true, true, PFERR_U | PFERR_W },
        { X + 0x2008, false, true, PFERR_P | PFERR_W },             /* WP = 1 */
        { X + 0x2008, true, true, PFERR_P | PFERR_W | PFERR_U },
        { X + 0x3FFC, true, false, PFERR_P | PFERR_U },
        { X + 0x3FFC, true, true, PFERR_P | PFERR_W | PFERR_U },
        { X2 + 0x123, false, false, 0 },                            /* PDE not present */
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t trues = vm->stats.shadow_true_faults, hidden = vm->stats.shadow_hidden_faults;
        uint32_t pa = 0, err = 0xFF;
        enum shadow_result r = cases[i].user
            ? shadow_user_fault(vm, cases[i].lin, cases[i].write, &pa, &err)
            : shadow_fault(vm, cases[i].lin, cases[i].write, &pa, &err);
        cr_assert_eq(r, SHADOW_GUEST_PF, "case %u (0x%x): result %d", i, cases[i].lin, r);
        cr_assert_eq(err, cases[i].error, "case %u (0x%x): error 0x%x, want 0x%x", i,
                     cases[i].lin, err, cases[i].error);
        cr_assert_eq(vm->stats.shadow_true_faults, trues + 1);
        cr_assert_eq(vm->stats.shadow_hidden_faults, hidden);
        assert_prot(cases[i].user ? uv(cases[i].lin) : kv(cases[i].lin), NONE,
                    "nothing mapped after a true fault");
    }
    /* A read-only page is mapped for reading; WP = 1 is still honoured. */
    cr_assert_eq(kfault(X + 0x2008, false, NULL, NULL), SHADOW_FIXED);
    assert_prot(kv(X + 0x2000), RO, "read-only guest page");
}

Test(shadow, wp_off_lets_the_supervisor_write_read_only_pages)
{
    space(0, NULL, 0);
    phys32(PT(0))[2] = F(2) | P | U;            /* read-only */
    paging_on(0, 0);
    vm->cpu.cr0 &= ~CR0_WP;
    shadow_reset(vm);                           /* what a CR0.WP change does */
    cr_assert_eq(kfault(X + 0x2008, true, NULL, NULL), SHADOW_FIXED);
    assert_prot(kv(X + 0x2000), RW, "WP = 0: supervisor write allowed");
    cr_assert_eq(phys32(PT(0))[2], F(2) | P | U | A | D);
    /* ring 3 still may not write it */
    uint32_t pa, err = 0;
    cr_assert_eq(shadow_user_fault(vm, X + 0x2008, true, &pa, &err), SHADOW_GUEST_PF);
    cr_assert_eq(err, PFERR_P | PFERR_W | PFERR_U);
    /* WP back on: the writable mapping must go. */
    vm->cpu.cr0 |= CR0_WP;
    shadow_reset(vm);
    assert_prot(kv(X + 0x2000), NONE, "after the CR0.WP change");
    cr_assert_eq(kfault(X + 0x2008, true, NULL, &err), SHADOW_GUEST_PF);
    cr_assert_eq(err, PFERR_P | PFERR_W);
}

/* Physical addresses that are not RAM are never backed by RAM in a view.
 * With no device claiming them a read may be answered by mapping a page of
 * all ones, read-only (the PC bus reads unassigned space as all ones), or be
 * emulated (SHADOW_MMIO); a write is always emulated (and dropped). */
Test(shadow, non_ram_and_page_zero)
{
    space(0, NULL, 0);
    phys32(PT(0))[1] = 0x08000000u | P | W | U;     /* above the 16 MiB of RAM */
    phys32(PD(0))[0] = PT(1) | P | W | U;
    phys32(PT(1))[0] = F(1) | P | W | U;            /* linear page 0 */
    *phys32(F(1)) = 0xF0000001u;
    paging_on(0, 0);
    uint32_t pa = 0, err;
    enum shadow_result r = kfault(X + 0x1010, false, &pa, NULL);
    cr_assert_eq(pa, 0x08000010u);
    if (r == SHADOW_FIXED) {
        assert_prot(kv(X + 0x1000), RO, "unassigned space mapped for reading");
        for (uint32_t o = 0; o < 4096; o += 4)
            cr_assert_eq(*(uint32_t *)kv(X + 0x1000 + o), 0xFFFFFFFFu,
                         "unassigned space at +0x%x reads 0x%x", o, *(uint32_t *)kv(X + 0x1000 + o));
    } else {
        cr_assert_eq(r, SHADOW_MMIO, "a read of unassigned space: result %d", r);
        assert_prot(kv(X + 0x1000), NONE, "non-RAM emulated, never mapped");
    }
    cr_assert_eq(kfault(X + 0x1010, true, &pa, NULL), SHADOW_MMIO, "a write to unassigned space");
    cr_assert_neq(probe(kv(X + 0x1000)), RW, "unassigned space is never writable");
    /* Host page 0: mapped for the user view where vmm may map it
     * (CAP_SYS_RAWIO), else ring-3 accesses there are emulated. */
    if (host_plan()->user_page0 && !vm->opt.emulate_page0) {
        cr_assert_eq(shadow_user_fault(vm, 0x10, false, &pa, &err), SHADOW_FIXED);
        volatile uintptr_t zero = 0;
        cr_assert_eq(((volatile uint32_t *)zero)[0], 0xF0000001u, "guest page 0 at host page 0");
    } else {
        cr_assert_eq(shadow_user_fault(vm, 0x10, false, &pa, &err), SHADOW_MMIO);
    }
    cr_assert_eq(pa, F(1) + 0x10);
    /* The kernel view can map linear page 0. */
    cr_assert_eq(kfault(0x10, false, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(*(uint32_t *)kv(0), 0xF0000001u);
}

/* ---- page-table pages are write-protected ---------------------------------- */

Test(shadow, page_table_pages_are_write_protected)
{
    /* ALIAS maps PT(0) (a table this space uses), PD(0) itself, and PT(1),
     * which becomes a table only once PD(0)[257] is walked. */
    const uint32_t alias[] = { PT(0), PD(0), PT(1) };
    space(0, alias, 3);
    phys32(PD(0))[257] = PT(1) | P | W;
    phys32(PT(1))[0] = F(1) | P | W;
    paging_on(0, 0);
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);      /* walks PD(0), PT(0) */

    uint32_t pa = 0;
    /* Reading a page table is an ordinary hidden fault, mapped read-only. */
    cr_assert_eq(kfault(ALIAS + 0x10, false, &pa, NULL), SHADOW_FIXED);
    assert_prot(kv(ALIAS), RO, "PT(0) through the alias");
    cr_assert_eq(*(uint32_t *)kv(ALIAS), phys32(PT(0))[0]);
    /* A directory is not traced (its entries are checked at each flush). */
    cr_assert_eq(kfault(ALIAS + 0x1400, true, &pa, NULL), SHADOW_FIXED);
    assert_prot(kv(ALIAS + 0x1000), RW, "PD(0) through the alias");
    /* The first write unsyncs the page: writable until the next CR3 load. */
    uint64_t traced = vm->stats.shadow_trace_faults;
    cr_assert_eq(kfault(ALIAS + 0x10, true, &pa, NULL), SHADOW_FIXED, "write to PT(0)");
    cr_assert_eq(pa, PT(0) + 0x10);
    cr_assert_eq(vm->stats.shadow_trace_faults, traced + 1);
    assert_prot(kv(ALIAS), RW, "PT(0) unsynced");
    load_cr3(0);
    assert_prot(kv(ALIAS), RO, "PT(0) traced again after the resync");

    /* PT(1) is not a table yet: writable like any page ... */
    cr_assert_eq(kfault(ALIAS + 0x2008, true, &pa, NULL), SHADOW_FIXED);
    assert_prot(kv(ALIAS + 0x2000), RW, "PT(1) before it is walked");
    /* ... until a walk goes through it: then every alias turns read-only. */
    cr_assert_eq(kfault(X2 + 4, false, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(pa, F(1) + 4);
    assert_prot(kv(ALIAS + 0x2000), RO, "PT(1) after the walk through it");
    traced = vm->stats.shadow_trace_faults;
    cr_assert_eq(kfault(ALIAS + 0x2008, true, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(pa, PT(1) + 8);
    cr_assert_eq(vm->stats.shadow_trace_faults, traced + 1);
    /* The user view too: a page table mapped writable at a user address. */
    load_cr3(0);
    phys32(PT_ALIAS)[0] |= U;
    phys32(PD(0))[320] |= U;
    cr_assert_eq(shadow_user_fault(vm, ALIAS + 0x10, true, &pa, &(uint32_t){ 0 }),
                 SHADOW_FIXED, "ring-3 write to PT(0)");
    cr_assert_eq(pa, PT(0) + 0x10);
    cr_assert_eq(vm->stats.shadow_trace_faults, traced + 2);
    assert_prot(uv(ALIAS), RW, "PT(0) unsynced, in the user view");
}

/* The guest's writes to an unsynced table land at once but, as with a TLB,
 * the mappings they change stay until the next CR3 load, which drops them;
 * the next access walks the new entry.  The guest's write may be the first
 * touch of the alias or follow a read of it. */
static void unsynced_write(bool read_first)
{
    const uint32_t alias[] = { PT(0) };
    space(0, alias, 1);
    phys32(PT(0))[1] = F(1) | P | W;
    *phys32(F(1)) = 0xF0000001u;
    paging_on(0, 0);
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);      /* PT(0) traced */
    if (read_first)
        cr_assert_eq(kfault(ALIAS, false, NULL, NULL), SHADOW_FIXED);
    uint32_t pa = 0;
    cr_assert_eq(kfault(ALIAS, true, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(pa, PT(0));
    *(volatile uint32_t *)kv(ALIAS) = F(1) | P | W;                /* the guest's store */
    cr_assert_eq(phys32(PT(0))[0], F(1) | P | W,
                 "%s: the store must land in PT(0)[0]: 0x%x",
                 read_first ? "alias read before" : "alias never mapped before", phys32(PT(0))[0]);
    *(volatile uint32_t *)kv(ALIAS + 4) = 0;                       /* and a second one */
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000000u, "the old mapping stays until the flush");
    load_cr3(0);
    assert_prot(kv(X), NONE, "the flush dropped the changed entry's mapping");
    cr_assert_eq(kfault(X, false, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(pa, F(1), "X after the PTE write: pa 0x%x", pa);
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000001u);
    cr_assert_eq(*(uint32_t *)kv(ALIAS), F(1) | P | W | A, "the alias reads the table (A set by the walk)");
    uint32_t err = 0;
    cr_assert_eq(kfault(X + 0x1000, false, &pa, &err), SHADOW_GUEST_PF, "PTE 1 was cleared");
}

Test(shadow, unsynced_write_through_a_mapped_alias)
{
    unsynced_write(true);
}

Test(shadow, unsynced_write_through_an_alias_never_mapped)
{
    unsynced_write(false);
}

/* An entry of an unsynced table that the guest sets, uses and clears again
 * before its flush (map, touch, unmap, MOV CR3): the mapping made from the
 * short-lived value must go at the flush, though the entry ends as it was
 * when the table was unsynced. */
Test(shadow, unsynced_entry_set_used_and_cleared_before_the_flush)
{
    const uint32_t alias[] = { PT(0) };
    space(0, alias, 1);
    *phys32(F(1)) = 0xF0000001u;
    paging_on(0, 0);
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);      /* PT(0) traced */
    cr_assert_eq(kfault(ALIAS, true, NULL, NULL), SHADOW_FIXED);   /* unsynced, PTE 1 = 0 */
    *(volatile uint32_t *)kv(ALIAS + 4) = F(1) | P | W;
    uint32_t pa = 0;
    cr_assert_eq(kfault(X + 0x1000, false, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(pa, F(1));
    cr_assert_eq(*(uint32_t *)kv(X + 0x1000), 0xF0000001u);
    *(volatile uint32_t *)kv(ALIAS + 4) = 0;                       /* unmapped again */
    load_cr3(0);
    assert_prot(kv(X + 0x1000), NONE, "the mapping of the cleared entry is gone after the flush");
    uint32_t err = 0;
    cr_assert_eq(kfault(X + 0x1000, false, &pa, &err), SHADOW_GUEST_PF);
}

/* Setting A or D in an unsynced table changes no mapping; clearing D drops
 * the writable mapping, so that the next write sets D again. */
Test(shadow, resync_and_the_accessed_and_dirty_bits)
{
    const uint32_t alias[] = { PT(0) };
    space(0, alias, 1);
    phys32(PT(0))[1] = F(1) | P | W;
    paging_on(0, 0);
    cr_assert_eq(kfault(X, true, NULL, NULL), SHADOW_FIXED);               /* sets A and D */
    cr_assert_eq(kfault(X + 0x1000, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(phys32(PT(0))[0], F(0) | P | W | U | A | D);
    cr_assert_eq(kfault(ALIAS, true, NULL, NULL), SHADOW_FIXED);           /* unsynced */
    *(volatile uint32_t *)kv(ALIAS) = F(0) | P | W | U | A;                /* D cleared */
    *(volatile uint32_t *)kv(ALIAS + 4) = F(1) | P | W | A | D;            /* A, D set */
    load_cr3(0);
    assert_prot(kv(X), NONE, "D cleared: mapping dropped");
    assert_prot(kv(X + 0x1000), RO, "A and D set: mapping kept");
    cr_assert_eq(kfault(X, true, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(phys32(PT(0))[0], F(0) | P | W | U | A | D, "the write set D again");
}

/* A page table the guest frees (its PDE cleared) and reuses as data stops
 * being traced at the resync after the first write to it. */
Test(shadow, freed_page_table_is_no_longer_traced)
{
    const uint32_t alias[] = { PT(1) };
    space(0, alias, 1);
    phys32(PD(0))[257] = PT(1) | P | W;
    phys32(PT(1))[0] = F(1) | P | W;
    paging_on(0, 0);
    cr_assert_eq(kfault(X2, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(kfault(ALIAS + 4, false, NULL, NULL), SHADOW_FIXED);
    assert_prot(kv(ALIAS), RO, "PT(1) in use");
    phys32(PD(0))[257] = 0;
    assert_prot(kv(X2), RO, "a directory change waits for the flush, as in a TLB");
    shadow_invlpg(vm, X2);
    assert_prot(kv(X2), NONE, "the mapping made through the freed table");
    uint64_t untraced = vm->stats.shadow_untraced;
    uint32_t pa = 0;
    cr_assert_eq(kfault(ALIAS + 4, true, &pa, NULL), SHADOW_FIXED, "PT(1) written");
    cr_assert_eq(pa, PT(1) + 4);
    *(volatile uint32_t *)kv(ALIAS + 4) = 0x12345678u;                     /* data now */
    load_cr3(0);
    cr_assert_eq(vm->stats.shadow_untraced, untraced + 1);
    assert_prot(kv(ALIAS), RW, "the freed table's page stays writable");
}

/* ---- shadow_pt_written ------------------------------------------------------ */

Test(shadow, pte_write_drops_that_mapping_only)
{
    space(0, NULL, 0);
    phys32(PT(0))[1] = F(1) | P | W;
    paging_on(0, 0);
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(kfault(X + 0x1000, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000000u);

    /* The guest points PTE 0 at F(2) (the run loop let the write through). */
    *phys32(F(2)) = 0xF0000002u;
    phys32(PT(0))[0] = F(2) | P | W;
    shadow_pt_written(vm, PT(0), 4);
    assert_prot(kv(X), NONE, "the mapping PTE 0 produced");
    assert_prot(kv(X + 0x1000), RO, "PTE 1's mapping is untouched");
    uint64_t hidden = vm->stats.shadow_hidden_faults;
    uint32_t pa = 0;
    cr_assert_eq(kfault(X, false, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(vm->stats.shadow_hidden_faults, hidden + 1, "a fresh hidden fault");
    cr_assert_eq(pa, F(2));
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000002u, "the new frame is seen");

    /* A write to an ordinary page changes no mapping. */
    shadow_pt_written(vm, F(1), 4);
    assert_prot(kv(X + 0x1000), RO, "after a write to a data page");
}

Test(shadow, pde_change_drops_its_4mib_at_the_flush)
{
    space(0, NULL, 0);
    phys32(PT(0))[1023] = F(1) | P | W;
    phys32(PT(1))[0] = F(3) | P | W;
    *phys32(F(3)) = 0xF0000003u;
    paging_on(0, 0);
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(kfault(X + 0x3FF000, false, NULL, NULL), SHADOW_FIXED);
    phys32(PD(0))[256] = PT(1) | P | W;
    assert_prot(kv(X), RO, "a directory change waits for the flush, as in a TLB");
    load_cr3(0);                            /* the flush: the region is checked */
    assert_prot(kv(X), NONE, "first page of the 4 MiB");
    assert_prot(kv(X + 0x3FF000), NONE, "last page of the 4 MiB");
    uint32_t pa = 0, err;
    cr_assert_eq(kfault(X, false, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(pa, F(3));
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000003u);
    cr_assert_eq(kfault(X + 0x3FF000, false, &pa, &err), SHADOW_GUEST_PF);
}

/* A freed directory reused as data and then as a directory again (Linux's
 * exit and fork): the view of that CR3 keeps the regions whose entries are
 * the same again when it is next switched to, and drops the others. */
Test(shadow, directory_reused_keeps_its_unchanged_regions)
{
    space(0, NULL, 0);
    space(1, NULL, 0);
    phys32(PD(0))[768] = BIG | P | W | PS | A | D;
    paging_on(0, CR4_PSE);
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(kfault(0xC0000000u, true, NULL, NULL), SHADOW_FIXED);
    load_cr3(1);
    memset(phys32(PD(0)), 0, 4096);                 /* freed, reused as data */
    memset(phys32(PD(0)), 0x5A, 64);
    memset(phys32(PD(0)), 0, 4096);                 /* a directory again */
    phys32(PD(0))[768] = BIG | P | W | PS | D;      /* the kernel entry, A clear */
    phys32(PD(0))[256] = PT(2) | P | W | U;         /* a new table for X */
    phys32(PT(2))[0] = F(2) | P | W | U;
    *phys32(F(2)) = 0xF0000002u;
    uint64_t hidden = vm->stats.shadow_hidden_faults;
    load_cr3(0);
    assert_prot(kv(0xC0000000u), RW, "the same 4 MiB page: kept");
    assert_prot(kv(X), NONE, "X's region changed: dropped");
    cr_assert(phys32(PD(0))[768] & A, "the kept entry is accessed again");
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000002u);
    cr_assert_eq(vm->stats.shadow_hidden_faults, hidden + 1);
    /* A 4 MiB entry that lost its dirty bit is dropped (the next write must
     * set it). */
    load_cr3(1);
    phys32(PD(0))[768] &= ~D;
    load_cr3(0);
    assert_prot(kv(0xC0000000u), NONE, "D cleared in a 4 MiB entry: dropped");
}

/* A user mapping produced by a PTE goes with it too (the user view is
 * dropped with the kernel view's page). */
Test(shadow, pte_write_drops_the_user_mapping)
{
    space(0, NULL, 0);
    paging_on(0, 0);
    uint32_t pa, err;
    cr_assert_eq(shadow_user_fault(vm, X, false, &pa, &err), SHADOW_FIXED);
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);   /* the walk marks PT(0) */
    phys32(PT(0))[0] = F(0) | P | W;                             /* no longer user */
    shadow_pt_written(vm, PT(0), 4);
    assert_prot(uv(X), NONE, "user view after the PTE lost U");
    cr_assert_eq(shadow_user_fault(vm, X, false, &pa, &err), SHADOW_GUEST_PF);
    cr_assert_eq(err, PFERR_P | PFERR_U);
}

/* ---- kernel views cached by CR3 ------------------------------------------------ */

Test(shadow, cr3_switch_keeps_views)
{
    space(0, NULL, 0);
    space(1, NULL, 0);
    paging_on(0, 0);
    uint64_t kv0 = vm->cpu.bt.kview;
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(shadow_user_fault(vm, X, false, &(uint32_t){ 0 }, &(uint32_t){ 0 }), SHADOW_FIXED);
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000000u);

    load_cr3(1);
    uint64_t kv1 = vm->cpu.bt.kview;
    cr_assert_neq(kv1, kv0, "another address space gets another view");
    assert_prot(kv(X), NONE, "fresh view");
    assert_prot(uv(X), NONE, "the user view belongs to the old CR3");
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000001u);

    uint64_t hits = vm->stats.shadow_view_hits, flushes = vm->stats.shadow_flushes;
    uint64_t hidden = vm->stats.shadow_hidden_faults;
    load_cr3(0);
    cr_assert_eq(vm->cpu.bt.kview, kv0, "back to the cached view");
    cr_assert_eq(vm->stats.shadow_view_hits, hits + 1);
    cr_assert_eq(vm->stats.shadow_flushes, flushes);
    assert_prot(kv(X), RO, "still mapped: no fault needed");
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000000u);
    cr_assert_eq(vm->stats.shadow_hidden_faults, hidden);
    /* Reloading the same CR3 keeps the view as well (TLB flush, but the
     * view is exact because page tables are traced). */
    load_cr3(0);
    cr_assert_eq(vm->stats.shadow_view_hits, hits + 2);
    assert_prot(kv(X), RO, "after reloading the same CR3");
}

/* A page table of an inactive view changes (here by the emulator, while
 * another space runs): that view loses exactly the mapping it produced and
 * is still a hit when switched back to. */
Test(shadow, inactive_view_drops_changed_entries)
{
    space(0, NULL, 0);
    space(1, NULL, 0);
    phys32(PT(0))[1] = F(1) | P | W;
    *phys32(F(2)) = 0xF0000002u;
    paging_on(0, 0);
    uint64_t kv0 = vm->cpu.bt.kview;
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(kfault(X + 0x1000, false, NULL, NULL), SHADOW_FIXED);
    load_cr3(1);
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);

    phys32(PT(0))[0] = F(2) | P | W;
    shadow_pt_written(vm, PT(0), 4);
    assert_prot(kv(X), RO, "space 1's own mapping is not affected");

    uint64_t hits = vm->stats.shadow_view_hits, flushes = vm->stats.shadow_flushes;
    load_cr3(0);
    cr_assert_eq(vm->stats.shadow_view_hits, hits + 1, "still a hit");
    cr_assert_eq(vm->stats.shadow_flushes, flushes);
    cr_assert_eq(vm->cpu.bt.kview, kv0);
    assert_prot(kv(X), NONE, "the changed entry's mapping dropped");
    assert_prot(kv(X + 0x1000), RO, "the other one kept");
    uint32_t pa = 0;
    cr_assert_eq(kfault(X, false, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(pa, F(2));
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000002u);
    load_cr3(1);
    cr_assert_eq(vm->stats.shadow_view_hits, hits + 2);
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000001u);
}

Test(shadow, more_spaces_than_views_evicts_lru)
{
    cr_assert_eq(SHADOW_VIEWS, 4, "this test assumes the documented four views");
    for (int i = 0; i < 6; i++)
        space(i, NULL, 0);
    paging_on(0, 0);
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    for (int i = 1; i < 4; i++) {
        load_cr3(i);
        cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    }
    /* 0..3 are cached: all hits, every mapping still there. */
    uint64_t hits = vm->stats.shadow_view_hits;
    for (int i = 0; i < 4; i++) {
        load_cr3(i);
        cr_assert_eq(vm->stats.shadow_view_hits, hits + i + 1, "space %d cached", i);
        cr_assert_eq(*(uint32_t *)kv(X), 0xF0000000u | i, "space %d sees F(%d)", i, i);
    }
    /* Use order now 0,1,2,3.  Space 4 evicts 0 (least recently used),
     * space 5 evicts 1. */
    uint64_t recycles = vm->stats.shadow_view_recycles;
    for (int i = 4; i < 6; i++) {
        load_cr3(i);
        assert_prot(kv(X), NONE, "a new space starts empty");
        cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
        cr_assert_eq(*(uint32_t *)kv(X), 0xF0000000u | i);
    }
    cr_assert_eq(vm->stats.shadow_view_recycles, recycles + 2);
    hits = vm->stats.shadow_view_hits;
    load_cr3(2);
    cr_assert_eq(vm->stats.shadow_view_hits, hits + 1, "space 2 is still cached");
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000002u);
    load_cr3(0);
    cr_assert_eq(vm->stats.shadow_view_hits, hits + 1, "space 0 was evicted");
    cr_assert_eq(vm->stats.shadow_view_recycles, recycles + 3);
    assert_prot(kv(X), NONE, "space 0 refilled from scratch");
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000000u, "space 0 sees F(0), not a former tenant's frame");
}

/* A recycled view keeps the 4 MiB regions whose directory entries the new
 * space shares (Linux's kernel half) and drops the others. */
Test(shadow, recycled_view_keeps_shared_regions)
{
    cr_assert_eq(SHADOW_VIEWS, 4, "this test assumes the documented four views");
    for (int i = 0; i < 6; i++) {
        space(i, NULL, 0);
        phys32(PD(i))[768] = PT(5) | P | W;           /* shared "kernel" table */
    }
    phys32(PT(5))[0] = F(5) | P | W;
    *phys32(F(5)) = 0x5EA4ED;
    paging_on(0, 0);
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(kfault(0xC0000000u, true, NULL, NULL), SHADOW_FIXED);
    for (int i = 1; i < 4; i++)
        load_cr3(i);
    uint64_t hidden = vm->stats.shadow_hidden_faults, recycles = vm->stats.shadow_view_recycles;
    load_cr3(4);                                        /* takes space 0's view */
    cr_assert_eq(vm->stats.shadow_view_recycles, recycles + 1);
    assert_prot(kv(X), NONE, "the region whose directory entry differs");
    assert_prot(kv(0xC0000000u), RW, "the shared region is kept");
    cr_assert_eq(*(uint32_t *)kv(0xC0000000u), 0x5EA4ED);
    cr_assert_eq(vm->stats.shadow_hidden_faults, hidden);
    cr_assert(phys32(PD(4))[768] & A, "the kept region's directory entry is accessed");
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(*(uint32_t *)kv(X), 0xF0000004u);
    /* Changing the shared entry in the new directory drops the region at
     * the next flush (here INVLPG of another page, which also flushes the
     * processor's directory-entry caches). */
    phys32(PD(4))[768] = 0;
    shadow_invlpg(vm, X);
    assert_prot(kv(0xC0000000u), NONE, "after the new directory's entry changed");
}

/* ---- user views of several address spaces ------------------------------------ */

/* Each cached address space remembers its user view: the pages it faulted
 * in during its last two time slices are mapped back at the switch; an
 * older one comes back when touched, without a walk of the guest's tables. */
/* Page-table isolation: the kernel switches to its own CR3 at every entry
 * and back before returning to ring 3.  The user view stays in the host
 * across such a round trip: no page goes aside, none is remapped. */
Test(shadow, kernel_only_cr3_round_trip_keeps_the_user_view)
{
    space(0, NULL, 0);
    space(1, NULL, 0);
    paging_on(0, 0);
    uint32_t pa, err;
    cr_assert_eq(shadow_user_fault(vm, X, true, &pa, &err), SHADOW_FIXED);
    uint64_t remaps = vm->stats.shadow_user_remaps;
    for (int k = 0; k < 3; k++) {
        load_cr3_kernel_only(1);            /* the kernel's own tables */
        assert_prot(uv(X), RW, "ring 3 has not run: space 0's user page stays");
        if (k == 0)                         /* later: the cached view has it */
            cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
        cr_assert_eq(*(uint32_t *)kv(X), 0xF0000001u, "the kernel view is space 1's");
        load_cr3(0);                        /* back, and ring 3 runs */
        assert_prot(uv(X), RW, "space 0's user page");
    }
    cr_assert_eq(vm->stats.shadow_user_remaps, remaps, "nothing remapped");
    load_cr3(1);                            /* ring 3 runs in space 1: now it switches */
    assert_prot(uv(X), NONE, "space 1's user view starts empty");
}

Test(shadow, user_views_come_back_after_a_switch)
{
    space(0, NULL, 0);
    space(1, NULL, 0);
    paging_on(0, 0);
    uint32_t pa, err;
    cr_assert_eq(shadow_user_fault(vm, X, false, &pa, &err), SHADOW_FIXED);
    cr_assert_eq(*(uint32_t *)uv(X), 0xF0000000u);
    load_cr3(1);
    assert_prot(uv(X), NONE, "space 1's user view starts empty");
    cr_assert_eq(shadow_user_fault(vm, X, true, &pa, &err), SHADOW_FIXED);
    cr_assert_eq(*(uint32_t *)uv(X), 0xF0000001u);
    uint64_t hidden = vm->stats.shadow_hidden_faults, remaps = vm->stats.shadow_user_remaps;
    load_cr3(0);
    assert_prot(uv(X), RO, "space 0's page is back at the switch, read-only as it was");
    cr_assert_eq(*(uint32_t *)uv(X), 0xF0000000u);
    load_cr3(1);
    assert_prot(uv(X), RW, "and space 1's, writable");
    cr_assert_eq(*(uint32_t *)uv(X), 0xF0000001u);
    load_cr3(0);
    assert_prot(uv(X), RO, "still hot on the second switch");
    load_cr3(1);
    load_cr3(0);
    assert_prot(uv(X), NONE, "not faulted in for two slices: left aside");
    cr_assert_eq(shadow_user_fault(vm, X, false, &pa, &err), SHADOW_FIXED);
    assert_prot(uv(X), RO, "back when touched");
    cr_assert_eq(*(uint32_t *)uv(X), 0xF0000000u);
    cr_assert_eq(vm->stats.shadow_hidden_faults, hidden, "no walk at any switch");
    cr_assert_eq(vm->stats.shadow_user_remaps, remaps + 5);
}

/* A remembered user page whose entry changes while its address space is
 * aside is forgotten, without touching the running space's page at the
 * same host address. */
Test(shadow, user_view_aside_stays_exact)
{
    space(0, NULL, 0);
    space(1, NULL, 0);
    *phys32(F(2)) = 0xF0000002u;
    paging_on(0, 0);
    uint32_t pa, err;
    cr_assert_eq(shadow_user_fault(vm, X, false, &pa, &err), SHADOW_FIXED);
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);      /* view 0 walks PT(0) */
    load_cr3(1);
    cr_assert_eq(shadow_user_fault(vm, X, false, &pa, &err), SHADOW_FIXED);
    phys32(PT(0))[0] = F(2) | P | W | U;
    shadow_pt_written(vm, PT(0), 4);
    assert_prot(uv(X), RO, "space 1's page at the same address is untouched");
    cr_assert_eq(*(uint32_t *)uv(X), 0xF0000001u);
    load_cr3(0);
    assert_prot(uv(X), NONE, "space 0's changed entry was forgotten");
    cr_assert_eq(shadow_user_fault(vm, X, false, &pa, &err), SHADOW_FIXED);
    cr_assert_eq(*(uint32_t *)uv(X), 0xF0000002u);
}

/* A guest #PF taken in ring 3: before the retry the page is mapped if the
 * guest's handler made it present, and nothing happens if it did not. */
Test(shadow, user_prefault_after_a_guest_page_fault)
{
    space(0, NULL, 0);
    phys32(PT(0))[1] = 0;                               /* X + 4 KiB not present */
    paging_on(0, 0);
    uint32_t pa, err;
    cr_assert_eq(shadow_user_fault(vm, X + 0x1000, false, &pa, &err), SHADOW_GUEST_PF);
    uint64_t pre = vm->stats.shadow_prefaults;
    shadow_user_prefault(vm, X + 0x1000);               /* the handler did nothing */
    assert_prot(uv(X + 0x1000), NONE, "still not present: nothing mapped");
    cr_assert_eq(phys32(PT(0))[1], 0, "no bit set in a not-present entry");
    phys32(PT(0))[1] = F(1) | P | W | U | D;            /* demand paging, dirty */
    shadow_user_prefault(vm, X + 0x1000);
    assert_prot(uv(X + 0x1000), RW, "mapped before the retry (writable: already dirty)");
    cr_assert_eq(vm->stats.shadow_prefaults, pre + 1);
    cr_assert(phys32(PT(0))[1] & A, "accessed, as the retry's walk would set it");
}

/* Fault-around: a user fault at X also maps the following pages whose
 * entries are present, user and accessed (dirty too, for a writable run)
 * and whose frames continue F(0), in one mapping; it stops at the first
 * page that does not qualify and sets no bit anywhere. */
Test(shadow, user_fault_maps_contiguous_accessed_neighbours)
{
    space(0, NULL, 0);
    phys32(PT(0))[0] = F(0) | P | W | U | A | D;
    phys32(PT(0))[1] = F(1) | P | W | U | A | D;        /* joins the run */
    phys32(PT(0))[2] = F(2) | P | W | U | A | D;        /* joins the run */
    phys32(PT(0))[3] = F(3) | P | W | U;                /* not accessed: stops it */
    phys32(PT(0))[4] = F(4) | P | W | U | A | D;        /* past the stop */
    phys32(PT(0))[5] = 0;
    *phys32(F(2)) = 0x22222222u;
    paging_on(0, 0);
    uint32_t pa, err;
    uint64_t around = vm->stats.shadow_mapped_around;
    cr_assert_eq(shadow_user_fault(vm, X, true, &pa, &err), SHADOW_FIXED);
    assert_prot(uv(X), RW, "the faulting page");
    assert_prot(uv(X + 0x1000), RW, "accessed, dirty neighbour: writable in the same run");
    assert_prot(uv(X + 0x2000), RW, "and the next");
    cr_assert_eq(*(uint32_t *)uv(X + 0x2000), 0x22222222u, "the right frame");
    assert_prot(uv(X + 0x3000), NONE, "not accessed: left to fault (the walk sets A)");
    assert_prot(uv(X + 0x4000), NONE, "the run ends at the first page that does not qualify");
    cr_assert_eq(phys32(PT(0))[3], F(3) | P | W | U, "no bit set in a neighbour");
    cr_assert_eq(vm->stats.shadow_mapped_around, around + 2);
    /* The neighbours' entries are traced like the walked one: a store to
     * one drops its page and only its page. */
    phys32(PT(0))[1] = F(5) | P | W | U | A;
    shadow_pt_written(vm, PT(0) + 4, 4);
    assert_prot(uv(X + 0x1000), NONE, "the changed entry's page is dropped");
    assert_prot(uv(X + 0x2000), RW, "its unchanged neighbour stays");
    assert_prot(uv(X), RW, "and the page that faulted");
}

/* A read-only run: neighbours that are not dirty join a read fault's run
 * read-only; frames that do not continue the faulting one do not join. */
Test(shadow, user_fault_around_needs_following_frames)
{
    space(0, NULL, 0);
    phys32(PT(0))[0] = F(0) | P | W | U | A;
    phys32(PT(0))[1] = F(1) | P | W | U | A;            /* clean: read-only run */
    phys32(PT(0))[2] = F(7) | P | W | U | A;            /* another frame: stops it */
    paging_on(0, 0);
    uint32_t pa, err;
    cr_assert_eq(shadow_user_fault(vm, X, false, &pa, &err), SHADOW_FIXED);
    assert_prot(uv(X), RO, "read of a clean page");
    assert_prot(uv(X + 0x1000), RO, "clean neighbour: read-only, so its first write sets D");
    assert_prot(uv(X + 0x2000), NONE, "frame F(7) does not follow F(1)");
    cr_assert_eq(shadow_user_fault(vm, X + 0x1000, true, &pa, &err), SHADOW_FIXED);
    cr_assert_eq(phys32(PT(0))[1] & D, D, "the write to the neighbour set its dirty bit");
    assert_prot(uv(X + 0x1000), RW, "and made it writable");
}

/* A remembered page touched after a switch comes back with its remembered
 * neighbours when one mapping can carry them. */
Test(shadow, user_page_comes_back_with_its_neighbours)
{
    space(0, NULL, 0);
    space(1, NULL, 0);
    for (int k = 0; k < 3; k++)
        phys32(PT(0))[k] = F(k) | P | U;                 /* read-only, not accessed yet */
    paging_on(0, 0);
    uint32_t pa, err;
    for (int k = 0; k < 3; k++)
        cr_assert_eq(shadow_user_fault(vm, X + k * 0x1000u, false, &pa, &err), SHADOW_FIXED);
    for (int n = 0; n < 3; n++) {                        /* cool them down: aside */
        load_cr3(1);
        load_cr3(0);
    }
    for (int k = 0; k < 3; k++)
        assert_prot(uv(X + k * 0x1000u), NONE, "aside after slices without a touch");
    uint64_t hidden = vm->stats.shadow_hidden_faults, remaps = vm->stats.shadow_user_remaps;
    cr_assert_eq(shadow_user_fault(vm, X + 0x1000, false, &pa, &err), SHADOW_FIXED);
    for (int k = 0; k < 3; k++)
        assert_prot(uv(X + k * 0x1000u), RO, "the whole remembered run is back");
    cr_assert_eq(vm->stats.shadow_hidden_faults, hidden, "without a walk");
    cr_assert_eq(vm->stats.shadow_user_remaps, remaps + 3);
}

/* At a switch, a page the incoming space maps exactly as the outgoing one
 * (same address, frame and protection: two processes running the same
 * program text) stays in the host; the others are unmapped. */
Test(shadow, page_mapped_alike_stays_across_a_switch)
{
    space(0, NULL, 0);
    space(1, NULL, 0);
    *phys32(F(8)) = 0x88888888u;
    for (int i = 0; i < 2; i++)
        phys32(PT(i))[1] = F(8) | P | U;                /* shared, read-only */
    paging_on(0, 0);
    uint32_t pa, err;
    cr_assert_eq(shadow_user_fault(vm, X + 0x1000, false, &pa, &err), SHADOW_FIXED);
    cr_assert_eq(shadow_user_fault(vm, X, true, &pa, &err), SHADOW_FIXED);
    load_cr3(1);
    assert_prot(uv(X + 0x1000), NONE, "space 1 has not mapped the shared page yet");
    assert_prot(uv(X), NONE, "space 0's own page is gone");
    cr_assert_eq(shadow_user_fault(vm, X + 0x1000, false, &pa, &err), SHADOW_FIXED);
    cr_assert_eq(shadow_user_fault(vm, X, false, &pa, &err), SHADOW_FIXED);
    uint64_t remaps = vm->stats.shadow_user_remaps, kept = vm->stats.shadow_user_kept;
    load_cr3(0);
    assert_prot(uv(X + 0x1000), RO, "the shared page stayed");
    cr_assert_eq(vm->stats.shadow_user_kept, kept + 1, "counted as kept");
    cr_assert_eq(*(uint32_t *)uv(X + 0x1000), 0x88888888u);
    assert_prot(uv(X), RW, "space 0's own page came back, writable as it was");
    cr_assert_eq(*(uint32_t *)uv(X), 0xF0000000u, "space 0's frame, not space 1's");
    cr_assert_eq(vm->stats.shadow_user_remaps, remaps + 1, "only the own page was mapped again");
    load_cr3(1);
    cr_assert_eq(*(uint32_t *)uv(X), 0xF0000001u, "and space 1's own page on the way back");
    assert_prot(uv(X), RO, "read-only in space 1, as it was mapped there");
}

/* ---- INVLPG and reset -------------------------------------------------------- */

Test(shadow, invlpg_drops_one_page)
{
    space(0, NULL, 0);
    phys32(PT(0))[1] = F(1) | P | W | U;
    paging_on(0, 0);
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(kfault(X + 0x1000, false, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(shadow_user_fault(vm, X, false, &(uint32_t){ 0 }, &(uint32_t){ 0 }), SHADOW_FIXED);
    uint64_t n = vm->stats.shadow_invlpg;
    shadow_invlpg(vm, X + 0x123);
    cr_assert_eq(vm->stats.shadow_invlpg, n + 1);
    assert_prot(kv(X), NONE, "the invalidated page");
    assert_prot(uv(X), NONE, "the invalidated page in the user view");
    assert_prot(kv(X + 0x1000), RO, "its neighbour");
}

Test(shadow, invlpg_drops_a_4mib_page)
{
    space(0, NULL, 0);
    phys32(PD(0))[512] = BIG | P | W | PS;
    *phys32(BIG + 0x3FF000) = 0xB16B16u;
    paging_on(0, CR4_PSE);
    uint32_t pa = 0;
    cr_assert_eq(kfault(X_BIG, false, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(pa, BIG);
    cr_assert_eq(kfault(X_BIG + 0x3FF004, true, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(pa, BIG + 0x3FF004);
    cr_assert_eq(*(uint32_t *)kv(X_BIG + 0x3FF000), 0xB16B16u);
    cr_assert_eq(phys32(PD(0))[512], BIG | P | W | PS | A | D, "D in the 4 MiB PDE: 0x%x",
                 phys32(PD(0))[512]);
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    shadow_invlpg(vm, X_BIG + 0x1000);
    assert_prot(kv(X_BIG), NONE, "first 4 KiB of the 4 MiB page");
    assert_prot(kv(X_BIG + 0x3FF000), NONE, "last 4 KiB of the 4 MiB page");
    assert_prot(kv(X), RO, "another 4 MiB region");
}

/* Fault-around in a 4 MiB page: the 4 KiB pieces next to the faulting one
 * come with it (16 in all), read-only until the page is dirty, writable
 * once it is, never a piece the shadow write-protects. */
Test(shadow, kernel_fault_around_in_a_4mib_page)
{
    space(0, NULL, 0);
    phys32(PD(0))[512] = BIG | P | W | PS;
    *phys32(BIG + 0x9000) = 0x99999999u;
    paging_on(0, CR4_PSE);
    uint64_t around = vm->stats.shadow_mapped_around;
    cr_assert_eq(kfault(X_BIG + 0x8000, false, NULL, NULL), SHADOW_FIXED);
    assert_prot(kv(X_BIG + 0x8000), RO, "the faulting piece: read, the page is clean");
    assert_prot(kv(X_BIG + 0x9000), RO, "its neighbour came along, read-only too");
    cr_assert_eq(*(uint32_t *)kv(X_BIG + 0x9000), 0x99999999u, "the right frame");
    assert_prot(kv(X_BIG + 0x17000), RO, "the 16th piece");
    assert_prot(kv(X_BIG + 0x18000), NONE, "16 pieces at most");
    cr_assert_eq(vm->stats.shadow_mapped_around, around + 15);
    cr_assert_eq(phys32(PD(0))[512], BIG | P | W | PS | A, "A only: no write yet");
    /* The first write dirties the 4 MiB page; then a fault maps writable
     * pieces, but not a page-table page inside it. */
    cr_assert_eq(kfault(X_BIG + 0x8000, true, NULL, NULL), SHADOW_FIXED);
    cr_assert_eq(phys32(PD(0))[512], BIG | P | W | PS | A | D);
    phys32(PD(0))[513] = (BIG + 0x21000) | P | W;       /* a table inside the big page */
    phys32(BIG + 0x21000)[0] = F(1) | P | W;
    cr_assert_eq(kfault(X_BIG + 0x400000, false, NULL, NULL), SHADOW_FIXED, "walked: now traced");
    cr_assert_eq(kfault(X_BIG + 0x20000, true, NULL, NULL), SHADOW_FIXED);
    assert_prot(kv(X_BIG + 0x20000), RW, "dirty page: written piece writable");
    assert_prot(kv(X_BIG + 0x1F000), RW, "and its neighbours");
    assert_prot(kv(X_BIG + 0x21000), NONE, "the traced table is left out of a writable run");
}

Test(shadow, reset_drops_everything)
{
    const uint32_t alias[] = { PT(0) };
    space(0, alias, 1);
    space(1, NULL, 0);
    paging_on(1, 0);
    uint64_t kv1 = vm->cpu.bt.kview;
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    load_cr3(0);
    uint64_t kv0 = vm->cpu.bt.kview;
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);     /* PT(0) becomes a table */
    cr_assert_eq(shadow_user_fault(vm, X, false, &(uint32_t){ 0 }, &(uint32_t){ 0 }), SHADOW_FIXED);
    cr_assert_eq(kfault(ALIAS, false, NULL, NULL), SHADOW_FIXED);
    assert_prot(kv(ALIAS), RO, "PT(0) is traced");

    uint64_t flushes = vm->stats.shadow_flushes;
    shadow_reset(vm);                       /* e.g. CR4.PGE toggled */
    cr_assert_gt(vm->stats.shadow_flushes, flushes, "a reset counts as a flush");
    cr_assert(probe((uint8_t *)(uintptr_t)kv0 + X) == NONE, "view of space 0 emptied");
    cr_assert(probe((uint8_t *)(uintptr_t)kv1 + X) == NONE, "view of space 1 emptied");
    assert_prot(uv(X), NONE, "user view emptied");
    /* Traced pages are forgotten: no mapping depends on PT(0) now, so the
     * guest may write it freely until a walk goes through it again. */
    uint32_t pa = 0;
    cr_assert_eq(kfault(ALIAS + 8, true, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(pa, PT(0) + 8);
    assert_prot(kv(ALIAS), RW, "PT(0) after the reset, before any walk through it");
    cr_assert_eq(kfault(X, false, NULL, NULL), SHADOW_FIXED);
    assert_prot(kv(ALIAS), RO, "PT(0) traced again after a walk through it");
    uint64_t traced = vm->stats.shadow_trace_faults;
    cr_assert_eq(kfault(ALIAS + 8, true, &pa, NULL), SHADOW_FIXED);
    cr_assert_eq(vm->stats.shadow_trace_faults, traced + 1);
    /* Nothing is a hit after a reset. */
    uint64_t hits = vm->stats.shadow_view_hits;
    load_cr3(1);
    cr_assert_eq(vm->stats.shadow_view_hits, hits);
}

/* ---- code pages --------------------------------------------------------------- */

Test(shadow, code_page_protection)
{
    space(0, NULL, 0);
    phys32(PT(0))[1] = F(0) | P | W;            /* a second alias of F(0) */
    paging_on(0, 0);
    cr_assert_eq(kfault(X, true, NULL, NULL), SHADOW_FIXED);
    assert_prot(kv(X), RW, "before F(0) holds code");

    shadow_code_page(vm, F(0), true);
    assert_prot(kv(X), RO, "every alias of a code page is read-only");
    uint32_t pa = 0;
    cr_assert_eq(kfault(X + 0x44, true, &pa, NULL), SHADOW_SMC);
    cr_assert_eq(pa, F(0) + 0x44);
    cr_assert_eq(kfault(X + 0x1044, true, &pa, NULL), SHADOW_SMC, "the other alias too");
    cr_assert_eq(kfault(X + 0x1044, false, &pa, NULL), SHADOW_FIXED, "reads are fine");
    assert_prot(kv(X + 0x1000), RO, "a new alias of a code page");

    shadow_code_page(vm, F(0), false);
    cr_assert_eq(kfault(X + 0x44, true, &pa, NULL), SHADOW_FIXED);
    assert_prot(kv(X), RW, "writable again once the translations are gone");
}

Test(shadow, code_page_with_paging_off)
{
    assert_prot(kv(0x5000), RW, "identity map");
    shadow_code_page(vm, 0x5000, true);
    assert_prot(kv(0x5000), RO, "code page, paging off");
    assert_prot(kv(0x6000), RW, "its neighbour");
    uint32_t pa = 0, err;
    cr_assert_eq(shadow_fault(vm, 0x5010, true, &pa, &err), SHADOW_SMC);
    cr_assert_eq(pa, 0x5010);
    shadow_code_page(vm, 0x5000, false);
    assert_prot(kv(0x5000), RW, "unprotected");
    /* A code page stays protected across paging on and off. */
    shadow_code_page(vm, F(0), true);
    space(0, NULL, 0);
    paging_on(0, 0);
    cr_assert_eq(kfault(X, true, &pa, NULL), SHADOW_SMC);
    vm->cpu.cr0 &= ~CR0_PG;
    shadow_reset(vm);
    assert_prot(kv(F(0)), RO, "code page after paging off");
    assert_prot(kv(F(1)), RW, "data page after paging off");
}
