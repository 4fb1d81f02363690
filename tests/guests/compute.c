/*
 * compute - ring-0 compute kernels run under the translator must give what
 * the real CPU gave when the same object code ran natively at build time
 * (compute.h).  Each kernel runs twice per seed: once when it is translated,
 * once from the translation cache with its chains in place.
 */
#include "rt.h"
#include "compute.h"

void test_main(void)
{
    CHECK_EQ(1, compute_expected_nkernels, compute_nkernels,
             "number of kernels in compute_expected.c (stale build?)");
    for (unsigned k = 0; k < compute_nkernels; k++) {
        const struct compute_kernel *c = &compute_kernels[k];
        for (unsigned s = 0; s < COMPUTE_NSEEDS; s++) {
            for (int pass = 0; pass < 2; pass++) {
                uint32_t got = c->fn(compute_seeds[s]);
                uint32_t want = compute_expected[k][s];
                CHECK(2 + k, got == want,
                      "%s, seed 0x%x, pass %d: got 0x%x, native 0x%x",
                      c->name, compute_seeds[s], pass + 1, got, want);
            }
        }
        rt_printf("compute: %s ok\n", c->name);
    }
}
