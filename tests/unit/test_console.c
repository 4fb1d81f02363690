/*
 * tests/unit/test_console.c - host input into COM1, the Ctrl-A escape, end
 * of file, and sleeping without burning CPU.
 */
#include <sys/resource.h>
#include "devtest.h"

static struct vm *setup(int *wfd)
{
    int fd[2];
    struct vm *vm = devtest_vm();
    struct platform *p = platform_of(vm);
    console_close(&p->con);
    cr_assert_eq(pipe(fd), 0);
    console_open(&p->con, fd[0]);
    cr_assert_not(p->con.raw);                  /* a pipe is read as it is */
    *wfd = fd[1];
    return vm;
}

Test(console, input_reaches_uart_fifo)
{
    int w;
    struct vm *vm = setup(&w);
    struct platform *p = platform_of(vm);
    outb(vm, 0x3F8 + 2, 0x01);                  /* FIFO on */
    cr_assert_eq(write(w, "hi", 2), 2);
    console_pump(vm, &p->con, &p->com[0]);
    cr_assert_eq(inb(vm, 0x3F8), 'h');
    cr_assert_eq(inb(vm, 0x3F8), 'i');
    cr_assert_eq(inb(vm, 0x3F8 + 5) & 1, 0);
    devtest_free(vm);
}

Test(console, held_back_until_fifo_has_room)
{
    int w;
    struct vm *vm = setup(&w);
    struct platform *p = platform_of(vm);
    cr_assert_eq(write(w, "abc", 3), 3);        /* FIFO off: one byte at a time */
    console_pump(vm, &p->con, &p->com[0]);
    cr_assert_eq(inb(vm, 0x3F8 + 5) & 0x03, 0x01);  /* data, no overrun */
    cr_assert_eq(inb(vm, 0x3F8), 'a');
    console_pump(vm, &p->con, &p->com[0]);
    cr_assert_eq(inb(vm, 0x3F8), 'b');
    console_pump(vm, &p->con, &p->com[0]);
    cr_assert_eq(inb(vm, 0x3F8), 'c');
    devtest_free(vm);
}

Test(console, ctrl_a_escapes)
{
    int w;
    struct vm *vm = setup(&w);
    struct platform *p = platform_of(vm);
    outb(vm, 0x3F8 + 2, 0x01);
    cr_assert_eq(write(w, "\x01\x01z", 3), 3);  /* Ctrl-A Ctrl-A sends one Ctrl-A */
    console_pump(vm, &p->con, &p->com[0]);
    cr_assert_eq(inb(vm, 0x3F8), 0x01);
    cr_assert_eq(inb(vm, 0x3F8), 'z');
    cr_assert_not(vm->stop);
    cr_assert_eq(write(w, "\x01x", 2), 2);
    console_pump(vm, &p->con, &p->com[0]);
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, 0);
    devtest_free(vm);
}

Test(console, end_of_file_stops_polling)
{
    int w;
    struct vm *vm = setup(&w);
    struct platform *p = platform_of(vm);
    close(w);
    console_pump(vm, &p->con, &p->com[0]);
    cr_assert_eq(p->con.in_fd, -1);
    devtest_free(vm);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

Test(console, halted_guest_sleeps)
{
    int w;
    struct vm *vm = setup(&w);
    double c0 = cpu_seconds();
    uint64_t t0 = host_now_ns();
    devices_wait(vm, t0 + 50000000);            /* 50 ms, no input */
    uint64_t took = host_now_ns() - t0;
    cr_assert(took >= 50000000 && took < 150000000, "%llu ns", (unsigned long long)took);
    cr_assert(cpu_seconds() - c0 < 0.02, "burned CPU while waiting");
    cr_assert_eq(write(w, "k", 1), 1);          /* input wakes it early */
    t0 = host_now_ns();
    devices_wait(vm, t0 + 1000000000);
    cr_assert(host_now_ns() - t0 < 100000000);
    cr_assert_eq(inb(vm, 0x3F8), 'k');
    devtest_free(vm);
}
