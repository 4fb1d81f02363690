/*
 * monitor/gdb_internal.h - the state of the gdb stub, shared by its files:
 *
 *   gdbstub.c     hooks, connection, the serve loop and packet dispatch
 *   gdb_packet.c  framing ($data#cs), acks, hex and binary escaping
 *   gdb_regs.c    the i386 register file (g/G/p/P) and target.xml
 *   gdb_watch.c   breakpoints and watchpoints
 *   gdb_monitor.c `monitor` commands (qRcmd): info stats, info tlb
 *
 * Reference: GDB manual, appendix E "GDB Remote Serial Protocol".
 */
#ifndef MONITOR_GDB_INTERNAL_H
#define MONITOR_GDB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

#define GDB_PKT_MAX   4096      /* PacketSize we advertise (payload bytes) */
#define GDB_RX_MAX    (2 * GDB_PKT_MAX + 16)
#define GDB_MAX_BP    64
#define GDB_MAX_WP    8
#define GDB_WP_MAXLEN 64        /* bytes one watchpoint may cover */
#define GDB_MAX_ACC   4         /* memory operands remembered per instruction */

enum gdb_bp_type { GDB_BP_SW = 0, GDB_BP_HW = 1, GDB_WP_WRITE = 2, GDB_WP_READ = 3, GDB_WP_ACCESS = 4 };

struct gdb_bp {
    uint32_t addr;
    uint8_t type;               /* GDB_BP_SW or GDB_BP_HW */
};

struct gdb_wp {
    uint32_t addr, len;
    uint8_t type;               /* GDB_WP_WRITE/READ/ACCESS */
    bool readable;              /* old[] holds the value (false: unmapped) */
    uint8_t old[GDB_WP_MAXLEN];
};

/* A memory operand of the instruction about to run (read watchpoints). */
struct gdb_access {
    uint32_t lin, len;
    bool read, write;
};

struct gdb {
    struct vm *vm;
    int listen_fd;              /* -1 when attached to a given fd */
    int fd;                     /* connected client, -1 if none */
    bool no_ack;                /* QStartNoAckMode accepted */
    bool stepping;              /* after `s`, until the step's stop */
    char stop_reply[64];        /* of the current stop, for `?` */

    uint8_t rx[GDB_RX_MAX];     /* bytes received, not yet parsed */
    size_t rx_len;
    char pkt[GDB_PKT_MAX + 1];  /* payload of the packet being served */
    size_t pkt_len;
    char *last_sent;            /* for a '-' (retransmit) */
    size_t last_len;

    struct gdb_bp bp[GDB_MAX_BP];
    int nbp;
    uint32_t flushed[GDB_MAX_BP];   /* breakpoint addresses the TC was made with */
    int nflushed;

    struct gdb_wp wp[GDB_MAX_WP];
    int nwp;
    struct gdb_access acc[GDB_MAX_ACC];
    int nacc;

    uint64_t next_poll_ns;      /* gdb_poll looks at the socket this often */
};

/* gdb_packet.c */
enum gdb_rx {
    GDB_RX_PACKET,              /* a good packet is in g->pkt */
    GDB_RX_INTERRUPT,           /* Ctrl-C */
    GDB_RX_NONE,                /* nothing complete yet (non-blocking) */
    GDB_RX_CLOSED,              /* the client went away */
    GDB_RX_SIGNAL,              /* vmm got SIGINT/SIGTERM while waiting */
};
/* Parse what is buffered, then (block: wait for more | not block: take what
 * the socket has).  A packet's payload lands in g->pkt. */
enum gdb_rx gdb_receive(struct gdb *g, bool block);
/* Send one packet; false when the connection is gone. */
bool gdb_send(struct gdb *g, const char *payload, size_t len);
bool gdb_send_str(struct gdb *g, const char *payload);
int gdb_hexval(int ch);
/* Hex digits to bytes: the number of bytes, or -1 on a bad digit. */
long gdb_hex_decode(const char *hex, size_t nhex, uint8_t *out, size_t max);
void gdb_hex_encode(const uint8_t *in, size_t n, char *out);
/* Parse a hex number; *end past it.  false if there is no digit. */
bool gdb_parse_hex(const char *s, const char **end, uint32_t *v);
/* Escape binary data (qXfer): '#', '$', '}', '*' become '}' x^0x20. */
size_t gdb_escape(const uint8_t *in, size_t n, char *out, size_t max, size_t *consumed);
/* Undo gdb_escape in place (X packets); the new length. */
size_t gdb_unescape(char *buf, size_t n);

/* gdb_regs.c */
#define GDB_NREGS 41
#define GDB_G_BYTES 308         /* bytes of the g packet */
const char *gdb_target_xml(void);
/* Bytes of register n (0 for an unknown one). */
int gdb_reg_size(int n);
/* Read register n into buf (its size in bytes, target order), or -1. */
int gdb_reg_read(struct vm *vm, int n, uint8_t *buf);
/* Write register n from buf; -1 if it cannot be set to that value. */
int gdb_reg_write(struct vm *vm, int n, const uint8_t *buf);

/* gdb_watch.c */
/* Z/z packets: "t,addr,kind".  Returns the reply ("OK", "E22", "" for an
 * unsupported type). */
const char *gdb_z_packet(struct gdb *g, bool insert, const char *args);
void gdb_clear_points(struct gdb *g);
/* Before the guest runs again: flush translations if the breakpoint set
 * changed, refresh watched values, decode the next instruction. */
void gdb_points_resume(struct gdb *g);
/* After one guest instruction: the index of a watchpoint that fired, or
 * -1.  Snapshots are brought up to date and the next instruction decoded. */
int gdb_watch_hit(struct gdb *g);
/* Which breakpoint type is at linear address a (-1 none). */
int gdb_bp_type_at(struct gdb *g, uint32_t a);

/* gdb_monitor.c */
/* Serve qRcmd (hex-encoded command): O packets, then the final reply. */
void gdb_rcmd(struct gdb *g, const char *hexcmd);

/* gdbstub.c */
/* Read guest linear memory for the debugger, stopping at the first
 * unreadable byte: the number of bytes read. */
uint32_t gdb_mem_read(struct vm *vm, uint32_t lin, uint8_t *buf, uint32_t n);

#endif
