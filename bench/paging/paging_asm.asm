; bench/paging/paging_asm.asm - the parts of the paging benchmark that must
; be exact machine code: the guest's #PF handler for the true-fault round
; trip, and a block of distinct PTE stores.
bits 32

TPF_BASE  equ 0x50000000            ; keep in sync with guest_main.c
TPF_PAGES equ 2048
PTE_P     equ 1
BLOCK_STORES equ 256

;; Both formats: ENTRY is the size of a page-table entry (4, or 8 with PAE;
;; the stores write its low dword, where P, the frame and A/D are).

section .text
global pf_handler, pte_store_block, pf_handler_pae, pte_store_block_pae
extern tpf_pt, tpf_faults, rt_isr_table

; #PF (vector 14, interrupt gate, error code on the stack).  A fault in the
; true-fault window is a demand-paging fault: set P in its PTE, INVLPG the
; page and return to retry the access (SDM vol. 3 4.10.4.1: the faulting
; translation is not cached, INVLPG is what a real kernel does anyway).
; Anything else goes to the runtime's common stub, which reports it.
%macro PF_HANDLER 2                     ; name, ENTRY
%1:
        push eax
        mov eax, cr2
        sub eax, TPF_BASE
        cmp eax, TPF_PAGES * 4096
        jae .other
        shr eax, 12
        or dword [tpf_pt + eax * %2], PTE_P
        mov eax, cr2
        invlpg [eax]
        inc dword [tpf_faults]
        pop eax
        add esp, 4                      ; the error code
        iretd
.other:
        pop eax
        jmp [rt_isr_table + 14 * 4]     ; same stack shape: error code on top
%endmacro

; void pte_store_block(pte_t *table, uint32_t pte, uint32_t linear)
; BLOCK_STORES different store instructions, each writing table[i] = pte and
; invalidating linear + i * 4096: with table a page table, every store is
; the first execution of its instruction on a traced page.
%macro PTE_STORE_BLOCK 2                ; name, ENTRY
%1:
        push ebx
        push esi
        mov ebx, [esp + 12]
        mov eax, [esp + 16]
        mov esi, [esp + 20]
%assign i 0
%rep BLOCK_STORES
        mov [ebx + i * %2], eax
        invlpg [esi + i * 4096]
%assign i i+1
%endrep
        pop esi
        pop ebx
        ret
%endmacro

PF_HANDLER pf_handler, 4
PF_HANDLER pf_handler_pae, 8
PTE_STORE_BLOCK pte_store_block, 4
PTE_STORE_BLOCK pte_store_block_pae, 8

section .note.GNU-stack noalloc noexec nowrite progbits
