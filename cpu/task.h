/*
 * cpu/task.h - hardware task switching (Intel SDM vol. 3A chapter 8,
 * "Task Management"; AMD APM vol. 2 chapter 12).
 *
 * Contract: the one implementation of a task switch, used by far JMP/CALL
 * to a TSS descriptor or a task gate (cpu/segments.c), IRET with EFLAGS.NT
 * set (cpu/em_control.c) and event delivery through a task gate in the IDT
 * (cpu/exceptions.c).  It checks what the SDM checks before the commit
 * point (table 8-1's selector, type, busy, present and limit rules, and
 * that every page of both TSSs and of the GDT entries it writes is
 * reachable); a fault there changes nothing.  It then saves the old task
 * (EIP, EFLAGS, general registers, segment selectors) in its TSS, updates
 * the busy bits and, for CALL and events, the new TSS's back link and the
 * new EFLAGS.NT, and loads TR, CR3 (with paging on; the shadow MMU is told
 * through vm_cr3_loaded), EFLAGS, EIP, the general registers, LDTR and the
 * segment registers of the new task, and sets CR0.TS.  A fault while
 * loading LDTR or a segment register, or a new EIP beyond the CS limit,
 * comes after the commit point: the switch stays done and the fault is
 * raised in the new task, at its EIP.  A TSS whose T flag is set gets a #DB
 * (DR6.BT) before its first instruction.  A new task whose EFLAGS has VM
 * set runs in virtual-8086 mode: its segment registers are loaded the
 * virtual-8086 way (cpu/v86.h), at CPL 3; an old task interrupted there
 * through a task gate keeps VM = 1 in its saved EFLAGS.  Only 32-bit TSSs
 * are modelled; a 16-bit TSS stops the run with a report (vm_unsupported).
 *
 * Return values follow cpu/segments.h: 0, -1 with *vec and *err set, -2 when the
 * run must stop (reported).  On -1 the caller raises *vec and *err at c->eip,
 * which is the instruction's own EIP before the commit point and the new
 * task's EIP after it.
 */
#ifndef CPU_TASK_H
#define CPU_TASK_H

#include <stdint.h>
#include <stdbool.h>
#include "cpu/segments.h"

/* 32-bit TSS layout (SDM vol. 3A figure 8-2). */
#define TSS_LINK        0x00
#define TSS_CR3         0x1C
#define TSS_EIP         0x20
#define TSS_EFLAGS      0x24
#define TSS_GPR         0x28        /* EAX .. EDI, 4 bytes each */
#define TSS_SREG        0x48        /* ES, CS, SS, DS, FS, GS: 16 bits in 4 */
#define TSS_LDT         0x60
#define TSS_TRAP        0x64        /* bit 0: T, debug trap on entry */
#define TSS_IOMAP       0x66
#define TSS32_MIN_LIMIT 0x67        /* a smaller limit is #TS (SDM 8.2.1) */

/* Far JMP (eip_next is saved as the old task's EIP) or CALL to the
 * descriptor `d` that `sel` names: an available 32-bit TSS or a task gate
 * (GDT or LDT).  Gate or TSS DPL < CPL or < RPL, a TSS selector in the LDT,
 * a gate naming no TSS, or a busy TSS: #GP; not present: #NP. */
int task_far(struct vcpu *c, uint16_t sel, struct desc d, bool call, uint32_t eip_next,
             int *vec, uint32_t *err);

/* IRET with EFLAGS.NT = 1: back to the task in the current TSS's back link,
 * which must be a busy TSS in the GDT (#TS(link) otherwise, #NP if not
 * present).  Like cpu_iret: 0, -1 after raising the fault (the guest goes
 * on), -2 when the run must stop. */
int task_return(struct vcpu *c, uint32_t eip_next);

/* An event through a present task gate of the IDT whose DPL the caller has
 * checked: a switch with nesting, saving c->eip and `eflags` (the image the
 * event would have pushed) in the old TSS, then `error` pushed on the new
 * task's stack when has_error.  Returns 0, -1 with *vec and *err before the
 * commit point (nothing changed), -3 with *vec and *err after it (raise it in
 * the new task: c->eip is already its EIP), or -2. */
int task_gate_event(struct vcpu *c, struct desc gate, uint32_t eflags, bool has_error,
                    uint32_t error, int *vec, uint32_t *err);

#endif
