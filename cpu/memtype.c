/*
 * cpu/memtype.c - MTRRs and PAT: storage with the SDM's reserved-bit and
 * reserved-type checks (vol. 3A 11.11.1-11.11.3, 11.12.2).
 */
#include <string.h>
#include "cpu/memtype.h"

/* The model's physical addresses have 32 bits: MTRR base/mask bits
 * 12..31 exist, 32..63 are reserved. */
#define PHYS_PAGE_BITS 0xFFFFF000ull
#define DEF_TYPE_E     (1ull << 11)
#define DEF_TYPE_FE    (1ull << 10)
#define VAR_MASK_VALID (1ull << 11)

/* Memory types: 0 UC, 1 WC, 4 WT, 5 WP, 6 WB; 2, 3 and above 6 are
 * reserved in MTRRs.  The PAT also has 7 (UC-). */
static bool mtrr_type_ok(unsigned t) { return t <= 6 && t != 2 && t != 3; }
static bool pat_type_ok(unsigned t) { return t <= 7 && t != 2 && t != 3; }

static const uint32_t fixed_msrs[11] = {
    0x250, 0x258, 0x259, 0x268, 0x269, 0x26A, 0x26B, 0x26C, 0x26D, 0x26E, 0x26F,
};

static int fixed_index(uint32_t msr)
{
    for (int i = 0; i < 11; i++)
        if (fixed_msrs[i] == msr)
            return i;
    return -1;
}

/* Eight type bytes (fixed ranges, PAT entries), each checked. */
static bool bytes_ok(uint64_t v, bool (*ok)(unsigned))
{
    for (int i = 0; i < 8; i++)
        if (!ok((v >> (8 * i)) & 0xFF))
            return false;
    return true;
}

static int write_var(struct vcpu *c, uint32_t msr, uint64_t v)
{
    bool mask = msr & 1;
    uint64_t allowed = PHYS_PAGE_BITS | (mask ? VAR_MASK_VALID : 0xFF);
    if ((v & ~allowed) || (!mask && !mtrr_type_ok(v & 0xFF)))
        return -1;
    c->mtrr_var[msr - 0x200] = v;
    return 0;
}

int memtype_rdmsr(struct vcpu *c, uint32_t msr, uint64_t *value)
{
    int f = fixed_index(msr);
    if (msr == MSR_MTRRCAP)
        *value = MTRRCAP_VALUE;
    else if (msr == MSR_MTRR_DEF)
        *value = c->mtrr_def_type;
    else if (msr == MSR_PAT)
        *value = c->pat;
    else if (msr >= 0x200 && msr < 0x210)
        *value = c->mtrr_var[msr - 0x200];
    else if (f >= 0)
        *value = c->mtrr_fixed[f];
    else
        return 1;
    return 0;
}

int memtype_wrmsr(struct vcpu *c, uint32_t msr, uint64_t v)
{
    int f = fixed_index(msr);
    if (msr == MSR_MTRRCAP)
        return -1;                  /* read-only */
    if (msr == MSR_MTRR_DEF) {
        if ((v & ~(DEF_TYPE_E | DEF_TYPE_FE | 0xFF)) || !mtrr_type_ok(v & 0xFF))
            return -1;
        c->mtrr_def_type = v;
        return 0;
    }
    if (msr == MSR_PAT) {
        if (!bytes_ok(v, pat_type_ok))
            return -1;
        c->pat = v;
        return 0;
    }
    if (msr >= 0x200 && msr < 0x210)
        return write_var(c, msr, v);
    if (f >= 0) {
        if (!bytes_ok(v, mtrr_type_ok))
            return -1;
        c->mtrr_fixed[f] = v;
        return 0;
    }
    return 1;
}

#define BYTES(t) (0x0101010101010101ull * (t))

void memtype_reset(struct vcpu *c)
{
    c->pat = PAT_POWER_ON;
    memset(c->mtrr_var, 0, sizeof c->mtrr_var);
    c->mtrr_fixed[0] = BYTES(6);    /* 0x00000-0x7FFFF write-back */
    c->mtrr_fixed[1] = BYTES(6);    /* 0x80000-0x9FFFF write-back */
    c->mtrr_fixed[2] = BYTES(0);    /* 0xA0000-0xBFFFF VGA window: uncacheable */
    for (int i = 3; i < 11; i++)
        c->mtrr_fixed[i] = BYTES(5);    /* 0xC0000-0xFFFFF ROMs: write-protect */
    c->mtrr_var[0] = 0xFE000000ull | 0;                 /* base, UC */
    c->mtrr_var[1] = 0xFE000000ull | VAR_MASK_VALID;    /* 32 MiB */
    c->mtrr_def_type = DEF_TYPE_E | DEF_TYPE_FE | 6;    /* 0xC06: default write-back */
}
