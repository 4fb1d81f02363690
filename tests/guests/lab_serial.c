/*
 * lab_serial - the guest of lab 2 (docs/labs/serial-backends.md): says it
 * is ready on COM1, reads one line from COM1 (polling the line status
 * register, for at most 3 s of guest time) and echoes it, or says there
 * was none.  tests/guests/lab-serial.sh drives it through each back end.
 */
#include "dev_common.h"

#define COM1 0x3F8
#define LSR_DATA 0x01

void test_main(void)
{
    char line[64];
    unsigned n = 0;
    rt_printf("lab_serial: ready\n");
    uint64_t t0 = rdtsc();
    while (rdtsc() - t0 < 3000000000ull && n < sizeof line - 1) {
        if (!(inb(COM1 + 5) & LSR_DATA))
            continue;
        char ch = (char)inb(COM1);
        if (ch == '\n' || ch == '\r')
            break;
        line[n++] = ch;
    }
    line[n] = 0;
    if (n)
        rt_printf("lab_serial: got %s\n", line);
    else
        rt_printf("lab_serial: no input\n");
}
