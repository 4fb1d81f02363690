/*
 * cpu/kvm.c - the /dev/kvm interface of the hardware-virtualization engine
 * (see cpu/kvm.h): one VM, one vCPU, guest RAM as one memory slot, the
 * model's CPUID, and the translation between struct vcpu and KVM's
 * register structures.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "cpu/kvm.h"
#include "cpu/cpuid.h"

/* Where KVM may put the three pages VMX needs for its real-mode TSS
 * (ignored on AMD): just below the BIOS area at the top of 4 GiB, where a
 * PC has no RAM, as QEMU does. */
#define KVM_TSS_ADDR 0xFFFBD000u

static int open_kvm(char *err, size_t errlen)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "/dev/kvm: %s", strerror(errno));
        return -1;
    }
    int api = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION) {
        snprintf(err, errlen, "/dev/kvm: API version %d, vmm needs %d", api, KVM_API_VERSION);
        close(fd);
        return -1;
    }
    return fd;
}

/* A VM with one vCPU and one memory slot [0, size) backed by `mem`. */
static int make_vm(struct kvm_vm *k, void *mem, uint64_t size, char *err, size_t errlen)
{
    k->vm_fd = k->vcpu_fd = -1;
    k->run = NULL;
    k->sys_fd = open_kvm(err, errlen);
    if (k->sys_fd < 0)
        return -1;
    k->vm_fd = ioctl(k->sys_fd, KVM_CREATE_VM, 0);
    if (k->vm_fd < 0) {
        snprintf(err, errlen, "/dev/kvm: cannot create a VM: %s", strerror(errno));
        return -1;
    }
    /* Intel's VMX runs guest real mode through a TSS of its own: KVM must
     * be told where (harmless on AMD, where the call still succeeds). */
    ioctl(k->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR);
    struct kvm_userspace_memory_region slot = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)mem,
    };
    if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
        snprintf(err, errlen, "/dev/kvm: cannot map guest RAM: %s", strerror(errno));
        return -1;
    }
    k->vcpu_fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, 0);
    int sz = ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (k->vcpu_fd < 0 || sz <= 0) {
        snprintf(err, errlen, "/dev/kvm: cannot create a vCPU: %s", strerror(errno));
        return -1;
    }
    void *run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu_fd, 0);
    if (run == MAP_FAILED) {
        snprintf(err, errlen, "/dev/kvm: cannot map the vCPU's run page: %s", strerror(errno));
        return -1;
    }
    k->run = run;
    k->run_size = (size_t)sz;
    return 0;
}

void kvm_destroy(struct kvm_vm *k)
{
    if (k->run)
        munmap(k->run, k->run_size);
    if (k->vcpu_fd >= 0)
        close(k->vcpu_fd);
    if (k->vm_fd >= 0)
        close(k->vm_fd);
    if (k->sys_fd >= 0)
        close(k->sys_fd);
    k->run = NULL;
    k->sys_fd = k->vm_fd = k->vcpu_fd = -1;
}

/* ---- struct vcpu <-> KVM -------------------------------------------------- */

static struct kvm_segment to_kvm_seg(const struct seg *s)
{
    uint16_t a = s->attr;
    return (struct kvm_segment){
        .base = s->base, .limit = s->limit, .selector = s->sel,
        .type = SEG_ATTR_TYPE(a), .s = SEG_ATTR_S(a), .dpl = SEG_ATTR_DPL(a),
        .present = SEG_ATTR_P(a), .avl = (a >> 12) & 1, .l = (a >> 13) & 1,
        .db = SEG_ATTR_DB(a), .g = SEG_ATTR_G(a),
        /* A null data selector loaded in protected mode leaves the
         * register unusable (VMX says so explicitly; SVM ignores it). */
        .unusable = !SEG_ATTR_P(a),
    };
}

static void from_kvm_seg(struct seg *s, const struct kvm_segment *k)
{
    s->sel = k->selector;
    s->base = (uint32_t)k->base;
    s->limit = k->limit;
    s->attr = (uint16_t)(k->type | k->s << 4 | k->dpl << 5 | k->present << 7 |
                         k->avl << 12 | k->l << 13 | k->db << 14 | k->g << 15);
    if (k->unusable)
        s->attr &= (uint16_t)~0x80;
}

/*
 * The model's MSRs that KVM keeps for the guest: SYSENTER's three, PAT, the
 * MTRRs the loaders set as a BIOS leaves them (docs/devices.md),
 * MISC_ENABLE.  Their values go through the model's own RDMSR and WRMSR
 * (cpu/cpuid.c), the one place that knows where each lives in struct vcpu.
 */
static const uint32_t kvm_msr_index[] = {
    0x174, 0x175, 0x176, 0x277, 0x2FF,
    0x250, 0x258, 0x259, 0x268, 0x269, 0x26A, 0x26B, 0x26C, 0x26D, 0x26E, 0x26F,
    0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207,
    0x208, 0x209, 0x20A, 0x20B, 0x20C, 0x20D, 0x20E, 0x20F, 0x1A0,
};
#define N_MSRS ((int)(sizeof kvm_msr_index / sizeof kvm_msr_index[0]))

static int msrs(struct kvm_vm *k, struct vcpu *c, bool put)
{
    struct {
        struct kvm_msrs h;
        struct kvm_msr_entry e[N_MSRS];
    } m;
    memset(&m, 0, sizeof m);
    m.h.nmsrs = N_MSRS;
    for (int i = 0; i < N_MSRS; i++) {
        uint64_t v = 0;
        if (put && cpu_rdmsr(c, kvm_msr_index[i], &v) < 0)
            return -1;
        m.e[i] = (struct kvm_msr_entry){ .index = kvm_msr_index[i], .data = v };
    }
    if (put)
        return ioctl(k->vcpu_fd, KVM_SET_MSRS, &m) == N_MSRS ? 0 : -1;
    if (ioctl(k->vcpu_fd, KVM_GET_MSRS, &m) != N_MSRS)
        return -1;
    for (int i = 0; i < N_MSRS; i++)
        if (cpu_wrmsr(c, kvm_msr_index[i], m.e[i].data) < 0)
            return -1;
    return 0;
}

void kvm_state_from_x86(const struct x86_state *c, struct kvm_regs *r, struct kvm_sregs *s)
{
    *r = (struct kvm_regs){
        .rax = c->gpr[R_EAX], .rcx = c->gpr[R_ECX], .rdx = c->gpr[R_EDX], .rbx = c->gpr[R_EBX],
        .rsp = c->gpr[R_ESP], .rbp = c->gpr[R_EBP], .rsi = c->gpr[R_ESI], .rdi = c->gpr[R_EDI],
        .rip = c->eip, .rflags = x86_get_eflags(c),
    };
    struct kvm_segment *segs[S_NSEG] = { &s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs };
    for (int i = 0; i < S_NSEG; i++)
        *segs[i] = to_kvm_seg(&c->seg[i]);
    s->ldt = to_kvm_seg(&c->ldtr);
    s->tr = to_kvm_seg(&c->tr);
    /* Entry checks want a usable busy TSS in TR even before the guest
     * loads one (SDM vol. 3C 26.3.1.2); nothing reads it until LTR. */
    if (!s->tr.present || (s->tr.type != 3 && s->tr.type != 11))
        s->tr = (struct kvm_segment){ .limit = 0xFFFF, .type = 11, .present = 1 };
    s->gdt = (struct kvm_dtable){ .base = c->gdtr.base, .limit = c->gdtr.limit };
    s->idt = (struct kvm_dtable){ .base = c->idtr.base, .limit = c->idtr.limit };
    s->cr0 = c->cr0 | CR0_ET;           /* hardwired to 1 since the i486 */
    s->cr2 = c->cr2;
    s->cr3 = c->cr3;
    s->cr4 = c->cr4;
    s->efer = c->efer;
    s->apic_base = c->apic_base;
    memset(s->interrupt_bitmap, 0, sizeof s->interrupt_bitmap);
}

void kvm_state_to_x86(struct x86_state *c, const struct kvm_regs *r, const struct kvm_sregs *s)
{
    uint64_t g[8] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi };
    for (int i = 0; i < 8; i++)
        c->gpr[i] = (uint32_t)g[i];
    c->eip = (uint32_t)r->rip;
    x86_set_eflags(c, (uint32_t)r->rflags);
    const struct kvm_segment *segs[S_NSEG] = { &s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs };
    for (int i = 0; i < S_NSEG; i++)
        from_kvm_seg(&c->seg[i], segs[i]);
    from_kvm_seg(&c->ldtr, &s->ldt);
    from_kvm_seg(&c->tr, &s->tr);
    c->gdtr = (struct dtr){ (uint32_t)s->gdt.base, s->gdt.limit };
    c->idtr = (struct dtr){ (uint32_t)s->idt.base, s->idt.limit };
    c->cr0 = (uint32_t)s->cr0;
    c->cr2 = (uint32_t)s->cr2;
    c->cr3 = (uint32_t)s->cr3;
    c->cr4 = (uint32_t)s->cr4;
    c->efer = s->efer;
    c->apic_base = s->apic_base;
    c->cpl = SEG_ATTR_DPL(c->seg[S_SS].attr);   /* SS.DPL is the CPL (SDM vol. 3A 5.5) */
}

int kvm_put_state(struct kvm_vm *k, struct vcpu *c)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    kvm_state_from_x86(&c->arch, &r, &s);
    if (ioctl(k->vcpu_fd, KVM_SET_SREGS, &s) < 0 || ioctl(k->vcpu_fd, KVM_SET_REGS, &r) < 0)
        return -1;
    return msrs(k, c, true);
}

int kvm_get_state(struct kvm_vm *k, struct vcpu *c)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    if (ioctl(k->vcpu_fd, KVM_GET_REGS, &r) < 0 || ioctl(k->vcpu_fd, KVM_GET_SREGS, &s) < 0)
        return -1;
    kvm_state_to_x86(&c->arch, &r, &s);
    return msrs(k, c, false);
}

static const char kvm_brand[48] = "vmm virtual CPU (KVM)";

/* (cpu/kvm.h) */
int kvm_cpuid_table(struct vcpu *c, struct kvm_cpuid_entry2 *e, int max)
{
    uint32_t out[4];
    int n = 0;
    uint32_t ranges[2] = { 0, 0x80000000u };
    for (int r = 0; r < 2; r++) {
        cpu_cpuid(c, ranges[r], 0, out);
        uint32_t last = out[0];
        if (last < ranges[r] || last > ranges[r] + 0x20)
            last = ranges[r];
        for (uint32_t leaf = ranges[r]; leaf <= last && n < max; leaf++) {
            bool indexed = leaf == 4 || leaf == 7 || leaf == 0xB || leaf == 0xD;
            for (uint32_t sub = 0; sub < (indexed ? 4u : 1u) && n < max; sub++) {
                cpu_cpuid(c, leaf, sub, out);
                /* KVM refuses a linear-address width other than 48 or 57
                 * bits (arch/x86/kvm/cpuid.c, kvm_check_cpuid); the model's
                 * 32 cannot be given, and a 32-bit guest has no use for it. */
                if (leaf == 0x80000008u)
                    out[0] = (out[0] & ~0xFF00u) | 48u << 8;
                /* The brand string names the engine, as the translator's does. */
                if (leaf >= 0x80000002u && leaf <= 0x80000004u)
                    memcpy(out, kvm_brand + (leaf - 0x80000002u) * 16, 16);
                e[n++] = (struct kvm_cpuid_entry2){
                    .function = leaf, .index = sub,
                    .flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
                    .eax = out[0], .ebx = out[1], .ecx = out[2], .edx = out[3],
                };
            }
        }
    }
    return n;
}

static int set_cpuid(struct kvm_vm *k, struct vcpu *c)
{
    enum { MAX = 64 };
    struct {
        struct kvm_cpuid2 h;
        struct kvm_cpuid_entry2 e[MAX];
    } t;
    memset(&t, 0, sizeof t);
    t.h.nent = (uint32_t)kvm_cpuid_table(c, t.e, MAX);
    return ioctl(k->vcpu_fd, KVM_SET_CPUID2, &t);
}

int kvm_create(struct kvm_vm *k, struct vcpu *c, void *ram, uint64_t ram_size,
               char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    if (make_vm(k, ram, ram_size, err, errlen) < 0) {
        kvm_destroy(k);
        return -1;
    }
    if (set_cpuid(k, c) < 0) {
        snprintf(err, errlen, "/dev/kvm: the CPU model's CPUID was refused: %s", strerror(errno));
        kvm_destroy(k);
        return -1;
    }
    /* The model's TSC counts at VCPU_TSC_HZ (cpu/cpuid.h); KVM's counts at
     * the host's rate unless the host can scale it (VT-x TSC scaling,
     * AMD-V's TSC ratio MSR). */
    k->tsc_khz = ioctl(k->vcpu_fd, KVM_GET_TSC_KHZ, 0);
    if (ioctl(k->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL) > 0 &&
        ioctl(k->vcpu_fd, KVM_SET_TSC_KHZ, (unsigned long)(VCPU_TSC_HZ / 1000)) == 0)
        k->tsc_khz = (int)(VCPU_TSC_HZ / 1000);
    if (kvm_put_state(k, c) < 0) {
        snprintf(err, errlen, "/dev/kvm: the initial CPU state was refused: %s", strerror(errno));
        kvm_destroy(k);
        return -1;
    }
    return 0;
}

/* ---- running ----------------------------------------------------------- */

int kvm_enter(struct kvm_vm *k)
{
    int r = ioctl(k->vcpu_fd, KVM_RUN, 0);
    k->run->immediate_exit = 0;
    if (r < 0 && errno == EINTR) {
        k->run->exit_reason = KVM_EXIT_INTR;
        return 0;
    }
    return r < 0 ? -1 : 0;
}

volatile uint8_t *kvm_kick_byte(struct kvm_vm *k)
{
    return &k->run->immediate_exit;
}

int kvm_interrupt(struct kvm_vm *k, int vector)
{
    struct kvm_interrupt irq = { .irq = (uint32_t)vector };
    return ioctl(k->vcpu_fd, KVM_INTERRUPT, &irq);
}

int kvm_nmi(struct kvm_vm *k)
{
    return ioctl(k->vcpu_fd, KVM_NMI, 0);
}

int kvm_set_debug(struct kvm_vm *k, bool single_step)
{
    struct kvm_guest_debug d = { 0 };
    if (single_step)
        d.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
    /* KVM sets the trap flag for a step only while RIP is where it was at
     * this call (arch/x86/kvm/x86.c, singlestep_rip), and KVM_SET_REGS
     * elsewhere drops it: each step is asked for again. */
    if (d.control == k->guest_debug && !single_step)
        return 0;
    if (ioctl(k->vcpu_fd, KVM_SET_GUEST_DEBUG, &d) < 0)
        return -1;
    k->guest_debug = d.control;
    return 0;
}

const char *kvm_exit_name(uint32_t reason)
{
    static const char *const names[KVM_EXIT_NAMES] = {
        [KVM_EXIT_UNKNOWN] = "unknown", [KVM_EXIT_EXCEPTION] = "exception",
        [KVM_EXIT_IO] = "io", [KVM_EXIT_HYPERCALL] = "hypercall", [KVM_EXIT_DEBUG] = "debug",
        [KVM_EXIT_HLT] = "hlt", [KVM_EXIT_MMIO] = "mmio",
        [KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open", [KVM_EXIT_SHUTDOWN] = "shutdown",
        [KVM_EXIT_FAIL_ENTRY] = "fail_entry", [KVM_EXIT_INTR] = "intr",
        [KVM_EXIT_SET_TPR] = "set_tpr", [KVM_EXIT_TPR_ACCESS] = "tpr_access",
        [KVM_EXIT_NMI] = "nmi", [KVM_EXIT_INTERNAL_ERROR] = "internal_error",
        [KVM_EXIT_SYSTEM_EVENT] = "system_event",
    };
    return reason < KVM_EXIT_NAMES && names[reason] ? names[reason] : "other";
}

/* ---- the probe ------------------------------------------------------------ */

/*
 * A few instructions of 32-bit protected mode at 0x1000, with a flat GDT at
 * 0: an IRET to the next instruction (where PVM stops with an emulation
 * failure), then OUT 0x80 with 0x5A.  The probe passes when that port
 * write arrives.
 */
static const uint8_t probe_code[] = {
    0xBC, 0x00, 0x20, 0x00, 0x00,       /* mov esp, 0x2000 */
    0x9C,                               /* pushfd */
    0x6A, 0x08,                         /* push 0x08 */
    0x68, 0x10, 0x10, 0x00, 0x00,       /* push 0x1010 */
    0xCF,                               /* iretd */
    0xF4, 0xF4,                         /* (not reached) */
    0xB0, 0x5A,                         /* 0x1010: mov al, 0x5a */
    0xE6, 0x80,                         /* out 0x80, al */
    0xF4,                               /* hlt */
};

int kvm_probe(char *why, size_t whylen)
{
    enum { SIZE = 0x4000 };
    uint8_t *mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        snprintf(why, whylen, "no memory for the probe");
        return -1;
    }
    memset(mem, 0xF4, SIZE);
    static const uint64_t gdt[3] = { 0, 0x00CF9B000000FFFFull, 0x00CF93000000FFFFull };
    memcpy(mem, gdt, sizeof gdt);
    memcpy(mem + 0x1000, probe_code, sizeof probe_code);
    struct kvm_vm k;
    struct vcpu *c = aligned_alloc(64, sizeof *c);
    int ok = -1;
    if (!c) {
        snprintf(why, whylen, "no memory for the probe");
        munmap(mem, SIZE);
        return -1;
    }
    memset(c, 0, sizeof *c);
    vcpu_reset_protected_flat(c);
    c->gdtr = (struct dtr){ 0, sizeof gdt - 1 };
    c->idtr = (struct dtr){ 0, 0 };
    c->eip = 0x1000;
    if (kvm_create(&k, c, mem, SIZE, why, whylen) == 0) {
        if (kvm_enter(&k) < 0)
            snprintf(why, whylen, "/dev/kvm: KVM_RUN failed: %s", strerror(errno));
        else if (k.run->exit_reason == KVM_EXIT_IO && k.run->io.port == 0x80 &&
                 ((uint8_t *)k.run)[k.run->io.data_offset] == 0x5A)
            ok = 0;
        else if (k.run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
            snprintf(why, whylen, "/dev/kvm cannot run 32-bit guests: KVM internal error %u "
                     "at a 32-bit IRET (a software hypervisor such as PVM?)",
                     k.run->internal.suberror);
        else
            snprintf(why, whylen, "/dev/kvm cannot run 32-bit guests: the probe ended with "
                     "exit \"%s\" instead of its port write", kvm_exit_name(k.run->exit_reason));
        kvm_destroy(&k);
    }
    free(c);
    munmap(mem, SIZE);
    return ok;
}
