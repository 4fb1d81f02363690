/*
 * Unit tests of monitor/trace.c (Capstone listings) and of the --stats
 * report of monitor/stats.c (both are the monitor's human-readable output).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "monitor/trace.h"
#include "monitor/stats.h"
#include "cpu/vcpu.h"

/* Run fn into a memory stream and return the text (caller frees). */
#define CAPTURE(text, ...) do {                                   \
        size_t len_;                                              \
        FILE *f_ = open_memstream(&(text), &len_);                \
        __VA_ARGS__;                                              \
        fclose(f_);                                               \
    } while (0)
#define OUT f_

static const uint8_t prologue[] = {
    0x55,                               /* push ebp */
    0x89, 0xe5,                         /* mov ebp, esp */
    0x8b, 0x45, 0x08,                   /* mov eax, [ebp+8] */
    0xe8, 0x00, 0x00, 0x00, 0x00,       /* call next */
    0xf4,                               /* hlt */
};

Test(trace, format_one_instruction)
{
    char buf[128];
    trace_format_insn(buf, sizeof buf, 0x1003, prologue + 3, 3, false);
    cr_assert(strncmp(buf, "8b 45 08 ", 9) == 0, "got [%s]", buf);
    cr_assert(strstr(buf, "mov eax, dword ptr [ebp + 8]"), "got [%s]", buf);
}

/* Real mode, virtual-8086 mode and 16-bit segments: the same bytes mean
 * 16-bit registers and 16-bit addressing (what vm_unsupported shows). */
Test(trace, sixteen_bit_code)
{
    static const uint8_t movbx[] = { 0x8b, 0x00 };
    char buf[128];
    trace_format_insn(buf, sizeof buf, 0x7c00, movbx, sizeof movbx, true);
    cr_assert(strstr(buf, "mov ax, word ptr [bx + si]"), "got [%s]", buf);
    trace_format_insn(buf, sizeof buf, 0x7c00, movbx, sizeof movbx, false);
    cr_assert(strstr(buf, "mov eax, dword ptr [eax]"), "got [%s]", buf);
}

Test(trace, relative_branch_target_uses_address)
{
    char buf[128];
    trace_format_insn(buf, sizeof buf, 0xC0100000u, prologue + 6, 5, false);
    cr_assert(strstr(buf, "call 0xc0100005"), "got [%s]", buf);
}

Test(trace, privileged_instructions)
{
    static const uint8_t lgdt[] = { 0x0f, 0x01, 0x15, 0x00, 0x10, 0x00, 0x00 };
    static const uint8_t movcr[] = { 0x0f, 0x22, 0xc0 };
    char buf[128];
    trace_format_insn(buf, sizeof buf, 0, lgdt, sizeof lgdt, false);
    cr_assert(strstr(buf, "lgdt ") && strstr(buf, "[0x1000]"), "got [%s]", buf);
    trace_format_insn(buf, sizeof buf, 0, movcr, sizeof movcr, false);
    cr_assert(strstr(buf, "mov cr0, eax"), "got [%s]", buf);
}

Test(trace, invalid_bytes)
{
    static const uint8_t bad[] = { 0xff, 0xff };
    char buf[128];
    trace_format_insn(buf, sizeof buf, 0, bad, sizeof bad, false);
    cr_assert(strncmp(buf, "ff ", 3) == 0 && strstr(buf, "(bad)"), "got [%s]", buf);
}

Test(trace, truncated_instruction_is_bad)
{
    char buf[128];
    trace_format_insn(buf, sizeof buf, 0, prologue + 6, 3, false);  /* call without its rel32 */
    cr_assert(strstr(buf, "(bad)"), "got [%s]", buf);
}

Test(trace, listing_lines)
{
    char *text = NULL;
    CAPTURE(text, trace_disasm(OUT, NULL, 0x1000, prologue, sizeof prologue, 100));
    static const char *const lines[] = {
        "00001000  55 ", "00001001  89 e5 ", "00001003  8b 45 08 ",
        "00001006  e8 00 00 00 00 ", "0000100b  f4 ",
    };
    char *p = text;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        cr_assert(strncmp(p, lines[i], strlen(lines[i])) == 0, "line %zu: %.40s", i, p);
        p = strchr(p, '\n');
        cr_assert_not_null(p);
        p++;
    }
    cr_assert_eq(*p, '\0', "extra output: %s", p);
    cr_assert(strstr(text, "push ebp\n") && strstr(text, "hlt\n"), "%s", text);
    free(text);
}

Test(trace, listing_stops_at_max_insns)
{
    char *text = NULL;
    CAPTURE(text, trace_disasm(OUT, NULL, 0x1000, prologue, sizeof prologue, 2));
    cr_assert_str_eq(strchr(strchr(text, '\n') + 1, '\n') + 1, "");
    cr_assert(strstr(text, "mov ebp, esp"));
    cr_assert_null(strstr(text, "eax"));
    free(text);
}

Test(trace, listing_continues_after_bad_byte)
{
    static const uint8_t code[] = { 0xff, 0xff, 0xf4 };
    char *text = NULL;
    CAPTURE(text, trace_disasm(OUT, NULL, 0x2000, code, 1, 10));
    cr_assert(strstr(text, "00002000  ff") && strstr(text, "(bad)"), "%s", text);
    free(text);
    static const uint8_t code2[] = { 0x0f, 0x0b, 0xf4 };  /* ud2; hlt */
    CAPTURE(text, trace_disasm(OUT, NULL, 0x2000, code2, sizeof code2, 10));
    cr_assert(strstr(text, "00002000  0f 0b") && strstr(text, "ud2"), "%s", text);
    cr_assert(strstr(text, "00002002  f4") && strstr(text, "hlt"), "%s", text);
    free(text);
}

/* ---- the --stats report ---- */

/* --perf-map lines: "start size name", hex, as perf(1) reads them. */
Test(trace, perf_map_lines)
{
    char *text = NULL;
    CAPTURE(text, trace_perf_map_tu(OUT, NULL, (void *)0x7f0000001000ul, 0x4c, 0xc1234567u));
    cr_assert_str_eq(text, "7f0000001000 4c guest:0xc1234567\n");
    free(text);
}

Test(stats, exit_names_follow_enum_bt_exit)
{
    static const char *const want[] = { "none", "link", "lookup", "emulate",
                                        "exception", "poll", "smc", "step" };
    cr_assert_eq(EXIT_STEP, 7);
    for (int r = EXIT_NONE; r <= EXIT_STEP; r++)
        cr_assert_str_eq(stats_exit_name(r), want[r]);
    cr_assert_str_eq(stats_exit_name(99), "unknown");
    cr_assert_str_eq(stats_exit_name(-1), "unknown");
}

Test(stats, report_lines)
{
    struct stats *s = calloc(1, sizeof *s);
    char *text = NULL;
    s->bt_blocks = 11;
    s->bt_guest_insns = 222;
    s->bt_tc_bytes = 3333;
    s->bt_entries = 5;
    s->callouts[ZYDIS_MNEMONIC_CPUID] = 3;
    s->callouts[ZYDIS_MNEMONIC_MOV] = 2;
    s->exits[EXIT_EMULATE] = 7;
    s->exits[EXIT_SMC] = 1;
    s->exceptions[EXC_GP] = 2;
    s->exceptions[EXC_PF] = 40;
    s->exceptions[0x80] = 6;
    s->interrupts[32] = 9;
    CAPTURE(text, stats_print(s, OUT));

    static const char *const must[] = {
        "bt.blocks: 11\n", "bt.guest_insns: 222\n", "bt.tc_bytes: 3333\n",
        "bt.chained: 0\n", "bt.lookup_misses: 0\n", "bt.flushes: 0\n",
        "bt.smc_faults: 0\n", "bt.invalidated: 0\n", "bt.entries: 5\n",
        "bt.callouts.cpuid: 3\n", "bt.callouts.mov: 2\n", "bt.callouts: 5\n",
        "exits.emulate: 7\n", "exits.smc: 1\n",
        "exceptions.13_gp: 2\n", "exceptions.14_pf: 40\n", "exceptions.128: 6\n",
        "interrupts.32: 9\n",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        cr_assert(strstr(text, must[i]), "missing %s in:\n%s", must[i], text);
    /* zero table entries are left out */
    cr_assert_null(strstr(text, "exits.link"), "%s", text);
    cr_assert_null(strstr(text, "exceptions.0_de"), "%s", text);
    cr_assert_null(strstr(text, "interrupts.33"), "%s", text);
    /* every line is `key: value`, or a group's `# name: meaning` */
    int groups = 0;
    for (char *p = text; *p; p = strchr(p, '\n') + 1) {
        char key[64];
        unsigned long long v;
        if (*p == '#') {
            groups++;
            continue;
        }
        cr_assert_eq(sscanf(p, "%63[a-z0-9_.]: %llu", key, &v), 2, "bad line %.40s", p);
    }
    cr_assert_eq(groups, 9, "%s", text);
    /* each table under its mechanism */
    cr_assert(strstr(text, "# callouts: ") < strstr(text, "bt.callouts.cpuid: 3\n"));
    cr_assert(strstr(text, "# exits: ") < strstr(text, "exits.emulate: 7\n"));
    cr_assert(strstr(text, "# events: ") < strstr(text, "exceptions.13_gp: 2\n"));
    free(text);
    free(s);
}

Test(stats, empty_report_has_fixed_counters_and_totals)
{
    struct stats *s = calloc(1, sizeof *s);
    char *text = NULL;
    CAPTURE(text, stats_print(s, OUT));
    static const char *const keys[] = {
        "bt.blocks", "bt.guest_insns", "bt.partial_invalidations", "bt.smc_emulated",
        "bt.code16_blocks", "bt.code16_insns", "bt.v86_insns", "bt.code16_table_resets", "bt.tc_bytes", "bt.chained", "bt.lookup_misses",
        "bt.flushes", "bt.smc_faults", "bt.invalidated", "bt.entries", "bt.unkeyed_steps", "a20.switches",
        "realmode.insns",
        "realmode.v86_insns", "realmode.ns", "emulate.decoded", "emulate.decode_cached", "bt.light",
        "cpu.ring3_translated_entries", "bt.wrap_steps", "bt.user_drops", "bt.user_revived",
        "bt.kernel_drops", "bt.kernel_revived", "bt.callouts", "direct.entries",
        "direct.sysenter_ud", "direct.syscall_ud", "direct.guard_translated", "direct.segment_reloads", "direct.cpuid",
        "direct.traps", "shadow.hidden_faults", "shadow.true_faults", "shadow.flushes",
        "shadow.invlpg", "shadow.view_hits", "shadow.view_recycles", "shadow.user_hidden_faults",
        "shadow.user_remaps", "shadow.prefaults", "shadow.mapped_around", "shadow.user_kept",
        "shadow.trace_faults", "shadow.untraced", "mmio.unassigned_maps", "mmio.shadow_writes_discarded", "mmio.accesses",
        "kvm.injected", "kvm.exits",
    };
    int lines = 0;
    for (char *p = text; *p; p = strchr(p, '\n') + 1)
        lines += *p != '#';
    cr_assert_eq(lines, (int)(sizeof keys / sizeof keys[0]), "%s", text);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char line[80];
        snprintf(line, sizeof line, "\n%s: 0\n", keys[i]);
        cr_assert(strstr(text, line), "no %s in:\n%s", keys[i], text);   /* a group line comes first */
    }
    free(text);
    free(s);
}

/* The KVM engine's exits, by KVM's reason, in their own group after the
 * translator's exits. */
Test(stats, kvm_exits)
{
    struct stats *s = calloc(1, sizeof *s);
    char *text = NULL;
    s->kvm_exits[2] = 7;            /* KVM_EXIT_IO */
    s->kvm_exits[6] = 5;            /* KVM_EXIT_MMIO */
    s->kvm_injected = 3;
    CAPTURE(text, stats_print(s, OUT));
    cr_assert(strstr(text, "\nkvm.exits.io: 7\n"), "%s", text);
    cr_assert(strstr(text, "\nkvm.exits.mmio: 5\n"), "%s", text);
    cr_assert(strstr(text, "\nkvm.exits: 12\n"), "%s", text);
    cr_assert(strstr(text, "\nkvm.injected: 3\n"), "%s", text);
    cr_assert(strstr(text, "# kvm: ") < strstr(text, "kvm.exits.io"));
    cr_assert(strstr(text, "# exits: ") < strstr(text, "# kvm: "));
    free(text);
    free(s);
}

/* --stats=json: one object; every counter with its value and group, the
 * fixed ones with their meaning; the device models' lines as "devices". */
Test(stats, json_report)
{
    struct stats *s = calloc(1, sizeof *s);
    char *text = NULL;
    s->bt_blocks = 11;
    s->traps[ZYDIS_MNEMONIC_CLI] = 4;
    s->exceptions[EXC_PF] = 40;
    CAPTURE(text, stats_print_json(s, "uart.tx_bytes: 12\nbad line\n# idle: time halted\n"
                                      "cpu.halts: 3\n", OUT));
    static const char *const must[] = {
        "\"bt.blocks\": { \"value\": 11, \"group\": \"translator\", \"meaning\": \"translation units made\" }",
        "\"direct.traps.cli\": { \"value\": 4, \"group\": \"traps\" }",
        "\"direct.traps\": { \"value\": 4, \"group\": \"traps\", \"meaning\": \"all of them\" }",
        "\"exceptions.14_pf\": { \"value\": 40, \"group\": \"events\" }",
        "\"uart.tx_bytes\": { \"value\": 12, \"group\": \"devices\" }",
        "\"cpu.halts\": { \"value\": 3, \"group\": \"idle\" }", "\"idle\": \"time halted\"",
        "\"groups\": {", "\"page faults\": \"hidden",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        cr_assert(strstr(text, must[i]), "missing %s in:\n%s", must[i], text);
    cr_assert_null(strstr(text, "bad line"), "%s", text);
    /* balanced braces, no trailing comma before a closing one */
    int depth = 0;
    for (const char *p = text; *p; p++) {
        depth += *p == '{' ? 1 : *p == '}' ? -1 : 0;
        cr_assert_geq(depth, 0);
        if (*p == ',') {
            const char *q = p + 1;
            while (*q == ' ' || *q == '\n')
                q++;
            cr_assert_neq(*q, '}', "trailing comma in:\n%s", text);
        }
    }
    cr_assert_eq(depth, 0, "%s", text);
    free(text);
    free(s);
}
