/*
 * monitor/symbols.h - names for guest addresses, from the kernel's ELF
 * symbol table (libelf) or from a System.map.
 *
 * Contract: symtab_load() returns NULL (no error) for a file that is neither
 * an ELF file with symbols nor a System.map (every line "hex-address type
 * name").  symtab_lookup() returns the function/object symbol
 * that contains addr (or the nearest one below it, within 64 KiB) and the
 * offset into it, or NULL.
 */
#ifndef MONITOR_SYMBOLS_H
#define MONITOR_SYMBOLS_H

#include <stdint.h>

struct symtab;

struct symtab *symtab_load(const char *path);
const char *symtab_lookup(const struct symtab *s, uint32_t addr, uint32_t *offset);
void symtab_free(struct symtab *s);

#endif
