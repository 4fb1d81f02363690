; tests/diff/addr16.asm - 16-bit addressing (0x67 prefix) in 32-bit code.
; 64-bit mode has no 16-bit addressing, so a translator must compute these
; addresses itself.  Kept apart from edge.asm so that the rest of the edge
; set still runs when this is not handled.

%include "case.inc"

%define B DIFF_BUF

%macro INIT 0
  mov esp, DIFF_ESP0
  push dword 2
  popfd
  xor eax, eax
  xor ecx, ecx
  xor edx, edx
  mov ebx, B + 0x100
  mov esi, B + 0x200
  mov edi, B + 0x300
  mov ebp, B + 0x400
%endmacro

CASE "lea-addr16"
  INIT
  lea eax, [bx + si + 0x7f]
  lea ecx, [bp + di]
  lea dx, [bp - 2]
CASE_END ARITH|DF
CASE "lea-addr16-wrap"
  INIT
  mov bx, 0xfff0
  lea eax, [bx + si + 0x20]     ; the 16-bit sum wraps at 64 KiB
  lea ecx, [word 0x1234]
CASE_END ARITH|DF

CASE_TABLE
