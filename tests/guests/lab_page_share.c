/*
 * lab_page_share - the guest of lab 4 (docs/labs/page-sharing.md): 32
 * pages with one pattern and 16 with another, beside pages that differ
 * from each other by one byte; the test runs it with --share-report and
 * wants at least 31 + 15 non-zero pages freed.
 */
#include "rt.h"

uint8_t same_a[32][4096] __attribute__((aligned(4096)));
uint8_t same_b[16][4096] __attribute__((aligned(4096)));
uint8_t differ[8][4096] __attribute__((aligned(4096)));

void test_main(void)
{
    for (int p = 0; p < 32; p++)
        for (int i = 0; i < 4096; i++)
            same_a[p][i] = (uint8_t)(i * 7 + 1);
    for (int p = 0; p < 16; p++)
        for (int i = 0; i < 4096; i++)
            same_b[p][i] = (uint8_t)(i ^ 0x5A);
    for (int p = 0; p < 8; p++) {
        memset(differ[p], 0x33, 4096);
        differ[p][4095] = (uint8_t)p;           /* the same hash is no proof: one byte differs */
    }
    rt_printf("lab_page_share: 32 pages alike, 16 others alike, 8 that differ in their last byte\n");
}
