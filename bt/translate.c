/*
 * bt/translate.c - turning guest ring-0 code into host 64-bit code.
 *
 * One translation unit (TU) covers guest instructions from a start address
 * until an unconditional control transfer, a sensitive instruction, a page
 * boundary or BT_MAX_INSNS.  Conditional branches do not end it: the taken
 * side leaves through an exit stub, the fall-through goes on (a superblock).
 *
 * Each guest instruction is classified once (bt/classify.c, by mnemonic and
 * operands) and handled by the translation routine of its class:
 *   copy     - bt/xl_copy.c: copied byte for byte; an explicit memory operand
 *              gets GS and 0x67 (and [disp32] becomes SIB-absolute, since
 *              mod=00 rm=101 means RIP-relative in 64-bit mode)
 *   stack    - bt/xl_stack.c: push/pop/pusha/popa/enter/leave through GS:[ESP]
 *   branches - bt/xl_branch.c: exit stubs that are later patched into direct
 *              jumps; indirect targets through the lookup table
 *   string   - bt/xl_string.c: the host's REP MOVS/STOS, or a loop
 *   cli/sti/cld/std - inline stores into struct vcpu (here)
 *   emulate  - the TU ends with an exit; cpu/emulate.c carries it out
 * bt/xl_helpers.c has what they share (guest memory operands, exits, stubs).
 *
 * Invariant that makes faults precise: within the host code of one guest
 * instruction, every host instruction that can fault comes before the first
 * one that changes guest-visible state.  A fault therefore always finds the
 * guest state of the start of that instruction (bt_host_fault maps it back).
 */
#include <stdio.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include "bt/xlat.h"
#include "bt/tc.h"
#include "cpu/machine.h"
#include "cpu/counters.h"
#include "shadow_mmu/mmu.h"
#include "shadow_mmu/shadow.h"
#include "cpu/exceptions.h"
#include "cpu/emulate.h"
#include "cpu/fpu.h"
#include "devices/device.h"

/* A sensitive instruction: leave the TU; the run loop emulates it. */
void xl_emulate(struct xlat *x)
{
    emit_exit(x, x->eip, EXIT_EMULATE);
    x->ended = true;
}

/* ---- the TU loop -------------------------------------------------------- */

const ZydisDecoder *xl_decoder(void)
{
    static ZydisDecoder d;
    static bool init;
    if (!init) {
        ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
        init = true;
    }
    return &d;
}

/* Fetch and decode the instruction at x->eip.  0 ok; -1 fetch fault (f set);
 * -2 undecodable; -3 its first byte is outside RAM and outside any ROM. */
static int fetch_decode(struct xlat *x, uint32_t *pa, struct mmu_fault *f)
{
    struct vcpu *c = x->c;
    /* CPL-3 code is fetched with user rights: a supervisor page is a #PF
     * with U set, as on hardware; an execute-disabled page is a #PF with
     * I/D set (PAE with EFER.NXE). */
    unsigned acc = ACC_FETCH | (x->user ? ACC_USER : 0);
    x->lin = c->seg[S_CS].base + x->eip;
    enum mmu_result where = mmu_translate(c, x->lin, acc, pa, f);
    if (where == MMU_PAGE_FAULT)
        return -1;
    /* Code outside RAM runs only from a ROM (the firmware below 4 GiB,
     * devices/rom.h), whose bytes mmu_read reads through the bus and
     * which never changes, so its translations need no write tracking. */
    if (where == MMU_NOT_RAM && !io_mmio_fetchable(vm_io(x->vm), *pa, 1))
        return -3;
    /* Read up to 15 bytes, stopping short at a page we cannot read. */
    uint32_t n = 15;
    memset(x->bytes, 0, sizeof x->bytes);
    if (mmu_read(c, x->lin, x->bytes, n, acc, NULL) != MMU_OK) {
        n = GUEST_PAGE_SIZE - (x->lin & (GUEST_PAGE_SIZE - 1));
        if (n > 15)
            n = 15;
        mmu_read(c, x->lin, x->bytes, n, acc, NULL);
    }
    ZyanStatus st = ZydisDecoderDecodeFull(x->t16 ? xl_decoder16() : xl_decoder(), x->bytes, n,
                                           &x->ins, x->ops);
    /* The instruction goes on into the next page and that page cannot be
     * fetched from: the processor's fetch of its first byte there faults
     * (CR2 = that byte, EIP = the instruction; SDM vol. 3A 4.7).  Raised
     * here, not left to the emulator, so that no translation is cached for
     * an instruction not yet seen whole. */
    if (st == ZYDIS_STATUS_NO_MORE_DATA && n < 15) {
        uint32_t next_pa;
        if (mmu_translate(c, x->lin + n, acc, &next_pa, f) != MMU_OK)
            return -1;
    }
    if (ZYAN_FAILED(st))
        return -2;
    x->next_eip = x->eip + x->ins.length;
    /* 16-bit code with a 64 KiB CS limit (bt_code16): an instruction
     * that does not end within it is the emulator's (#GP(0)). */
    if (x->t16 && x->c->seg[S_CS].limit == 0xFFFF && x->next_eip - 1 > 0xFFFF)
        return -2;
    return 0;
}

static void translate_one(struct xlat *x, enum kind k)
{
    switch (k) {
    case K_COPY: xl_copy(x); break;
    case K_INCDEC_SHORT: xl_incdec_short(x); break;
    case K_LOOP_CX: xl_loop_cx(x); break;
    case K_PUSHFD: xl_pushfd(x); break;
    case K_PUSH_SREG: xl_push_sreg(x); break;
    case K_MOV_FROM_SREG: xl_mov_from_sreg(x); break;
    case K_MOV_FROM_CR: xl_mov_from_cr(x); break;
    case K_RDTSC: xl_rdtsc(x); break;
    case K_POP_SREG: xl_pop_sreg(x); break;
    case K_MOV_TO_SREG: xl_mov_to_sreg(x); break;
    case K_VERW: xl_verw(x); break;
    case K_POPFD: xl_popfd(x); break;
    case K_IRETD: xl_iretd(x); break;
    case K_PUSH: xl_push(x); break;
    case K_POP: xl_pop(x); break;
    case K_PUSHA: xl_pusha(x); break;
    case K_POPA: xl_popa(x); break;
    case K_CALL: xl_call(x); break;
    case K_RET: xl_ret(x); break;
    case K_JMP: xl_jmp(x); break;
    case K_JCC: xl_jcc(x); break;
    case K_LOOP: xl_loop(x); break;
    case K_LEAVE: xl_leave(x); break;
    case K_ENTER: xl_enter(x); break;
    case K_STRING: xl_string(x); break;
    case K_EMULATE: xl_emulate(x); break;
    case K_STACK16: xl_stack16(x); break;
    case K_BRANCH16: xl_branch16(x); break;
    case K_STRING16: xl_string16(x); break;
    case K_CLI: {
        static const uint8_t op = 0xC6;     /* mov byte [r15+vif], 0 */
        emit_mem(&x->e, 0, &op, 1, 0, H_R15, -1, 1, VCPU_OFF_VIF);
        emit_byte(&x->e, 0);
        break;
    }
    case K_STI: {
        static const uint8_t op = 0xC6;
        emit_mem(&x->e, 0, &op, 1, 0, H_R15, -1, 1, VCPU_OFF_VIF);
        emit_byte(&x->e, 1);
        /* Interrupts are recognised after the next instruction (the STI
         * shadow): end the TU there, and look at the "any event" page. */
        x->end_after = 2;
        break;
    }
    case K_CLD:
    case K_STD: {
        static const uint8_t op = 0xC7;     /* mov qword [r15+str_step], +-1 */
        emit_mem(&x->e, EM_W, &op, 1, 0, H_R15, -1, 1, VCPU_OFF_STR_STEP);
        emit_u32(&x->e, k == K_CLD ? 1u : 0xFFFFFFFFu);
        break;
    }
    }
}

/*
 * Before an FPU, MMX or SSE instruction: read one byte of the gate page of
 * its class (cpu/fpu.h).  The page is unreadable when CR0.TS/EM/MP or
 * CR4.OSFXSR forbid the class, so the read faults before the instruction
 * changed anything and the signal handler raises #NM or #UD at its EIP.
 * Two loads, no flags: the translation need not know CR0, so CLTS and a
 * task switch setting TS invalidate nothing.
 *   mov r11, [r15+fpu_gate] ; mov r11b, [r11 + (class-1)*4096]
 */
static void emit_fpu_gate(struct xlat *x, enum fpu_class k)
{
    static const uint8_t mov = 0x8B, movb = 0x8A;
    emit_mem(&x->e, EM_W, &mov, 1, H_R11, H_R15, -1, 1, VCPU_OFF_FPU_GATE);
    emit_mem(&x->e, 0, &movb, 1, H_R11, H_R11, -1, 1, (int32_t)(k - 1) * 4096);
}

void record_map(struct xlat *x, unsigned fix)
{
    struct tc *tc = x->tc;
    if (tc->nmap < TC_MAX_MAP) {
        tc->map[tc->nmap].host_off = (uint32_t)(x->e.p - x->tu->code);
        tc->map[tc->nmap].eip = x->eip;
        tc->map[tc->nmap].fix = (uint8_t)fix;
        tc->nmap++;
        x->tu->ninsn++;
    }
}

static void record_insn(struct xlat *x)
{
    record_map(x, 0);
}

static void emit_stubs(struct xlat *x)
{
    for (int i = 0; i < x->nstubs; i++) {
        uint8_t *stub = x->e.p;
        emit_ctx_store_imm32(&x->e, VCPU_OFF_EIP, x->stubs[i].target);
        /* mov r8, site ; mov [r15+exit_arg], r8 */
        emit_byte(&x->e, 0x49);
        emit_byte(&x->e, 0xB8);
        emit_u64(&x->e, (uint64_t)(uintptr_t)x->stubs[i].site);
        static const uint8_t st = 0x89;
        emit_mem(&x->e, EM_W, &st, 1, H_R8, H_R15, -1, 1, VCPU_OFF_EXIT_ARG);
        emit_ctx_store_imm32(&x->e, VCPU_OFF_REASON, EXIT_LINK);
        emit_jmp(&x->e, x->tc->exit_tramp);
        if (!x->e.overflow)
            patch_rel32(x->stubs[i].site, stub);
    }
}

/* Translate at the current CS:EIP into a new TU.  Returns NULL when the TC
 * is full (caller flushes and retries), or for good (*final = true) when
 * the first fetch faulted (the exception has been raised) or an unsupported
 * instruction stopped the run. */
static struct tu *translate(struct vm *vm, bool single, bool *final)
{
    struct tc *tc = tc_of(vm);
    struct vcpu *c = vm_cpu(vm);
    struct xlat x = { .vm = vm, .c = c, .tc = tc, .user = bt_user_mode(c), .single = single,
                      .t16 = bt_code16(c) };
    *final = false;
    if (tc->free + 4096 + BT_MAX_INSNS * 160 > tc->end || tc->ntus + 1 >= TC_MAX_TUS ||
        tc->nmap + BT_MAX_INSNS >= TC_MAX_MAP)
        return NULL;
    x.tu = tc_alloc(tc);
    x.tu->user = x.user;
    x.tu->table = (uint8_t)bt_table(vm);
    x.tu->mkey = bt_mode_key(c);
    x.tu->view = x.user ? (uint8_t)shadow_current_view(vm) : 0;
    x.tu->code = tc->free;
    x.tu->map_first = tc->nmap;
    x.e = (struct emit){ tc->free, tc->end, false };
    x.eip = c->eip;
    uint32_t first_pa = 0, max = single ? 1 : BT_MAX_INSNS;

    for (uint32_t n = 0; n < max && !x.ended; n++) {
        uint32_t pa;
        struct mmu_fault f;
        int r = fetch_decode(&x, &pa, &f);
        if (n == 0) {
            if (r == -1) {
                tc->nmap = x.tu->map_first;
                c->cr2 = f.cr2;
                cpu_raise(c, EXC_PF, f.error);
                *final = true;
                return NULL;
            }
            if (r == -3) {
                /* Device memory or nothing at all: what the bus would
                 * give as code is not something to run (as under KVM). */
                tc->nmap = x.tu->map_first;
                vm_unsupported(vm, "instruction fetch from a non-RAM address");
                *final = true;
                return NULL;
            }
            x.tu->lin = x.lin;
            x.tu->eip = x.eip;
            x.tu->page[0] = x.tu->page[1] = pa & ~(GUEST_PAGE_SIZE - 1);
            first_pa = pa;
            record_insn(&x);
            /* Every TU starts by looking at the "deliverable interrupt" page. */
            static const uint8_t poll[] = { 0x45, 0x8A, 0x45, 0x00 };  /* mov r8b, [r13] */
            emit_bytes(&x.e, poll, sizeof poll);
        } else {
            /* Stop at a fault, an undecodable instruction or a new page,
             * linear or physical (a TU's pages are its first and last
             * byte's: tu_lin_pages): the next TU will meet it as its first
             * instruction. */
            if (r != 0 || (pa & ~(GUEST_PAGE_SIZE - 1)) != (first_pa & ~(GUEST_PAGE_SIZE - 1)) ||
                ((x.lin ^ x.tu->lin) & ~(GUEST_PAGE_SIZE - 1))) {
                emit_goto(&x, x.eip);
                x.ended = true;
                break;
            }
            record_insn(&x);
        }
        /* A debugger breakpoint: leave before the instruction (not for the
         * first instruction of a single step, which resumes from one). */
        if (!(single && n == 0) && vm_breakpoint_at(vm, x.lin)) {
            emit_exit(&x, x.eip, EXIT_DEBUG);
            x.ended = true;
            break;
        }
        if (r == -2) {                      /* let the emulator raise #UD or report */
            xl_emulate(&x);
            break;
        }
        /* An instruction that straddles a page boundary covers both pages. */
        uint32_t last_lin = x.lin + x.ins.length - 1, last_pa;
        if (((last_lin ^ x.lin) & ~(GUEST_PAGE_SIZE - 1)) &&
            mmu_translate(c, last_lin, ACC_FETCH | ACC_NOSET | (x.user ? ACC_USER : 0), &last_pa,
                          NULL) == MMU_OK)
            x.tu->page[1] = last_pa & ~(GUEST_PAGE_SIZE - 1);
        enum kind k = x.t16 ? classify16(&x) : classify(&x);
        enum fpu_class fk = fpu_class(&x.ins, x.ops);
        if (fk != FPU_NONE)
            emit_fpu_gate(&x, fk);
        translate_one(&x, k);
        if (x.stopped) {
            *final = true;
            return NULL;
        }
        x.tu->guest_len = x.next_eip - x.tu->eip;
        tc->stats->bt_guest_insns++;
        if (x.t16)
            tc->stats->bt16_guest_insns++;
        if (x.t16 && (c->eflags & FL_VM))
            tc->stats->bt_v86_insns++;
        x.eip = x.next_eip;
        if (x.end_after && --x.end_after == 0 && !x.ended) {
            /* After the STI shadow: if anything is pending, leave here. */
            x.lin = c->seg[S_CS].base + x.eip;
            record_insn(&x);
            static const uint8_t poll_any[] = { 0x45, 0x8A, 0x04, 0x24 };  /* mov r8b, [r12] */
            emit_bytes(&x.e, poll_any, sizeof poll_any);
            emit_goto(&x, x.eip);
            x.ended = true;
        }
    }
    if (!x.ended) {
        if (single) {
            emit_exit(&x, x.eip, EXIT_STEP);
        } else {
            /* Fell off the instruction limit, or the last insn was a jcc. */
            emit_goto(&x, x.eip);
        }
    }
    emit_stubs(&x);
    if (x.e.overflow) {
        tc->nmap = x.tu->map_first;
        return NULL;
    }
    x.tu->code_len = (uint32_t)(x.e.p - x.tu->code);
    tc->free = (uint8_t *)(((uintptr_t)x.e.p + 15) & ~(uintptr_t)15);
    tc->stats->bt_tc_bytes += x.tu->code_len;
    return x.tu;
}

void *bt_find_or_translate(struct vm *vm, bool single)
{
    struct vcpu *c = vm_cpu(vm);
    struct tc *tc = tc_of(vm);
    classify_init();
    /* 16-bit code reads its segment bases at run time: only 32-bit
     * translations depend on the segment key. */
    bool code16 = bt_code16(c);
    if (!code16 && bt_segment_key(c) != tc->seg_key)
        bt_flush(vm, "segment bases changed");
    uint32_t lin = c->seg[S_CS].base + c->eip;
    uint64_t mkey = bt_mode_key(c);
    if (!single) {
        int table = bt_table(vm);
        struct tu *tu = tc_find_key(tc, lin, table, mkey);
        if (!tu)
            tu = tc_revive(vm, lin, table, mkey);
        if (tu) {
            /* Put it back in the indirect-branch table: it may have been
             * displaced by another EIP with the same slot (an indirect
             * branch that missed comes here). */
            bt_lookup_install(vm, tu);
            return tu->code;
        }
    }
    bool final;
    struct tu *tu = translate(vm, single, &final);
    if (!tu && !final) {
        bt_flush(vm, "translation cache full");
        tu = translate(vm, single, &final);
    }
    if (!tu)
        return NULL;
    tc_insert(tc, tu);
    if (tu->user && !single)
        tc_note_user(tc, tu);
    else if (!single && !tc_note_kernel(vm, tu)) {
        vm_stop(vm, VMM_EXIT_ERROR, "out of memory for the translation cache");
        return NULL;
    }
    if (single) {
        /* Not findable: it runs once, on a page that is being written. */
        tu->valid = false;
        tu->lin = ~0u;
    } else {
        tc->stats->bt_blocks++;
        if (code16)
            tc->stats->bt16_blocks++;
        shadow_code_page(vm, tu->page[0], true);
        if (tu->page[1] != tu->page[0])
            shadow_code_page(vm, tu->page[1], true);
        bt_lookup_install(vm, tu);
    }
    if (vm_tracing(vm))
        fprintf(stderr, "[bt] TU #%u eip=%08x %u insns, %u host bytes%s%s%s\n", tc->ntus - 1,
                tu->eip, tu->ninsn, tu->code_len, single ? " (single step)" : "",
                tu->user ? " (CPL 3)" : "", code16 ? " (16-bit)" : "");
    vm_block_translated(vm, lin, tu->guest_len, tu->code, tu->code_len);
    return tu->code;
}
