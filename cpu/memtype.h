/*
 * cpu/memtype.h - the memory-type MSRs of the P6 model: the MTRRs (Intel
 * SDM vol. 3A 11.11) and the PAT (11.12).
 *
 * Contract: memtype_rdmsr()/memtype_wrmsr() answer for IA32_MTRRCAP (0xFE,
 * read-only: 8 variable ranges, fixed ranges, write-combining), the
 * variable ranges 0x200-0x20F, the fixed ranges 0x250, 0x258, 0x259,
 * 0x268-0x26F, IA32_MTRR_DEF_TYPE (0x2FF) and IA32_PAT (0x277): they return
 * 1 when the MSR is not one of these, 0 when done, and -1 when the access
 * must raise #GP (a write of a reserved bit or of a reserved memory type,
 * a write to MTRRCAP).  Values written are kept and read back; they change
 * nothing else (the host maps guest memory write-back whatever they say,
 * and the emulated devices do not cache).
 * memtype_reset() sets the power-on PAT (0x0007040600070406) and the MTRRs
 * as a PC BIOS leaves them (SeaBIOS's programming): default type write-back,
 * enabled with fixed ranges (0-640 KiB write-back, the VGA window 0xA0000-
 * 0xBFFFF uncacheable, 0xC0000-0xFFFFF write-protect) and variable range 0
 * uncacheable over the top 32 MiB below 4 GiB (IOAPIC, HPET range, local
 * APIC, BIOS ROM).
 */
#ifndef CPU_MEMTYPE_H
#define CPU_MEMTYPE_H

#include <stdint.h>
#include "cpu/vcpu.h"

#define MSR_MTRRCAP      0xFEu
#define MSR_MTRR_DEF     0x2FFu
#define MSR_PAT          0x277u
#define PAT_POWER_ON     0x0007040600070406ull
#define MTRRCAP_VALUE    0x508ull       /* WC (10), FIX (8), VCNT 8 */

int memtype_rdmsr(struct vcpu *c, uint32_t msr, uint64_t *value);
int memtype_wrmsr(struct vcpu *c, uint32_t msr, uint64_t value);
void memtype_reset(struct vcpu *c);

#endif
