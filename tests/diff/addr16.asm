; tests/diff/addr16.asm - the address-size prefix (0x67) in 32-bit code:
; 16-bit addressing, JCXZ and LOOP on CX.
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
; In 64-bit mode 67 E3 is JECXZ and 67 E2 a LOOP on ECX: copied as they are,
; these would test the wrong register.
CASE "jcxz-a16"
  INIT
  mov ecx, 0x10000
  jcxz .taken                   ; 67 E3: tests CX, not ECX
  mov eax, -1
.taken:
  jecxz .wrong
  add eax, 2
.wrong:
CASE_END ARITH|DF
CASE "loop-cx"
  INIT
  mov ecx, 0x10002
.top:
  inc eax
  loop .top, cx                 ; 67 E2: counts in CX
CASE_END ARITH|DF

CASE_TABLE
