; bench/paging/paging_asm.asm - the parts of the paging benchmark that must
; be exact machine code: the guest's #PF handler for the true-fault round
; trip, and a block of distinct PTE stores.
bits 32

TPF_BASE  equ 0x50000000            ; keep in sync with guest_main.c
TPF_PAGES equ 2048
PTE_P     equ 1
BLOCK_STORES equ 256

section .text
global pf_handler, pte_store_block
extern tpf_pt, tpf_faults, rt_isr_table

; #PF (vector 14, interrupt gate, error code on the stack).  A fault in the
; true-fault window is a demand-paging fault: set P in its PTE, INVLPG the
; page and return to retry the access (SDM vol. 3 4.10.4.1: the faulting
; translation is not cached, INVLPG is what a real kernel does anyway).
; Anything else goes to the runtime's common stub, which reports it.
pf_handler:
        push eax
        mov eax, cr2
        sub eax, TPF_BASE
        cmp eax, TPF_PAGES * 4096
        jae .other
        shr eax, 12
        or dword [tpf_pt + eax * 4], PTE_P
        mov eax, cr2
        invlpg [eax]
        inc dword [tpf_faults]
        pop eax
        add esp, 4                      ; the error code
        iretd
.other:
        pop eax
        jmp [rt_isr_table + 14 * 4]     ; same stack shape: error code on top

; void pte_store_block(uint32_t *table, uint32_t pte, uint32_t linear)
; BLOCK_STORES different store instructions, each writing table[i] = pte and
; invalidating linear + i * 4096: with table a page table, every store is
; the first execution of its instruction on a traced page.
pte_store_block:
        push ebx
        push esi
        mov ebx, [esp + 12]
        mov eax, [esp + 16]
        mov esi, [esp + 20]
%assign i 0
%rep BLOCK_STORES
        mov [ebx + i * 4], eax
        invlpg [esi + i * 4096]
%assign i i+1
%endrep
        pop esi
        pop ebx
        ret

section .note.GNU-stack noalloc noexec nowrite progbits
