/*
 * devices/bootorder.c - the firmware's boot order from QEMU's letters.
 */
#include <stdio.h>
#include <string.h>
#include "devices/bootorder.h"
#include "devices/ide.h"

/* Lines are separated by newlines, with none after the last, as QEMU
 * writes the file (SeaBIOS would read a final newline as an empty entry). */
static size_t add_line(char *out, size_t n, size_t len, const char *line)
{
    size_t l = strlen(line), sep = len ? 1 : 0;
    if (len + sep + l >= n)
        return len;
    if (sep)
        out[len] = '\n';
    memcpy(out + len + sep, line, l + 1);
    return len + sep + l;
}

size_t bootorder_text(struct ide *ide, uint8_t floppies, const char *order, bool strict,
                      char *out, size_t n)
{
    size_t len = 0;
    if (n)
        out[0] = '\0';
    for (const char *l = order; *l; l++) {
        if (*l == 'a' || *l == 'b') {
            int unit = *l - 'a';
            char path[64];
            snprintf(path, sizeof path, "/pci@i0cf8/isa@1/fdc@03f0/floppy@%d", unit);
            if (floppies >> (unit ? 0 : 4) & 0x0F)
                len = add_line(out, n, len, path);
            continue;
        }
        if (*l != 'c' && *l != 'd')
            continue;
        for (int slot = 0; slot < IDE_SLOTS; slot++) {
            struct ide_drive *d = ide_slot(ide, slot);
            if (!d->present || d->atapi != (*l == 'd'))
                continue;
            char path[64];
            snprintf(path, sizeof path, "/pci@i0cf8/ide@1,1/drive@%d/disk@%d", slot / 2, slot % 2);
            len = add_line(out, n, len, path);
        }
    }
    if (strict)
        len = add_line(out, n, len, "HALT");
    return len;
}
