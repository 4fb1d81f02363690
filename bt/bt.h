/*
 * bt/bt.h - the binary translator: guest ring-0 code in, host 64-bit code out.
 *
 * Contract:
 *  - bt_init() creates the translation cache (TC) for a VM.
 *  - bt_find_or_translate() returns the host code of the translation unit
 *    (TU) that starts at the current guest instruction, making it if needed.
 *    A TU is a run of guest basic blocks (at most BT_MAX_INSNS instructions,
 *    ending at a branch, a sensitive instruction or a page crossing).
 *  - bt_enter() runs translated code until it needs the monitor; the reason
 *    is left in vcpu->exit_reason with the guest state in struct vcpu.
 *  - bt_link() patches a direct branch so the next time it goes TU to TU.
 *  - bt_host_fault() maps a fault at a host address inside the TC to the
 *    guest instruction that caused it.
 *  - bt_invalidate_page() drops every TU made from a guest-physical page
 *    (self-modifying code, through any alias of the frame); bt_flush()
 *    drops them all.
 *  - A TU runs only while the linear pages it came from map the frames it
 *    was made from: bt_check_kernel and bt_check_user, called at every
 *    flush point of the guest's TLB (CR3 load, INVLPG, paging-mode change),
 *    make the others unreachable.
 *
 * The translation scheme (docs/translator.md): guest registers live in the
 * same host registers; instructions are copied with a GS override and a
 * 0x67 address-size prefix on their memory operand; stack, string, branch
 * and 32-bit-only instructions are rewritten; sensitive ones end the TU with
 * an exit to cpu/emulate.c.
 */
#ifndef BT_BT_H
#define BT_BT_H

#include <stdint.h>
#include <stdbool.h>
#include "cpu/vcpu.h"

struct vm;

#define BT_MAX_INSNS 64          /* guest instructions per TU */
#define BT_TC_SIZE (64u << 20)   /* bytes of host code before a flush */

int bt_init(struct vm *vm, char *err, unsigned long errlen);
void bt_destroy(struct vm *vm);

/* Host code for the TU at the current CS:EIP; NULL if the guest must take
 * an exception first (it has been raised) or the run must stop.
 * single_step makes a one-instruction TU that is not cached (used after a
 * self-modifying write). */
void *bt_find_or_translate(struct vm *vm, bool single_step);

/* Run translated code (bt/entry.S). */
void bt_enter(struct vcpu *c, void *host_code);

/* EXIT_LINK: make the branch whose rel32 field is at `site` jump straight to
 * the TU of guest eip `target` from now on. */
void bt_link(struct vm *vm, uint8_t *site, void *target_code, uint32_t target_lin);

struct tu;
/* Install tu->eip -> its host code in the lookup table of its mode. */
void bt_lookup_install(struct vm *vm, const struct tu *tu);

/* Translation mode: CPL 3 code (only while the guest's CR0.TS or EM is set,
 * monitor/run.c) is translated for the user view with CPL-3 rules, and its
 * TUs are never found at CPL 0 nor the reverse (tu->user).  They are kept
 * per address space (shadow view): bt_table() is the lookup table of the
 * code about to run, 0 at CPL 0, 1 + the shadow view at CPL 3. */
bool bt_user_mode(const struct vcpu *c);
int bt_table(struct vm *vm);

/* 16-bit code (bt/xl_16.c): real mode or a 16-bit code segment at CPL 0,
 * with a 64 KiB or 4 GiB code limit, or virtual-8086 mode (CPL 3, user
 * view, the address space part of the mode key).  It is
 * translated like 32-bit code, but its TUs read every segment base at run
 * time (real-mode code reloads DS and ES all the time), so they do not
 * depend on bt_segment_key: they are found by linear address and mode key
 * (bt_mode_key: CS base and selector, and which segments have 64 KiB or
 * 4 GiB limits), in their own lookup table.  bt_mode_key is 0 for 32-bit
 * code.  bt_prepare_segments empties that table when what its entries
 * assume no longer holds (bt/tc.c, t16_sync). */
bool bt_code16(const struct vcpu *c);
uint64_t bt_mode_key(const struct vcpu *c);

/* Is host address `rip` inside translated code?  If so, set *guest_eip to
 * the guest instruction it belongs to, *fix to the TU_FIX_* registers that
 * hold host pointers there (bt/tc.h), and return true. */
bool bt_host_fault(struct vm *vm, uint64_t rip, uint32_t *guest_eip, unsigned *fix);

void bt_invalidate_page(struct vm *vm, uint32_t page_pa);
/* The monitor wrote guest-physical bytes [pa, pa + len) (within one page)
 * of a code page: only the TUs made from those bytes are dropped; the page
 * stays protected while others remain. */
void bt_code_written(struct vm *vm, uint32_t pa, uint32_t len);
/* Translated code wrote a code page (the write faulted): has the page been
 * written so often since its TUs were made (BT_DATA_WRITES) that it is
 * better treated as data?  Counts the write. */
#define BT_DATA_WRITES 64
bool bt_data_page(struct vm *vm, uint32_t pa);
/* Drop every CPL-3 TU (a paging-mode change).  Cheap when there are none. */
void bt_drop_user(struct vm *vm);
/* After a CR3 load or INVLPG: the CPL-3 TUs of the address space now
 * current stay if each code page they came from is still mapped, for user
 * code, to the same physical page (a walk per page, no bit set); otherwise
 * that address space's CPL-3 TUs are dropped. */
void bt_check_user(struct vm *vm);
/* After a CR3 load or a paging-mode change (all), or INVLPG of lin (its
 * 4 MiB region): every CPL-0 TU whose code page no longer maps, for a
 * supervisor fetch, the frame it was made from goes dormant, so that it is
 * neither found nor reached by a chained branch or the lookup table
 * (bt/tc_kernel.c). */
void bt_check_kernel(struct vm *vm, bool all, uint32_t lin);
void bt_flush(struct vm *vm, const char *why);

/* The segment assumptions translations were made under (flat DS/ES/SS,
 * CS base); the run loop flushes when they change. */
uint64_t bt_segment_key(const struct vcpu *c);
/* Do the segment registers match what the cached translations assume
 * (bt_segment_key)?  If not, bt_find_or_translate flushes the cache. */
bool bt_segments_match(struct vm *vm);
/* A segment whose limit no access can exceed (4 GiB, expand-up).  Accesses
 * through other segments are emulated when the emulator knows the
 * instruction, so that limit checks raise #GP/#SS as on hardware. */
bool bt_seg_unlimited(const struct seg *s);
/* A flat 32-bit stack (SS base 0, no limit, B set): the only one that
 * translated stack operations address directly (bt/classify.c). */
bool bt_stack_flat(const struct vcpu *c);
/* Before translated code runs, and after a light callout loaded a segment:
 * the view of the mode (xview: kernel view, or the user view at CPL 3), its
 * lookup table, the FPU gate of CR0/CR4 (cpu/fpu.h), the host GS base (the
 * kernel view, cpu/host.h) and the FS/GS limit guards (seglimit_guard)
 * that translated code reads. */
void bt_prepare_segments(struct vcpu *c);

#endif
