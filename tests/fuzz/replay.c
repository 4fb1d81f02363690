/*
 * tests/fuzz/replay.c - main() for a fuzz harness built without libFuzzer:
 * every file named on the command line, or found in a directory named
 * there, is passed once to LLVMFuzzerTestOneInput(), in name order so that
 * a failure is reproducible.  A harness that finds a fault aborts, so the
 * exit status says whether the whole corpus passed.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) < 0) {
        fclose(f);
        return -1;
    }
    uint8_t *buf = malloc(st.st_size ? st.st_size : 1);
    size_t n = buf ? fread(buf, 1, st.st_size, f) : 0;
    fclose(f);
    if (!buf || n != (size_t)st.st_size) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Returns the number of inputs run, -1 on an unreadable one. */
static int run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path) < 0 ? -1 : 1;
    struct dirent **ents;
    int n = scandir(path, &ents, NULL, by_name), count = 0;
    if (n < 0) {
        perror(path);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, ents[i]->d_name);
        if (ents[i]->d_name[0] != '.' && count >= 0) {
            int r = run_path(sub);
            count = r < 0 ? -1 : count + r;
        }
        free(ents[i]);
    }
    free(ents);
    return count;
}

int main(int argc, char **argv)
{
    int total = 0;
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        int n = run_path(argv[i]);
        if (n < 0)
            return 1;
        total += n;
    }
    printf("%d inputs replayed, no fault\n", total);
    return 0;
}
