/*
 * Unit tests of monitor/options.c: defaults, --opt value and --opt=value
 * forms, ranges, errors and the --help text.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "monitor/options.h"

#define ARGV(...) ((char *[]){ "vmm", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "vmm", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, err, ...) options_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, err, sizeof err)

Test(options, defaults)
{
    struct vm_options o;
    char err[256] = "";
    cr_assert_eq(PARSE(&o, err, "--kernel", "k.elf"), 0, "%s", err);
    cr_assert_str_eq(o.kernel, "k.elf");
    cr_assert_null(o.initrd);
    cr_assert_null(o.append);
    cr_assert_eq(o.mem_mib, 128);
    cr_assert(!o.stats);
    cr_assert(!o.trace);
}

Test(options, every_option_separate_values)
{
    struct vm_options o;
    char err[256] = "";
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "--initrd", "rd.img", "--append",
                       "console=ttyS0 quiet", "--mem", "64", "--stats", "--trace"), 0, "%s", err);
    cr_assert_str_eq(o.kernel, "k");
    cr_assert_str_eq(o.initrd, "rd.img");
    cr_assert_str_eq(o.append, "console=ttyS0 quiet");
    cr_assert_eq(o.mem_mib, 64);
    cr_assert(o.stats);
    cr_assert(o.trace);
}

Test(options, equals_form)
{
    struct vm_options o;
    char err[256] = "";
    cr_assert_eq(PARSE(&o, err, "--kernel=k", "--mem=256", "--append=a=b c", "--initrd=x"), 0,
                 "%s", err);
    cr_assert_str_eq(o.kernel, "k");
    cr_assert_eq(o.mem_mib, 256);
    cr_assert_str_eq(o.append, "a=b c");
    cr_assert_str_eq(o.initrd, "x");
}

Test(options, mem_range_boundaries_accepted)
{
    struct vm_options o;
    char err[256] = "";
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "--mem", "2"), 0, "%s", err);
    cr_assert_eq(o.mem_mib, 2);
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "--mem", "3072"), 0, "%s", err);
    cr_assert_eq(o.mem_mib, 3072);
}

static void assert_mem_refused(const char *value)
{
    struct vm_options o;
    char err[256] = "";
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "--mem", (char *)value), -1,
                 "--mem %s accepted", value);
    cr_assert(strstr(err, "--mem"), "message: %s", err);
    cr_assert(strstr(err, "see vmm --help"), "message: %s", err);
    cr_assert_null(strchr(err, '\n'), "one line: %s", err);
}

Test(options, mem_out_of_range_or_not_a_number)
{
    assert_mem_refused("1");
    assert_mem_refused("0");
    assert_mem_refused("3073");
    assert_mem_refused("99999999999999999999999");
    assert_mem_refused("-5");
    assert_mem_refused("12x");
    assert_mem_refused("");
    assert_mem_refused("abc");
}

Test(options, unknown_option)
{
    struct vm_options o;
    char err[256] = "";
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "--bogus"), -1);
    cr_assert(strstr(err, "--bogus"), "message: %s", err);
    cr_assert(strstr(err, "see vmm --help"), "message: %s", err);
    cr_assert_eq(PARSE(&o, err, "-x", "--kernel", "k"), -1);
    cr_assert(strstr(err, "-x"), "message: %s", err);
}

/* Without --kernel the default firmware boots when it is installed; a
 * command line (or an initrd) names a kernel that is missing. */
Test(options, missing_kernel)
{
    struct vm_options o;
    char err[256] = "";
    cr_assert_eq(PARSE(&o, err, "--append", "quiet"), -1);
    cr_assert(strstr(err, "--kernel"), "message: %s", err);
    cr_assert(strstr(err, "see vmm --help"), "message: %s", err);
    int rc = PARSE(&o, err, "--mem", "64");
    if (access(VMM_DEFAULT_BIOS, R_OK) == 0) {
        cr_assert_eq(rc, 0, "%s", err);
        cr_assert_str_eq(o.bios, VMM_DEFAULT_BIOS);
    } else {
        cr_assert_eq(rc, -1);
        cr_assert(strstr(err, "--kernel"), "message: %s", err);
    }
    cr_assert_eq(PARSE(&o, err, "--mem", "64", "--accel", "kvm"), -1, "--accel kvm runs no firmware");
}

Test(options, missing_value)
{
    struct vm_options o;
    char err[256] = "";
    cr_assert_eq(PARSE(&o, err, "--kernel"), -1);
    cr_assert(strstr(err, "--kernel") && strstr(err, "value"), "message: %s", err);
}

Test(options, stray_argument)
{
    struct vm_options o;
    char err[256] = "";
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "extra"), -1);
    cr_assert(strstr(err, "extra"), "message: %s", err);
}

Test(options, parse_twice_in_one_process)
{
    struct vm_options o;
    char err[256] = "";
    cr_assert_eq(PARSE(&o, err, "--bogus"), -1);
    cr_assert_eq(PARSE(&o, err, "--kernel", "a", "--stats"), 0, "%s", err);
    cr_assert_str_eq(o.kernel, "a");
    cr_assert(o.stats);
    /* the second parse starts from the defaults again */
    cr_assert_eq(PARSE(&o, err, "--kernel", "b"), 0, "%s", err);
    cr_assert(!o.stats);
    cr_assert_str_eq(o.kernel, "b");
}

/* --help prints the usage on stdout (checked through a temporary file) and
 * wins even without --kernel. */
Test(options, help_returns_1)
{
    struct vm_options o;
    char err[256] = "", text[256] = "";
    FILE *tmp = tmpfile();
    int saved = dup(STDOUT_FILENO);

    fflush(stdout);
    dup2(fileno(tmp), STDOUT_FILENO);
    int rc_long = PARSE(&o, err, "--help");
    int rc_short = PARSE(&o, err, "-h");
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);

    cr_assert_eq(rc_long, 1);
    cr_assert_eq(rc_short, 1);
    rewind(tmp);
    cr_assert_not_null(fgets(text, sizeof text, tmp));
    cr_assert(strncmp(text, "usage: vmm", 10) == 0, "first line: %s", text);
    fclose(tmp);
}

Test(options, usage_text_is_complete)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    options_usage(f);
    fclose(f);
    static const char *const must[] = {
        "usage: vmm --kernel FILE [--initrd FILE] [--append \"CMDLINE\"] [--mem MIB]",
        "--kernel FILE", "--initrd FILE", "--append CMDLINE", "--mem MIB", "--stats",
        "--trace", "--help", "--opt=value", "EXIT STATUS", "0xF4", "(v << 1) | 1",
        "triple fault", "interrupts disabled", "not implement", "2..3072", "default 128",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        cr_assert(strstr(text, must[i]), "--help lacks \"%s\"", must[i]);
    /* one line of the exit table per enum vmm_status value */
    static const char *const codes[] = { "\n  0 ", "\n  2 ", "\n  4 ", "\n  6 ", "\n  8 ",
                                         "\n  10 ", "\n  12 ", "\n  odd " };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        cr_assert(strstr(text, codes[i]), "exit table lacks %s", codes[i] + 1);
    free(text);
}

/* ---- the PC-platform options (monitor/dev_options.h) ---- */

#include "monitor/dev_options.h"

#define PARSE_DEV(o, dev, err, ...) \
    options_parse_dev(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, dev, err, sizeof err)

Test(options, device_defaults)
{
    struct vm_options o;
    struct dev_options dev;
    char err[256] = "";
    memset(&dev, 0xA5, sizeof dev);
    cr_assert_eq(PARSE_DEV(&o, &dev, err, "--kernel", "k"), 0, "%s", err);
    cr_assert_eq(dev.disks.n, 0);
    cr_assert(!dev.vga_dump);
    cr_assert(!dev.reboot);
}

Test(options, disks_in_order_with_ro)
{
    struct vm_options o;
    struct dev_options dev;
    char err[256] = "";
    cr_assert_eq(PARSE_DEV(&o, &dev, err, "--kernel", "k", "--disk", "a.img", "--disk=b.img,ro",
                           "--vga-dump", "--disk", "c,d.img", "--reboot", "--disk", "e.img,ro"),
                 0, "%s", err);
    cr_assert_eq(dev.disks.n, 4);
    cr_assert_str_eq(dev.disks.v[0], "a.img");
    cr_assert_str_eq(dev.disks.v[1], "b.img,ro");
    cr_assert_str_eq(dev.disks.v[2], "c,d.img");
    cr_assert_str_eq(dev.disks.v[3], "e.img,ro");
    cr_assert(dev.vga_dump);
    cr_assert(dev.reboot);

    static const struct { const char *spec, *path; bool ro; } t[] = {
        { "a.img", "a.img", false }, { "b.img,ro", "b.img", true },
        { "c,d.img", "c,d.img", false }, { "/x/,ro,ro", "/x/,ro", true },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char path[64];
        bool ro = !t[i].ro;
        cr_assert_eq(disk_spec(t[i].spec, path, sizeof path, &ro), 0, "%s", t[i].spec);
        cr_assert_str_eq(path, t[i].path);
        cr_assert_eq(ro, t[i].ro, "%s", t[i].spec);
    }
}

Test(options, fifth_disk_refused)
{
    struct vm_options o;
    struct dev_options dev;
    char err[256] = "";
    cr_assert_eq(PARSE_DEV(&o, &dev, err, "--kernel", "k", "--disk", "1", "--disk", "2",
                           "--disk", "3", "--disk", "4", "--disk", "5"), -1);
    cr_assert(strstr(err, "--disk 5") && strstr(err, "at most 4"), "message: %s", err);
    cr_assert(strstr(err, "see vmm --help"), "message: %s", err);
}

Test(options, disk_without_a_name_refused)
{
    struct vm_options o;
    struct dev_options dev;
    char err[256] = "";
    cr_assert_eq(PARSE_DEV(&o, &dev, err, "--kernel", "k", "--disk", ",ro"), -1);
    cr_assert(strstr(err, "--disk") && strstr(err, "file name"), "message: %s", err);
    cr_assert_eq(PARSE_DEV(&o, &dev, err, "--kernel", "k", "--disk="), -1);
    cr_assert(strstr(err, "--disk"), "message: %s", err);
    cr_assert_eq(PARSE_DEV(&o, &dev, err, "--kernel", "k", "--disk"), -1);
    cr_assert(strstr(err, "--disk") && strstr(err, "value"), "message: %s", err);
    char path[4];
    bool ro;
    cr_assert_eq(disk_spec("toolong", path, sizeof path, &ro), -1);
}

/* A second parse starts again from no disks; options_parse() takes the
 * device options and drops them. */
Test(options, device_options_reset_and_plain_parse)
{
    struct vm_options o;
    struct dev_options dev;
    char err[256] = "";
    cr_assert_eq(PARSE_DEV(&o, &dev, err, "--kernel", "k", "--disk", "a", "--reboot"), 0, "%s", err);
    cr_assert_eq(PARSE_DEV(&o, &dev, err, "--kernel", "k"), 0, "%s", err);
    cr_assert_eq(dev.disks.n, 0);
    cr_assert(!dev.reboot);
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "--disk", "a", "--vga-dump"), 0, "%s", err);
    cr_assert_str_eq(o.kernel, "k");
}

Test(options, usage_names_device_options)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    options_usage(f);
    fclose(f);
    static const char *const must[] = {
        "[--disk FILE[,ro]]", "[--vga-dump]", "[--reboot]", "--disk FILE[,ro]",
        "primary master", "secondary slave", "at most 4", "read-only", "0xB8000", "guest reset",
        "disk image",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        cr_assert(strstr(text, must[i]), "--help lacks \"%s\"", must[i]);
    free(text);
}

/* --stats takes an optional =json (or =text); --ring0 one of two words;
 * --time-limit a number of seconds. */
Test(options, stats_format_ring0_and_time_limit)
{
    struct vm_options o;
    char err[256] = "";
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "--stats=json", "--ring0=direct",
                       "--time-limit", "30"), 0, "%s", err);
    cr_assert(o.stats);
    cr_assert_str_eq(o.stats_format, "json");
    cr_assert_str_eq(o.ring0, "direct");
    cr_assert_eq(o.time_limit, 30);
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "--stats"), 0, "%s", err);
    cr_assert(o.stats);
    cr_assert_null(o.stats_format);
    cr_assert_eq(o.time_limit, 0);
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "--stats=xml"), -1);
    cr_assert(strstr(err, "--stats=xml: must be text or json"), "message: %s", err);
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "--ring0", "naive"), -1);
    cr_assert(strstr(err, "--ring0 naive: must be translate or direct"), "message: %s", err);
}

/* --accel names the engine: bt, kvm or auto (QEMU's spelling); the
 * refusal of kvm where /dev/kvm cannot run the guest happens later
 * (monitor/main.c, tests/kvm). */
Test(options, accel)
{
    struct vm_options o;
    char err[256] = "";
    cr_assert_eq(PARSE(&o, err, "--kernel", "k"), 0, "%s", err);
    cr_assert_null(o.accel, "bt by default");
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "--accel", "bt"), 0, "%s", err);
    cr_assert_str_eq(o.accel, "bt");
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "--accel", "kvm"), 0, "%s", err);
    cr_assert_str_eq(o.accel, "kvm");
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "--accel=auto"), 0, "%s", err);
    cr_assert_str_eq(o.accel, "auto");
    cr_assert_eq(PARSE(&o, err, "--kernel", "k", "--accel=tcg"), -1);
    cr_assert(strstr(err, "--accel tcg: must be bt, kvm or auto"), "message: %s", err);
}

Test(options, cdrom_and_boot_in_qemu_spellings)
{
    struct vm_options o;
    struct dev_options dev;
    char err[256] = "";
    cr_assert_eq(PARSE_DEV(&o, &dev, err, "--bios", "/dev/null/x", "-cdrom", "cd.iso", "-boot", "d"),
                 0, "%s", err);
    cr_assert_str_eq(dev.cdrom, "cd.iso");
    cr_assert_str_eq(dev.boot, "d");
    cr_assert_eq(PARSE_DEV(&o, &dev, err, "--bios", "b", "--cdrom=x.iso", "--boot=order=dc,menu=on"),
                 0, "%s", err);
    cr_assert_str_eq(dev.cdrom, "x.iso");
    /* a FIFO is refused before anything opens it */
    char fifo[] = "/tmp/vmm-opt-cdXXXXXX";
    cr_assert(mkdtemp(fifo));
    char p[64];
    snprintf(p, sizeof p, "%s/f", fifo);
    cr_assert_eq(mkfifo(p, 0600), 0);
    cr_assert_eq(PARSE_DEV(&o, &dev, err, "--bios", "b", "--cdrom", p), -1);
    cr_assert(strstr(err, "a FIFO"), "%s", err);
    unlink(p);
    rmdir(fifo);
    /* the boot order only means something to a firmware */
    cr_assert_eq(PARSE_DEV(&o, &dev, err, "--kernel", "k", "--boot", "d"), -1);
    cr_assert(strstr(err, "--boot d"), "%s", err);
}

Test(options, boot_spec_forms)
{
    static const struct { const char *v, *order; bool menu, strict; } ok[] = {
        { "c", "c", false, false }, { "d", "d", false, false }, { "dc", "dc", false, false },
        { "order=dc", "dc", false, false }, { "order=d,menu=on", "d", true, false },
        { "menu=on", "cad", true, false }, { "order=cd,strict=on,menu=off", "cd", false, true },
        { "a", "a", false, false }, { "order=adcb", "adcb", false, false },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct boot_spec b;
        char err[256] = "";
        cr_assert_eq(boot_spec(ok[i].v, &b, err, sizeof err), 0, "%s: %s", ok[i].v, err);
        cr_assert_str_eq(b.order, ok[i].order, "%s", ok[i].v);
        cr_assert_eq(b.menu, ok[i].menu, "%s", ok[i].v);
        cr_assert_eq(b.strict, ok[i].strict, "%s", ok[i].v);
    }
    static const struct { const char *v, *why; } bad[] = {
        { "aa", "twice" }, { "n", "network" }, { "e", "no boot device" }, { "cc", "twice" }, { "x", "no boot device" },
        { "", "empty" }, { "order=", "empty" }, { "menu=yes", "on or off" },
        { "splash=x.bmp", "unknown key" }, { "order=dc,d", "KEY=VALUE" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct boot_spec b;
        char err[256] = "";
        cr_assert_eq(boot_spec(bad[i].v, &b, err, sizeof err), -1, "%s", bad[i].v);
        cr_assert(strstr(err, bad[i].why), "'%s': %s", bad[i].v, err);
    }
}
