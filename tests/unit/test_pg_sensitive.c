/*
 * tests/unit/test_pg_sensitive.c - the table of sensitive, unprivileged
 * instructions (cpu/pg_sensitive.h): every encoding a kernel uses for them
 * is recognised, and the ordinary or privileged neighbours are not.
 */
#include <criterion/criterion.h>
#include <Zydis/Zydis.h>
#include "cpu/pg_sensitive.h"

static enum pg_insn classify(const uint8_t *b, size_t n)
{
    ZydisDecoder d;
    ZydisDecodedInstruction ins;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    cr_assert(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, b, n, &ins, ops)));
    return pg_classify(&ins, ops);
}

#define CLASS(want, ...) do { \
        const uint8_t b_[] = { __VA_ARGS__ }; \
        cr_expect_eq(classify(b_, sizeof b_), (want), "bytes %02x %02x: got %d want %d", b_[0], \
                     sizeof b_ > 1 ? b_[1] : 0, classify(b_, sizeof b_), (want)); \
    } while (0)

Test(pg_sensitive, the_seventeen)
{
    CLASS(PG_SGDT, 0x0F, 0x01, 0x00);               /* sgdt [eax] */
    CLASS(PG_SIDT, 0x0F, 0x01, 0x08);               /* sidt [eax] */
    CLASS(PG_SLDT, 0x0F, 0x00, 0xC0);               /* sldt eax */
    CLASS(PG_STR, 0x0F, 0x00, 0x08);                /* str [eax] */
    CLASS(PG_SMSW, 0x0F, 0x01, 0xE0);               /* smsw eax */
    CLASS(PG_PUSHF, 0x9C);
    CLASS(PG_PUSHF, 0x66, 0x9C);
    CLASS(PG_POPF, 0x9D);
    CLASS(PG_LAR, 0x0F, 0x02, 0xC1);
    CLASS(PG_LSL, 0x0F, 0x03, 0xC1);
    CLASS(PG_VERR, 0x0F, 0x00, 0xE0);
    CLASS(PG_VERW, 0x0F, 0x00, 0xE8);
    CLASS(PG_MOV_FROM_SREG, 0x8C, 0xC8);            /* mov eax, cs */
    CLASS(PG_MOV_FROM_SREG, 0x8C, 0x18);            /* mov [eax], ds */
    CLASS(PG_MOV_TO_SREG, 0x8E, 0xD8);              /* mov ds, eax */
    CLASS(PG_PUSH_SREG, 0x0E);                      /* push cs */
    CLASS(PG_PUSH_SREG, 0x0F, 0xA0);                /* push fs */
    CLASS(PG_POP_SREG, 0x1F);                       /* pop ds */
    CLASS(PG_POP_SREG, 0x0F, 0xA9);                 /* pop gs */
    CLASS(PG_LOAD_FAR_PTR, 0xC5, 0x00);             /* lds eax, [eax] */
    CLASS(PG_LOAD_FAR_PTR, 0x0F, 0xB2, 0x00);       /* lss eax, [eax] */
    CLASS(PG_CALL_FAR, 0x9A, 0, 0, 0, 0, 0x08, 0);  /* call 8:0 */
    CLASS(PG_CALL_FAR, 0xFF, 0x18);                 /* call far [eax] */
    CLASS(PG_JMP_FAR, 0xEA, 0, 0, 0, 0, 0x08, 0);
    CLASS(PG_JMP_FAR, 0xFF, 0x28);                  /* jmp far [eax] */
    CLASS(PG_RET_FAR, 0xCB);
    CLASS(PG_RET_FAR, 0xCA, 0x04, 0x00);
    CLASS(PG_INT, 0xCD, 0x80);
    CLASS(PG_INT, 0xCC);
    CLASS(PG_INT, 0xCE);
    CLASS(PG_CPUID, 0x0F, 0xA2);
}

Test(pg_sensitive, neighbours_are_not)
{
    CLASS(PG_NONE, 0x89, 0xC8);                     /* mov eax, ecx */
    CLASS(PG_NONE, 0x50);                           /* push eax */
    CLASS(PG_NONE, 0x58);                           /* pop eax */
    CLASS(PG_NONE, 0xE8, 0, 0, 0, 0);               /* near call */
    CLASS(PG_NONE, 0xFF, 0xD0);                     /* call eax */
    CLASS(PG_NONE, 0xC3);                           /* near ret */
    CLASS(PG_NONE, 0xEB, 0x00);
    /* Privileged: they trap at CPL > 0, so they are not in the list. */
    CLASS(PG_NONE, 0xFA);                           /* cli */
    CLASS(PG_NONE, 0xF4);                           /* hlt */
    CLASS(PG_NONE, 0x0F, 0x01, 0x10);               /* lgdt [eax] */
    CLASS(PG_NONE, 0x0F, 0x22, 0xD8);               /* mov cr3, eax */
    CLASS(PG_NONE, 0xCF);                           /* iretd: traps (its CS) or the flags rule of POPF */
}

Test(pg_sensitive, every_kind_has_a_row)
{
    for (int k = PG_NONE + 1; k < PG_NKINDS; k++) {
        const struct pg_insn_info *in = pg_insn_info((enum pg_insn)k);
        cr_assert_not_null(in, "kind %d", k);
        cr_assert_not_null(in->name, "kind %d", k);
        cr_assert_not_null(in->group, "kind %d", k);
    }
    cr_assert_null(pg_insn_info(PG_NONE));
    cr_assert_null(pg_insn_info(PG_NKINDS));
}
