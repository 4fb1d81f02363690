/*
 * cpu/decode_cache.c - decoded instructions by linear address, checked
 * against the guest's bytes at each use (cpu/decode_cache.h).
 *
 * Direct-mapped: one entry per slot, a new decode replaces the old.  The
 * table is made on first use and its entries are large (Zydis's decoded
 * instruction and operands, about 1 KiB), but a slot's memory is touched
 * only when the slot is, so only the code that runs costs memory.  The
 * emulator reads a hit in place, so a hit touches only the cache lines
 * of the fields its handler reads.
 */
#include <stdlib.h>
#include <string.h>
#include "cpu/decode_cache.h"
#include "cpu/machine.h"

#define DC_SLOTS 4096u          /* power of two */

struct dc_entry {
    uint32_t lin;
    uint8_t mode;               /* DC_MODE_*, and DC_VALID */
    uint8_t len;
    uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
    ZydisDecodedInstruction in;
    ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
};
#define DC_VALID 0x80u

struct decode_cache {
    struct dc_entry e[DC_SLOTS];
};

/* Real-mode code lies below 1 MiB (1.06 with the HMA) and loops over a
 * few hundred bytes; a multiplicative hash spreads neighbouring
 * instructions and equal page offsets alike. */
static struct dc_entry *slot(struct decode_cache *dc, uint32_t lin)
{
    return &dc->e[(lin * 0x9E3779B1u) >> (32 - 12)];
}
_Static_assert(DC_SLOTS == 1u << 12, "slot() hashes to 12 bits");

bool dc_lookup(struct vm *vm, uint32_t lin, unsigned mode, const uint8_t *bytes, uint32_t avail,
               const ZydisDecodedInstruction **in, const ZydisDecodedOperand **op)
{
    struct decode_cache *dc = vm_machine(vm)->decode_cache;
    if (!dc)
        return false;
    const struct dc_entry *d = slot(dc, lin);
    if (d->lin != lin || d->mode != (mode | DC_VALID) || d->len > avail || memcmp(d->bytes, bytes, d->len))
        return false;
    *in = &d->in;
    *op = d->op;
    return true;
}

void dc_store(struct vm *vm, uint32_t lin, unsigned mode, const uint8_t *bytes,
              const ZydisDecodedInstruction *in, const ZydisDecodedOperand *op)
{
    struct decode_cache **dcp = &vm_machine(vm)->decode_cache;
    if (!*dcp && !(*dcp = calloc(1, sizeof **dcp)))
        return;                     /* no memory: decode every time */
    if (in->length > ZYDIS_MAX_INSTRUCTION_LENGTH)
        return;
    struct dc_entry *d = slot(*dcp, lin);
    d->lin = lin;
    d->mode = (uint8_t)(mode | DC_VALID);
    d->len = in->length;
    memcpy(d->bytes, bytes, in->length);
    d->in = *in;
    memcpy(d->op, op, sizeof d->op);
}

void dc_free(struct vm *vm)
{
    free(vm_machine(vm)->decode_cache);
    vm_machine(vm)->decode_cache = NULL;
}
