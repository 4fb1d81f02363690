/*
 * cpu/vcpu.h - the state of one virtual 32-bit x86 CPU.
 *
 * Contract: everything the guest can observe about its processor lives in
 * struct vcpu, and nowhere else.  The translated code (bt/) reaches the
 * first part of the struct through r15 at fixed offsets (VCPU_OFF_*), so that
 * part is laid out by hand and checked by static asserts in cpu/vcpu.c.
 *
 * Register conventions while translated ring-0 code runs (bt/entry.S):
 *   host eax..edi = guest eax..edi (upper halves zero), host rflags holds the
 *   guest's arithmetic flags (CF PF AF ZF SF OF); IF, DF, TF, IOPL, AC, NT
 *   are virtual and live in vcpu->eflags;
 *   r15 = struct vcpu *, r14 = indirect-branch lookup table,
 *   r13 = "deliverable interrupt" poll page, r12 = "any event" poll page,
 *   r8..r11 = scratch of the translator; GS base = kernel view of guest memory.
 */
#ifndef CPU_VCPU_H
#define CPU_VCPU_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_NSEG };

/* EFLAGS bits */
#define FL_CF   0x00000001u
#define FL_FIXED 0x00000002u
#define FL_PF   0x00000004u
#define FL_AF   0x00000010u
#define FL_ZF   0x00000040u
#define FL_SF   0x00000080u
#define FL_TF   0x00000100u
#define DR6_BD 0x00002000u        /* debug register access detected (DR7.GD) */
#define DR6_BS 0x00004000u        /* single step (EFLAGS.TF) */
#define FL_IF   0x00000200u
#define FL_DF   0x00000400u
#define FL_OF   0x00000800u
#define FL_IOPL 0x00003000u
#define FL_NT   0x00004000u
#define FL_RF   0x00010000u
#define FL_VM   0x00020000u
#define FL_AC   0x00040000u
#define FL_VIF  0x00080000u
#define FL_VIP  0x00100000u
#define FL_ID   0x00200000u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
/* Bits a guest may change with POPF/IRET at CPL 0 (VM, VIF, VIP aside). */
#define FL_WRITABLE (FL_ARITH | FL_TF | FL_IF | FL_DF | FL_IOPL | FL_NT | FL_RF | FL_AC | FL_ID)

#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_ET 0x00000010u
#define CR0_NE 0x00000020u
#define CR0_WP 0x00010000u
#define CR0_AM 0x00040000u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u

#define CR4_VME 0x0001u
#define CR4_PVI 0x0002u
#define CR4_TSD 0x0004u
#define CR4_DE  0x0008u
#define CR4_PSE 0x0010u
#define CR4_PAE 0x0020u
#define CR4_MCE 0x0040u
#define CR4_PGE 0x0080u
#define CR4_PCE 0x0100u
#define EFER_NXE (1ull << 11)  /* IA32_EFER: execute-disable bit enable */
#define CR4_OSFXSR 0x0200u
#define CR4_OSXMMEXCPT 0x0400u

/* Exception vectors */
enum {
    EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
    EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12,
    EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18, EXC_XM = 19,
};

/* A loaded segment register: the visible selector and the hidden cache. */
struct seg {
    uint16_t sel;
    uint32_t base;
    uint32_t limit;     /* byte granular, already scaled by G */
    uint16_t attr;      /* descriptor bits 40..47 and 52..55: type, S, DPL, P, AVL, L, D/B, G */
};
#define SEG_ATTR_TYPE(a) ((a) & 0xF)
#define SEG_ATTR_S(a)    (((a) >> 4) & 1)
#define SEG_ATTR_DPL(a)  (((a) >> 5) & 3)
#define SEG_ATTR_P(a)    (((a) >> 7) & 1)
#define SEG_ATTR_DB(a)   (((a) >> 14) & 1)
#define SEG_ATTR_G(a)    (((a) >> 15) & 1)

struct dtr {
    uint32_t base;
    uint16_t limit;
};

/* Why translated code returned to the monitor (vcpu->exit_reason). */
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

#define VCPU_FXSAVE_SIZE 512

struct vcpu {
    /* ---- part reached from translated code: offsets are fixed ---- */
    uint32_t gpr[8];            /* 0x00 */
    uint32_t eip;               /* 0x20 guest EIP of the exit / of entry */
    uint32_t exit_reason;       /* 0x24 enum bt_exit */
    uint64_t rflags;            /* 0x28 host RFLAGS image (arithmetic flags) */
    uint64_t host_rsp;          /* 0x30 monitor stack while guest code runs */
    uint64_t exit_arg;          /* 0x38 e.g. address of the jump to patch */
    int64_t  str_step;          /* 0x40 +1 or -1: the guest's EFLAGS.DF for string ops */
    uint8_t  vif;               /* 0x48 the guest's EFLAGS.IF */
    uint8_t  gs_by_insn;        /* 0x49 entering translated code writes gs_base with
                                 * WRGSBASE (the host kernel keeps such a base) */
    uint8_t  pad0[2];
    uint32_t host_ac;           /* 0x4c host RFLAGS.AC for translated code: set at CPL 3
                                 * with CR0.AM and EFLAGS.AC (bt_prepare_segments) */
    uint64_t lookup_table;      /* 0x50 -> struct tc_lookup_entry[65536] */
    uint64_t poll_irq;          /* 0x58 page made unreadable when an interrupt is deliverable */
    uint64_t poll_any;          /* 0x60 page made unreadable when any event is pending */
    uint64_t xview;             /* 0x68 host address of guest linear 0 for translated code
                                 * (its GS base): the kernel view at CPL 0, the
                                 * user view (host 0) at CPL 3 (bt_prepare_segments) */
    uint64_t gs_base;           /* 0x70 the GS base translated code needs: the kernel
                                 * view (CPL-3 translations use no segment) */
    uint64_t gs_kept;           /* 0x78 the GS base the host kernel holds for this
                                 * thread (set by arch_prctl), 0 if unknown */
    uint64_t pad1[4];           /* 0x80 */
    uint64_t seglimit_guard[2];    /* 0xa0 FS, GS: a page that is unreadable when
                                    * the segment has a limit (bt/xl_helpers.c) */
    uint64_t fpu_gate;          /* 0xb0 FPU gate pages for the current CR0/CR4 (cpu/fpu.h) */
    uint8_t  fx_guest[VCPU_FXSAVE_SIZE] __attribute__((aligned(64))); /* 0xc0 */
    uint8_t  fx_host[VCPU_FXSAVE_SIZE] __attribute__((aligned(64)));

    /* ---- the rest of the architectural state ---- */
    uint32_t eflags;            /* virtual EFLAGS; arithmetic bits valid only outside the TC */
    struct seg seg[S_NSEG];
    struct dtr gdtr, idtr;
    struct seg ldtr, tr;
    uint32_t cr0, cr2, cr3, cr4;
    uint32_t dr[8];
    int cpl;

    /* model-specific registers (cpu/cpuid.c) */
    uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t apic_base;
    uint64_t tsc_offset;
    uint64_t misc_enable;
    uint64_t efer;              /* IA32_EFER: only NXE exists in this model */
    /* PAE paging (SDM vol. 3A 4.4.1): the four page-directory-pointer-table
     * entries, loaded from the table CR3 names at a CR3 load and when CR0.PG
     * or CR4.PAE/PGE/PSE change; walks use these, not memory. */
    uint64_t pdpte[4];
    /* Memory types (SDM vol. 3A 11.11-11.12): kept and read back; every
     * access is write-back on the host whatever they say. */
    uint64_t pat;
    uint64_t mtrr_def_type;
    uint64_t mtrr_fixed[11];    /* 0x250, 0x258, 0x259, 0x268-0x26F */
    uint64_t mtrr_var[16];      /* base/mask pairs 0x200-0x20F */

    bool halted;
    /* NMI (SDM vol. 3A 6.7.1): latched until delivered through vector 2;
     * from delivery until the next IRET further NMIs wait (one stays
     * latched). */
    bool nmi_pending, nmi_blocked;
    /* Pending-event bookkeeping of exception delivery (cpu/exceptions.c). */
    int delivering;             /* vector being delivered, -1 if none */
    uint64_t events;            /* events delivered so far (a single step that
                                 * delivered one gets no single-step trap) */
    int last_vector;            /* the vector and error code of the last one */
    uint32_t last_error;

    /* exit details of EXIT_EXCEPTION */
    int exc_vector;
    uint32_t exc_error;
    bool exc_has_error;

    /* DS, ES, FS, GS as directly executed ring-3 code left them (copied by
     * the signal handler that ended the run, cpu/host.c). */
    uint16_t ring3_sel[4];
    /* A two-slot stack for PUSHFQ/POPFQ inside translated code (bt/xl_system.c). */
    uint64_t bt_scratch[2] __attribute__((aligned(16)));
    /* The operand translated code hands a light callout (bt/xl_callout.c). */
    uint32_t callout_arg;
    /* The two pages seglimit_guard[] points to (cpu/host.c). */
    uint64_t guard_ok, guard_trap;

    /* Host address of guest linear 0 in the kernel view of the running
     * address space (shadow_mmu/shadow.c). */
    uint64_t kview;

    struct vm *vm;
    /* The translation cache whose code runs on this CPU (bt/tc.h; NULL
     * under --accel kvm): the light callouts, called from translated code,
     * reach it from here without a call. */
    struct tc *tc;
};

#define VCPU_OFF_GPR        0x00
#define VCPU_OFF_EIP        0x20
#define VCPU_OFF_REASON     0x24
#define VCPU_OFF_RFLAGS     0x28
#define VCPU_OFF_HOST_RSP   0x30
#define VCPU_OFF_EXIT_ARG   0x38
#define VCPU_OFF_STR_STEP   0x40
#define VCPU_OFF_VIF        0x48
#define VCPU_OFF_HOST_AC    0x4c
#define VCPU_OFF_LOOKUP     0x50
#define VCPU_OFF_POLL_IRQ   0x58
#define VCPU_OFF_POLL_ANY   0x60
#define VCPU_OFF_XVIEW      0x68
#define VCPU_OFF_GS_INSN    0x49
#define VCPU_OFF_GS_BASE    0x70
#define VCPU_OFF_SEGLIMIT   0xa0
#define VCPU_OFF_FPU_GATE   0xb0
#define VCPU_OFF_FX_GUEST   0xc0
#define VCPU_OFF_FX_HOST    (0xc0 + VCPU_FXSAVE_SIZE)

/* Reset the CPU to the state Multiboot v1 specifies for a kernel entry:
 * protected mode, paging off, flat 4 GiB code and data segments, IF=0. */
void vcpu_reset_protected_flat(struct vcpu *c);

/* EFLAGS as the guest sees it, assembled from the virtual bits and the host
 * arithmetic image; and the reverse. */
uint32_t vcpu_get_eflags(const struct vcpu *c);
void vcpu_set_eflags(struct vcpu *c, uint32_t value);

/* Linear address of the current instruction. */
static inline uint32_t vcpu_linear_ip(const struct vcpu *c)
{
    return c->seg[S_CS].base + c->eip;
}

const char *vcpu_reg_name(int r);

#endif
