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
 * image would grow the file).
 *
 * Time: the devices read the host clock through host_now_ns() and
 * host_clock(); this program is linked with --wrap for both (CMakeLists.txt)
 * so they read the harness's virtual clock, which only the input advances.
 *
 * Input: records of 9 bytes.
 *   0     target: a registered port or MMIO range (index modulo their
 *         number, offset modulo its length), or any port (the last index)
 *   1     bits 0-1 width (1, 2, 4, 1); bit 2 write; bit 3 tick the
 *         devices; bit 4 jump the clock to the next device deadline;
 *         bit 5 acknowledge pending interrupts; bit 6 a byte for the UART
 *         (bit 7 picks COM1/COM2) instead of the access
 *   2..3  offset (or the port)
 *   4..7  value
 *   8     time that passes first: n*n*n nanoseconds (up to 16.5 ms)
 */
#include "fuzz_common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include "monitor/vm.h"
#include "devices/irq.h"
#include "devices/platform.h"

#define RAM_MIB 4
#define DISK_BYTES (64 * 512)
#define RECORD 9
#define MAX_ACKS 64         /* per record: an unacknowledged level line re-asserts */

static uint64_t now_ns;
static char disk_rw[128], disk_ro[128];
static uint8_t ro_bytes[DISK_BYTES];

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
    return 0;
}

static struct vm *make_vm(void)
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
    FUZZ_CHECK(devices_init(vm, err, sizeof err) == 0, "%s", err);
    vm->platform->com[0].out_fd = -1;       /* no guest output on the fuzzer's stdout */
    return vm;
}

static void access_bus(struct vm *vm, uint8_t target, uint8_t how, uint16_t off, uint32_t v)
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
        return;
    }
    const struct io_range *r = &bus->mmio[t - bus->npio];
    uint64_t addr = r->base + off % r->len;
    uint32_t got;
    if (write)
        io_mmio_write(bus, addr, size, v);
    else
        io_mmio_read(bus, addr, size, &got);
}

static void acknowledge(struct vm *vm)
{
    for (int i = 0; i < MAX_ACKS && irq_intr_pending(vm); i++) {
        int vec = irq_intr_ack(vm);
        FUZZ_CHECK(vec >= 0 && vec <= 255, "interrupt vector %d", vec);
    }
}

static void one_record(struct vm *vm, struct fuzz_in *in)
{
    uint8_t target = fuzz_take(in, 1), how = fuzz_take(in, 1);
    uint16_t off = fuzz_take(in, 2);
    uint32_t v = fuzz_take(in, 4), dt = fuzz_take(in, 1);

    now_ns += (uint64_t)dt * dt * dt;
    if (how & 0x40) {
        struct uart *u = &vm->platform->com[how >> 7];
        if (uart_rx_room(u) > 0)        /* as the console does (uart16550.h) */
            uart_receive(u, (uint8_t)v);
    } else
        access_bus(vm, target, how, off, v);
    if (how & 0x10) {
        uint64_t d = devices_next_deadline_ns(vm);
        if (d != UINT64_MAX && d > now_ns)
            now_ns = d;
    }
    if (how & 0x18)
        devices_tick(vm, now_ns);
    if (how & 0x20)
        acknowledge(vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };

    if (!disk_rw[0])
        LLVMFuzzerInitialize(NULL, NULL);
    now_ns = 1000000000ull;
    struct vm *vm = make_vm();
    while (in.left)
        one_record(vm, &in);
    devices_destroy(vm);
    check_disk(disk_rw, NULL);
    check_disk(disk_ro, ro_bytes);
    guest_mem_destroy(&vm->mem);
    free(vm);
    return 0;
}
