/*
 * tests/unit/bt_harness.h - run hand-assembled 32-bit guest code through the
 * binary translator, for test_bt_translate.c and test_bt_cache.c.
 *
 * A test builds a whole VM as monitor/main.c does (16 MiB of RAM, every
 * platform device), writes guest machine code at a physical address, sets
 * the registers and calls bth_run(), which runs vm_run() until the guest
 * writes to the debug-exit port.  Every guest program ends with BTH_EXIT(v):
 *
 *     mov [BTH_SAVE_EAX], eax ; mov al, v ; out 0xf4, al
 *
 * so that EAX (which the exit sequence clobbers) stays checkable through
 * bth_eax().  Neither MOV nor OUT changes the arithmetic flags, so the flags
 * are still the ones the tested code left.
 *
 * vm_run() installs process-wide signal handlers (cpu/host.c keeps one VM
 * per process): run these tests with Criterion's default process-per-test
 * isolation, one VM per test (the suites' .init/.fini do that).
 *
 * Guest-physical layout (paging off, so linear = physical):
 *   0x1000 GDT            0x1800 GDTR image, 0x1808 IDTR image
 *   0x2000 IDT            0x3000 saved EAX
 *   0x10000.. code        0x20000.. data        0x28000.. more data
 *   0x90000 top of the stack
 */
#ifndef TESTS_UNIT_BT_HARNESS_H
#define TESTS_UNIT_BT_HARNESS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "monitor/vm.h"
#include "monitor/run.h"
#include "devices/irq.h"
#include "bt/bt.h"
#include "bt/tc.h"
#include "cpu/sandbox.h"
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BTH_GDT       0x1000u
#define BTH_GDTR      0x1800u
#define BTH_IDTR      0x1808u
#define BTH_IDT       0x2000u
#define BTH_SAVE_EAX  0x3000u
#define BTH_CODE      0x10000u
#define BTH_DATA      0x20000u
#define BTH_DATA2     0x28000u
#define BTH_STACK_TOP 0x90000u

/* mov [0x3000], eax ; mov al, v ; out 0xf4, al */
#define BTH_EXIT(v) 0xA3, 0x00, 0x30, 0x00, 0x00, 0xB0, (v), 0xE6, 0xF4
#define BTH_EXIT_LEN 9

/* lgdt [0x1800] ; lidt [0x1808]  (tables written by bth_descriptor_tables) */
#define BTH_LOAD_TABLES 0x0F, 0x01, 0x15, 0x00, 0x18, 0x00, 0x00, \
                        0x0F, 0x01, 0x1D, 0x08, 0x18, 0x00, 0x00
#define BTH_LOAD_TABLES_LEN 14

static struct vm *bth_vm;

static inline void bth_setup(void)
{
    char err[256] = "";
    bth_vm = vm_alloc();
    cr_assert_not_null(bth_vm);
    bth_vm->opt.mem_mib = 16;
    /* Criterion reports assertions with sendmsg(2), which the allow-list
     * refuses: run these tests without it (the i386 trap stays). */
    bth_vm->opt.no_sandbox = true;
    cr_assert_eq(vm_create(bth_vm, err, sizeof err), 0, "vm_create: %s", err);
    cr_assert_eq(devices_init(bth_vm, err, sizeof err), 0, "devices_init: %s", err);
    bth_vm->cpu.gpr[R_ESP] = BTH_STACK_TOP;
    bth_vm->cpu.eip = BTH_CODE;
}

static inline void bth_teardown(void)
{
    if (!bth_vm)
        return;
    devices_destroy(bth_vm);
    vm_destroy(bth_vm);
    free(bth_vm);
    bth_vm = NULL;
}

static inline struct vcpu *bth_cpu(void) { return &bth_vm->cpu; }
static inline struct stats *bth_stats(void) { return &bth_vm->stats; }

/* ---- guest-physical memory, through the monitor's mapping ---- */

static inline void bth_load(uint32_t pa, const void *bytes, size_t n)
{
    cr_assert(pa + n <= bth_vm->mem.size, "guest write outside RAM");
    memcpy(bth_vm->mem.ram + pa, bytes, n);
}

static inline void bth_wr8(uint32_t pa, uint8_t v) { bth_load(pa, &v, 1); }
static inline void bth_wr16(uint32_t pa, uint16_t v) { bth_load(pa, &v, 2); }
static inline void bth_wr32(uint32_t pa, uint32_t v) { bth_load(pa, &v, 4); }
static inline uint8_t bth_rd8(uint32_t pa) { return bth_vm->mem.ram[pa]; }
static inline uint16_t bth_rd16(uint32_t pa)
{
    uint16_t v;
    memcpy(&v, bth_vm->mem.ram + pa, 2);
    return v;
}
static inline uint32_t bth_rd32(uint32_t pa)
{
    uint32_t v;
    memcpy(&v, bth_vm->mem.ram + pa, 4);
    return v;
}

/* ---- registers ---- */

static inline uint32_t bth_eax(void) { return bth_rd32(BTH_SAVE_EAX); }
static inline uint32_t bth_reg(int r) { return bth_vm->cpu.gpr[r]; }
static inline uint32_t bth_eflags(void) { return vcpu_get_eflags(&bth_vm->cpu); }
#define REG(r) bth_reg(R_##r)

/* Every general register but ESP. */
static inline void bth_set_regs(uint32_t eax, uint32_t ecx, uint32_t edx, uint32_t ebx,
                                uint32_t ebp, uint32_t esi, uint32_t edi)
{
    uint32_t *g = bth_vm->cpu.gpr;
    g[R_EAX] = eax; g[R_ECX] = ecx; g[R_EDX] = edx; g[R_EBX] = ebx;
    g[R_EBP] = ebp; g[R_ESI] = esi; g[R_EDI] = edi;
}

/* ---- running ---- */

/* Run until the guest stops; the vmm exit status (debug-exit code v gives
 * (v << 1) | 1). */
static inline int bth_run(void)
{
    bth_vm->stop = false;
    bth_vm->exit_status = 0;
    return vm_run(bth_vm);
}

/* Run; the guest must stop through the debug-exit port with code `v`,
 * anything else (unsupported, triple fault, halt) fails the test with the
 * guest state on stderr. */
static inline void bth_run_expect(uint8_t v)
{
    int st = bth_run();
    if (st != ((v << 1) | 1))
        vm_dump_state(bth_vm, stderr);
    cr_assert_eq(st, (v << 1) | 1,
                 "guest stopped with status %d at eip=%08x, expected debug-exit code 0x%02x "
                 "(status %d); status 6 = unsupported, 5 = triple fault, 4 = halt",
                 st, bth_vm->cpu.eip, v, (v << 1) | 1);
}

/* Load code at BTH_CODE, run it from there, expect exit code 1. */
static inline void bth_run_code(const uint8_t *code, size_t n)
{
    bth_load(BTH_CODE, code, n);
    bth_vm->cpu.eip = BTH_CODE;
    bth_run_expect(1);
}

#define RUN(code) bth_run_code(code, sizeof code)

/* ---- descriptor tables (Intel SDM vol. 3A 3.4.5, 6.11) ---- */

/* access = descriptor byte 5 (P DPL S type), flags = G D/B L AVL */
static inline void bth_set_desc(unsigned idx, uint32_t base, uint32_t limit, uint8_t access,
                                uint8_t flags)
{
    bth_wr32(BTH_GDT + idx * 8, (limit & 0xFFFF) | (base << 16));
    bth_wr32(BTH_GDT + idx * 8 + 4, ((base >> 16) & 0xFF) | ((uint32_t)access << 8) |
             (limit & 0xF0000) | ((uint32_t)flags << 20) | (base & 0xFF000000u));
}

/* A 32-bit interrupt gate, DPL 0, selector 0x08. */
static inline void bth_set_gate(unsigned vec, uint32_t handler)
{
    bth_wr32(BTH_IDT + vec * 8, (handler & 0xFFFF) | (0x08u << 16));
    bth_wr32(BTH_IDT + vec * 8 + 4, (handler & 0xFFFF0000u) | (0x8Eu << 8));
}

/* GDT: null, 0x08 flat ring-0 code, 0x10 flat ring-0 data; an IDT of 32
 * gates all pointing at `handler`; the GDTR and IDTR images that
 * BTH_LOAD_TABLES loads.  The reset CPU already has CS=0x08 cached, but
 * delivering an exception reloads CS from the GDT, so the guest must lgdt. */
static inline void bth_descriptor_tables(uint32_t handler)
{
    bth_set_desc(0, 0, 0, 0, 0);
    bth_set_desc(1, 0, 0xFFFFF, 0x9A, 0xC);
    bth_set_desc(2, 0, 0xFFFFF, 0x92, 0xC);
    bth_wr16(BTH_GDTR, 3 * 8 - 1);
    bth_wr32(BTH_GDTR + 2, BTH_GDT);
    bth_wr16(BTH_IDTR, 32 * 8 - 1);
    bth_wr32(BTH_IDTR + 2, BTH_IDT);
    for (unsigned v = 0; v < 32; v++)
        bth_set_gate(v, handler);
}

/* The exception handler the fault tests install at BTH_HANDLER: it keeps
 * the frame the CPU pushed (no error code for the vectors used) and exits
 * with BTH_EXC_CODE, which no normal path uses. */
#define BTH_HANDLER  0x11000u
#define BTH_EXC_CODE 0x7E

static inline void bth_install_handler(void)
{
    static const uint8_t handler[] = {
        0x8B, 0x34, 0x24,                   /* mov esi, [esp]      ; EIP */
        0x8B, 0x7C, 0x24, 0x04,             /* mov edi, [esp + 4]  ; CS */
        0x8B, 0x6C, 0x24, 0x08,             /* mov ebp, [esp + 8]  ; EFLAGS */
        BTH_EXIT(BTH_EXC_CODE),             /* mov [0x3000], eax ; mov al, 0x7e ; out 0xf4, al */
    };
    bth_descriptor_tables(BTH_HANDLER);
    bth_load(BTH_HANDLER, handler, sizeof handler);
}

#endif
