/*
 * tests/diff/diff_layout.h - memory layout shared by the differential-test
 * generator, the native runner and the guest runner.
 *
 * Contract: every test case runs with its data in one "area" at the SAME
 * linear address on both sides (the native runner maps it there with
 * MAP_FIXED_NOREPLACE; the guest has paging off, so linear = physical).
 * Because the addresses are equal, values derived from pointers (lea, pushed
 * ESP, address arithmetic) compare exactly; nothing has to be rebased.
 * tests/diff/case.inc repeats these numbers for nasm and exports them as
 * diff_layout_check so that a mismatch is caught at run time.
 *
 *   AREA+0x0000  buffer, 4 KiB: every memory operand of a case lies here
 *   AREA+0x1000  private stack, 4 KiB: ESP starts near AREA+0x1800
 *   AREA+0x2000  result: eax ecx edx ebx esp ebp esi edi eflags
 */
#ifndef TESTS_DIFF_LAYOUT_H
#define TESTS_DIFF_LAYOUT_H

#define DIFF_AREA       0x00400000u
#define DIFF_AREA_SIZE  0x3000u
#define DIFF_BUF        (DIFF_AREA + 0x0000u)
#define DIFF_BUF_SIZE   0x1000u
#define DIFF_STACK      (DIFF_AREA + 0x1000u)
#define DIFF_STACK_SIZE 0x1000u
#define DIFF_ESP0       (DIFF_AREA + 0x1800u)
#define DIFF_RES        (DIFF_AREA + 0x2000u)

/* EFLAGS bits (SDM vol. 1, 3.4.3). */
#define FL_CF 0x001u
#define FL_PF 0x004u
#define FL_AF 0x010u
#define FL_ZF 0x040u
#define FL_SF 0x080u
#define FL_DF 0x400u
#define FL_OF 0x800u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

#endif
