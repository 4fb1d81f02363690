/*
 * devices/image.c - the one way a drive's image file is opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "devices/image.h"

int image_open(const char *path, bool ro, unsigned block, uint64_t *size,
               char *err, size_t errlen)
{
    /* O_NONBLOCK: a FIFO must not make the open wait for its other end (it
     * is refused below); files and block devices ignore the flag for I/O. */
    int fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (!ro && (errno == EACCES || errno == EROFS) && access(path, R_OK) == 0)
            snprintf(err, errlen, "%s: not writable (attach it read-only: %s,ro)", path, path);
        else
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    off_t sz = -1;
    if (fstat(fd, &st) == 0)
        sz = S_ISBLK(st.st_mode) ? lseek(fd, 0, SEEK_END) : S_ISREG(st.st_mode) ? st.st_size : -1;
    char ragged[64];
    snprintf(ragged, sizeof ragged, "size is not a multiple of %u bytes", block);
    const char *why = sz < 0 ? "not a regular file or block device"
                    : sz == 0 ? "empty image"
                    : sz % block ? ragged : NULL;
    if (!why && flock(fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0)
        why = "image is in use by another process (locked)";
    if (why) {
        if (sz > 0 && sz % block)
            snprintf(err, errlen, "%s: %s (%lld bytes: %lld too many, or %lld missing)", path, why,
                     (long long)sz, (long long)(sz % block), (long long)(block - sz % block));
        else
            snprintf(err, errlen, "%s: %s", path, why);
        close(fd);
        return -1;
    }
    *size = (uint64_t)sz;
    return fd;
}

bool image_io(int fd, uint8_t *buf, size_t n, uint64_t off, bool write)
{
    while (n) {
        ssize_t r = write ? pwrite(fd, buf, n, (off_t)off) : pread(fd, buf, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        buf += r; n -= (size_t)r; off += (uint64_t)r;
    }
    return true;
}
