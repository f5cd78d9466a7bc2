/* fib_tasks: recursive Fibonacci with one task per call (task shared(x) + taskwait), started
 * from parallel + single, with no cutoff. Checks the result against a serial computation and
 * that every call ran exactly once; also the variant where the parent computes one half itself,
 * and every thread of the team computing its own (smaller) tree at the same time. */
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
    fprintf(stderr, "fib_tasks.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))

static long calls;

static long fib_serial(int n)
{
  return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2);
}

/* Both halves as tasks. */
static long fib(int n)
{
#pragma omp atomic
  calls++;
  if (n < 2)
    return n;
  long x, y;
#pragma omp task shared(x)
  x = fib(n - 1);
#pragma omp task shared(y)
  y = fib(n - 2);
#pragma omp taskwait
  return x + y;
}

/* One half as a task, the other computed by the parent before the taskwait. */
static long fib_half(int n)
{
  if (n < 2)
    return n;
  long x, y;
#pragma omp task shared(x) firstprivate(n)
  x = fib_half(n - 1);
  y = fib_half(n - 2);
#pragma omp taskwait
  return x + y;
}

int main(int argc, char **argv)
{
  int n = argc > 1 ? atoi(argv[1]) : 25;
  long expect = fib_serial(n);
  long expect_calls = 2 * fib_serial(n + 1) - 1; /* calls of fib(n) in total */

  long r = -1;
  int team = 0;
#pragma omp parallel shared(r, team)
  {
#pragma omp single
    {
      team = omp_get_num_threads();
      r = fib(n);
    }
  }
  CHECK(r == expect, "fib(%d) = %ld, expected %ld", n, r, expect);
  CHECK(calls == expect_calls, "fib(%d) made %ld calls, expected %ld", n, calls, expect_calls);

  long r2 = -1;
#pragma omp parallel
#pragma omp single
  r2 = fib_half(n);
  CHECK(r2 == expect, "fib_half(%d) = %ld, expected %ld", n, r2, expect);

  /* Every thread starts its own smaller tree at the same time; each waits for its own. */
  int m = n - 5 > 2 ? n - 5 : 2;
  long expect_m = fib_serial(m);
  long results[64];
  int nt = 0;
#pragma omp parallel shared(results, nt)
  {
    int t = omp_get_thread_num();
    if (t < 64)
      results[t] = fib_half(m);
#pragma omp single
    nt = omp_get_num_threads();
  }
  for (int t = 0; t < nt && t < 64; t++)
    CHECK(results[t] == expect_m, "thread %d: fib_half(%d) = %ld, expected %ld", t, m, results[t],
          expect_m);

  if (failures) {
    fprintf(stderr, "fib_tasks: %d check(s) failed\n", failures);
    return 1;
  }
  printf("fib_tasks: fib(%d) = %ld with %ld tasks on a team of %d, half-task variant and %d "
         "concurrent trees: ok\n", n, r, expect_calls - 1, team, nt);
  return 0;
}
