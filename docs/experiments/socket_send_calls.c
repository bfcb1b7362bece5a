/* Ad-hoc check (fourth session of 2026-12-02): what the kernel charges for one 10 KB
 * buffer written to a unix stream socket with each call a write-all loop could use:
 * send(MSG_NOSIGNAL), pwritev2(RWF_NOSIGNAL) of one iovec, sendmsg(MSG_NOSIGNAL) of one
 * iovec, and write. The vectored calls import an iovec array (and pwritev2 checks the file
 * position and permissions); send and write take the buffer as it is. Per round, 100 calls
 * of each, the socket drained in between (8 MiB buffers, so no call waits); ten rounds.
 *
 *   gcc -O2 -Wall -o /tmp/socket_send_calls docs/experiments/socket_send_calls.c && /tmp/socket_send_calls
 *
 * Output: docs/bench/2026-12-02-s4-socket-send-calls.txt */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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

int main(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
    int big = 8 << 20;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    static char buf[10000], sink[1 << 22];
    memset(buf, 1, sizeof buf);
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    const char *names[4] = {"send", "pwritev2", "sendmsg", "write"};
    for (int round = 0; round < 10; round++) {
        for (int m = 0; m < 4; m++) {
            double start = now_ns();
            for (int i = 0; i < 100; i++) {
                ssize_t n = m == 0 ? send(sv[0], buf, sizeof buf, MSG_NOSIGNAL)
                          : m == 1 ? pwritev2(sv[0], &iov, 1, -1, RWF_NOSIGNAL)
                          : m == 2 ? sendmsg(sv[0], &msg, MSG_NOSIGNAL)
                                   : write(sv[0], buf, sizeof buf);
                if (n != (ssize_t)sizeof buf) return 2;
            }
            printf("%s %.0f ns%s", names[m], (now_ns() - start) / 100, m == 3 ? "\n" : " | ");
            while (recv(sv[1], sink, sizeof sink, MSG_DONTWAIT) > 0) {
            }
        }
    }
    return 0;
}
