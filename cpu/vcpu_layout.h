/*
 * cpu/vcpu_layout.h - where translated code and the assembly switch code
 * (bt/entry.S, cpu/switch.inc) find the fields of struct vcpu: offsets
 * from r15, which holds a struct vcpu * while guest code runs.
 *
 * Contract: plain #defines only, so that assembly can include this file;
 * cpu/vcpu.c checks every one against the C structs with static asserts.
 * The architectural state comes first, and the fields translated code
 * touches most (EIP, IF, the string step) lie below 0x80, where an
 * instruction reaches them with a one-byte displacement.  The bt engine's
 * context (cpu/bt_context.h) starts at VCPU_OFF_BT.
 */
#ifndef CPU_VCPU_LAYOUT_H
#define CPU_VCPU_LAYOUT_H

#define VCPU_FXSAVE_SIZE 512

/* struct x86_state (cpu/vcpu.h), at offset 0 of struct vcpu */
#define VCPU_OFF_GPR        0x00
#define VCPU_OFF_EIP        0x20
#define VCPU_OFF_RFLAGS     0x28
#define VCPU_OFF_STR_STEP   0x30
#define VCPU_OFF_VIF        0x38
#define VCPU_OFF_FX_GUEST   0x40

/* struct bt_context (cpu/bt_context.h), at VCPU_OFF_BT */
#define VCPU_OFF_BT         0x500
#define BT_OFF_REASON       0x00
#define BT_OFF_HOST_AC      0x04
#define BT_OFF_HOST_RSP     0x08
#define BT_OFF_EXIT_ARG     0x10
#define BT_OFF_GS_INSN      0x18
#define BT_OFF_CALLOUT_ARG  0x1c
#define BT_OFF_LOOKUP       0x20
#define BT_OFF_POLL_IRQ     0x28
#define BT_OFF_POLL_ANY     0x30
#define BT_OFF_XVIEW        0x38
#define BT_OFF_GS_BASE      0x40
#define BT_OFF_GS_KEPT      0x48
#define BT_OFF_SEGLIMIT     0x50
#define BT_OFF_FPU_GATE     0x60
#define BT_OFF_SCRATCH      0x70
#define BT_OFF_FX_HOST      0x80

#define VCPU_OFF_REASON     (VCPU_OFF_BT + BT_OFF_REASON)
#define VCPU_OFF_HOST_AC    (VCPU_OFF_BT + BT_OFF_HOST_AC)
#define VCPU_OFF_HOST_RSP   (VCPU_OFF_BT + BT_OFF_HOST_RSP)
#define VCPU_OFF_EXIT_ARG   (VCPU_OFF_BT + BT_OFF_EXIT_ARG)
#define VCPU_OFF_GS_INSN    (VCPU_OFF_BT + BT_OFF_GS_INSN)
#define VCPU_OFF_CALLOUT_ARG (VCPU_OFF_BT + BT_OFF_CALLOUT_ARG)
#define VCPU_OFF_LOOKUP     (VCPU_OFF_BT + BT_OFF_LOOKUP)
#define VCPU_OFF_POLL_IRQ   (VCPU_OFF_BT + BT_OFF_POLL_IRQ)
#define VCPU_OFF_POLL_ANY   (VCPU_OFF_BT + BT_OFF_POLL_ANY)
#define VCPU_OFF_XVIEW      (VCPU_OFF_BT + BT_OFF_XVIEW)
#define VCPU_OFF_GS_BASE    (VCPU_OFF_BT + BT_OFF_GS_BASE)
#define VCPU_OFF_SEGLIMIT   (VCPU_OFF_BT + BT_OFF_SEGLIMIT)
#define VCPU_OFF_FPU_GATE   (VCPU_OFF_BT + BT_OFF_FPU_GATE)
#define VCPU_OFF_SCRATCH    (VCPU_OFF_BT + BT_OFF_SCRATCH)
#define VCPU_OFF_FX_HOST    (VCPU_OFF_BT + BT_OFF_FX_HOST)

#endif
