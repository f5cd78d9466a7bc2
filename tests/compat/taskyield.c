/* taskyield: the spec's pattern of tasks that poll a lock with omp_test_lock and call taskyield
 * while it is busy (a plain counter updated under the lock must add up exactly); tasks that
 * yield between creating their children and waiting for them (results must be exact);
 * taskyield in implicit tasks and outside any parallel region (it returns). Whether tasks ran
 * inside another task's yield is not checked (the most tree tasks in progress at once is only
 * reported). */
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
    fprintf(stderr, "taskyield.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
static omp_lock_t lock;
static long guarded;
static int depth_now; /* tree tasks started and not finished (running or suspended) */
static int max_depth;

static void spin(int n)
{
  for (volatile int s = 0; s < n; s++)
    ;
}

static void locked_update(int id)
{
  spin(200 + (id % 7) * 50);
  while (!omp_test_lock(&lock)) {
#pragma omp taskyield
  }
  long v = guarded; /* no scheduling point while holding the lock */
  spin(50);
  guarded = v + id;
  omp_unset_lock(&lock);
}

static long tree_sum(int n)
{
  int d;
#pragma omp atomic capture
  d = ++depth_now;
#pragma omp critical(depth)
  if (d > max_depth)
    max_depth = d;
  long r;
  if (n <= 1)
    r = n;
  else {
    long a, b;
#pragma omp task shared(a)
    a = tree_sum(n - 1);
#pragma omp task shared(b)
    b = tree_sum(n - 2);
#pragma omp taskyield
#pragma omp taskyield
#pragma omp taskwait
    r = a + b + 1;
  }
#pragma omp atomic
  depth_now--;
  return r;
}

static long tree_serial(int n)
{
  return n <= 1 ? n : tree_serial(n - 1) + tree_serial(n - 2) + 1;
}

int main(void)
{
#pragma omp taskyield /* outside any region: returns */

  omp_init_lock(&lock);
  const int ntasks = 500;
  long expect = 0;
  for (int i = 1; i <= ntasks; i++)
    expect += i;

  int team = 0;
#pragma omp parallel
  {
#pragma omp taskyield /* implicit task, nothing queued: returns */
#pragma omp single
    {
      team = omp_get_num_threads();
      for (int i = 1; i <= ntasks; i++) {
#pragma omp task firstprivate(i)
        locked_update(i);
      }
    }
  }
  CHECK(guarded == expect, "lock + taskyield: sum %ld, expected %ld", guarded, expect);

  /* Every implicit task polls the lock too, alongside explicit tasks. */
  guarded = 0;
  int n = 1;
#pragma omp parallel shared(n)
  {
#pragma omp single nowait
    {
      n = omp_get_num_threads();
      for (int i = 1; i <= 100; i++) {
#pragma omp task firstprivate(i)
        locked_update(i);
      }
    }
    for (int r = 0; r < 50; r++)
      locked_update(1000);
  }
  CHECK(guarded == 5050 + 50L * 1000 * n, "implicit + explicit lock pollers: sum %ld, expected %ld",
        guarded, 5050 + 50L * 1000 * n);
  omp_destroy_lock(&lock);

  long t = -1;
#pragma omp parallel
#pragma omp single
  t = tree_sum(18);
  CHECK(t == tree_serial(18), "yielding tree: %ld, expected %ld", t, tree_serial(18));

  if (failures) {
    fprintf(stderr, "taskyield: %d check(s) failed\n", failures);
    return 1;
  }
  printf("taskyield: %d lock pollers, implicit + explicit pollers, yielding tree of %ld tasks, "
         "team of %d (at most %d tree tasks in progress at once): ok\n", ntasks, t, team, max_depth);
  return 0;
}
