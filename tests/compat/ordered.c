/* ordered: the ordered block of a worksharing loop runs in iteration order. For schedule static,
 * static,1, static,5, dynamic, dynamic,3, guided, runtime and none, the ordered blocks append
 * the iteration to a shared log with plain (non-atomic) writes; the log must be exactly the
 * sequential order. Also: a long long loop counting down by 3, an unsigned long long loop above
 * 2^63, and a loop where only every third iteration enters its ordered block. */
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
    fprintf(stderr, "ordered.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
#define N 600

static long long logv[4 * N];
static int pos;

static void work(long long i)
{
  for (volatile long long s = 0; s < (i * 37) % 200; s++)
    ;
}

static void append(long long v)
{
  logv[pos++] = v; /* plain: the ordered construct serializes it */
}

static void check_log(const char *what, long long first, long long step, int count)
{
  CHECK(pos == count, "%s: %d ordered blocks ran, expected %d", what, pos, count);
  int bad = 0;
  for (int k = 0; k < pos && k < count; k++)
    if (logv[k] != first + k * step)
      bad++;
  CHECK(bad == 0, "%s: %d log entries out of order", what, bad);
  pos = 0;
}

#define STR(...) #__VA_ARGS__
#define ORDERED_LOOP(WHAT, ...)                                                                    \
  do {                                                                                             \
    _Pragma(STR(omp parallel for ordered __VA_ARGS__)) for (int i = 0; i < N; i++)                 \
    {                                                                                              \
      work(i);                                                                                     \
      _Pragma("omp ordered") append(i);                                                            \
      work(N - i);                                                                                 \
    }                                                                                              \
    check_log(WHAT, 0, 1, N);                                                                      \
  } while (0)

int main(void)
{
  for (int rep = 0; rep < 3; rep++) {
    ORDERED_LOOP("static", schedule(static));
    ORDERED_LOOP("static,1", schedule(static, 1));
    ORDERED_LOOP("static,5", schedule(static, 5));
    ORDERED_LOOP("dynamic", schedule(dynamic));
    ORDERED_LOOP("dynamic,3", schedule(dynamic, 3));
    ORDERED_LOOP("guided", schedule(guided));
    omp_set_schedule(omp_sched_dynamic, 2);
    ORDERED_LOOP("runtime (dynamic,2)", schedule(runtime));
    ORDERED_LOOP("no schedule clause", );
  }

  /* long long counting down by 3 */
  long long hi = 5000000000LL, lo = hi - 3LL * N;
#pragma omp parallel for ordered schedule(dynamic, 4)
  for (long long i = hi; i > lo; i -= 3) {
    work(i);
#pragma omp ordered
    append(i);
  }
  check_log("long long down by 3", hi, -3, N);

  /* unsigned long long above 2^63 (logged as an offset) */
  unsigned long long base = 0x8000000000000000ULL;
#pragma omp parallel for ordered schedule(guided, 2)
  for (unsigned long long u = base + 10; u < base + 10 + N; u++) {
    work((long long)(u - base));
#pragma omp ordered
    append((long long)(u - base));
  }
  check_log("unsigned long long above 2^63", 10, 1, N);

  /* only every third iteration has an ordered block */
  int team = 0;
#pragma omp parallel
  {
#pragma omp single
    team = omp_get_num_threads();
#pragma omp for ordered schedule(dynamic)
    for (int i = 0; i < 3 * N; i++) {
      work(i);
      if (i % 3 == 0) {
#pragma omp ordered
        append(i);
      }
    }
  }
  check_log("every third iteration", 0, 3, N);

  if (failures) {
    fprintf(stderr, "ordered: %d check(s) failed\n", failures);
    return 1;
  }
  printf("ordered: ordered blocks in iteration order under 8 schedules x 3 rounds, long long down, "
         "unsigned long long, sparse ordered blocks, team of %d: ok\n", team);
  return 0;
}
