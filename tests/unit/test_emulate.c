/*
 * tests/unit/test_emulate.c - the instruction emulator, one group at a time.
 *
 * Each test places instruction bytes in guest RAM at EIP (paging off, so
 * linear = physical), runs emulate_step(), and checks registers, flags,
 * memory, EIP and, for faults, the frame the exception pushed: the IDT
 * holds 32-bit interrupt gates sending vector v to HANDLER(v).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "cpu/emulate.h"
#include "cpu/segments.h"
#include "cpu/cpuid.h"
#include "shadow_mmu/mmu.h"
#include "monitor/vm.h"

#define IDT      0x1000u
#define GDT      0x2000u
#define TSS      0x3000u
#define LDT      0x4000u
#define CODE     0x100000u
#define DATA     0x200000u
#define STACK    0x9000u
#define STACK0   0x7000u            /* ring-0 stack of the TSS */
#define HANDLER(v) (0x10000u + (v) * 16u)
#define IOMAP    0x68u

/* GDT selectors */
#define K_CS 0x08
#define K_DS 0x10
#define U_CS 0x1B
#define U_DS 0x23
#define TSS_SEL 0x28
#define LDT_SEL 0x30
#define FS_SEL 0x38                 /* data, base 0x50000 */
#define RO_SEL 0x40                 /* read-only data */

static struct vm *vm;
static struct vcpu *c;
static uint8_t *ram;

static void put32(uint32_t pa, uint32_t v) { memcpy(ram + pa, &v, 4); }
static uint32_t get32(uint32_t pa) { uint32_t v; memcpy(&v, ram + pa, 4); return v; }
static uint16_t get16(uint32_t pa) { uint16_t v; memcpy(&v, ram + pa, 2); return v; }

static void gdt_set(uint16_t sel, uint32_t base, uint32_t limit, uint32_t type_bits)
{
    uint32_t lo = (base << 16) | (limit & 0xFFFF);
    uint32_t hi = ((base >> 16) & 0xFF) | (base & 0xFF000000u) | (limit & 0xF0000u) | type_bits;
    put32(GDT + (sel & ~7u), lo);
    put32(GDT + (sel & ~7u) + 4, hi);
}

static void setup(void)
{
    char err[128];
    vm = calloc(1, sizeof *vm);
    cr_assert(vm);
    cr_assert_eq(guest_mem_init(&vm->mem, 16, err, sizeof err), 0, "%s", err);
    ram = vm->mem.ram;
    c = &vm->cpu;
    c->vm = vm;
    vcpu_reset_protected_flat(c);

    gdt_set(K_CS, 0, 0xFFFFF, 0x00C09B00);
    gdt_set(K_DS, 0, 0xFFFFF, 0x00C09300);
    gdt_set(U_CS, 0, 0xFFFFF, 0x00C0FB00);
    gdt_set(U_DS, 0, 0xFFFFF, 0x00C0F300);
    gdt_set(TSS_SEL, TSS, IOMAP + 128, 0x00008900);
    gdt_set(LDT_SEL, LDT, 0xF, 0x00008200);
    gdt_set(FS_SEL, 0x50000, 0xFFFFF, 0x00C09300);
    gdt_set(RO_SEL, 0, 0xFFFFF, 0x00C09100);
    c->gdtr = (struct dtr){ GDT, 0x47 };
    for (uint32_t v = 0; v < 256; v++) {
        uint32_t h = HANDLER(v);
        uint32_t dpl = (v == 0x80 || v == 3 || v == 4) ? 3u : 0u;
        put32(IDT + v * 8, (K_CS << 16) | (h & 0xFFFF));
        put32(IDT + v * 8 + 4, (h & 0xFFFF0000u) | 0x8E00 | dpl << 13);
    }
    c->idtr = (struct dtr){ IDT, 0x7FF };
    put32(TSS + 4, STACK0);
    put32(TSS + 8, K_DS);
    put32(TSS + 100, IOMAP << 16);
    memset(ram + TSS + IOMAP, 0xFF, 129);
    ram[TSS + IOMAP + 0x70 / 8] &= ~0x03;       /* ports 0x70, 0x71 open */
    seg_set_raw(&c->tr, TSS_SEL, TSS, IOMAP + 128, 0x008B);
    seg_set_raw(&c->seg[S_CS], K_CS, 0, 0xFFFFFFFFu, 0xC09B);
    c->eip = CODE;
    c->gpr[R_ESP] = STACK;
}

static void teardown(void)
{
    guest_mem_destroy(&vm->mem);
    free(vm);
}

TestSuite(emulate, .init = setup, .fini = teardown);

/* A fresh machine in the middle of a test. */
static void reset(void)
{
    teardown();
    setup();
}

static void user_mode(void)
{
    seg_set_raw(&c->seg[S_CS], U_CS, 0, 0xFFFFFFFFu, 0xC0FB);
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            seg_set_raw(&c->seg[s], U_DS, 0, 0xFFFFFFFFu, 0xC0F3);
    c->cpl = 3;
}

static struct em_info info;

static enum em_result run_bytes(const uint8_t *b, size_t n)
{
    memcpy(ram + c->seg[S_CS].base + c->eip, b, n);
    return emulate_step(c, &info);
}
#define RUN(...) ({ const uint8_t b_[] = { __VA_ARGS__ }; run_bytes(b_, sizeof b_); })

/* The exception `vec` was delivered for the instruction at `at`. */
static void check_exc(int vec, bool has_err, uint32_t err, uint32_t at)
{
    cr_assert_eq(c->eip, HANDLER(vec), "expected vector %d, eip %#x", vec, c->eip);
    cr_assert_eq(c->seg[S_CS].sel, K_CS);
    uint32_t sp = c->gpr[R_ESP];
    if (has_err) {
        cr_assert_eq(get32(sp), err, "error code %#x", get32(sp));
        sp += 4;
    }
    cr_assert_eq(get32(sp), at, "pushed eip %#x", get32(sp));
}

/* ---------------- CLI / STI / PUSHF / POPF ---------------- */

Test(emulate, cli_sti_and_shadow)
{
    c->vif = 1;
    cr_assert_eq(RUN(0xFA), EM_OK);
    cr_assert_eq(c->vif, 0);
    cr_assert_eq(c->eip, CODE + 1);
    cr_assert_not(info.irq_shadow);
    cr_assert_eq(RUN(0xFB), EM_OK);
    cr_assert_eq(c->vif, 1);
    cr_assert(info.irq_shadow, "STI that sets IF opens a one-instruction shadow");
    RUN(0xFB);
    cr_assert_not(info.irq_shadow, "STI with IF already set has no shadow");
}

Test(emulate, cli_user_iopl)
{
    user_mode();
    cr_assert_eq(RUN(0xFA), EM_OK);
    check_exc(EXC_GP, true, 0, CODE);
    cr_assert_eq(get32(STACK0 - 8), STACK, "ring-3 ESP saved on the ring-0 stack");

    reset();
    user_mode();
    vcpu_set_eflags(c, FL_IF | (3u << 12));
    RUN(0xFA);
    cr_assert_eq(c->eip, CODE + 1, "IOPL 3 lets ring 3 clear IF");
    cr_assert_eq(c->vif, 0);
}

Test(emulate, pushf_popf)
{
    vcpu_set_eflags(c, FL_CF | FL_IF | FL_RF | FL_DF);
    RUN(0x9C);                                  /* pushfd */
    uint32_t img = get32(STACK - 4);
    cr_assert_eq(img, FL_FIXED | FL_CF | FL_IF | FL_DF, "RF not pushed: %#x", img);
    put32(STACK - 4, FL_ZF | (3u << 12) | FL_RF);
    RUN(0x9D);                                  /* popfd at CPL 0 */
    uint32_t f = vcpu_get_eflags(c);
    cr_assert_eq(f, FL_FIXED | FL_ZF | (3u << 12), "got %#x", f);
    cr_assert_eq(c->str_step, 1);
    cr_assert_eq(c->gpr[R_ESP], STACK);

    /* 16-bit forms move 2 bytes */
    RUN(0x66, 0x9C);
    cr_assert_eq(c->gpr[R_ESP], STACK - 2);
    cr_assert_eq(get16(STACK - 2), (FL_FIXED | FL_ZF | (3u << 12)) & 0xFFFF);
}

Test(emulate, popf_user_keeps_if_and_iopl)
{
    user_mode();
    vcpu_set_eflags(c, FL_IF);
    c->gpr[R_ESP] = STACK - 4;
    put32(STACK - 4, FL_CF | (3u << 12));       /* tries IF=0, IOPL=3 */
    cr_assert_eq(RUN(0x9D), EM_OK);
    uint32_t f = vcpu_get_eflags(c);
    cr_assert_eq(f, FL_FIXED | FL_CF | FL_IF, "silently ignored: %#x", f);
}

/* ---------------- HLT and privileged system instructions ---------------- */

Test(emulate, hlt)
{
    cr_assert_eq(RUN(0xF4), EM_HALT);
    cr_assert_eq(c->eip, CODE + 1);
    user_mode();
    c->eip = CODE;
    cr_assert_eq(RUN(0xF4), EM_OK);
    check_exc(EXC_GP, true, 0, CODE);
}

Test(emulate, privileged_at_cpl3)
{
    static const uint8_t insns[][3] = {
        { 0x0F, 0x22, 0xC0 },   /* mov cr0, eax */
        { 0x0F, 0x20, 0xD8 },   /* mov eax, cr3 */
        { 0x0F, 0x06 },         /* clts */
        { 0x0F, 0x09 },         /* wbinvd */
        { 0x0F, 0x32 },         /* rdmsr */
        { 0x0F, 0x01, 0x10 },   /* lgdt [eax] */
        { 0x0F, 0x01, 0x38 },   /* invlpg [eax] */
        { 0x0F, 0x00, 0xD0 },   /* lldt ax */
        { 0x0F, 0x23, 0xF8 },   /* mov dr7, eax */
    };
    for (size_t i = 0; i < sizeof insns / sizeof insns[0]; i++) {
        reset();
        user_mode();
        c->gpr[R_EAX] = DATA;
        cr_assert_eq(run_bytes(insns[i], 3), EM_OK);
        check_exc(EXC_GP, true, 0, CODE);
    }
}

Test(emulate, unprivileged_stores_at_cpl3)
{
    user_mode();
    c->gpr[R_EAX] = DATA;
    RUN(0x0F, 0x01, 0x00);                      /* sgdt [eax] */
    cr_assert_eq(c->eip, CODE + 3);
    cr_assert_eq(get16(DATA), 0x47);
    cr_assert_eq(get32(DATA + 2), GDT);
    RUN(0x0F, 0x00, 0xC9);                      /* str ecx */
    cr_assert_eq(c->gpr[R_ECX], TSS_SEL);
    c->cr0 = CR0_PE | CR0_ET | CR0_WP | CR0_AM;
    RUN(0x0F, 0x01, 0xE2);                      /* smsw edx: all of CR0 */
    cr_assert_eq(c->gpr[R_EDX], c->cr0);
}

Test(emulate, lgdt_lidt_sgdt_sidt)
{
    uint8_t img[6] = { 0xFF, 0x01, 0x78, 0x56, 0x34, 0x12 };
    memcpy(ram + DATA, img, 6);
    c->gpr[R_EBX] = DATA;
    RUN(0x0F, 0x01, 0x13);                      /* lgdt [ebx] */
    cr_assert_eq(c->gdtr.base, 0x12345678u);
    cr_assert_eq(c->gdtr.limit, 0x1FF);
    RUN(0x66, 0x0F, 0x01, 0x1B);                /* o16 lidt [ebx]: 24-bit base */
    cr_assert_eq(c->idtr.base, 0x345678u);
    cr_assert_eq(c->idtr.limit, 0x1FF);
    c->gpr[R_EBX] = DATA + 16;
    RUN(0x66, 0x0F, 0x01, 0x03);                /* o16 sgdt [ebx] */
    cr_assert_eq(get16(DATA + 16), 0x1FF);
    cr_assert_eq(get32(DATA + 18), 0x00345678u, "high byte stored as zero");
    RUN(0x0F, 0x01, 0x0B);                      /* sidt [ebx] */
    cr_assert_eq(get32(DATA + 18), 0x345678u);
    cr_assert_eq(c->eip, CODE + 3 + 4 + 4 + 3);
}

Test(emulate, lldt_sldt_ltr_str)
{
    c->gpr[R_EAX] = LDT_SEL;
    RUN(0x0F, 0x00, 0xD0);                      /* lldt ax */
    cr_assert_eq(c->ldtr.sel, LDT_SEL);
    cr_assert_eq(c->ldtr.base, LDT);
    c->gpr[R_EBX] = DATA;
    RUN(0x0F, 0x00, 0x03);                      /* sldt [ebx] */
    cr_assert_eq(get16(DATA), LDT_SEL);
    c->gpr[R_ECX] = 0xFFFFFFFFu;
    RUN(0x0F, 0x00, 0xC1);                      /* sldt ecx: zero-extended */
    cr_assert_eq(c->gpr[R_ECX], LDT_SEL);

    seg_set_raw(&c->tr, 0, 0, 0, 0);
    c->gpr[R_EAX] = TSS_SEL;
    RUN(0x0F, 0x00, 0xD8);                      /* ltr ax */
    cr_assert_eq(c->tr.sel, TSS_SEL);
    cr_assert_eq((get32(GDT + TSS_SEL + 4) >> 8) & 0xF, 0xB, "TSS marked busy");
    c->eip = CODE;
    RUN(0x0F, 0x00, 0xD8);                      /* ltr of a busy TSS: #GP(sel) */
    check_exc(EXC_GP, true, TSS_SEL, CODE);
}

Test(emulate, lmsw_smsw)
{
    c->cr0 = CR0_PE | CR0_ET | CR0_TS | CR0_WP;
    c->gpr[R_EAX] = 0x000E;                     /* PE=0 MP EM TS */
    RUN(0x0F, 0x01, 0xF0);                      /* lmsw ax */
    cr_assert_eq(c->cr0, CR0_PE | CR0_ET | CR0_MP | CR0_EM | CR0_TS | CR0_WP, "PE cannot be cleared");
    c->gpr[R_EBX] = DATA;
    put32(DATA, 0xAAAAAAAAu);
    RUN(0x0F, 0x01, 0x23);                      /* smsw [ebx]: 16 bits */
    cr_assert_eq(get32(DATA), 0xAAAA0000u | (c->cr0 & 0xFFFF));
}

Test(emulate, mov_cr)
{
    c->gpr[R_EAX] = CR0_PG | CR0_ET;            /* PG without PE */
    RUN(0x0F, 0x22, 0xC0);
    check_exc(EXC_GP, true, 0, CODE);

    reset();
    c->gpr[R_EAX] = CR4_PAE;
    RUN(0x0F, 0x22, 0xE0);                      /* mov cr4, eax: PAE not offered */
    check_exc(EXC_GP, true, 0, CODE);

    reset();
    c->gpr[R_EAX] = CR4_PSE | CR4_PGE | CR4_OSFXSR;
    RUN(0x0F, 0x22, 0xE0);
    cr_assert_eq(c->cr4, CR4_PSE | CR4_PGE | CR4_OSFXSR);
    c->gpr[R_EDX] = 0x12345FFFu;
    RUN(0x0F, 0x22, 0xDA);                      /* mov cr3, edx */
    cr_assert_eq(c->cr3, 0x12345018u);
    c->cr2 = 0xDEADBEEFu;
    RUN(0x0F, 0x20, 0xD1);                      /* mov ecx, cr2 */
    cr_assert_eq(c->gpr[R_ECX], 0xDEADBEEFu);
    c->gpr[R_EAX] = CR0_PE | CR0_WP | CR0_NE | 0x40;    /* bit 6 reserved: ignored */
    RUN(0x0F, 0x22, 0xC0);
    cr_assert_eq(c->cr0, CR0_PE | CR0_WP | CR0_NE | CR0_ET);
    cr_assert_eq(c->eip, CODE + 12);
}

Test(emulate, mov_dr)
{
    c->gpr[R_EAX] = 0;
    RUN(0x0F, 0x23, 0xE0);                      /* mov dr4, eax -> DR6 */
    cr_assert_eq(c->dr[6], 0xFFFF0FF0u);
    c->gpr[R_EAX] = 0x000000FFu | 0x800;
    RUN(0x0F, 0x23, 0xF8);                      /* mov dr7, eax */
    cr_assert_eq(c->dr[7], 0x4FFu, "MBZ bit 11 cleared, bit 10 set: %#x", c->dr[7]);
    RUN(0x0F, 0x21, 0xEB);                      /* mov ebx, dr5 -> DR7 */
    cr_assert_eq(c->gpr[R_EBX], 0x4FFu);
    c->cr4 = CR4_DE;
    c->eip = CODE;
    RUN(0x0F, 0x21, 0xE3);                      /* mov ebx, dr4 with CR4.DE */
    check_exc(EXC_UD, false, 0, CODE);

    reset();
    c->dr[7] |= 0x2000;                         /* GD */
    RUN(0x0F, 0x21, 0xC0);
    check_exc(EXC_DB, false, 0, CODE);
    cr_assert(c->dr[6] & 0x2000, "DR6.BD");
    cr_assert_not(c->dr[7] & 0x2000, "GD cleared on entry to the handler");
}

Test(emulate, clts_invlpg_wbinvd_invd)
{
    c->cr0 |= CR0_TS;
    RUN(0x0F, 0x06);
    cr_assert_not(c->cr0 & CR0_TS);
    c->gpr[R_EAX] = 0xFFFFF000u;                /* unmapped: INVLPG never faults */
    RUN(0x0F, 0x01, 0x38);
    RUN(0x0F, 0x09);
    RUN(0x0F, 0x08);
    cr_assert_eq(c->eip, CODE + 2 + 3 + 2 + 2);
}

Test(emulate, msr_and_tsc)
{
    c->gpr[R_ECX] = 0x174;
    c->gpr[R_EAX] = 0x60;
    c->gpr[R_EDX] = 0;
    RUN(0x0F, 0x30);                            /* wrmsr */
    cr_assert_eq(c->sysenter_cs, 0x60);
    c->gpr[R_EAX] = 0;
    RUN(0x0F, 0x32);                            /* rdmsr */
    cr_assert_eq(c->gpr[R_EAX], 0x60);
    cr_assert_eq(c->gpr[R_EDX], 0);
    c->gpr[R_ECX] = 0xC0000080u;                /* EFER does not exist here */
    uint32_t at = c->eip;
    RUN(0x0F, 0x32);
    check_exc(EXC_GP, true, 0, at);

    reset();
    c->gpr[R_ECX] = 0x10;
    c->gpr[R_EDX] = 0x7;
    c->gpr[R_EAX] = 0;
    RUN(0x0F, 0x30);                            /* TSC = 7 << 32 */
    RUN(0x0F, 0x31);                            /* rdtsc */
    uint64_t t = ((uint64_t)c->gpr[R_EDX] << 32) | c->gpr[R_EAX];
    cr_assert(t >= (7ull << 32) && t < (7ull << 32) + 1000000000ull, "tsc %#llx", (unsigned long long)t);

    user_mode();
    c->cr4 = CR4_TSD;
    at = c->eip;
    RUN(0x0F, 0x31);
    check_exc(EXC_GP, true, 0, at);
}

Test(emulate, rdpmc)
{
    user_mode();
    RUN(0x0F, 0x33);
    check_exc(EXC_GP, true, 0, CODE);
    reset();
    user_mode();
    c->cr4 = CR4_PCE;
    c->gpr[R_ECX] = 1;
    c->gpr[R_EAX] = 5;
    RUN(0x0F, 0x33);
    cr_assert_eq(c->eip, CODE + 2);
    cr_assert_eq(c->gpr[R_EAX], 0);
}

Test(emulate, cpuid_instruction)
{
    c->gpr[R_EAX] = 0;
    RUN(0x0F, 0xA2);
    cr_assert_eq(c->gpr[R_EAX], 2);
    cr_assert_eq(memcmp(&c->gpr[R_EBX], "Genu", 4), 0);
    cr_assert_eq(memcmp(&c->gpr[R_EDX], "ineI", 4), 0);
    cr_assert_eq(memcmp(&c->gpr[R_ECX], "ntel", 4), 0);
    c->gpr[R_EAX] = 1;
    RUN(0x0F, 0xA2);
    cr_assert_eq(c->gpr[R_EAX], 0x6D8);
    cr_assert_eq(c->gpr[R_ECX] >> 31, 0, "no hypervisor bit");
}

/* ---------------- port I/O ---------------- */

struct fake_dev {
    int reads, writes;
    uint16_t port;
    int size;
    uint32_t value, next;
};

static uint32_t fake_read(void *o, uint16_t port, int size)
{
    struct fake_dev *d = o;
    d->reads++;
    d->port = port;
    d->size = size;
    return d->next++;
}

static void fake_write(void *o, uint16_t port, int size, uint32_t v)
{
    struct fake_dev *d = o;
    d->writes++;
    d->port = port;
    d->size = size;
    d->value = v;
}

static const struct device_ops fake_ops = { .name = "fake", .pio_read = fake_read, .pio_write = fake_write };

Test(emulate, in_out)
{
    struct fake_dev d = { .next = 0x11223344 };
    cr_assert_eq(io_register_pio(&vm->io, 0x70, 2, &fake_ops, &d), 0);
    c->gpr[R_EAX] = 0xAABBCCDDu;
    RUN(0xE6, 0x70);                            /* out 0x70, al */
    cr_assert_eq(d.writes, 1);
    cr_assert_eq(d.port, 0x70);
    cr_assert_eq(d.size, 1);
    cr_assert_eq(d.value, 0xDD);
    c->gpr[R_EDX] = 0x71;
    RUN(0x66, 0xED);                            /* in ax, dx */
    cr_assert_eq(d.port, 0x71);
    cr_assert_eq(d.size, 2);
    cr_assert_eq(c->gpr[R_EAX], 0xAABB3344u);
    RUN(0xE5, 0x70);                            /* in eax, 0x70 */
    cr_assert_eq(d.size, 4);
    cr_assert_eq(c->gpr[R_EAX], 0x11223345u);
    cr_assert_eq(c->eip, CODE + 2 + 2 + 2);
}

Test(emulate, io_bitmap_at_cpl3)
{
    struct fake_dev d = { 0 };
    io_register_pio(&vm->io, 0x70, 2, &fake_ops, &d);
    user_mode();
    c->gpr[R_EDX] = 0x70;
    RUN(0x66, 0xEF);                            /* out dx, ax: ports 0x70-0x71 open */
    cr_assert_eq(d.writes, 1);
    cr_assert_eq(c->eip, CODE + 2);
    c->gpr[R_EDX] = 0x71;
    RUN(0xEF);                                  /* out dx, eax: 0x72-0x74 closed */
    cr_assert_eq(d.writes, 1);
    check_exc(EXC_GP, true, 0, CODE + 2);

    reset();
    user_mode();
    RUN(0xE4, 0xF0);                            /* in al, 0xF0: bitmap bit set */
    check_exc(EXC_GP, true, 0, CODE);
}

Test(emulate, rep_ins_outs)
{
    struct fake_dev d = { .next = 0x100 };
    io_register_pio(&vm->io, 0x1F0, 8, &fake_ops, &d);
    c->gpr[R_EDX] = 0x1F0;
    c->gpr[R_EDI] = DATA;
    c->gpr[R_ECX] = 3;
    RUN(0xF3, 0x66, 0x6D);                      /* rep insw */
    cr_assert_eq(d.reads, 3);
    cr_assert_eq(get16(DATA), 0x100);
    cr_assert_eq(get16(DATA + 4), 0x102);
    cr_assert_eq(c->gpr[R_EDI], DATA + 6);
    cr_assert_eq(c->gpr[R_ECX], 0);
    cr_assert_eq(c->eip, CODE + 3);

    memcpy(ram + DATA + 0x100, "abc", 3);
    vcpu_set_eflags(c, FL_DF);
    c->gpr[R_ESI] = DATA + 0x102;
    c->gpr[R_ECX] = 3;
    RUN(0xF3, 0x6E);                            /* rep outsb, backwards */
    cr_assert_eq(d.writes, 3);
    cr_assert_eq(d.value, 'a', "last byte written is the lowest");
    cr_assert_eq(c->gpr[R_ESI], DATA + 0xFF);

    c->gpr[R_ECX] = 0;
    int r = d.reads;
    RUN(0xF3, 0x6C);                            /* rep insb with ECX = 0 */
    cr_assert_eq(d.reads, r);
}

/* ---------------- segments ---------------- */

Test(emulate, mov_sreg_forms)
{
    c->gpr[R_EAX] = FS_SEL;
    RUN(0x8E, 0xE0);                            /* mov fs, ax */
    cr_assert_eq(c->seg[S_FS].sel, FS_SEL);
    cr_assert_eq(c->seg[S_FS].base, 0x50000);
    c->gpr[R_ECX] = 0xFFFFFFFFu;
    RUN(0x8C, 0xE1);                            /* mov ecx, fs */
    cr_assert_eq(c->gpr[R_ECX], FS_SEL);
    put32(DATA, 0xFFFFFFFFu);
    c->gpr[R_EBX] = DATA;
    RUN(0x8C, 0x23);                            /* mov [ebx], fs */
    cr_assert_eq(get32(DATA), 0xFFFF0000u | FS_SEL);
    c->gpr[R_EDX] = K_DS;
    RUN(0x8E, 0xD2);                            /* mov ss, dx */
    cr_assert(info.irq_shadow);
    c->gpr[R_EAX] = 0x1233;                     /* beyond the GDT limit */
    uint32_t at = c->eip;
    RUN(0x8E, 0xD8);
    check_exc(EXC_GP, true, 0x1230, at);
}

Test(emulate, push_pop_sreg)
{
    put32(STACK - 4, 0xAAAAAAAAu);
    RUN(0x06);                                  /* push es */
    cr_assert_eq(c->gpr[R_ESP], STACK - 4);
    cr_assert_eq(get32(STACK - 4), 0xAAAA0000u | K_DS, "16-bit store in a 4-byte slot");
    put32(STACK - 4, FS_SEL);
    RUN(0x1F);                                  /* pop ds */
    cr_assert_eq(c->seg[S_DS].base, 0x50000);
    cr_assert_eq(c->gpr[R_ESP], STACK);
    cr_assert_not(info.irq_shadow);
    put32(STACK, K_DS);
    RUN(0x17);                                  /* pop ss */
    cr_assert(info.irq_shadow);
    cr_assert_eq(c->gpr[R_ESP], STACK + 4);
    put32(STACK + 4, 0);
    uint32_t at = c->eip;
    RUN(0x17);                                  /* pop ss with null: #GP(0) */
    check_exc(EXC_GP, true, 0, at);
}

Test(emulate, lds_lss)
{
    put32(DATA, 0x12345678u);
    put32(DATA + 4, FS_SEL);
    c->gpr[R_EBX] = DATA;
    RUN(0xC5, 0x33);                            /* lds esi, [ebx] */
    cr_assert_eq(c->gpr[R_ESI], 0x12345678u);
    cr_assert_eq(c->seg[S_DS].sel, FS_SEL);
    put32(DATA + 0x50000, 0x8000);              /* DS base is now 0x50000 */
    put32(DATA + 0x50004, K_DS);
    RUN(0x0F, 0xB2, 0x23);                      /* lss esp, [ebx] */
    cr_assert_eq(c->gpr[R_ESP], 0x8000);
    cr_assert_eq(c->seg[S_SS].sel, K_DS);
}

Test(emulate, lar_lsl_verr_verw)
{
    c->gpr[R_ECX] = FS_SEL;
    RUN(0x0F, 0x02, 0xC1);                      /* lar eax, ecx */
    cr_assert(vcpu_get_eflags(c) & FL_ZF);
    cr_assert_eq(c->gpr[R_EAX], 0x00C09300u | 0x100, "with the accessed bit");
    RUN(0x0F, 0x03, 0xD1);                      /* lsl edx, ecx */
    cr_assert_eq(c->gpr[R_EDX], 0xFFFFFFFFu);
    c->gpr[R_ECX] = RO_SEL;
    RUN(0x0F, 0x00, 0xE1);                      /* verr cx */
    cr_assert(vcpu_get_eflags(c) & FL_ZF);
    RUN(0x0F, 0x00, 0xE9);                      /* verw cx: read-only */
    cr_assert_not(vcpu_get_eflags(c) & FL_ZF);
    c->gpr[R_ECX] = 0x1230;
    c->gpr[R_EAX] = 77;
    RUN(0x0F, 0x02, 0xC1);
    cr_assert_not(vcpu_get_eflags(c) & FL_ZF);
    cr_assert_eq(c->gpr[R_EAX], 77, "destination unchanged on failure");
}

Test(emulate, segment_protection)
{
    c->gpr[R_EAX] = RO_SEL;
    RUN(0x8E, 0xC0);                            /* mov es, ax (read-only data) */
    uint32_t at = c->eip;
    c->gpr[R_EBX] = DATA;
    RUN(0x26, 0x89, 0x03);                      /* mov es:[ebx], eax */
    check_exc(EXC_GP, true, 0, at);
}

/* ---------------- control transfers ---------------- */

Test(emulate, far_jmp_call_ret)
{
    RUN(0xEA, 0x00, 0x20, 0x10, 0x00, K_CS, 0x00);      /* jmp 0x08:0x102000 */
    cr_assert_eq(c->eip, 0x102000);
    put32(DATA, 0x103000);
    put32(DATA + 4, K_CS);
    c->gpr[R_EBX] = DATA;
    RUN(0xFF, 0x1B);                            /* call far [ebx] */
    cr_assert_eq(c->eip, 0x103000);
    cr_assert_eq(c->gpr[R_ESP], STACK - 8);
    cr_assert_eq(get32(STACK - 8), 0x102002);
    cr_assert_eq(get32(STACK - 4), K_CS);
    RUN(0xCA, 0x08, 0x00);                      /* retf 8 */
    cr_assert_eq(c->eip, 0x102002);
    cr_assert_eq(c->gpr[R_ESP], STACK + 8);
}

Test(emulate, near_jmp_call_ret)
{
    RUN(0xE8, 0x10, 0x00, 0x00, 0x00);          /* call +0x10 */
    cr_assert_eq(c->eip, CODE + 0x15);
    cr_assert_eq(get32(STACK - 4), CODE + 5);
    RUN(0xC3);                                  /* ret */
    cr_assert_eq(c->eip, CODE + 5);
    c->gpr[R_EAX] = 0x104000;
    RUN(0xFF, 0xE0);                            /* jmp eax */
    cr_assert_eq(c->eip, 0x104000);
}

Test(emulate, int_int3_into)
{
    RUN(0xCD, 0x80);
    check_exc(0x80, false, 0, CODE + 2);
    reset();
    RUN(0xCC);
    check_exc(EXC_BP, false, 0, CODE + 1);
    reset();
    RUN(0xCE);                                  /* into, OF clear */
    cr_assert_eq(c->eip, CODE + 1);
    vcpu_set_eflags(c, FL_OF);
    RUN(0xCE);
    check_exc(EXC_OF, false, 0, CODE + 2);
}

Test(emulate, int_user_gate_dpl)
{
    user_mode();
    RUN(0xCD, 0x21);                            /* gate DPL 0 from ring 3 */
    check_exc(EXC_GP, true, 0x21 * 8 + 2, CODE);
    reset();
    user_mode();
    RUN(0xCD, 0x80);
    check_exc(0x80, false, 0, CODE + 2);
    cr_assert_eq(c->gpr[R_ESP], STACK0 - 20);
    cr_assert_eq(get32(STACK0 - 16), U_CS);
}

Test(emulate, bound_ud)
{
    put32(DATA, 10);
    put32(DATA + 4, 20);
    c->gpr[R_EBX] = DATA;
    c->gpr[R_EAX] = 15;
    RUN(0x62, 0x03);                            /* bound eax, [ebx] */
    cr_assert_eq(c->eip, CODE + 2);
    c->gpr[R_EAX] = 21;
    RUN(0x62, 0x03);
    check_exc(EXC_BR, false, 0, CODE + 2);
    reset();
    RUN(0x0F, 0x0B);                            /* ud2 */
    check_exc(EXC_UD, false, 0, CODE);
    reset();
    RUN(0xF0, 0xFA);                            /* lock cli: invalid */
    check_exc(EXC_UD, false, 0, CODE);
}

Test(emulate, iretd_same_level)
{
    c->gpr[R_ESP] = STACK - 12;
    put32(STACK - 12, 0x105000);
    put32(STACK - 8, K_CS);
    put32(STACK - 4, FL_IF | FL_CF | FL_FIXED);
    RUN(0xCF);
    cr_assert_eq(c->eip, 0x105000);
    cr_assert_eq(c->gpr[R_ESP], STACK);
    cr_assert_eq(vcpu_get_eflags(c), FL_IF | FL_CF | FL_FIXED);
}

Test(emulate, sysenter_sysexit)
{
    user_mode();
    RUN(0x0F, 0x34);                            /* SYSENTER_CS = 0: #GP */
    check_exc(EXC_GP, true, 0, CODE);
    reset();
    user_mode();
    c->sysenter_cs = K_CS;
    c->sysenter_esp = 0x8800;
    c->sysenter_eip = 0x106000;
    vcpu_set_eflags(c, FL_IF);
    RUN(0x0F, 0x34);
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(c->seg[S_SS].sel, K_DS);
    cr_assert_eq(c->eip, 0x106000);
    cr_assert_eq(c->gpr[R_ESP], 0x8800);
    cr_assert_eq(c->vif, 0);
    c->gpr[R_EDX] = 0x107000;
    c->gpr[R_ECX] = 0x6000;
    RUN(0x0F, 0x35);
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->seg[S_CS].sel, U_CS);
    cr_assert_eq(c->seg[S_SS].sel, U_DS);
    cr_assert_eq(c->eip, 0x107000);
    cr_assert_eq(c->gpr[R_ESP], 0x6000);
}

/* ---------------- legacy arithmetic ---------------- */

Test(emulate, bcd)
{
    c->gpr[R_EAX] = 0x0F;                       /* 9 + 6 = 0x0F */
    RUN(0x27);                                  /* daa */
    cr_assert_eq(c->gpr[R_EAX] & 0xFF, 0x15);
    cr_assert(vcpu_get_eflags(c) & FL_AF);
    c->gpr[R_EAX] = 0x9A;
    vcpu_set_eflags(c, 0);
    RUN(0x27);
    cr_assert_eq(c->gpr[R_EAX] & 0xFF, 0x00);
    cr_assert((vcpu_get_eflags(c) & (FL_CF | FL_ZF)) == (FL_CF | FL_ZF));
    c->gpr[R_EAX] = 0x1F;                       /* 0x20 - 1 = 0x1F: DAS -> 0x19 */
    vcpu_set_eflags(c, 0);
    RUN(0x2F);
    cr_assert_eq(c->gpr[R_EAX] & 0xFF, 0x19);
    c->gpr[R_EAX] = 0x010B;                     /* unpacked 1:11 -> AAA -> 2:1 */
    vcpu_set_eflags(c, 0);
    RUN(0x37);
    cr_assert_eq(c->gpr[R_EAX] & 0xFFFF, 0x0201);
    cr_assert(vcpu_get_eflags(c) & FL_CF);
    c->gpr[R_EAX] = 0x02FF;                     /* AAS */
    vcpu_set_eflags(c, 0);
    RUN(0x3F);
    cr_assert_eq(c->gpr[R_EAX] & 0xFFFF, 0x0109);
    c->gpr[R_EAX] = 63;
    RUN(0xD4, 0x0A);                            /* aam */
    cr_assert_eq(c->gpr[R_EAX] & 0xFFFF, 0x0603);
    RUN(0xD5, 0x0A);                            /* aad */
    cr_assert_eq(c->gpr[R_EAX] & 0xFFFF, 63);
    uint32_t at = c->eip;
    RUN(0xD4, 0x00);                            /* aam 0 */
    check_exc(EXC_DE, false, 0, at);
}

Test(emulate, arpl_salc)
{
    c->gpr[R_EAX] = 0x10;
    c->gpr[R_ECX] = 0x1B;
    RUN(0x63, 0xC8);                            /* arpl ax, cx */
    cr_assert_eq(c->gpr[R_EAX], 0x13);
    cr_assert(vcpu_get_eflags(c) & FL_ZF);
    RUN(0x63, 0xC8);
    cr_assert_not(vcpu_get_eflags(c) & FL_ZF);
    vcpu_set_eflags(c, FL_CF);
    RUN(0xD6);
    cr_assert_eq(c->gpr[R_EAX], 0xFF);
}

/* ---------------- stack blocks ---------------- */

Test(emulate, pusha_popa)
{
    for (int r = 0; r < 8; r++)
        if (r != R_ESP)
            c->gpr[r] = 0x1000 * (r + 1);
    RUN(0x60);                                  /* pushad */
    cr_assert_eq(c->gpr[R_ESP], STACK - 32);
    cr_assert_eq(get32(STACK - 4), 0x1000);     /* eax */
    cr_assert_eq(get32(STACK - 20), STACK);     /* original esp */
    cr_assert_eq(get32(STACK - 32), 0x8000);    /* edi */
    memset(c->gpr, 0, sizeof c->gpr);
    c->gpr[R_ESP] = STACK - 32;
    RUN(0x61);                                  /* popad */
    cr_assert_eq(c->gpr[R_EAX], 0x1000);
    cr_assert_eq(c->gpr[R_EDI], 0x8000);
    cr_assert_eq(c->gpr[R_ESP], STACK);
    c->gpr[R_EAX] = 0xAAAA1234;
    RUN(0x66, 0x60);                            /* pushaw */
    cr_assert_eq(c->gpr[R_ESP], STACK - 16);
    cr_assert_eq(get16(STACK - 2), 0x1234);
}

Test(emulate, enter_nested)
{
    c->gpr[R_EBP] = 0x8F00;
    put32(0x8F00 - 4, 0xCAFE);                  /* enclosing frame pointer */
    RUN(0xC8, 0x10, 0x00, 0x02);                /* enter 16, 2 */
    cr_assert_eq(get32(STACK - 4), 0x8F00, "old ebp");
    cr_assert_eq(get32(STACK - 8), 0xCAFE, "copied display entry");
    cr_assert_eq(get32(STACK - 12), STACK - 4, "new frame pointer");
    cr_assert_eq(c->gpr[R_EBP], STACK - 4);
    cr_assert_eq(c->gpr[R_ESP], STACK - 12 - 16);
}

/* ---------------- plain moves (MMIO path) ---------------- */

Test(emulate, mov_memory_forms)
{
    c->gpr[R_EBX] = DATA;
    c->gpr[R_ECX] = 2;
    c->gpr[R_EAX] = 0xDEADBEEFu;
    RUN(0x89, 0x44, 0x8B, 0x08);                /* mov [ebx+ecx*4+8], eax */
    cr_assert_eq(get32(DATA + 16), 0xDEADBEEFu);
    RUN(0xC6, 0x03, 0x7F);                      /* mov byte [ebx], 0x7f */
    cr_assert_eq(ram[DATA], 0x7F);
    RUN(0x8A, 0x23);                            /* mov ah, [ebx] */
    cr_assert_eq(c->gpr[R_EAX], 0xDEAD7FEFu);
    ram[DATA + 1] = 0x80;
    RUN(0x0F, 0xBF, 0x13);                      /* movsx edx, word [ebx] */
    cr_assert_eq(c->gpr[R_EDX], 0xFFFF807Fu);
    RUN(0x0F, 0xB6, 0x53, 0x01);                /* movzx edx, byte [ebx+1] */
    cr_assert_eq(c->gpr[R_EDX], 0x80);
    seg_set_raw(&c->seg[S_FS], FS_SEL, 0x50000, 0xFFFFFFFFu, 0xC093);
    put32(0x50000 + 0x40, 0x55667788);
    RUN(0x64, 0xA1, 0x40, 0x00, 0x00, 0x00);    /* mov eax, fs:[0x40] */
    cr_assert_eq(c->gpr[R_EAX], 0x55667788);
    ram[DATA + 5] = 0x99;
    c->gpr[R_EAX] = 5;
    RUN(0xD7);                                  /* xlat */
    cr_assert_eq(c->gpr[R_EAX], 0x99);
}

static void paging_on(void)
{
    put32(0x20000, 0x00000083);                 /* 0-4 MiB: one 4 MiB page; above: absent */
    c->cr3 = 0x20000;
    c->cr4 = CR4_PSE;
    c->cr0 |= CR0_PG;
}

Test(emulate, page_fault_on_operand)
{
    paging_on();
    c->gpr[R_EBX] = 0x400010;
    RUN(0x89, 0x03);                            /* mov [ebx], eax */
    cr_assert_eq(c->cr2, 0x400010);
    check_exc(EXC_PF, true, PFERR_W, CODE);
}

Test(emulate, fetch_across_pages)
{
    paging_on();
    c->eip = 0x3FFFFF;
    RUN(0xFA);                                  /* ends at the page boundary */
    cr_assert_eq(c->eip, 0x400000 - 1 + 1);
    c->eip = 0x3FFFFE;
    ram[0x3FFFFE] = 0xB8;                       /* mov eax, imm32 runs into the hole */
    ram[0x3FFFFF] = 0x01;
    emulate_step(c, &info);
    cr_assert_eq(c->cr2, 0x400000);
    check_exc(EXC_PF, true, 0, 0x3FFFFE);
}

Test(emulate, supports_table)
{
    cr_assert(emulate_supports(ZYDIS_MNEMONIC_CLI));
    cr_assert(emulate_supports(ZYDIS_MNEMONIC_LGDT));
    cr_assert(emulate_supports(ZYDIS_MNEMONIC_MOV));
    cr_assert_not(emulate_supports(ZYDIS_MNEMONIC_ADD));
    cr_assert_not(emulate_supports(ZYDIS_MNEMONIC_INVALID));
    cr_assert_not(emulate_supports(-1));
}
