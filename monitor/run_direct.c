/*
 * monitor/run_direct.c - guest code run directly on the host CPU, for the
 * run loop (monitor/run.c): ring 3 (unless translated), and ring 0 too
 * under --ring0=direct, the classic trap-and-emulate monitor kept for
 * teaching.  Which code runs directly, the direct run and what its exits
 * become in the guest (system calls, exceptions, user-view misses), and
 * the user-view misses of translated ring 3.
 *
 * Ring 0 run directly is deprivileged exactly as ring 3 is: host CPL 3,
 * its segments mirrored into the host LDT, IF and IOPL virtual.  What
 * traps (CLI, STI, HLT, IN/OUT, MOV CRn, LGDT, INVLPG, INT n, ...) goes to
 * the emulator at the guest's CPL 0 and is done right; what does not trap
 * runs with the host's answer, and the silent-instruction watch
 * (monitor/pg_watch.h) records each such site.  Both privileges share
 * the host range of the user view, so each change from one to the other
 * empties it (shadow_user_flush): a supervisor page must not stay
 * reachable by guest ring 3.
 */
#include <signal.h>
#include <stdio.h>
#include "monitor/run_internal.h"
#include "monitor/vm.h"
#include "bt/bt.h"
#include "cpu/direct.h"
#include "cpu/segments.h"
#include "cpu/exceptions.h"
#include "cpu/fpu.h"
#include "cpu/emulate.h"
#include "cpu/host_facts.h"
#include "shadow_mmu/shadow.h"
#include "shadow_mmu/mmu.h"
#include "monitor/pg_watch.h"

/* (monitor/run_internal.h) */
enum shadow_result user_view_fault(struct vm *vm, uint32_t lin, bool write, uint32_t *pa)
{
    struct vcpu *c = &vm->cpu;
    uint32_t err;
    enum shadow_result r = shadow_direct_fault(vm, lin, write, c->cpl < 3, pa, &err);
    if (r == SHADOW_GUEST_PF) {
        c->cr2 = lin;
        cpu_raise(c, EXC_PF, err);
        vm->user_pf.pending = true;
        vm->user_pf.lin = c->cr2;
        vm->user_pf.cr3 = c->cr3;
    }
    return r;
}

/* Before ring 3 runs again after a #PF it took: map the page now if the
 * guest's handler made it present (one host fault less). */
void user_prefault(struct vm *vm)
{
    if (vm->user_pf.pending) {
        vm->user_pf.pending = false;
        if (vm->user_pf.cr3 == vm->cpu.cr3)
            shadow_user_prefault(vm, vm->user_pf.lin);
    }
}

/* int 0x80 or SYSENTER from directly executed ring 3 (cpu/host.c says
 * which, on either vendor); for int 0x80 EIP is after the instruction. */
static void user_syscall(struct vm *vm)
{
    struct vcpu *c = &vm->cpu;
    if (c->bt.exc_vector == 0x80) {                /* int 0x80, EIP after it */
        cpu_soft_int(c, 0x80, c->eip - 2);
        return;
    }
    /* SYSENTER: EIP/ESP of the caller are not saved by the processor, so
     * their loss here is what hardware does. */
    if (!cpu_sysenter(c))
        cpu_raise(c, EXC_GP, 0);
}

/* A #UD from directly executed ring 3 may be the guest's SYSENTER: AMD
 * processors raise #UD for it in compatibility mode (cpu/host_facts.h). */
static bool ud_is_sysenter(struct vm *vm)
{
    struct vcpu *c = &vm->cpu;
    uint8_t insn[2];
    struct mmu_fault f;
    if (mmu_read(c, c->seg[S_CS].base + c->eip, insn, 2, ACC_READ | ACC_USER | ACC_NOSET, &f) !=
        MMU_OK)
        return false;
    return host_ring3_event(host_plan(), SIGILL, false, insn) == R3_SYSENTER;
}

static void user_exception(struct vm *vm)
{
    struct vcpu *c = &vm->cpu;
    uint32_t pa;
    switch (c->bt.exc_vector) {
    case EXC_PF:
        /* A fetch from a page not yet decoded for the watch, or one left
         * by a single-stepped page: the watch decides how it runs. */
        if (vm->pg && (c->bt.exc_error & PFERR_ID) && pg_watch_fetch_fault(vm, (uint32_t)c->bt.exit_arg))
            return;
        switch (user_view_fault(vm, (uint32_t)c->bt.exit_arg, c->bt.exc_error & 2, &pa)) {
        case SHADOW_FIXED:
        case SHADOW_GUEST_PF:
            return;
        case SHADOW_SMC:
            /* A write to a page holding translations (ring-3 ones made
             * while CR0.TS was set, or the kernel's): drop them; the retry
             * maps the page writable.  No emulator, which does not know
             * every instruction a user program may store with (SSE). */
            run_code_written(vm, pa);
            return;
        case SHADOW_DISCARD:        /* BIOS shadow RAM sent to the ROM: the write dropped */
            run_emulate(vm);
            return;
        default:                    /* device memory or page 0: one access emulated */
            vm->stats.mmio_accesses++;
            run_emulate(vm);
            return;
        }
    case EXC_GP:
    case EXC_TS:
    case EXC_NP:
    case EXC_SS:
        /* Privileged or sensitive instructions (CLI, HLT, IN/OUT, INT n,
         * SGDT/SIDT under UMIP, segment loads): the emulator applies the
         * guest's rules at CPL 3 and raises what the guest must see.  A
         * #GP(0) on an instruction it has no handler for came from the
         * guest's operand (a misaligned FXSAVE area): the guest's #GP(0). */
        run_emulate_as(vm, c->bt.exc_vector == EXC_GP && c->bt.exc_error == 0);
        return;
    case EXC_UD:
        if (ud_is_sysenter(vm)) {
            vm->stats.direct_sysenter_ud++;
            c->bt.exc_vector = -1;
            user_syscall(vm);
            return;
        }
        cpu_raise(c, EXC_UD, 0);
        return;
    case EXC_BP:
    case EXC_OF:                    /* INT3 / INTO: traps, EIP is past them */
        cpu_deliver(c, c->bt.exc_vector, EV_SOFTINT, false, 0);
        return;
    case EXC_DB:                    /* single step (TF): a trap */
        c->dr[6] |= DR6_BS;
        cpu_deliver(c, EXC_DB, EV_EXCEPTION, false, 0);
        return;
    default:
        cpu_raise(c, c->bt.exc_vector == EXC_XM ? fpu_simd_fp_vector(c->cr4) : c->bt.exc_vector,
                  c->bt.exc_error);
    }
}

/*
 * Ring 3 runs directly unless the guest's CR0.TS or CR0.EM is set: then an
 * FPU, MMX or SSE instruction must raise #NM (or #UD), which the host FPU
 * cannot be made to do for directly executed code, so ring 3 is translated
 * (bt_user_mode) until it leaves for the kernel, whose CLTS and IRET bring
 * it back here with TS clear.  --translate-ring3 translates it always.
 * Guest TF is then single-stepped by the run loop (monitor/run.c), as in
 * ring 0.  On a host that cannot run 32-bit user code at all
 * (cpu/host_facts.h) ring 3 is always translated.
 * Under --ring0=direct, protected-mode code at CPL 0 to 2 runs directly
 * whatever CR0.TS says: the naive monitor cannot make the FPU trap
 * either, one more of its silent failures.
 */
bool runs_directly(const struct vcpu *c)
{
    if (!host_plan()->ring3_direct || (c->eflags & FL_VM))
        return false;
    if (c->cpl < 3)
        return c->vm->opt.ring0_direct && (c->cr0 & CR0_PE);
    return !(c->cr0 & (CR0_TS | CR0_EM)) && !c->vm->opt.translate_ring3;
}

/* Guest ring 0 under --ring0=direct and guest ring 3 share the user view:
 * empty it at each change from one to the other, before the user view is
 * entered for the new one. */
void direct_privilege(struct vm *vm)
{
    uint8_t priv = vm->cpu.cpl == 3 ? 2 : 1;
    if (vm->opt.ring0_direct && priv != vm->view_priv) {
        shadow_user_flush(vm);
        vm->view_priv = priv;
    }
}

void run_direct(struct vm *vm, bool step)
{
    struct vcpu *c = &vm->cpu;
    bool guest_tf = c->eflags & FL_TF;
    user_prefault(vm);
    struct pg_step ps = { .kind = 0 };
    bool watch_step = vm->pg && pg_watch_begin(vm, &ps);
    if (ps.raise_ud) {
        /* A SYSCALL the host must not run (monitor/pg_watch.h, the guard):
         * the model's #UD at it, every register as it was. */
        vm->stats.direct_syscall_ud++;
        cpu_raise(c, EXC_UD, 0);
        return;
    }
    direct_run(vm, step || watch_step);
    if (vm->stop)
        return;
    if ((step || watch_step) && !guest_tf)
        c->eflags &= ~FL_TF;        /* the debugger's or the watch's step, not the guest's */
    /* A selector the guest loaded itself stays as the host took it across
     * a step of the watch, which is no exit of the monitor being watched,
     * and across every exit of the naive one (--ring0=direct). */
    bool observed = watch_step && !guest_tf && c->bt.exit_reason == EXIT_EXCEPTION &&
                    c->bt.exc_vector == EXC_DB;
    bool reloaded = false;
    if (observed || vm->opt.ring0_direct)
        direct_keep_segments(vm);
    else
        reloaded = direct_take_segments(vm);
    if (watch_step) {
        pg_watch_end(vm, &ps);
        step = true;                /* the #DB of this step is the watch's */
    }
    /* e.g. glibc's `mov gs, ax` with its TLS selector: the host gave GS its
     * own descriptor, the first gs: access faulted; now GS mirrors the
     * guest's descriptor, so run the instruction again. */
    if (reloaded && c->bt.exit_reason == EXIT_EXCEPTION &&
        (c->bt.exc_vector == EXC_PF || c->bt.exc_vector == EXC_GP)) {
        vm->stats.direct_segment_reloads++;
        return;
    }
    vm->stats.exits[c->bt.exit_reason & 15]++;
    if (vm->opt.trace)
        fprintf(stderr, "[direct] %s vector %d error %#x at %04x:%08x (arg %#llx) eax=%08x%s\n",
                stats_exit_name((int)c->bt.exit_reason), c->bt.exc_vector, c->bt.exc_error, c->seg[S_CS].sel,
                c->eip, (unsigned long long)c->bt.exit_arg, c->gpr[R_EAX],
                reloaded ? " (user code loaded a segment register)" : "");
    if (step && !guest_tf && c->bt.exit_reason == EXIT_EXCEPTION && c->bt.exc_vector == EXC_DB)
        return;
    if (c->bt.exit_reason == EXIT_SYSCALL)
        user_syscall(vm);
    else if (c->bt.exit_reason == EXIT_EXCEPTION)
        user_exception(vm);
}

