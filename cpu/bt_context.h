/*
 * cpu/bt_context.h - the context of the bt engine on one virtual CPU: what
 * the binary translator (bt/), direct execution of ring 3 (cpu/direct.c,
 * cpu/host.c) and the software CPU's event delivery (cpu/exceptions.c) keep
 * beside the architectural state.  None of it is visible to the guest; the
 * KVM engine has none of it.
 *
 * Contract: struct vcpu (cpu/vcpu.h) holds one as `bt` at VCPU_OFF_BT.
 * The first part is reached from translated code and assembly at the
 * fixed offsets BT_OFF_* (cpu/vcpu_layout.h), so it is laid out by hand.
 *
 * Register conventions while translated ring-0 code runs (bt/entry.S):
 *   host eax..edi = guest eax..edi (upper halves zero), host rflags holds the
 *   guest's arithmetic flags (CF PF AF ZF SF OF); IF, DF, TF, IOPL, AC, NT
 *   are virtual and live in struct x86_state;
 *   r15 = struct vcpu *, r14 = indirect-branch lookup table,
 *   r13 = "deliverable interrupt" poll page, r12 = "any event" poll page,
 *   r8..r11 = scratch of the translator; GS base = kernel view of guest memory.
 */
#ifndef CPU_BT_CONTEXT_H
#define CPU_BT_CONTEXT_H

#include <stdint.h>
#include <stdbool.h>
#include "cpu/vcpu_layout.h"

struct tc;

/* Why translated or directly executed code returned to the monitor
 * (bt.exit_reason). */
enum bt_exit {
    EXIT_NONE = 0,
    EXIT_LINK,        /* direct branch to an untranslated target; exit_arg = patch site */
    EXIT_LOOKUP,      /* indirect branch missed the lookup table; eip = target */
    EXIT_EMULATE,     /* a sensitive instruction at eip: emulate it in C */
    EXIT_EXCEPTION,   /* a host fault mapped to a guest exception at eip */
    EXIT_POLL,        /* an event is pending at an instruction boundary */
    EXIT_SMC,         /* a write to a page that holds translated code */
    EXIT_STEP,        /* end of a single-instruction translation */
    EXIT_SYSCALL,     /* ring 3: int 0x80 or sysenter reached the host (SIGSYS) */
    EXIT_DEBUG,       /* a debugger breakpoint before the instruction at eip */
};

struct bt_context {
    /* ---- reached from translated code: offsets are fixed ---- */
    uint32_t exit_reason;       /* 0x00 enum bt_exit */
    uint32_t host_ac;           /* 0x04 host RFLAGS.AC for translated code: set at CPL 3
                                 * with CR0.AM and EFLAGS.AC (bt_prepare_segments) */
    uint64_t host_rsp;          /* 0x08 monitor stack while guest code runs */
    uint64_t exit_arg;          /* 0x10 e.g. address of the jump to patch */
    uint8_t  gs_by_insn;        /* 0x18 entering translated code writes gs_base with
                                 * WRGSBASE (the host kernel keeps such a base) */
    uint8_t  pad0[3];
    uint32_t callout_arg;       /* 0x1c the operand translated code hands a light
                                 * callout (bt/xl_callout.c) */
    uint64_t lookup_table;      /* 0x20 -> struct tc_lookup_entry[65536] */
    uint64_t poll_irq;          /* 0x28 page made unreadable when an interrupt is deliverable */
    uint64_t poll_any;          /* 0x30 page made unreadable when any event is pending */
    uint64_t xview;             /* 0x38 host address of guest linear 0 for translated code
                                 * (its GS base): the kernel view at CPL 0, the
                                 * user view (host 0) at CPL 3 (bt_prepare_segments) */
    uint64_t gs_base;           /* 0x40 the GS base translated code needs: the kernel
                                 * view (CPL-3 translations use no segment) */
    uint64_t gs_kept;           /* 0x48 the GS base the host kernel holds for this
                                 * thread (set by arch_prctl), 0 if unknown */
    uint64_t seglimit_guard[2]; /* 0x50 FS, GS: a page that is unreadable when
                                 * the segment has a limit (bt/xl_helpers.c) */
    uint64_t fpu_gate;          /* 0x60 FPU gate pages for the current CR0/CR4 (cpu/fpu.h) */
    uint64_t pad1;
    /* A two-slot stack for PUSHFQ/POPFQ inside translated code (bt/xl_system.c). */
    uint64_t scratch[2] __attribute__((aligned(16)));   /* 0x70 */
    uint8_t  fx_host[VCPU_FXSAVE_SIZE] __attribute__((aligned(64))); /* 0x80 the monitor's
                                 * FPU/SSE state while guest code runs */

    /* ---- the rest ---- */
    /* exit details of EXIT_EXCEPTION */
    int exc_vector;
    uint32_t exc_error;
    bool exc_has_error;

    /* The next entry runs one instruction, with no interrupt first: the
     * interrupt shadow after STI, MOV SS or POP SS, a step past a debugger
     * breakpoint, a write to translated code (monitor/run_bt.c). */
    bool single_step;
    /* Instructions interpreted in a row because the segments did not
     * match the cached translations (monitor/run_bt.c, BT_KEY_GRACE). */
    uint32_t unkeyed_steps;
    /* host_now_ns() when the CPU last switched into real mode (or V86),
     * 0 while it is in protected mode (stats.realmode_ns). */
    uint64_t realmode_since;

    /* Pending-event bookkeeping of exception delivery (cpu/exceptions.c). */
    int delivering;             /* vector being delivered, -1 if none */
    uint64_t events;            /* events delivered so far (a single step that
                                 * delivered one gets no single-step trap) */
    int last_vector;            /* the vector and error code of the last one */
    uint32_t last_error;

    /* DS, ES, FS, GS as directly executed ring-3 code left them (copied by
     * the signal handler that ended the run, cpu/host.c). */
    uint16_t ring3_sel[4];
    /* The two pages seglimit_guard[] points to (cpu/host.c). */
    uint64_t guard_ok, guard_trap;

    /* Host address of guest linear 0 in the kernel view of the running
     * address space (shadow_mmu/shadow.c). */
    uint64_t kview;

    /* The translation cache whose code runs on this CPU (bt/tc.h): the
     * light callouts, called from translated code, reach it from here
     * without a call. */
    struct tc *tc;
};

#endif
