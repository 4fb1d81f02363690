/*
 * cpu/pg_sensitive.c - the sensitive, unprivileged instructions of IA-32
 * (see pg_sensitive.h).  Why each one is sensitive (SDM vol. 2 for each
 * instruction; Robin and Irvine 2000, section 4):
 *  - SGDT, SIDT, SLDT, STR, SMSW store GDTR, IDTR, LDTR, TR and CR0's low
 *    word at any CPL (UMIP, where on, makes the first five fault at CPL > 0;
 *    Linux then answers them itself with dummy values).
 *  - PUSHF stores IF and IOPL; POPF at CPL > IOPL leaves IF unchanged, and
 *    at CPL > 0 leaves IOPL unchanged, without a fault.
 *  - LAR, LSL, VERR, VERW read a descriptor and compare its DPL with the
 *    CPL and the selector's RPL.
 *  - A selector read from a segment register carries the CPL in its RPL;
 *    a segment load checks the descriptor the current tables hold.
 *  - Far CALL, JMP and RET and INT n check the CPL against descriptor and
 *    gate DPLs and may change privilege.
 *  - CPUID names the processor that runs it.
 */
#include <stddef.h>
#include "cpu/pg_sensitive.h"

static const struct pg_insn_info info[PG_NKINDS] = {
    [PG_SGDT] = { "SGDT", "descriptor-table store", PGE_DEST },
    [PG_SIDT] = { "SIDT", "descriptor-table store", PGE_DEST },
    [PG_SLDT] = { "SLDT", "descriptor-table store", PGE_DEST },
    [PG_STR] = { "STR", "descriptor-table store", PGE_DEST },
    [PG_SMSW] = { "SMSW", "machine-status store", PGE_DEST },
    [PG_PUSHF] = { "PUSHF", "flags", PGE_PUSH },
    [PG_POPF] = { "POPF", "flags", PGE_FLAGS },
    [PG_LAR] = { "LAR", "descriptor inspection", PGE_ZF_DEST },
    [PG_LSL] = { "LSL", "descriptor inspection", PGE_ZF_DEST },
    [PG_VERR] = { "VERR", "descriptor inspection", PGE_ZF },
    [PG_VERW] = { "VERW", "descriptor inspection", PGE_ZF },
    [PG_MOV_FROM_SREG] = { "MOV r,Sreg", "segment registers", PGE_DEST },
    [PG_PUSH_SREG] = { "PUSH Sreg", "segment registers", PGE_PUSH },
    [PG_MOV_TO_SREG] = { "MOV Sreg,r", "segment registers", PGE_SREG },
    [PG_POP_SREG] = { "POP Sreg", "segment registers", PGE_SREG },
    [PG_LOAD_FAR_PTR] = { "LDS/LES/LFS/LGS/LSS", "segment registers", PGE_SREG },
    [PG_CALL_FAR] = { "CALL far", "control transfers", PGE_FAR },
    [PG_JMP_FAR] = { "JMP far", "control transfers", PGE_FAR },
    [PG_RET_FAR] = { "RET far", "control transfers", PGE_FAR },
    [PG_INT] = { "INT n", "control transfers", PGE_FAR },
    [PG_CPUID] = { "CPUID", "processor identification", PGE_CPUID },
};

const struct pg_insn_info *pg_insn_info(enum pg_insn k)
{
    return k > PG_NONE && k < PG_NKINDS ? &info[k] : NULL;
}

static bool is_sreg(const ZydisDecodedOperand *o)
{
    return o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
           ZydisRegisterGetClass(o->reg.value) == ZYDIS_REGCLASS_SEGMENT;
}

enum pg_insn pg_classify(const ZydisDecodedInstruction *ins, const ZydisDecodedOperand *ops)
{
    bool far = ins->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
    switch (ins->mnemonic) {
    case ZYDIS_MNEMONIC_SGDT: return PG_SGDT;
    case ZYDIS_MNEMONIC_SIDT: return PG_SIDT;
    case ZYDIS_MNEMONIC_SLDT: return PG_SLDT;
    case ZYDIS_MNEMONIC_STR: return PG_STR;
    case ZYDIS_MNEMONIC_SMSW: return PG_SMSW;
    case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_PUSHFD: return PG_PUSHF;
    case ZYDIS_MNEMONIC_POPF: case ZYDIS_MNEMONIC_POPFD: return PG_POPF;
    case ZYDIS_MNEMONIC_LAR: return PG_LAR;
    case ZYDIS_MNEMONIC_LSL: return PG_LSL;
    case ZYDIS_MNEMONIC_VERR: return PG_VERR;
    case ZYDIS_MNEMONIC_VERW: return PG_VERW;
    case ZYDIS_MNEMONIC_LDS: case ZYDIS_MNEMONIC_LES: case ZYDIS_MNEMONIC_LFS:
    case ZYDIS_MNEMONIC_LGS: case ZYDIS_MNEMONIC_LSS:
        return PG_LOAD_FAR_PTR;
    case ZYDIS_MNEMONIC_CPUID: return PG_CPUID;
    case ZYDIS_MNEMONIC_INT: case ZYDIS_MNEMONIC_INT3: case ZYDIS_MNEMONIC_INTO:
    case ZYDIS_MNEMONIC_INT1:
        return PG_INT;
    case ZYDIS_MNEMONIC_CALL: return far ? PG_CALL_FAR : PG_NONE;
    case ZYDIS_MNEMONIC_JMP: return far ? PG_JMP_FAR : PG_NONE;
    case ZYDIS_MNEMONIC_RET: return far ? PG_RET_FAR : PG_NONE;
    case ZYDIS_MNEMONIC_PUSH: return is_sreg(&ops[0]) ? PG_PUSH_SREG : PG_NONE;
    case ZYDIS_MNEMONIC_POP: return is_sreg(&ops[0]) ? PG_POP_SREG : PG_NONE;
    case ZYDIS_MNEMONIC_MOV:
        if (is_sreg(&ops[0]))
            return PG_MOV_TO_SREG;
        return is_sreg(&ops[1]) ? PG_MOV_FROM_SREG : PG_NONE;
    default:
        return PG_NONE;
    }
}
