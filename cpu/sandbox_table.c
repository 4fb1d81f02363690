/*
 * cpu/sandbox_table.c - every x86-64 system call the running monitor may
 * make, and on what (cpu/sandbox_int.h says how a rule reads).  The filter
 * (cpu/sandbox.c) and the table of docs/security.md are both made from this
 * array; tests/escape checks that the document prints it as it is.
 *
 * Measured with `strace -f` on a Linux boot, the ring-0 test guests, --disk
 * (read-write and ,ro), --gdb and --perf-map (docs/security.md says how):
 * the hot calls come first, since the filter tries the rules in order.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <asm/ioctls.h>
#include <linux/kvm.h>
#include <asm/prctl.h>
#include "cpu/sandbox_int.h"

#define NK(...) (uint8_t)(sizeof((uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t))
#define IS(a, nm, ref) { SB_IN, a, ref, 0, { 0 }, nm, NULL }
#define ONE_OF(a, nm, ...) { SB_IN, a, SB_K, NK(__VA_ARGS__), { __VA_ARGS__ }, nm, #__VA_ARGS__ }
#define NO_BITS(a, nm, bits) { SB_NOBITS, a, SB_K, 1, { bits }, nm, #bits }
#define ALL_BITS(a, nm, bits) { SB_ALLBITS, a, SB_K, 1, { bits }, nm, #bits }
#define IS_NULL(a, nm) { SB_NULL, a, SB_K, 0, { 0 }, nm, NULL }
#define LOW4G(a, len_arg, nm) { SB_LOW4G, a, SB_K, 1, { len_arg }, nm, NULL }
#define RULE(call, why, ...) { SYS_##call, #call, { __VA_ARGS__ }, why }

/* A 32-bit mode switch of the user view: the user view's code pages are the
 * only executable mappings made after start-up (the translation cache is
 * mapped once, read-write-execute, before). */
#define USER_VIEW_EXEC LOW4G(0, 1, "addr")

const struct sb_rule sandbox_table[] = {
    RULE(rt_sigreturn, "the end of every signal: guest exits, timer, page faults"),
    RULE(mprotect, "poll pages, write protection of traced and code pages",
         NO_BITS(2, "prot", PROT_EXEC)),
    RULE(mprotect, "write protection in the user view (guest ring-3 code runs from it)",
         USER_VIEW_EXEC),
    RULE(timer_settime, "the host timer behind the guest's timers"),
    RULE(arch_prctl, "translated code's GS base where the kernel does not keep a WRGSBASE value; "
         "FS after direct execution where WRFSBASE is not usable (docs/host.md)",
         ONE_OF(0, "code", ARCH_SET_GS, ARCH_SET_FS)),
    RULE(mmap, "shadow mappings of guest RAM (the memfd) and guard reservations; malloc",
         NO_BITS(2, "prot", PROT_EXEC)),
    RULE(mmap, "user-view mappings of guest RAM: executable, fixed, below 4 GiB",
         IS(4, "fd", SB_MEMFD), ALL_BITS(3, "flags", MAP_FIXED), USER_VIEW_EXEC),
    RULE(munmap, "dropping shadow mappings; free"),
    RULE(write, "console output, messages, --perf-map, --reboot's reset report", IS(0, "fd", SB_OUT)),
    RULE(read, "console input", IS(0, "fd", SB_CONSOLE)),
    RULE(poll, "console input and the gdb connection (only waits)"),
    RULE(ppoll, "a halted guest waits for console input or its next timer (signal mask unchanged)",
         IS_NULL(3, "sigmask")),
    RULE(pread64, "disk reads", IS(0, "fd", SB_DISK)),
    RULE(pwrite64, "disk writes, writable images only", IS(0, "fd", SB_DISK_RW)),
    RULE(fsync, "the disk's FLUSH CACHE", IS(0, "fd", SB_DISK)),
    RULE(fdatasync, "the disk's FLUSH CACHE", IS(0, "fd", SB_DISK)),
    RULE(ioctl, "termios of the console (raw mode, restored at exit); never TIOCSTI",
         IS(0, "fd", SB_CONSOLE), ONE_OF(1, "request", TCGETS, TCSETS, TCSETSW, TCSETSF)),
    RULE(ioctl, "--accel kvm: run the vCPU, inject interrupts and NMIs, debugger single-step",
         IS(0, "fd", SB_KVM_VCPU), ONE_OF(1, "request", KVM_RUN, KVM_INTERRUPT, KVM_NMI,
                                          KVM_SET_GUEST_DEBUG)),
    RULE(ioctl, "--accel kvm: the vCPU's registers, for the debugger and the dump of a fatal stop",
         IS(0, "fd", SB_KVM_VCPU), ONE_OF(1, "request", KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS,
                                          KVM_SET_SREGS)),
    RULE(ioctl, "--accel kvm: the vCPU's model-specific registers, with its registers",
         IS(0, "fd", SB_KVM_VCPU), ONE_OF(1, "request", KVM_GET_MSRS, KVM_SET_MSRS)),
    RULE(clock_gettime, "the guest's clocks (when the vDSO does not answer)"),
    RULE(clock_nanosleep, "a halted guest waits for its next timer"),
    RULE(nanosleep, "a halted guest waits for its next timer"),
    RULE(timer_gettime, "the host timer"),
    RULE(timer_delete, "the host timer, at exit"),
    RULE(rt_sigprocmask, "abort(); signal masks of the monitor itself"),
    RULE(rt_sigaction, "handlers reset at exit, abort(); the emulator's SIGFPE catch around an SSE "
         "instruction whose guest MXCSR unmasks an exception"),
    RULE(getpid, "abort(), raise()"),
    RULE(gettid, "abort(), raise()"),
    RULE(tgkill, "abort(), raise(): only to vmm itself",
         IS(0, "tgid", SB_PID), IS(1, "tid", SB_PID)),
    RULE(brk, "malloc"),
    RULE(mremap, "realloc", NO_BITS(3, "flags", MREMAP_FIXED)),
    RULE(madvise, "free", ONE_OF(2, "advice", MADV_DONTNEED, MADV_FREE)),
    RULE(accept, "a gdb client", IS(0, "fd", SB_GDB_LISTEN)),
    RULE(accept4, "a gdb client", IS(0, "fd", SB_GDB_LISTEN)),
    RULE(recvfrom, "gdb packets (the connection is the only stream socket)",
         IS_NULL(4, "src_addr")),
    RULE(sendto, "gdb packets, no address", IS_NULL(4, "dest_addr")),
    RULE(close, "a gdb client goes, descriptors at exit"),
    RULE(modify_ldt, "the host LDT entries that mirror guest ring-3 segments",
         ONE_OF(0, "func", 1, 0x11)),
    RULE(prctl, "the RDTSC trap around direct execution", ONE_OF(0, "option", PR_SET_TSC)),
    RULE(sysinfo, "glibc's qsort sizes its buffer with it"),
    RULE(exit_group, "the end"),
    RULE(exit, "the end"),
};

const unsigned sandbox_table_len = sizeof sandbox_table / sizeof sandbox_table[0];
