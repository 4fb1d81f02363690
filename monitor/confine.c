/*
 * monitor/confine.c - confine vmm once the VM is ready to run: the
 * descriptors each role may use (cpu/sandbox.h), then Landlock and the
 * system-call filter.  Nothing is opened after this point.
 */
#include <stdio.h>
#include <unistd.h>
#include "monitor/confine.h"
#include "monitor/vm.h"
#include "monitor/gdbstub.h"
#include "devices/platform.h"
#include "cpu/sandbox.h"
#include "cpu/kvm.h"

static void add(int *set, int *n, int fd)
{
    if (fd >= 0 && *n < SANDBOX_MAX_FDS)
        set[(*n)++] = fd;
}

static void disk_fds(struct vm *vm, struct sandbox_fds *f)
{
    struct ide *ide = &platform_of(vm)->ide;
    for (int c = 0; c < 2; c++)
        for (int d = 0; d < 2; d++) {
            const struct ide_drive *dr = &ide->ch[c].d[d];
            if (!dr->present)
                continue;
            add(f->disk, &f->ndisk, dr->fd);
            if (!dr->ro)
                add(f->disk_rw, &f->ndisk_rw, dr->fd);
        }
    const struct fdc *fdc = &platform_of(vm)->fdc;
    for (int i = 0; i < FDC_DRIVES; i++)
        if (fdc->d[i].present) {
            add(f->disk, &f->ndisk, fdc->d[i].fd);
            if (!fdc->d[i].ro)
                add(f->disk_rw, &f->ndisk_rw, fdc->d[i].fd);
        }
}

void vm_sandbox_fds(struct vm *vm, struct sandbox_fds *f)
{
    *f = (struct sandbox_fds){ .console = { -1, -1 }, .memfd = vm->mem.memfd, .pid = (int)getpid(),
                               .kvm_vcpu = vm->kvm ? vm->kvm->vcpu_fd : -1 };
    if (vm->platform) {
        f->console[0] = platform_of(vm)->con.in_fd;
        if (platform_of(vm)->display.open)
            f->console[1] = platform_of(vm)->display.keys.in_fd;
        disk_fds(vm, f);
    }
    add(f->out, &f->nout, STDOUT_FILENO);
    add(f->out, &f->nout, STDERR_FILENO);
    if (vm->platform && platform_of(vm)->serial_set && platform_of(vm)->serial_out > STDERR_FILENO)
        add(f->out, &f->nout, platform_of(vm)->serial_out);
    if (vm->platform && platform_of(vm)->debugcon.open)
        add(f->out, &f->nout, platform_of(vm)->debugcon.fd);
    if (vm->perf_map)
        add(f->out, &f->nout, fileno(vm->perf_map));
    if (vm->pg_report)
        add(f->out, &f->nout, fileno(vm->pg_report));
    add(f->out, &f->nout, vm->opt.reset_pipe - 1);
    f->gdb_listen = gdb_listen_fd(vm);
}

int vm_confine(struct vm *vm, char *err, size_t errlen)
{
    struct sandbox_fds f;
    vm_sandbox_fds(vm, &f);
    sandbox_prepare_stream(stdout);
    sandbox_prepare_stream(vm->perf_map);
    sandbox_prepare_stream(vm->pg_report);
    return sandbox_confine(&f, stderr, err, errlen);
}
