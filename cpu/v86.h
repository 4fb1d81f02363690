/*
 * cpu/v86.h - virtual-8086 mode (CR0.PE = 1, EFLAGS.VM = 1): entering it,
 * the rules of the code running in it, and leaving it for a ring-0
 * handler (Intel SDM vol. 3A chapter 20 "8086 emulation", 20.2-20.3; AMD
 * APM vol. 2 8.9 and 15 "virtual-8086 mode"; vol. 2 pseudocode of IRET
 * (RETURN-TO-/RETURN-FROM-VIRTUAL-8086-MODE), INT n
 * (INTERRUPT-FROM-VIRTUAL-8086-MODE), POPF, PUSHF, CLI, STI, IN/OUT).
 *
 * Contract.  The code of a virtual-8086 task runs in the interpreter
 * (cpu/emulate.c) at CPL 3, with real-mode addressing through the guest's
 * page tables (user-mode accesses).  Its segment registers are loaded as
 * in real mode, selector << 4 the base, with no descriptor read; their
 * hidden limit is 0xFFFF and their attributes 0xF3 (present, DPL 3,
 * read/write data, accessed: what VMX requires of every segment of a
 * virtual-8086 guest, SDM vol. 3C "Checks on Guest Segment Registers"),
 * whatever loads them: an IRET from CPL 0, a task switch, MOV/POP Sreg,
 * LDS.., a far JMP/CALL/RET.  Far JMP/CALL/RET and IRET inside the
 * mode follow the real-mode pseudocode (cpu/realmode.c serves both).
 *
 * The other parts of the mode live with what they change: delivery
 * (cpu/exceptions.c) calls v86_deliver() for every event that interrupts
 * virtual-8086 code, cpu_iret() calls v86_iret_enter() for an IRET at
 * CPL 0 that pops VM = 1 and rm_iret() for one in virtual-8086 mode, the
 * task switch (cpu/task.c) v86_load_task() for a TSS whose EFLAGS has VM
 * set, the emulator v86_insn_fault() for each instruction, and the I/O
 * check (cpu/em_io.c) reads the TSS bitmap whatever IOPL says.
 *
 * The model has no VME and no PVI (CPUID.1:EDX.VME clear, CR4.VME and
 * CR4.PVI writes #GP(0)): VIF and VIP are plain bits that only IRET at
 * CPL 0 and a task switch load, and no instruction consults the TSS's
 * interrupt-redirection bitmap.
 */
#ifndef CPU_V86_H
#define CPU_V86_H

#include <stdint.h>
#include <stdbool.h>
#include "cpu/vcpu.h"
#include "cpu/segments.h"

/* The attributes of every segment register in virtual-8086 mode. */
#define V86_SEG_ATTR 0x00F3u

static inline bool cpu_v86(const struct vcpu *c)
{
    return (c->cr0 & CR0_PE) && (c->eflags & FL_VM);
}

/* Real-address or virtual-8086 mode: segment registers hold selector << 4
 * with no descriptor behind them, and far transfers are the real-mode ones. */
static inline bool cpu_real_segments(const struct vcpu *c)
{
    return !(c->cr0 & CR0_PE) || (c->eflags & FL_VM);
}

/* A segment-register load in virtual-8086 mode: selector, base sel << 4,
 * limit 0xFFFF, attributes V86_SEG_ATTR. */
void v86_load_seg(struct vcpu *c, int sreg, uint16_t sel);

/* The exception an instruction raises in virtual-8086 mode before it does
 * anything, or -1: #UD for those the mode does not recognise (LLDT, SLDT,
 * LTR, STR, LAR, LSL, VERR, VERW, ARPL: SDM vol. 2, "Virtual-8086 Mode
 * Exceptions" of each); #GP(0) for the IOPL-sensitive ones (CLI, STI,
 * PUSHF, POPF, INT n, IRET) when IOPL < 3 (SDM vol. 3A 20.2.7).  INT3,
 * INTO, INT1 and BOUND are not IOPL-sensitive: they reach the IDT, where
 * INT3 and INTO meet the gate's DPL check.  The privileged instructions
 * need nothing here: CPL 3 makes them #GP(0) in their handlers. */
int v86_insn_fault(const struct vcpu *c, int zydis_mnemonic);

/* The rest of an IRET at CPL 0 whose popped EFLAGS (32-bit operand size)
 * has VM set, after EIP, CS and EFLAGS were read at ESP:
 * RETURN-TO-VIRTUAL-8086-MODE pops ESP, SS, ES, DS, FS and GS from
 * ESP + 12 (#SS(0) if the 36 bytes do not fit the stack), loads EFLAGS
 * whole, every segment register in the virtual-8086 way, EIP & 0xFFFF,
 * and CPL 3.  Returns as cpu_iret (0, -1 after raising, -2 stop). */
int v86_iret_enter(struct vcpu *c, uint32_t eip, uint16_t cs, uint32_t eflags);

/* One delivery attempt of an event that interrupts virtual-8086 code,
 * through an interrupt or trap gate whose code segment `cd` (selector
 * `cs`, already checked by seg_check_gate_code) must be non-conforming
 * with DPL 0, else #GP(cs): INTERRUPT-FROM-VIRTUAL-8086-MODE switches to
 * the ring-0 stack of the TSS and pushes GS, FS, DS, ES, SS, ESP, EFLAGS
 * (`pushed_fl`), CS, EIP and the error code (32-bit or, through a 16-bit
 * gate, 16-bit slots; selectors zero-extended), loads null into DS, ES,
 * FS and GS, clears VM, TF, RF and NT, and IF for an interrupt gate.
 * Returns as the delivery steps of cpu/exceptions.c: 0, or -1/-2 with
 * *vec and *err set and nothing changed. */
struct v86_gate {
    uint16_t cs;
    struct desc cd;
    uint32_t eip;
    bool gate32, intgate;
};
int v86_deliver(struct vcpu *c, const struct v86_gate *g, uint32_t pushed_fl,
                bool has_error, uint32_t error, int *vec, uint32_t *err);

/* A task switch into a TSS whose EFLAGS image has VM set, after EFLAGS
 * was loaded: the six selectors loaded the virtual-8086 way, CPL 3. */
void v86_load_task(struct vcpu *c, const uint16_t sel[S_NSEG]);

#endif
