/* doacross: cross-iteration dependences with ordered(n) + depend(sink/source). A 1-D prefix
 * recurrence a[i] = a[i-1] + f(i) and a 2-D wavefront g[i][j] = g[i-1][j] + g[i][j-1] (with
 * sinks on both neighbours) must equal their serial results, under static,1 and dynamic
 * schedules, counting up and (1-D) down by 2.
 *
 * On libgomp (the reference of gcc builds) with more threads than processors, the loops are a
 * tenth of the size: libgomp's GOMP_doacross_wait spins without ever yielding, so with 4 threads
 * on a busy 2-core machine each wait can last a scheduler time slice, and the full size took
 * 20 to 90 s there. */
#define _GNU_SOURCE
#include <dlfcn.h>
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
    fprintf(stderr, "doacross.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
#define N 3000
#define R 60
#define C 50

static long long a[N], sa[N];
static long long g[R][C], sg[R][C];

static long long f(long long i)
{
  for (volatile int s = 0; s < (int)(i % 64); s++)
    ;
  return i % 7 + 1;
}

int main(void)
{
  int n1 = N, rows = R;
  {
    void *p = dlsym(RTLD_DEFAULT, "omp_get_num_threads");
    Dl_info info;
    if (!dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name") && p && dladdr(p, &info) &&
        info.dli_fname && strstr(info.dli_fname, "libgomp") &&
        omp_get_max_threads() > omp_get_num_procs()) {
      n1 = N / 10;
      rows = R / 10;
    }
  }
  sa[0] = 1;
  for (int i = 1; i < N; i++)
    sa[i] = sa[i - 1] + f(i);
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++)
      sg[i][j] = (i == 0 || j == 0) ? 1 : (sg[i - 1][j] + sg[i][j - 1]) % 1000003;

  int team = 0;
  for (int rep = 0; rep < 3; rep++) {
    memset(a, 0, sizeof a);
    a[0] = 1;
#pragma omp parallel for ordered(1) schedule(static, 1)
    for (int i = 1; i < n1; i++) {
      long long v = f(i); /* runs in parallel */
#pragma omp ordered depend(sink : i - 1)
      a[i] = a[i - 1] + v;
#pragma omp ordered depend(source)
    }
    int bad = 0;
    for (int i = 0; i < n1; i++)
      bad += a[i] != sa[i];
    CHECK(bad == 0, "rep %d: 1-D recurrence (static,1): %d wrong entries", rep, bad);

    /* Counting down by 2 over the odd entries, dynamic schedule: b[k] depends on b[k+2]. */
    static long long b[N + 2], sb[N + 2];
    memset(b, 0, sizeof b);
    sb[n1 - 1] = b[n1 - 1] = 5;
    for (int i = n1 - 3; i >= 1; i -= 2)
      sb[i] = sb[i + 2] + i % 5;
#pragma omp parallel for ordered(1) schedule(dynamic, 3)
    for (int i = n1 - 3; i >= 1; i -= 2) {
#pragma omp ordered depend(sink : i + 2)
      b[i] = b[i + 2] + i % 5;
#pragma omp ordered depend(source)
    }
    bad = 0;
    for (int i = 1; i < n1; i += 2)
      bad += b[i] != sb[i];
    CHECK(bad == 0, "rep %d: 1-D recurrence counting down (dynamic,3): %d wrong entries", rep, bad);

    memset(g, 0, sizeof g);
    for (int i = 0; i < R; i++)
      g[i][0] = 1;
    for (int j = 0; j < C; j++)
      g[0][j] = 1;
#pragma omp parallel
    {
#pragma omp single
      team = omp_get_num_threads();
#pragma omp for ordered(2) schedule(dynamic)
      for (int i = 1; i < rows; i++)
        for (int j = 1; j < C; j++) {
#pragma omp ordered depend(sink : i - 1, j) depend(sink : i, j - 1)
          g[i][j] = (g[i - 1][j] + g[i][j - 1]) % 1000003;
#pragma omp ordered depend(source)
        }
    }
    bad = 0;
    for (int i = 0; i < rows; i++)
      for (int j = 0; j < C; j++)
        bad += g[i][j] != sg[i][j];
    CHECK(bad == 0, "rep %d: 2-D wavefront: %d wrong cells", rep, bad);
  }

  if (failures) {
    fprintf(stderr, "doacross: %d check(s) failed\n", failures);
    return 1;
  }
  printf("doacross: 1-D recurrences up and down (%d) and a 2-D wavefront (%d x %d) with ordered "
         "depend(sink/source), 3 rounds, team of %d: ok\n", n1, rows, C, team);
  return 0;
}
