/*
 * tests/unit/test_host_facts.c - the decisions taken from host facts
 * (cpu/host_facts.h), with both vendors' answers: one machine shows only
 * one of them.
 */
#include <criterion/criterion.h>
#include <sys/mman.h>
#include <signal.h>
#include <string.h>
#include "cpu/host_facts.h"

static const uint8_t SYSENTER[2] = { 0x0F, 0x34 }, SYSCALL[2] = { 0x0F, 0x05 },
                     UD2[2] = { 0x0F, 0x0B };

/* What an Intel host answers in 32-bit user code (measured on a Xeon):
 * SYSENTER enters the compat entry, SYSCALL is #UD. */
static struct host_facts intel(void)
{
    struct host_facts f = { .compat32 = true, .sysenter32 = HA_SIGSYS, .syscall32 = HA_SIGILL,
                            .fsgsbase_insn = true, .fsgsbase_kernel = true };
    strcpy(f.vendor, "GenuineIntel");
    return f;
}

/* And an AMD host (EPYC): the other way round. */
static struct host_facts amd(void)
{
    struct host_facts f = { .compat32 = true, .sysenter32 = HA_SIGILL, .syscall32 = HA_SIGSYS,
                            .fsgsbase_insn = true, .fsgsbase_kernel = true };
    strcpy(f.vendor, "AuthenticAMD");
    return f;
}

Test(host_plan, intel_sysenter_is_a_kernel_entry)
{
    struct host_facts f = intel();
    struct host_plan p = host_plan_from(&f);
    cr_assert(p.ring3_direct);
    cr_assert_not(p.sysenter_is_ud);
    cr_assert_not(p.compat_sigsys_is_syscall);
    cr_assert_eq(host_ring3_event(&p, SIGSYS, true, NULL), R3_SYSENTER);
    cr_assert_eq(host_ring3_event(&p, SIGSYS, false, NULL), R3_INT80);
    /* SYSCALL is #UD on Intel: an ordinary #UD for the guest too. */
    cr_assert_eq(host_ring3_event(&p, SIGILL, false, SYSCALL), R3_EXCEPTION);
    cr_assert_eq(host_ring3_event(&p, SIGILL, false, SYSENTER), R3_EXCEPTION);
}

Test(host_plan, amd_sysenter_is_ud)
{
    struct host_facts f = amd();
    struct host_plan p = host_plan_from(&f);
    cr_assert(p.ring3_direct);
    cr_assert(p.sysenter_is_ud);
    cr_assert(p.compat_sigsys_is_syscall);
    cr_assert_eq(host_ring3_event(&p, SIGILL, false, SYSENTER), R3_SYSENTER);
    cr_assert_eq(host_ring3_event(&p, SIGILL, false, UD2), R3_EXCEPTION);
    cr_assert_eq(host_ring3_event(&p, SIGSYS, true, NULL), R3_SYSCALL);
    cr_assert_eq(host_ring3_event(&p, SIGSYS, false, NULL), R3_INT80);
    cr_assert_eq(host_ring3_event(&p, SIGSEGV, false, NULL), R3_EXCEPTION);
}

/* SYSCALL that enters the host kernel loses its address there: the guard
 * is on unless the probe saw #UD, and off where nothing runs directly. */
Test(host_plan, syscall_guard_unless_syscall_is_ud)
{
    struct host_facts f = amd();
    cr_assert(host_plan_from(&f).syscall_guard);
    f.syscall32 = HA_SIGSEGV;           /* inconclusive: guard, whatever the vendor */
    cr_assert(host_plan_from(&f).syscall_guard);
    f = intel();
    cr_assert_not(host_plan_from(&f).syscall_guard);
    f.syscall32 = HA_SIGSYS;            /* an Intel that entered the kernel after all */
    cr_assert(host_plan_from(&f).syscall_guard);
    f.compat32 = false;
    f.syscall32 = HA_NOT_TRIED;
    cr_assert_not(host_plan_from(&f).syscall_guard);
}

Test(host_plan, unprobed_answers_follow_the_vendor)
{
    struct host_facts f = intel();
    f.sysenter32 = HA_OTHER;
    cr_assert_not(host_plan_from(&f).sysenter_is_ud);
    f = amd();
    f.sysenter32 = HA_NOT_TRIED;
    cr_assert(host_plan_from(&f).sysenter_is_ud);
}

/* A paravirtualized host kernel without a 32-bit user code segment: ring 3
 * is translated; a WRGSBASE value the kernel does not keep is not used. */
Test(host_plan, no_compat_mode_no_kept_gsbase)
{
    struct host_facts f = amd();
    f.compat32 = false;
    f.sysenter32 = f.syscall32 = HA_NOT_TRIED;
    f.fsgsbase_kernel = false;
    struct host_plan p = host_plan_from(&f);
    cr_assert_not(p.ring3_direct);
    cr_assert_not(p.gsbase_insn);
    f.fsgsbase_kernel = true;
    cr_assert(host_plan_from(&f).gsbase_insn);
    f.fsgsbase_insn = false;
    cr_assert_not(host_plan_from(&f).gsbase_insn);
}

/* Guest linear page 0 is mapped only where this process may map host page
 * 0 (CAP_SYS_RAWIO), and the probe agrees with a direct try. */
Test(host_plan, page0_follows_the_probe)
{
    struct host_facts f = intel();
    f.page0_maps = false;
    cr_assert_not(host_plan_from(&f).user_page0);
    f.page0_maps = true;
    cr_assert(host_plan_from(&f).user_page0);
    void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    bool can = p == NULL;
    if (p != MAP_FAILED)
        munmap(p, 4096);
    cr_assert_eq(host_facts()->page0_maps, can, "probe %d, a direct mmap of page 0 %d",
                 host_facts()->page0_maps, can);
}

/* The probes of this host agree with themselves: the plan derived from
 * them is the cached one, and the table names every fact. */
Test(host_facts, this_host)
{
    const struct host_facts *f = host_facts();
    struct host_plan p = host_plan_from(f);
    cr_assert_eq(p.ring3_direct, host_plan()->ring3_direct);
    cr_assert_eq(p.gsbase_insn, host_plan()->gsbase_insn);
    cr_assert(strlen(f->vendor) == 12);
    if (!f->compat32)
        cr_assert_eq(f->sysenter32, HA_NOT_TRIED);
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    host_facts_print(f, out);
    fclose(out);
    cr_assert(strstr(buf, "32-bit user code"));
    cr_assert(strstr(buf, "SYSENTER in 32-bit code"));
    cr_assert(strstr(buf, "RDGSBASE/WRGSBASE"));
    cr_assert(strstr(buf, "host page 0 mappable"));
    cr_assert(strstr(buf, f->vendor));
    free(buf);
}
