/*
 * monitor/run_ring3.c - guest ring 3 for the run loop (monitor/run.c):
 * whether it runs directly or translated, the direct run and what its exits
 * become in the guest (system calls, exceptions, user-view misses), and the
 * user-view misses of translated ring 3.
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

/* (monitor/run_internal.h) */
enum shadow_result user_view_fault(struct vm *vm, uint32_t lin, bool write, uint32_t *pa)
{
    struct vcpu *c = &vm->cpu;
    uint32_t err;
    enum shadow_result r = shadow_user_fault(vm, lin, write, pa, &err);
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
    if (c->exc_vector == 0x80) {                /* int 0x80, EIP after it */
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
    switch (c->exc_vector) {
    case EXC_PF:
        switch (user_view_fault(vm, (uint32_t)c->exit_arg, c->exc_error & 2, &pa)) {
        case SHADOW_FIXED:
        case SHADOW_GUEST_PF:
            return;
        case SHADOW_SMC:
            /* A write to a page holding translations (ring-3 ones made
             * while CR0.TS was set, or the kernel's): drop them; the retry
             * maps the page writable.  No emulator, which does not know
             * every instruction a user program may store with (SSE). */
            vm->stats.bt_smc_faults++;
            bt_invalidate_page(vm, pa);
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
        run_emulate_as(vm, c->exc_vector == EXC_GP && c->exc_error == 0);
        return;
    case EXC_UD:
        if (ud_is_sysenter(vm)) {
            vm->stats.direct_sysenter_ud++;
            c->exc_vector = -1;
            user_syscall(vm);
            return;
        }
        cpu_raise(c, EXC_UD, 0);
        return;
    case EXC_BP:
    case EXC_OF:                    /* INT3 / INTO: traps, EIP is past them */
        cpu_deliver(c, c->exc_vector, EV_SOFTINT, false, 0);
        return;
    case EXC_DB:                    /* single step (TF): a trap */
        c->dr[6] |= DR6_BS;
        cpu_deliver(c, EXC_DB, EV_EXCEPTION, false, 0);
        return;
    default:
        cpu_raise(c, c->exc_vector == EXC_XM ? fpu_simd_fp_vector(c->cr4) : c->exc_vector,
                  c->exc_error);
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
 */
bool ring3_direct(const struct vcpu *c)
{
    bool translate = (c->cr0 & (CR0_TS | CR0_EM)) || c->vm->opt.translate_ring3 ||
                     !host_plan()->ring3_direct;
    return c->cpl == 3 && !translate;
}

void run_ring3(struct vm *vm, bool step)
{
    struct vcpu *c = &vm->cpu;
    bool guest_tf = c->eflags & FL_TF;
    user_prefault(vm);
    bool reloaded = direct_run(vm, step);
    if (vm->stop)
        return;
    /* e.g. glibc's `mov gs, ax` with its TLS selector: the host gave GS its
     * own descriptor, the first gs: access faulted; now GS mirrors the
     * guest's descriptor, so run the instruction again. */
    if (reloaded && c->exit_reason == EXIT_EXCEPTION &&
        (c->exc_vector == EXC_PF || c->exc_vector == EXC_GP)) {
        vm->stats.direct_segment_reloads++;
        return;
    }
    vm->stats.exits[c->exit_reason & 15]++;
    if (vm->opt.trace)
        fprintf(stderr, "[ring3] %s vector %d error %#x at %04x:%08x (arg %#llx) eax=%08x%s\n",
                stats_exit_name((int)c->exit_reason), c->exc_vector, c->exc_error, c->seg[S_CS].sel,
                c->eip, (unsigned long long)c->exit_arg, c->gpr[R_EAX],
                reloaded ? " (user code loaded a segment register)" : "");
    if (step && !guest_tf && c->exit_reason == EXIT_EXCEPTION && c->exc_vector == EXC_DB) {
        c->eflags &= ~FL_TF;        /* the debugger's step, not the guest's */
        return;
    }
    if (c->exit_reason == EXIT_SYSCALL)
        user_syscall(vm);
    else if (c->exit_reason == EXIT_EXCEPTION)
        user_exception(vm);
}

