/*
 * tests/unit/test_insn_table.c - cpu/insn_table.h, the one list of the
 * instructions the monitor carries out, against the translator's
 * classification (bt/classify.c) and the emulator (cpu/emulate.c).
 *
 * Suite table: a sweep decodes every one-, two- and three-byte opcode (no
 * prefix, 66, F2, F3, 67) with every ModRM byte, as 32-bit code, and classifies
 * each instruction for a CPL-0 and a CPL-3 context with flat segments:
 *  - every sensitive row is found by the sweep, and the translator sends it
 *    to the monitor (K_EMULATE, or an inline or light-callout class of its
 *    own), never copies it to the host;
 *  - every instruction the translator sends to the emulator is one the
 *    emulator carries out: a row of the table, an x87 memory form, or an
 *    instruction outside the CPU model (#UD before any handler);
 *  - every ABSENT row is outside the model (cpu_model_insn), so the
 *    translator and the emulator both raise #UD there.
 * Suite run: a few encodings through emulate_step() (VMCALL, VMMCALL,
 * SYSCALL, SYSRET, MONITOR, MWAIT, XGETBV, XSETBV, RDTSCP, RSM, VMXON #UD
 * at CPL 0 and 3; MASKMOVQ and MASKMOVDQU store the selected bytes at
 * DS:EDI; CPUID answers the model's vendor).
 */
#include "emulate_fixture.h"
#include "bt/xlat.h"
#include "cpu/fpu.h"
#include "cpu/insn_table.h"

/* ---------------- the table and the translator ---------------- */

struct row {
    int mnemonic;
    const char *name;
    enum insn_class class;
};

#define ROW(M, m, class) { ZYDIS_MNEMONIC_##M, #M, INSN_##class },
static const struct row rows[] = { INSN_TABLE(ROW) };
#undef ROW
#define NROWS (sizeof rows / sizeof rows[0])

static const struct row *row_of(int mnemonic)
{
    for (size_t i = 0; i < NROWS; i++)
        if (rows[i].mnemonic == mnemonic)
            return &rows[i];
    return NULL;
}

/* The classes in which the instruction reaches the monitor: the emulator,
 * or bt/'s own inline translations and light callouts of sensitive
 * instructions, which read or write the virtual state in struct vcpu. */
static bool reaches_monitor(enum kind k)
{
    switch (k) {
    case K_EMULATE: case K_CLI: case K_STI: case K_PUSHFD: case K_PUSH_SREG:
    case K_MOV_FROM_SREG: case K_MOV_FROM_CR: case K_RDTSC: case K_POP_SREG:
    case K_MOV_TO_SREG: case K_VERW: case K_POPFD: case K_IRETD:
        return true;
    default:
        return false;
    }
}

static struct vcpu ctx;

/* Flat 4 GiB segments at CPL 0 or 3, as a kernel or its programs run. */
static void flat(int cpl)
{
    memset(&ctx, 0, sizeof ctx);
    vcpu_reset_protected_flat(&ctx);
    uint16_t cs = cpl ? U_CS : K_CS, ds = cpl ? U_DS : K_DS;
    seg_set_raw(&ctx.seg[S_CS], cs, 0, 0xFFFFFFFFu, cpl ? 0xC0FB : 0xC09B);
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            seg_set_raw(&ctx.seg[s], ds, 0, 0xFFFFFFFFu, cpl ? 0xC0F3 : 0xC093);
    ctx.cpl = cpl;
}

static bool x87_mem_form(const ZydisDecodedInstruction *in)
{
    return in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && in->opcode >= 0xD8 &&
           in->opcode <= 0xDF && in->raw.modrm.mod != 3;
}

/* What the sweep saw of one mnemonic at one CPL, with an encoding for the
 * messages. */
static struct seen {
    bool found;
    bool copied;                /* classified outside reaches_monitor() */
    bool unhandled;             /* sent to the emulator, which has no handler */
    bool in_model;              /* an ABSENT row that the CPU model has */
    uint8_t copy[6];            /* the first encoding that was copied */
    uint8_t bad[6];             /* the first encoding that was unhandled or in the model */
} seen[ZYDIS_MNEMONIC_MAX_VALUE + 1];

static void sweep_one(const uint8_t *b, size_t n, int cpl)
{
    struct xlat x = { .c = &ctx, .eip = 0x100000, .user = cpl == 3 };
    memcpy(x.bytes, b, n);
    if (ZYAN_FAILED(ZydisDecoderDecodeFull(xl_decoder(), x.bytes, sizeof x.bytes, &x.ins, x.ops)))
        return;
    int m = x.ins.mnemonic;
    enum kind k = classify(&x);
    const struct row *r = row_of(m);
    bool absent = cpu_model_insn(&x.ins) == MODEL_UD;
    struct seen *s = &seen[m];
    s->found = true;
    if (!reaches_monitor(k) && !s->copied) {
        s->copied = true;
        memcpy(s->copy, b, sizeof s->copy);
    }
    bool unhandled = k == K_EMULATE && !absent && !emulate_supports(m) && !x87_mem_form(&x.ins);
    bool in_model = r && r->class == INSN_ABSENT && !absent;
    if ((unhandled && !s->unhandled) || (in_model && !s->in_model))
        memcpy(s->bad, b, sizeof s->bad);
    s->unhandled |= unhandled;
    s->in_model |= in_model;
}

/* Every opcode of the maps 0F, 0F 38, 0F 3A and the one-byte map, with
 * each legacy prefix that selects an instruction and the address-size
 * prefix, and every ModRM byte
 * (register forms and group members included); SIB, displacement and
 * immediate bytes are zero. */
static void sweep(int cpl)
{
    static const uint8_t prefixes[] = { 0, 0x66, 0xF2, 0xF3, 0x67 };
    static const uint8_t maps[][2] = { { 0 }, { 0x0F }, { 0x0F, 0x38 }, { 0x0F, 0x3A } };
    static const uint8_t map_len[] = { 0, 1, 2, 2 };
    classify_init();
    flat(cpl);
    for (size_t p = 0; p < sizeof prefixes; p++)
        for (size_t mp = 0; mp < 4; mp++)
            for (unsigned op = 0; op < 256; op++)
                for (unsigned modrm = 0; modrm < 256; modrm++) {
                    uint8_t b[16] = { 0 };
                    size_t n = 0;
                    if (prefixes[p])
                        b[n++] = prefixes[p];
                    memcpy(b + n, maps[mp], map_len[mp]);
                    n += map_len[mp];
                    b[n++] = (uint8_t)op;
                    b[n++] = (uint8_t)modrm;
                    sweep_one(b, sizeof b, cpl);
                }
}

TestSuite(table, .timeout = 60);

Test(table, rows_are_unique_and_handled)
{
    for (size_t i = 0; i < NROWS; i++) {
        cr_assert(emulate_supports(rows[i].mnemonic), "%s: no handler", rows[i].name);
        cr_assert_eq(row_of(rows[i].mnemonic), &rows[i], "%s: two rows", rows[i].name);
    }
}

Test(table, sensitive_rows_reach_the_monitor)
{
    for (int cpl = 0; cpl <= 3; cpl += 3) {
        memset(seen, 0, sizeof seen);
        sweep(cpl);
        for (int m = 0; m <= ZYDIS_MNEMONIC_MAX_VALUE; m++) {
            const uint8_t *b = seen[m].bad;
            cr_expect(!seen[m].unhandled, "%s (%02x %02x %02x %02x %02x) at CPL %d: sent to the "
                      "emulator, which has no handler", ZydisMnemonicGetString(m), b[0], b[1],
                      b[2], b[3], b[4], cpl);
            cr_expect(!seen[m].in_model, "%s (%02x %02x %02x %02x): an ABSENT row in the CPU model",
                      ZydisMnemonicGetString(m), b[0], b[1], b[2], b[3]);
        }
        for (size_t i = 0; i < NROWS; i++) {
            const struct row *r = &rows[i];
            const struct seen *s = &seen[r->mnemonic];
            if (!insn_sensitive(r->class))
                continue;
            cr_expect(s->found, "%s: no encoding in the sweep", r->name);
            cr_expect(!s->copied, "%s (%02x %02x %02x %02x) at CPL %d: not sent to the monitor",
                      r->name, s->copy[0], s->copy[1], s->copy[2], s->copy[3], cpl);
        }
    }
}

/* ---------------- a few instructions through the emulator ---------------- */

TestSuite(run, .init = setup, .fini = teardown);

#define BYTES(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

/* The encoding raises #UD at CPL 0 and at CPL 3, EIP at it. */
static void expect_ud(const char *name, const uint8_t *b, size_t n)
{
    for (int cpl = 0; cpl <= 3; cpl += 3) {
        reset();
        if (cpl)
            user_mode();
        c->gpr[R_EBX] = DATA;
        c->gpr[R_EAX] = DATA;
        c->cr4 |= CR4_OSFXSR;
        cr_assert_eq(run_bytes(b, n), EM_OK, "%s at CPL %d", name, cpl);
        cr_assert_not(vm->stop, "%s at CPL %d stopped the VM", name, cpl);
        check_exc(EXC_UD, false, 0, CODE);
    }
}

Test(run, absent_instructions_raise_ud)
{
    expect_ud("vmcall", BYTES(0x0F, 0x01, 0xC1));
    expect_ud("vmmcall", BYTES(0x0F, 0x01, 0xD9));
    expect_ud("vmxon [ebx]", BYTES(0xF3, 0x0F, 0xC7, 0x33));
    expect_ud("vmread eax, ecx", BYTES(0x0F, 0x78, 0xC8));
    expect_ud("vmrun", BYTES(0x0F, 0x01, 0xD8));
    expect_ud("syscall", BYTES(0x0F, 0x05));
    expect_ud("sysret", BYTES(0x0F, 0x07));
    expect_ud("monitor", BYTES(0x0F, 0x01, 0xC8));
    expect_ud("mwait", BYTES(0x0F, 0x01, 0xC9));
    expect_ud("xgetbv", BYTES(0x0F, 0x01, 0xD0));
    expect_ud("xsetbv", BYTES(0x0F, 0x01, 0xD1));
    expect_ud("rdtscp", BYTES(0x0F, 0x01, 0xF9));
    expect_ud("rsm", BYTES(0x0F, 0xAA));
}

Test(run, maskmovq_and_maskmovdqu_store_selected_bytes_at_ds_edi)
{
    c->cr4 |= CR4_OSFXSR;
    c->gpr[R_EDI] = DATA;
    for (int i = 0; i < 16; i++) {      /* data A0, A1, ...; mask: top bit of the even bytes */
        c->fx_guest[FX_XMM(0) + i] = (uint8_t)(0xA0 + i);
        c->fx_guest[FX_XMM(1) + i] = i % 2 ? 0x7F : 0x80;
    }
    memcpy(c->fx_guest + FX_MM(0), c->fx_guest + FX_XMM(0), 8);
    memcpy(c->fx_guest + FX_MM(1), c->fx_guest + FX_XMM(1), 8);
    memset(ram + DATA, 0x11, 32);
    cr_assert_eq(RUN(0x0F, 0xF7, 0xC1), EM_OK);                 /* maskmovq mm0, mm1 */
    cr_assert_eq(c->eip, CODE + 3);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(ram[DATA + i], i < 8 && i % 2 == 0 ? 0xA0 + i : 0x11, "byte %d", i);

    c->eip = CODE;
    c->gpr[R_EDI] = DATA + 16;
    cr_assert_eq(RUN(0x66, 0x0F, 0xF7, 0xC1), EM_OK);           /* maskmovdqu xmm0, xmm1 */
    cr_assert_eq(c->eip, CODE + 4);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(ram[DATA + 16 + i], i % 2 == 0 ? 0xA0 + i : 0x11, "byte %d", i);
}

Test(run, cpuid_names_the_model)
{
    c->gpr[R_EAX] = 0;
    cr_assert_eq(RUN(0x0F, 0xA2), EM_OK);
    cr_assert_eq(c->eip, CODE + 2);
    cr_assert_eq(memcmp(&c->gpr[R_EBX], "Genu", 4), 0);
    cr_assert_eq(memcmp(&c->gpr[R_EDX], "ineI", 4), 0);
    cr_assert_eq(memcmp(&c->gpr[R_ECX], "ntel", 4), 0);
}
