/*
 * monitor/stats.c - the --stats report: one `key: value` line per counter,
 * so that scripts (bench/, tests) can grep it, grouped by mechanism, each
 * group under a `# name: meaning` line; or, with --stats=json, one JSON
 * object with each counter's value, group and meaning, for plotting.
 *
 * Fixed counters always print (a zero is information too); the per-mnemonic,
 * per-exit-reason and per-vector tables print only their non-zero entries.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "monitor/stats.h"
#include "cpu/vcpu.h"
#include "cpu/kvm.h"

/* The mechanisms the counters belong to, in the order they print. */
enum group { G_TRANSLATOR, G_CALLOUTS, G_DIRECT, G_TRAPS, G_EXITS, G_KVM, G_SHADOW, G_MMIO,
             G_EVENTS, G_NGROUPS };

static const struct {
    const char *name, *meaning;
} groups[G_NGROUPS] = {
    [G_TRANSLATOR] = { "translator", "guest code run as translated host code (docs/translator.md)" },
    [G_CALLOUTS] = { "callouts", "sensitive instructions of translated code the emulator carried out, by instruction" },
    [G_DIRECT] = { "direct", "guest code run on the host CPU (docs/direct.md)" },
    [G_TRAPS] = { "traps", "instructions of directly run code that trapped and were emulated, by instruction" },
    [G_EXITS] = { "exits", "why guest code came back to the monitor, by reason (both engines)" },
    [G_KVM] = { "kvm", "exits of the hardware-virtualization engine (--accel kvm), by KVM's exit reason (docs/bt-vs-vt.md)" },
    [G_SHADOW] = { "page faults", "hidden (the shadow MMU mapped the page), true (the guest's own #PF), trace (a write to a guest page table)" },
    [G_MMIO] = { "memory-mapped I/O", "accesses to physical addresses that are not RAM" },
    [G_EVENTS] = { "events", "exceptions and interrupts delivered to the guest, by vector" },
};

#define C(k, f, g, m) { k, offsetof(struct stats, f), g, m }
static const struct counter {
    const char *key;
    size_t off;
    enum group group;
    const char *meaning;
} fixed_counters[] = {
    C("bt.blocks", bt_blocks, G_TRANSLATOR, "translation units made"),
    C("bt.guest_insns", bt_guest_insns, G_TRANSLATOR, "guest instructions translated"),
    C("bt.partial_invalidations", bt_partial_invalidations, G_TRANSLATOR, "TUs dropped because the monitor wrote their own bytes (others on the page stay)"),
    C("bt.smc_emulated", bt_smc_emulated, G_TRANSLATOR, "writes of translated code to a code page carried out by the emulator, dropping only the TUs of the bytes written"),
    C("bt.code16_blocks", bt16_blocks, G_TRANSLATOR, "of bt.blocks: 16-bit code (real mode, 16-bit code segments at CPL 0)"),
    C("bt.code16_insns", bt16_guest_insns, G_TRANSLATOR, "of bt.guest_insns: 16-bit code"),
    C("bt.v86_insns", bt_v86_insns, G_TRANSLATOR, "of bt.code16_insns: in virtual-8086 mode (CPL 3, the user view)"),
    C("bt.code16_table_resets", bt_t16_resets, G_TRANSLATOR, "16-bit lookup table emptied: a CS selector changed base, or the segment limits changed"),
    C("bt.tc_bytes", bt_tc_bytes, G_TRANSLATOR, "bytes of host code emitted"),
    C("bt.chained", bt_chained, G_TRANSLATOR, "direct branches patched to jump from unit to unit"),
    C("bt.lookup_misses", bt_lookup_misses, G_TRANSLATOR, "indirect branches whose target was not in the lookup table"),
    C("bt.flushes", bt_flushes, G_TRANSLATOR, "whole translation-cache flushes"),
    C("bt.smc_faults", bt_smc_faults, G_TRANSLATOR, "writes to pages holding translated code"),
    C("bt.invalidated", bt_invalidated, G_TRANSLATOR, "translation units dropped because their code was written"),
    C("bt.entries", bt_entries, G_TRANSLATOR, "entries into translated code"),
    C("bt.unkeyed_steps", bt_unkeyed_steps, G_TRANSLATOR, "instructions interpreted while the segments differed from what the cached translations assume"),
    C("a20.switches", a20_switches, G_TRANSLATOR, "the A20 gate opened or closed (i8042 output port, port 0x92): translations flushed"),
    C("realmode.insns", realmode_insns, G_TRANSLATOR, "instructions interpreted: real mode, virtual-8086 mode and 16-bit code segments (the emulator runs them one at a time, many per run-loop turn)"),
    C("realmode.v86_insns", v86_insns, G_TRANSLATOR, "of realmode.insns: in virtual-8086 mode"),
    C("realmode.ns", realmode_ns, G_TRANSLATOR, "host ns spent in real mode or 16-bit code, halts included (firmware, boot loaders)"),
    C("emulate.decoded", em_decoded, G_TRANSLATOR, "instructions the emulator decoded (Zydis): interpreted code, callouts, traps"),
    C("emulate.decode_cached", em_decode_cached, G_TRANSLATOR, "instructions the emulator took from its decode cache, their bytes unchanged (cpu/decode_cache.h)"),
    C("bt.light", bt_light, G_TRANSLATOR, "sensitive instructions done by a C call without leaving translated code"),
    C("cpu.ring3_translated_entries", ring3_translated_entries, G_TRANSLATOR, "of bt.entries: ring 3 translated (CR0.TS/EM set, or --translate-ring3)"),
    C("bt.wrap_steps", bt_wrap_steps, G_TRANSLATOR, "native REP MOVS/STOS that reached a guard and went on wrapped at 4 GiB"),
    C("bt.user_drops", bt_user_drops, G_TRANSLATOR, "code pages of CPL-3 units found remapped"),
    C("bt.user_revived", bt_user_revived, G_TRANSLATOR, "CPL-3 units valid again (their code page mapped back)"),
    C("bt.kernel_drops", bt_kernel_drops, G_TRANSLATOR, "code pages of CPL-0 units found mapping another frame"),
    C("bt.kernel_revived", bt_kernel_revived, G_TRANSLATOR, "CPL-0 units valid again (their code page mapped back)"),
    C("direct.entries", direct_entries, G_DIRECT, "entries into directly run guest code"),
    C("direct.sysenter_ud", direct_sysenter_ud, G_DIRECT, "guest SYSENTERs the host answered with #UD (AMD), entered by the monitor"),
    C("direct.syscall_ud", direct_syscall_ud, G_DIRECT, "guest SYSCALLs, given #UD (the model has none)"),
    C("direct.guard_translated", direct_guard_translated, G_DIRECT, "ring-3 runs translated instead of stepped: a page holding the bytes 0F 05 where the host would take a guest SYSCALL (docs/host.md)"),
    C("direct.segment_reloads", direct_segment_reloads, G_DIRECT, "guest code loaded a segment register the host took its own way"),
    C("direct.cpuid", direct_cpuid, G_DIRECT, "CPUIDs of directly run code answered with the virtual model"),
    C("shadow.hidden_faults", shadow_hidden_faults, G_SHADOW, "misses the guest's tables allowed: mapped, the guest never knew"),
    C("shadow.true_faults", shadow_true_faults, G_SHADOW, "#PF the guest's own tables call for, delivered to it"),
    C("shadow.flushes", shadow_flushes, G_SHADOW, "whole drops of the host views (paging-mode changes)"),
    C("shadow.invlpg", shadow_invlpg, G_SHADOW, "pages dropped by INVLPG"),
    C("shadow.view_hits", shadow_view_hits, G_SHADOW, "CR3 loads that found their address space's view kept"),
    C("shadow.view_recycles", shadow_view_recycles, G_SHADOW, "CR3 loads that took over another space's view, keeping equal directory entries"),
    C("shadow.user_hidden_faults", shadow_user_hidden_faults, G_SHADOW, "of shadow.hidden_faults: in the user view"),
    C("shadow.user_remaps", shadow_user_remaps, G_SHADOW, "remembered user pages mapped back without a walk"),
    C("shadow.prefaults", shadow_prefaults, G_SHADOW, "user pages mapped as ring 3 retried after a guest #PF"),
    C("shadow.mapped_around", shadow_mapped_around, G_SHADOW, "neighbours mapped with a faulting page, in the same system call"),
    C("shadow.user_kept", shadow_user_kept, G_SHADOW, "user pages left mapped at a switch (the next space maps them alike)"),
    C("shadow.trace_faults", shadow_trace_faults, G_SHADOW, "guest writes to its own page tables that faulted (trace faults)"),
    C("shadow.untraced", shadow_untraced, G_SHADOW, "pages that stopped being page tables"),
    C("kvm.injected", kvm_injected, G_KVM, "interrupts and NMIs injected into the KVM vCPU"),
    C("mmio.unassigned_maps", mmio_unassigned_maps, G_MMIO, "pages of unassigned space mapped to read as all ones"),
    C("mmio.shadow_writes_discarded", shadow_writes_discarded, G_MMIO, "writes to the BIOS shadow RAM (0xC0000-0xFFFFF) that the i440FX PAM registers send to the ROM side: dropped"),
    C("mmio.accesses", mmio_accesses, G_MMIO, "emulated accesses to device memory"),
};
#undef C

/* enum bt_exit (cpu/vcpu.h), in order. */
static const char *const exit_names[] = {
    [EXIT_NONE] = "none",       [EXIT_LINK] = "link",
    [EXIT_LOOKUP] = "lookup",   [EXIT_EMULATE] = "emulate",
    [EXIT_EXCEPTION] = "exception", [EXIT_POLL] = "poll",
    [EXIT_SMC] = "smc",         [EXIT_STEP] = "step",
    [EXIT_SYSCALL] = "syscall", [EXIT_DEBUG] = "debug",
};

/* Mnemonics of the architectural exception vectors (Intel SDM vol. 3A,
 * table 6-1), used as suffixes: exceptions.13_gp. */
static const char *const vector_names[32] = {
    [0] = "de", [1] = "db", [2] = "nmi", [3] = "bp", [4] = "of", [5] = "br",
    [6] = "ud", [7] = "nm", [8] = "df", [9] = "cso", [10] = "ts", [11] = "np",
    [12] = "ss", [13] = "gp", [14] = "pf", [16] = "mf", [17] = "ac",
    [18] = "mc", [19] = "xm", [20] = "ve", [21] = "cp",
};

const char *stats_exit_name(int reason)
{
    if (reason >= 0 && reason < (int)(sizeof exit_names / sizeof exit_names[0]) &&
        exit_names[reason])
        return exit_names[reason];
    return "unknown";
}

/* The key of table entry i: "bt.callouts.cpuid", "exits.emulate",
 * "exceptions.13_gp", "interrupts.32". */
static void mnemonic_key(char *buf, size_t n, const char *prefix, int m)
{
    const char *name = m <= ZYDIS_MNEMONIC_MAX_VALUE ? ZydisMnemonicGetString((ZydisMnemonic)m) : NULL;
    char lower[32];
    size_t i = 0;
    for (; name && name[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)tolower((unsigned char)name[i]);
    lower[i] = '\0';
    if (name)
        snprintf(buf, n, "%s.%s", prefix, lower);
    else
        snprintf(buf, n, "%s.mnemonic%d", prefix, m);
}

static void vector_key(char *buf, size_t n, const char *prefix, int v)
{
    if (v < 32 && vector_names[v])
        snprintf(buf, n, "%s.%d_%s", prefix, v, vector_names[v]);
    else
        snprintf(buf, n, "%s.%d", prefix, v);
}

/* Every counter, group by group, to one sink: the text report or JSON. */
struct sink {
    FILE *out;
    bool json, first;
};

static void put_group(struct sink *k, enum group g)
{
    if (!k->json)
        fprintf(k->out, "# %s: %s\n", groups[g].name, groups[g].meaning);
}

static void put(struct sink *k, enum group g, const char *key, uint64_t v, const char *meaning)
{
    if (!k->json) {
        fprintf(k->out, "%s: %llu\n", key, (unsigned long long)v);
        return;
    }
    fprintf(k->out, "%s\n    \"%s\": { \"value\": %llu, \"group\": \"%s\"", k->first ? "" : ",", key,
            (unsigned long long)v, groups[g].name);
    if (meaning)
        fprintf(k->out, ", \"meaning\": \"%s\"", meaning);
    fprintf(k->out, " }");
    k->first = false;
}

static void put_fixed(struct sink *k, const struct stats *s, enum group g)
{
    for (size_t i = 0; i < sizeof fixed_counters / sizeof fixed_counters[0]; i++)
        if (fixed_counters[i].group == g)
            put(k, g, fixed_counters[i].key,
                *(const uint64_t *)((const char *)s + fixed_counters[i].off), fixed_counters[i].meaning);
}

static void put_mnemonics(struct sink *k, enum group g, const char *prefix, const uint64_t *t)
{
    uint64_t total = 0;
    char key[64];
    for (int m = 0; m < STATS_MAX_MNEMONIC; m++) {
        if (!t[m])
            continue;
        mnemonic_key(key, sizeof key, prefix, m);
        put(k, g, key, t[m], NULL);
        total += t[m];
    }
    put(k, g, prefix, total, "all of them");
}

static void put_vectors(struct sink *k, const char *prefix, const uint64_t v[256])
{
    char key[64];
    for (int i = 0; i < 256; i++)
        if (v[i]) {
            vector_key(key, sizeof key, prefix, i);
            put(k, G_EVENTS, key, v[i], NULL);
        }
}

static void put_all(struct sink *k, const struct stats *s)
{
    put_group(k, G_TRANSLATOR);
    put_fixed(k, s, G_TRANSLATOR);
    put_group(k, G_CALLOUTS);
    put_mnemonics(k, G_CALLOUTS, "bt.callouts", s->callouts);
    put_group(k, G_DIRECT);
    put_fixed(k, s, G_DIRECT);
    put_group(k, G_TRAPS);
    put_mnemonics(k, G_TRAPS, "direct.traps", s->traps);
    put_group(k, G_EXITS);
    for (int r = 0; r < (int)(sizeof s->exits / sizeof s->exits[0]); r++) {
        char key[32];
        if (!s->exits[r])
            continue;
        if (strcmp(stats_exit_name(r), "unknown") != 0)
            snprintf(key, sizeof key, "exits.%s", stats_exit_name(r));
        else
            snprintf(key, sizeof key, "exits.reason%d", r);
        put(k, G_EXITS, key, s->exits[r], NULL);
    }
    put_group(k, G_KVM);
    put_fixed(k, s, G_KVM);
    uint64_t kvm_total = 0;
    for (int r = 0; r < KVM_EXIT_NAMES; r++) {
        char key[48];
        if (!s->kvm_exits[r])
            continue;
        snprintf(key, sizeof key, "kvm.exits.%s", kvm_exit_name((uint32_t)r));
        put(k, G_KVM, key, s->kvm_exits[r], NULL);
        kvm_total += s->kvm_exits[r];
    }
    put(k, G_KVM, "kvm.exits", kvm_total, "all of them");
    put_group(k, G_SHADOW);
    put_fixed(k, s, G_SHADOW);
    put_group(k, G_MMIO);
    put_fixed(k, s, G_MMIO);
    put_group(k, G_EVENTS);
    put_vectors(k, "exceptions", s->exceptions);
    put_vectors(k, "interrupts", s->interrupts);
}

void stats_print(const struct stats *s, FILE *out)
{
    struct sink k = { out, false, true };
    put_all(&k, s);
}

/* The counters kept outside struct stats (`more`: the text report's
 * "# name: meaning" group lines, each followed by its "key: value" lines),
 * into the JSON object; each group's name and meaning into `names`. */
#define MORE_GROUPS 8
static int put_more(struct sink *k, const char *more, char names[MORE_GROUPS][200])
{
    int ng = 0;
    char group[64] = "devices";
    for (const char *p = more; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[200], key[96];
        unsigned long long v;
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        if (line[0] == '#' && sscanf(line, "# %63[^:]:", group) == 1 && ng < MORE_GROUPS)
            snprintf(names[ng++], sizeof names[0], "%s", line + 2);
        else if (sscanf(line, "%95[^:]: %llu", key, &v) == 2)
            fprintf(k->out, "%s\n    \"%s\": { \"value\": %llu, \"group\": \"%s\" }",
                    k->first ? "" : ",", key, v, group), k->first = false;
        p = nl ? nl + 1 : p + len;
    }
    return ng;
}

void stats_print_json(const struct stats *s, const char *more, FILE *out)
{
    struct sink k = { out, true, true };
    char names[MORE_GROUPS][200];
    fprintf(out, "{\n  \"counters\": {");
    put_all(&k, s);
    int ng = put_more(&k, more, names);
    fprintf(out, "\n  },\n  \"groups\": {");
    for (int g = 0; g < G_NGROUPS; g++)
        fprintf(out, "%s\n    \"%s\": \"%s\"", g ? "," : "", groups[g].name, groups[g].meaning);
    for (int g = 0; g < ng; g++) {
        char *colon = strchr(names[g], ':');    /* "name: meaning" */
        if (!colon)
            continue;
        *colon = '\0';
        fprintf(out, ",\n    \"%s\": \"%s\"", names[g], colon + 1 + (colon[1] == ' '));
    }
    fprintf(out, "\n  }\n}\n");
}
