/* task_reduction: reductions over tasks. taskgroup task_reduction(+, *, max) with tasks that
 * participate through in_reduction (including nested tasks), a taskloop reduction(+), and the
 * task modifier on a parallel reduction (reduction(task, +: x) with explicit tasks created by
 * every thread). Values are chosen so that double arithmetic is exact in any order. */
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
    fprintf(stderr, "task_reduction.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
#define N 2000

int main(void)
{
  static int a[N];
  long long ssum = 0;
  double sprod = 1.0;
  int smax = -1;
  for (int i = 0; i < N; i++) {
    a[i] = (i * 7919) % 1009;
    ssum += a[i];
    if (a[i] > smax)
      smax = a[i];
  }
  for (int i = 0; i < 40; i++)
    sprod *= (i % 3 == 0) ? 2.0 : 1.0;

  int team = 0;
  long long sum = 10, lsum = 0;
  double prod = 1.0;
  int mx = -5;
#pragma omp parallel
#pragma omp single
  {
    team = omp_get_num_threads();
#pragma omp taskgroup task_reduction(+ : sum) task_reduction(* : prod) task_reduction(max : mx)
    {
      for (int b = 0; b < N; b += 100) {
#pragma omp task in_reduction(+ : sum) in_reduction(max : mx) firstprivate(b)
        {
          for (int i = b; i < b + 50; i++) {
            sum += a[i];
            if (a[i] > mx)
              mx = a[i];
          }
          /* a child task joins the same reduction */
#pragma omp task in_reduction(+ : sum) in_reduction(max : mx) firstprivate(b)
          for (int i = b + 50; i < b + 100; i++) {
            sum += a[i];
            if (a[i] > mx)
              mx = a[i];
          }
        }
      }
      for (int i = 0; i < 40; i++) {
#pragma omp task in_reduction(* : prod) firstprivate(i)
        prod *= (i % 3 == 0) ? 2.0 : 1.0;
      }
    }

#pragma omp taskloop reduction(+ : lsum) grainsize(64)
    for (int i = 0; i < N; i++)
      lsum += a[i];
  }
  CHECK(sum == ssum + 10, "task_reduction(+): %lld, expected %lld", sum, ssum + 10);
  CHECK(prod == sprod, "task_reduction(*): %g, expected %g", prod, sprod);
  CHECK(mx == smax, "task_reduction(max): %d, expected %d", mx, smax);
  CHECK(lsum == ssum, "taskloop reduction(+): %lld, expected %lld", lsum, ssum);

  /* reduction(task, +: x) on parallel: implicit and explicit tasks contribute. */
  long long psum = 0;
  int nthr = 0;
#pragma omp parallel reduction(task, + : psum) shared(nthr)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
#pragma omp single
    nthr = n;
    for (int i = t; i < N; i += n) {
      if (i % 2) {
#pragma omp task in_reduction(+ : psum) firstprivate(i)
        psum += a[i];
      } else {
        psum += a[i];
      }
    }
  }
  CHECK(psum == ssum, "parallel reduction(task, +): %lld, expected %lld", psum, ssum);

  if (failures) {
    fprintf(stderr, "task_reduction: %d check(s) failed\n", failures);
    return 1;
  }
  printf("task_reduction: taskgroup task_reduction (+, *, max) with nested in_reduction tasks, "
         "taskloop reduction, parallel reduction(task, +), team of %d: ok\n", team);
  return 0;
}
