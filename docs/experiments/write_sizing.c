// write_sizing.c: how the bytes offered per write call change the time to deliver a batch
// through a pipe or a unix stream socketpair, with the reader as a thread or as a separate
// process, with the other CPU idle or busy. Besides median times it counts, per batch, the
// writer's and the reader's context switches (getrusage) and the reader's read calls, and the
// bytes per read: evidence that survives a noisy machine.
//
// Build: gcc -O2 -pthread -o /tmp/write_sizing docs/experiments/write_sizing.c
// Run:   /tmp/write_sizing KIND N SIZE READER BUSY [REPS] [READBUF]
//   KIND    pipe | unix
//   N SIZE  N buffers of SIZE bytes per batch
//   READER  thread | process
//   BUSY    0 = other CPU idle; k = k spinning processes at nice 0; -k = k at nice 19
//   REPS    timed repetitions per strategy (default 41), strategies interleaved, rotated
//   READBUF the reader's read size (default 262144, as `vectored bench`)
// Environment: PIN=1 pins the writer to CPU 0 and the reader to CPU 1, so the reader always
// runs on a CPU of its own (woken across CPUs, preempting whatever else runs there).
// Strategies: writev with at most CAP bytes per call (CAP = uncapped, 256K, 64K, 32K, 16K, 8K,
// 4K), one write per buffer, concat (memcpy into one buffer, one write), and cap8K+look16
// (8K calls plus one getrusage(RUSAGE_THREAD) every 16 calls: what the pipe pacer's look costs).
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct stats { long reads, nvcsw, nivcsw; };
static int rfd, ctl[2], ack[2];
static size_t readbuf = 262144;
static int reader_is_process;
// Marks the cap8K+look16 strategy in caps[] (a bit no real cap uses).
#define LOOK ((size_t)1 << 62)

static struct stats usage(void) {
  struct rusage u;
  getrusage(reader_is_process ? RUSAGE_SELF : RUSAGE_THREAD, &u);
  return (struct stats){0, u.ru_nvcsw, u.ru_nivcsw};
}
static void xread(int fd, void *p, size_t n) {
  size_t g = 0;
  while (g < n) { ssize_t k = read(fd, (char *)p + g, n - g); if (k <= 0) exit(0); g += k; }
}
// The reader: for each request (a byte count), read exactly that many bytes, then reply with
// the number of reads and the context switches since the previous reply.
static void pin(int cpu) {
  if (!getenv("PIN") || strcmp(getenv("PIN"), "1")) return;
  cpu_set_t set; CPU_ZERO(&set); CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set)) { perror("sched_setaffinity"); exit(6); }
}
static void *reader(void *a) {
  (void)a;
  pin(1);
  char *buf = malloc(readbuf);
  struct stats prev = usage();
  for (;;) {
    size_t want;
    xread(ctl[0], &want, sizeof want);
    long reads = 0; size_t got = 0;
    while (got < want) {
      size_t w = want - got < readbuf ? want - got : readbuf;
      ssize_t n = read(rfd, buf, w);
      if (n <= 0) exit(3);
      got += n; reads++;
    }
    struct stats now = usage();
    struct stats d = {reads, now.nvcsw - prev.nvcsw, now.nivcsw - prev.nivcsw};
    if (write(ack[1], &d, sizeof d) != sizeof d) exit(5);
    prev = usage(); // the reply's own switches are not the next batch's
  }
  return 0;
}
static double now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
static int cmpd(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
  if (argc < 6) { fprintf(stderr, "usage: %s pipe|unix N SIZE thread|process BUSY [REPS] [READBUF]\n", argv[0]); return 2; }
  int sock = !strcmp(argv[1], "unix");
  int n = atoi(argv[2]); size_t sz = atol(argv[3]);
  reader_is_process = !strcmp(argv[4], "process");
  int busy = atoi(argv[5]); int reps = argc > 6 ? atoi(argv[6]) : 41;
  if (argc > 7) readbuf = atol(argv[7]);
  int nbusy = busy < 0 ? -busy : busy;
  pid_t spinners[16];
  for (int i = 0; i < nbusy && i < 16; i++) {
    if ((spinners[i] = fork()) == 0) { if (busy < 0) (void)nice(19); for (;;) __asm__ volatile(""); }
  }
  int fds[2];
  if (sock) socketpair(AF_UNIX, SOCK_STREAM, 0, fds); else pipe(fds);
  rfd = fds[0]; int wfd = fds[1];
  pipe(ctl); pipe(ack);
  size_t total = (size_t)n * sz;
  // Separately allocated buffers, like real user buffers.
  char **bufs = malloc(sizeof(char *) * n);
  for (int i = 0; i < n; i++) { bufs[i] = malloc(sz); memset(bufs[i], 'a' + i % 26, sz); }
  char *joined = malloc(total);
  struct iovec *iov = malloc(sizeof(struct iovec) * n);
  pid_t child = 0; pthread_t t;
  pin(0);
  if (reader_is_process) { if ((child = fork()) == 0) { close(wfd); reader(0); _exit(0); } close(rfd); }
  else pthread_create(&t, 0, reader, 0);
  size_t caps[] = {0, 256 << 10, 64 << 10, 32 << 10, 16 << 10, 8 << 10, 4 << 10, 1, 2, (8 << 10) | LOOK};
  const char *names[] = {"writev-uncapped", "writev-cap256K", "writev-cap64K", "writev-cap32K", "writev-cap16K", "writev-cap8K", "writev-cap4K", "write-each", "concat", "cap8K+look16"};
  enum { NS = 10 };
  double *res = calloc(NS * reps, sizeof(double));
  double calls[NS] = {0}, reads[NS] = {0}, wv[NS] = {0}, wi[NS] = {0}, rv[NS] = {0}, ri[NS] = {0};
  for (int r = -1; r < reps; r++) for (int k = 0; k < NS; k++) {
    int c = (k + (r < 0 ? 0 : r)) % NS; // rotate the order every round; round -1 is a warm-up
    for (int i = 0; i < n; i++) { iov[i].iov_base = bufs[i]; iov[i].iov_len = sz; }
    long ncalls = 0;
    if (write(ctl[1], &total, sizeof total) != sizeof total) return 4;
    struct rusage u0, u1; getrusage(RUSAGE_THREAD, &u0);
    double t0 = now_ns();
    if (caps[c] == 1) {
      for (int i = 0; i < n; i++) { size_t o = 0; while (o < sz) { ssize_t m = write(wfd, bufs[i] + o, sz - o); if (m <= 0) return 4; o += m; ncalls++; } }
    } else if (caps[c] == 2) {
      for (int i = 0; i < n; i++) memcpy(joined + i * sz, bufs[i], sz);
      size_t o = 0; while (o < total) { ssize_t m = write(wfd, joined + o, total - o); if (m <= 0) return 4; o += m; ncalls++; }
    } else {
      int idx = 0; size_t off = 0;
      while (idx < n) {
        struct iovec w[1024]; int kk = 0; size_t tot = 0; size_t cap = caps[c] ? (caps[c] & ~(size_t)LOOK) : (size_t)-1;
        int j = idx; size_t o = off;
        while (j < n && kk < 1024 && tot < cap) {
          size_t len = iov[j].iov_len - o; if (tot + len > cap) len = cap - tot;
          w[kk].iov_base = (char *)iov[j].iov_base + o; w[kk].iov_len = len; tot += len; kk++;
          if (o + len == iov[j].iov_len) { j++; o = 0; } else break;
        }
        ssize_t m = writev(wfd, w, kk); if (m < 0) return 4; ncalls++;
        // cap8K+look16: what one getrusage every 16 calls costs a writer (the pacer's look).
        if ((caps[c] & LOOK) && ncalls % 16 == 0) { struct rusage look; getrusage(RUSAGE_THREAD, &look); }
        while (m > 0) { size_t left = iov[idx].iov_len - off; if ((size_t)m >= left) { m -= left; idx++; off = 0; } else { off += m; m = 0; } }
      }
    }
    struct stats d; xread(ack[0], &d, sizeof d);
    double el = now_ns() - t0;
    getrusage(RUSAGE_THREAD, &u1);
    if (r < 0) continue;
    res[c * reps + r] = el;
    calls[c] += ncalls; reads[c] += d.reads; rv[c] += d.nvcsw; ri[c] += d.nivcsw;
    wv[c] += u1.ru_nvcsw - u0.ru_nvcsw; wi[c] += u1.ru_nivcsw - u0.ru_nivcsw;
  }
  printf("# %s %dx%zuB reader=%s busy=%d reps=%d readbuf=%zu pin=%s\n", argv[1], n, sz, argv[4], busy, reps, readbuf, getenv("PIN") ? getenv("PIN") : "0");
  printf("%-16s %10s %10s %8s %8s %9s %8s %8s %8s %8s\n", "strategy", "median_us", "p25_us", "calls", "reads", "B/read", "w_vcsw", "w_ivcsw", "r_vcsw", "r_ivcsw");
  for (int c = 0; c < NS; c++) {
    double *s = res + c * reps; qsort(s, reps, sizeof(double), cmpd);
    printf("%-16s %10.1f %10.1f %8.1f %8.1f %9.0f %8.1f %8.1f %8.1f %8.1f\n", names[c], s[reps / 2] / 1e3, s[reps / 4] / 1e3,
           calls[c] / reps, reads[c] / reps, total / (reads[c] / reps), wv[c] / reps, wi[c] / reps, rv[c] / reps, ri[c] / reps);
  }
  for (int i = 0; i < nbusy && i < 16; i++) kill(spinners[i], SIGKILL);
  if (child) { close(ctl[1]); kill(child, SIGKILL); waitpid(child, 0, 0); }
  for (int i = 0; i < nbusy && i < 16; i++) waitpid(spinners[i], 0, 0);
  return 0;
}
