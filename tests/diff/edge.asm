; tests/diff/edge.asm - hand-written differential cases for the corners a
; random generator rarely reaches, and for the instructions a 32->64-bit
; translator must rewrite (no 64-bit form, or a different meaning there).
; Every case sets all registers and flags itself (INIT); masks follow the
; SDM's "Flags Affected" for the last flag-writing instruction.

%include "case.inc"

%define ALL (ARITH|DF)
%define B DIFF_BUF

; INIT eax, ecx, edx, eflags: pointers at fixed buffer offsets.
%macro INIT 4
  mov esp, DIFF_ESP0
  push dword (%4) | 2
  popfd
  mov eax, %1
  mov ecx, %2
  mov edx, %3
  mov ebx, B + 0x100
  mov esi, B + 0x200
  mov edi, B + 0x300
  mov ebp, B + 0x400
%endmacro

; ---- carry-in ----
CASE "adc-cf1"
  INIT 0xffffffff, 1, 0, CF
  adc eax, ecx
  adc edx, 0
CASE_END ALL
CASE "adc-cf0"
  INIT 0x7fffffff, 0, 0, 0
  adc eax, ecx
CASE_END ALL
CASE "adc8-af-of"
  INIT 0x7f, 0, 0, CF
  adc al, 0
CASE_END ALL
CASE "adc16-mem"
  INIT 0xffff, 0, 0, CF
  mov word [ebx], 0x8000
  adc [ebx], ax
CASE_END ALL
CASE "sbb-self"
  INIT 0x1234, 0, 0, CF
  sbb eax, eax
CASE_END ALL
CASE "sbb-borrow-of"
  INIT 0x80000000, 0, 0, CF
  sbb eax, 0
CASE_END ALL
CASE "sbb8-mem-borrow"
  INIT 0, 0, 0, CF
  mov byte [ebx+3], 0
  sbb byte [ebx+3], 0
CASE_END ALL

; ---- shifts by 0/1/31/32: a masked count of 0 leaves every flag alone ----
CASE "shl-0"
  INIT 0x80000001, 0, 0, CF|ZF|SF|OF|AF|PF
  shl eax, 0
CASE_END ALL
CASE "shl-cl0"
  INIT 0x12345678, 0, 0, CF|OF|PF
  shl eax, cl
CASE_END ALL
CASE "shl-1"
  INIT 0xc0000000, 0, 0, 0
  shl eax, 1
CASE_END ALL & ~AF
CASE "shl-31"
  INIT 3, 31, 0, 0
  shl eax, cl
CASE_END ALL & ~(AF|OF)
CASE "shl-32-is-0"
  INIT 0x80000001, 32, 0, ZF|OF
  shl eax, cl
CASE_END ALL
CASE "shr-31"
  INIT 0x80000000, 0, 0, 0
  shr eax, 31
CASE_END ALL & ~(AF|OF)
CASE "sar-31"
  INIT 0x80000000, 0, 0, 0
  sar eax, 31
CASE_END ALL & ~(AF|OF)
CASE "sar-32-is-0"
  INIT 0x80000000, 0, 0, CF|SF
  sar eax, 32
CASE_END ALL
CASE "shr-1-of"
  INIT 0x80000000, 0, 0, 0
  shr eax, 1
CASE_END ALL & ~AF
CASE "shl8-by9"
  INIT 0xff, 9, 0, 0
  shl al, cl
CASE_END ALL & ~(AF|OF|CF)
CASE "shr16-by16"
  INIT 0xffff8000, 16, 0, 0
  shr ax, cl
CASE_END ALL & ~(AF|OF|CF)
CASE "sar8-by7"
  INIT 0x80, 0, 0, 0
  sar al, 7
CASE_END ALL & ~(AF|OF)

; ---- rotates through carry by 9 / 17 / 33 ----
CASE "rcl8-9"
  INIT 0x81, 9, 0, CF
  rcl al, cl
CASE_END ALL & ~OF
CASE "rcr8-9"
  INIT 0x81, 9, 0, 0
  rcr al, cl
CASE_END ALL & ~OF
CASE "rcl8-10"
  INIT 0x81, 10, 0, CF
  rcl al, cl
CASE_END ALL & ~OF
CASE "rcl16-17"
  INIT 0x8001, 17, 0, CF
  rcl ax, cl
CASE_END ALL & ~OF
CASE "rcr16-17"
  INIT 0x8001, 0, 0, CF
  rcr ax, 17
CASE_END ALL & ~OF
CASE "rcl32-33"
  INIT 0x80000001, 33, 0, 0
  rcl eax, cl
CASE_END ALL
CASE "rcr32-33"
  INIT 0x80000001, 0, 0, CF
  rcr eax, 33
CASE_END ALL
CASE "rol8-8"
  INIT 0x81, 8, 0, 0
  rol al, cl
CASE_END ALL & ~OF
CASE "ror32-1"
  INIT 1, 0, 0, 0
  ror eax, 1
CASE_END ALL

; ---- divide with large dividends (quotient just fits) ----
CASE "div32-max"
  INIT 0xffffffff, 0xffffffff, 0xfffffffe, 0
  div ecx
CASE_END DF
CASE "div16-max"
  INIT 0xffff, 0xffff, 0xfffe, 0
  div cx
CASE_END DF
CASE "div8-max"
  INIT 0xfeff, 0xff, 0, 0
  div cl
CASE_END DF
CASE "idiv32-min"
  INIT 0x00000002, 0x7fffffff, 0xc0000000, 0
  idiv ecx
CASE_END DF
CASE "idiv32-neg"
  INIT 0x00000001, 0xfffffffd, 0xffffffff, 0
  idiv ecx
CASE_END DF
CASE "idiv8-min"
  INIT 0xc080, 0x7f, 0, 0
  idiv cl
CASE_END DF
CASE "idiv16-mem"
  INIT 0x0001, 0, 0xffff, 0
  mov word [ebx+6], 0xfff0
  idiv word [ebx+6]
CASE_END DF

; ---- string instructions: count 0, overlap, direction ----
CASE "rep-movsb-0"
  INIT 0, 0, 0, CF|ZF
  rep movsb
CASE_END ALL
CASE "repe-cmpsb-0"
  INIT 0, 0, 0, CF|ZF|SF|OF|PF|AF
  repe cmpsb
CASE_END ALL
CASE "rep-stosd-0-std"
  INIT 0x11223344, 0, 0, DF
  rep stosd
CASE_END ALL
CASE "movsb-overlap-down"
  INIT 0, 16, 0, 0
  std
  lea esi, [B + 0x20f]
  lea edi, [esi + 4]
  rep movsb
CASE_END ALL
CASE "movsd-overlap-down"
  INIT 0, 9, 0, 0
  std
  mov esi, B + 0x240
  mov edi, B + 0x242
  rep movsd
CASE_END ALL
CASE "movsb-overlap-up"
  INIT 0, 40, 0, 0
  mov edi, esi
  inc edi
  rep movsb
CASE_END ALL
CASE "repne-scasb-found"
  INIT 0, 40, 0, 0
  mov al, [edi + 17]
  repne scasb
CASE_END ALL
CASE "repe-cmpsd-equal"
  INIT 0, 8, 0, 0
  mov edi, esi
  repe cmpsd
CASE_END ALL
CASE "lodsw-std"
  INIT 0, 0, 0, DF
  lodsw
  lodsw
CASE_END ALL
CASE "rep-stosw"
  INIT 0xabcd, 37, 0, 0
  rep stosw
CASE_END ALL

; ---- stack corners ----
CASE "push-esp"
  INIT 0, 0, 0, 0
  push esp
  pop eax
CASE_END ALL
CASE "push-pop-esp"
  INIT 0, 0, 0, 0
  push esp
  pop esp
CASE_END ALL
CASE "pop-esp-value"
  INIT 0, 0, 0, 0
  push dword DIFF_ESP0 - 0x100
  pop esp
  push eax
CASE_END ALL
CASE "push-mem-esp4"
  INIT 0, 0, 0, 0
  push dword 1
  push dword 2
  push dword [esp + 4]
  pop eax
CASE_END ALL
CASE "pop-mem-esp"
  INIT 0, 0, 0, 0
  push dword 1
  push dword 2
  pop dword [esp]
  pop ecx
CASE_END ALL
CASE "pop-mem-esp4"
  INIT 0, 0, 0, 0
  push dword 1
  push dword 2
  push dword 3
  pop dword [esp + 4]
  pop ecx
  pop edx
CASE_END ALL
CASE "pushad-popad"
  INIT 1, 2, 3, 0
  pushad
  mov dword [esp + 12], 0       ; popad skips the ESP slot
  add dword [esp + 28], 5
  popad
CASE_END ALL
CASE "pushaw-popaw"
  INIT 0x11112222, 0x33334444, 0x55556666, 0
  pushaw
  add word [esp + 14], 1
  popaw
CASE_END ALL
CASE "push16-pop16"
  INIT 0x1234, 0, 0, 0
  push ax
  push word 0x5678
  pop ecx
CASE_END ALL
CASE "enter-leave"
  INIT 0, 0, 0, 0
  enter 16, 0
  mov [ebp - 4], esp
  leave
CASE_END ALL
CASE "enter-nested"
  INIT 0, 0, 0, 0
  enter 8, 2
  mov eax, [esp]
  leave
CASE_END ALL

; ---- exchanges ----
CASE "xchg-mem32"
  INIT 0xdeadbeef, 0, 0, 0
  xchg [ebx + 4], eax
CASE_END ALL
CASE "xchg-mem8"
  INIT 0, 0x5a, 0, 0
  xchg [ebx], cl
  xchg ch, [ebx + 1]
CASE_END ALL
CASE "xchg-mem16-sib"
  INIT 0, 3, 0xbeef, 0
  xchg word [esi + ecx*2 + 2], dx
CASE_END ALL
CASE "cmpxchg-hit"
  INIT 0, 0x77, 0, 0
  mov eax, [ebx]
  cmpxchg [ebx], ecx
CASE_END ALL
CASE "cmpxchg-miss"
  INIT 0, 0x77, 0, 0
  mov eax, [ebx]
  not eax
  cmpxchg [ebx], ecx
CASE_END ALL
CASE "xadd-mem"
  INIT 0x7fffffff, 0, 0, 0
  xadd [ebx + 8], eax
CASE_END ALL

; ---- addressing forms (LEA and real accesses) ----
CASE "lea-forms"
  INIT 0x1000, 0x20, 0x300, 0
  lea eax, [dword 0x12345678]
  lea ecx, [ebp]                ; [ebp] needs disp8 0
  lea edx, [nosplit ecx*4 + 0x1234]   ; SIB, no base
  lea esi, [esp]
  lea edi, [esp + ebp*2 + 8]
  lea ebx, [ebp + ecx*8]        ; SIB with EBP base: disp8 0
CASE_END ALL
CASE "lea-forms2"
  INIT 0x1000, 0x20, 0x300, 0
  lea eax, [eax + ecx - 0x80]
  lea ecx, [ecx + ecx*2]
  lea edx, [edx*8 + 0x7fffffff]
  lea bx, [ebx + 0x12345]       ; 16-bit destination
CASE_END ALL
CASE "abs-disp32"
  INIT 0x11, 0, 0, 0
  add [B + 0x20], eax           ; [disp32]: RIP-relative in 64-bit mode
  mov ecx, [B + 0x24]
  inc dword [B + 0x28]
CASE_END ALL
CASE "moffs"
  INIT 0xa5, 0, 0, 0
  mov [B + 0x30], al            ; A2 moffs: 64-bit offset in 64-bit mode
  mov eax, [B + 0x34]           ; A1
  mov [B + 0x38], ax            ; 66 A3
CASE_END ALL
CASE "ebp-disp0"
  INIT 0, 0, 0, 0
  mov eax, [ebp]
  add [ebp + 0], eax
CASE_END ALL
CASE "sib-nobase"
  INIT 0, 0x10, 0, 0
  mov eax, [nosplit ecx*4 + B]
  add [nosplit ecx*8 + B + 4], eax
CASE_END ALL
CASE "esp-base"
  INIT 0, 0, 0, 0
  push dword 7
  add dword [esp], 9
  mov eax, [esp]
  pop ecx
CASE_END ALL
CASE "xlat"
  INIT 0x37, 0, 0, 0
  xlatb
CASE_END ALL

; ---- instructions with no 64-bit encoding ----
CASE "inc-dec-short"
  INIT 0x7fffffff, 0, 0x80000000, CF
  inc eax
  dec edx
  inc ecx
CASE_END ALL
CASE "daa-das"
  INIT 0x79, 0, 0x35, 0
  add al, dl
  daa
CASE_END ALL & ~OF
CASE "das"
  INIT 0x35, 0, 0x47, 0
  sub al, dl
  das
CASE_END ALL & ~OF
CASE "aaa"
  INIT 0x0109, 0, 0, 0
  add al, 5
  aaa
CASE_END DF|AF|CF
CASE "aas"
  INIT 0x0203, 0, 0, 0
  sub al, 5
  aas
CASE_END DF|AF|CF
CASE "aam-aad"
  INIT 0x4f, 0, 0, 0
  aam
  mov ecx, eax
  aad
CASE_END DF|SF|ZF|PF
CASE "aam16"
  INIT 0xff, 0, 0, 0
  aam 16
CASE_END DF|SF|ZF|PF

; ---- flags instructions ----
CASE "lahf-sahf"
  INIT 0, 0, 0, CF|PF|AF|ZF|SF|OF
  lahf
  mov ecx, eax
  mov ah, 0x55
  sahf
CASE_END ALL
CASE "cmc-stc-clc"
  INIT 0, 0, 0, 0
  stc
  cmc
  cmc
  setc al
  clc
  setc ah
CASE_END ALL
CASE "popf-std"
  INIT 0, 0, 0, DF|OF
  pushfd
  and dword [esp], ARITH|DF     ; keep IF out of the compared stack
  pop eax
CASE_END ALL

; ---- control flow: loops, indirect branches, calls (return slots erased) ----
CASE "loop-jecxz"
  INIT 0, 5, 0, 0
.top:
  add eax, ecx
  loop .top
  jecxz .skip
  mov eax, -1
.skip:
CASE_END ALL
CASE "loopne"
  INIT 0, 10, 3, 0
.top:
  dec edx
  loopne .top
CASE_END ALL & ~CF
CASE "call-ret"
  INIT 0, 0, 0, 0
  call .f
  mov dword [esp - 4], 0        ; the return address differs between the sides
  jmp .out
.f:
  inc eax
  ret
.out:
CASE_END ALL
CASE "call-ret-imm"
  INIT 0, 0, 0, 0
  push dword 3
  push dword 4
  call .f
  mov dword [esp - 12], 0
  jmp .out
.f:
  mov eax, [esp + 4]
  add eax, [esp + 8]
  ret 8
.out:
CASE_END ALL
CASE "call-indirect"
  INIT 0, 0, 0, 0
  mov dword [ebx], .f
  mov ecx, .g
  call [ebx]
  call ecx
  mov dword [ebx], 0
  mov dword [esp - 4], 0
  xor ecx, ecx
  jmp .out
.f:
  add eax, 3
  ret
.g:
  add eax, 0x100
  ret
.out:
CASE_END ALL & ~AF
CASE "jmp-indirect"
  INIT 0, 0, 0, 0
  mov dword [ebx + 8], .b
  mov edx, .c
  jmp [ebx + 8]
.a:
  mov eax, 1
.b:
  add eax, 2
  jmp edx
  mov eax, -1
.c:
  mov dword [ebx + 8], 0
  xor edx, edx
CASE_END ALL & ~AF
CASE "call-pop-eip"
  INIT 0, 0, 0, 0
  call .here                    ; must push the GUEST return address
.here:
  pop eax
  sub eax, .here
  mov dword [esp - 4], 0
CASE_END ALL
CASE "push-ret"
  INIT 0, 0, 0, 0
  push dword .there
  ret
  mov eax, -1
.there:
  mov dword [esp - 4], 0
  inc eax
CASE_END ALL & ~CF

; ---- prefixes whose meaning changes in 64-bit mode ----
CASE "pushfw-popfw"
  INIT 0, 0, 0, 0
  push word ARITH|DF
  popfw
  pushfw
  and word [esp], ARITH|DF      ; IF differs between the sides
  pop cx
CASE_END ALL

; ---- ESP as an ordinary operand ----
CASE "esp-alu"
  INIT 0, 0, 0, 0
  sub esp, 12
  mov [esp + 4], esp
  and esp, -16
  lea esp, [esp + 8]
  mov eax, esp
  add esp, 0x20
CASE_END ALL
CASE "xchg-esp"
  INIT DIFF_ESP0 - 0x40, 0, 0, 0
  xchg eax, esp
  push dword 5
  xchg esp, eax
  mov ecx, [eax]
CASE_END ALL
CASE "cmpxchg8b-hit"
  INIT 0, 0x11111111, 0, 0
  mov eax, [ebx]
  mov edx, [ebx + 4]
  mov ebx, 0x22222222
  cmpxchg8b [esi - 0x100]       ; esi - 0x100 = the old ebx
CASE_END ALL & ~(CF|PF|AF|SF|OF)
CASE "cmpxchg8b-miss"
  INIT 1, 2, 3, 0
  cmpxchg8b [ebx + 8]
CASE_END ALL & ~(CF|PF|AF|SF|OF)
CASE "nops"
  INIT 0, 0, 0, 0
  nop
  nop dword [eax + eax*1 + 0]
  nop word [eax + eax*1 + 0x12345678]
  pause
  xchg ax, ax
CASE_END ALL

CASE_TABLE
