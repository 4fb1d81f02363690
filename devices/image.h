/*
 * devices/image.h - opening the host file behind an emulated drive.
 *
 * Contract: image_open() opens path read-only or read-write, accepts only a
 * regular file or a block device (never a FIFO, which would make open or
 * read wait for a writer, nor a character device, which has no size), of a
 * non-zero size that is a multiple of `block` bytes, and locks it with
 * flock (shared when read-only, exclusive otherwise, never waiting) so that
 * two monitors cannot write the same image.  Returns the descriptor and
 * the size, or -1 with a message naming the file and the reason (the
 * caller's user error).
 */
#ifndef DEVICES_IMAGE_H
#define DEVICES_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int image_open(const char *path, bool ro, unsigned block, uint64_t *size,
               char *err, size_t errlen);
/* All of n bytes at offset off, retrying short transfers and EINTR; false
 * on an error or at the end of the file. */
bool image_io(int fd, uint8_t *buf, size_t n, uint64_t off, bool write);

#endif
