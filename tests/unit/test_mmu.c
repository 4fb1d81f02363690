/*
 * tests/unit/test_mmu.c - the guest page-table walker (shadow_mmu/mmu.c)
 * against the rules of Intel SDM vol. 3A chapter 4 (32-bit paging):
 * 4 KiB and 4 MiB pages (4.3), access rights with and without CR0.WP (4.6),
 * accessed and dirty bits (4.8), #PF error codes and CR2 (4.7), and the
 * monitor's own copies (page-crossing accesses that fault change nothing,
 * non-RAM reads all ones).
 *
 * Each test builds a 16 MiB VM (no devices, no vm_run) and writes the guest's
 * page tables straight into guest RAM.  Guest-physical layout:
 *   0x10000 page directory        0x11000 page table for linear 0x40000000
 *   0x20000 frame A               0x30000 frame B (not adjacent to A)
 *   0x400000 a 4 MiB frame (PSE) / with CR4.PSE=0 the same PDE names a
 *            page table at 0x400000
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "monitor/vm.h"
#include "monitor/run.h"
#include "shadow_mmu/mmu.h"

#define PD       0x10000u
#define PT       0x11000u
#define FRAME_A  0x20000u
#define FRAME_B  0x30000u
#define BIG      0x400000u

#define LIN      0x40000000u        /* PD index 256, mapped through PT */
#define LIN_BIG  0x80000000u        /* PD index 512, a 4 MiB page */
#define NOT_RAM  0x08000000u        /* 128 MiB: above the 16 MiB of RAM */

#define P  0x001u
#define W  0x002u
#define U  0x004u
#define A  0x020u
#define D  0x040u
#define PS 0x080u

static struct vm *vm;
static struct vcpu *c;

static void setup(void)
{
    char err[256] = "";
    vm = vm_alloc();
    cr_assert_not_null(vm);
    vm->opt.mem_mib = 16;
    vm->opt.no_sandbox = true;
    cr_assert_eq(vm_create(vm, err, sizeof err), 0, "vm_create: %s", err);
    c = &vm->cpu;
    c->cr0 = CR0_PE | CR0_ET | CR0_PG;
    c->cr3 = PD;
    c->cr4 = 0;
}

static void teardown(void)
{
    vm_destroy(vm);
    free(vm);
}

TestSuite(mmu, .init = setup, .fini = teardown);

static uint32_t *phys32(uint32_t pa)
{
    return (uint32_t *)(vm->mem.ram + pa);
}

static uint32_t *pde(uint32_t lin) { return phys32(PD + (lin >> 22) * 4); }
static uint32_t *pte(uint32_t lin) { return phys32(PT + ((lin >> 12) & 1023) * 4); }

/* ---- translation ------------------------------------------------------ */

Test(mmu, paging_off_is_identity)
{
    c->cr0 &= ~CR0_PG;
    uint32_t pa = 0;
    cr_assert_eq(mmu_translate(c, 0x123456, ACC_WRITE | ACC_USER, &pa, NULL), MMU_OK);
    cr_assert_eq(pa, 0x123456);
    cr_assert_eq(mmu_translate(c, NOT_RAM + 8, ACC_READ, &pa, NULL), MMU_NOT_RAM);
    cr_assert_eq(pa, NOT_RAM + 8);
}

Test(mmu, four_kib_page)
{
    *pde(LIN) = PT | P | W;
    *pte(LIN + 0x3000) = FRAME_B | P | W;
    uint32_t pa = 0;
    struct mmu_fault f = { 0 };
    cr_assert_eq(mmu_translate(c, LIN + 0x3ABC, ACC_READ, &pa, &f), MMU_OK);
    cr_assert_eq(pa, FRAME_B + 0xABC, "pa 0x%x", pa);
    /* The neighbouring entry is empty: not present. */
    cr_assert_eq(mmu_translate(c, LIN + 0x4000, ACC_READ, &pa, &f), MMU_PAGE_FAULT);
}

Test(mmu, four_mib_page_with_pse)
{
    c->cr4 = CR4_PSE;
    *pde(LIN_BIG) = BIG | P | W | PS;
    uint32_t pa = 0;
    cr_assert_eq(mmu_translate(c, LIN_BIG + 0x3A5123, ACC_READ, &pa, NULL), MMU_OK);
    cr_assert_eq(pa, BIG + 0x3A5123, "pa 0x%x", pa);
    cr_assert_eq(mmu_translate(c, LIN_BIG + 0x3FFFFF, ACC_WRITE, &pa, NULL), MMU_OK);
    cr_assert_eq(pa, BIG + 0x3FFFFF);
}

/* With CR4.PSE = 0 the PS bit of a PDE is ignored (SDM Table 4-5): the
 * entry names a page table like any other. */
Test(mmu, ps_bit_ignored_without_cr4_pse)
{
    *pde(LIN_BIG) = BIG | P | W | PS;
    *phys32(BIG + 5 * 4) = FRAME_A | P | W;     /* entry 5 of "the table" at 0x400000 */
    uint32_t pa = 0;
    cr_assert_eq(mmu_translate(c, LIN_BIG + 0x5123, ACC_READ, &pa, NULL), MMU_OK);
    cr_assert_eq(pa, FRAME_A + 0x123, "PSE off: pa 0x%x, want 0x%x", pa, FRAME_A + 0x123);
    cr_assert_eq(*phys32(BIG + 5 * 4), FRAME_A | P | W | A, "A set in the PTE at 0x400014");
    /* Entry 6 is zero: not present, although a 4 MiB page would cover it. */
    struct mmu_fault f = { 0 };
    cr_assert_eq(mmu_translate(c, LIN_BIG + 0x6000, ACC_READ, &pa, &f), MMU_PAGE_FAULT);
    cr_assert_eq(f.error, 0);
    /* The same tables with CR4.PSE = 1: one 4 MiB page. */
    c->cr4 = CR4_PSE;
    cr_assert_eq(mmu_translate(c, LIN_BIG + 0x5123, ACC_READ, &pa, NULL), MMU_OK);
    cr_assert_eq(pa, BIG + 0x5123);
}

/* ---- access rights (SDM 4.6) --------------------------------------------- */

/* The rule, written independently of the walker: user accesses need U at
 * every level and, for writes, W at every level; supervisor reads always
 * succeed; supervisor writes need W at every level only when CR0.WP = 1. */
static bool allowed(uint32_t rights, bool user, bool write, bool wp)
{
    if (user)
        return (rights & U) && (!write || (rights & W));
    return !write || !wp || (rights & W);
}

static void check_rights(bool big)
{
    for (unsigned combo = 0; combo < 128; combo++) {
        uint32_t pde_r = ((combo & 1) ? W : 0) | ((combo & 2) ? U : 0);
        uint32_t pte_r = ((combo & 4) ? W : 0) | ((combo & 8) ? U : 0);
        bool user = combo & 16, write = combo & 32, wp = combo & 64;
        if (big && (combo & 12))
            continue;                       /* no PTE level for a 4 MiB page */
        c->cr0 = (c->cr0 & ~CR0_WP) | (wp ? CR0_WP : 0);
        uint32_t lin = big ? LIN_BIG + 0x12345 : LIN + 0x2345;
        uint32_t rights = big ? pde_r : (pde_r & pte_r);
        if (big) {
            *pde(lin) = BIG | P | PS | pde_r;
        } else {
            *pde(lin) = PT | P | pde_r;
            *pte(lin) = FRAME_A | P | pte_r;
        }
        unsigned acc = (user ? ACC_USER : 0) | (write ? ACC_WRITE : 0);
        uint32_t pa = 0xDEAD;
        struct mmu_fault f = { 0xAAAAAAAA, 0xAAAAAAAA };
        enum mmu_result r = mmu_translate(c, lin, acc, &pa, &f);
        if (allowed(rights, user, write, wp)) {
            cr_assert_eq(r, MMU_OK, "%s: pde %c%c pte %c%c %s %s WP=%d must be allowed",
                         big ? "4M" : "4K", pde_r & U ? 'U' : 'S', pde_r & W ? 'W' : 'R',
                         pte_r & U ? 'U' : 'S', pte_r & W ? 'W' : 'R',
                         user ? "CPL3" : "CPL0", write ? "write" : "read", wp);
            cr_assert_eq(pa, big ? BIG + 0x12345 : FRAME_A + 0x345);
        } else {
            uint32_t want = P | (write ? 2 : 0) | (user ? 4 : 0);
            cr_assert_eq(r, MMU_PAGE_FAULT, "%s: pde %c%c pte %c%c %s %s WP=%d must fault",
                         big ? "4M" : "4K", pde_r & U ? 'U' : 'S', pde_r & W ? 'W' : 'R',
                         pte_r & U ? 'U' : 'S', pte_r & W ? 'W' : 'R',
                         user ? "CPL3" : "CPL0", write ? "write" : "read", wp);
            cr_assert_eq(f.error, want, "combo %u: error 0x%x, want 0x%x", combo, f.error, want);
            cr_assert_eq(f.cr2, lin, "combo %u: cr2 0x%x", combo, f.cr2);
        }
    }
}

Test(mmu, rights_4k_pde_and_pte_combined)
{
    check_rights(false);
}

Test(mmu, rights_4m)
{
    c->cr4 = CR4_PSE;
    check_rights(true);
}

/* ---- not present: error codes and CR2 (SDM 4.7) ------------------------- */

Test(mmu, not_present_error_codes)
{
    uint32_t pa;
    struct mmu_fault f;
    static const struct { unsigned acc; uint32_t error; } cases[] = {
        { ACC_READ, 0 }, { ACC_WRITE, 2 }, { ACC_USER, 4 }, { ACC_USER | ACC_WRITE, 6 },
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* Not-present PDE. */
        *pde(LIN) = PT | W | U;
        f = (struct mmu_fault){ 0, 0xFF };
        cr_assert_eq(mmu_translate(c, LIN + 0x1234, cases[i].acc, &pa, &f), MMU_PAGE_FAULT);
        cr_assert_eq(f.error, cases[i].error, "PDE: error 0x%x want 0x%x", f.error, cases[i].error);
        cr_assert_eq(f.cr2, LIN + 0x1234);
        /* Present PDE, not-present PTE (whatever its other bits say). */
        *pde(LIN) = PT | P | W | U;
        *pte(LIN + 0x5000) = FRAME_A | W | U | A | D;
        f = (struct mmu_fault){ 0, 0xFF };
        cr_assert_eq(mmu_translate(c, LIN + 0x5FFF, cases[i].acc, &pa, &f), MMU_PAGE_FAULT);
        cr_assert_eq(f.error, cases[i].error, "PTE: error 0x%x want 0x%x", f.error, cases[i].error);
        cr_assert_eq(f.cr2, LIN + 0x5FFF);
    }
    /* A fault leaves both entries as they were (no A set on a miss). */
    cr_assert_eq(*pde(LIN), PT | P | W | U);
    cr_assert_eq(*pte(LIN + 0x5000), FRAME_A | W | U | A | D);
}

Test(mmu, cr3_low_bits_ignored)
{
    c->cr3 = PD | 0x18;                 /* PWT | PCD: kept, no effect on the walk */
    *pde(LIN) = PT | P | W;
    *pte(LIN) = FRAME_A | P | W;
    uint32_t pa = 0;
    cr_assert_eq(mmu_translate(c, LIN + 4, ACC_READ, &pa, NULL), MMU_OK);
    cr_assert_eq(pa, FRAME_A + 4);
}

/* ---- accessed and dirty bits (SDM 4.8) ----------------------------------- */

Test(mmu, accessed_dirty_4k)
{
    uint32_t pa;
    *pde(LIN) = PT | P | W | U;
    *pte(LIN) = FRAME_A | P | W | U;
    /* A debugger peek sets nothing, for reads or writes. */
    cr_assert_eq(mmu_translate(c, LIN, ACC_WRITE | ACC_NOSET, &pa, NULL), MMU_OK);
    cr_assert_eq(*pde(LIN), PT | P | W | U, "NOSET changed the PDE: 0x%x", *pde(LIN));
    cr_assert_eq(*pte(LIN), FRAME_A | P | W | U, "NOSET changed the PTE: 0x%x", *pte(LIN));
    /* A read: A in both entries, no D anywhere. */
    cr_assert_eq(mmu_translate(c, LIN + 8, ACC_READ, &pa, NULL), MMU_OK);
    cr_assert_eq(*pde(LIN), PT | P | W | U | A, "PDE after read: 0x%x", *pde(LIN));
    cr_assert_eq(*pte(LIN), FRAME_A | P | W | U | A, "PTE after read: 0x%x", *pte(LIN));
    /* A user write: D in the PTE only (bit 6 of a PDE that names a table is
     * ignored and never set by the processor). */
    cr_assert_eq(mmu_translate(c, LIN + 8, ACC_WRITE | ACC_USER, &pa, NULL), MMU_OK);
    cr_assert_eq(*pde(LIN), PT | P | W | U | A, "PDE after write: 0x%x", *pde(LIN));
    cr_assert_eq(*pte(LIN), FRAME_A | P | W | U | A | D, "PTE after write: 0x%x", *pte(LIN));
    /* The guest clears A and D; a read sets A again but not D. */
    *pde(LIN) &= ~A;
    *pte(LIN) &= ~(A | D);
    cr_assert_eq(mmu_translate(c, LIN, ACC_READ | ACC_USER, &pa, NULL), MMU_OK);
    cr_assert_eq(*pte(LIN), FRAME_A | P | W | U | A);
    cr_assert_eq(*pde(LIN), PT | P | W | U | A);
}

Test(mmu, accessed_dirty_4m)
{
    uint32_t pa;
    c->cr4 = CR4_PSE;
    *pde(LIN_BIG) = BIG | P | W | PS;
    cr_assert_eq(mmu_translate(c, LIN_BIG + 0x1000, ACC_READ | ACC_NOSET, &pa, NULL), MMU_OK);
    cr_assert_eq(*pde(LIN_BIG), BIG | P | W | PS);
    cr_assert_eq(mmu_translate(c, LIN_BIG + 0x1000, ACC_READ, &pa, NULL), MMU_OK);
    cr_assert_eq(*pde(LIN_BIG), BIG | P | W | PS | A, "4M PDE after read: 0x%x", *pde(LIN_BIG));
    cr_assert_eq(mmu_translate(c, LIN_BIG + 0x2000, ACC_WRITE, &pa, NULL), MMU_OK);
    cr_assert_eq(*pde(LIN_BIG), BIG | P | W | PS | A | D, "4M PDE after write: 0x%x", *pde(LIN_BIG));
}

/* ACC_DIRTY: "would a write change nothing?" -- allowed and already dirty,
 * at either level, without setting anything. */
Test(mmu, dirty_probe)
{
    uint32_t pa;
    const unsigned probe = ACC_WRITE | ACC_NOSET | ACC_DIRTY;
    *pde(LIN) = PT | P | W | U;
    *pte(LIN) = FRAME_A | P | W | U | A;
    cr_assert_eq(mmu_translate(c, LIN, probe, &pa, NULL), MMU_PAGE_FAULT, "clean");
    *pte(LIN) |= D;
    cr_assert_eq(mmu_translate(c, LIN, probe, &pa, NULL), MMU_OK, "dirty and writable");
    cr_assert_eq(pa, FRAME_A);
    *pte(LIN) &= ~W;
    c->cr0 |= CR0_WP;
    cr_assert_eq(mmu_translate(c, LIN, probe, &pa, NULL), MMU_PAGE_FAULT, "dirty, read-only, WP");
    cr_assert_eq(*pte(LIN), FRAME_A | P | U | A | D, "the probe set nothing");
    c->cr4 = CR4_PSE;
    *pde(LIN_BIG) = BIG | P | W | PS | A;
    cr_assert_eq(mmu_translate(c, LIN_BIG, probe, &pa, NULL), MMU_PAGE_FAULT, "clean 4 MiB page");
    *pde(LIN_BIG) |= D;
    cr_assert_eq(mmu_translate(c, LIN_BIG, probe, &pa, NULL), MMU_OK, "dirty 4 MiB page");
}

Test(mmu, copies_set_accessed_and_dirty)
{
    *pde(LIN) = PT | P | W;
    *pte(LIN) = FRAME_A | P | W;
    uint32_t v = 0x11223344, got = 0;
    struct mmu_fault f;
    cr_assert_eq(mmu_read(c, LIN + 0x10, &got, 4, ACC_READ, &f), MMU_OK);
    cr_assert_eq(*pte(LIN), FRAME_A | P | W | A);
    cr_assert_eq(mmu_write(c, LIN + 0x10, &v, 4, ACC_READ, &f), MMU_OK);
    cr_assert_eq(*pte(LIN), FRAME_A | P | W | A | D);
    cr_assert_eq(*phys32(FRAME_A + 0x10), 0x11223344);
    /* mmu_read never sets D, even when asked with ACC_WRITE. */
    *pte(LIN) = FRAME_A | P | W;
    cr_assert_eq(mmu_read(c, LIN + 0x10, &got, 4, ACC_WRITE, &f), MMU_OK);
    cr_assert_eq(got, 0x11223344);
    cr_assert_eq(*pte(LIN), FRAME_A | P | W | A);
}

/* ---- page-crossing copies -------------------------------------------------- */

static void cross_setup(void)
{
    *pde(LIN) = PT | P | W | U;
    *pte(LIN) = FRAME_A | P | W | U;
    memcpy(vm->mem.ram + FRAME_A + 0xFFC, "abcd", 4);
    memcpy(vm->mem.ram + FRAME_B, "EFGH", 4);
}

Test(mmu, crossing_read_and_write_both_pages)
{
    cross_setup();
    *pte(LIN + 0x1000) = FRAME_B | P | W | U;
    char buf[8] = { 0 };
    struct mmu_fault f;
    cr_assert_eq(mmu_read(c, LIN + 0xFFE, buf, 4, ACC_USER, &f), MMU_OK);
    cr_assert_arr_eq(buf, "cdEF", 4, "read across the boundary: %.4s", buf);
    cr_assert_eq(*pte(LIN) & (A | D), A);
    cr_assert_eq(*pte(LIN + 0x1000) & (A | D), A);
    cr_assert_eq(mmu_write(c, LIN + 0xFFE, "wxyz", 4, ACC_USER, &f), MMU_OK);
    cr_assert_arr_eq(vm->mem.ram + FRAME_A + 0xFFC, "abwx", 4);
    cr_assert_arr_eq(vm->mem.ram + FRAME_B, "yzGH", 4);
    cr_assert_eq(*pte(LIN) & (A | D), A | D);
    cr_assert_eq(*pte(LIN + 0x1000) & (A | D), A | D);
}

/* One case of a copy whose second page faults: nothing may change, neither
 * the buffer, nor memory, nor A/D in the first page's entries. */
static void crossing_fault(uint32_t pte2, bool write, unsigned acc, uint32_t want_error)
{
    cross_setup();
    *pte(LIN + 0x1000) = pte2;
    uint32_t pde0 = *pde(LIN);
    *pde(LIN) = pde0 & ~A;
    char buf[4] = { '1', '2', '3', '4' };
    struct mmu_fault f = { 0, 0xFF };
    enum mmu_result r = write ? mmu_write(c, LIN + 0xFFE, buf, 4, acc, &f)
                              : mmu_read(c, LIN + 0xFFE, buf, 4, acc, &f);
    cr_assert_eq(r, MMU_PAGE_FAULT, "pte2 0x%x %s: result %d", pte2, write ? "write" : "read", r);
    cr_assert_eq(f.cr2, LIN + 0x1000, "CR2 is the first byte of the faulting page: 0x%x", f.cr2);
    cr_assert_eq(f.error, want_error, "pte2 0x%x: error 0x%x, want 0x%x", pte2, f.error, want_error);
    cr_assert_arr_eq(buf, "1234", 4, "the buffer changed: %.4s", buf);
    cr_assert_arr_eq(vm->mem.ram + FRAME_A + 0xFFC, "abcd", 4, "first page changed");
    cr_assert_arr_eq(vm->mem.ram + FRAME_B, "EFGH", 4, "second page changed");
    cr_assert_eq(*pte(LIN), FRAME_A | P | W | U, "first PTE changed: 0x%x", *pte(LIN));
    cr_assert_eq(*pde(LIN), pde0 & ~A, "PDE changed: 0x%x", *pde(LIN));
    cr_assert_eq(*pte(LIN + 0x1000), pte2, "second PTE changed: 0x%x", *pte(LIN + 0x1000));
}

Test(mmu, crossing_fault_changes_nothing)
{
    c->cr0 |= CR0_WP;
    crossing_fault(0, false, ACC_READ, 0);
    crossing_fault(0, true, ACC_READ, PFERR_W);
    crossing_fault(FRAME_B | W | U, true, ACC_USER, PFERR_W | PFERR_U);
    crossing_fault(FRAME_B | P | U, true, ACC_READ, PFERR_P | PFERR_W);         /* read-only, WP */
    crossing_fault(FRAME_B | P | W, false, ACC_USER, PFERR_P | PFERR_U);        /* supervisor page */
    crossing_fault(FRAME_B | P | U, true, ACC_USER, PFERR_P | PFERR_W | PFERR_U);
}

/* ---- non-RAM ------------------------------------------------------------ */

Test(mmu, non_ram_reads_all_ones)
{
    *pde(LIN) = PT | P | W;
    *pte(LIN) = (NOT_RAM + 0x5000) | P | W;
    *pte(LIN + 0x1000) = 0xFEB00000u | P | W;       /* unassigned, below the APICs */
    uint32_t pa = 0;
    cr_assert_eq(mmu_translate(c, LIN + 0x123, ACC_READ, &pa, NULL), MMU_NOT_RAM);
    cr_assert_eq(pa, NOT_RAM + 0x5123);
    static const uint32_t sizes[] = { 1, 2, 4, 16 };
    for (unsigned i = 0; i < 4; i++) {
        uint8_t buf[16];
        memset(buf, 0x5A, sizeof buf);
        struct mmu_fault f;
        cr_assert_eq(mmu_read(c, LIN + 0x40, buf, sizes[i], ACC_READ, &f), MMU_NOT_RAM);
        for (uint32_t j = 0; j < sizes[i]; j++)
            cr_assert_eq(buf[j], 0xFF, "size %u byte %u: 0x%x", sizes[i], j, buf[j]);
        for (uint32_t j = sizes[i]; j < sizeof buf; j++)
            cr_assert_eq(buf[j], 0x5A, "size %u: byte %u beyond the read changed", sizes[i], j);
        memset(buf, 0x5A, sizeof buf);
        cr_assert_eq(mmu_read(c, LIN + 0x1000, buf, sizes[i], ACC_READ, &f), MMU_NOT_RAM);
        cr_assert_eq(buf[0], 0xFF, "unassigned 0xFEB00000 size %u: 0x%x", sizes[i], buf[0]);
    }
    /* A write there is dropped: the next read still gives all ones. */
    uint32_t v = 0x12345678, got = 0;
    cr_assert_eq(mmu_write(c, LIN + 0x40, &v, 4, ACC_READ, NULL), MMU_NOT_RAM);
    cr_assert_eq(mmu_read(c, LIN + 0x40, &got, 4, ACC_READ, NULL), MMU_NOT_RAM);
    cr_assert_eq(got, 0xFFFFFFFFu);
}

Test(mmu, crossing_from_ram_into_non_ram)
{
    *pde(LIN) = PT | P | W;
    *pte(LIN) = FRAME_A | P | W;
    *pte(LIN + 0x1000) = NOT_RAM | P | W;
    memcpy(vm->mem.ram + FRAME_A + 0xFFE, "ab", 2);
    uint8_t buf[4] = { 0 };
    cr_assert_eq(mmu_read(c, LIN + 0xFFE, buf, 4, ACC_READ, NULL), MMU_NOT_RAM);
    cr_assert_eq(buf[0], 'a');
    cr_assert_eq(buf[1], 'b');
    cr_assert_eq(buf[2], 0xFF);
    cr_assert_eq(buf[3], 0xFF);
}

Test(mmu, paging_off_non_ram)
{
    c->cr0 &= ~CR0_PG;
    *phys32(0x5000) = 0xCAFEF00D;
    uint32_t got = 0;
    cr_assert_eq(mmu_read(c, 0x5000, &got, 4, ACC_READ, NULL), MMU_OK);
    cr_assert_eq(got, 0xCAFEF00D);
    cr_assert_eq(mmu_read(c, NOT_RAM, &got, 4, ACC_READ, NULL), MMU_NOT_RAM);
    cr_assert_eq(got, 0xFFFFFFFFu);
    /* The last RAM page and the first byte past it. */
    *phys32((16u << 20) - 4) = 0x44332211;
    uint64_t q = 0;
    cr_assert_eq(mmu_read(c, (16u << 20) - 4, &q, 8, ACC_READ, NULL), MMU_NOT_RAM);
    cr_assert_eq(q, 0xFFFFFFFF44332211ull, "0x%llx", (unsigned long long)q);
}

/* ---- 32-bit format: reserved bits ------------------------------------- */

Test(mmu, big_page_reserved_bits_are_rsvd_fault)
{
    /* Bits 21:13 of a 4 MiB PDE would be physical bits 39:32 with PSE-36,
     * which a 32-bit-MAXPHYADDR model lacks: reserved (SDM 4.3, table 4-4). */
    c->cr4 = CR4_PSE;
    *pde(LIN_BIG) = BIG | P | W | PS | (1u << 13);
    uint32_t pa;
    struct mmu_fault f;
    cr_assert_eq(mmu_translate(c, LIN_BIG, ACC_READ, &pa, &f), MMU_PAGE_FAULT);
    cr_assert_eq(f.error, PFERR_P | PFERR_RSVD, "error %#x", f.error);
}

/* ---- PAE (SDM vol. 3A 4.4) ---------------------------------------------
 * Guest-physical layout:
 *   0x10000 PDPT (4 entries)       0x12000 directory of PDPTE 1 (0x40000000)
 *   0x13000 directory of PDPTE 2   0x11000 page table for linear 0x40000000
 *   0x20000 frame A                0x400000 a 2 MiB frame (LIN_BIG)
 */
#define PDPT     0x10000u
#define PD1      0x12000u
#define PD2      0x13000u
#define XD       (1ull << 63)

static uint64_t *phys64(uint32_t pa)
{
    return (uint64_t *)(vm->mem.ram + pa);
}

static void setup_pae(void)
{
    setup();
    c->cr4 = CR4_PAE;
    c->cr3 = PDPT;
    *phys64(PDPT + 8) = PD1 | P;
    *phys64(PDPT + 16) = PD2 | P;
    cr_assert(mmu_load_pdptes(c, c->cr3));
}

TestSuite(mmu_pae, .init = setup_pae, .fini = teardown);

static uint64_t *pae_pde(uint32_t lin)
{
    return phys64((lin >> 30 == 1 ? PD1 : PD2) + ((lin >> 21) & 511) * 8);
}

static uint64_t *pae_pte(uint32_t lin) { return phys64(PT + ((lin >> 12) & 511) * 8); }

static uint32_t pae_fault(uint32_t lin, unsigned acc)
{
    uint32_t pa;
    struct mmu_fault f = { 0, 0 };
    cr_assert_eq(mmu_translate(c, lin, acc, &pa, &f), MMU_PAGE_FAULT, "no fault at %#x", lin);
    cr_assert_eq(f.cr2, lin);
    return f.error;
}

Test(mmu_pae, four_kib_page_sets_a_and_d_in_the_low_word)
{
    c->efer = EFER_NXE;
    *pae_pde(LIN) = PT | P | W;
    *pae_pte(LIN + 0x1000) = FRAME_A | P | W | XD;
    uint32_t pa = 0;
    cr_assert_eq(mmu_translate(c, LIN + 0x1234, ACC_WRITE, &pa, NULL), MMU_OK);
    cr_assert_eq(pa, FRAME_A + 0x234);
    cr_assert_eq(*pae_pde(LIN), PT | P | W | A);
    cr_assert_eq(*pae_pte(LIN + 0x1000), FRAME_A | P | W | A | D | XD,
                 "pte %#llx", (unsigned long long)*pae_pte(LIN + 0x1000));
}

Test(mmu_pae, two_mib_page)
{
    *pae_pde(LIN_BIG) = BIG | P | W | PS;
    uint32_t pa = 0;
    cr_assert_eq(mmu_translate(c, LIN_BIG + 0x1ABCDE, ACC_READ, &pa, NULL), MMU_OK);
    cr_assert_eq(pa, BIG + 0x1ABCDE);
    cr_assert_eq(*pae_pde(LIN_BIG), BIG | P | W | PS | A);
    /* PS counts without CR4.PSE in PAE paging. */
    cr_assert_eq(c->cr4 & CR4_PSE, 0);
}

Test(mmu_pae, walk_uses_the_loaded_pdptes_not_memory)
{
    *pae_pde(LIN_BIG) = BIG | P | PS;
    *phys64(PDPT + 16) = 0;                 /* changed in memory, not loaded */
    uint32_t pa;
    cr_assert_eq(mmu_translate(c, LIN_BIG, ACC_READ, &pa, NULL), MMU_OK);
    cr_assert(mmu_load_pdptes(c, c->cr3));
    cr_assert_eq(pae_fault(LIN_BIG, ACC_READ), 0, "a not-present PDPTE: P = 0");
}

Test(mmu_pae, pdpte_reserved_bits_refuse_the_load)
{
    uint64_t before[4];
    memcpy(before, c->pdpte, sizeof before);
    *phys64(PDPT + 24) = 0x14000u | P | 0x2;    /* bit 1 is reserved in a PDPTE */
    cr_assert_not(mmu_load_pdptes(c, c->cr3));
    cr_assert_eq(memcmp(before, c->pdpte, sizeof before), 0, "PDPTEs changed");
    *phys64(PDPT + 24) = 0x14000u | 0x2;        /* not present: not checked */
    cr_assert(mmu_load_pdptes(c, c->cr3));
}

Test(mmu_pae, reserved_bits_give_rsvd)
{
    *pae_pde(LIN) = PT | P | W;
    *pae_pte(LIN) = FRAME_A | P | W | (1ull << 40);     /* above MAXPHYADDR = 32 */
    cr_assert_eq(pae_fault(LIN, ACC_READ), PFERR_P | PFERR_RSVD);
    *pae_pte(LIN) = FRAME_A | P | W | XD;               /* XD without EFER.NXE */
    cr_assert_eq(pae_fault(LIN, ACC_WRITE | ACC_USER), PFERR_P | PFERR_RSVD | PFERR_W | PFERR_U);
    *pae_pde(LIN_BIG) = BIG | P | PS | (1u << 13);      /* bits 20:13 of a 2 MiB page */
    cr_assert_eq(pae_fault(LIN_BIG, ACC_READ), PFERR_P | PFERR_RSVD);
    c->efer = EFER_NXE;
    uint32_t pa;
    *pae_pte(LIN) = FRAME_A | P | W | XD;
    cr_assert_eq(mmu_translate(c, LIN, ACC_READ, &pa, NULL), MMU_OK);
}

Test(mmu_pae, nx_faults_fetches_only_with_id)
{
    c->efer = EFER_NXE;
    *pae_pde(LIN) = PT | P | W | U;
    *pae_pte(LIN) = FRAME_A | P | W | U | XD;
    uint32_t pa;
    cr_assert_eq(mmu_translate(c, LIN, ACC_WRITE | ACC_USER, &pa, NULL), MMU_OK);
    cr_assert_eq(pae_fault(LIN, ACC_FETCH), PFERR_P | PFERR_ID);
    cr_assert_eq(pae_fault(LIN, ACC_FETCH | ACC_USER), PFERR_P | PFERR_ID | PFERR_U);
    /* XD in the directory entry disables the whole 2 MiB. */
    *pae_pte(LIN) = FRAME_A | P | W | U;
    cr_assert_eq(mmu_translate(c, LIN, ACC_FETCH, &pa, NULL), MMU_OK);
    *pae_pde(LIN) = PT | P | W | U | XD;
    cr_assert_eq(pae_fault(LIN, ACC_FETCH), PFERR_P | PFERR_ID);
    /* A fetch from a page that is not present reports I/D too. */
    cr_assert_eq(pae_fault(0x40400000u, ACC_FETCH), PFERR_ID);
}

Test(mmu_pae, no_id_bit_without_nxe)
{
    cr_assert_eq(pae_fault(0x40400000u, ACC_FETCH), 0);
}

Test(mmu_pae, format_describes_the_tables)
{
    const struct pg_format *fm = mmu_format(c);
    cr_assert(fm->pae);
    cr_assert_eq(fm->esize, 8);
    cr_assert_eq(fm->dir_shift, 21);
    uint32_t pa;
    uint64_t e;
    *pae_pde(LIN_BIG + (5u << 21)) = BIG | P | PS;
    cr_assert(mmu_dir_entry(c, (LIN_BIG >> 21) + 5, &pa, &e));
    cr_assert_eq(pa, PD2 + 5 * 8);
    cr_assert_eq(e, BIG | P | PS);
    cr_assert(mmu_is_big(c, e));
    cr_assert_not(mmu_dir_entry(c, 0, &pa, &e), "PDPTE 0 is not present");
    c->cr4 = CR4_PSE;
    cr_assert_eq(mmu_format(c)->esize, 4);
}
