/*
 * tests/ring3/escape.c - the containment test.  User code far-jumps
 * to selector 0x33, the host's 64-bit user code segment, and makes host
 * system calls: getpid, open("/etc/passwd") and open(<marker>, O_CREAT) where
 * <marker> is the kernel command line (--append).  The monitor must end the
 * run before any of them reaches the host: vmm exits with status 12
 * (docs/direct.md, tests/ring3/CMakeLists.txt) and run-escape.sh checks that the marker file
 * does not exist.
 *
 * If the escape comes back to 32-bit code, the user program reports through
 * int 0x80 and the guest fails, printing what the host answered.  A #GP(0x30)
 * at the far jump (what a real CPU with this GDT does) is reported too.
 */
#include "lib3.h"

#define SYS_ESCAPED SYS_TEST
#define MB_INFO_CMDLINE 0x4u

extern uint32_t u_escape(void);
extern char esc_jmp[];
extern volatile uint32_t esc_marker_ptr, esc_reached, esc_pid, esc_fd_passwd,
    esc_fd_marker, esc_cs;

static char marker[256];

static void on_event(struct r3_frame *f)
{
    if (f->t.vector == 0x80 && f->t.eax == SYS_ESCAPED) {
        rt_printf("escape: ESCAPED: ring-3 code ran in 64-bit mode and came back; "
                  "host getpid -> %d, open(/etc/passwd) -> %d, open(%s) -> %d\n",
                  (int32_t)esc_pid, (int32_t)esc_fd_passwd, marker, (int32_t)esc_fd_marker);
        rt_fail(1, "the monitor did not stop a guest that escaped to the host's 64-bit code selector");
    }
    if (f->t.vector == 13 && f->t.eip == (uint32_t)esc_jmp && r3_from_user(&f->t)) {
        rt_printf("escape: the far jump raised #GP(0x%x) in the guest, as on a real CPU "
                  "(the guest GDT has no 0x33)\n", f->t.error);
        rt_fail(2, "contained by a guest #GP, not by stopping the run (the test expects vmm to stop with status 12)");
    }
    rt_fail(3, "unexpected event: vector %u error 0x%x at %x:%x", f->t.vector, f->t.error,
            f->t.cs, f->t.eip);
}

static void read_cmdline(void)
{
    const uint32_t *mbi = (const uint32_t *)rt_mb_info;
    CHECK(4, mbi[0] & MB_INFO_CMDLINE, "no Multiboot command line (run with --append <marker file>)");
    const char *cmd = (const char *)mbi[4];
    /* vmm passes exactly --append; GRUB and QEMU put the kernel's path
     * first: the marker is the last word. */
    for (const char *p = cmd; *p; p++)
        if (*p == ' ' && p[1])
            cmd = p + 1;
    size_t n = strlen(cmd);
    CHECK(5, n > 0 && n < sizeof marker, "command line of %u bytes: want a marker file path",
          (uint32_t)n);
    memcpy(marker, cmd, n + 1);
    esc_marker_ptr = (uint32_t)marker;
}

void test_main(void)
{
    r3_init();
    r3_on_event = on_event;
    read_cmdline();
    rt_printf("escape: far jump to 0x33 (the host's 64-bit user code selector) from ring 3, "
              "then host syscalls getpid, open(/etc/passwd), open(%s, O_CREAT)\n", marker);
    r3_run(u_escape, 0x2);
    rt_fail(6, "the user program returned without reporting (64-bit code reached: %u)",
            esc_reached);
}
