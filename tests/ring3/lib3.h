/*
 * tests/ring3/lib3.h - a tiny "kernel that runs user programs" for the ring-3
 * test guests (direct execution of guest ring 3).
 *
 * Contract: built on tests/guests/lib (rt.h).  r3_init() points TSS.SS0:ESP0
 * at a kernel trap stack of its own, installs INT 0x80 as a DPL-3 trap gate
 * and takes over rt_hook.  r3_run(fn, eflags) then IRETs to `fn` at CPL 3
 * (CS=RT_UCODE, SS=DS=ES=FS=GS=RT_UDATA) on a user stack, and returns to
 * its caller, at CPL 0 on the boot stack, when user code makes the SYS_EXIT
 * call (or `fn` returns: its return address is a SYS_EXIT stub), with the
 * value passed.  The kernel can also end a run from any handler with
 * r3_return().
 *
 * Ring 3 cannot do port I/O, so it cannot print or end the test itself: it
 * reports through system calls (int 0x80, function number in EAX, arguments
 * in EBX, ECX, EDX, ESI), and the kernel side prints and checks.
 *
 * Every event goes to r3_dispatch (rt_hook).  INT 0x80 from CPL 3 with a
 * function below SYS_TEST is handled here; anything else goes to the test's
 * r3_on_event, which gets the frame with the user SS:ESP the CPU pushed on
 * the privilege change (struct r3_frame).  With no r3_on_event, or for a
 * frame from CPL 0 that the test did not expect, the guest fails with 127.
 *
 * Check numbers 100..125 belong to this library; tests use 1..99.
 */
#ifndef RING3_LIB3_H
#define RING3_LIB3_H

#include "rt.h"

#define R3_SYSCALL_VECTOR 0x80

/* System-call numbers (EAX at INT 0x80). */
enum {
    SYS_EXIT = 0,       /* EBX = value r3_run returns */
    SYS_FAIL = 1,       /* EBX = check number, ECX = got, EDX = want, ESI = text */
    SYS_PUTS = 2,       /* ESI = NUL-terminated text for COM1 */
    SYS_TEST = 16,      /* first number left to the test's r3_on_event */
};

/* The frame of an event taken at CPL 3: the common frame of rt.h followed by
 * the user stack pointer and segment the CPU pushed (SDM vol. 3 6.12.1). */
struct r3_frame {
    struct trap_frame t;
    uint32_t esp, ss;
};

static inline bool r3_from_user(const struct trap_frame *f)
{
    return (f->cs & 3) == 3;
}

extern void (*volatile r3_on_event)(struct r3_frame *f);
extern uint32_t r3_user_stack_top;          /* ESP fn starts with, plus 4 */
extern uint32_t r3_kernel_stack_top;        /* TSS.ESP0 */

void r3_init(void);
/* The 8259 pair at vectors 0x20/0x28 with only IRQ 0 unmasked, and PIT
 * channel 0 in mode 2 at hz: timer interrupts for the tests that need them
 * (the handler must send the EOI: outb(0x20, 0x20)). */
void r3_timer_start(uint32_t hz);
uint32_t r3_run(uint32_t (*fn)(void), uint32_t eflags);
void r3_return(uint32_t value) __attribute__((noreturn));

/* Check that f came from CPL 3 with the guest's user selectors (the guest
 * kernel must see RT_UCODE/RT_UDATA, never the host's), and, unless
 * want_esp is RT_ANY, that the pushed user ESP is want_esp. */
void r3_check_user_frame(int n, const struct r3_frame *f, uint32_t want_esp,
                         const char *what);

/* Paging: identity-map the first R3_MAPPED_MIB MiB with 4 KiB pages, all
 * present, writable and user-accessible except linear page 0 (not present),
 * load CR3 and set CR0.PG.  r3_pte() gives the entry of a mapped page so a
 * test can change its flags (then r3_invlpg). */
#define R3_MAPPED_MIB 8
#define PTE_P 0x001u
#define PTE_W 0x002u
#define PTE_U 0x004u
void r3_paging_on(void);
uint32_t *r3_pte(uint32_t linear);
static inline void r3_invlpg(uint32_t linear)
{
    asm volatile("invlpg (%0)" :: "r"(linear) : "memory");
}

#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_NE 0x00000020u
#define CR0_AM 0x00040000u
#define CR0_PG 0x80000000u
#define CR4_OSFXSR 0x0200u
#define CR4_OSXMMEXCPT 0x0400u
#define EFL_AC 0x40000u

static inline uint32_t read_cr0(void) { uint32_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr2(void) { uint32_t v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr4(void) { uint32_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint32_t v) { asm volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }
static inline void write_cr4(uint32_t v) { asm volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }

/* ---- for code that runs at CPL 3 ------------------------------------------ */

static inline uint32_t u_syscall(uint32_t nr, uint32_t b, uint32_t c, uint32_t d,
                                 uint32_t s)
{
    uint32_t ret;
    asm volatile("int $0x80"
                 : "=a"(ret) : "a"(nr), "b"(b), "c"(c), "d"(d), "S"(s) : "memory");
    return ret;
}

static inline void u_puts(const char *s)
{
    u_syscall(SYS_PUTS, 0, 0, 0, (uint32_t)s);
}

/* A failed check in user code: the kernel prints it and ends the test. */
static inline void u_fail(int n, uint32_t got, uint32_t want, const char *what)
{
    u_syscall(SYS_FAIL, (uint32_t)n, got, want, (uint32_t)what);
}

#define U_CHECK_EQ(n, got, want, what) do { \
        uint32_t ugot_ = (uint32_t)(got), uwant_ = (uint32_t)(want); \
        if (ugot_ != uwant_) \
            u_fail((n), ugot_, uwant_, (what)); \
    } while (0)

#endif
