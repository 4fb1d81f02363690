/*
 * Unit tests of the gdb stub (monitor/gdbstub.c and friends), driven over a
 * socketpair with a VM that has guest RAM and a CPU but runs no guest code.
 *
 * The stub serves synchronously inside gdb_stop(): a test queues its
 * packets (ending with one that resumes the guest, c/s/D/k) on the client
 * end, calls gdb_stop(), then reads and checks every reply the stub sent.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "monitor/vm.h"
#include "monitor/gdbstub.h"
#include "shadow_mmu/guest_mem.h"

static struct vm *vm;
static int client = -1;
static char rbuf[1 << 16];      /* everything the stub sent, as received */
static size_t rlen, rpos;

static void setup(void)
{
    char err[256];
    int sv[2];
    vm = vm_alloc();
    cr_assert(vm);
    cr_assert_eq(guest_mem_init(&vm->mem, 2, err, sizeof err), 0, "%s", err);
    vm->cpu.vm = vm;
    vcpu_reset_protected_flat(&vm->cpu);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(gdb_attach_fd(vm, sv[0]), 0);
    client = sv[1];
    rlen = rpos = 0;
}

static void teardown(void)
{
    gdb_exit(vm, 0);
    if (client >= 0)
        close(client);
    guest_mem_destroy(&vm->mem);
    free(vm);
}

static uint8_t checksum(const char *s, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (uint8_t)s[i];
    return sum;
}

static void send_raw(const void *p, size_t n)
{
    cr_assert_eq(write(client, p, n), (ssize_t)n);
}

/* Send payload framed as gdb would. */
static void send_pkt(const char *payload)
{
    char frame[8192];
    size_t n = strlen(payload);
    int k = snprintf(frame, sizeof frame, "$%s#%02x", payload, checksum(payload, n));
    send_raw(frame, (size_t)k);
}

/* Collect whatever the stub has sent. */
static void drain(void)
{
    int fl = fcntl(client, F_GETFL);
    fcntl(client, F_SETFL, fl | O_NONBLOCK);
    ssize_t k;
    while ((k = read(client, rbuf + rlen, sizeof rbuf - 1 - rlen)) > 0)
        rlen += (size_t)k;
    fcntl(client, F_SETFL, fl);
    rbuf[rlen] = '\0';
}

/* The next packet from the stub (acks skipped), with its checksum verified. */
static const char *next_reply(void)
{
    static char out[8192];
    while (rpos < rlen && (rbuf[rpos] == '+' || rbuf[rpos] == '-'))
        rpos++;
    cr_assert(rpos < rlen, "no more replies (got: %s)", rbuf);
    cr_assert_eq(rbuf[rpos], '$', "reply does not start with $: %s", rbuf + rpos);
    char *hash = memchr(rbuf + rpos, '#', rlen - rpos);
    cr_assert(hash && hash + 3 <= rbuf + rlen, "unterminated reply");
    size_t n = (size_t)(hash - rbuf) - rpos - 1;
    cr_assert_lt(n, sizeof out);
    memcpy(out, rbuf + rpos + 1, n);
    out[n] = '\0';
    unsigned cs;
    cr_assert_eq(sscanf(hash + 1, "%2x", &cs), 1);
    cr_assert_eq(cs, checksum(out, n), "bad checksum on '%s'", out);
    rpos = (size_t)(hash - rbuf) + 3;
    return out;
}

/* Queue the packets, resume with "c", serve them. */
static void serve(const char *const *pkts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        send_pkt(pkts[i]);
    send_pkt("c");
    gdb_stop(vm, SIGTRAP);
    drain();
    cr_assert_str_eq(next_reply(), "T05thread:1;");
}
#define SERVE(...) do { \
        const char *const p_[] = { __VA_ARGS__ }; \
        serve(p_, sizeof p_ / sizeof p_[0]); \
    } while (0)

TestSuite(gdbstub, .init = setup, .fini = teardown);

Test(gdbstub, framing_acks_and_stop_reply)
{
    SERVE("?");
    cr_assert_eq(rbuf[rpos], '+', "each good packet is acknowledged first");
    cr_assert_str_eq(next_reply(), "T05thread:1;");
}

Test(gdbstub, bad_checksum_gets_nak_and_no_answer)
{
    send_raw("$g#00", 5);           /* wrong checksum */
    send_raw("+++junk", 7);         /* noise between packets is skipped */
    SERVE("qC");
    cr_assert_eq(rbuf[rpos], '-', "a bad checksum is answered with '-'");
    cr_assert_str_eq(next_reply(), "QC1", "the g with the bad checksum got no reply");
}

Test(gdbstub, no_ack_mode)
{
    SERVE("QStartNoAckMode", "qAttached");
    cr_assert_str_eq(next_reply(), "OK");
    cr_assert_str_eq(next_reply(), "1");
    /* Acks stop after the OK: "+" for QStartNoAckMode, none for qAttached or c. */
    size_t plus = 0;
    for (size_t i = 0; i < rlen; i++)
        plus += rbuf[i] == '+';
    cr_assert_eq(plus, 1, "%s", rbuf);
}

Test(gdbstub, qsupported)
{
    SERVE("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386", "vCont?", "vMustReplyEmpty");
    const char *r = next_reply();
    cr_assert(strstr(r, "PacketSize=1000"), "%s", r);
    cr_assert(strstr(r, "qXfer:features:read+"), "%s", r);
    cr_assert_str_eq(next_reply(), "", "vCont? is answered empty so gdb uses c/s");
    cr_assert_str_eq(next_reply(), "");
}

/* Read target.xml in small chunks, undoing the binary escapes. */
Test(gdbstub, target_description)
{
    char xml[16384];
    size_t n = 0;
    for (int i = 0; i < 200; i++) {
        char q[64];
        snprintf(q, sizeof q, "qXfer:features:read:target.xml:%zx,40", n);
        send_pkt(q);
        send_pkt("c");
        gdb_stop(vm, SIGTRAP);
        drain();
        cr_assert_str_eq(next_reply(), "T05thread:1;");
        const char *r = next_reply();
        cr_assert(r[0] == 'm' || r[0] == 'l', "%s", r);
        size_t raw = 0;
        for (const char *p = r + 1; *p; p++) {
            xml[n++] = *p == '}' ? (char)(*++p ^ 0x20) : *p;
            raw++;
        }
        cr_assert_leq(raw, 0x40, "a reply holds at most the length asked for");
        if (r[0] == 'l')
            break;
    }
    xml[n] = '\0';
    cr_assert(strncmp(xml, "<?xml", 5) == 0);
    cr_assert(strstr(xml, "<architecture>i386</architecture>"));
    cr_assert(strstr(xml, "<feature name=\"org.gnu.gdb.i386.core\">"));
    cr_assert(strstr(xml, "<reg name=\"eax\" bitsize=\"32\""));
    cr_assert(strstr(xml, "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\" regnum=\"23\""));
    cr_assert(strstr(xml, "<reg name=\"mxcsr\" bitsize=\"32\" type=\"i386_mxcsr\" regnum=\"40\""));
    cr_assert(strstr(xml, "</target>"));
    SERVE("qXfer:features:read:other.xml:0,100", "qXfer:features:read:target.xml:zz");
    cr_assert_str_eq(next_reply(), "E00");
    cr_assert_str_eq(next_reply(), "E22");
}

static uint32_t hex32(const char *p)
{
    char b[9];
    memcpy(b, p, 8);
    b[8] = 0;
    uint32_t le = (uint32_t)strtoul(b, NULL, 16);
    return __builtin_bswap32(le);   /* the packet is target (little-endian) byte order */
}

Test(gdbstub, register_packet_layout)
{
    struct vcpu *c = &vm->cpu;
    for (int i = 0; i < 8; i++)
        c->gpr[i] = 0x11111111u * (uint32_t)(i + 1);
    c->eip = 0x00101234;
    vcpu_set_eflags(c, 0x246);
    c->seg[S_CS].sel = 0x08;
    c->seg[S_SS].sel = 0x10;
    c->seg[S_FS].sel = 0x2b;
    c->fx_guest[0] = 0x7f;  c->fx_guest[1] = 0x03;  /* FCW */
    c->fx_guest[24] = 0x80; c->fx_guest[25] = 0x1f; /* MXCSR */
    SERVE("g", "p8", "p18", "P0=efbeadde", "p0", "p99");
    const char *g = next_reply();
    cr_assert_eq(strlen(g), 2 * 308, "i386 core + sse: 308 bytes");
    for (int i = 0; i < 8; i++)
        cr_assert_eq(hex32(g + 8 * i), 0x11111111u * (uint32_t)(i + 1), "gpr %d", i);
    cr_assert_eq(hex32(g + 8 * 8), 0x00101234);
    cr_assert_eq(hex32(g + 8 * 9), 0x246);
    cr_assert_eq(hex32(g + 8 * 10), 0x08, "cs");
    cr_assert_eq(hex32(g + 8 * 11), 0x10, "ss");
    cr_assert_eq(hex32(g + 8 * 14), 0x2b, "fs");
    /* after st0..st7 (8 x 10 bytes): fctrl */
    cr_assert_eq(hex32(g + 2 * (64 + 80)), 0x037f, "fctrl");
    cr_assert_eq(hex32(g + 2 * (64 + 80 + 8)), 0xffff, "ftag: all empty");
    cr_assert_eq(hex32(g + 2 * 304), 0x1f80, "mxcsr last");
    cr_assert_str_eq(next_reply(), "34121000");
    cr_assert_str_eq(next_reply(), "7f030000", "register 24 is fctrl");
    cr_assert_str_eq(next_reply(), "OK");
    cr_assert_str_eq(next_reply(), "efbeadde");
    cr_assert_str_eq(next_reply(), "E22");
    cr_assert_eq(c->gpr[R_EAX], 0xdeadbeef);
}

Test(gdbstub, write_all_registers)
{
    struct vcpu *c = &vm->cpu;
    char g[2 * 308 + 2];
    SERVE("g");
    strcpy(g + 1, next_reply());
    g[0] = 'G';
    memcpy(g + 1 + 8 * 3, "78563412", 8);           /* ebx */
    memcpy(g + 1 + 8 * 8, "00001000", 8);           /* eip */
    rlen = rpos = 0;
    SERVE(g);
    cr_assert_str_eq(next_reply(), "OK");
    cr_assert_eq(c->gpr[R_EBX], 0x12345678);
    cr_assert_eq(c->eip, 0x100000);
    /* CS cannot change through a register write. */
    char cs[] = "Pa=23000000";
    rlen = rpos = 0;
    SERVE(cs);
    cr_assert_str_eq(next_reply(), "E22");
}

Test(gdbstub, memory_read_write_and_unmapped)
{
    uint8_t *ram = vm->mem.ram;
    memcpy(ram + 0x1000, "\x01\x02\x03\x04", 4);
    SERVE("m1000,4", "M1002,2:aabb", "m1000,4", "m10000000,4", "m1ffffe,4", "m1000", "mzz,1",
          "M1000,2:zz11");
    cr_assert_str_eq(next_reply(), "01020304");
    cr_assert_str_eq(next_reply(), "OK");
    cr_assert_str_eq(next_reply(), "0102aabb");
    cr_assert_str_eq(next_reply(), "E14", "beyond RAM (2 MiB): unmapped");
    cr_assert_str_eq(next_reply(), "0000", "a read stops at the end of what is mapped");
    cr_assert_str_eq(next_reply(), "E22");
    cr_assert_str_eq(next_reply(), "E22");
    cr_assert_str_eq(next_reply(), "E22");
    cr_assert_eq(ram[0x1000], 1, "a malformed M writes nothing");
}

/* Paging on: one page mapped read-only at linear 0x400000 -> physical 0x5000. */
Test(gdbstub, memory_through_page_tables)
{
    uint8_t *ram = vm->mem.ram;
    uint32_t pd = 0x10000, pt = 0x11000;
    *(uint32_t *)(ram + pd + 4 * 1) = pt | 0x7;
    *(uint32_t *)(ram + pt) = 0x5000 | 0x1;     /* present, read-only, supervisor */
    memcpy(ram + 0x5000, "\xca\xfe", 2);
    vm->cpu.cr3 = pd;
    vm->cpu.cr0 |= CR0_PG | CR0_WP;
    SERVE("m400000,2", "m1000,4", "M400000,1:99", "m400ffe,4", "qRcmd,696e666f20746c62");
    cr_assert_str_eq(next_reply(), "cafe");
    cr_assert_str_eq(next_reply(), "E14", "linear 0x1000 is not mapped");
    cr_assert_str_eq(next_reply(), "OK", "the debugger may write read-only pages");
    cr_assert_eq(ram[0x5000], 0x99);
    cr_assert_str_eq(next_reply(), "0000", "partial read up to the unmapped page");
    cr_assert_eq(*(uint32_t *)(ram + pt) & 0x60, 0, "debugger accesses set no A/D bits");
    const char *o = next_reply();
    cr_assert_eq(o[0], 'O');
    char text[512];
    size_t n = (strlen(o) - 1) / 2;
    for (size_t i = 0; i < n; i++)
        sscanf(o + 1 + 2 * i, "%2hhx", (unsigned char *)&text[i]);
    text[n] = 0;
    cr_assert(strstr(text, "00400000-00400fff -> 00005000-00005fff ro supervisor"), "%s", text);
    cr_assert_str_eq(next_reply(), "OK");
}

Test(gdbstub, binary_write_unescapes)
{
    /* X1000,4: bytes 23 24 7d 2a ('#', '$', '}', '*'), each escaped. */
    char pkt[] = "X1000,4:}\x03}\x04}]}\x0a";
    SERVE(pkt, "m1000,4");
    cr_assert_str_eq(next_reply(), "OK");
    cr_assert_str_eq(next_reply(), "23247d2a");
}

Test(gdbstub, malformed_packets)
{
    send_raw("$m1000,4", 8);        /* cut short ... */
    send_raw("#zz", 3);             /* ... bad checksum digits */
    SERVE("", "Z9,1000,1", "Z0,1000", "p", "Pzz", "G123", "c123x", "Jfoo", "qUnknownThing");
    cr_assert_str_eq(next_reply(), "");
    cr_assert_str_eq(next_reply(), "E22");
    cr_assert_str_eq(next_reply(), "E22");
    cr_assert_str_eq(next_reply(), "E22");
    cr_assert_str_eq(next_reply(), "E22");
    cr_assert_str_eq(next_reply(), "E22");
    cr_assert_str_eq(next_reply(), "E22");
    cr_assert_str_eq(next_reply(), "");
    cr_assert_str_eq(next_reply(), "");
    cr_assert_not(vm->stop);
}

Test(gdbstub, breakpoints_answer_the_translator)
{
    SERVE("Z0,101000,1", "Z1,102000,1", "Z0,101000,1");
    cr_assert_str_eq(next_reply(), "OK");
    cr_assert_str_eq(next_reply(), "OK");
    cr_assert_str_eq(next_reply(), "OK");
    cr_assert(gdb_has_breakpoints(vm));
    cr_assert(gdb_breakpoint_at(vm, 0x101000));
    cr_assert(gdb_breakpoint_at(vm, 0x102000));
    cr_assert_not(gdb_breakpoint_at(vm, 0x101001));
    /* A breakpoint stop says which kind it was. */
    vm->cpu.eip = 0x101000;
    send_pkt("z0,101000,1");
    send_pkt("c");
    rlen = rpos = 0;
    gdb_stop(vm, SIGTRAP);
    drain();
    cr_assert_str_eq(next_reply(), "T05swbreak:;thread:1;");
    cr_assert_str_eq(next_reply(), "OK");
    cr_assert_not(gdb_breakpoint_at(vm, 0x101000));
    cr_assert(gdb_breakpoint_at(vm, 0x102000));
}

Test(gdbstub, single_step_flag)
{
    send_pkt("s");
    gdb_stop(vm, SIGTRAP);
    cr_assert(gdb_single_stepping(vm));
    send_pkt("c");
    gdb_stop(vm, SIGTRAP);          /* the step's stop ends it */
    cr_assert_not(gdb_single_stepping(vm));
    send_pkt("s1000");
    gdb_stop(vm, SIGTRAP);
    cr_assert_eq(vm->cpu.eip, 0x1000, "s ADDR resumes at ADDR");
}

Test(gdbstub, write_watchpoint_on_value_change)
{
    uint32_t *var = (uint32_t *)(vm->mem.ram + 0x2000);
    *var = 5;
    SERVE("Z2,2000,4");
    cr_assert_str_eq(next_reply(), "OK");
    cr_assert(gdb_watch_active(vm));
    cr_assert_not(gdb_check_watch(vm), "nothing changed yet");
    *var = 6;
    send_pkt("c");
    rlen = rpos = 0;
    cr_assert(gdb_check_watch(vm));
    drain();
    cr_assert_str_eq(next_reply(), "T05watch:2000;thread:1;");
    cr_assert_not(gdb_check_watch(vm), "the new value is the reference now");
    SERVE("z2,2000,4");
    cr_assert_not(gdb_watch_active(vm));
}

/* A read watchpoint fires for an instruction that reads the variable:
 * EIP points at "mov eax, [0x3000]" when the guest resumes. */
Test(gdbstub, read_watchpoint_decodes_the_instruction)
{
    memcpy(vm->mem.ram + 0x8000, "\xa1\x00\x30\x00\x00\x90", 6);   /* ...; nop */
    vm->cpu.eip = 0x8000;
    SERVE("Z3,3000,4", "Z4,3100,4");
    cr_assert_str_eq(next_reply(), "OK");
    cr_assert_str_eq(next_reply(), "OK");
    vm->cpu.eip = 0x8005;           /* as if it ran */
    send_pkt("c");
    rlen = rpos = 0;
    cr_assert(gdb_check_watch(vm));
    drain();
    cr_assert_str_eq(next_reply(), "T05rwatch:3000;thread:1;");
    /* The NOP that follows does not touch it: no stop. */
    cr_assert_not(gdb_check_watch(vm));
    /* An access watchpoint sees a write as a change. */
    vm->mem.ram[0x3102] = 1;
    send_pkt("c");
    rlen = rpos = 0;
    cr_assert(gdb_check_watch(vm));
    drain();
    cr_assert_str_eq(next_reply(), "T05awatch:3100;thread:1;");
}

static const char *rcmd_text(void)
{
    static char text[65536];
    size_t n = 0;
    const char *r;
    while ((r = next_reply())[0] == 'O' && strcmp(r, "OK") != 0) {
        for (const char *p = r + 1; p[0] && p[1]; p += 2)
            sscanf(p, "%2hhx", (unsigned char *)&text[n++]);
    }
    text[n] = 0;
    cr_assert_str_eq(r, "OK", "after '%s'", text);
    return text;
}

Test(gdbstub, monitor_commands)
{
    vm->stats.bt_blocks = 42;
    /* "info stats", "info tlb", "bogus" */
    SERVE("qRcmd,696e666f207374617473", "qRcmd,696e666f20746c62", "qRcmd,626f677573", "qRcmd,zz");
    const char *t = rcmd_text();
    cr_assert(strstr(t, "bt.blocks: 42\n"), "%s", t);
    t = rcmd_text();
    cr_assert(strstr(t, "paging off"), "%s", t);
    t = rcmd_text();
    cr_assert(strstr(t, "unknown monitor command 'bogus'"), "%s", t);
    cr_assert_str_eq(next_reply(), "E22");
}

Test(gdbstub, disconnect_mid_session_resumes_the_guest)
{
    SERVE("Z0,1000,1", "Z2,2000,4");
    send_raw("$m10", 4);            /* half a packet, then the client vanishes */
    close(client);
    client = -1;
    gdb_stop(vm, SIGTRAP);          /* returns: the guest keeps running */
    cr_assert_not(vm->stop);
    cr_assert_not(gdb_breakpoint_at(vm, 0x1000), "breakpoints go with the client");
    cr_assert_not(gdb_has_breakpoints(vm));
    cr_assert_not(gdb_watch_active(vm));
    gdb_stop(vm, SIGTRAP);          /* no client: nothing to serve */
    gdb_poll(vm);
}

Test(gdbstub, detach_and_kill)
{
    SERVE("Z0,1000,1");
    send_pkt("D");
    gdb_stop(vm, SIGTRAP);
    drain();
    cr_assert_not(vm->stop);
    cr_assert_not(gdb_breakpoint_at(vm, 0x1000));
}

Test(gdbstub, kill_stops_the_vm)
{
    send_pkt("k");
    gdb_stop(vm, SIGTRAP);
    cr_assert(vm->stop);
    cr_assert_eq(vm->exit_status, GDB_KILL_STATUS);
}

Test(gdbstub, exit_reports_status)
{
    gdb_exit(vm, 1);
    drain();
    cr_assert_str_eq(next_reply(), "W01");
    char b;
    cr_assert_eq(read(client, &b, 1), 0, "the stub closed the connection");
}

/* Over TCP: gdb_init listens on loopback; gdb_poll accepts (the guest stops
 * until c) and notices a Ctrl-C. */
Test(gdbstub, tcp_listen_poll_and_interrupt)
{
    char err[256];
    gdb_exit(vm, 0);                /* drop the socketpair stub of setup() */
    close(client);
    int port = 0;
    for (int tries = 0; tries < 20 && port == 0; tries++) {
        int p = 20000 + (getpid() * 7 + tries * 131) % 40000;
        if (gdb_init(vm, p, false, err, sizeof err) == 0)
            port = p;
    }
    cr_assert_neq(port, 0, "%s", err);
    cr_assert_neq(gdb_init(vm, port, false, err, sizeof err), 0, "the port is taken now");
    client = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    cr_assert_eq(connect(client, (struct sockaddr *)&sa, sizeof sa), 0);
    send_pkt("?");
    send_pkt("c");
    gdb_poll(vm);                   /* accepts and serves until c */
    drain();
    cr_assert_str_eq(next_reply(), "T05thread:1;");
    send_raw("\x03", 1);
    send_pkt("c");
    struct timespec ms5 = { 0, 5000000 };
    nanosleep(&ms5, NULL);          /* past the poll interval */
    gdb_poll(vm);
    drain();
    cr_assert_str_eq(next_reply(), "T02thread:1;", "Ctrl-C stops with SIGINT");
}

/* SIGINT/SIGTERM to vmm while gdb holds the guest stopped: the stub stops
 * serving so that the run loop can end the run (gdb then gets W). */
Test(gdbstub, host_signal_ends_serving)
{
    vm->stop_signal = SIGTERM;
    gdb_stop(vm, SIGTRAP);          /* returns with no packet from gdb */
    drain();
    cr_assert_str_eq(next_reply(), "T05thread:1;");
    gdb_exit(vm, 128 + SIGTERM);
    drain();
    cr_assert_str_eq(next_reply(), "W8f");
}
