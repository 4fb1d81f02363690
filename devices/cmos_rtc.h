/*
 * devices/cmos_rtc.h - MC146818-compatible real-time clock and CMOS RAM.
 *
 * Contract: ports 0x70 (index, bit 7 = NMI mask) and 0x71 (data).  The
 * clock reads the host's wall clock (UTC) plus an offset the guest changes
 * by setting the time; BCD or binary and 12/24 h per register B; UIP is set
 * during the last 244 us of each second.  Periodic, alarm and update-ended
 * interrupts raise ISA IRQ8 until register C is read.  The CMOS bytes that
 * guests read for memory size (0x15-0x18, 0x30-0x31, 0x34-0x35, 0x5B-0x5D)
 * are filled from the VM's RAM size, the floppy bytes (0x10, 0x14) by
 * rtc_floppies().
 */
#ifndef DEVICES_CMOS_RTC_H
#define DEVICES_CMOS_RTC_H

#include <stdint.h>
#include <stdbool.h>

struct vm;
struct io_bus;

struct rtc {
    struct vm *vm;
    uint8_t index;
    bool nmi_masked;
    uint8_t ram[128];           /* CMOS; 0x00-0x09 hold the time only while SET is on */
    int64_t offset_s;           /* guest wall time - host wall time */
    uint64_t next_periodic_ns;  /* host monotonic time of the next periodic flag */
    uint64_t next_second_ns;    /* host monotonic time of the next update cycle end */
    int irq_level;
    uint64_t irqs;
};

int rtc_init(struct rtc *r, struct vm *vm, struct io_bus *bus, uint64_t ram_bytes);
void rtc_tick(struct rtc *r, uint64_t now_ns);
uint64_t rtc_deadline(struct rtc *r);
/* The floppy drives: CMOS register 0x10 (drive A's type in the upper
 * nibble, B's in the lower; 0 none, 4 = 1.44 MB) and the equipment byte
 * 0x14 (bit 0 drives present, bits 7-6 their number - 1), checksum
 * updated. */
void rtc_floppies(struct rtc *r, uint8_t types);
/* The guest's time of day in seconds since midnight (UTC plus the offset
 * the guest set): what the time registers read now. */
uint32_t rtc_seconds_of_day(struct rtc *r);

#endif
