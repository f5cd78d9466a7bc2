/* copyprivate: single copyprivate broadcasts the values one thread computed to the private copies
 * of every other thread: an int, a double, a struct, an array, a pointer to a buffer allocated
 * inside the single (the usual allocate-and-share pattern), and a threadprivate variable;
 * 300 rounds with a new value each round, every thread checking its copies. */
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
    fprintf(stderr, "copyprivate.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
struct rec {
  long a;
  char c;
  double w[3];
};

static int tpv;
#pragma omp threadprivate(tpv)

int main(void)
{
  int bad = 0, team = 0, executed = 0;
#pragma omp parallel shared(bad, team, executed)
  {
    int x = -1;
    double d = -1;
    struct rec r = {0};
    int arr[8] = {0};
    long *buf = NULL;
#pragma omp single
    team = omp_get_num_threads();
    for (int round = 0; round < 300; round++) {
#pragma omp single copyprivate(x, d, r, arr, buf, tpv)
      {
        executed++;
        x = round * 3;
        d = round + 0.5;
        r.a = -round;
        r.c = (char)('a' + round % 26);
        r.w[2] = round * 0.25;
        for (int k = 0; k < 8; k++)
          arr[k] = round + k;
        buf = malloc(64 * sizeof *buf);
        if (!buf) {
          fprintf(stderr, "copyprivate: out of memory\n");
          exit(2);
        }
        for (int k = 0; k < 64; k++)
          buf[k] = round * 100L + k;
        tpv = round ^ 0x55;
      }
      int ok = x == round * 3 && d == round + 0.5 && r.a == -round &&
               r.c == (char)('a' + round % 26) && r.w[2] == round * 0.25 && tpv == (round ^ 0x55);
      for (int k = 0; k < 8; k++)
        ok = ok && arr[k] == round + k;
      for (int k = 0; k < 64; k++)
        ok = ok && buf && buf[k] == round * 100L + k;
      if (!ok) {
#pragma omp atomic
        bad++;
      }
#pragma omp barrier
#pragma omp single
      free(buf); /* everyone has the same pointer and is done with it */
    }
  }
  CHECK(executed == 300, "copyprivate singles ran %d times, expected 300", executed);
  CHECK(bad == 0, "%d thread-rounds saw values other than those broadcast by copyprivate", bad);

  if (failures) {
    fprintf(stderr, "copyprivate: %d check(s) failed\n", failures);
    return 1;
  }
  printf("copyprivate: 300 rounds broadcasting int, double, struct, array, malloc'd pointer and a "
         "threadprivate, team of %d: ok\n", team);
  return 0;
}
