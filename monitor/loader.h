/*
 * monitor/loader.h - putting a guest kernel into memory.
 *
 * Contract: loader_load() opens vm->opt.kernel, recognises its format
 * (Multiboot v1 header in the first 8 KiB, else ELF32 i386 via libelf; Linux
 * bzImage comes with issue 6), copies it into guest RAM, builds what the
 * format promises the kernel (Multiboot info with memory sizes, memory map,
 * command line, modules from --initrd) and sets the initial CPU state.
 * On bad input it changes nothing the user owns and returns -1 with a
 * one-line message naming the file and the problem (offset where it helps).
 */
#ifndef MONITOR_LOADER_H
#define MONITOR_LOADER_H

#include <stddef.h>

struct vm;

int loader_load(struct vm *vm, char *err, size_t errlen);

#endif
