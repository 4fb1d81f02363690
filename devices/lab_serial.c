/*
 * devices/lab_serial.c - lab 2: serial back ends (docs/labs/serial-backends.md).
 *
 * The UART model does not care where its bytes go: a file descriptor to
 * write transmitted bytes to, one to read received ones from
 * (devices/console.c polls it).  So a back end is only a way to get those
 * two descriptors, and the whole lab is here.  The reference solution is
 * built with VMM_LAB_SOLUTIONS (the default); the lab is the #else branch,
 * which knows only stdio.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "devices/lab_serial.h"

#if VMM_LAB_SOLUTIONS

static int fail(char *err, size_t n, const char *spec, const char *what)
{
    snprintf(err, n, "--serial %s: %s", spec, what);
    return -1;
}

static int fail_errno(char *err, size_t n, const char *spec, const char *path)
{
    snprintf(err, n, "--serial %s: %s: %s", spec, path, strerror(errno));
    return -1;
}

/* One end of pipe:PATH: PATH.in or PATH.out, which must be a FIFO.  O_RDWR
 * opens a FIFO without waiting for the other side. */
static int open_fifo(const char *spec, const char *path, const char *suffix, char *err, size_t n)
{
    char name[4096];
    struct stat st;
    snprintf(name, sizeof name, "%s%s", path, suffix);
    if (stat(name, &st) < 0)
        return fail_errno(err, n, spec, name);
    if (!S_ISFIFO(st.st_mode)) {
        snprintf(err, n, "--serial %s: %s is not a FIFO (make it with mkfifo)", spec, name);
        return -1;
    }
    int fd = open(name, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    return fd < 0 ? fail_errno(err, n, spec, name) : fd;
}

static int unix_socket(const char *spec, const char *path, bool server, char *err, size_t n)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof a.sun_path)
        return fail(err, n, spec, "socket path too long");
    strcpy(a.sun_path, path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return fail_errno(err, n, spec, "socket");
    if (!server) {
        if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
            fail_errno(err, n, spec, path);
            close(s);
            return -1;
        }
        return s;
    }
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);               /* a socket left by an earlier run */
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1) < 0) {
        fail_errno(err, n, spec, path);
        close(s);
        return -1;
    }
    fprintf(stderr, "vmm: waiting for a connection on unix:%s\n", path);
    int c;
    while ((c = accept4(s, NULL, NULL, SOCK_CLOEXEC)) < 0 && errno == EINTR)
        ;
    close(s);
    unlink(path);
    return c < 0 ? fail_errno(err, n, spec, "accept") : c;
}

int serial_open(const char *spec, int *in_fd, int *out_fd, char *err, size_t n)
{
    /* A client that goes away must not end the run: its writes fail instead. */
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(spec, "stdio") == 0) {
        *in_fd = STDIN_FILENO;
        *out_fd = STDOUT_FILENO;
        return 0;
    }
    if (strcmp(spec, "none") == 0) {
        *in_fd = *out_fd = -1;
        return 0;
    }
    if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
        *in_fd = -1;
        *out_fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0644);
        return *out_fd < 0 ? fail_errno(err, n, spec, spec + 5) : 0;
    }
    if (strncmp(spec, "pipe:", 5) == 0 && spec[5]) {
        if ((*in_fd = open_fifo(spec, spec + 5, ".in", err, n)) < 0)
            return -1;
        if ((*out_fd = open_fifo(spec, spec + 5, ".out", err, n)) < 0) {
            close(*in_fd);
            return -1;
        }
        return 0;
    }
    if (strncmp(spec, "unix:", 5) == 0 && spec[5]) {
        char path[4096];
        snprintf(path, sizeof path, "%s", spec + 5);
        size_t len = strlen(path);
        bool server = len > 7 && strcmp(path + len - 7, ",server") == 0;
        if (server)
            path[len - 7] = '\0';
        int fd = unix_socket(spec, path, server, err, n);
        if (fd < 0)
            return -1;
        *in_fd = *out_fd = fd;
        return 0;
    }
    return fail(err, n, spec, "want stdio, file:PATH, pipe:PATH, unix:PATH[,server] or none");
}

#else   /* the lab: every back end but stdio */

int serial_open(const char *spec, int *in_fd, int *out_fd, char *err, size_t n)
{
    if (strcmp(spec, "stdio") == 0) {
        *in_fd = STDIN_FILENO;
        *out_fd = STDOUT_FILENO;
        return 0;
    }
    if (strcmp(spec, "none") == 0) {       /* nothing connected: not part of the lab */
        *in_fd = *out_fd = -1;
        return 0;
    }
    snprintf(err, n, "--serial %s: only stdio so far (lab 2, docs/labs/serial-backends.md)", spec);
    return -1;
}

#endif
