/*
 * monitor/run_bt.c - the binary-translation engine (--accel bt, the
 * default): guest ring 0 through the translator, ring 3 directly on the
 * host CPU, memory through the shadow MMU.  One step of the run loop
 * (monitor/run.c):
 *
 *     find (or make) the translation of CS:EIP and run it       (bt/)
 *     on return, act on the exit reason:
 *        LINK      chain the branch that left, go on
 *        LOOKUP    indirect branch target not in the table: translate, go on
 *        EMULATE   a sensitive instruction: cpu/emulate.c carries it out
 *        EXCEPTION a host fault in guest code: raise the guest exception
 *        SMC       guest wrote to its own translated code: drop it, step once
 *        POLL      an event is pending: back to the loop
 *
 * CPL 3 runs directly (monitor/run_direct.c, cpu/direct.c) unless CR0.TS
 * or EM is set: the host FPU cannot trap for directly executed code, so
 * then ring 3 is translated too (in the user view, with CPL-3 rules) and an
 * FPU/MMX/SSE instruction raises #NM/#UD exactly (docs/direct.md, "FPU").
 */
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include "monitor/engine.h"
#include "monitor/run_internal.h"
#include "monitor/vm.h"
#include "monitor/gdbstub.h"
#include "monitor/pg_watch.h"
#include "bt/bt.h"
#include "cpu/host.h"
#include "cpu/host_clock.h"
#include "cpu/direct.h"
#include "cpu/emulate.h"
#include "cpu/exceptions.h"
#include "cpu/fpu.h"
#include "devices/irq.h"
#include "shadow_mmu/mmu.h"
#include "shadow_mmu/shadow.h"

/* (monitor/vm.h) A CR3 load switches to the view of that address space
 * (kept exact by page-table tracing), whose CPL-3 translations stay as long
 * as their code pages keep their mappings (bt_check_user), as after INVLPG;
 * CPL-0 translations likewise (bt_check_kernel). */
void vm_cr3_loaded(struct vm *vm)
{
    shadow_cr3_loaded(vm);
    bt_check_user(vm);
    bt_check_kernel(vm, true, 0);
}

/* Carry out the sensitive instruction at CS:EIP.  Returns true when it
 * opened an interrupt shadow (STI, MOV SS, POP SS).  run_emulate_as(vm,
 * true): the host raised #GP(0) running it for the guest (cpu/emulate.h,
 * emulate_after_host_gp0). */
bool run_emulate(struct vm *vm)
{
    return run_emulate_as(vm, false);
}

enum em_how { EM_SENSITIVE, EM_AFTER_HOST_GP0, EM_IF_HANDLED };

static enum em_result emulate_how(struct vm *vm, enum em_how how, bool *shadow)
{
    struct vcpu *c = &vm->cpu;
    uint32_t cr0 = c->cr0, cr3 = c->cr3, cr4 = c->cr4;
    uint64_t efer = c->efer;
    struct em_info info = { 0 };
    uint64_t *by_insn = runs_directly(c) ? vm->stats.traps : vm->stats.callouts;
    enum em_result r = how == EM_AFTER_HOST_GP0 ? emulate_after_host_gp0(c, &info)
                     : how == EM_IF_HANDLED     ? emulate_step_handled(c, &info)
                                                : emulate_step(c, &info);
    *shadow = false;
    if (r == EM_DECLINED)
        return r;
    if (info.mnemonic > 0 && info.mnemonic < STATS_MAX_MNEMONIC)
        by_insn[info.mnemonic]++;
    if (r == EM_STOP)
        return r;
    if (r == EM_HALT)
        c->halted = true;
    /* Paging-mode changes drop every view and every CPL-3 translation; a
     * CR3 load switches views (vm_cr3_loaded; a task switch told it
     * already, and telling it twice costs a resync that finds nothing).
     * CPL-0 translations stay while their code pages map the same frames
     * (bt_check_kernel), after any of the three. */
    if (((c->cr0 ^ cr0) & (CR0_PG | CR0_WP)) ||
        ((c->cr4 ^ cr4) & (CR4_PSE | CR4_PAE | CR4_PGE)) || ((c->efer ^ efer) & EFER_NXE)) {
        shadow_reset(vm);
        bt_drop_user(vm);
        bt_check_kernel(vm, true, 0);
    } else if ((c->cr0 & CR0_PG) && (c->cr3 != cr3 || info.tlb.wrote_cr3)) {
        vm_cr3_loaded(vm);
    } else if ((c->cr0 & CR0_PG) && info.tlb.invlpg) {
        shadow_invlpg(vm, info.tlb.invlpg_lin);
        bt_check_user(vm);
        bt_check_kernel(vm, false, info.tlb.invlpg_lin);
    }
    *shadow = info.irq_shadow;
    return r;
}

bool run_emulate_as(struct vm *vm, bool host_gp0)
{
    bool shadow;
    emulate_how(vm, host_gp0 ? EM_AFTER_HOST_GP0 : EM_SENSITIVE, &shadow);
    return shadow;
}

/* (monitor/run_internal.h) */
void run_code_written(struct vm *vm, uint32_t pa)
{
    vm->stats.bt_smc_faults++;
    bt_invalidate_page(vm, pa);
    pg_watch_frame_written(vm, pa);
}

/* A miss in the view translated code runs on (exit_arg = the address):
 * the kernel view at CPL 0, the user view at CPL 3 (see
 * shadow_mmu/shadow.h). */
static void translated_miss(struct vm *vm, bool *single_step)
{
    struct vcpu *c = &vm->cpu;
    uint32_t lin = (uint32_t)c->bt.exit_arg, pa = 0, err = 0;
    bool write = c->bt.exc_error & 2;
    bool user = c->cpl == 3;
    enum shadow_result r = user ? user_view_fault(vm, lin, write, &pa)
                                : shadow_fault(vm, lin, write, &pa, &err);
    switch (r) {
    case SHADOW_FIXED:
        break;
    case SHADOW_GUEST_PF:
        if (!user) {                /* user_view_fault raised it already */
            c->cr2 = lin;
            cpu_raise(c, EXC_PF, err);
        }
        break;
    case SHADOW_MMIO:
        /* The emulator performs the access through the device bus (or,
         * for user page 0, which the host cannot map, through RAM). */
        vm->stats.mmio_accesses++;
        *single_step = run_emulate(vm);
        break;
    case SHADOW_DISCARD:
        /* A write to BIOS shadow RAM the chipset sends to the ROM: the
         * emulator carries the instruction out, its mmu_write dropped. */
        *single_step = run_emulate(vm);
        break;
    case SHADOW_SMC:
        /* A write to a page that holds translations: the emulator does
         * it, dropping only the TUs of the bytes it writes (bt_code_written:
         * real-mode code keeps its data beside its code).  A page written
         * that way again and again (a stack or variables beside code that
         * ran once, SeaBIOS's POST code beside its 16-bit stack) loses all
         * its TUs instead and is left writable until code on it is
         * translated again (bt_data_page); so does one the emulator has no
         * handler for, and the instruction runs again alone. */
        pg_watch_frame_written(vm, pa);
        if (!bt_data_page(vm, pa) && emulate_how(vm, EM_IF_HANDLED, single_step) != EM_DECLINED) {
            vm->stats.bt_smc_emulated++;
            break;
        }
        run_code_written(vm, pa);
        *single_step = true;
        break;
    }
}

static void guest_exception(struct vm *vm, bool *single_step)
{
    struct vcpu *c = &vm->cpu;
    int v = c->bt.exc_vector;
    if (v == EXC_PF) {
        translated_miss(vm, single_step);
        return;
    }
    if (v == EXC_GP && c->bt.exc_error == 0) {
        /* A copied instruction the host refused with #GP(0): translated
         * code forms only 32-bit addresses in its view, so the cause is the
         * guest's own (a misaligned MOVAPS/MOVDQA operand or FXSAVE area,
         * reserved MXCSR bits in LDMXCSR/FXRSTOR), and the modelled CPU
         * raises the same #GP(0) at the same instruction. */
        cpu_raise(c, EXC_GP, 0);
        return;
    }
    if (v == EXC_GP || v == EXC_SS || v == EXC_NP || v == 14) {
        char what[96];
        snprintf(what, sizeof what, "host fault %d (error 0x%x) in translated code", v, c->bt.exc_error);
        vm_unsupported(vm, what);
        return;
    }
    cpu_raise(c, v == EXC_XM ? fpu_simd_fp_vector(c->cr4) : v, 0);
}

/* Interrupts: deliver one if the guest can take it now.  An NMI comes
 * first and whatever IF says; from its delivery until the next IRET
 * (cpu_iret) further NMIs stay latched (SDM vol. 3A 6.7.1). */
static void interrupts(struct vm *vm)
{
    struct vcpu *c = &vm->cpu;
    bool intr = irq_intr_pending(vm);   /* first: it samples LINT0, which may raise an NMI */
    if (c->nmi_pending && !c->nmi_blocked) {
        c->nmi_pending = false;
        c->nmi_blocked = true;
        c->halted = false;
        cpu_deliver(c, EXC_NMI, EV_EXTINT, false, 0);
        return;
    }
    if (c->vif && intr) {
        int vec = irq_intr_ack(vm);
        if (vec >= 0) {
            c->halted = false;
            cpu_deliver(c, vec, EV_EXTINT, false, 0);
        }
    }
}

/*
 * The guest's EFLAGS.TF in translated code (ring 0, and ring 3 while CR0.TS
 * or EM is set): one instruction at a time, each followed by the
 * single-step trap, #DB with DR6.BS and EIP at the next instruction (SDM
 * vol. 3 17.3.1.4).  TF counts as it was when the instruction started, so
 * a POPF or IRET that sets it traps after the next instruction and one that
 * clears it traps after itself; an instruction that delivered an event (a
 * fault, INT n, ...) gets no trap, the handler runs with TF clear; one that
 * has not run yet (a hidden fault, an interrupt first) is stepped again.
 * HLT gets its trap when it completes, with the interrupt that ends it
 * (here: not at all, a known limit).
 */
struct tf_step {
    bool on;
    uint64_t events;
    uint32_t eip;
    uint16_t cs;
};

static struct tf_step tf_step_begin(const struct vcpu *c)
{
    return (struct tf_step){ (c->eflags & FL_TF) != 0, c->bt.events, c->eip, c->seg[S_CS].sel };
}

static void tf_step_end(struct vm *vm, const struct tf_step *tf)
{
    struct vcpu *c = &vm->cpu;
    if (!tf->on || vm->stop || c->halted || c->bt.events != tf->events)
        return;
    bool ran = c->eip != tf->eip || c->seg[S_CS].sel != tf->cs || c->bt.exit_reason == EXIT_STEP ||
               c->bt.exit_reason == EXIT_LINK || c->bt.exit_reason == EXIT_LOOKUP;
    if (!ran)
        return;
    c->dr[6] |= DR6_BS;
    cpu_deliver(c, EXC_DB, EV_EXCEPTION, false, 0);
}

static void handle_exit(struct vm *vm, bool *single_step)
{
    struct vcpu *c = &vm->cpu;
    vm->stats.exits[c->bt.exit_reason & 15]++;
    switch (c->bt.exit_reason) {
    case EXIT_LINK: {
        void *code = bt_find_or_translate(vm, false);
        if (code)
            bt_link(vm, (uint8_t *)(uintptr_t)c->bt.exit_arg, code, vcpu_linear_ip(c));
        break;
    }
    case EXIT_LOOKUP:
        vm->stats.bt_lookup_misses++;
        break;
    case EXIT_EMULATE:
        /* After STI, MOV SS or POP SS one more instruction runs before any
         * interrupt: a one-instruction translation, with no delivery first. */
        if (run_emulate(vm))
            *single_step = true;
        break;
    case EXIT_EXCEPTION:
        guest_exception(vm, single_step);
        break;
    case EXIT_DEBUG:
        gdb_stop(vm, SIGTRAP);
        *single_step = true;        /* go past the breakpoint once */
        break;
    case EXIT_POLL:
    case EXIT_STEP:
        break;
    default:
        vm_stop(vm, VMM_EXIT_ERROR, "internal error: unknown exit reason %u", c->bt.exit_reason);
    }
}


/* ---- the engine (monitor/engine.h) ---- */

/* The views of guest memory, the translator and direct execution. */
static int bt_create(struct vm *vm, char *err, size_t errlen)
{
    struct vcpu *c = &vm->cpu;
    c->bt.kview = c->bt.xview = (uint64_t)(uintptr_t)vm->mem.kview;
    if (guest_mem_map_identity(&vm->mem) < 0) {
        snprintf(err, errlen, "cannot map guest RAM into the kernel view");
        return -1;
    }
    if (shadow_init(vm, vm->opt.emulate_page0, err, errlen) < 0 || bt_init(vm, err, errlen) < 0)
        return -1;
    return direct_init(vm, err, errlen);
}

static void bt_engine_destroy(struct vm *vm)
{
    direct_destroy(vm);
    bt_destroy(vm);
    shadow_destroy(vm);
}

/* No interrupt inside an interrupt shadow (the one-instruction step after
 * STI, MOV SS or POP SS) or while the debugger steps, as on QEMU. */
static void bt_interrupts(struct vm *vm)
{
    if (!vm->cpu.bt.single_step && !gdb_single_stepping(vm))
        interrupts(vm);
}

/* 16-bit code the translator does not take (bt_code16: a CS limit other
 * than 64 KiB or 4 GiB, CPL 3 outside virtual-8086 mode translated while
 * CR0.TS is set) is interpreted: the emulator, which decodes by CS.D,
 * runs them one instruction here, as many in a row as
 * run_interpreted_turn() allows per turn of the run loop, with
 * interrupts delivered in between, HLT, EFLAGS.TF and the debugger's
 * breakpoints and single steps as for translated code.  The emulator reads
 * guest memory itself (walking the guest's tables if paging is on), so the
 * shadow MMU's views are not entered. */
static void run_interpreted(struct vm *vm, bool gdb_step)
{
    struct vcpu *c = &vm->cpu;
    if (gdb_has_breakpoints(vm) && !c->bt.single_step && gdb_breakpoint_at(vm, vcpu_linear_ip(c))) {
        gdb_stop(vm, SIGTRAP);
        c->bt.single_step = true;   /* go past the breakpoint once */
        return;
    }
    struct tf_step tf = tf_step_begin(c);
    c->bt.exit_reason = EXIT_EMULATE;
    vm->stats.exits[EXIT_EMULATE & 15]++;
    /* After STI, MOV SS or POP SS the next instruction runs before any
     * interrupt (bt_interrupts skips while single_step is set). */
    c->bt.single_step = run_emulate(vm);
    tf_step_end(vm, &tf);
    if (gdb_step && !vm->stop && !gdb_check_watch(vm) && gdb_single_stepping(vm))
        gdb_stop(vm, SIGTRAP);
}

/* Does CS:EIP run interpreted (16-bit code the translator does not
 * take)?  *direct: it runs directly. */
static bool interpreted_here(struct vcpu *c, bool *direct)
{
    /* Direct execution runs 32-bit protected-mode ring 3 whatever its CS
     * (the host decodes a 16-bit code segment of its LDT mirror itself);
     * the translator takes 32-bit code, real mode, 16-bit code segments
     * at CPL 0 and virtual-8086 mode (bt_code16). */
    bool protected32 = (c->cr0 & CR0_PE) && !(c->eflags & FL_VM);
    *direct = protected32 && runs_directly(c);
    if (!*direct && bt_code16(c))
        return false;
    return !protected32 || (!*direct && !SEG_ATTR_DB(c->seg[S_CS].attr));
}

/*
 * Interpreted instructions in a row, at most, per turn of the run loop.
 * A turn costs more than an instruction (the device clock, the interrupt
 * controllers' state, the host timer), so the turn runs instructions
 * while nothing it does between them could act: the run goes on only
 * while the CPU stays interpreted, no event can have become deliverable
 * and the debugger does not look.  The bound keeps the loop's periodic
 * work (console input, the debugger's Ctrl-C) within some microseconds.
 */
#define INTERP_BATCH 256

/* May the instruction after the one just run go on in the same turn?
 * Not when it could be something the run loop has to act on first:
 *  - the run stops, halts, or a termination signal came;
 *  - the host timer fired: a device deadline passed (the timer is armed
 *    at the first of them, and at --time-limit) and its interrupt must be
 *    raised and delivered before the next instruction, as between turns;
 *  - a port or MMIO access: a device may have raised or lowered an
 *    interrupt line or moved its deadline;
 *  - interrupts became deliverable: IF (VIF) set by POPF or IRET, an IRET
 *    that unblocked a latched NMI, the local APIC switched by WRMSR;
 *  - an interrupt shadow (STI, MOV SS, POP SS) or EFLAGS.TF: those take
 *    the one-instruction path with its checks;
 *  - the CPU left interpreted code (the translator or direct execution
 *    takes over, with their own entry work). */
struct batch_mark {
    uint64_t io;
    uint64_t apic_base;
    bool vif;
};

static struct batch_mark batch_mark(struct vm *vm)
{
    return (struct batch_mark){ vm->io.accesses, vm->cpu.apic_base, vm->cpu.vif };
}

static bool batch_goes_on(struct vm *vm, const struct batch_mark *m)
{
    struct vcpu *c = &vm->cpu;
    bool direct;
    return !vm->stop && !vm->stop_signal && !c->halted && !c->bt.single_step && !(c->eflags & FL_TF) &&
           !host_timer_fired() && vm->io.accesses == m->io && c->apic_base == m->apic_base &&
           !(c->vif && !m->vif) && !(c->nmi_pending && !c->nmi_blocked) &&
           interpreted_here(c, &direct);
}

/* One turn of interpreted code: one instruction under the debugger, in an
 * interrupt shadow or with EFLAGS.TF set (each then gets the run loop's
 * checks), else up to INTERP_BATCH while batch_goes_on(). */
static void run_interpreted_turn(struct vm *vm)
{
    struct vcpu *c = &vm->cpu;
    bool gdb_step = gdb_single_stepping(vm) || gdb_watch_active(vm);
    bool one = gdb_step || gdb_has_breakpoints(vm) || c->bt.single_step || (c->eflags & FL_TF);
    host_timer_at(vm, run_next_deadline(vm));
    for (unsigned n = 0;;) {
        struct batch_mark m = batch_mark(vm);
        vm->stats.realmode_insns++;
        if (c->eflags & FL_VM)
            vm->stats.v86_insns++;
        run_interpreted(vm, gdb_step);
        if (one || ++n == INTERP_BATCH || !batch_goes_on(vm, &m))
            return;
    }
}

/* How many instructions run interpreted while the segments do not match
 * the cached translations before the cache is flushed for them. */
#define BT_KEY_GRACE 64

/* The time spent in real mode or 16-bit code (translated or interpreted), taken at the
 * switches in and out, where reading the clock costs nothing next to the
 * switch. */
static void realmode_clock(struct vm *vm, bool interpreted)
{
    struct vcpu *c = &vm->cpu;
    if (interpreted == (c->bt.realmode_since != 0))
        return;
    uint64_t now = host_now_ns();
    if (interpreted) {
        c->bt.realmode_since = now;
    } else {
        vm->stats.realmode_ns += now - c->bt.realmode_since;
        c->bt.realmode_since = 0;
    }
}

/* Guest code from CS:EIP until it returns to the monitor: directly at
 * ring 3, translated otherwise, interpreted where neither can run it;
 * then what its exit asks for. */
static void bt_run(struct vm *vm)
{
    struct vcpu *c = &vm->cpu;
    bool direct;
    bool interpreted = interpreted_here(c, &direct);
    bool code16 = bt_code16(c);
    if (direct && c->cpl == 3 && pg_watch_translate_here(vm)) {
        direct = false;             /* the SYSCALL guard's page: translated */
        vm->stats.direct_guard_translated++;
    }
    realmode_clock(vm, interpreted || code16);
    if (interpreted) {
        run_interpreted_turn(vm);
        return;
    }
    /* The debugger single-steps (or watches memory): one instruction.
     * Directly executed ring 3 is not translated, so with breakpoints
     * set it is stepped with TF and each instruction checked. */
    bool gdb_step = gdb_single_stepping(vm) || gdb_watch_active(vm);
    direct_privilege(vm);
    if (c->cpl == 3 || direct)
        shadow_user_enter(vm);
    if (direct && gdb_has_breakpoints(vm)) {
        if (!c->bt.single_step && gdb_breakpoint_at(vm, vcpu_linear_ip(c))) {
            gdb_stop(vm, SIGTRAP);
            c->bt.single_step = true;
            return;
        }
        gdb_step = true;
    }
    c->bt.single_step = c->bt.single_step && !direct;
    if (direct) {
        host_timer_at(vm, run_next_deadline(vm));
        run_direct(vm, gdb_step);
        if (gdb_step && c->bt.exit_reason != EXIT_POLL && !vm->stop && !gdb_check_watch(vm) &&
            gdb_single_stepping(vm))
            gdb_stop(vm, SIGTRAP);
        return;
    }
    if (c->cpl != 0 && c->cpl != 3) {
        vm_unsupported(vm, "guest code at CPL 1 or 2");
        return;
    }
    /* Segments that differ from what the cached translations assume (a
     * boot loader between its switch to protected mode and its segment
     * reloads, or on its way back to real mode): interpreted for a few
     * instructions first, so that such a stretch does not flush the whole
     * translation cache on the way in and again on the way out.  Code that
     * stays with other segments is flushed for after BT_KEY_GRACE. */
    if (!code16 && !bt_segments_match(vm) && c->bt.unkeyed_steps < BT_KEY_GRACE) {
        c->bt.unkeyed_steps++;
        vm->stats.bt_unkeyed_steps++;
        host_timer_at(vm, run_next_deadline(vm));
        run_interpreted(vm, gdb_step);
        return;
    }
    c->bt.unkeyed_steps = 0;
    /* Stop translated code at the next block boundary when an interrupt
     * may be deliverable, or after STI's shadow when one waits.  A
     * timer signal taken in the monitor since the last device tick
     * armed the poll page already: keep it armed, or that timer is
     * lost until the guest next exits for another reason (a spinning
     * ring 3, translated while CR0.TS is set, may not for long). */
    bool waiting = irq_intr_pending(vm);
    host_poll_arm(vm, host_timer_fired(), waiting && !c->vif);
    host_timer_at(vm, run_next_deadline(vm));

    bool stepping = c->bt.single_step;
    uint32_t step_eip = c->eip;
    struct tf_step tf = tf_step_begin(c);
    void *code = bt_find_or_translate(vm, c->bt.single_step || gdb_step || tf.on);
    c->bt.single_step = false;
    if (!code)
        return;                     /* an exception was raised, or stop */
    bt_prepare_segments(c);
    vm->stats.bt_entries++;
    if (c->cpl == 3) {
        vm->stats.ring3_translated_entries++;
        user_prefault(vm);
    }
    bt_enter(c, code);
    handle_exit(vm, &c->bt.single_step);
    tf_step_end(vm, &tf);
    /* A single step that took a hidden fault (say, remapping the code
     * page it writes to writable) has not run its instruction yet: step
     * again, or a normal translation would protect the page anew and the
     * write would fault forever. */
    if (stepping && c->bt.exit_reason == EXIT_EXCEPTION && c->eip == step_eip && !vm->stop)
        c->bt.single_step = true;
    if (gdb_step && c->bt.exit_reason != EXIT_POLL && c->bt.exit_reason != EXIT_DEBUG && !vm->stop &&
        !gdb_check_watch(vm) && gdb_single_stepping(vm))
        gdb_stop(vm, SIGTRAP);
}

/* A run that ends in real mode: its last stretch counts too. */
static void bt_finish(struct vm *vm)
{
    realmode_clock(vm, false);
}

const struct engine engine_bt = {
    .name = "bt",
    .create = bt_create,
    .poll = gdb_poll,
    .interrupts = bt_interrupts,
    .run = bt_run,
    .finish = bt_finish,
    .destroy = bt_engine_destroy,
};
