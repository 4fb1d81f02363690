/*
 * bt/tc.h - the translation cache: where translation units live, how they
 * are found (by guest linear address, and by host address after a fault),
 * how they are chained, and how they are dropped.
 *
 * Layout of the TC region (one RWX mapping of BT_TC_SIZE bytes):
 *   [exit trampoline: jmp to bt_exit][lookup-miss stub][jmp to bt_rdtsc]
 *   [jmp to bt_callout]
 *   [TU code + stubs]...
 * TUs are allocated by bumping a pointer, so their host addresses increase
 * with their index in tc->tus[] and a fault address is found by bisection.
 */
#ifndef BT_TC_H
#define BT_TC_H

#include <stdint.h>
#include <stdbool.h>
#include "shadow_mmu/shadow.h"
#include "shadow_mmu/guest_mem.h"
#include "cpu/machine.h"

#define TC_HASH_BITS 16
#define TC_LOOKUP_ENTRIES 65536u      /* indirect-branch table: tc_lookup_slot(eip) */
#define TC_MAX_TUS (1u << 20)
#define TC_MAX_MAP (8u << 20)
#define TC_MAX_LINKS (2u << 20)

/* One guest instruction inside a TU: where its host code starts. */
struct tu_map {
    uint32_t host_off;
    uint32_t eip;
    uint8_t fix;               /* TU_FIX_*: host pointers to convert back on a fault */
};
#define TU_FIX_ESI 1           /* RSI holds xview + guest ESI */
#define TU_FIX_EDI 2           /* RDI holds xview + guest EDI */

struct tu {
    uint32_t lin, eip;         /* guest linear address and EIP of the first instruction */
    uint32_t guest_len;        /* guest bytes covered */
    uint32_t page[2];          /* guest-physical pages the bytes came from (page[1] = page[0] if one) */
    uint8_t *code;
    uint32_t code_len;
    uint32_t map_first, ninsn; /* slice of tc->map */
    int32_t hash_next;         /* index in tc->tus, -1 ends the chain */
    int32_t page_next[2];      /* next TU on page[0] / page[1] (tc->page_tus lists) */
    int32_t links;             /* first incoming patched branch in tc->links, -1 none */
    bool valid;
    bool user;                 /* made for CPL 3 (user view, CPL-3 rules): found only at CPL 3 */
    uint8_t table;             /* its lookup table: 0 at CPL 0, 1 + shadow view at CPL 3,
                                * TC_T16 for 16-bit code */
    uint8_t view;              /* CPL 3: the shadow view (address space) it was made in */
    uint64_t mkey;             /* 16-bit code: the CS and segment-limit state it was made
                                * under (bt_mode_key); 0 for 32-bit code */
    bool dormant;              /* not valid: a code page of it lost its mapping, but the
                                * TU stays findable by tc_revive should the page map the
                                * same frame again (an exec of the same program, a switch
                                * back to an address space) */
};

/* The lookup tables: [0] for CPL 0, [1 + v] for CPL 3 in shadow view v
 * (an address space: user code at one linear address differs between
 * them), [TC_T16] for 16-bit code (real mode, 16-bit code segments at
 * CPL 0), keyed by IP | CS selector << 16 (bt/xl_16.c). */
#define TC_T16 (1 + SHADOW_VIEWS)
#define TC_TABLES (2 + SHADOW_VIEWS)

/* The CPL-3 TUs of one shadow view, and the code pages they were made
 * from (linear page -> physical page), which bt_check_user walks again
 * where the guest may have changed its mappings. */
#define TC_USER_CODE_PAGES 256
struct tc_user {
    int32_t *tus;
    uint32_t ntus, cap;
    uint32_t code_lin[TC_USER_CODE_PAGES], code_pa[TC_USER_CODE_PAGES];
    uint32_t ncode;            /* past TC_USER_CODE_PAGES: not all kept, drop at the next check */
};

/* The code pages of the CPL-0 TUs (table 0), per 4 MiB region: which
 * linear pages (bits) map which frame (frame[], a page number).  CPL-0
 * code is shared by every address space, so one set serves them all:
 * bt_check_kernel compares it with the live page tables at each CR3 load,
 * paging-mode change and INVLPG (bt/tc_kernel.c).  pde is the key of the
 * big page(s) under which every page of the region was last checked (the
 * region is then checked by one comparison: big_key()), or 0. */
struct tc_region {
    uint32_t pde;
    uint32_t npages;
    uint32_t bits[32];
    uint32_t frame[1024];
};
struct tc_kernel {
    struct tc_region *reg[1024];
    uint32_t used[32];         /* regions with a recorded page */
};

/* A direct branch that was patched to jump into a TU: undo it when the TU dies. */
struct tc_link {
    uint8_t *site;             /* rel32 field */
    uint8_t *stub;             /* where it jumped before patching */
    int32_t next;
};

struct tc {
    uint8_t *base, *end, *free;
    uint8_t *exit_tramp;       /* jmp bt_exit */
    uint8_t *miss_stub;        /* indirect-branch miss: target in r8d */
    uint8_t *rdtsc_tramp;      /* jmp bt_rdtsc (return address in r10) */
    uint8_t *callout_tramp;    /* jmp bt_callout (function in r11, return address in r10) */
    struct tu *tus;
    uint32_t ntus;
    struct tu_map *map;
    uint32_t nmap;
    struct tc_link *links;
    uint32_t nlinks;
    int32_t hash[1u << TC_HASH_BITS];
    /* Per guest-physical page: the TUs made from it (a list through
     * tu->page_next), so that a write to the page finds them at once. */
    int32_t *page_tus;
    uint32_t npages;
    /* Per guest-physical page: writes to it carried out by the emulator
     * since it last held no TUs (bt_data_page). */
    uint8_t *data_writes;
    /* The indirect-branch tables reached through r14 by translated code,
     * TC_TABLES of them: keys (guest EIP) then host addresses, in one
     * block each. */
    uint8_t *lookup_base[TC_TABLES];
    uint32_t *lookup_keys[TC_TABLES];
    uint64_t *lookup_code[TC_TABLES];
    uint64_t seg_key;          /* segment assumptions of the current translations */
    /* What the entries of table TC_T16 assume besides their key: the CS
     * base of each selector and the segment-limit classes (t16_sync). */
    uint32_t *t16_sel_base;    /* [selector], ~0u: none yet */
    uint32_t t16_limits;
    struct tc_user user[SHADOW_VIEWS];
    struct tc_kernel kern;
    struct stats *stats;       /* the machine's counters (cpu/counters.h) */
};

/* The machine's translation cache (bt_init put it there). */
static inline struct tc *tc_of(struct vm *vm)
{
    return *vm_tc(vm);
}

/*
 * The indirect-branch table slot of a guest EIP: its low 16 bits plus its
 * two high bytes swapped (bswap), so that code 64 KiB apart (a kernel's
 * text spans hundreds of such strides) lands in different slots.
 * emit_indirect (bt/xl_helpers.c) computes the same with mov, bswap, lea
 * and movzx, which leave the guest's flags alone.
 */
static inline uint32_t tc_lookup_slot(uint32_t eip)
{
    return (eip + __builtin_bswap32(eip)) & (TC_LOOKUP_ENTRIES - 1);
}

/* Byte offset of the host-address half of the lookup table from its base. */
#define TC_LOOKUP_CODE_OFF (TC_LOOKUP_ENTRIES * 4u)

/* The hash chain (tc->hash) a linear address is on. */
static inline uint32_t tc_hash_of(uint32_t lin)
{
    return (lin * 2654435761u) >> (32 - TC_HASH_BITS);
}

/* The TU at linear address lin of lookup table `table` (bt_table()) made
 * under mode key mkey (bt_mode_key()). */
struct tu *tc_find_key(struct tc *tc, uint32_t lin, int table, uint64_t mkey);
static inline struct tu *tc_find(struct tc *tc, uint32_t lin, int table)
{
    return tc_find_key(tc, lin, table, 0);
}
/* A dormant TU at lin of `table` and mkey whose code pages map again the
 * frames it was made from (with the rights of its mode): made valid again
 * (and returned), or NULL. */
struct tu *tc_revive(struct vm *vm, uint32_t lin, int table, uint64_t mkey);
/* The key of a TU in its lookup table: its EIP, with the CS selector in
 * the high half for 16-bit code. */
static inline uint32_t tu_lookup_key(const struct tu *tu)
{
    return tu->table == TC_T16 ? (tu->eip & 0xFFFF) | (uint32_t)(tu->mkey >> 48) << 16 : tu->eip;
}
struct tu *tc_alloc(struct tc *tc);
void tc_insert(struct tc *tc, struct tu *tu);
/* Remember a CPL-3 TU and its code pages for bt_check_user and
 * bt_drop_user (bt/tc_user.c). */
void tc_note_user(struct tc *tc, struct tu *tu);
/* Record a CPL-0 TU's code pages for bt_check_kernel (bt/tc_kernel.c);
 * false if they cannot be (the TU is then killed). */
bool tc_note_kernel(struct vm *vm, struct tu *tu);
/* Forget every recorded CPL-0 code page (bt_flush); free them (bt_destroy). */
void tc_kernel_reset(struct tc *tc);
void tc_kernel_destroy(struct tc *tc);
/* Does linear page lin_page map physical page pa_page now, for code of the
 * given mode (user: CPL-3 rights)?  A walk that sets no bit. */
bool tc_maps_to(struct vm *vm, uint32_t lin_page, uint32_t pa_page, bool user);
/* The linear pages of a TU's first and last byte (the pages tu->page[0]
 * and tu->page[1] were read from; equal when it fits in one). */
void tu_lin_pages(const struct tu *tu, uint32_t lp[2]);
/* Kill a TU (valid or dormant): out of the lookup table and the hash
 * chain, every branch chained to it sent back through its exit stub. */
void tc_kill(struct tc *tc, struct tu *tu);
/* Make a valid TU dormant (its code page maps another frame now):
 * unreachable, but still in the hash chain for tc_revive. */
void tc_sleep(struct tc *tc, struct tu *tu);

#endif
