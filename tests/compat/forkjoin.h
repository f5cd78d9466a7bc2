/* forkjoin.h: what the forkjoin_*.c programs share (issue 15: correctness tests of the
 * fork-join path: barriers, team reuse between regions, reductions, the wait policy).
 * Define FJ_NAME (the program's name) before including it. It provides:
 * - fail() / CHECK(cond, fmt, ...): report a failed check (expected vs got) and count it; the
 *   first 20 are printed; fj_finish() prints the summary and gives main's exit status;
 * - fj_start(): reads the environment and, with FORKJOIN_BUSY=<k> (1..8), forks k child
 *   processes that spin on the CPU beside the test (an oversubscribed machine); they are
 *   killed by fj_finish(), by an atexit handler, and by the kernel if this process dies
 *   (PR_SET_PDEATHSIG), so none is left behind;
 * - fj_count(total, lo, hi): an iteration count that keeps the run time bounded: total
 *   thread-episodes spread over the threads (omp_get_max_threads()), clamped to [lo, hi], times
 *   FORKJOIN_SCALE (a factor: 10 for a longer stress run), divided by 4 under ThreadSanitizer and
 *   by 8 with busy loops beside (where spinning waits, the reference runtimes' above all, cost
 *   a time slice whenever the thread they wait for is descheduled);
 * - fj_all_checks: 1 when the checks that libomp 14, the clang build's reference, gets wrong
 *   are to run: always in gcc builds; in clang builds only with FORKJOIN_ALL_CHECKS set in the
 *   environment (the CMake glue sets it on the arayon routes). Each such check says what libomp
 *   does wrong;
 * - fj_jitter(a, b): a deterministic perturbation of one thread at one point (mostly nothing,
 *   sometimes a short or longer spin, rarely a 50-250 us sleep, so that the others wait long
 *   enough to go from spinning to sleeping), so that threads arrive in ever different orders;
 * - fj_spin(n): a busy loop of n steps;
 * - a watchdog (alarm): a run that has not ended after 25 s (100 s under ThreadSanitizer; the
 *   CTest TIMEOUT is a little longer) prints the part it is stuck in (fj_part, which main sets
 *   before each part: fj_part = "...") and exits with status 3, and a run that has failed a
 *   check ends 5 s later at the latest (a runtime that let a thread through a barrier early
 *   usually hangs soon after), so that failures are reported with their message rather than
 *   as a bare timeout.
 * Nothing checks time: the perturbations only change the interleavings, and the watchdog only
 * turns a hang into a message. */
#ifndef FORKJOIN_H
#define FORKJOIN_H

#define _GNU_SOURCE
#include <dlfcn.h>
#include <omp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef FJ_NAME
#error "define FJ_NAME before including forkjoin.h"
#endif

/* ThreadSanitizer slows the programs down about tenfold (AddressSanitizer much less) */
#if defined(__SANITIZE_THREAD__)
#define FJ_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FJ_TSAN 1
#endif
#endif
#ifndef FJ_TSAN
#define FJ_TSAN 0
#endif

/* Thread numbers are checked against this; OMP_NUM_THREADS of the tests is at most 32. */
#define FJ_MAXT 128

static int failures;
static const char *volatile fj_part = "start"; /* the part running, for the watchdog */
static unsigned fj_watchdog_s = 25;

static void fj_write(const char *s) { (void)!write(2, s, strlen(s)); }

static void fj_alarm(int sig)
{
  (void)sig;
  int f;
#pragma omp atomic read
  f = failures;
  fj_write(FJ_NAME ": ");
  if (f) {
    fj_write("giving up 5 s after a failed check (in part: ");
    fj_write((const char *)fj_part);
    fj_write("): the threads would likely wait forever\n");
    _exit(1);
  }
  fj_write("watchdog: no end in sight, stuck in part: ");
  fj_write((const char *)fj_part);
  fj_write(" (a lost wake-up, or a barrier or join that never completes?)\n");
  _exit(3);
}

__attribute__((format(printf, 3, 4))) static void fail(int line, const char *what, const char *fmt, ...)
{
  int n;
#pragma omp atomic capture
  n = ++failures;
  if (n == 1)
    alarm(5); /* the watchdog, sooner: see fj_alarm */
  if (n > 20)
    return;
  va_list ap;
  va_start(ap, fmt);
#pragma omp critical(compat_report)
  {
    fprintf(stderr, FJ_NAME ".c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))

static void fj_spin(long n)
{
  for (volatile long s = 0; s < n; s++)
    ;
}

static unsigned fj_hash(unsigned a, unsigned b)
{
  unsigned h = a * 0x9E3779B1u ^ (b + 0x7F4A7C15u) * 0x85EBCA77u;
  h ^= h >> 15;
  h *= 0xC2B2AE3Du;
  h ^= h >> 13;
  return h;
}

/* Perturbs the calling thread at point (a, b): 70% nothing, 20% a few hundred steps, 8% some
 * thousands (tens of microseconds), 2% a sleep of 50-250 us. */
static int fj_nojitter; /* FORKJOIN_NOJITTER set: no perturbations (to compare) */

static void fj_jitter(unsigned a, unsigned b)
{
  if (fj_nojitter || omp_get_num_threads() == 1)
    return; /* nobody to wait for this thread */
  unsigned h = fj_hash(a, b);
  unsigned r = h % 100;
  if (r < 70)
    return;
  if (r < 90)
    fj_spin(100 + (h >> 8) % 400);
  else if (r < 98)
    fj_spin(2000 + (h >> 8) % 20000);
  else {
    struct timespec ts = {0, 50000 + (long)((h >> 8) % 200) * 1000};
    nanosleep(&ts, NULL);
  }
}

static double fj_scale = 1.0;
static int fj_all_checks;
static int fj_threads = 1; /* omp_get_max_threads() at the start */
static pid_t fj_busy_pid[8];
static int fj_busy_n;

static void fj_busy_stop(void)
{
  for (int i = 0; i < fj_busy_n; i++) {
    if (fj_busy_pid[i] > 0) {
      kill(fj_busy_pid[i], SIGKILL);
      waitpid(fj_busy_pid[i], NULL, 0);
      fj_busy_pid[i] = 0;
    }
  }
  fj_busy_n = 0;
}

/* Call first in main, before any OpenMP construct (the spinners are forked while the process
 * has one thread). */
static void fj_start(void)
{
  const char *b = getenv("FORKJOIN_BUSY");
  int busy = b ? atoi(b) : 0;
  if (busy > 8)
    busy = 8;
  pid_t parent = getpid();
  for (int i = 0; i < busy; i++) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
      perror(FJ_NAME ": fork of a busy loop");
      exit(2);
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent)
        _exit(0);
      for (volatile unsigned long k = 0;; k++)
        ;
    }
    fj_busy_pid[fj_busy_n++] = pid;
  }
  if (busy > 0)
    atexit(fj_busy_stop);
#ifdef __clang__
  fj_all_checks = getenv("FORKJOIN_ALL_CHECKS") != NULL;
#else
  fj_all_checks = 1;
#endif
  fj_nojitter = getenv("FORKJOIN_NOJITTER") != NULL;
  const char *s = getenv("FORKJOIN_SCALE");
  if (s && atof(s) > 0)
    fj_scale = atof(s);
  if (FJ_TSAN)
    fj_scale /= 4;
  if (busy > 0)
    fj_scale /= 8;
  if (FJ_TSAN)
    fj_watchdog_s = 100;
  signal(SIGALRM, fj_alarm);
  alarm(fj_watchdog_s * (fj_scale > 1 ? (unsigned)(fj_scale + 0.5) : 1));
  fj_threads = omp_get_max_threads();
  if (fj_threads < 1)
    fj_threads = 1;
}

/* total thread-episodes over the team, clamped per thread to [lo, hi], then scaled. */
static long fj_count(long total, long lo, long hi)
{
  long c = total / fj_threads;
  if (c < lo)
    c = lo;
  if (c > hi)
    c = hi;
  c = (long)(c * fj_scale);
  return c < 1 ? 1 : c;
}

static const char *fj_runtime(void)
{
  typedef const char *(*name_fn)(void);
  name_fn f = (name_fn)dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name");
  if (f)
    return f();
#ifdef __clang__
  return "libomp";
#else
  return "libgomp";
#endif
}

/* The exit status of main; prints the summary line (what ran) or the failure count. */
static int fj_finish(const char *summary)
{
  alarm(0);
  int busy = fj_busy_n;
  fj_busy_stop();
  const char *wp = getenv("OMP_WAIT_POLICY");
  if (failures) {
    fprintf(stderr, FJ_NAME ": %d check(s) failed (on %s, %d threads%s%s%s)\n", failures,
            fj_runtime(), fj_threads, busy ? ", busy loops beside" : "",
            wp ? ", OMP_WAIT_POLICY=" : "", wp ? wp : "");
    return 1;
  }
  printf(FJ_NAME ": %s; on %s, %d threads%s%s%s: ok\n", summary, fj_runtime(), fj_threads,
         busy ? ", busy loops beside" : "", wp ? ", OMP_WAIT_POLICY=" : "", wp ? wp : "");
  return 0;
}

#endif
