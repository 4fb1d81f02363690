/*
 * monitor/gdb_monitor.c - gdb's `monitor` command (the qRcmd packet).
 *
 *   monitor info stats   the --stats counters of the run so far
 *   monitor info idle    how long the guest has been halted (lab 1)
 *   monitor info tlb     the guest's present page mappings, walked from CR3
 *                        (runs of consecutive pages with the same rights are
 *                        merged), or "paging off"
 *   monitor help         this list
 *
 * Output travels as O packets (hex text) before the final OK.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "monitor/gdb_internal.h"
#include "monitor/vm.h"
#include "monitor/stats.h"
#include "monitor/lab_idle.h"
#include "devices/irq.h"
#include "shadow_mmu/guest_mem.h"
#include "shadow_mmu/mmu.h"

#define PTE_PWT 0x008u
#define PTE_PCD 0x010u
#define TLB_NX  0x200u          /* in tlb_run.flags: execute-disabled (XD with NXE) */
#define PTE_KEY (PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_G)

static void send_output(struct gdb *g, const char *text, size_t n)
{
    char pkt[GDB_PKT_MAX];
    size_t chunk = (GDB_PKT_MAX - 2) / 2;
    for (size_t o = 0; o < n; o += chunk) {
        size_t k = n - o < chunk ? n - o : chunk;
        pkt[0] = 'O';
        gdb_hex_encode((const uint8_t *)text + o, k, pkt + 1);
        gdb_send(g, pkt, 1 + 2 * k);
    }
}

/* One merged run of mappings. */
struct tlb_run {
    bool open;
    uint32_t lin, pa, size, flags;
};

static void run_flush(FILE *out, struct tlb_run *r)
{
    if (!r->open)
        return;
    fprintf(out, "%08x-%08x -> %08x-%08x %s %s%s%s%s%s\n", r->lin, r->lin + (r->size - 1),
            r->pa, r->pa + (r->size - 1), r->flags & PTE_W ? "rw" : "ro",
            r->flags & PTE_U ? "user" : "supervisor", r->flags & PTE_G ? " global" : "",
            r->flags & PTE_PCD ? " pcd" : "", r->flags & PTE_PWT ? " pwt" : "",
            r->flags & TLB_NX ? " nx" : "");
    r->open = false;
}

/* What a run is keyed on: the leaf's attributes, W and U of both levels
 * combined, execute-disable of either. */
static uint32_t tlb_flags(const struct vcpu *c, uint64_t dir, uint64_t leaf)
{
    return ((uint32_t)leaf & PTE_KEY & ~(PTE_W | PTE_U)) | ((uint32_t)(leaf & dir) & (PTE_W | PTE_U)) |
           (mmu_is_nx(c, dir | leaf) ? TLB_NX : 0);
}

static void run_add(FILE *out, struct tlb_run *r, uint32_t lin, uint32_t pa, uint32_t size,
                    uint32_t flags)
{
    if (r->open && r->lin + r->size == lin && r->pa + r->size == pa && r->flags == flags) {
        r->size += size;
        return;
    }
    run_flush(out, r);
    *r = (struct tlb_run){ true, lin, pa, size, flags };
}

/* Intel SDM vol. 3A, 4.3 and 4.4: 32-bit paging (4 KiB pages or, with
 * CR4.PSE, 4 MiB) or PAE (4 KiB and 2 MiB pages under the loaded PDPTEs),
 * read through struct pg_format (shadow_mmu/mmu.h). */
static void info_tlb(struct vm *vm, FILE *out)
{
    struct vcpu *c = &vm->cpu;
    if (!(c->cr0 & CR0_PG)) {
        fprintf(out, "paging off (CR0.PG=0): linear = physical\n");
        return;
    }
    const struct pg_format *fm = mmu_format(c);
    fprintf(out, "CR3=%08x%s linear -> physical, rights (W and U of both levels combined)%s\n",
            c->cr3, fm->pae ? " (PAE)" : "", fm->pae && (c->efer & EFER_NXE) ? ", nx" : "");
    struct tlb_run run = { 0 };
    uint32_t nt = 1u << fm->pt_bits;
    for (uint32_t i = 0; i < fm->ndirs; i++) {
        uint32_t dpa, lin = i << fm->dir_shift;
        uint64_t d;
        if (!mmu_dir_entry(c, i, &dpa, &d) || !(d & PTE_P))
            continue;
        if (mmu_is_big(c, d)) {
            run_add(out, &run, lin, (uint32_t)(d & fm->big_frame), 1u << fm->dir_shift,
                    tlb_flags(c, d, d));
            continue;
        }
        uint32_t tpa = (uint32_t)(d & fm->frame);
        if (!guest_phys_ptr(&vm->mem, tpa, 4096)) {
            run_flush(out, &run);
            fprintf(out, "%08x: page table at %08x is not in RAM\n", lin, tpa);
            continue;
        }
        for (uint32_t j = 0; j < nt; j++) {
            uint64_t t = mmu_read_entry(c, tpa + j * fm->esize);
            if (t & PTE_P)
                run_add(out, &run, lin | j << 12, (uint32_t)(t & fm->frame), 4096,
                        tlb_flags(c, d, t));
        }
    }
    run_flush(out, &run);
}

static void info_stats(struct vm *vm, FILE *out)
{
    stats_print(&vm->stats, out);
}

static void info_idle(struct vm *vm, FILE *out)
{
    idle_print(vm, host_now_ns() - vm->start_ns, out);
}

/* What gdb's own register view lacks: the segment caches (base, limit,
 * attributes), the descriptor tables, the control registers and the mode. */
static void info_registers(struct vm *vm, FILE *out)
{
    vm_dump_state(vm, out);
}

static void help(struct vm *vm, FILE *out);

static const struct {
    const char *name;
    const char *help;
    void (*fn)(struct vm *vm, FILE *out);
} commands[] = {
    { "info stats", "translator, exit and interrupt counters so far (as --stats)", info_stats },
    { "info tlb", "present guest page mappings, walked from CR3", info_tlb },
    { "info registers", "the whole CPU state: segment bases and limits, GDT/IDT, CRn, mode", info_registers },
    { "info idle", "how long the guest has been halted (docs/labs/hlt-accounting.md)", info_idle },
    { "help", "this list", help },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void help(struct vm *vm, FILE *out)
{
    (void)vm;
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "monitor %-12s %s\n", commands[i].name, commands[i].help);
}

void gdb_rcmd(struct gdb *g, const char *hexcmd)
{
    char cmd[256];
    long n = gdb_hex_decode(hexcmd, strlen(hexcmd), (uint8_t *)cmd, sizeof cmd - 1);
    if (n < 0) {
        gdb_send_str(g, "E22");
        return;
    }
    cmd[n] = '\0';
    while (n > 0 && (cmd[n - 1] == ' ' || cmd[n - 1] == '\n'))
        cmd[--n] = '\0';
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        gdb_send_str(g, "E12");     /* ENOMEM */
        return;
    }
    size_t i = 0;
    while (i < NCOMMANDS && strcmp(cmd, commands[i].name) != 0)
        i++;
    if (i < NCOMMANDS)
        commands[i].fn(g->vm, out);
    else
        fprintf(out, "unknown monitor command '%s' (try 'monitor help')\n", cmd);
    fclose(out);
    send_output(g, text, len);
    free(text);
    gdb_send_str(g, "OK");
}
