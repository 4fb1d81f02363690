/*
 * tests/fuzz/fuzz_devices.c - every device model through the interface the
 * guest has: port and MMIO reads and writes on the I/O bus (devices/
 * io_bus.c dispatches them to the PIC, PIT, CMOS/RTC, i8042, PCI config,
 * ACPI PM, IDE, LAPIC, IOAPIC, VGA, UARTs, debug-exit port), bytes arriving
 * on the serial ports, interrupt acknowledges as the run loop makes them,
 * and time passing.  Two disks are attached (primary master writable,
 * primary slave read-only), small files in memory.  Whatever the sequence,
 * nothing may crash or loop, a vector must be 0..255, and the disk files
 * must keep their size and the read-only one its bytes (a write outside an
 * image would grow the file).  After every record that wrote a VGA port or
 * video memory the text screen is read as the CRT controller would scan it
 * out (vga_screen) and drawn as the terminal display would
 * (vga_term_render), whatever the guest put in
 * the CRTC (start address, cursor, geometry, offset) and in video memory;
 * at the end, printed as --vga-dump prints it.
 *
 * Time: the devices read the host clock through host_now_ns() and
 * host_clock(); this program is linked with --wrap for both (CMakeLists.txt)
 * so they read the harness's virtual clock, which only the input advances.
 *
 * Input: one byte of machine, then records of 9 bytes.
 *   machine  bit 0: the firmware-booted PC (a 64 KiB ROM below 4 GiB, as
 *            --bios gives: the PIIX functions in PCI configuration space);
 *            bit 1: a VGA BIOS for fw_cfg to offer
 *   record:
 *   0     target: a registered port or MMIO range (index modulo their
 *         number, offset modulo its length), or any port (the last index)
 *   1     bits 0-1 width (1, 2, 4, 1); bit 2 write; bit 3 tick the
 *         devices; bit 4 jump the clock to the next device deadline;
 *         bit 5 acknowledge pending interrupts; bit 6 instead of the
 *         access: with bit 2 clear, a byte (value) for the UART (bit 7
 *         picks COM1/COM2); with bit 2 and not bit 7, the value written to
 *         video memory at 0xA0000 + 2 * offset; with bits 2 and 7, the
 *         value's 4 bytes typed on the terminal (keymap, then i8042)
 *   2..3  offset (or the port)
 *   4..7  value
 *   8     time that passes first: n*n*n nanoseconds (up to 16.5 ms)
 * (Before the machine byte existed, an input was the records alone: a 0
 * byte in front of such an input runs it as it ran.)
 */
#include "fuzz_common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include "monitor/vm.h"
#include "devices/irq.h"
#include "devices/platform.h"
#include "devices/keymap.h"
#include "devices/vga_term.h"
#include "devices/vga_text.h"

#define RAM_MIB 4
#define DISK_BYTES (64 * 512)
#define RECORD 9
#define MAX_ACKS 64         /* per record: an unacknowledged level line re-asserts */
#define ROM_BYTES (64 * 1024)
#define VGA_BIOS_BYTES 4096
#define TYPED 64            /* terminal bytes waiting for the keyboard, as display.c keeps */

static uint64_t now_ns;
static char disk_rw[128], disk_ro[128];
static uint8_t ro_bytes[DISK_BYTES];
static uint8_t vga_bios[VGA_BIOS_BYTES];
static struct vga_screen screen;
static struct vga_term term;
static char term_out[VGA_TERM_BUF];
static uint8_t typed[TYPED];
static size_t ntyped;
static FILE *devnull;

uint64_t __wrap_host_now_ns(void)
{
    return now_ns;
}

void __wrap_host_clock(clockid_t id, struct timespec *ts)
{
    /* CLOCK_REALTIME: 2026-01-01 00:00:00 UTC plus the virtual time. */
    uint64_t t = now_ns + (id == CLOCK_REALTIME ? 1767225600ull * 1000000000ull : 0);
    ts->tv_sec = t / 1000000000ull;
    ts->tv_nsec = t % 1000000000ull;
}

static void make_disk(const char *path, const uint8_t *content)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0, "cannot create %s", path);
    FUZZ_CHECK(write(fd, content, DISK_BYTES) == DISK_BYTES, "short write to %s", path);
    close(fd);
}

static void check_disk(const char *path, const uint8_t *content)
{
    static uint8_t buf[DISK_BYTES + 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    FUZZ_CHECK(fd >= 0, "cannot open %s", path);
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    FUZZ_CHECK(n == DISK_BYTES, "%s holds %zd bytes instead of %d", path, n, DISK_BYTES);
    FUZZ_CHECK(!content || memcmp(buf, content, DISK_BYTES) == 0, "read-only %s changed", path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* The console reads stdin (and would put a terminal in raw mode). */
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0 && null != STDIN_FILENO) {
        dup2(null, STDIN_FILENO);
        close(null);
    }
    for (int i = 0; i < DISK_BYTES; i++)
        ro_bytes[i] = (uint8_t)(i * 7 + i / 512);
    snprintf(disk_rw, sizeof disk_rw, "%s/disk-rw.img", fuzz_scratch_dir());
    snprintf(disk_ro, sizeof disk_ro, "%s/disk-ro.img", fuzz_scratch_dir());
    for (int i = 0; i < VGA_BIOS_BYTES; i++)
        vga_bios[i] = (uint8_t)(i * 13);
    devnull = fopen("/dev/null", "w");
    FUZZ_CHECK(devnull, "cannot open /dev/null");
    return 0;
}

static struct vm *make_vm(uint8_t machine)
{
    char err[256];
    struct vm *vm = vm_alloc();
    FUZZ_CHECK(vm, "out of memory");
    FUZZ_CHECK(guest_mem_init(&vm->mem, RAM_MIB, err, sizeof err) == 0, "%s", err);
    vm->cpu.vm = vm;
    make_disk(disk_rw, ro_bytes);
    make_disk(disk_ro, ro_bytes);
    FUZZ_CHECK(ide_attach(vm, disk_rw, false, err, sizeof err) == 0, "%s", err);
    FUZZ_CHECK(ide_attach(vm, disk_ro, true, err, sizeof err) == 0, "%s", err);
    if (machine & 1) {
        uint8_t *rom = malloc(ROM_BYTES);   /* the platform owns and frees it */
        FUZZ_CHECK(rom, "out of memory");
        memset(rom, 0xF4, ROM_BYTES);
        devices_firmware(vm, rom, ROM_BYTES);
    }
    if (machine & 2) {
        uint8_t *bios = malloc(VGA_BIOS_BYTES);     /* the platform frees it */
        FUZZ_CHECK(bios, "out of memory");
        memcpy(bios, vga_bios, VGA_BIOS_BYTES);
        devices_vga_bios(vm, bios, VGA_BIOS_BYTES);
    }
    FUZZ_CHECK(devices_init(vm, err, sizeof err) == 0, "%s", err);
    vm->platform->com[0].out_fd = -1;       /* no guest output on the fuzzer's stdout */
    return vm;
}

/* Returns whether the access wrote a VGA register (what the screen depends on). */
static bool access_bus(struct vm *vm, uint8_t target, uint8_t how, uint16_t off, uint32_t v)
{
    static const int widths[4] = { 1, 2, 4, 1 };
    struct io_bus *bus = &vm->io;
    int size = widths[how & 3], n = bus->npio + bus->nmmio + 1;
    bool write = how & 4;
    int t = target % n;

    if (t < bus->npio || t == n - 1) {
        uint16_t port = t == n - 1 ? off : (uint16_t)(bus->pio[t].base + off % bus->pio[t].len);
        if (write)
            io_pio_write(bus, port, size, v);
        else
            io_pio_read(bus, port, size);
        return write && port + size > 0x3B0 && port <= 0x3DF;
    }
    const struct io_range *r = &bus->mmio[t - bus->npio];
    uint64_t addr = r->base + off % r->len;
    uint32_t got;
    if (write)
        io_mmio_write(bus, addr, size, v);
    else
        io_mmio_read(bus, addr, size, &got);
    return false;
}

static void acknowledge(struct vm *vm)
{
    for (int i = 0; i < MAX_ACKS && irq_intr_pending(vm); i++) {
        int vec = irq_intr_ack(vm);
        FUZZ_CHECK(vec >= 0 && vec <= 255, "interrupt vector %d", vec);
    }
}

/* Bytes typed on the terminal, passed on as display.c does: translated to
 * set-2 codes while the keyboard scans and has room. */
static void type_keys(struct vm *vm, uint32_t v)
{
    struct i8042 *k = &vm->platform->kbc;
    uint8_t codes[I8042_KEYS];
    uint64_t dropped = 0;
    for (int i = 0; i < 4 && ntyped < TYPED; i++)
        typed[ntyped++] = (uint8_t)(v >> (8 * i));
    if (!k->scanning)
        return;
    size_t room = (size_t)(I8042_KEYS - k->key_count), used;
    size_t m = keymap_translate(typed, ntyped, codes, room, &used, &dropped);
    FUZZ_CHECK(m <= room && used <= ntyped, "keymap: %zu codes for room %zu, %zu of %zu bytes",
               m, room, used, ntyped);
    FUZZ_CHECK(used > 0 || room < I8042_KEYS, "keymap: %zu bytes and an empty keyboard, no progress",
               ntyped);
    memmove(typed, typed + used, ntyped - used);
    ntyped -= used;
    i8042_keys(k, codes, m);
}

/* What a guest's bytes in the memory window look like on the screen. */
static void render(struct vm *vm)
{
    vga_screen(&vm->platform->vga, guest_phys_ptr(&vm->mem, VGA_WINDOW, VGA_WINDOW_SIZE), &screen);
    FUZZ_CHECK(screen.cols >= 1 && screen.cols <= VGA_MAX_COLS && screen.rows >= 1 &&
               screen.rows <= VGA_MAX_ROWS, "screen %dx%d", screen.cols, screen.rows);
    size_t n = vga_term_render(&term, &screen, term_out);
    FUZZ_CHECK(n <= VGA_TERM_BUF, "vga_term_render wrote %zu bytes", n);
}

static void one_record(struct vm *vm, struct fuzz_in *in)
{
    uint8_t target = fuzz_take(in, 1), how = fuzz_take(in, 1);
    uint16_t off = fuzz_take(in, 2);
    uint32_t v = fuzz_take(in, 4), dt = fuzz_take(in, 1);
    bool screen_changed = false;

    now_ns += (uint64_t)dt * dt * dt;
    if ((how & 0x44) == 0x44 && (how & 0x80))
        type_keys(vm, v);
    else if ((how & 0x44) == 0x44) {
        memcpy(vm->mem.ram + VGA_WINDOW + (off * 2u) % (VGA_WINDOW_SIZE - 3), &v, 4);
        screen_changed = true;
    } else if (how & 0x40) {
        struct uart *u = &vm->platform->com[how >> 7];
        if (uart_rx_room(u) > 0)        /* as the console does (uart16550.h) */
            uart_receive(u, (uint8_t)v);
    } else
        screen_changed = access_bus(vm, target, how, off, v);
    if (how & 0x10) {
        uint64_t d = devices_next_deadline_ns(vm);
        if (d != UINT64_MAX && d > now_ns)
            now_ns = d;
    }
    if (how & 0x18)
        devices_tick(vm, now_ns);
    if (how & 0x20)
        acknowledge(vm);
    if (screen_changed)
        render(vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };

    if (!disk_rw[0])
        LLVMFuzzerInitialize(NULL, NULL);
    now_ns = 1000000000ull;
    ntyped = 0;
    vga_term_invalidate(&term);
    struct vm *vm = make_vm(fuzz_take(&in, 1));
    while (in.left)
        one_record(vm, &in);
    render(vm);
    vga_text_dump(vm, devnull);
    devices_destroy(vm);
    check_disk(disk_rw, NULL);
    check_disk(disk_ro, ro_bytes);
    guest_mem_destroy(&vm->mem);
    free(vm);
    return 0;
}
