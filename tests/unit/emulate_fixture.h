/*
 * tests/unit/emulate_fixture.h - the machine the emulator tests run on
 * (included by test_emulate*.c, one Criterion executable each).
 *
 * Guest RAM with paging off (linear = physical), a GDT with flat ring-0
 * and ring-3 segments, a TSS with a ring-0 stack and an I/O bitmap (ports
 * 0x70-0x71 open), an LDT, and an IDT whose 32-bit interrupt gates send
 * vector v to HANDLER(v), so a delivered exception is checked by EIP and
 * the frame it pushed.
 */
#ifndef TESTS_UNIT_EMULATE_FIXTURE_H
#define TESTS_UNIT_EMULATE_FIXTURE_H
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "cpu/emulate.h"
#include "cpu/segments.h"
#include "cpu/cpuid.h"
#include "cpu/decode_cache.h"
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

static inline void put32(uint32_t pa, uint32_t v) { memcpy(ram + pa, &v, 4); }
static inline uint32_t get32(uint32_t pa) { uint32_t v; memcpy(&v, ram + pa, 4); return v; }
static inline uint16_t get16(uint32_t pa) { uint16_t v; memcpy(&v, ram + pa, 2); return v; }

static inline void gdt_set(uint16_t sel, uint32_t base, uint32_t limit, uint32_t type_bits)
{
    uint32_t lo = (base << 16) | (limit & 0xFFFF);
    uint32_t hi = ((base >> 16) & 0xFF) | (base & 0xFF000000u) | (limit & 0xF0000u) | type_bits;
    put32(GDT + (sel & ~7u), lo);
    put32(GDT + (sel & ~7u) + 4, hi);
}

/* The descriptor tables and CPU state above, on a VM whose memory exists. */
static inline void fixture_machine(void)
{
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

/* Guest RAM only: no devices, no shadow MMU. */
static inline void setup(void)
{
    char err[128];
    vm = vm_alloc();
    cr_assert(vm);
    cr_assert_eq(guest_mem_init(&vm->mem, 16, err, sizeof err), 0, "%s", err);
    fixture_machine();
}

static inline void teardown(void)
{
    dc_free(vm);                    /* the decode cache the emulator made */
    guest_mem_destroy(&vm->mem);
    free(vm);
}

/* A fresh machine in the middle of a test. */
static inline void reset(void)
{
    teardown();
    setup();
}

static inline void user_mode(void)
{
    seg_set_raw(&c->seg[S_CS], U_CS, 0, 0xFFFFFFFFu, 0xC0FB);
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            seg_set_raw(&c->seg[s], U_DS, 0, 0xFFFFFFFFu, 0xC0F3);
    c->cpl = 3;
}

static struct em_info info;

static inline enum em_result run_bytes(const uint8_t *b, size_t n)
{
    memcpy(ram + c->seg[S_CS].base + c->eip, b, n);
    return emulate_step(c, &info);
}
#define RUN(...) ({ const uint8_t b_[] = { __VA_ARGS__ }; run_bytes(b_, sizeof b_); })

/* The exception `vec` was delivered for the instruction at `at`. */
static inline void check_exc(int vec, bool has_err, uint32_t err, uint32_t at)
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

#endif
