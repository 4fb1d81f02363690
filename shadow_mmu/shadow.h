/*
 * shadow_mmu/shadow.h - the host views as a shadow of the guest's paging.
 *
 * Contract:
 *  - With paging off, kernel view 0 maps RAM 1:1 (guest_mem_map_identity).
 *  - With paging on, each of SHADOW_VIEWS views (a kernel view and a user
 *    view) shadows one guest CR3; shadow_fault() fills the kernel view one
 *    4 KiB page at a time from the guest's page tables when translated code
 *    touches a page (a "hidden" fault the guest never sees), or tells the
 *    caller that the guest must get a #PF, that the address is MMIO, or
 *    that the write hit a page holding translated code (SMC).
 *    shadow_user_fault() does the same for the user view (ring 3), which is
 *    in the host only while its address space runs ring 3 (cpu/direct.h,
 *    shadow_user_enter).
 *  - Pages are mapped read-only until the guest's first write to them
 *    (unless the entry is dirty already), so that the dirty bit is set in
 *    the guest PTE exactly when hardware would.
 *  - Guest page tables are write-protected in every view.  The guest's
 *    first write to one makes it writable until the next CR3 load, as a TLB
 *    would allow; shadow_cr3_loaded() first calls shadow_resync(), which
 *    drops, in every view, what the entries changed since then had produced.
 *    Directory entries are checked at each CR3 load and INVLPG instead.  So
 *    a CR3 load only switches views: a view cached for that CR3 is exact.
 *    Writes by the emulator (shadow_pt_written) take effect at once.
 *  - Both paging formats (shadow_mmu/mmu.h): 32-bit and PAE tables.
 *    shadow_reset() (CR0.PG/WP, CR4.PSE/PAE/PGE, EFER.NXE changes) drops
 *    everything; shadow_invlpg() drops one page (the whole of a 4 MiB or
 *    2 MiB page).  A user view maps an execute-disabled page without
 *    PROT_EXEC.
 *  - shadow_code_page() write-protects every host alias of a guest-physical
 *    page that holds translated code, or lifts that; shadow_write_discard()
 *    does the same for the BIOS shadow pages whose writes are discarded,
 *    and a write to one of them is SHADOW_DISCARD.
 */
#ifndef SHADOW_MMU_SHADOW_H
#define SHADOW_MMU_SHADOW_H

#include <stdint.h>
#include <stdbool.h>

struct vm;

#define SHADOW_VIEWS 4      /* guest address spaces whose kernel view is kept */

enum shadow_result {
    SHADOW_FIXED,       /* mapped: retry the instruction */
    SHADOW_GUEST_PF,    /* the guest's own tables say #PF: error filled */
    SHADOW_MMIO,        /* a non-RAM physical address (or page 0 for ring 3) */
    SHADOW_SMC,         /* a write to a page holding translations: *pa set */
    SHADOW_DISCARD,     /* a write to a page whose writes the chipset discards
                         * (guest_mem.shadow_ro): *pa set; the caller carries
                         * the instruction out with the write dropped */
};

/* emulate_page0 (--emulate-page0): guest page 0 never maps into a user
 * view, even where the host would allow it (cpu/host_facts.h). */
int shadow_init(struct vm *vm, bool emulate_page0, char *err, unsigned long errlen);
/* --trace-mmu START-END: log what the shadow does for the guest linear
 * addresses [lo, hi] (shadow_mmu/lab_mmu_trace.h). */
void shadow_trace_range(struct vm *vm, uint32_t lo, uint32_t hi);
void shadow_destroy(struct vm *vm);
void shadow_reset(struct vm *vm);
void shadow_cr3_loaded(struct vm *vm);
void shadow_invlpg(struct vm *vm, uint32_t lin);
enum shadow_result shadow_fault(struct vm *vm, uint32_t lin, bool write,
                                uint32_t *pa, uint32_t *pf_error);
enum shadow_result shadow_user_fault(struct vm *vm, uint32_t lin, bool write,
                                     uint32_t *pa, uint32_t *pf_error);
void shadow_code_page(struct vm *vm, uint32_t pa, bool protect);
/* The chipset now discards the writes to the shadow pages set in ro
 * (guest_mem.shadow_ro, bit i = page GUEST_SHADOW_BASE/4 KiB + i): those
 * newly set are write-protected in every host view, those cleared may be
 * written again (at once with paging off, at their next write fault
 * otherwise).  Without a shadow (before shadow_init, --accel kvm) it only
 * records ro. */
void shadow_write_discard(struct vm *vm, uint64_t ro);
/* Ring 3 is about to run (directly or translated): put the running
 * address space's user view in the host if another one is there.  A CR3
 * load switches only the kernel view; the user view follows here. */
void shadow_user_enter(struct vm *vm);
/* Ring 3 is about to retry an access that took a guest #PF: map the page
 * now if the guest's handler made it accessible (the retry would only take
 * a hidden fault).  Read-only unless its entry is already dirty; nothing
 * if the tables still refuse it. */
void shadow_user_prefault(struct vm *vm, uint32_t lin);

/*
 * Guest ring 0 run directly (--ring0=direct, the trap-and-emulate engine
 * for teaching) shares the host range of the user view with ring 3, so:
 *  - shadow_direct_fault() resolves a miss of directly run code with the
 *    rights of its privilege (supervisor: the guest's U/S and, with CR0.WP
 *    clear, R/W do not restrict it);
 *  - shadow_user_flush() empties every user view: the monitor calls it at
 *    each change between guest ring 0 and ring 3, so that no page mapped
 *    with one privilege's rights is reachable with the other's.
 * The exec filter (the silent-instruction watch, monitor/pg_watch.c): once
 * shadow_exec_filter_on() has run, a user view maps a frame executable only
 * in the states SHADOW_X_CLEAN and SHADOW_X_STEP, which the watch sets
 * after decoding the frame (shadow_set_exec_state).  Lifting a frame's
 * code-page protection (shadow_code_page(false): it is being written)
 * makes it SHADOW_X_UNSCANNED and unmaps its executable user-view
 * aliases.  shadow_direct_exec() maps one linear page of the live user
 * view executable or not, if it is mapped (true: it changed it; the
 * caller has checked that the guest's tables allow the fetch).
 */
enum { SHADOW_X_UNSCANNED, SHADOW_X_CLEAN, SHADOW_X_SITES, SHADOW_X_STEP };
enum shadow_result shadow_direct_fault(struct vm *vm, uint32_t lin, bool write, bool supervisor,
                                       uint32_t *pa, uint32_t *pf_error);
void shadow_user_flush(struct vm *vm);
int shadow_exec_filter_on(struct vm *vm);
int shadow_exec_state(struct vm *vm, uint32_t ppn);
void shadow_set_exec_state(struct vm *vm, uint32_t ppn, int state);
bool shadow_direct_exec(struct vm *vm, uint32_t lin, bool exec);

/* The monitor wrote len bytes at guest-physical pa for the guest (any page;
 * cheap when it is not a page-table page). */
void shadow_pt_written(struct vm *vm, uint32_t pa, uint32_t len);
/* Apply every guest page-table change made since the last resync. */
void shadow_resync(struct vm *vm);

/* The view (0 .. SHADOW_VIEWS - 1) of the running address space. */
int shadow_current_view(struct vm *vm);

#endif
