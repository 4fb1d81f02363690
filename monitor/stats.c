/*
 * monitor/stats.c - the --stats report: one `key: value` line per counter,
 * so that scripts (bench/, tests) can grep it.
 *
 * Fixed counters always print (a zero is information too); the per-mnemonic,
 * per-exit-reason and per-vector tables print only their non-zero entries.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "monitor/stats.h"
#include "cpu/vcpu.h"

static const struct {
    const char *key;
    size_t off;
} fixed_counters[] = {
    { "bt.blocks",        offsetof(struct stats, bt_blocks) },
    { "bt.guest_insns",   offsetof(struct stats, bt_guest_insns) },
    { "bt.tc_bytes",      offsetof(struct stats, bt_tc_bytes) },
    { "bt.chained",       offsetof(struct stats, bt_chained) },
    { "bt.lookup_misses", offsetof(struct stats, bt_lookup_misses) },
    { "bt.flushes",       offsetof(struct stats, bt_flushes) },
    { "bt.smc_faults",    offsetof(struct stats, bt_smc_faults) },
    { "bt.invalidated",   offsetof(struct stats, bt_invalidated) },
    { "bt.entries",       offsetof(struct stats, bt_entries) },
    { "shadow.hidden_faults", offsetof(struct stats, shadow_hidden_faults) },
    { "shadow.true_faults", offsetof(struct stats, shadow_true_faults) },
    { "shadow.flushes",   offsetof(struct stats, shadow_flushes) },
    { "shadow.invlpg",    offsetof(struct stats, shadow_invlpg) },
    { "shadow.view_hits", offsetof(struct stats, shadow_view_hits) },
    { "shadow.view_recycles", offsetof(struct stats, shadow_view_recycles) },
    { "shadow.user_hidden_faults", offsetof(struct stats, shadow_user_hidden_faults) },
    { "shadow.user_remaps", offsetof(struct stats, shadow_user_remaps) },
    { "shadow.prefaults", offsetof(struct stats, shadow_prefaults) },
    { "shadow.mapped_around", offsetof(struct stats, shadow_mapped_around) },
    { "shadow.user_kept", offsetof(struct stats, shadow_user_kept) },
    { "shadow.trace_faults", offsetof(struct stats, shadow_trace_faults) },
    { "shadow.untraced",  offsetof(struct stats, shadow_untraced) },
    { "bt.light",         offsetof(struct stats, bt_light) },
    { "direct.entries",   offsetof(struct stats, direct_entries) },
    { "cpu.ring3_translated_entries", offsetof(struct stats, ring3_translated_entries) },
    { "bt.wrap_steps",    offsetof(struct stats, bt_wrap_steps) },
    { "direct.sysenter_ud", offsetof(struct stats, direct_sysenter_ud) },
    { "direct.syscall_ud", offsetof(struct stats, direct_syscall_ud) },
    { "bt.user_drops",    offsetof(struct stats, bt_user_drops) },
    { "bt.user_revived",  offsetof(struct stats, bt_user_revived) },
    { "bt.kernel_drops",  offsetof(struct stats, bt_kernel_drops) },
    { "bt.kernel_revived", offsetof(struct stats, bt_kernel_revived) },
    { "direct.segment_reloads", offsetof(struct stats, direct_segment_reloads) },
    { "direct.cpuid",     offsetof(struct stats, direct_cpuid) },
    { "mmio.unassigned_maps", offsetof(struct stats, mmio_unassigned_maps) },
    { "mmio.accesses",    offsetof(struct stats, mmio_accesses) },
};

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

static void print_mnemonic_counts(const struct stats *s, FILE *out)
{
    uint64_t total = 0;
    for (int m = 0; m < STATS_MAX_MNEMONIC; m++) {
        if (!s->callouts[m])
            continue;
        const char *name = m <= ZYDIS_MNEMONIC_MAX_VALUE ?
                           ZydisMnemonicGetString((ZydisMnemonic)m) : NULL;
        char lower[32];
        size_t i = 0;
        for (; name && name[i] && i < sizeof lower - 1; i++)
            lower[i] = (char)tolower((unsigned char)name[i]);
        lower[i] = '\0';
        if (name)
            fprintf(out, "bt.callouts.%s: %llu\n", lower, (unsigned long long)s->callouts[m]);
        else
            fprintf(out, "bt.callouts.mnemonic%d: %llu\n", m, (unsigned long long)s->callouts[m]);
        total += s->callouts[m];
    }
    fprintf(out, "bt.callouts: %llu\n", (unsigned long long)total);
}

static void print_vectors(const char *prefix, const uint64_t v[256], FILE *out)
{
    for (int i = 0; i < 256; i++) {
        if (!v[i])
            continue;
        if (i < 32 && vector_names[i])
            fprintf(out, "%s.%d_%s: %llu\n", prefix, i, vector_names[i], (unsigned long long)v[i]);
        else
            fprintf(out, "%s.%d: %llu\n", prefix, i, (unsigned long long)v[i]);
    }
}

void stats_print(const struct stats *s, FILE *out)
{
    for (size_t i = 0; i < sizeof fixed_counters / sizeof fixed_counters[0]; i++)
        fprintf(out, "%s: %llu\n", fixed_counters[i].key,
                (unsigned long long)*(const uint64_t *)((const char *)s + fixed_counters[i].off));
    print_mnemonic_counts(s, out);
    for (int r = 0; r < (int)(sizeof s->exits / sizeof s->exits[0]); r++) {
        if (!s->exits[r])
            continue;
        if (strcmp(stats_exit_name(r), "unknown") != 0)
            fprintf(out, "exits.%s: %llu\n", stats_exit_name(r), (unsigned long long)s->exits[r]);
        else
            fprintf(out, "exits.reason%d: %llu\n", r, (unsigned long long)s->exits[r]);
    }
    print_vectors("exceptions", s->exceptions, out);
    print_vectors("interrupts", s->interrupts, out);
}
