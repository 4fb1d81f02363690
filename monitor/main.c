/*
 * monitor/main.c - the vmm program: parse options, build the machine, load
 * the kernel, run it, report.
 *
 * Errors before the guest runs print one line "vmm: <message>" and exit with
 * VMM_EXIT_USAGE (bad option or input file) or VMM_EXIT_ERROR (the monitor
 * itself failed).  After the run, the exit status is the guest's (see
 * enum vmm_status in monitor/vm.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include "monitor/vm.h"
#include "monitor/options.h"
#include "monitor/run.h"
#include "monitor/loader.h"
#include "monitor/symbols.h"
#include "monitor/gdbstub.h"
#include "devices/irq.h"
#include "devices/platform.h"

static int fail(const char *msg, int status)
{
    fprintf(stderr, "vmm: %s\n", msg);
    return status;
}

int main(int argc, char **argv)
{
    char err[512];
    struct vm_options opt;
    int status;

    switch (options_parse(argc, argv, &opt, err, sizeof err)) {
    case 1:
        return VMM_EXIT_OK;
    case -1:
        return fail(err, VMM_EXIT_USAGE);
    }

    /* struct vm holds the statistics tables and the FXSAVE areas: too big
     * for the stack, and it must be zeroed. */
    struct vm *vm = calloc(1, sizeof *vm);
    if (!vm)
        return fail("out of memory", VMM_EXIT_ERROR);
    vm->opt = opt;

    if (vm_create(vm, err, sizeof err) < 0) {
        free(vm);
        return fail(err, VMM_EXIT_ERROR);
    }
    if (loader_load(vm, err, sizeof err) < 0) {
        status = fail(err, VMM_EXIT_USAGE);
        goto out;
    }
    if (opt.trace || opt.stats)
        vm->syms = symtab_load(opt.kernel);
    if (devices_init(vm, err, sizeof err) < 0) {
        status = fail(err, VMM_EXIT_ERROR);
        goto out;
    }

    if (opt.gdb_port && gdb_init(vm, (int)opt.gdb_port, opt.gdb_wait, err, sizeof err) < 0) {
        status = fail(err, VMM_EXIT_ERROR);
        goto out;
    }

    status = vm_run(vm);

    if (opt.stats) {
        stats_print(&vm->stats, stderr);
        devices_stats_print(vm, stderr);
    }
out:
    devices_destroy(vm);        /* restores the terminal; safe when never created */
    symtab_free(vm->syms);
    vm->syms = NULL;
    vm_destroy(vm);
    free(vm);
    return status;
}
