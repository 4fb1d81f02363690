/*
 * tests/unit/test_decode_cache.c - the emulator's decode cache
 * (cpu/decode_cache.h) in real mode: a decode is reused while the bytes
 * stay, and code rewritten under it runs as rewritten, whoever wrote it:
 * the interpreted code itself (an immediate, an opcode that changes the
 * length), or the disk through REP INSW into RAM (the IDE data port, as
 * a boot loader reads its next stage over code that already ran).
 */
#include <fcntl.h>
#include <string.h>
#include "devtest.h"
#include "cpu/emulate.h"
#include "cpu/segments.h"
#include "devices/ide.h"

#define CS_SEL 0x1000u              /* code at 1000:xxxx = 0x10000 + IP */
#define LIN(ip) ((CS_SEL << 4) + (ip))

static struct vm *vm;
static struct vcpu *c;
static char path[64];

static void real_mode(void)
{
    c = &vm->cpu;
    c->cr0 = CR0_ET;
    seg_set_raw(&c->seg[S_CS], CS_SEL, CS_SEL << 4, 0xFFFF, 0x009B);
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            seg_set_raw(&c->seg[s], 0, 0, 0xFFFF, 0x0093);
    c->idtr = (struct dtr){ 0, 0x3FF };
    c->gpr[R_ESP] = 0x8000;
    vcpu_set_eflags(c, FL_FIXED);
}

static void setup(void)
{
    vm = devtest_vm();
    real_mode();
}

static void teardown(void)
{
    devtest_free(vm);
    if (path[0])
        unlink(path);
    path[0] = 0;
}

TestSuite(decode_cache, .init = setup, .fini = teardown);

static void put(uint16_t ip, const uint8_t *b, size_t n)
{
    memcpy(vm->mem.ram + LIN(ip), b, n);
}

/* Run the instruction at 1000:ip. */
static void step_at(uint16_t ip)
{
    c->eip = ip;
    cr_assert_eq(emulate_step(c, NULL), EM_OK, "at %04x", ip);
}

Test(decode_cache, unchanged_bytes_hit)
{
    static const uint8_t mov_al_1[] = { 0xB0, 0x01 };
    put(0x100, mov_al_1, 2);
    step_at(0x100);
    uint64_t decoded = vm->stats.em_decoded, cached = vm->stats.em_decode_cached;
    step_at(0x100);
    cr_assert_eq(c->gpr[R_EAX] & 0xFF, 1);
    cr_assert_eq(vm->stats.em_decoded, decoded, "decoded again");
    cr_assert_eq(vm->stats.em_decode_cached, cached + 1, "not taken from the cache");
    /* another CS.D is another decoding mode: B8 is then mov eax, imm32 */
    static const uint8_t mov_ax[] = { 0xB8, 0x34, 0x12, 0x78, 0x56 };
    put(0x200, mov_ax, sizeof mov_ax);
    step_at(0x200);
    cr_assert_eq(c->eip, 0x203);
    c->seg[S_CS].attr |= 0x4000;        /* D = 1 (a 32-bit CS left after protected mode) */
    step_at(0x200);
    cr_assert_eq(c->eip, 0x205, "decoded as 16-bit code under a 32-bit CS");
    cr_assert_eq(c->gpr[R_EAX], 0x56781234);
}

Test(decode_cache, code_rewrites_its_next_instruction)
{
    /*
     * 0100: mov al, 1
     * 0102: mov byte [cs:0x0101], 2     ; the immediate above
     * 0108: mov byte [cs:0x0100], 0x40  ; mov al -> inc ax (one byte) ...
     * 010E: (jump back by setting IP)
     */
    static const uint8_t prog[] = {
        0xB0, 0x01,
        0x2E, 0xC6, 0x06, 0x01, 0x01, 0x02,
        0x2E, 0xC6, 0x06, 0x00, 0x01, 0x40,
    };
    put(0x100, prog, sizeof prog);
    step_at(0x100);
    cr_assert_eq(c->gpr[R_EAX] & 0xFF, 1);
    step_at(0x100);                     /* now cached */
    step_at(0x102);                     /* rewrites the immediate */
    uint64_t decoded = vm->stats.em_decoded;
    step_at(0x100);
    cr_assert_eq(c->gpr[R_EAX] & 0xFF, 2, "the stale decode ran (AL = %u)", c->gpr[R_EAX] & 0xFF);
    cr_assert_eq(c->eip, 0x102);
    cr_assert_eq(vm->stats.em_decoded, decoded + 1);
    step_at(0x108);                     /* B0 02 -> 40 02: inc ax, then add [bp+si], al */
    c->gpr[R_EAX] = 0x10;
    step_at(0x100);
    cr_assert_eq(c->gpr[R_EAX], 0x11, "inc ax did not run");
    cr_assert_eq(c->eip, 0x101, "the old instruction's length");
}

/* A one-sector disk image whose sector 0 starts with `code`. */
static void disk_with(const uint8_t *code, size_t n)
{
    char err[256];
    strcpy(path, "/tmp/vmm-dcache-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    uint8_t sec[512] = { 0 };
    memcpy(sec, code, n);
    cr_assert_eq(pwrite(fd, sec, sizeof sec, 0), 512);
    close(fd);
    cr_assert_eq(ide_attach(vm, path, true, err, sizeof err), 0, "%s", err);
}

/* READ SECTORS of LBA 0 (the data port then holds the sector), and
 * rep insw at 1000:0400. */
static void read_sector0_with_rep_insw_at_400(void)
{
    static const uint8_t regs[][2] = {
        { 2, 1 }, { 3, 0 }, { 4, 0 }, { 5, 0 }, { 6, 0xE0 }, { 7, 0x20 },
    };
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
        outb(vm, 0x1F0 + regs[i][0], regs[i][1]);
    static const uint8_t rep_insw[] = { 0xF3, 0x6D };
    put(0x400, rep_insw, 2);
}

Test(decode_cache, rep_insw_overwrites_cached_code)
{
    static const uint8_t sector[] = { 0xB0, 0x07 };      /* mov al, 7 */
    disk_with(sector, sizeof sector);
    static const uint8_t old[] = { 0xB0, 0x01 };         /* mov al, 1 */
    put(0x100, old, 2);
    step_at(0x100);
    step_at(0x100);
    cr_assert_eq(c->gpr[R_EAX] & 0xFF, 1);
    uint64_t cached = vm->stats.em_decode_cached;
    cr_assert(cached >= 1);
    read_sector0_with_rep_insw_at_400();
    seg_set_raw(&c->seg[S_ES], CS_SEL, CS_SEL << 4, 0xFFFF, 0x0093);
    c->gpr[R_EDI] = 0x100;
    c->gpr[R_ECX] = 256;
    c->gpr[R_EDX] = 0x1F0;
    step_at(0x400);
    cr_assert_eq(c->eip, 0x402, "rep insw did not complete");
    cr_assert_eq(c->gpr[R_ECX], 0);
    cr_assert_eq(c->gpr[R_EDI], 0x300);
    cr_assert_eq(vm->mem.ram[LIN(0x100)], 0xB0);
    cr_assert_eq(vm->mem.ram[LIN(0x101)], 0x07);
    cr_assert_eq(vm->mem.ram[LIN(0x102)], 0x00, "the rest of the sector");
    step_at(0x100);
    cr_assert_eq(c->gpr[R_EAX] & 0xFF, 7, "the stale decode ran (AL = %u)", c->gpr[R_EAX] & 0xFF);
}

Test(decode_cache, rep_insw_across_a_page_and_the_segment_limit)
{
    /* The words before the page boundary go at once, the rest after the
     * boundary too; a limit inside the run stops it with #GP at the word
     * that crosses, (E)DI and CX telling how far it got. */
    static const uint8_t sector[] = { 0x11, 0x22, 0x33, 0x44 };
    disk_with(sector, sizeof sector);
    read_sector0_with_rep_insw_at_400();
    /* ES base 0x20F00: the page boundary at offset 0x100, limit 0x17F */
    seg_set_raw(&c->seg[S_ES], 0x20F0, 0x20F00, 0x17F, 0x0093);
    /* the #GP handler: IVT entry 13 -> 0000:0500 */
    uint32_t gp = 0x0500;
    memcpy(vm->mem.ram + 13 * 4, &gp, 4);
    c->gpr[R_EDI] = 0;
    c->gpr[R_ECX] = 256;
    c->gpr[R_EDX] = 0x1F0;
    step_at(0x400);
    cr_assert_eq(c->seg[S_CS].sel, 0, "no #GP at the limit");
    cr_assert_eq(c->eip, 0x500);
    cr_assert_eq(c->gpr[R_EDI], 0x180, "stopped at DI = 0x%x", c->gpr[R_EDI]);
    cr_assert_eq(c->gpr[R_ECX], 256 - 0xC0);
    cr_assert_eq(vm->mem.ram[0x20F00], 0x11);
    cr_assert_eq(vm->mem.ram[0x20F03], 0x44);
    cr_assert_eq(vm->mem.ram[0x20F00 + 0x17F], 0x00);
    /* the data port still holds the rest of the sector: 0x40 words */
    int left = 0;
    while (inb(vm, 0x1F7) & 0x08) {
        io_pio_read(&vm->io, 0x1F0, 2);
        left++;
    }
    cr_assert_eq(left, 0x40, "%d words left in the sector", left);
}
