/*
 * cpu/kvm.h - the host's hardware virtualization through /dev/kvm: the
 * second engine beside the binary translator (vmm --accel kvm).
 *
 * Contract: kvm_create() makes one KVM virtual machine with one vCPU whose
 * guest-physical memory is the monitor's own guest RAM (the memfd mapping:
 * what the devices and loaders see is what the guest sees, no copy), with
 * the virtual CPU model's CPUID.  No in-kernel interrupt controller and no
 * in-kernel timer: the PIC, PIT, LAPIC and IOAPIC stay the project's own
 * user-space models, so the guest sees the same devices under both engines
 * and every port access, APIC access and HLT comes back to the monitor.
 *
 * The architectural state (struct x86_state) moves to and from KVM only through
 * kvm_put_state()/kvm_get_state(): the run loop (monitor/run_kvm.c) calls
 * them at start, for the debugger and for the dump of a fatal stop, not at
 * every exit.
 *
 * kvm_probe() answers "can this /dev/kvm run a 32-bit protected-mode
 * guest?" by running a few instructions (an IRET and a port write) in a
 * throwaway VM: a software hypervisor such as PVM opens /dev/kvm and
 * creates VMs but fails at a 32-bit guest's first IRET.
 */
#ifndef CPU_KVM_H
#define CPU_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cpu/vcpu.h"

struct kvm_run;
struct kvm_regs;
struct kvm_sregs;
struct kvm_cpuid_entry2;

struct kvm_vm {
    int sys_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;        /* the shared page(s) of the vCPU */
    size_t run_size;
    uint32_t guest_debug;       /* KVM_GUESTDBG_* flags set now */
    int tsc_khz;                /* the guest's TSC rate: the model's (VCPU_TSC_HZ) where
                                 * the host scales it, else the host's */
    bool past_bp;               /* the debugger was told of the breakpoint at RIP: the
                                 * next run executes its instruction once */
};

/* 0 when this host's /dev/kvm runs 32-bit protected-mode code with IRET
 * correctly; otherwise -1 and why[] says what failed (no /dev/kvm, an old
 * API, an emulation failure: "cannot run 32-bit guests"). */
int kvm_probe(char *why, size_t whylen);

/* The VM over guest RAM [ram, ram + ram_size) at guest-physical 0, with the
 * CPUID of `c`'s model.  0, or -1 with err[]. */
int kvm_create(struct kvm_vm *k, struct vcpu *c, void *ram, uint64_t ram_size,
               char *err, size_t errlen);
void kvm_destroy(struct kvm_vm *k);

/* Architectural state (registers, segments with their hidden parts,
 * descriptor tables, control registers, EFER, SYSENTER MSRs) between
 * struct vcpu and the KVM vCPU.  0, or -1 with errno. */
int kvm_put_state(struct kvm_vm *k, struct vcpu *c);
int kvm_get_state(struct kvm_vm *k, struct vcpu *c);

/* The conversions behind them, without KVM (unit tests): a segment
 * register's hidden part both ways; TR made a usable busy TSS when the
 * guest has not loaded one (what VT-x's entry checks demand); CR0.ET set;
 * the CPL taken from SS.DPL on the way back. */
void kvm_state_from_x86(const struct x86_state *c, struct kvm_regs *r, struct kvm_sregs *s);
void kvm_state_to_x86(struct x86_state *c, const struct kvm_regs *r, const struct kvm_sregs *s);

/* The CPUID table given to KVM: the model's leaves (cpu/cpuid.c), with the
 * two changes KVM needs (docs/bt-vs-vt.md): 48 linear-address bits in
 * 80000008H and the brand string "vmm virtual CPU (KVM)".  Returns the
 * number of entries written to e[0..max). */
int kvm_cpuid_table(struct vcpu *c, struct kvm_cpuid_entry2 *e, int max);

/* Run until the next exit.  0 with k->run->exit_reason set (KVM_EXIT_INTR
 * when a signal ended the run, or when kvm_kick() came first), -1 with
 * errno on an ioctl failure. */
int kvm_enter(struct kvm_vm *k);

/* The byte that, set to 1, makes the next (or the current) kvm_enter()
 * return at once: for the signal handlers (cpu/host.h, host_kick_byte). */
volatile uint8_t *kvm_kick_byte(struct kvm_vm *k);

/* Inject an external interrupt (the guest must be able to take one:
 * k->run->ready_for_interrupt_injection and if_flag), or an NMI. */
int kvm_interrupt(struct kvm_vm *k, int vector);
int kvm_nmi(struct kvm_vm *k);

/* Debugging: make KVM stop after the next guest instruction
 * (KVM_EXIT_DEBUG), or no longer.  Call it again before each step, after
 * kvm_put_state.  0, or -1 with errno. */
int kvm_set_debug(struct kvm_vm *k, bool single_step);

/* The host's name of a KVM exit reason ("io", "mmio", "hlt", ...). */
const char *kvm_exit_name(uint32_t reason);
#define KVM_EXIT_NAMES 40           /* exit reasons counted by --stats */

#endif
