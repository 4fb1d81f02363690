/*
 * shadow_mmu/guest_mem.h - guest physical memory and the host views of it.
 *
 * Contract: guest RAM is one memfd of `size` bytes.  The monitor reaches it
 * through `ram` (its own mapping, guest-physical offset = index).  Translated
 * ring-0 code reaches guest *linear* memory through the kernel view: a
 * 4 GiB window at `kview` that mirrors the guest's linear address space (GS
 * base = kview), inside a reservation with guards below and above (below).
 * Pages the guest cannot reach are PROT_NONE there, so every stray access
 * faults into the monitor.  The guards are never mapped: the first 4 GiB
 * above the window catch the rare segment-base wrap-around, the rest the
 * farthest native string instruction.
 *
 * With paging off, linear = physical and the view maps RAM 1:1 (the PC hole
 * at 640 KiB - 1 MiB stays RAM-backed for the VGA text buffer and the BIOS
 * tables the loaders write).  With paging on, shadow_mmu/ builds the view
 * from the guest page tables.
 *
 * Pages that hold translated code are mapped read-only in the view so that a
 * guest write to them faults and the translations are dropped
 * (shadow_mmu/shadow.c, shadow_code_page).
 */
#ifndef SHADOW_MMU_GUEST_MEM_H
#define SHADOW_MMU_GUEST_MEM_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define GUEST_PAGE_SIZE 4096u
/*
 * Guards around every kernel view's 4 GiB window: inaccessible
 * reservations (MAP_NORESERVE, PROT_NONE: address space only), sized for
 * the farthest host address translated code can form from the window's
 * base (docs/security.md, "Guard regions"):
 *  - below: a native REP MOVSD/STOSD (bt/xl_string.c runs them on host
 *    pointers base + ESI/EDI) with DF=1 from EDI = 0 and ECX = 2^32 - 1
 *    goes down 4 x (2^32 - 1) bytes, just under 16 GiB;
 *  - above: the same with DF=0 from EDI = 4 GiB - 1: 16 GiB past the
 *    window's end, and 4 GiB more as margin (segment bases are added
 *    modulo 4 GiB, bt/xl_helpers.c, so no other form leaves the window).
 *    Wider operands (FXSAVE, XSAVE: a few KiB) stay far inside.
 * Nothing of the monitor (heap, translation cache, lookup tables) can
 * therefore lie within reach of a window.
 */
#define KVIEW_GUARD_BELOW (16ull << 30)
#define KVIEW_GUARD_ABOVE (20ull << 30)
#define KVIEW_WINDOW (4ull << 30)
#define KVIEW_SPAN (KVIEW_GUARD_BELOW + KVIEW_WINDOW + KVIEW_GUARD_ABOVE)

/* A kernel view's reservation with its guards; the window's base (guest
 * linear 0), above 4 GiB, or NULL. */
uint8_t *kview_reserve(void);
void kview_release(uint8_t *base);

struct guest_mem {
    int memfd;
    uint64_t size;          /* bytes of guest RAM */
    uint8_t *ram;           /* monitor's mapping of all of RAM */
    uint8_t *kview;         /* kernel view: guest linear 0 */
    uint8_t *code_pages;    /* one byte per RAM page: 1 = holds translated code (write-protected) */
    /* The A20 gate (i8042 output port, port 0x92): all ones, or every bit
     * but 20 while the gate is closed, when a PC's physical address line 20
     * reads as 0 and each odd megabyte shows the even one below it.
     * Applied with paging off (the identity map, mmu_translate). */
    uint32_t a20_mask;
    /* The chipset's shadow-RAM write enables (i440FX PAM registers, with a
     * firmware: devices/pci.c): bit i set = the writes to the RAM page at
     * GUEST_SHADOW_BASE + i * 4 KiB are discarded, as a PC sends them to the
     * PCI side (the ROM) when the region's WE bit is clear.  The page is
     * then write-protected in every host view (guest_mem_map_identity,
     * shadow_mmu/hostmap.c), and the monitor's own writes skip it. */
    uint64_t shadow_ro;
    /* The memfd has one more page after RAM, all ones: mapped read-only
     * wherever the guest reads physical addresses no device claims, as a PC
     * bus answers them (GUEST_ONES_PAGE(m) is its page number). */
};
#define GUEST_SHADOW_BASE 0xC0000u      /* the 64 pages PAM governs, to 1 MiB */
#define GUEST_SHADOW_PAGES 64u
#define GUEST_ONES_PAGE(m) ((uint32_t)((m)->size / GUEST_PAGE_SIZE))

/* Create the RAM memfd of `mib` MiB and the kernel view.  Returns 0, or -1
 * with a message in err[]. */
int guest_mem_init(struct guest_mem *m, uint64_t mib, char *err, size_t errlen);
void guest_mem_destroy(struct guest_mem *m);

/* Map guest-physical RAM 1:1 into the kernel view (paging off). */
int guest_mem_map_identity(struct guest_mem *m);

#define A20_BIT 0x100000u

/* The megabyte-sized alias a closed A20 gate makes: the kernel-view pages
 * of the odd megabytes of RAM show the even megabyte below (see a20_mask).
 * Called by guest_mem_map_identity(); returns 0 or -1. */
int guest_mem_map_a20_alias(struct guest_mem *m);

/* Give the identity-map page ppn (and its A20 alias while the gate is
 * closed) the host protection prot.  guest_mem_map_identity() applies
 * PROT_READ to every shadow_ro page itself. */
void guest_mem_identity_protect(struct guest_mem *m, uint32_t ppn, int prot);

/* Is [pa, pa+len) inside RAM? */
static inline bool guest_mem_is_ram(const struct guest_mem *m, uint64_t pa, uint64_t len)
{
    return pa + len >= pa && pa + len <= m->size;
}

/* Host pointer to guest-physical pa, or NULL when [pa, pa+len) is not RAM. */
static inline void *guest_phys_ptr(const struct guest_mem *m, uint64_t pa, uint64_t len)
{
    return guest_mem_is_ram(m, pa, len) ? m->ram + pa : NULL;
}

/* Are writes to the guest-physical page of pa discarded (shadow_ro)? */
static inline bool guest_mem_write_discarded(const struct guest_mem *m, uint64_t pa)
{
    uint64_t i = (pa >> 12) - (GUEST_SHADOW_BASE >> 12);
    return pa >= GUEST_SHADOW_BASE && i < GUEST_SHADOW_PAGES && (m->shadow_ro >> i & 1);
}

#endif
