/*
 * cpu/counters.h - the machine's event counters: every layer bumps the
 * ones of its own mechanism (the translator, the shadow MMU, direct
 * execution, exception delivery, the run loop), and --stats prints them
 * (monitor/stats.h).
 *
 * Contract: counters are plain fields bumped on the slow paths (never from
 * translated code), so the hot path pays nothing.  A lower layer reaches
 * them through vm_stats() (cpu/machine.h), or a pointer its module keeps
 * from creation when it bumps one on a path that must not make a call.
 */
#ifndef CPU_COUNTERS_H
#define CPU_COUNTERS_H

#include <stdint.h>

#define STATS_MAX_MNEMONIC 2048

struct stats {
    uint64_t bt_blocks;           /* translation units made */
    uint64_t bt_guest_insns;      /* guest instructions translated */
    uint64_t bt16_blocks;         /* of bt_blocks: 16-bit code (real mode, 16-bit segments) */
    uint64_t bt16_guest_insns;    /* of bt_guest_insns: 16-bit code */
    uint64_t bt_v86_insns;        /* of bt16_guest_insns: virtual-8086 mode */
    uint64_t bt_partial_invalidations; /* TUs dropped for a write to their own bytes */
    uint64_t bt_smc_emulated;     /* writes to code pages carried out by the emulator */
    uint64_t bt_t16_resets;       /* the 16-bit lookup table emptied (bt/tc.c, t16_sync) */
    uint64_t bt_tc_bytes;         /* bytes of host code emitted */
    uint64_t bt_chained;          /* direct branches patched to jump TU to TU */
    uint64_t bt_lookup_misses;    /* indirect branches that left the TC */
    uint64_t bt_flushes;          /* whole translation-cache flushes */
    uint64_t bt_smc_faults;       /* writes to pages holding translated code */
    uint64_t bt_invalidated;      /* translation units dropped by SMC */
    uint64_t bt_entries;          /* entries into translated code */
    uint64_t bt_unkeyed_steps;    /* instructions interpreted while the segments did not
                                   * match the cached translations */
    uint64_t a20_switches;        /* the A20 gate opened or closed */
    uint64_t realmode_insns;      /* instructions interpreted: real mode, V86, 16-bit code */
    uint64_t v86_insns;           /* of realmode_insns: in virtual-8086 mode */
    uint64_t em_decoded;          /* instructions the emulator decoded with Zydis */
    uint64_t em_decode_cached;    /* instructions it took from its decode cache instead */
    uint64_t realmode_ns;         /* host time from each switch into those to the
                                   * switch out, halts included */
    uint64_t shadow_hidden_faults;/* kernel-view misses the guest tables satisfied */
    uint64_t shadow_true_faults;  /* #PF the guest's own tables call for */
    uint64_t shadow_flushes;      /* whole kernel-view drops (CR3, CR0, CR4 writes) */
    uint64_t shadow_invlpg;       /* INVLPG-driven drops */
    uint64_t shadow_view_hits;    /* CR3 loads that found their kernel view cached */
    uint64_t shadow_view_recycles;/* CR3 loads that took another space's view, keeping equal PDEs */
    uint64_t shadow_user_hidden_faults; /* of which in the user view */
    uint64_t shadow_user_remaps;  /* remembered user pages mapped back without a walk */
    uint64_t shadow_prefaults;    /* user pages mapped as ring 3 retried a guest #PF */
    uint64_t shadow_trace_faults; /* guest writes to its page tables that faulted */
    uint64_t shadow_untraced;     /* pages that stopped being page tables */
    uint64_t bt_light;            /* light callouts done without an exit (bt/xl_callout.c) */
    uint64_t shadow_mapped_around; /* user pages mapped with a faulting neighbour */
    uint64_t shadow_user_kept;    /* user pages left mapped at a switch (the next space maps them alike) */
    uint64_t bt_user_drops;       /* code pages of an address space's CPL-3 TUs found remapped */
    uint64_t bt_user_revived;     /* CPL-3 TUs valid again (their code page mapped back) */
    uint64_t bt_kernel_drops;     /* code pages of CPL-0 TUs found mapping another frame */
    uint64_t bt_kernel_revived;   /* CPL-0 TUs valid again (their code page mapped back) */
    uint64_t direct_entries;      /* entries into guest ring-3 code */
    uint64_t ring3_translated_entries; /* of bt.entries: ring 3 translated (CR0.TS/EM set) */
    uint64_t direct_sysenter_ud;  /* guest SYSENTERs that the host answered with #UD (AMD) */
    uint64_t direct_syscall_ud;   /* guest SYSCALLs from direct ring 3, given #UD */
    uint64_t direct_guard_translated; /* ring-3 runs translated on a page the SYSCALL guard watches */
    uint64_t bt_wrap_steps;       /* native REP MOVS/STOS that ran into a guard and went on wrapped */
    uint64_t direct_segment_reloads; /* user code loaded a segment register itself */
    uint64_t direct_cpuid;        /* ring-3 CPUIDs answered with the virtual model */
    uint64_t mmio_accesses;       /* emulated accesses to non-RAM physical addresses */
    uint64_t mmio_unassigned_maps; /* pages of unassigned space mapped to all ones */
    uint64_t shadow_writes_discarded; /* writes to BIOS shadow pages whose PAM WE bit is clear */
    uint64_t callouts[STATS_MAX_MNEMONIC];  /* translated code's, by Zydis mnemonic */
    uint64_t traps[STATS_MAX_MNEMONIC];     /* directly run code's, by Zydis mnemonic */
    uint64_t exits[16];           /* by enum bt_exit */
    uint64_t kvm_exits[40];       /* --accel kvm: by KVM exit reason (KVM_EXIT_NAMES, cpu/kvm.h) */
    uint64_t kvm_injected;        /* --accel kvm: interrupts and NMIs injected */
    uint64_t exceptions[256];     /* guest exceptions delivered, by vector */
    uint64_t interrupts[256];     /* external interrupts delivered, by vector */
};

#endif
