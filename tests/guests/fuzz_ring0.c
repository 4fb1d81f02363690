/*
 * tests/guests/fuzz_ring0.c - arbitrary bytes run as ring-0 guest code, for
 * tests/fuzz/ring0.sh: the bytes are the Multiboot module (--initrd FILE).
 *
 * The first byte chooses the setting: bit 0 paging on (the first 64 MiB
 * identity-mapped with 4 MiB pages, CR4.PSE), bit 1 IF set with the PIT
 * interrupting at 1 kHz through the 8259, bit 2 CR0.WP.  The rest is copied
 * to a page-aligned buffer, followed by `mov al, 0; out 0xF4, al` (the
 * debug exit: vmm status 1) so that code falling off the end stops the run,
 * and entered by a near call with every general register zero but ESP.
 * Every exception and interrupt comes to one hook: an external interrupt
 * (vector 0x20..0x2F) is acknowledged and resumed; anything else resumes at
 * the next byte, and after 256 of those the guest ends itself (status 1).
 * The code may also do anything a kernel can: reprogram devices, load
 * CR3, GDTR and IDTR, overwrite this guest; what vmm must do then is in
 * docs/fuzzing.md.
 */
#include "rt.h"

#define MAX_CODE (256 * 1024)
struct mb_module { uint32_t start, end, string, reserved; };
static uint8_t code[MAX_CODE + 16] __attribute__((aligned(4096)));
static uint32_t pd[1024] __attribute__((aligned(4096)));
static volatile uint32_t events;
uint32_t entry;                         /* where the call goes (asm below) */

static void hook(struct trap_frame *f)
{
    if (f->vector >= 0x20 && f->vector < 0x30) {
        if (f->vector >= 0x28)
            outb(0xA0, 0x20);
        outb(0x20, 0x20);
        return;
    }
    if (++events > 256)
        rt_exit(0);
    f->eip++;
}

void test_main(void)
{
    const struct { uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr; }
        *mb = (const void *)rt_mb_info;
    if (!(mb->flags & 8) || mb->mods_count < 1)
        rt_fail(1, "no module: give the bytes with --initrd");
    const struct mb_module *m = (const void *)mb->mods_addr;
    uint32_t n = m->end - m->start;
    if (n == 0)
        rt_exit(0);
    const uint8_t *in = (const uint8_t *)m->start;
    uint8_t setting = in[0];
    n--;
    if (n > MAX_CODE)
        n = MAX_CODE;
    for (uint32_t i = 0; i < n; i++)
        code[i] = in[1 + i];
    static const uint8_t tail[] = { 0xB0, 0x00, 0xE6, 0xF4, 0xF4 };   /* mov al,0; out 0xf4,al; hlt */
    for (uint32_t i = 0; i < sizeof tail; i++)
        code[n + i] = tail[i];

    rt_hook = hook;
    if (setting & 1) {
        for (uint32_t i = 0; i < 16; i++)
            pd[i] = (i << 22) | 0x83;              /* present, writable, 4 MiB */
        uint32_t cr4;
        asm volatile("mov %%cr4, %0" : "=r"(cr4));
        asm volatile("mov %0, %%cr4" :: "r"(cr4 | 0x10));
        asm volatile("mov %0, %%cr3" :: "r"(pd));
        uint32_t cr0;
        asm volatile("mov %%cr0, %0" : "=r"(cr0));
        cr0 |= 0x80000000u | ((setting & 4) ? 0x10000u : 0);
        asm volatile("mov %0, %%cr0" :: "r"(cr0));
    }
    if (setting & 2) {
        /* 8259s at 0x20/0x28, only IRQ 0; PIT channel 0 at about 1 kHz. */
        static const uint8_t icw[][2] = { { 0x20, 0x11 }, { 0xA0, 0x11 }, { 0x21, 0x20 }, { 0xA1, 0x28 },
                                          { 0x21, 0x04 }, { 0xA1, 0x02 }, { 0x21, 0x01 }, { 0xA1, 0x01 },
                                          { 0x21, 0xFE }, { 0xA1, 0xFF } };
        for (uint32_t i = 0; i < sizeof icw / sizeof icw[0]; i++)
            outb(icw[i][0], icw[i][1]);
        outb(0x43, 0x34);
        outb(0x40, 1193 & 0xFF);
        outb(0x40, 1193 >> 8);
        asm volatile("sti");
    }
    rt_printf("fuzz_ring0: %u bytes, setting 0x%x\n", n, setting);
    entry = (uint32_t)code;
    asm volatile("pushl %%ebp\n\t"
                 "xorl %%eax, %%eax\n\txorl %%ebx, %%ebx\n\txorl %%ecx, %%ecx\n\t"
                 "xorl %%edx, %%edx\n\txorl %%esi, %%esi\n\txorl %%edi, %%edi\n\t"
                 "xorl %%ebp, %%ebp\n\t"
                 "call *entry\n\t"
                 "popl %%ebp"
                 ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    rt_exit(0);
}
