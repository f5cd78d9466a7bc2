/* flood: one thread (in single) creates a flood of tiny tasks (default 2,000,000; argv[1]
 * overrides) while the rest of the team runs them. Every task must run exactly once (count and
 * sum). The creator tracks outstanding = created - started after every task construct and
 * reports the maximum; when the environment has COMPAT_EXPECT_BOUND=B (the arayon routes set it
 * together with ARAYON_MAX_PENDING=B), the maximum must stay within B plus a small slack (tasks
 * taken by a thread but not yet started: 2 per thread, plus 16). On libomp the bound is not
 * checked (it throttles by its own rules). */
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
    fprintf(stderr, "flood.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
static long started;
static long long sum;

int main(int argc, char **argv)
{
  long n = argc > 1 ? atol(argv[1]) : 2000000;
  const char *bound_env = getenv("COMPAT_EXPECT_BOUND");
  long bound = bound_env ? atol(bound_env) : -1;
  long created = 0, max_out = 0;
  int team = 0;
  double t0 = omp_get_wtime();

#pragma omp parallel shared(created, max_out, team)
#pragma omp single
  {
    team = omp_get_num_threads();
    for (long i = 0; i < n; i++) {
#pragma omp task firstprivate(i)
      {
#pragma omp atomic
        started++;
#pragma omp atomic
        sum += i;
      }
      created++;
      long s;
#pragma omp atomic read
      s = started;
      if (created - s > max_out)
        max_out = created - s;
    }
#pragma omp taskwait
  }
  double secs = omp_get_wtime() - t0;

  CHECK(started == n, "%ld of %ld tasks ran", started, n);
  CHECK(sum == (long long)n * (n - 1) / 2, "task sum %lld, expected %lld", sum,
        (long long)n * (n - 1) / 2);
  if (bound >= 0) {
    long limit = bound + 2L * team + 16;
    CHECK(max_out <= limit, "up to %ld tasks were created but not started; the bound is %ld "
          "(COMPAT_EXPECT_BOUND=%ld + slack)", max_out, limit, bound);
  }

  if (failures) {
    fprintf(stderr, "flood: %d check(s) failed\n", failures);
    return 1;
  }
  printf("flood: %ld tasks from one thread, team of %d, at most %ld outstanding%s, %.2f s: ok\n", n,
         team, max_out, bound >= 0 ? " (bound checked)" : " (bound not checked)", secs);
  return 0;
}
