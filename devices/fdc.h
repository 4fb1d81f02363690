/*
 * devices/fdc.h - an Intel 82077AA-compatible floppy disk controller with
 * up to two 3.5"/5.25" drives, at ports 0x3F0-0x3F5 and 0x3F7, ISA IRQ 6
 * and DMA channel 2 (devices/dma8237.h).
 *
 * Contract: the registers of the PC-AT mode: DOR (0x3F2: drive select,
 * reset, DMA and interrupt gate, motors), TDR (0x3F3), MSR (0x3F4 read),
 * DSR (0x3F4 write: data rate, software reset), FIFO (0x3F5), DIR (0x3F7
 * read: bit 7 disk changed, set until the drive steps), CCR (0x3F7 write:
 * data rate); 0x3F0/0x3F1 (the PS/2 status registers) read 0xFF.
 * Commands go through the FIFO in command, execution and result phases:
 * SPECIFY, SENSE DRIVE STATUS, RECALIBRATE, SENSE INTERRUPT STATUS (four
 * after a reset while polling is on), SEEK, READ DATA, WRITE DATA, READ
 * ID, FORMAT TRACK, VERSION (0x90), CONFIGURE, DUMPREG, PERPENDICULAR
 * MODE and LOCK; any other opcode is answered with ST0 = 0x80.  Seeks
 * and transfers finish at once (the interrupt is raised before the
 * command's last byte write returns).  Transfers seek implicitly to the
 * command's cylinder, go from sector R to EOT (then to head 1 with MT) and
 * stop at DMA terminal count; in non-DMA mode (SPECIFY's ND bit) the data
 * goes through the FIFO.  Every guest value is checked against the medium:
 * a cylinder, head or sector it does not have, N other than 2 (512
 * bytes), a data rate other than the medium's end the command with
 * abnormal termination (ST0 0x40; ST1 missing address mark or no data),
 * a write to a read-only image with ST1 NOT WRITABLE; the image is never
 * touched outside its size.
 *
 * fdc_attach() opens an image (devices/image.h) as drive 0 (A:) or 1 (B:);
 * its size gives the format: 160, 180, 320, 360, 720 KiB, 1.2, 1.44 or
 * 2.88 MB.  fdc_cmos_types() gives CMOS register 0x10 (drive A in the
 * upper nibble: 1 = 360K, 2 = 1.2M, 3 = 720K, 4 = 1.44M, 5 = 2.88M).
 */
#ifndef DEVICES_FDC_H
#define DEVICES_FDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct io_bus;
struct dma8237;

#define FDC_DRIVES 2
#define FDC_SECTOR 512
#define FDC_MAX_SPT 36
#define FDC_DMA_CHANNEL 2
#define FDC_IRQ 6
/* The longest transfer of one command: both sides of a 2.88 MB track. */
#define FDC_MAX_XFER (2 * FDC_MAX_SPT * FDC_SECTOR)

struct fdc_drive {
    bool present, ro, changed;
    int fd;
    uint8_t heads, tracks, spt, rate, cmos;
    uint8_t cyl;                    /* where the head is (the present cylinder number) */
};

enum fdc_phase { FDC_CMD, FDC_EXEC_IN, FDC_EXEC_OUT, FDC_RESULT };

struct fdc {
    struct vm *vm;
    struct dma8237 *dma;
    struct fdc_drive d[FDC_DRIVES];
    uint8_t dor, tdr, dsr, rate;
    enum fdc_phase phase;
    uint8_t cmd[16];
    int cmd_len, cmd_pos;
    uint8_t res[16];
    int res_len, res_pos;
    /* Non-DMA execution: the bytes the host reads (EXEC_OUT) or writes
     * (EXEC_IN) through the FIFO. */
    uint8_t buf[FDC_MAX_XFER];
    int buf_len, buf_pos;
    bool irq;                       /* the interrupt request, before the DOR's gate */
    uint8_t reset_senses;           /* SENSE INTERRUPTs owed after a reset (4..1) */
    uint8_t seek_st0[4];            /* a finished seek's ST0 + 1 (0: none), owed to SENSE INTERRUPT */
    uint8_t specify[2], config, pretrk, perp, eot;
    bool lock;
    /* The non-DMA transfer under way: its sectors (head, sector) and the
     * result it ends with. */
    uint8_t xfer_drive, xfer_op, nsecs;
    uint8_t secs[2 * FDC_MAX_SPT][2];
    uint8_t xfer_res[7];
    uint64_t commands, errors, invalid;
};

int fdc_init(struct fdc *f, struct vm *vm, struct io_bus *bus, struct dma8237 *dma);
int fdc_attach(struct fdc *f, int drive, const char *path, bool ro, char *err, size_t errlen);
uint8_t fdc_cmos_types(const struct fdc *f);
void fdc_destroy(struct fdc *f);

#endif
