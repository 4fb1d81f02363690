/*
 * tests/guests/lib/rt.h - the tiny runtime shared by the project's test guests.
 *
 * Contract: every test guest is a Multiboot v1 kernel linked at 1 MiB with
 * lib/entry.asm (header, stack, GDT, TSS, IDT) and lib/rt.c.  The guest
 * provides `void test_main(void)`; it runs at CPL 0 with flat segments
 * (CS=RT_KCODE, DS=ES=FS=GS=SS=RT_KDATA), TR=RT_TSS and IF=0.
 *
 * Pass/fail convention (docs/testing.md): returning from test_main prints
 * "PASS" and writes 0 to the debug-exit port 0xF4 (vmm exits with status 1).
 * CHECK(n, ...) failing prints "FAIL <n>: <what>" on COM1 and writes n to the
 * port (status 2n+1).  Check numbers are 1..125 and unique within a guest;
 * 126 means the Multiboot hand-off was wrong, 127 an unexpected exception.
 *
 * Exceptions: all 256 IDT entries go to one handler that saves the frame in
 * rt_trap and then
 *   - calls rt_hook when it is set (the hook may change the frame), else
 *   - resumes at rt_resume when it is non-zero (and clears it), else
 *   - fails with check 127 ("unexpected exception").
 */
#ifndef GUESTS_RT_H
#define GUESTS_RT_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

/* GDT layout (selectors) */
#define RT_KCODE   0x08
#define RT_KDATA   0x10
#define RT_UCODE   0x1B     /* 0x18 | RPL 3 */
#define RT_UDATA   0x23     /* 0x20 | RPL 3 */
#define RT_TSS     0x28
#define RT_GDT_FREE 6       /* first GDT index a test may use */
#define RT_GDT_ENTRIES 16

/* Descriptor access bytes (bits 40..47) */
#define ACC_CODE0  0x9A     /* present, DPL 0, code, readable */
#define ACC_DATA0  0x92     /* present, DPL 0, data, writable */
#define ACC_CODE3  0xFA
#define ACC_DATA3  0xF2
#define ACC_TSS32  0x89     /* present, DPL 0, available 32-bit TSS */
#define ACC_LDT    0x82
/* Descriptor flags nibble (bits 52..55): G and D/B */
#define FLG_4K32   0xC
#define FLG_BYTE32 0x4

/* IDT gate type/attribute bytes */
#define GATE_INT0   0x8E    /* 32-bit interrupt gate, DPL 0: clears IF */
#define GATE_TRAP0  0x8F    /* 32-bit trap gate, DPL 0: leaves IF */
#define GATE_INT3   0xEE
#define GATE_TRAP3  0xEF

#define EFL_CF 0x001u
#define EFL_PF 0x004u
#define EFL_AF 0x010u
#define EFL_ZF 0x040u
#define EFL_SF 0x080u
#define EFL_TF 0x100u
#define EFL_IF 0x200u
#define EFL_DF 0x400u
#define EFL_OF 0x800u
#define EFL_IOPL 0x3000u
#define EFL_ARITH (EFL_CF | EFL_PF | EFL_AF | EFL_ZF | EFL_SF | EFL_OF)

/* What the common handler saw; the layout is the stack built by entry.asm. */
struct trap_frame {
    uint32_t es, ds;
    uint32_t handler_eflags;    /* EFLAGS inside the handler (IF after the gate) */
    uint32_t edi, esi, ebp, esp0, ebx, edx, ecx, eax;   /* PUSHAD */
    uint32_t vector, error;
    uint32_t eip, cs, eflags;   /* pushed by the CPU */
};

struct rt_trap {
    uint32_t count;             /* exceptions/interrupts taken so far */
    uint32_t esp;               /* ESP when it happened (same-privilege frames) */
    struct trap_frame f;        /* the last one */
};

struct dtr32 {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

struct tss32 {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap;
};

extern volatile struct rt_trap rt_trap;
extern volatile uint32_t rt_resume;
extern void (*volatile rt_hook)(struct trap_frame *f);
extern uint64_t rt_gdt[RT_GDT_ENTRIES];
extern struct tss32 rt_tss;
extern uint64_t rt_idt[256];
extern struct dtr32 rt_gdtr, rt_idtr;
extern const uint32_t rt_isr_table[256];
extern uint32_t rt_mb_magic, rt_mb_info;

/* The test itself. */
void test_main(void);

/* Serial console (COM1) */
void rt_putc(char c);
void rt_puts(const char *s);
void rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Ending the run through the debug-exit port. */
void rt_exit(uint8_t value) __attribute__((noreturn));
void rt_fail(int n, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

#define CHECK(n, cond, ...) \
    do { if (!(cond)) rt_fail((n), __VA_ARGS__); } while (0)
#define CHECK_EQ(n, got, want, what) do { \
        uint32_t got_ = (uint32_t)(got), want_ = (uint32_t)(want); \
        if (got_ != want_) \
            rt_fail((n), "%s: got 0x%x, want 0x%x", (what), got_, want_); \
    } while (0)

/*
 * TRY("insn", : outputs : inputs : clobbers) runs one instruction (or a short
 * sequence) that may raise an exception; the handler then resumes right
 * after it.  rt_try_insn/rt_try_next hold the addresses of the instruction
 * and of what follows, for checking the EIP the exception reported.
 * Take `uint32_t n0 = rt_trap.count` before and check with rt_check_exc().
 */
extern volatile uint32_t rt_try_insn, rt_try_next;
#define TRY(insn, ...) asm volatile( \
        "movl $2f, rt_try_insn\n\t" \
        "movl $1f, rt_try_next\n\t" \
        "movl $1f, rt_resume\n" \
        "2:\t" insn "\n" \
        "1:\tmovl $0, rt_resume" __VA_ARGS__)

#define RT_ANY 0xFFFFFFFFu
/* Exactly one exception `vector` with `error` (RT_ANY: not checked) at EIP
 * `eip` since the trap count was n0. */
void rt_check_exc(int n, uint32_t n0, uint32_t vector, uint32_t error,
                  uint32_t eip, const char *what);
/* No exception since the trap count was n0. */
void rt_check_no_exc(int n, uint32_t n0, const char *what);

/* A 32-bit TSS followed by an I/O permission bitmap for ports 0-0x3FF and
 * the byte of ones that must end it (SDM vol. 1 19.5.2). */
struct rt_iomap_tss {
    struct tss32 t;
    uint8_t map[0x400 / 8];
    uint8_t end;
} __attribute__((packed));
/* Clear *tss, give it the ring-0 stack RT_KDATA:esp0, close every port
 * but `open`, and put its descriptor (available, DPL 0) in GDT entry
 * `index`. */
void rt_iomap_tss_init(struct rt_iomap_tss *tss, int index, uint32_t esp0, uint16_t open);

/* Descriptor tables */
uint64_t rt_seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void rt_gdt_set(int index, uint64_t desc);
void rt_idt_set(int vector, uint32_t handler, uint16_t sel, uint8_t type_attr);
/* Restore vector's entry to the common handler with the given gate type. */
void rt_idt_default(int vector, uint8_t type_attr);

/* Small helpers that gcc would otherwise turn into libc calls. */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* Port I/O and flags */
static inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* CPUID leaf (subleaf 0) into EAX, EBX, ECX, EDX; RDMSR (a #GP goes to
 * the handler like any exception: use TRY where one is expected). */
static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
    asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static inline uint32_t read_eflags(void)
{
    uint32_t f;
    asm volatile("pushfl; popl %0" : "=r"(f) :: "memory");
    return f;
}

static inline void write_eflags(uint32_t f)
{
    asm volatile("pushl %0; popfl" :: "r"(f) : "memory", "cc");
}

/* Control registers: READ_CR(0), WRITE_CR(3, pd).  A macro because MOV to
 * or from CRn takes the register number in the instruction. */
#define READ_CR(n) ({ uint32_t v_; asm volatile("movl %%cr" #n ", %0" : "=r"(v_)); v_; })
#define WRITE_CR(n, v) asm volatile("movl %0, %%cr" #n :: "r"((uint32_t)(v)) : "memory")

#define COM1 0x3F8
#define DEBUG_EXIT_PORT 0xF4

#endif
