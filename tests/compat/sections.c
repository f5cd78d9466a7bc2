/* sections: every section runs exactly once per encounter (parallel sections; sections inside
 * parallel, blocking and nowait + barrier; more sections than threads and a single section),
 * lastprivate takes the lexically last section's value, firstprivate gives the sections the
 * original value, reduction(+) over sections adds up; repeated 200 times. */
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
    fprintf(stderr, "sections.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
#define NS 7

static int ran[NS];

static void hit(int k)
{
#pragma omp atomic
  ran[k]++;
}

/* firstprivate on sections: one copy per thread, initialized from the original */
static void note_fp(int fp, int expect, int *bad)
{
  if (fp != expect) {
#pragma omp atomic
    (*bad)++;
  }
}

static int check_ran(int rep, const char *what, int expect_each)
{
  int bad = 0;
  for (int k = 0; k < NS; k++)
    if (ran[k] != expect_each) {
      fail(__LINE__, "ran[k] == expect_each", "rep %d, %s: section %d ran %d times, expected %d", rep,
           what, k, ran[k], expect_each);
      bad++;
    }
  for (int k = 0; k < NS; k++)
    ran[k] = 0;
  return bad;
}

int main(void)
{
  int team = 0;
  for (int rep = 0; rep < 200; rep++) {
    int last = -1, fp = 1000 + rep, fp_bad = 0, sum = 5;
#pragma omp parallel sections lastprivate(last) firstprivate(fp) reduction(+ : sum)
    {
#pragma omp section
      {
        hit(0);
        note_fp(fp, 1000 + rep, &fp_bad);
        last = 0;
        sum += 1;
      }
#pragma omp section
      {
        hit(1);
        note_fp(fp, 1000 + rep, &fp_bad);
        last = 1;
        sum += 2;
      }
#pragma omp section
      {
        hit(2);
        note_fp(fp, 1000 + rep, &fp_bad);
        last = 2;
        sum += 3;
      }
#pragma omp section
      {
        hit(3);
        last = 3;
        sum += 4;
      }
#pragma omp section
      {
        hit(4);
        last = 4;
        sum += 5;
      }
#pragma omp section
      {
        hit(5);
        note_fp(fp, 1000 + rep, &fp_bad);
        last = 5;
        sum += 6;
      }
#pragma omp section
      {
        hit(6);
        last = 6;
        sum += 7;
      }
    }
    check_ran(rep, "parallel sections", 1);
    CHECK(last == 6, "rep %d: lastprivate after sections = %d, expected 6", rep, last);
    CHECK(fp_bad == 0, "rep %d: %d sections saw a wrong firstprivate value", rep, fp_bad);
    CHECK(sum == 5 + 28, "rep %d: reduction over sections = %d, expected 33", rep, sum);

    int after_nowait = 0;
#pragma omp parallel shared(after_nowait, team)
    {
#pragma omp single
      team = omp_get_num_threads();
#pragma omp sections
      {
#pragma omp section
        hit(0);
#pragma omp section
        hit(1);
#pragma omp section
        hit(2);
      }
      /* blocking sections: all three done for every thread here */
      int seen = 0;
      for (int k = 0; k < 3; k++) {
        int v;
#pragma omp atomic read
        v = ran[k];
        seen += v;
      }
      CHECK(seen == 3, "rep %d: %d of 3 sections done after a blocking sections", rep, seen);
#pragma omp barrier
#pragma omp sections nowait
      {
#pragma omp section
        hit(3);
#pragma omp section
        hit(4);
#pragma omp section
        hit(5);
#pragma omp section
        hit(6);
      }
#pragma omp sections nowait
      {
        /* a single section */
#pragma omp atomic
        after_nowait++;
      }
#pragma omp barrier
    }
    check_ran(rep, "sections in parallel", 1);
    CHECK(after_nowait == 1, "rep %d: a one-section sections ran %d times", rep, after_nowait);
  }

  if (failures) {
    fprintf(stderr, "sections: %d check(s) failed\n", failures);
    return 1;
  }
  printf("sections: 200 rounds of parallel sections (lastprivate, firstprivate, reduction), "
         "blocking and nowait sections, team of %d: ok\n", team);
  return 0;
}
