/*
 * dev_poweroff - ACPI power-off as an OS does it: RSDP -> RSDT -> FADT for
 * the PM1a control block, DSDT for the \_S5 package's SLP_TYPa, then
 * SLP_TYPa | SLP_EN to PM1a_CNT.  vmm must end with status 0; if the write
 * comes back, the test fails.
 */
#include "dev_common.h"

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

static const uint8_t *find_fadt(void)
{
    for (uint32_t a = 0xE0000; a < 0x100000; a += 16) {
        if (memcmp((const void *)a, "RSD PTR ", 8) != 0)
            continue;
        const uint8_t *rsdt = (const uint8_t *)rd32((const uint8_t *)a + 16);
        uint32_t n = (rd32(rsdt + 4) - 36) / 4;
        for (uint32_t i = 0; i < n; i++) {
            const uint8_t *t = (const uint8_t *)rd32(rsdt + 36 + 4 * i);
            if (memcmp(t, "FACP", 4) == 0)
                return t;
        }
    }
    return NULL;
}

/* AML: NameOp "_S5_" PackageOp PkgLength NumElements, then SLP_TYPa as
 * ZeroOp (0x00), OneOp (0x01) or BytePrefix (0x0A) value. */
static int s5_slp_typ(const uint8_t *dsdt)
{
    uint32_t len = rd32(dsdt + 4);
    for (uint32_t i = 36; i + 8 < len; i++) {
        const uint8_t *p = dsdt + i;
        if (memcmp(p, "_S5_", 4) != 0 || p[4] != 0x12)
            continue;
        p += 5;
        p += 1 + (*p >> 6);                     /* PkgLength: 1 + extra bytes */
        p++;                                    /* NumElements */
        if (*p == 0x0A)
            return p[1];
        if (*p <= 1)
            return *p;
        return -1;
    }
    return -1;
}

void test_main(void)
{
    const uint8_t *fadt = find_fadt();
    CHECK(1, fadt, "no FADT");
    uint32_t pm1a_cnt = rd32(fadt + 64);
    const uint8_t *dsdt = (const uint8_t *)rd32(fadt + 40);
    CHECK(2, pm1a_cnt, "FADT has no PM1a control block");
    CHECK(3, memcmp(dsdt, "DSDT", 4) == 0, "no DSDT at 0x%x", (uint32_t)dsdt);
    int typ = s5_slp_typ(dsdt);
    CHECK(4, typ >= 0, "no \\_S5 package in the DSDT");
    rt_printf("dev_poweroff: PM1a_CNT 0x%x, \\_S5 SLP_TYPa %d: powering off\n", pm1a_cnt, typ);
    outw((uint16_t)pm1a_cnt, (uint16_t)((typ << 10) | (1u << 13)));
    for (volatile int i = 0; i < 1000; i++)
        ;
    rt_fail(5, "still running after the ACPI power-off request");
}
