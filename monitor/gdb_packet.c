/*
 * monitor/gdb_packet.c - the framing layer of the GDB remote protocol.
 *
 * A packet is `$payload#cc`, cc being the modulo-256 sum of the payload bytes
 * in two hex digits.  The receiver answers '+' (good) or '-' (send it again)
 * until QStartNoAckMode switches acknowledgements off.  A lone 0x03 byte
 * outside a packet is gdb's Ctrl-C.  Binary data (X packets, qXfer replies)
 * escape '#', '$', '}' and '*' as '}' followed by the byte XOR 0x20.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "monitor/gdb_internal.h"
#include "monitor/vm.h"

int gdb_hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

long gdb_hex_decode(const char *hex, size_t nhex, uint8_t *out, size_t max)
{
    if (nhex % 2 || nhex / 2 > max)
        return -1;
    for (size_t i = 0; i < nhex / 2; i++) {
        int hi = gdb_hexval(hex[2 * i]), lo = gdb_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(nhex / 2);
}

void gdb_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

bool gdb_parse_hex(const char *s, const char **end, uint32_t *v)
{
    uint64_t x = 0;
    const char *p = s;
    for (; gdb_hexval(*p) >= 0; p++) {
        x = x << 4 | (uint64_t)gdb_hexval(*p);
        if (x > 0xFFFFFFFFu)
            return false;           /* not a 32-bit quantity */
    }
    *end = p;
    *v = (uint32_t)x;
    return p != s;
}

static bool needs_escape(uint8_t c)
{
    return c == '#' || c == '$' || c == '}' || c == '*';
}

size_t gdb_escape(const uint8_t *in, size_t n, char *out, size_t max, size_t *consumed)
{
    size_t o = 0, i = 0;
    for (; i < n; i++) {
        size_t need = needs_escape(in[i]) ? 2 : 1;
        if (o + need > max)
            break;
        if (need == 2) {
            out[o++] = '}';
            out[o++] = (char)(in[i] ^ 0x20);
        } else {
            out[o++] = (char)in[i];
        }
    }
    *consumed = i;
    return o;
}

size_t gdb_unescape(char *buf, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '}' && i + 1 < n)
            buf[o++] = (char)(buf[++i] ^ 0x20);
        else
            buf[o++] = buf[i];
    }
    return o;
}

static bool send_all(struct gdb *g, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        /* MSG_NOSIGNAL: a vanished client must not kill the monitor with SIGPIPE. */
        ssize_t k = send(g->fd, c, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = { .fd = g->fd, .events = POLLOUT };
            if (poll(&pfd, 1, 5000) <= 0)
                return false;
            continue;
        }
        if (k <= 0)
            return false;
        c += k;
        n -= (size_t)k;
    }
    return true;
}

bool gdb_send(struct gdb *g, const char *payload, size_t len)
{
    if (g->fd < 0)
        return false;
    char *frame = malloc(len + 4);
    if (!frame)
        return false;
    uint8_t sum = 0;
    frame[0] = '$';
    for (size_t i = 0; i < len; i++) {
        frame[i + 1] = payload[i];
        sum += (uint8_t)payload[i];
    }
    static const char digits[] = "0123456789abcdef";
    frame[len + 1] = '#';
    frame[len + 2] = digits[sum >> 4];
    frame[len + 3] = digits[sum & 15];
    free(g->last_sent);
    g->last_sent = frame;
    g->last_len = len + 4;
    return send_all(g, frame, len + 4);
}

bool gdb_send_str(struct gdb *g, const char *payload)
{
    return gdb_send(g, payload, strlen(payload));
}

static void consume(struct gdb *g, size_t n)
{
    memmove(g->rx, g->rx + n, g->rx_len - n);
    g->rx_len -= n;
}

/* Look for one complete item in the buffer. */
static enum gdb_rx parse(struct gdb *g)
{
    for (;;) {
        if (g->rx_len == 0)
            return GDB_RX_NONE;
        uint8_t c = g->rx[0];
        if (c == 0x03) {
            consume(g, 1);
            return GDB_RX_INTERRUPT;
        }
        if (c == '-' && g->last_sent && !g->no_ack) {
            consume(g, 1);
            send_all(g, g->last_sent, g->last_len);
            continue;
        }
        if (c != '$') {             /* '+' acks and line noise */
            consume(g, 1);
            continue;
        }
        uint8_t *hash = memchr(g->rx + 1, '#', g->rx_len - 1);
        if (!hash) {
            if (g->rx_len >= GDB_RX_MAX) {  /* no end in sight: drop it */
                g->rx_len = 0;
                if (!g->no_ack)
                    send_all(g, "-", 1);
            }
            return GDB_RX_NONE;
        }
        size_t plen = (size_t)(hash - g->rx) - 1;
        if ((size_t)(hash - g->rx) + 3 > g->rx_len)
            return GDB_RX_NONE;     /* checksum not here yet */
        int hi = gdb_hexval(hash[1]), lo = gdb_hexval(hash[2]);
        uint8_t sum = 0;
        for (size_t i = 0; i < plen; i++)
            sum += g->rx[1 + i];
        bool good = hi >= 0 && lo >= 0 && sum == (uint8_t)(hi << 4 | lo) && plen <= GDB_PKT_MAX;
        if (good) {
            memcpy(g->pkt, g->rx + 1, plen);
            g->pkt[plen] = '\0';
            g->pkt_len = plen;
        }
        consume(g, plen + 4);
        if (!g->no_ack)
            send_all(g, good ? "+" : "-", 1);
        if (good)
            return GDB_RX_PACKET;
    }
}

enum gdb_rx gdb_receive(struct gdb *g, bool block)
{
    for (;;) {
        if (g->fd < 0)
            return GDB_RX_CLOSED;
        enum gdb_rx r = parse(g);
        if (r != GDB_RX_NONE)
            return r;
        if (block) {
            /* poll, unlike recv, is never restarted after a signal
             * (SA_RESTART): a SIGINT/SIGTERM to vmm ends the session. */
            struct pollfd pfd = { .fd = g->fd, .events = POLLIN };
            int n = poll(&pfd, 1, 500);
            if (g->vm->stop_signal)
                return GDB_RX_SIGNAL;
            if (n <= 0)
                continue;
        }
        ssize_t k = recv(g->fd, g->rx + g->rx_len, GDB_RX_MAX - g->rx_len,
                         block ? 0 : MSG_DONTWAIT);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && !block && (errno == EAGAIN || errno == EWOULDBLOCK))
            return GDB_RX_NONE;
        if (k <= 0)
            return GDB_RX_CLOSED;
        g->rx_len += (size_t)k;
    }
}
