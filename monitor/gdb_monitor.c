/*
 * monitor/gdb_monitor.c - gdb's `monitor` command (the qRcmd packet).
 *
 *   monitor info stats   the --stats counters of the run so far
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
#include "shadow_mmu/guest_mem.h"

#define PTE_P   0x001u
#define PTE_W   0x002u
#define PTE_U   0x004u
#define PTE_PWT 0x008u
#define PTE_PCD 0x010u
#define PTE_PS  0x080u
#define PTE_G   0x100u
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
    fprintf(out, "%08x-%08x -> %08x-%08x %s %s%s%s%s\n", r->lin, r->lin + (r->size - 1),
            r->pa, r->pa + (r->size - 1), r->flags & PTE_W ? "rw" : "ro",
            r->flags & PTE_U ? "user" : "supervisor", r->flags & PTE_G ? " global" : "",
            r->flags & PTE_PCD ? " pcd" : "", r->flags & PTE_PWT ? " pwt" : "");
    r->open = false;
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

/* Intel SDM vol. 3A, 4.3: 32-bit paging, 4 KiB pages or (CR4.PSE) 4 MiB. */
static void info_tlb(struct vm *vm, FILE *out)
{
    struct vcpu *c = &vm->cpu;
    if (!(c->cr0 & CR0_PG)) {
        fprintf(out, "paging off (CR0.PG=0): linear = physical\n");
        return;
    }
    const uint32_t *pd = guest_phys_ptr(&vm->mem, c->cr3 & 0xFFFFF000u, 4096);
    if (!pd) {
        fprintf(out, "CR3=%08x: the page directory is not in RAM\n", c->cr3);
        return;
    }
    fprintf(out, "CR3=%08x linear -> physical, rights (W and U of both levels combined)\n", c->cr3);
    struct tlb_run run = { 0 };
    for (uint32_t i = 0; i < 1024; i++) {
        uint32_t d = pd[i];
        if (!(d & PTE_P))
            continue;
        if ((d & PTE_PS) && (c->cr4 & CR4_PSE)) {
            run_add(out, &run, i << 22, d & 0xFFC00000u, 4u << 20, d & PTE_KEY);
            continue;
        }
        const uint32_t *pt = guest_phys_ptr(&vm->mem, d & 0xFFFFF000u, 4096);
        if (!pt) {
            run_flush(out, &run);
            fprintf(out, "%08x: page table at %08x is not in RAM\n", i << 22, d & 0xFFFFF000u);
            continue;
        }
        for (uint32_t j = 0; j < 1024; j++) {
            uint32_t t = pt[j];
            if (!(t & PTE_P))
                continue;
            uint32_t flags = (t & PTE_KEY & ~(PTE_W | PTE_U)) | (t & d & (PTE_W | PTE_U));
            run_add(out, &run, i << 22 | j << 12, t & 0xFFFFF000u, 4096, flags);
        }
    }
    run_flush(out, &run);
}

static void info_stats(struct vm *vm, FILE *out)
{
    stats_print(&vm->stats, out);
}

static void help(struct vm *vm, FILE *out);

static const struct {
    const char *name;
    const char *help;
    void (*fn)(struct vm *vm, FILE *out);
} commands[] = {
    { "info stats", "translator, exit and interrupt counters so far (as --stats)", info_stats },
    { "info tlb", "present guest page mappings, walked from CR3", info_tlb },
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
