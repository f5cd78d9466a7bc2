/* threadprivate: threadprivate variables (an int with an initializer, a double array, a struct)
 * start with their initial value in every thread, keep each thread's value across parallel
 * regions with the same number of threads (50 regions in a row, each adding to it), the initial
 * thread's copy is the one seen outside regions, and copyin copies the initial thread's values
 * into every thread's copies. Built twice by the CMake glue: with clang's default (TLS) and with
 * -fnoopenmp-use-tls, where the runtime's __kmpc_threadprivate_cached provides the copies. */
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
    fprintf(stderr, "threadprivate.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
#define MAXT 64

struct cfg {
  int id;
  char tag[16];
};

static int tp = 7;
static double tpd[4] = {1.5, 2.5, 3.5, 4.5};
static struct cfg tpc = {-1, "init"};
#pragma omp threadprivate(tp, tpd, tpc)

int main(void)
{
  int bad_init = 0, bad_persist = 0, bad_copyin = 0, bad_rounds = 0, team = 0;

  /* First region: everyone starts from the initializers, then personalizes. */
#pragma omp parallel shared(bad_init, team)
  {
    int t = omp_get_thread_num();
#pragma omp single
    team = omp_get_num_threads();
    if (tp != 7 || tpd[0] != 1.5 || tpd[3] != 4.5 || tpc.id != -1 || strcmp(tpc.tag, "init") != 0) {
#pragma omp atomic
      bad_init++;
    }
    tp = 100 + t;
    for (int k = 0; k < 4; k++)
      tpd[k] = t * 10.0 + k;
    tpc.id = t;
    snprintf(tpc.tag, sizeof tpc.tag, "thread-%d", t);
  }
  CHECK(bad_init == 0, "%d threads did not start from the threadprivate initializers", bad_init);
  CHECK(tp == 100 && tpc.id == 0, "outside: the initial thread's copy is tp %d / id %d, expected "
        "100 / 0", tp, tpc.id);

  /* Same number of threads: each thread finds its own values. */
  for (int round = 0; round < 50; round++) {
    int n = 0;
#pragma omp parallel shared(bad_persist, n)
    {
      int t = omp_get_thread_num();
      char expect[16];
      snprintf(expect, sizeof expect, "thread-%d", t);
      if (tp != 100 + t + round || tpd[2] != t * 10.0 + 2 || tpc.id != t ||
          strcmp(tpc.tag, expect) != 0) {
#pragma omp atomic
        bad_persist++;
      }
      tp++;
#pragma omp master
      n = omp_get_num_threads();
    }
    if (n != team)
      bad_rounds++;
  }
  CHECK(bad_rounds == 0, "%d of 50 regions had a team size other than %d", bad_rounds, team);
  CHECK(bad_persist == 0, "%d times a thread found another's or a stale threadprivate value",
        bad_persist);
  CHECK(tp == 150, "outside after 50 regions: tp = %d, expected 150", tp);

  /* copyin: the initial thread's values everywhere. */
  tp = 42;
  tpd[1] = -8.25;
  tpc.id = 4242;
  strcpy(tpc.tag, "master");
#pragma omp parallel copyin(tp, tpd, tpc) shared(bad_copyin)
  {
    if (tp != 42 || tpd[1] != -8.25 || tpc.id != 4242 || strcmp(tpc.tag, "master") != 0) {
#pragma omp atomic
      bad_copyin++;
    }
    tp += omp_get_thread_num(); /* diverge again */
  }
  CHECK(bad_copyin == 0, "%d threads did not receive the copyin values", bad_copyin);
  int bad_after = 0;
#pragma omp parallel shared(bad_after)
  {
    if (tp != 42 + omp_get_thread_num()) {
#pragma omp atomic
      bad_after++;
    }
  }
  CHECK(bad_after == 0, "%d threads lost their value after a copyin region", bad_after);

  if (failures) {
    fprintf(stderr, "threadprivate: %d check(s) failed\n", failures);
    return 1;
  }
  printf("threadprivate: initializers, persistence over 50 regions, copyin of int/array/struct, "
         "team of %d: ok\n", team);
  return 0;
}
