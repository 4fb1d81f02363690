/*
 * monitor/run.h - the run loop: translated ring 0, direct ring 3,
 * interrupts, exits, until the guest stops.
 */
#ifndef MONITOR_RUN_H
#define MONITOR_RUN_H

struct vm;

/* Create the VM's memory, CPU and translator (not the devices). */
int vm_create(struct vm *vm, char *err, unsigned long errlen);
void vm_destroy(struct vm *vm);

/* Run until vm->stop; returns vm->exit_status. */
int vm_run(struct vm *vm);

#endif
