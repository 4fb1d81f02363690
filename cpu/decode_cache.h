/*
 * cpu/decode_cache.h - the emulator's cache of decoded instructions.
 *
 * Real-address mode, virtual-8086 mode and 16-bit code are interpreted
 * (monitor/run_bt.c), so the emulator decodes every instruction they run;
 * Zydis takes most of an interpreted instruction's time, and firmware and
 * boot loaders run the same few loops millions of times.  So the emulator
 * keeps what it decoded, by linear address.
 *
 * Contract: a cached decode is used only when the bytes in guest memory at
 * the instruction are, at that moment, the bytes it was decoded from, in
 * the same decoding mode (CS.D and SS.B).  Each use fetches those bytes
 * again (through the guest's page tables, setting accessed bits, within the
 * CS limit, as the processor's fetch does) and compares them, so nothing
 * ever has to invalidate an entry: a write by the interpreted code itself,
 * by translated or directly run code, by a device (IDE PIO into RAM) or by
 * the debugger, a new mapping, an A20 switch or a mode change all show as
 * different bytes, a different mode, or a fetch that does not qualify (then
 * the emulator decodes from scratch).  An x86 decoder's result depends only
 * on the bytes it consumed and the mode, so equal bytes decode equal.
 *
 * Only instructions wholly inside one page of RAM are cached; one that
 * crosses a page or comes from a ROM or device is always decoded anew.
 */
#ifndef CPU_DECODE_CACHE_H
#define CPU_DECODE_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <Zydis/Zydis.h>

struct vm;

/* The decoding mode of an entry: CS.D and SS.B. */
#define DC_MODE_CS32 1u
#define DC_MODE_SS32 2u

/* The decode of the instruction at linear address lin, whose bytes are at
 * host pointer `bytes` (inside one RAM page, at least `avail` of them
 * readable), or false.  On a hit *in and *op point into the cache: all
 * ZYDIS_MAX_OPERAND_COUNT operands, those past operand_count zero, as
 * ZydisDecoderDecodeFull leaves them.  They stay valid until the next
 * dc_store or dc_free. */
bool dc_lookup(struct vm *vm, uint32_t lin, unsigned mode, const uint8_t *bytes, uint32_t avail,
               const ZydisDecodedInstruction **in, const ZydisDecodedOperand **op);

/* Keep a fresh decode of the instruction at lin, from bytes[0..in->length)
 * (op: all ZYDIS_MAX_OPERAND_COUNT operands of ZydisDecoderDecodeFull). */
void dc_store(struct vm *vm, uint32_t lin, unsigned mode, const uint8_t *bytes,
              const ZydisDecodedInstruction *in, const ZydisDecodedOperand *op);

/* Free the cache (safe if it was never made). */
void dc_free(struct vm *vm);

#endif
