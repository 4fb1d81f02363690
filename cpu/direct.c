/*
 * cpu/direct.c - the direct-execution engine for guest ring 3.
 *
 * Guest user code runs unmodified in 32-bit compatibility mode at host CPL 3,
 * with its segments mirrored into the host LDT (modify_ldt) and its memory
 * in the user view: host virtual addresses [4 KiB, 4 GiB) (and page 0 where
 * vmm may map it, docs/direct.md) mirror guest linear addresses, holding only pages the guest's tables make
 * user-accessible (shadow_mmu/shadow.c fills them on demand).  Whatever the
 * guest does that needs the kernel traps: a page miss, a privileged
 * instruction (#GP), int n (#GP with the IDT error code, or SIGSYS for
 * int 0x80, which the host IDT allows), an FPU fault.  The signal handler
 * records the guest state and leaves through direct_exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <asm/ldt.h>
#include <asm/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "cpu/direct.h"
#include "cpu/segments.h"
#include "cpu/sandbox.h"
#include "cpu/host_clock.h"
#include "cpu/host.h"
#include "cpu/host_facts.h"
#include "cpu/machine.h"
#include "cpu/counters.h"
#include "shadow_mmu/guest_mem.h"

#define USER_VIEW_START 0x1000ull
#define USER_VIEW_END   (1ull << 32)
#define USER_GUARD_END  (USER_VIEW_END + KVIEW_GUARD_ABOVE)   /* as above a kernel view */
#define LDT_SLOTS 6

/* Order of struct direct_frame is fixed by cpu/direct_entry.S. */
struct direct_frame {
    uint64_t rip, cs, rflags, rsp, ss;
    uint64_t ds, es, fs, gs;
};

struct direct {
    struct user_desc ldt[LDT_SLOTS];   /* what the host LDT holds now */
    bool ldt_valid[LDT_SLOTS];
    uint16_t host_sel[S_NSEG];         /* host selector loaded for each guest segment */
    uint16_t mirror_sel[S_NSEG];       /* the selector that mirrors it (0: null) */
    bool resume;                       /* next run: DS..GS as the last one left them, */
    struct seg kept[S_NSEG];           /* unless the guest's state changed since */
    bool cpuid_faulting;               /* ring-3 CPUID traps to the monitor (trap_cpuid) */
    struct stats *stats;               /* the machine's counters, bumped at every entry */
};

/* The data segment registers the signal handler reports (c->ring3_sel). */
static const int seen_seg[4] = { S_DS, S_ES, S_FS, S_GS };

void direct_enter(struct vcpu *c, struct direct_frame *f);

volatile bool direct_active;

/* LDT slot of each guest segment register. */
static const int slot_of_seg[S_NSEG] = { [S_CS] = 0, [S_SS] = 1, [S_DS] = 2,
                                         [S_ES] = 3, [S_FS] = 4, [S_GS] = 5 };

bool direct_is_guest_cs(uint16_t cs)
{
    return cs == ((slot_of_seg[S_CS] << 3) | 7);
}

/*
 * CPUID is not privileged, so ring-3 code would see the host processor
 * instead of the virtual model (and a user program would pick, say, AVX
 * code paths the guest kernel never enabled or saves).  Where the host CPU
 * has CPUID faulting (Intel's MISC_FEATURES_ENABLES bit 0, which Linux
 * exposes per thread as ARCH_SET_CPUID), CPUID at CPL > 0 raises #GP: the
 * monitor's SIGSEGV path then hands it to the emulator like any other
 * sensitive instruction.  It stays on for the monitor's whole run: the
 * monitor itself executes no CPUID after start-up (glibc reads it once,
 * before main), and switching per entry would cost two system calls.
 * Without it the gap is listed in docs/popek-goldberg.md.
 */
static void trap_cpuid(struct direct *d)
{
    /* The host facts read CPUID themselves (vendor, hypervisor): take them
     * now, while it still runs, for everything that asks later. */
    host_facts();
    d->cpuid_faulting = syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) == 0;
}

int direct_init(struct vm *vm, char *err, unsigned long errlen)
{
    struct direct *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* [4 KiB, 4 GiB) is the guest's; the monitor (a PIE) and everything the
     * host maps for it lie far above.  Check that nothing is there, then
     * leave it empty: the user view maps pages into the hole
     * (shadow_mmu/hostmap.c says why not into a reservation). */
    void *p = mmap((void *)USER_VIEW_START, USER_VIEW_END - USER_VIEW_START, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)USER_VIEW_START) {
        snprintf(err, errlen, "cannot reserve host addresses below 4 GiB for the guest's user view");
        free(d);
        return -1;
    }
    munmap(p, USER_VIEW_END - USER_VIEW_START);
    /* Translated ring 3 (CR0.TS/EM set) reaches the user view as GS:[32-bit
     * offset] with GS = a segment base: base + offset can pass 4 GiB, and a
     * native REP MOVS/STOS runs up to 16 GiB further, so the addresses
     * above must fault, as the guard after a kernel view does
     * (shadow_mmu/guest_mem.h).  Below, host page 0 (mapped only as the
     * guest's own page 0, docs/direct.md) and then non-canonical addresses
     * fault by themselves. */
    p = mmap((void *)USER_VIEW_END, USER_GUARD_END - USER_VIEW_END, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)USER_VIEW_END) {
        snprintf(err, errlen, "cannot reserve host addresses [4 GiB, 24 GiB) as the user view's guard");
        free(d);
        return -1;
    }
    if (sandbox_trap_i386() < 0) {
        snprintf(err, errlen, "cannot install the seccomp filter: %s", strerror(errno));
        free(d);
        return -1;
    }
    d->stats = vm_stats(vm);
    *vm_direct(vm) = d;
    trap_cpuid(d);
    return 0;
}

void direct_destroy(struct vm *vm)
{
    free(*vm_direct(vm));
    *vm_direct(vm) = NULL;
}

/* Mirror one guest segment into its LDT slot; returns the host selector. */
static uint16_t mirror_segment(struct direct *d, const struct seg *s, int slot)
{
    if ((s->sel & ~3u) == 0 || !SEG_ATTR_P(s->attr))
        return 0;                                  /* null: faults as the guest's would */
    bool code = s->attr & 8;
    struct user_desc u = {
        .entry_number = (unsigned)slot,
        .base_addr = s->base,
        .limit = SEG_ATTR_G(s->attr) ? s->limit >> 12 : s->limit,
        .seg_32bit = SEG_ATTR_DB(s->attr),
        .contents = code ? 2 : ((s->attr & 4) ? 1 : 0),
        .read_exec_only = code ? !(s->attr & 2) : !(s->attr & 2),
        .limit_in_pages = SEG_ATTR_G(s->attr),
        .seg_not_present = 0,
        .useable = 1,
    };
    if (!d->ldt_valid[slot] || memcmp(&d->ldt[slot], &u, sizeof u) != 0) {
        if (syscall(SYS_modify_ldt, 1, &u, sizeof u) != 0)
            return 0;
        d->ldt[slot] = u;
        d->ldt_valid[slot] = true;
    }
    return (uint16_t)((slot << 3) | 7);
}

/* The guest's EFLAGS as the host will run them: IF always on (the guest's
 * IF is virtual and, at CPL 3, cannot be changed by the guest anyway),
 * IOPL 0 so that CLI/STI/IN/OUT trap. */
static uint64_t host_rflags(const struct vcpu *c)
{
    uint32_t g = vcpu_get_eflags(c);
    return (g & (FL_ARITH | FL_DF | FL_TF | FL_NT | FL_AC | FL_ID)) | FL_IF | FL_FIXED;
}

/* Would the host load sel into DS..GS at CPL 3 now?  The guest loaded it
 * itself earlier, but the LDT slot it names may have been rewritten since
 * (mirror_segment) into one that cannot be loaded there (an execute-only
 * code segment): loading it on the way in would fault in the monitor.
 * VERR asks the processor exactly that (every mirrored slot is present). */
static bool host_loadable(uint16_t sel)
{
    uint8_t ok;
    if ((sel & ~3u) == 0)
        return true;
    asm volatile("verr %1; setz %0" : "=q"(ok) : "r"(sel) : "cc");
    return ok;
}

void direct_run(struct vm *vm, bool step)
{
    struct vcpu *c = vm_cpu(vm);
    struct direct *d = *vm_direct(vm);
    for (int s = 0; s < S_NSEG; s++)
        d->host_sel[s] = d->mirror_sel[s] = mirror_segment(d, &c->seg[s], slot_of_seg[s]);
    if (d->resume)
        for (int i = 0; i < 4; i++)
            if (!memcmp(&d->kept[seen_seg[i]], &c->seg[seen_seg[i]], sizeof(struct seg)) &&
                host_loadable(c->bt.ring3_sel[i]))
                d->host_sel[seen_seg[i]] = c->bt.ring3_sel[i];
    d->resume = false;
    if (!d->host_sel[S_CS] || !d->host_sel[S_SS]) {
        vm_unsupported(vm, "ring-3 code or stack segment that cannot be mirrored in the host LDT");
        return;
    }
    struct direct_frame f = {
        .rip = c->eip, .cs = d->host_sel[S_CS], .rflags = host_rflags(c) | (step ? FL_TF : 0),
        .rsp = c->gpr[R_ESP], .ss = d->host_sel[S_SS],
        .ds = d->host_sel[S_DS], .es = d->host_sel[S_ES],
        .fs = d->host_sel[S_FS], .gs = d->host_sel[S_GS],
    };
    /* A timer signal taken in the monitor since the run loop's last tick
     * only armed the poll page, which ring 3 never reads: entering now
     * would leave the timer unserved until ring 3 next traps.  Back to the
     * loop instead.  One that comes after this check, before the IRETQ,
     * sees direct_active and re-arms the host timer (cpu/host.c). */
    direct_active = true;
    if (host_timer_fired()) {
        direct_active = false;
        c->bt.exit_reason = EXIT_POLL;
        for (int i = 0; i < 4; i++)
            c->bt.ring3_sel[i] = d->host_sel[seen_seg[i]];
        return;
    }
    d->stats->direct_entries++;
    /* CR0.TS and EM are clear here: the host FPU cannot be made to raise
     * #NM for directly executed code, so with either set ring 3 is
     * translated instead (monitor/run_direct.c, runs_directly()). */
    /* RDTSC must give ring 3 the guest's TSC (cpu/cpuid.c), not the
     * host's: it traps while guest user code runs, and stays trapping
     * until the monitor next reads its clock (cpu/host_clock.h). */
    host_tsc_trap();
    direct_enter(c, &f);
    direct_active = false;
    host_gs_forget(c);              /* guest code loaded GS with its own selector */
}

bool direct_take_segments(struct vm *vm)
{
    struct vcpu *c = vm_cpu(vm);
    struct direct *d = *vm_direct(vm);
    bool changed = false;
    for (int i = 0; i < 4; i++) {
        int s = seen_seg[i];
        if (c->bt.ring3_sel[i] != d->mirror_sel[s]) {
            int vec;
            uint32_t err;
            if (seg_load_data(c, s, c->bt.ring3_sel[i], &vec, &err) < 0)
                seg_set_raw(&c->seg[s], 0, 0, 0, 0);
            changed = true;
        }
    }
    return changed;
}

void direct_keep_segments(struct vm *vm)
{
    struct direct *d = *vm_direct(vm);
    d->resume = true;
    memcpy(d->kept, vm_cpu(vm)->seg, sizeof d->kept);
}
