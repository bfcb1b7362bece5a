/* What finding out an fd's kind costs, against the write it precedes (third session of
 * 2026-12-02): per call, in ns, on /dev/null, 1,000,000 calls, three rounds: fstat (what the
 * fd-level loops make once per call unless FdOptions::kind declares the kind), the cheapest
 * other probes (fcntl F_GETFL, F_GETPIPE_SZ on a non-pipe, lseek, getsockopt SO_TYPE on a
 * non-socket), and a one-byte writev / pwritev2(RWF_NOSIGNAL). Last, whether
 * pwritev2(RWF_NOSIGNAL) keeps a socket whose peer is gone from raising SIGPIPE: the
 * program ends there, with its exit status telling (141 = killed by SIGPIPE).
 *
 *   gcc -O2 -Wall -o /tmp/fd_probe_costs docs/experiments/fd_probe_costs.c
 *   /tmp/fd_probe_costs; echo "exit status $?"
 * Output: docs/bench/2026-12-02-s3-fd-probe-costs.txt
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef RWF_NOSIGNAL
#define RWF_NOSIGNAL 0x00000100
#endif

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

#define N 1000000
#define TIME(label, expr)                                   \
    do {                                                    \
        double t0 = now_ns();                               \
        for (int i = 0; i < N; i++) { expr; }               \
        printf("%-34s %6.1f ns\n", label, (now_ns() - t0) / N); \
    } while (0)

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    int fd = open("/dev/null", O_WRONLY);
    struct stat st;
    char byte = 0;
    struct iovec iov = {&byte, 1};
    for (int round = 1; round <= 3; round++) {
        printf("round %d\n", round);
        TIME("fstat", fstat(fd, &st));
        TIME("fcntl(F_GETFL)", fcntl(fd, F_GETFL));
        TIME("fcntl(F_GETPIPE_SZ), not a pipe", fcntl(fd, F_GETPIPE_SZ));
        TIME("lseek(0, SEEK_CUR)", lseek(fd, 0, SEEK_CUR));
        int type;
        socklen_t len = sizeof type;
        TIME("getsockopt(SO_TYPE), not a socket", getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len));
        TIME("writev, 1 byte", writev(fd, &iov, 1));
        TIME("pwritev2(RWF_NOSIGNAL), 1 byte", pwritev2(fd, &iov, 1, -1, RWF_NOSIGNAL));
    }
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    close(sv[1]);
    printf("pwritev2(RWF_NOSIGNAL) to a socket whose peer is closed: ...\n");
    ssize_t r = pwritev2(sv[0], &iov, 1, -1, RWF_NOSIGNAL);
    printf("returned %zd, errno %d (no SIGPIPE)\n", r, errno);
    return 0;
}
