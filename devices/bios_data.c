/*
 * devices/bios_data.c - the BIOS data area, the EBDA header and the memory
 * map, as a PC BIOS leaves them when it hands the machine to a boot loader.
 */
#include <string.h>
#include "cpu/machine.h"
#include "devices/device.h"
#include "shadow_mmu/guest_mem.h"
#include "devices/bios_data.h"
#include "devices/platform.h"

/* The BIOS counts IRQ0 at 1193182 / 65536 Hz and wraps at midnight after
 * 0x1800B0 ticks (the IBM PC/AT BIOS's constant). */
#define TICKS_PER_DAY 0x1800B0u
#define SECONDS_PER_DAY 86400u

/* Equipment word (INT 11h): x87 present (bit 1), PS/2 pointing device
 * (bit 2, the i8042 has a mouse), initial video 80x25 colour (bits 4-5 =
 * 10b, what the video BIOS leaves after setting mode 3), two serial ports
 * (bits 9-11), no floppy (bit 0), no parallel port (bits 14-15). */
#define EQUIPMENT (0x0002u | 0x0004u | 0x0020u | (2u << 9))

int bios_memory_map(uint64_t ram_bytes, struct fw_mem_range out[FW_MEM_RANGES])
{
    const struct fw_mem_range map[FW_MEM_RANGES] = {
        { 0, FW_EBDA, FW_MEM_USABLE },                              /* conventional */
        { FW_EBDA, FW_CONV_MEM_END - FW_EBDA, FW_MEM_RESERVED },    /* EBDA */
        { FW_CONV_MEM_END, FW_HIGH_MEM - FW_CONV_MEM_END, FW_MEM_RESERVED }, /* VGA, ROMs, BIOS */
        { FW_HIGH_MEM, ram_bytes - FW_HIGH_MEM, FW_MEM_USABLE },    /* extended */
    };
    memcpy(out, map, sizeof map);
    return FW_MEM_RANGES;
}

uint32_t bios_ticks_since_midnight(uint32_t seconds)
{
    return (uint32_t)((uint64_t)(seconds % SECONDS_PER_DAY) * TICKS_PER_DAY / SECONDS_PER_DAY);
}

static void put8(uint8_t *m, uint32_t a, uint8_t v) { m[a] = v; }
static void put16(uint8_t *m, uint32_t a, uint16_t v) { m[a] = v; m[a + 1] = v >> 8; }
static void put32(uint8_t *m, uint32_t a, uint32_t v) { put16(m, a, v); put16(m, a + 2, v >> 16); }

static void bda_ports_and_memory(uint8_t *m)
{
    put16(m, 0x400, 0x3F8);         /* COM1 */
    put16(m, 0x402, 0x2F8);         /* COM2; COM3/4 and LPT1-3 absent (0) */
    put16(m, 0x40E, FW_EBDA >> 4);  /* EBDA segment */
    put16(m, 0x410, EQUIPMENT);
    put16(m, 0x413, FW_BASE_MEM_KIB);
    /* Keyboard buffer: empty, at its usual place 0x41E-0x43D. */
    put16(m, 0x41A, 0x1E);
    put16(m, 0x41C, 0x1E);
    put16(m, 0x480, 0x1E);
    put16(m, 0x482, 0x3E);
    put8(m, 0x496, 0x10);           /* 101/102-key keyboard */
}

/* Video mode 3 as the VGA BIOS sets it (INT 10h AH=00h AL=03h). */
static void bda_video(uint8_t *m)
{
    put8(m, 0x449, 3);              /* mode */
    put16(m, 0x44A, 80);            /* columns */
    put16(m, 0x44C, 0x1000);        /* page size: 80 x 25 x 2 rounded to 4 KiB */
    put16(m, 0x44E, 0);             /* page 0 starts at 0xB8000 */
    put16(m, 0x460, 0x0607);        /* cursor shape: scan lines 6-7 */
    put8(m, 0x462, 0);              /* active page */
    put16(m, 0x463, 0x3D4);         /* CRTC index port (colour) */
    put8(m, 0x465, 0x29);           /* mode select register: 80x25, video on, blink */
    put8(m, 0x466, 0x30);           /* CGA palette register */
    put8(m, 0x484, 24);             /* rows - 1 */
    put16(m, 0x485, 16);            /* character height in scan lines */
    put8(m, 0x487, 0x60);           /* EGA misc: 256 KiB video memory */
    put8(m, 0x488, 0xF9);           /* EGA switches */
    put8(m, 0x489, 0x51);           /* VGA: 400 scan lines, default palette loading */
}

int bios_data_write(struct vm *vm)
{
    if (!guest_mem_is_ram(vm_mem(vm), 0, FW_HIGH_MEM))
        return -1;
    uint8_t *m = vm_mem(vm)->ram;
    memset(m + FW_BDA, 0, 0x100);
    bda_ports_and_memory(m);
    bda_video(m);
    put32(m, 0x46C, bios_ticks_since_midnight(rtc_seconds_of_day(&platform_of(vm)->rtc)));
    put8(m, 0x470, 0);              /* midnight not passed */
    memset(m + FW_EBDA, 0, FW_EBDA_KIB * 1024);
    put16(m, FW_EBDA, FW_EBDA_KIB); /* EBDA size in KiB */
    return 0;
}
