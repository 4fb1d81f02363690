; smc_code.asm - code that the smc guest rewrites while it runs (see smc.c).
; Immediates are laid out by hand (db opcode, then a labelled dd) so that
; the C side knows exactly which bytes to patch.
bits 32

section .text

; uint32_t smc_loop_patch(void): ten passes of ADD EAX, imm32; during the
; fifth pass the loop rewrites the immediate from 1 to 100, so the last five
; passes must add 100: 5 * 1 + 5 * 100 = 505.  The loop body was translated
; and chained by then.
global smc_loop_patch
smc_loop_patch:
        mov dword [smc_loop_imm], 1
        xor eax, eax
        mov ecx, 10
smc_loop_top:
        db 0x05                         ; ADD EAX, imm32
smc_loop_imm:
        dd 1
        cmp ecx, 6
        jne smc_loop_next
        mov dword [smc_loop_imm], 100
smc_loop_next:
        dec ecx
        jnz smc_loop_top
        ret

; uint32_t smc_next(uint32_t v): stores v into the immediate of the very
; next instruction and runs it.  P6 and later see such a store at once
; (SDM vol. 3 section 8.1.3).
global smc_next
smc_next:
        mov eax, [esp + 4]
        mov [smc_next_imm], eax
        db 0xB8                         ; MOV EAX, imm32
smc_next_imm:
        dd 0
        ret

; uint32_t smc_get(void) returns the immediate that smc_set(v) writes.
global smc_get, smc_set
smc_get:
        db 0xB8                         ; MOV EAX, imm32
smc_get_imm:
        dd 0x600D
        ret
smc_set:
        mov eax, [esp + 4]
        mov [smc_get_imm], eax
        ret

; Two snippets the guest copies into a buffer and calls.
global snip_a, snip_a_end, snip_b, snip_b_end
snip_a:
        mov eax, 0xAAAA
        ret
snip_a_end:
snip_b:
        mov eax, 0xB0B
        add eax, eax
        ret
snip_b_end:

; A page of its own holding code and data side by side: the guest writes the
; data many times; the code must keep working and read what was written.
section .text.shared_page progbits alloc exec write align=4096
global page_fn, page_data, page_spare
page_fn:
        mov eax, [page_data]
        add eax, 1
        ret
        align 64
page_data:
        dd 0
page_spare:
        times 64 db 0

; no executable stack wanted (for the native link of compute_host, and tidy)
section .note.GNU-stack noalloc noexec nowrite progbits
