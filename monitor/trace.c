/*
 * monitor/trace.c - guest code as text, with Capstone (32-bit x86, Intel
 * syntax).  Zydis decodes for the translator; Capstone is used only here, for
 * people, so the two decoders also cross-check each other in the traces.
 *
 * Line format of trace_disasm():
 *   c0100a3c <start_kernel+0x1c>  8b 45 08              mov eax, dword ptr [ebp + 8]
 * Bytes that do not decode print as "(bad)" with the first byte, and the
 * listing goes on at the next byte.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "monitor/trace.h"
#include "monitor/symbols.h"

#define BYTES_COLUMN 21            /* 7 bytes "xx " wide; longer ones push the text right */

static void format_bytes(char *buf, size_t buflen, const uint8_t *b, size_t n)
{
    size_t pos = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && pos + 4 < buflen; i++)
        pos += snprintf(buf + pos, buflen - pos, i ? " %02x" : "%02x", b[i]);
}

/* Decode one instruction: its length, or 0 when the bytes are not valid. */
static size_t format_one(csh h, char *buf, size_t buflen, uint32_t addr,
                         const uint8_t *code, size_t len)
{
    char bytes[3 * 16];
    cs_insn *insn;
    size_t n = h ? cs_disasm(h, code, len, addr, 1, &insn) : 0;

    if (n == 0) {
        format_bytes(bytes, sizeof bytes, code, len ? 1 : 0);
        snprintf(buf, buflen, "%-*s (bad)", BYTES_COLUMN, bytes);
        return 0;
    }
    format_bytes(bytes, sizeof bytes, insn->bytes, insn->size);
    snprintf(buf, buflen, "%-*s %s%s%s", BYTES_COLUMN, bytes, insn->mnemonic,
             insn->op_str[0] ? " " : "", insn->op_str);
    size_t size = insn->size;
    cs_free(insn, n);
    return size;
}

static csh open_x86(bool code16)
{
    csh h;
    if (cs_open(CS_ARCH_X86, code16 ? CS_MODE_16 : CS_MODE_32, &h) != CS_ERR_OK)
        return 0;
    return h;
}

static csh open_x86_32(void)
{
    return open_x86(false);
}

void trace_format_insn(char *buf, size_t buflen, uint32_t addr, const uint8_t *code, size_t len,
                       bool code16)
{
    csh h = open_x86(code16);
    format_one(h, buf, buflen, addr, code, len);
    if (h)
        cs_close(&h);
}

void trace_insn_text(char *buf, size_t buflen, uint32_t addr, const uint8_t *code, size_t len)
{
    csh h = open_x86_32();
    cs_insn *insn;
    size_t n = h ? cs_disasm(h, code, len, addr, 1, &insn) : 0;
    if (n) {
        snprintf(buf, buflen, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
        cs_free(insn, n);
    } else {
        snprintf(buf, buflen, "(bad)");
    }
    if (h)
        cs_close(&h);
}

void trace_disasm(FILE *out, const struct symtab *syms, uint32_t addr,
                  const uint8_t *code, size_t len, size_t max_insns)
{
    csh h = open_x86_32();
    size_t off = 0;

    if (!h)
        fprintf(out, "(capstone unavailable: no disassembly)\n");
    for (size_t i = 0; i < max_insns && off < len; i++) {
        char text[160], where[96] = "";
        uint32_t a = addr + (uint32_t)off, symoff;
        const char *name = symtab_lookup(syms, a, &symoff);
        size_t n = format_one(h, text, sizeof text, a, code + off, len - off);

        if (name)
            snprintf(where, sizeof where, " <%s+0x%x>", name, symoff);
        fprintf(out, "%08x%s  %s\n", a, where, text);
        off += n ? n : 1;
    }
    if (h)
        cs_close(&h);
}

FILE *trace_perf_map_open(char *err, size_t errlen)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
    FILE *f = fopen(path, "w");
    if (!f)
        snprintf(err, errlen, "--perf-map: cannot create %s: %s", path, strerror(errno));
    return f;
}

void trace_perf_map_tu(FILE *map, const struct symtab *syms, const void *host, uint32_t host_len,
                       uint32_t guest_lin)
{
    uint32_t off;
    const char *name = syms ? symtab_lookup(syms, guest_lin, &off) : NULL;
    if (name)
        fprintf(map, "%lx %x guest:%s+0x%x\n", (unsigned long)(uintptr_t)host, host_len, name, off);
    else
        fprintf(map, "%lx %x guest:0x%08x\n", (unsigned long)(uintptr_t)host, host_len, guest_lin);
}
