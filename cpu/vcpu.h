/*
 * cpu/vcpu.h - the state of one virtual 32-bit x86 CPU.
 *
 * Contract: everything the guest can observe about its processor lives in
 * struct x86_state, and nowhere else; struct vcpu adds the context of the
 * engine that runs it (cpu/bt_context.h).  Translated code reaches both
 * through r15 at the fixed offsets of cpu/vcpu_layout.h, so the parts it
 * touches are laid out by hand and checked by static asserts in
 * cpu/vcpu.c.
 */
#ifndef CPU_VCPU_H
#define CPU_VCPU_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "cpu/vcpu_layout.h"
#include "cpu/bt_context.h"

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


/*
 * The architectural state: what the guest can observe of its processor,
 * the same whichever engine runs it (cpu/kvm.c moves exactly this to and
 * from KVM).  EFLAGS is kept in four pieces so that translated code can
 * use each where it needs it: the arithmetic flags as a host RFLAGS image,
 * IF as a byte, DF as the +1/-1 step of string instructions, the rest in
 * `eflags`; x86_get_eflags() assembles them.  The first 0x40 bytes are
 * reached from translated code with one-byte displacements (VCPU_OFF_*).
 */
struct x86_state {
    uint32_t gpr[8];            /* 0x00 */
    uint32_t eip;               /* 0x20 */
    uint32_t eflags;            /* 0x24 EFLAGS but CF PF AF ZF SF OF IF DF */
    uint64_t rflags;            /* 0x28 the arithmetic flags, as a host RFLAGS image */
    int64_t  str_step;          /* 0x30 EFLAGS.DF: +1 or -1, the step of string operations */
    uint8_t  vif;               /* 0x38 EFLAGS.IF */
    uint8_t  pad0[7];
    uint8_t  fx_guest[VCPU_FXSAVE_SIZE] __attribute__((aligned(64))); /* 0x40 x87/MMX/SSE, FXSAVE format */

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

    bool halted;                /* activity state: HLT until an interrupt */
    /* NMI (SDM vol. 3A 6.7.1): latched until delivered through vector 2;
     * from delivery until the next IRET further NMIs wait (one stays
     * latched). */
    bool nmi_pending, nmi_blocked;
};

/*
 * A virtual CPU: its architectural state, then the context of the bt
 * engine (cpu/bt_context.h) at the fixed offset VCPU_OFF_BT, where the
 * translated code and bt/entry.S find it through r15.  The state is
 * embedded twice over in a union: as `arch`, to hand it whole to what
 * takes a struct x86_state, and unnamed (-fms-extensions), so that c->eip
 * reads as the processor's EIP.  The KVM engine keeps its context in its
 * own struct (cpu/kvm.h) and uses only `arch`.
 */
struct vcpu {
    union {
        struct x86_state arch;
        struct x86_state;
    };
    uint8_t pad_to_bt[VCPU_OFF_BT - sizeof(struct x86_state)];
    struct bt_context bt;
    struct vm *vm;
};

/* Reset the CPU to the state Multiboot v1 specifies for a kernel entry:
 * protected mode, paging off, flat 4 GiB code and data segments, IF=0. */
void vcpu_reset_protected_flat(struct vcpu *c);

/* EFLAGS as the guest sees it, assembled from its four pieces in struct
 * x86_state; and the reverse. */
uint32_t x86_get_eflags(const struct x86_state *s);
void x86_set_eflags(struct x86_state *s, uint32_t value);
static inline uint32_t vcpu_get_eflags(const struct vcpu *c) { return x86_get_eflags(&c->arch); }
static inline void vcpu_set_eflags(struct vcpu *c, uint32_t value) { x86_set_eflags(&c->arch, value); }

/* Linear address of the current instruction. */
static inline uint32_t vcpu_linear_ip(const struct vcpu *c)
{
    return c->seg[S_CS].base + c->eip;
}

const char *vcpu_reg_name(int r);

#endif
