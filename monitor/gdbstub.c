/*
 * monitor/gdbstub.c - the gdb remote stub: the hooks of monitor/gdbstub.h,
 * the connection and the all-stop serve loop.
 *
 * The guest is either running (the run loop calls gdb_poll, which watches
 * the socket for a new client or a Ctrl-C) or stopped inside gdb_stop /
 * gdb_init, where the stub blocks on the socket and answers packets until
 * gdb resumes the guest (c, s), detaches (D), kills it (k) or goes away.
 * A newly accepted client finds the guest stopped, as gdb expects after
 * `target remote`; its first `?` gets the stop reply.
 *
 * One thread: the guest makes no progress while the stub serves, so the
 * stub can read and write struct vcpu and guest memory directly.  Guest
 * memory is reached by linear address through the guest's page tables
 * (shadow_mmu/mmu.h), never by a host pointer the guest controls, so a bad
 * address answers E14 (EFAULT) and cannot fault the monitor.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "monitor/gdbstub.h"
#include "monitor/gdb_internal.h"
#include "monitor/vm.h"
#include "shadow_mmu/mmu.h"

#define POLL_INTERVAL_NS 2000000ull     /* gdb_poll looks at the socket every 2 ms */

/* ---- guest memory for m/M/X ---- */

uint32_t gdb_mem_read(struct vm *vm, uint32_t lin, uint8_t *buf, uint32_t n)
{
    uint32_t done = 0;
    while (done < n) {
        uint32_t a = lin + done, pa;
        uint32_t chunk = GUEST_PAGE_SIZE - (a & (GUEST_PAGE_SIZE - 1));
        if (chunk > n - done)
            chunk = n - done;
        const uint8_t *h;
        if (mmu_translate(&vm->cpu, a, ACC_READ | ACC_NOSET, &pa, NULL) != MMU_OK ||
            !(h = guest_phys_ptr(&vm->mem, pa, chunk)))
            break;                  /* unmapped, or not RAM (no device side effects) */
        memcpy(buf + done, h, chunk);
        done += chunk;
        if (a + chunk == 0)
            break;                  /* wrapped at 4 GiB */
    }
    return done;
}

/* A debugger write: all of it lands in RAM or nothing does.  It ignores
 * write protection (as a supervisor write with CR0.WP=0 would: gdb may patch
 * code) and goes through mmu_write, which drops translations of code pages. */
static bool mem_write(struct vm *vm, uint32_t lin, const uint8_t *buf, uint32_t n)
{
    struct vcpu *c = &vm->cpu;
    uint8_t probe;
    for (uint32_t done = 0; done < n;) {
        uint32_t a = lin + done;
        if (gdb_mem_read(vm, a, &probe, 1) != 1)
            return false;
        done += GUEST_PAGE_SIZE - (a & (GUEST_PAGE_SIZE - 1));
    }
    if (n && gdb_mem_read(vm, lin + n - 1, &probe, 1) != 1)
        return false;
    uint32_t cr0 = c->cr0;
    c->cr0 &= ~CR0_WP;
    enum mmu_result r = mmu_write(c, lin, buf, n, ACC_NOSET, NULL);
    c->cr0 = cr0;
    return r == MMU_OK;
}

/* ---- connection ---- */

static struct gdb *stub(struct vm *vm)
{
    return vm->gdb;
}

static struct gdb *gdb_new(struct vm *vm, int listen_fd, int fd)
{
    struct gdb *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->vm = vm;
    g->listen_fd = listen_fd;
    g->fd = fd;
    vm->gdb = g;
    return g;
}

/* The client is gone (EOF, error, D): the guest runs on without any
 * breakpoint or watchpoint. */
static void disconnect(struct gdb *g)
{
    if (g->fd >= 0)
        close(g->fd);
    g->fd = -1;
    g->rx_len = 0;
    g->no_ack = false;
    g->stepping = false;
    gdb_clear_points(g);
}

/* ---- packets ---- */

static void set_stop_reply(struct gdb *g, int signo, const char *why)
{
    snprintf(g->stop_reply, sizeof g->stop_reply, "T%02x%sthread:1;", signo & 0xFF, why ? why : "");
}

static void reply_regs(struct gdb *g)
{
    uint8_t raw[GDB_G_BYTES];
    char hex[2 * GDB_G_BYTES + 1];
    size_t o = 0;
    for (int n = 0; n < GDB_NREGS; n++)
        o += (size_t)gdb_reg_read(g->vm, n, raw + o);
    gdb_hex_encode(raw, o, hex);
    gdb_send(g, hex, 2 * o);
}

static const char *write_regs(struct gdb *g, const char *hex)
{
    uint8_t raw[GDB_G_BYTES];
    long n = gdb_hex_decode(hex, strlen(hex), raw, sizeof raw);
    if (n < 0)
        return "E22";
    const char *res = "OK";
    long o = 0;
    for (int r = 0; r < GDB_NREGS && o + gdb_reg_size(r) <= n; r++) {
        if (gdb_reg_write(g->vm, r, raw + o) < 0)
            res = "E22";
        o += gdb_reg_size(r);
    }
    return res;
}

static const char *reg_packet(struct gdb *g, const char *args, bool write)
{
    const char *p;
    uint32_t n;
    uint8_t raw[16];
    if (!gdb_parse_hex(args, &p, &n) || n >= GDB_NREGS)
        return "E22";
    if (!write) {
        if (*p)
            return "E22";
        char hex[33];
        int size = gdb_reg_read(g->vm, (int)n, raw);
        gdb_hex_encode(raw, (size_t)size, hex);
        gdb_send_str(g, hex);
        return NULL;
    }
    if (*p != '=' || gdb_hex_decode(p + 1, strlen(p + 1), raw, sizeof raw) != gdb_reg_size((int)n))
        return "E22";
    return gdb_reg_write(g->vm, (int)n, raw) < 0 ? "E22" : "OK";
}

/* "addr,len" then end, ':' (M, X) */
static bool parse_range(const char *s, const char **end, uint32_t *addr, uint32_t *len)
{
    const char *p;
    if (!gdb_parse_hex(s, &p, addr) || *p != ',' || !gdb_parse_hex(p + 1, &p, len))
        return false;
    *end = p;
    return true;
}

static const char *mem_packet(struct gdb *g, char kind)
{
    const char *p;
    uint32_t addr, len;
    if (!parse_range(g->pkt + 1, &p, &addr, &len))
        return "E22";
    if (kind == 'm') {
        if (*p || len > GDB_PKT_MAX / 2)
            return "E22";
        uint8_t buf[GDB_PKT_MAX / 2];
        char hex[GDB_PKT_MAX + 1];
        uint32_t got = gdb_mem_read(g->vm, addr, buf, len);
        if (got == 0 && len)
            return "E14";           /* EFAULT: nothing mapped there */
        gdb_hex_encode(buf, got, hex);
        gdb_send(g, hex, 2 * got);
        return NULL;
    }
    if (*p != ':' || len > GDB_PKT_MAX)
        return "E22";
    p++;
    uint8_t buf[GDB_PKT_MAX];
    if (kind == 'M') {
        if (gdb_hex_decode(p, strlen(p), buf, sizeof buf) != (long)len)
            return "E22";
    } else {                        /* X: binary, escaped */
        size_t off = (size_t)(p - g->pkt);
        size_t n = gdb_unescape(g->pkt + off, g->pkt_len - off);
        if (n != len)
            return "E22";
        memcpy(buf, g->pkt + off, n);
    }
    return mem_write(g->vm, addr, buf, len) ? "OK" : "E14";
}

static void xfer_features(struct gdb *g, const char *args)
{
    const char *xml = gdb_target_xml(), *p;
    uint32_t off, len;
    if (strncmp(args, "target.xml:", 11) != 0) {
        gdb_send_str(g, "E00");     /* no such annex */
        return;
    }
    if (!parse_range(args + 11, &p, &off, &len) || *p) {
        gdb_send_str(g, "E22");
        return;
    }
    size_t total = strlen(xml);
    if (off > total)
        off = (uint32_t)total;
    size_t max = len < GDB_PKT_MAX - 1 ? len : GDB_PKT_MAX - 1, used;
    char out[GDB_PKT_MAX];
    size_t n = gdb_escape((const uint8_t *)xml + off, total - off, out + 1, max, &used);
    out[0] = off + used < total ? 'm' : 'l';
    gdb_send(g, out, n + 1);
}

static void query(struct gdb *g)
{
    const char *q = g->pkt;
    char buf[80];
    if (strncmp(q, "qSupported", 10) == 0) {
        snprintf(buf, sizeof buf, "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;"
                 "swbreak+;hwbreak+", GDB_PKT_MAX);
        gdb_send_str(g, buf);
    } else if (strncmp(q, "qXfer:features:read:", 20) == 0) {
        xfer_features(g, q + 20);
    } else if (strncmp(q, "qRcmd,", 6) == 0) {
        gdb_rcmd(g, q + 6);
    } else if (strcmp(q, "qAttached") == 0 || strncmp(q, "qAttached:", 10) == 0) {
        gdb_send_str(g, "1");       /* attached to a running machine: D, not k, on quit */
    } else if (strcmp(q, "qC") == 0) {
        gdb_send_str(g, "QC1");
    } else if (strcmp(q, "qfThreadInfo") == 0) {
        gdb_send_str(g, "m1");
    } else if (strcmp(q, "qsThreadInfo") == 0) {
        gdb_send_str(g, "l");
    } else {
        gdb_send_str(g, "");        /* not supported */
    }
}

/* Optional "addr" of c/s: resume there. */
static bool resume_at(struct gdb *g, const char *args)
{
    const char *p;
    uint32_t addr;
    if (!*args)
        return true;
    if (!gdb_parse_hex(args, &p, &addr) || *p)
        return false;
    g->vm->cpu.eip = addr - g->vm->cpu.seg[S_CS].base;
    return true;
}

/* Serve one packet; true when the guest is to run again. */
static bool handle(struct gdb *g)
{
    const char *r = "";
    char *args = g->pkt + 1;
    switch (g->pkt[0]) {
    case '?': r = g->stop_reply; break;
    case 'g': reply_regs(g); return false;
    case 'G': r = write_regs(g, args); break;
    case 'p': r = reg_packet(g, args, false); break;
    case 'P': r = reg_packet(g, args, true); break;
    case 'm': case 'M': case 'X': r = mem_packet(g, g->pkt[0]); break;
    case 'Z': r = gdb_z_packet(g, true, args); break;
    case 'z': r = gdb_z_packet(g, false, args); break;
    case 'H': case 'T': r = "OK"; break;    /* one thread */
    case 'q': query(g); return false;
    case 'c':
    case 's':
        if (!resume_at(g, args)) {
            r = "E22";
            break;
        }
        g->stepping = g->pkt[0] == 's';
        return true;
    case 'D':
        gdb_send_str(g, "OK");
        disconnect(g);
        return true;
    case 'k':
        vm_stop(g->vm, GDB_KILL_STATUS, "killed by gdb");
        disconnect(g);
        return true;
    case 'Q':
        if (strcmp(g->pkt, "QStartNoAckMode") == 0) {
            gdb_send_str(g, "OK");
            g->no_ack = true;
            return false;
        }
        break;
    case 'v':                       /* vCont? and the rest: empty, gdb uses c/s */
        break;
    }
    if (r)
        gdb_send_str(g, r);
    return false;
}

/* The guest is stopped: answer packets until gdb lets it run again. */
static void serve(struct gdb *g)
{
    while (g->fd >= 0) {
        enum gdb_rx rx = gdb_receive(g, true);
        if (rx == GDB_RX_CLOSED) {
            disconnect(g);
            break;
        }
        if (rx == GDB_RX_SIGNAL)
            break;                  /* the run loop ends the run; gdb gets W */
        if (rx == GDB_RX_PACKET && handle(g))
            break;
    }
    gdb_points_resume(g);
}

static void stop_and_serve(struct gdb *g, int signo, const char *why)
{
    g->stepping = false;
    set_stop_reply(g, signo, why);
    if (g->fd < 0)
        return;
    gdb_send_str(g, g->stop_reply);
    serve(g);
}

/* A client connected: the guest stops, gdb will ask `?`. */
static void attach(struct gdb *g, int fd)
{
    g->fd = fd;
    g->rx_len = 0;
    set_stop_reply(g, SIGTRAP, NULL);
    serve(g);
}

static int accept_client(struct gdb *g, bool block)
{
    if (block) {
        struct pollfd pfd = { .fd = g->listen_fd, .events = POLLIN };
        while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
            ;
    }
    int fd = accept(g->listen_fd, NULL, NULL);
    if (fd < 0)
        return -1;
    if (g->fd >= 0) {               /* one debugger at a time */
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- the hooks ---- */

int gdb_listen_fd(struct vm *vm)
{
    struct gdb *g = stub(vm);
    return g ? g->listen_fd : -1;
}

int gdb_attach_fd(struct vm *vm, int fd)
{
    if (stub(vm) || !gdb_new(vm, -1, fd))
        return -1;
    set_stop_reply(vm->gdb, SIGTRAP, NULL);
    return 0;
}

int gdb_init(struct vm *vm, int port, bool wait, char *err, size_t errlen)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, 1) < 0) {
        snprintf(err, errlen, "--gdb %d: cannot listen on 127.0.0.1:%d: %s", port, port,
                 strerror(errno));
        if (s >= 0)
            close(s);
        return -1;
    }
    struct gdb *g = gdb_new(vm, s, -1);
    if (!g) {
        close(s);
        snprintf(err, errlen, "--gdb: out of memory");
        return -1;
    }
    if (wait) {
        fprintf(stderr, "vmm: waiting for gdb on 127.0.0.1:%d\n", port);
        int fd;
        while ((fd = accept_client(g, true)) < 0)
            ;
        attach(g, fd);
    }
    return 0;
}

void gdb_poll(struct vm *vm)
{
    struct gdb *g = stub(vm);
    if (!g)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    if (now < g->next_poll_ns)
        return;
    g->next_poll_ns = now + POLL_INTERVAL_NS;
    if (g->fd < 0) {
        int fd = g->listen_fd >= 0 ? accept_client(g, false) : -1;
        if (fd >= 0)
            attach(g, fd);
        return;
    }
    switch (gdb_receive(g, false)) {
    case GDB_RX_INTERRUPT:
        stop_and_serve(g, SIGINT, NULL);
        break;
    case GDB_RX_CLOSED:
        disconnect(g);
        gdb_points_resume(g);
        break;
    case GDB_RX_PACKET:             /* all-stop: packets wait for a stop */
        gdb_send_str(g, "E16");     /* EBUSY */
        break;
    case GDB_RX_NONE:
    case GDB_RX_SIGNAL:
        break;
    }
}

bool gdb_breakpoint_at(struct vm *vm, uint32_t linear)
{
    struct gdb *g = stub(vm);
    return g && g->nbp && gdb_bp_type_at(g, linear) >= 0;
}

bool gdb_has_breakpoints(struct vm *vm)
{
    struct gdb *g = stub(vm);
    return g && g->nbp > 0;
}

void gdb_stop(struct vm *vm, int signo)
{
    struct gdb *g = stub(vm);
    if (!g)
        return;
    const char *why = NULL;
    if (!g->stepping && signo == SIGTRAP) {
        int t = gdb_bp_type_at(g, vcpu_linear_ip(&vm->cpu));
        why = t == GDB_BP_SW ? "swbreak:;" : t == GDB_BP_HW ? "hwbreak:;" : NULL;
    }
    stop_and_serve(g, signo, why);
}

bool gdb_single_stepping(struct vm *vm)
{
    struct gdb *g = stub(vm);
    return g && g->stepping;
}

bool gdb_watch_active(struct vm *vm)
{
    struct gdb *g = stub(vm);
    return g && g->nwp > 0;
}

bool gdb_check_watch(struct vm *vm)
{
    struct gdb *g = stub(vm);
    if (!g || !g->nwp)
        return false;
    int i = gdb_watch_hit(g);
    if (i < 0)
        return false;
    static const char *const kind[] = { [GDB_WP_WRITE] = "watch", [GDB_WP_READ] = "rwatch",
                                        [GDB_WP_ACCESS] = "awatch" };
    char why[40];
    snprintf(why, sizeof why, "%s:%x;", kind[g->wp[i].type], g->wp[i].addr);
    stop_and_serve(g, SIGTRAP, why);
    return true;
}

void gdb_exit(struct vm *vm, int status)
{
    struct gdb *g = stub(vm);
    if (!g)
        return;
    if (g->fd >= 0) {
        char w[8];
        snprintf(w, sizeof w, "W%02x", status & 0xFF);
        gdb_send_str(g, w);
        close(g->fd);
    }
    if (g->listen_fd >= 0)
        close(g->listen_fd);
    free(g->last_sent);
    free(g);
    vm->gdb = NULL;
}
