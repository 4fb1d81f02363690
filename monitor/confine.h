/*
 * monitor/confine.h - confining vmm before the guest's first instruction
 * (cpu/sandbox.h; docs/security.md).
 */
#ifndef MONITOR_CONFINE_H
#define MONITOR_CONFINE_H

#include <stddef.h>

struct vm;
struct sandbox_fds;

/* The descriptors of this VM by role: console, outputs, disks, guest RAM,
 * the gdb listening socket. */
void vm_sandbox_fds(struct vm *vm, struct sandbox_fds *f);
/* Landlock and the system-call filter; 0, or -1 with err[] set. */
int vm_confine(struct vm *vm, char *err, size_t errlen);

#endif
