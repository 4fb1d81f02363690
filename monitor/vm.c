/*
 * monitor/vm.c - allocating a VM, what the layers below may ask of it
 * (cpu/machine.h), ending a run, and the reports that go with an abnormal end:
 * the unsupported-operation report and the CPU state dump.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include "monitor/vm.h"
#include "monitor/symbols.h"
#include "monitor/trace.h"
#include "monitor/gdbstub.h"
#include "shadow_mmu/mmu.h"
#include "bt/bt.h"
#include "shadow_mmu/shadow.h"

#define MAX_INSN_BYTES 15           /* longest x86 instruction (SDM vol. 2, 2.3.11) */

struct vm *vm_alloc(void)
{
    /* sizeof is a multiple of the alignment, as aligned_alloc requires. */
    struct vm *vm = aligned_alloc(_Alignof(struct vm), sizeof *vm);
    if (vm)
        memset(vm, 0, sizeof *vm);
    return vm;
}

/* The accessors of cpu/machine.h cast a struct vm * to its struct machine. */
_Static_assert(offsetof(struct vm, cpu) == 0, "struct vm begins with its struct machine");

/* (cpu/machine.h) */
bool vm_tracing(struct vm *vm) { return vm->opt.trace; }

void vm_stop_on_signal(struct vm *vm, int sig)
{
    vm->stop_signal = sig;
}

bool vm_breakpoint_at(struct vm *vm, uint32_t lin)
{
    return vm->gdb && gdb_breakpoint_at(vm, lin);
}

void vm_block_translated(struct vm *vm, uint32_t lin, uint32_t guest_len, const void *host,
                         uint32_t host_len)
{
    if (vm->perf_map)
        trace_perf_map_tu(vm->perf_map, vm->syms, host, host_len, lin);
    if (vm->opt.trace) {
        uint8_t code[BT_MAX_INSNS * MAX_INSN_BYTES];
        uint32_t n = guest_len < sizeof code ? guest_len : sizeof code;
        mmu_read(&vm->cpu, lin, code, n, ACC_READ | ACC_NOSET, NULL);
        trace_disasm(stderr, vm->syms, lin, code, n, BT_MAX_INSNS);
    }
}

void vm_stop(struct vm *vm, int status, const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        fputs("vmm: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    vm->exit_status = status;
    vm->stop = true;
}

static const char *mode_name(const struct vcpu *c)
{
    if (!(c->cr0 & CR0_PE))
        return "real mode";
    if (c->eflags & FL_VM)
        return c->cr0 & CR0_PG ? "virtual-8086, paging" : "virtual-8086";
    return c->cr0 & CR0_PG ? "protected, paging" : "protected";
}

/* Read up to MAX_INSN_BYTES at lin without side effects on A/D bits; stops
 * at the first byte that does not translate or is neither RAM nor ROM (a
 * device register must not be read for a report: reads may have effects). */
static size_t peek_code(struct vcpu *c, uint32_t lin, uint8_t *buf)
{
    struct mmu_fault f;
    size_t n = 0;
    for (; n < MAX_INSN_BYTES; n++) {
        uint32_t a = lin + (uint32_t)n, pa;
        enum mmu_result r = mmu_translate(c, a, ACC_NOSET, &pa, &f);
        if (r == MMU_PAGE_FAULT || (r == MMU_NOT_RAM && !io_mmio_fetchable(vm_io(c->vm), pa, 1)) ||
            mmu_read(c, a, buf + n, 1, ACC_NOSET, &f) == MMU_PAGE_FAULT)
            break;
    }
    return n;
}

void vm_set_a20(struct vm *vm, bool on)
{
    struct guest_mem *m = vm_mem(vm);
    uint32_t mask = on ? 0xFFFFFFFFu : ~A20_BIT;
    if (m->a20_mask == mask)
        return;
    m->a20_mask = mask;
    vm->stats.a20_switches++;
    if (!on && !vm->a20_warned && (vm->opt.accel_kvm || (vm->cpu.cr0 & CR0_PG))) {
        fprintf(stderr, "vmm: the guest closed the A20 gate %s: addresses above 1 MiB are not "
                "wrapped there (docs/devices.md, \"A20\")\n",
                vm->opt.accel_kvm ? "under --accel kvm" : "with paging on");
        vm->a20_warned = true;
    }
    if (vm->opt.accel_kvm || !vm->tc)
        return;
    /* Translations were made for the old aliasing; the identity map
     * (paging off) is rebuilt with or without the odd-megabyte alias. */
    bt_flush(vm, on ? "A20 gate opened" : "A20 gate closed");
    shadow_reset(vm);
}

void vm_unsupported(struct vm *vm, const char *what)
{
    struct vcpu *c = &vm->cpu;
    uint32_t lin = vcpu_linear_ip(c), symoff;
    uint8_t code[MAX_INSN_BYTES];
    size_t n = peek_code(c, lin, code);
    const char *sym = symtab_lookup(vm->syms, lin, &symoff);

    fprintf(stderr, "vmm: unsupported: %s\n", what);
    fprintf(stderr, "  mode %s, CPL %d%s\n", mode_name(c), c->cpl,
            SEG_ATTR_DB(c->seg[S_CS].attr) ? "" : ", 16-bit code segment");
    fprintf(stderr, "  at %04x:%08x (linear %08x)", c->seg[S_CS].sel, c->eip, lin);
    if (sym)
        fprintf(stderr, " <%s+0x%x>", sym, symoff);
    fputc('\n', stderr);
    if (n) {
        char text[160];
        /* Real mode, virtual-8086 mode and 16-bit segments decode as 16-bit
         * code (operand and address size 16 unless prefixed). */
        trace_format_insn(text, sizeof text, lin, code, n, !SEG_ATTR_DB(c->seg[S_CS].attr) ||
                          !(c->cr0 & CR0_PE) || (c->eflags & FL_VM));
        fprintf(stderr, "  %s\n", text);
    } else {
        fprintf(stderr, "  (instruction bytes not readable)\n");
    }
    vm_dump_state(vm, stderr);
    vm_stop(vm, VMM_EXIT_UNSUPPORTED, NULL);
}

static void dump_seg(FILE *out, const char *name, const struct seg *s)
{
    fprintf(out, "%-3s=%04x %08x %08x %04x\n", name, s->sel, s->base, s->limit, s->attr);
}

/* Flag letters in the order of the EFLAGS bits, as a debugger shows them. */
static void flags_string(uint32_t f, char *buf)
{
    static const struct { uint32_t bit; char ch; } t[] = {
        { FL_OF, 'O' }, { FL_DF, 'D' }, { FL_IF, 'I' }, { FL_TF, 'T' }, { FL_SF, 'S' },
        { FL_ZF, 'Z' }, { FL_AF, 'A' }, { FL_PF, 'P' }, { FL_CF, 'C' },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        buf[i] = (f & t[i].bit) ? t[i].ch : '-';
    buf[sizeof t / sizeof t[0]] = '\0';
}

void vm_dump_state(struct vm *vm, FILE *out)
{
    static const char *const seg_names[S_NSEG] = { "ES", "CS", "SS", "DS", "FS", "GS" };
    const struct vcpu *c = &vm->cpu;
    uint32_t fl = vcpu_get_eflags(c);
    char fs[16];

    flags_string(fl, fs);
    fprintf(out, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n",
            c->gpr[R_EAX], c->gpr[R_EBX], c->gpr[R_ECX], c->gpr[R_EDX]);
    fprintf(out, "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n",
            c->gpr[R_ESI], c->gpr[R_EDI], c->gpr[R_EBP], c->gpr[R_ESP]);
    fprintf(out, "EIP=%08x EFL=%08x [%s] IOPL=%u CPL=%d%s\n", c->eip, fl, fs,
            (fl & FL_IOPL) >> 12, c->cpl, c->halted ? " HLT" : "");
    for (int s = 0; s < S_NSEG; s++)
        dump_seg(out, seg_names[s], &c->seg[s]);
    dump_seg(out, "LDT", &c->ldtr);
    dump_seg(out, "TR", &c->tr);
    fprintf(out, "GDT=     %08x %08x\n", c->gdtr.base, c->gdtr.limit);
    fprintf(out, "IDT=     %08x %08x\n", c->idtr.base, c->idtr.limit);
    fprintf(out, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", c->cr0, c->cr2, c->cr3, c->cr4);
}
