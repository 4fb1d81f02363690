/*
 * tests/fuzz/fuzz_common.h - what the harnesses share: a check that aborts
 * with a message (libFuzzer and replay.c both report an abort as a crash),
 * a reader of input bytes that yields zeros past the end, and a scratch
 * directory in memory-backed storage for the files a harness needs.
 */
#ifndef TESTS_FUZZ_FUZZ_COMMON_H
#define TESTS_FUZZ_FUZZ_COMMON_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_CHECK(cond, ...)                                           \
    do {                                                                \
        if (!(cond)) {                                                  \
            fprintf(stderr, "fuzz check failed at %s:%d: %s: ",        \
                    __FILE__, __LINE__, #cond);                         \
            fprintf(stderr, __VA_ARGS__);                               \
            fputc('\n', stderr);                                        \
            abort();                                                    \
        }                                                               \
    } while (0)

struct fuzz_in {
    const uint8_t *p;
    size_t left;
};

static inline uint32_t fuzz_take(struct fuzz_in *in, int bytes)
{
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++) {
        uint8_t b = in->left ? (in->left--, *in->p++) : 0;
        v |= (uint32_t)b << (8 * i);
    }
    return v;
}

static char fuzz_scratch[64];

/* At exit: the scratch directory and the files the harness made in it. */
static inline void fuzz_scratch_remove(void)
{
    DIR *d = opendir(fuzz_scratch);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') {
            char path[sizeof fuzz_scratch + sizeof e->d_name + 1];
            snprintf(path, sizeof path, "%s/%s", fuzz_scratch, e->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
    rmdir(fuzz_scratch);
}

/* A private directory under /dev/shm (else /tmp), removed at exit; the
 * caller names files in it.  Made once per process. */
static inline const char *fuzz_scratch_dir(void)
{
    char *dir = fuzz_scratch;
    if (!dir[0]) {
        snprintf(dir, sizeof fuzz_scratch, "%s/vmm-fuzz.XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            abort();
        }
        atexit(fuzz_scratch_remove);
    }
    return dir;
}

#endif
