/* Ad-hoc check (fourth session of 2026-12-02): what a system call costs on this machine
 * depending on how many function returns follow it before the next one. The same 3-iovec
 * writev to /dev/null (a header, a separator, a 64 KiB body: the kernel touches no data) is
 * made by an inline `syscall` instruction in the timing loop itself; in a function that
 * returns to the loop (depth 1); two functions deep (depth 2); and, as a control, inline
 * with a call to an empty function after it (a call and a return that do not span a
 * system call). On kernels that mitigate SRSO with "Safe RET" (see
 * /sys/devices/system/cpu/vulnerabilities/spec_rstack_overflow), the kernel's return thunk
 * leaves the return-address predictor in a state that makes the first user-space `ret`
 * after the system call expensive.
 *
 *   gcc -O2 -Wall -o /tmp/syscall_return_depth docs/experiments/syscall_return_depth.c && /tmp/syscall_return_depth
 *
 * Output: docs/bench/2026-12-02-s4-syscall-return-depth.txt (x86-64 Linux only). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>

static inline long raw_writev(int fd, const struct iovec *iov, long count) {
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"((long)SYS_writev), "D"((long)fd), "S"(iov), "d"(count)
                     : "rcx", "r11", "memory");
    return ret;
}

static int fd;
static struct iovec iov[3];

__attribute__((noinline)) long depth1(void) { return raw_writev(fd, iov, 3); }
__attribute__((noinline)) long depth2(void) {
    long n = depth1();
    __asm__ volatile("" ::: "memory");
    return n;
}
__attribute__((noinline)) void empty(void) { __asm__ volatile("" ::: "memory"); }

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(void) {
    static char head[200], sep[2], body[65536];
    iov[0] = (struct iovec){head, sizeof head};
    iov[1] = (struct iovec){sep, sizeof sep};
    iov[2] = (struct iovec){body, sizeof body};
    fd = open("/dev/null", O_WRONLY);
    if (fd < 0) return 1;
    const int calls = 1000000;
    const char *names[4] = {"inline", "depth 1", "depth 2", "inline + empty call"};
    for (int round = 0; round < 5; round++) {
        for (int m = 0; m < 4; m++) {
            double start = now_ns();
            long sum = 0;
            for (int i = 0; i < calls; i++) {
                if (m == 0) {
                    sum += raw_writev(fd, iov, 3);
                } else if (m == 1) {
                    sum += depth1();
                } else if (m == 2) {
                    sum += depth2();
                } else {
                    sum += raw_writev(fd, iov, 3);
                    empty();
                }
            }
            if (sum != (long)calls * (200 + 2 + 65536)) return 2;
            printf("%s %.1f ns%s", names[m], (now_ns() - start) / calls, m == 3 ? "\n" : " | ");
        }
    }
    return 0;
}
