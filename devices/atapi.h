/*
 * devices/atapi.h - the packet interface (ATA/ATAPI-6 PACKET command set,
 * SFF-8020) of an IDE drive whose commands are SCSI CDBs: here the CD-ROM
 * of devices/cdrom.h.
 *
 * Contract: devices/ide.c hands every ATA command written to a packet
 * device to atapi_command(), and calls atapi_packet() when the host has
 * written the 12 CDB bytes of a PACKET command into c->buf and
 * atapi_block_done() when it has read a whole DRQ block of data-in.  The
 * protocol, as the drivers of SeaBIOS and Linux use it:
 *   - PACKET (0xA0) with PIO (Features bit 0 clear; DMA and overlap are
 *     aborted: there is no bus master): DRQ with interrupt reason CoD=1,
 *     IO=0, no interrupt (IDENTIFY PACKET word 0: DRQ within 50 us);
 *   - data-in in DRQ blocks, each announced by an interrupt with reason
 *     IO=1, CoD=0 and its length in the cylinder registers: at most the
 *     byte count limit the host put there (one less when it is odd and
 *     more data follows), at most the channel's buffer; a limit of 0 with
 *     data to send is ILLEGAL REQUEST / INVALID FIELD IN CDB;
 *   - the status phase: interrupt reason IO=1, CoD=1, and DRDY, or DRDY
 *     and ERR with the sense key in the top four bits of the error
 *     register (ABRT too for ILLEGAL REQUEST) for CHECK CONDITION.
 * Other ATA commands: IDENTIFY PACKET DEVICE; IDENTIFY DEVICE aborts with
 * the packet signature (0x14/0xEB in LBA mid/high) so that the host knows
 * to send IDENTIFY PACKET; DEVICE RESET sets the signature, with no
 * interrupt; EXECUTE DEVICE DIAGNOSTIC, SET FEATURES (PIO modes), CHECK
 * POWER MODE, the idle/standby no-ops and NOP... everything else aborts.
 */
#ifndef DEVICES_ATAPI_H
#define DEVICES_ATAPI_H

#include <stdint.h>

struct ide_channel;
struct ide_drive;

void atapi_command(struct ide_channel *c, struct ide_drive *d, uint8_t cmd);
void atapi_packet(struct ide_channel *c);
void atapi_block_done(struct ide_channel *c);

#endif
