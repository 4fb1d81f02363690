/*
 * tests/fuzz/fuzz_decode.c - arbitrary instruction bytes through the
 * translator's classifier (bt/classify.c: which translation class an
 * instruction gets) and the monitor's emulator (cpu/emulate.c), on a
 * machine built in guest RAM: a GDT with flat ring-0 and ring-3 segments,
 * a TSS with a ring-0 stack, an IDT whose gates send vector v to
 * HANDLER(v), optional 4 MiB identity paging, the PC devices on the bus.
 *
 * For each instruction (up to STEPS, from EIP = CODE on): classify() must
 * give a defined class; emulate_step() must return a defined result, and
 * - EM_HALT only for HLT, EM_STOP only with the run stopped (vm_stop);
 * - EM_OK is either a delivered exception (CS:EIP where an IDT gate leads,
 *   or a task switch) or the
 *   instruction carried out: decoded (length 1..15), and EIP moved unless
 *   the instruction is a branch or a REP string instruction (which may
 *   stop between iterations, SDM vol. 2 REP);
 * - CPL is the RPL of CS in protected mode (SDM vol. 3A 5.5), 0 in real
 *   mode, 3 in virtual-8086 mode;
 * - in virtual-8086 mode every segment register has base selector << 4,
 *   limit 0xFFFF and attributes V86_SEG_ATTR, and EIP fits in 16 bits;
 *   in real mode, as long as the code has not left it, every base is
 *   selector << 4 and EIP stays within CS's limit (SDM vol. 3A 20.1).
 *
 * Input: 34 bytes of machine state, then the code bytes (copied to CODE).
 *   byte 0  bit 0 ring 3; bit 1 paging (4 MiB pages, CR4.PSE); bit 2
 *           16-bit code segment; bit 3 SS with a limit (not flat); bit 4
 *           IF; bit 5 IOPL 3; bit 6 DF; bit 7 pages supervisor-only
 *   byte 1  bit 0 CR0.WP, bit 1 CR0.TS, bit 2 CR0.EM, bit 3 CR4.TSD,
 *           bit 4 pages read-only, bit 5 EFLAGS.AC and CR0.AM, bit 6 TF,
 *           bit 7 real-address segments (below)
 *   2..33   EAX..EDI (ESP is kept inside the stack page: 12 bits)
 * With byte 1 bit 7, the code runs at CS:IP = FFFF:0010 (linear CODE) with
 * SS = 0700, the other segments 0 (the IVT and the tables within reach),
 * SP in the stack page, and byte 0 means instead:
 *   bit 0   virtual-8086 mode (CR0.PE, EFLAGS.VM, CPL 3, paging forced on;
 *           the IDT's gates lead to ring 0 on the TSS's ring-0 stack),
 *           else real-address mode (CR0.PE clear, paging off, IDTR the IVT
 *           at 0, whose entry v leads to HANDLER(v) as 1000:v*16)
 *   bit 2   real mode: CS with a 4 GiB limit (still 16-bit)
 *   bit 3   real mode: "unreal" data segments, 4 GiB limits
 *   bits 1, 4-7 as above (bit 1 ignored in real mode)
 * The GDT stays loaded in both, so the code can enter protected mode.
 */
#include "fuzz_common.h"
#include <Zydis/Zydis.h>
#include "monitor/vm.h"
#include "cpu/emulate.h"
#include "cpu/segments.h"
#include "cpu/realmode.h"
#include "cpu/v86.h"
#include "cpu/decode_cache.h"
#include "bt/xlat.h"
#include "shadow_mmu/mmu.h"
#include "devices/irq.h"
#include "devices/platform.h"

#define RAM_MIB  16
#define IDT      0x1000u
#define GDT      0x2000u
#define TSS      0x3000u
#define PDIR     0x5000u
#define STACK0   0x7000u
#define STACK    0x9000u
#define CODE     0x100000u
#define HANDLER(v) (0x10000u + (v) * 16u)
#define IOMAP    0x68u
#define STEPS    8
#define MAX_CODE 64

#define K_CS 0x08
#define K_DS 0x10
#define U_CS 0x1B
#define U_DS 0x23
#define TSS_SEL 0x28
#define RM_CS   0xFFFF          /* FFFF:0010 is linear CODE (1 MiB) */
#define RM_SS   (STACK0 >> 4)
#define F1_REAL 0x80

/* A task switch that loads CR3 with paging on tells the monitor
 * (vm_cr3_loaded, monitor/run.c), which switches the shadow MMU's view and
 * checks the translations.  This harness has neither (they need the user
 * view below 4 GiB, which ASan occupies): it is linked with
 * --wrap=vm_cr3_loaded (CMakeLists.txt) and checks only that the call comes
 * with paging on, as the contract says. */
void __wrap_vm_cr3_loaded(struct vm *vm)
{
    FUZZ_CHECK(vm->cpu.cr0 & CR0_PG, "vm_cr3_loaded with paging off");
}

static void put32(struct vm *vm, uint32_t pa, uint32_t v)
{
    memcpy(vm->mem.ram + pa, &v, 4);
}

static void gdt_set(struct vm *vm, uint16_t sel, uint32_t base, uint32_t limit, uint32_t type)
{
    put32(vm, GDT + (sel & ~7u), (base << 16) | (limit & 0xFFFF));
    put32(vm, GDT + (sel & ~7u) + 4,
          ((base >> 16) & 0xFF) | (base & 0xFF000000u) | (limit & 0xF0000u) | type);
}

static void tables(struct vm *vm, uint8_t f0, uint8_t f1)
{
    struct vcpu *c = &vm->cpu;
    gdt_set(vm, K_CS, 0, 0xFFFFF, 0x00C09B00);
    gdt_set(vm, K_DS, 0, 0xFFFFF, 0x00C09300);
    gdt_set(vm, U_CS, 0, 0xFFFFF, 0x00C0FB00);
    gdt_set(vm, U_DS, 0, 0xFFFFF, 0x00C0F300);
    gdt_set(vm, TSS_SEL, TSS, IOMAP + 128, 0x00008900);
    c->gdtr = (struct dtr){ GDT, 0x2F };
    for (uint32_t v = 0; v < 256; v++) {
        uint32_t h = HANDLER(v), dpl = (v == 0x80 || v == 3 || v == 4) ? 3u : 0u;
        put32(vm, IDT + v * 8, (K_CS << 16) | (h & 0xFFFF));
        put32(vm, IDT + v * 8 + 4, (h & 0xFFFF0000u) | 0x8E00 | dpl << 13);
    }
    c->idtr = (struct dtr){ IDT, 0x7FF };
    put32(vm, TSS + 4, STACK0);
    put32(vm, TSS + 8, K_DS);
    put32(vm, TSS + 100, IOMAP << 16);
    memset(vm->mem.ram + TSS + IOMAP, 0xFF, 129);
    vm->mem.ram[TSS + IOMAP + 0x70 / 8] &= ~0x03;       /* ports 0x70, 0x71 open */
    seg_set_raw(&c->tr, TSS_SEL, TSS, IOMAP + 128, 0x008B);
    if (f0 & 2) {                   /* RAM identity-mapped with 4 MiB pages */
        uint32_t pde = 0x81 | (f1 & 0x10 ? 0 : 2) | (f0 & 0x80 ? 0 : 4);
        for (uint32_t i = 0; i < RAM_MIB / 4; i++)
            put32(vm, PDIR + i * 4, (i << 22) | pde);
        c->cr3 = PDIR;
        c->cr4 |= CR4_PSE;
        c->cr0 |= CR0_PG;
    }
}

/* Real-address or virtual-8086 mode on top of the protected-mode tables
 * (byte 1 bit 7): the IVT at 0, CS:IP = FFFF:0010, SS = 0700. */
static void real_segments(struct vm *vm, uint8_t f0)
{
    struct vcpu *c = &vm->cpu;
    uint32_t sp = c->gpr[R_ESP] & 0xFFF;

    for (uint32_t v = 0; v < 256; v++)
        put32(vm, v * 4, 0x1000u << 16 | (HANDLER(v) - 0x10000u));
    c->gpr[R_ESP] = (STACK - 0x800 - (RM_SS << 4)) + sp;
    c->eip = CODE - (RM_CS << 4);
    if (f0 & 1) {                   /* virtual-8086 mode, CPL 3, paging on */
        c->eflags |= FL_VM;
        c->cpl = 3;
        for (int s = 0; s < S_NSEG; s++)
            v86_load_seg(c, s, s == S_CS ? RM_CS : s == S_SS ? RM_SS : 0);
        return;
    }
    c->cr0 &= ~(CR0_PE | CR0_PG);
    c->cpl = 0;
    c->idtr = (struct dtr){ 0, 0x3FF };
    uint32_t dlim = f0 & 8 ? 0xFFFFFFFFu : 0xFFFF, clim = f0 & 4 ? 0xFFFFFFFFu : 0xFFFF;
    seg_set_raw(&c->seg[S_CS], RM_CS, RM_CS << 4, clim, (clim > 0xFFFF ? 0x8000 : 0) | 0x9B);
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS) {
            uint16_t sel = s == S_SS ? RM_SS : 0;
            seg_set_raw(&c->seg[s], sel, (uint32_t)sel << 4, dlim, (dlim > 0xFFFF ? 0x8000 : 0) | 0x93);
        }
}

static void machine(struct vm *vm, struct fuzz_in *in)
{
    struct vcpu *c = &vm->cpu;
    uint8_t f0 = fuzz_take(in, 1), f1 = fuzz_take(in, 1);

    vcpu_reset_protected_flat(c);
    if (f1 & F1_REAL)               /* paging in virtual-8086 mode, none in real mode */
        f0 = f0 & 1 ? f0 | 2 : f0 & ~2;
    tables(vm, f0, f1);
    c->cr0 |= (f1 & 1 ? 0x10000u : 0) | (f1 & 2 ? 8u : 0) | (f1 & 4 ? 4u : 0) |
              (f1 & 0x20 ? 0x40000u : 0);
    c->cr4 |= f1 & 8 ? 4u : 0;
    for (int r = 0; r < 8; r++)
        c->gpr[r] = fuzz_take(in, 4);
    c->gpr[R_ESP] = STACK - 0x800 + (c->gpr[R_ESP] & 0xFFF);
    c->eflags |= (f0 & 0x10 ? FL_IF : 0) | (f0 & 0x20 ? FL_IOPL : 0) | (f0 & 0x40 ? FL_DF : 0) |
                 (f1 & 0x20 ? FL_AC : 0) | (f1 & 0x40 ? FL_TF : 0);
    bool user = f0 & 1;
    uint16_t cs = user ? U_CS : K_CS, ds = user ? U_DS : K_DS;
    seg_set_raw(&c->seg[S_CS], cs, 0, 0xFFFFFFFFu, (f0 & 4 ? 0x8000 : 0xC000) | (user ? 0xFB : 0x9B));
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            seg_set_raw(&c->seg[s], ds, 0, 0xFFFFFFFFu, 0xC000 | (user ? 0xF3 : 0x93));
    if (f0 & 8)
        seg_set_raw(&c->seg[S_SS], ds, 0, STACK + 0xFFF, 0x4000 | (user ? 0xF3 : 0x93));
    c->cpl = user ? 3 : 0;
    c->eip = CODE;
    if (f1 & F1_REAL)
        real_segments(vm, f0);
}

/* What the translator would decide for the instruction at CS:EIP. */
static void check_classify(struct vm *vm, const uint8_t *code, size_t n)
{
    struct xlat x = { .vm = vm, .c = &vm->cpu, .eip = vm->cpu.eip,
                      .user = vm->cpu.cpl == 3 };
    memcpy(x.bytes, code, n < sizeof x.bytes ? n : sizeof x.bytes);
    if (ZYAN_FAILED(ZydisDecoderDecodeFull(xl_decoder(), x.bytes, 15, &x.ins, x.ops)))
        return;
    enum kind k = classify(&x);
    FUZZ_CHECK(k >= K_COPY && k <= K_IRETD, "classify gave %d", (int)k);
    FUZZ_CHECK(!x.user || (k != K_CLI && k != K_STI && k != K_MOV_FROM_CR && k != K_RDTSC),
               "class %d at CPL 3 needs the emulator", (int)k);
}

/* Is CS:EIP where a gate of the IDT leads, as the IDT is now (the guest's
 * code may have rewritten it, or loaded another)?  Or did TR change (a task
 * gate)?  Then an exception or interrupt was delivered. */
static bool delivered(struct vm *vm, uint16_t tr)
{
    const struct vcpu *c = &vm->cpu;
    if (c->tr.sel != tr)
        return true;
    if (cpu_real_mode(c)) {         /* the IVT: offset, then segment */
        for (uint32_t v = 0; v < 256 && v * 4 + 3 <= c->idtr.limit; v++) {
            uint32_t e;
            if (mmu_read(&vm->cpu, c->idtr.base + v * 4, &e, 4, ACC_READ | ACC_NOSET, NULL) != MMU_OK)
                break;
            if (e >> 16 == c->seg[S_CS].sel && (e & 0xFFFF) == c->eip)
                return true;
        }
        return false;
    }
    for (uint32_t v = 0; v < 256 && v * 8 + 7 <= c->idtr.limit; v++) {
        uint32_t gate[2], lo, hi;
        if (mmu_read(&vm->cpu, c->idtr.base + v * 8, gate, 8, ACC_READ | ACC_NOSET, NULL) != MMU_OK)
            break;
        lo = gate[0];
        hi = gate[1];
        uint32_t off = (hi & 0xFFFF0000u) | (lo & 0xFFFF);
        if (((lo >> 16) & ~3u) == (c->seg[S_CS].sel & ~3u) &&
            (c->eip == off || c->eip == (lo & 0xFFFF)))
            return true;
    }
    return false;
}

static bool may_stay(const uint8_t *code)
{
    ZydisDecodedInstruction ins;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (ZYAN_FAILED(ZydisDecoderDecodeFull(xl_decoder(), code, 15, &ins, ops)))
        return false;
    return ins.meta.branch_type != ZYDIS_BRANCH_TYPE_NONE ||
           (ins.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
                              ZYDIS_ATTRIB_HAS_REPNE));
}

/* The segment registers as real-address and virtual-8086 mode keep them:
 * base selector << 4; in virtual-8086 mode also limit 0xFFFF and the
 * fixed attributes, and a 16-bit EIP (SDM vol. 3A 20.1.1, 20.2.1). */
static void check_real_segments(const struct vcpu *c, bool v86)
{
    for (int s = 0; s < S_NSEG; s++) {
        const struct seg *g = &c->seg[s];
        FUZZ_CHECK(g->base == (uint32_t)g->sel << 4, "segment %d: selector %#x, base %#x", s,
                   g->sel, g->base);
        FUZZ_CHECK(!v86 || (g->limit == 0xFFFF && g->attr == V86_SEG_ATTR),
                   "virtual-8086 segment %d: limit %#x, attributes %#x", s, g->limit, g->attr);
    }
    /* An instruction that ends at the limit leaves EIP one past it: the
     * next fetch faults. */
    FUZZ_CHECK(c->eip <= (uint64_t)c->seg[S_CS].limit + 1, "EIP %#x beyond CS's limit %#x",
               c->eip, c->seg[S_CS].limit);
}

/* pure: the machine has been in real-address mode since the start, so its
 * segments are still the harness's real-mode ones (a return from protected
 * mode may keep any base: "unreal" mode).  was_real: it was in real mode at
 * some step; setting CR0.PE keeps CPL 0 and the real-mode CS until a far
 * jump loads a descriptor (SDM vol. 3A 9.9.1), so the CPL = RPL rule holds
 * only for a run that began in protected mode. */
static void check_mode(const struct vcpu *c, bool pure, bool was_real)
{
    if (cpu_v86(c)) {
        FUZZ_CHECK(c->cpl == 3, "CPL %d in virtual-8086 mode", c->cpl);
        check_real_segments(c, true);
    } else if (cpu_real_mode(c)) {
        FUZZ_CHECK(c->cpl == 0, "CPL %d in real mode", c->cpl);
        if (pure)
            check_real_segments(c, false);
    } else if (!was_real)
        FUZZ_CHECK(c->cpl == (c->seg[S_CS].sel & 3), "CPL %d with CS %#x", c->cpl,
                   c->seg[S_CS].sel);
}

static void check_step(struct vm *vm, enum em_result r, const struct em_info *info,
                       uint32_t eip, uint16_t cs, uint16_t tr, const uint8_t *code, bool pure,
                       bool was_real)
{
    const struct vcpu *c = &vm->cpu;
    FUZZ_CHECK(r == EM_OK || r == EM_HALT || r == EM_STOP, "emulate_step returned %d", (int)r);
    FUZZ_CHECK(r != EM_HALT || info->mnemonic == ZYDIS_MNEMONIC_HLT,
               "EM_HALT for mnemonic %d", info->mnemonic);
    FUZZ_CHECK(r != EM_STOP || vm->stop, "EM_STOP without vm_stop");
    check_mode(c, pure, was_real);
    if (r != EM_OK || delivered(vm, tr))
        return;
    FUZZ_CHECK(info->length >= 1 && info->length <= 15, "EM_OK, no exception, length %u",
               info->length);
    FUZZ_CHECK(c->eip != eip || c->seg[S_CS].sel != cs || may_stay(code),
               "EM_OK, no exception, EIP stays at %#x", eip);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    classify_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    char err[256];

    classify_init();
    struct vm *vm = vm_alloc();
    FUZZ_CHECK(vm, "out of memory");
    FUZZ_CHECK(guest_mem_init(&vm->mem, RAM_MIB, err, sizeof err) == 0, "%s", err);
    vm->cpu.vm = vm;
    FUZZ_CHECK(devices_init(vm, err, sizeof err) == 0, "%s", err);
    vm->platform->com[0].out_fd = -1;
    machine(vm, &in);
    size_t n = in.left < MAX_CODE ? in.left : MAX_CODE;
    memcpy(vm->mem.ram + CODE, in.p, n);

    bool pure = cpu_real_mode(&vm->cpu), was_real = pure;
    for (int i = 0; i < STEPS && !vm->stop; i++) {
        struct vcpu *c = &vm->cpu;
        uint32_t lin = c->seg[S_CS].base + c->eip, eip = c->eip;
        uint16_t cs = c->seg[S_CS].sel, tr = c->tr.sel;
        uint8_t code[16] = { 0 };
        if (lin < vm->mem.size - 16)
            memcpy(code, vm->mem.ram + lin, 15);
        if (SEG_ATTR_DB(c->seg[S_CS].attr) && !(c->eflags & FL_VM))
            check_classify(vm, code, 15);
        struct em_info info;
        enum em_result r = emulate_step(c, &info);
        if (getenv("FUZZ_VERBOSE"))     /* each step, to read a reproducer */
            fprintf(stderr, "%04x:%08x %s len %u -> %d, %04x:%08x\n", cs, eip,
                    ZydisMnemonicGetString(info.mnemonic), info.length, (int)r,
                    c->seg[S_CS].sel, c->eip);
        pure = pure && cpu_real_mode(c);
        check_step(vm, r, &info, eip, cs, tr, code, pure, was_real);
        if (r != EM_OK)
            break;
    }
    dc_free(vm);                    /* the emulator's decode cache, as the run loop's end frees it */
    devices_destroy(vm);
    guest_mem_destroy(&vm->mem);
    free(vm);
    return 0;
}
