/* taskloop: every iteration runs exactly once (int, and unsigned long long counting down by 3);
 * grainsize(g) makes tasks of at least min(g, N) and fewer than 2g iterations; num_tasks(n)
 * makes min(n, N) tasks (the tasks are told apart by a firstprivate counter, which each task
 * gets a fresh copy of); without nogroup the construct waits for the tasks and their
 * descendants, with nogroup a taskwait does; lastprivate gets the last iteration's value;
 * collapse(2); taskloops started by every thread at once. */
#include <string.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int failures;

__attribute__((format(printf, 3, 4))) static void fail(int line, const char *what, const char *fmt, ...)
{
  int n;
#pragma omp atomic capture
  n = ++failures;
  if (n > 20)
    return;
  va_list ap;
  va_start(ap, fmt);
#pragma omp critical(compat_report)
  {
    fprintf(stderr, "taskloop.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
#define N 1000

static int hits[N], within[N];

static void reset(void)
{
  memset(hits, 0, sizeof hits);
  memset(within, -1, sizeof within);
}

static int count_hits(int n, const char *what)
{
  int bad = 0;
  for (int i = 0; i < N; i++)
    bad += hits[i] != (i < n);
  CHECK(bad == 0, "%s: %d iterations not run exactly once", what, bad);
  return bad;
}

/* Chunks: runs of within[] = 0, 1, 2, ...; returns the number of chunks, min and max size. */
static int chunks(int n, int *minsz, int *maxsz, const char *what)
{
  int count = 0, cur = 0, bad = 0;
  *minsz = 1 << 30;
  *maxsz = 0;
  for (int i = 0; i < n; i++) {
    if (within[i] == 0) {
      if (i > 0) {
        if (cur < *minsz)
          *minsz = cur;
        if (cur > *maxsz)
          *maxsz = cur;
      }
      count++;
      cur = 1;
    } else if (i > 0 && within[i] == within[i - 1] + 1) {
      cur++;
    } else {
      bad++;
    }
  }
  if (n > 0) {
    if (cur < *minsz)
      *minsz = cur;
    if (cur > *maxsz)
      *maxsz = cur;
  }
  CHECK(bad == 0, "%s: %d iterations not in contiguous per-task runs", what, bad);
  return count;
}

int main(void)
{
  int team = 0;
  static const int grains[] = {1, 7, 64, 300, 999, 5000};
  static const int ntasks[] = {1, 3, 16, 100, 1000, 4000};

#pragma omp parallel
#pragma omp single
  {
    team = omp_get_num_threads();

    reset();
#pragma omp taskloop
    for (int i = 0; i < N; i++) {
#pragma omp atomic
      hits[i]++;
    }
    count_hits(N, "plain taskloop");

    for (size_t g = 0; g < sizeof grains / sizeof grains[0]; g++) {
      int grain = grains[g], seen = 0;
      reset();
#pragma omp taskloop grainsize(grain) firstprivate(seen)
      for (int i = 0; i < N; i++) {
#pragma omp atomic
        hits[i]++;
        within[i] = seen++;
      }
      char what[64];
      snprintf(what, sizeof what, "grainsize(%d)", grain);
      count_hits(N, what);
      int mn, mx, nc = chunks(N, &mn, &mx, what);
      int lo = grain < N ? grain : N;
      CHECK(mn >= lo && mx < 2 * grain, "%s: %d tasks of %d..%d iterations, expected each in "
            "[%d, %d)", what, nc, mn, mx, lo, 2 * grain);
    }

    for (size_t t = 0; t < sizeof ntasks / sizeof ntasks[0]; t++) {
      int nt = ntasks[t], seen = 0;
      reset();
#pragma omp taskloop num_tasks(nt) firstprivate(seen)
      for (int i = 0; i < N; i++) {
#pragma omp atomic
        hits[i]++;
        within[i] = seen++;
      }
      char what[64];
      snprintf(what, sizeof what, "num_tasks(%d)", nt);
      count_hits(N, what);
      int mn, mx, nc = chunks(N, &mn, &mx, what);
      int expect = nt < N ? nt : N;
      CHECK(nc == expect, "%s: %d tasks, expected %d", what, nc, expect);
    }

    /* Without nogroup: descendants of the taskloop's tasks are done too. */
    int grandkids = 0;
#pragma omp taskloop grainsize(50) shared(grandkids)
    for (int i = 0; i < 200; i++) {
#pragma omp task shared(grandkids)
      {
#pragma omp atomic
        grandkids++;
      }
    }
    int gk;
#pragma omp atomic read
    gk = grandkids;
    CHECK(gk == 200, "after a taskloop, %d of 200 tasks created by its tasks are done", gk);

    /* nogroup + taskwait. */
    reset();
#pragma omp taskloop nogroup grainsize(10)
    for (int i = 0; i < N; i++) {
#pragma omp atomic
      hits[i]++;
    }
#pragma omp taskwait
    count_hits(N, "taskloop nogroup + taskwait");

    /* lastprivate, unsigned long long counting down. */
    long long last = -1;
    unsigned long long top = 0x8000000000000000ULL + 3 * 500;
    reset();
#pragma omp taskloop lastprivate(last) grainsize(13)
    for (unsigned long long u = top; u > 0x8000000000000000ULL; u -= 3) {
      int k = (int)((top - u) / 3);
#pragma omp atomic
      hits[k]++;
      last = (long long)(u - 0x8000000000000000ULL);
    }
    count_hits(500, "unsigned long long down by 3");
    CHECK(last == 3, "lastprivate after taskloop: %lld, expected 3", last);

    /* collapse(2). */
    int grid[20][30];
    memset(grid, 0, sizeof grid);
#pragma omp taskloop collapse(2) num_tasks(7) shared(grid)
    for (int i = 0; i < 20; i++)
      for (int j = 0; j < 30; j++) {
#pragma omp atomic
        grid[i][j]++;
      }
    int gbad = 0;
    for (int i = 0; i < 20; i++)
      for (int j = 0; j < 30; j++)
        gbad += grid[i][j] != 1;
    CHECK(gbad == 0, "taskloop collapse(2): %d of 600 cells not visited once", gbad);
  }

  /* Every thread runs its own taskloop at the same time. */
  long sums[64] = {0};
  int nthr = 0;
#pragma omp parallel shared(sums, nthr)
  {
    int t = omp_get_thread_num();
#pragma omp single
    nthr = omp_get_num_threads();
    if (t < 64) {
#pragma omp taskloop grainsize(16) shared(sums)
      for (int i = 0; i < N; i++) {
#pragma omp atomic
        sums[t] += i + t;
      }
      long s;
#pragma omp atomic read
      s = sums[t];
      CHECK(s == (long)N * (N - 1) / 2 + (long)N * t, "thread %d: its taskloop summed %ld", t, s);
    }
  }

  if (failures) {
    fprintf(stderr, "taskloop: %d check(s) failed\n", failures);
    return 1;
  }
  printf("taskloop: grainsize and num_tasks task shapes, implicit taskgroup, nogroup, lastprivate, "
         "unsigned long long, collapse(2), %d concurrent taskloops, team of %d: ok\n", nthr, team);
  return 0;
}
