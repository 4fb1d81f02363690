/*
 * user_call.h - running a function at CPL 3 from a test guest and coming
 * back (user_call.c): the paging guests that check what ring 3 sees.
 *
 * user_call(fn, stack_top) IRETs to fn at CPL 3 (CS = RT_UCODE, SS and the
 * data segments RT_UDATA, IF = 0) on the given stack; fn's return lands on
 * code that makes system call 0 (INT 0x80, EAX = 0, EBX = fn's value).  The
 * guest's INT 0x80 handler (a trap gate of DPL 3, rt_hook) ends the call
 * with user_abort(value), which makes user_call return value; a handler of
 * a ring-3 fault may do the same.  The caller sets rt_tss.ss0/esp0.
 */
#ifndef GUESTS_USER_CALL_H
#define GUESTS_USER_CALL_H

#include <stdint.h>
#include "rt.h"

uint32_t user_call(uint32_t (*fn)(void), uint32_t stack_top);

/* Before the first user_call: the kernel stack a ring-3 trap switches to
 * (TSS.SS0:ESP0), INT 0x80 reachable from ring 3, `hook` as rt_hook, then
 * paging on with page directory `pd` and CR0.WP (supervisor writes obey
 * read-only pages, as a kernel that copies-on-write needs). */
void user_paging_on(const volatile uint32_t *pd, uint32_t kstack_top,
                    void (*hook)(struct trap_frame *f));

/* Identity-map the first 4 MiB x n of linear memory in pd through the n
 * page tables pt, present, writable and user-accessible, except linear
 * page 0 (absent, so that a null pointer faults). */
void user_identity_low(volatile uint32_t *pd, volatile uint32_t (*pt)[1024], uint32_t n);
void user_abort(uint32_t value) __attribute__((noreturn));

/* A ring-3 #PF seen by the kernel's handler: user_page_fault(f) records
 * its error code and CR2 (user_pf_error, user_pf_cr2, one more
 * user_pf_count) and ends the user call with USER_FAULTED. */
#define USER_FAULTED 0xFA017u
extern volatile uint32_t user_pf_error, user_pf_cr2, user_pf_count;
void user_page_fault(struct trap_frame *f) __attribute__((noreturn));

#endif
