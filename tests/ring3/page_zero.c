/*
 * tests/ring3/page_zero.c - a user program linked at linear address 0, as
 * teaching kernels' programs are: its code and data in linear page 0, run
 * at CPL 3.  The program (page_zero_user.asm) sums its own data table at
 * 0x800 400 times over, keeping the running sum in page 0 once per round
 * (at 0x7F0) and in page 1 after every word (at 0x1FF0), and calls the
 * kernel through int 0x80 from inside page 0; the kernel checks the sum,
 * the values left in both pages and the system calls' count.  Pages 0 and
 * 1 are backed by frames of their own (not physical 0, the real-mode IVT
 * and BIOS data).  The per-word store goes to page 1 because a store into
 * a page that holds translated code costs a retranslation
 * (docs/translator.md), which is not what this test measures.
 *
 * Run directly and with --translate-ring3; where vmm can map host page 0
 * (docs/direct.md, "Linear page 0") the accesses run at full speed, which
 * the ctest wrapper checks in --stats (no access emulated).
 */
#include "lib3.h"

#define SYS_COUNT (SYS_TEST + 0)
#define ROUNDS 400
#define WORDS 256

extern const uint8_t p0_code[], p0_code_end[];
static uint8_t page[4096] __attribute__((aligned(4096)));
static uint8_t page1[4096] __attribute__((aligned(4096)));
static uint32_t calls;

static void on_syscall(struct r3_frame *f)
{
    CHECK_EQ(10, f->t.vector, 0x80, "vector of the event from the program");
    CHECK_EQ(11, f->t.eax, SYS_COUNT, "system-call number");
    CHECK(12, f->t.eip < 4096, "int 0x80 at EIP 0x%x, in page 0", f->t.eip);
    f->t.eax = ++calls;
}

void test_main(void)
{
    r3_init();
    r3_paging_on();
    r3_on_event = on_syscall;

    uint32_t n = (uint32_t)(p0_code_end - p0_code);
    CHECK(1, n < 0x7F0, "the program (%u bytes) fits below its data", n);
    for (uint32_t i = 0; i < n; i++)
        page[i] = p0_code[i];
    uint32_t *table = (uint32_t *)(page + 0x800), want = 0;
    for (uint32_t i = 0; i < WORDS; i++) {
        table[i] = i * 2654435761u;
        want += table[i];
    }
    want *= ROUNDS;

    uint32_t old1 = *r3_pte(0x1000);
    *r3_pte(0) = (uint32_t)page | PTE_P | PTE_W | PTE_U;
    *r3_pte(0x1000) = (uint32_t)page1 | PTE_P | PTE_W | PTE_U;
    r3_invlpg(0);
    r3_invlpg(0x1000);
    uint32_t got = r3_run((uint32_t (*)(void))0, 0x2);
    CHECK_EQ(2, got, want, "sum computed by the program at linear 0");
    CHECK_EQ(3, *(volatile uint32_t *)(page + 0x7F0), want, "sum left at linear 0x7F0");
    CHECK_EQ(5, *(volatile uint32_t *)(page1 + 0xFF0), want, "running sum left at linear 0x1FF0");
    CHECK_EQ(4, calls, ROUNDS, "system calls made from page 0");
    *r3_pte(0) = 0;
    *r3_pte(0x1000) = old1;
    r3_invlpg(0);
    r3_invlpg(0x1000);
    rt_printf("page_zero: program at linear 0 summed %u words %u times, %u system calls\n",
              WORDS, ROUNDS, calls);
}
