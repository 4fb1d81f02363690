/*
 * cpu/pg_sensitive.h - the sensitive instructions that do not trap when a
 * kernel runs deprivileged on IA-32 (Robin and Irvine, USENIX Security
 * 2000: "the seventeen"), and CPUID.
 *
 * Contract: pg_classify() says whether a decoded instruction is one of
 * them (PG_NONE if not) and pg_insn_info() describes each kind: its name,
 * its group of the docs/popek-goldberg.md table, and which part of the
 * machine state shows its result (so that the monitor can compare what the
 * host gave with what a CPU at the guest's CPL gives).  The table in
 * pg_sensitive.c is the one list: the silent-instruction report
 * (monitor/pg_watch.c) and the teaching kernel's checks use it.
 */
#ifndef CPU_PG_SENSITIVE_H
#define CPU_PG_SENSITIVE_H

#include <stdbool.h>
#include <Zydis/Zydis.h>

enum pg_insn {
    PG_NONE = 0,
    PG_SGDT, PG_SIDT, PG_SLDT, PG_STR, PG_SMSW,
    PG_PUSHF, PG_POPF,
    PG_LAR, PG_LSL, PG_VERR, PG_VERW,
    PG_MOV_FROM_SREG, PG_PUSH_SREG, PG_MOV_TO_SREG, PG_POP_SREG, PG_LOAD_FAR_PTR,
    PG_CALL_FAR, PG_JMP_FAR, PG_RET_FAR, PG_INT,
    PG_CPUID,
    PG_NKINDS
};

/* Where an instruction's result shows. */
enum pg_effect {
    PGE_FLAGS,      /* EFLAGS.IF and IOPL (POPF) */
    PGE_DEST,       /* its first operand, register or memory (SGDT, MOV r/m,Sreg, ...) */
    PGE_PUSH,       /* the value it pushed at SS:ESP (PUSHF, PUSH Sreg) */
    PGE_ZF_DEST,    /* ZF, and the destination register when ZF=1 (LAR, LSL) */
    PGE_ZF,         /* ZF (VERR, VERW) */
    PGE_SREG,       /* the segment register it loaded */
    PGE_FAR,        /* the CS:EIP it went on at */
    PGE_CPUID,      /* EAX, EBX, ECX, EDX */
};

struct pg_insn_info {
    const char *name;       /* "POPF", "MOV r,Sreg", ... */
    const char *group;      /* as in docs/popek-goldberg.md */
    enum pg_effect effect;
};

enum pg_insn pg_classify(const ZydisDecodedInstruction *ins, const ZydisDecodedOperand *ops);
const struct pg_insn_info *pg_insn_info(enum pg_insn k);

#endif
