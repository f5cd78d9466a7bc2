/* undeferred_final: undeferred and included tasks.
 * - task if(0): the encountering task does not continue before the task finished (a flag set
 *   inside is seen right after the construct), it still has its own firstprivate copies, and it
 *   may create deferred children of its own and wait for them;
 * - final(1): inside, omp_in_final() is 1, and every descendant is an included task: it runs
 *   immediately, on the encountering thread, and is final itself; final(expr) as a recursion
 *   cutoff gives the right answer with omp_in_final() matching the cutoff;
 * - mergeable tasks (merged or not) compute the right thing;
 * - omp_in_final() is 0 outside tasks and in ordinary tasks. */
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
    fprintf(stderr, "undeferred_final.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
static int counter;

static void bump(void)
{
#pragma omp atomic
  counter++;
}

/* Inside a final task: each child must be included (run now, same thread, final). */
static void check_included(int depth, int tid)
{
  CHECK(omp_in_final() == 1, "omp_in_final() = %d inside a final task at depth %d", omp_in_final(),
        depth);
  CHECK(omp_get_thread_num() == tid, "included task at depth %d ran on thread %d, encountered by %d",
        depth, omp_get_thread_num(), tid);
  bump();
  if (depth == 0)
    return;
  for (int k = 0; k < 3; k++) {
    int ran = 0;
#pragma omp task shared(ran) firstprivate(depth, tid)
    {
      ran = 1;
      check_included(depth - 1, tid);
    }
    CHECK(ran == 1, "a child of a final task (depth %d) had not run when its construct ended", depth);
  }
}

static long fib_final_checked(int n, int in_final)
{
  CHECK(omp_in_final() == in_final, "fib(%d): omp_in_final() = %d, expected %d", n, omp_in_final(),
        in_final);
  if (n < 2)
    return n;
  long x, y;
  int f = in_final || n < 12;
#pragma omp task shared(x) final(n < 12) firstprivate(f)
  x = fib_final_checked(n - 1, f);
#pragma omp task shared(y) final(n < 12) firstprivate(f)
  y = fib_final_checked(n - 2, f);
#pragma omp taskwait
  return x + y;
}

static long fib_serial(int n)
{
  return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2);
}

static long sum_mergeable(const int *a, int lo, int hi)
{
  if (hi - lo <= 16) {
    long s = 0;
    for (int i = lo; i < hi; i++)
      s += a[i];
    return s;
  }
  int mid = lo + (hi - lo) / 2;
  long left, right;
#pragma omp task mergeable shared(left) firstprivate(a, lo, mid) final(hi - lo < 256)
  left = sum_mergeable(a, lo, mid);
#pragma omp task mergeable shared(right) firstprivate(a, mid, hi) final(hi - lo < 256)
  right = sum_mergeable(a, mid, hi);
#pragma omp taskwait
  return left + right;
}

int main(void)
{
  CHECK(omp_in_final() == 0, "omp_in_final() = %d outside any task", omp_in_final());
  int team = 0;
  static int data[4096];
  long expect_sum = 0;
  for (int i = 0; i < 4096; i++) {
    data[i] = (i * 7919) % 1000 - 300;
    expect_sum += data[i];
  }

#pragma omp parallel
  {
    CHECK(omp_in_final() == 0, "omp_in_final() = %d in an implicit task", omp_in_final());
#pragma omp single
    {
      team = omp_get_num_threads();

      /* if(0): the flag is set when the construct ends; firstprivate is still a copy. */
      for (int r = 0; r < 1000; r++) {
        int step = r, copy = r;
#pragma omp task if(0) shared(step) firstprivate(copy)
        {
          CHECK(omp_in_final() == 0, "omp_in_final() = %d in an if(0) task", omp_in_final());
          step = copy + 1;
          copy = -1;
        }
        CHECK(step == r + 1, "if(0) task: step = %d after the construct, expected %d", step, r + 1);
        CHECK(copy == r, "if(0) task changed the parent's variable through firstprivate (%d)", copy);
      }

      /* if(expr) false at run time, and if(0) nested in if(0). */
      int no = team < 0, seq = 0;
#pragma omp task if(no) shared(seq)
      {
#pragma omp task if(0) shared(seq)
        seq = 1;
        CHECK(seq == 1, "nested if(0) task had not run");
        seq = 2;
      }
      CHECK(seq == 2, "if(false) task: seq = %d after the construct, expected 2", seq);

      /* An if(0) task spawning deferred children and waiting for them. */
      int kids = 0;
#pragma omp task if(0) shared(kids)
      {
        for (int k = 0; k < 20; k++) {
#pragma omp task shared(kids)
          {
#pragma omp atomic
            kids++;
          }
        }
#pragma omp taskwait
      }
      CHECK(kids == 20, "if(0) task: %d of 20 children done after its taskwait", kids);

      /* final(1): everything below is included. */
      counter = 0;
#pragma omp task final(1)
      check_included(4, omp_get_thread_num());
#pragma omp taskwait
      CHECK(counter == 1 + 3 + 9 + 27 + 81, "final tree ran %d tasks, expected 121", counter);

      /* A final task created from several threads' tasks at once. */
      counter = 0;
      for (int k = 0; k < 8; k++) {
#pragma omp task
        {
#pragma omp task final(1)
          check_included(3, omp_get_thread_num());
        }
      }
#pragma omp taskwait
    }
  } /* barrier: the final trees above are done */
  CHECK(counter == 8 * (1 + 3 + 9 + 27), "8 final trees ran %d tasks, expected %d", counter,
        8 * (1 + 3 + 9 + 27));

  /* final(expr) as a cutoff. */
  long f = -1;
#pragma omp parallel
#pragma omp single
  {
#pragma omp task shared(f)
    {
      CHECK(omp_in_final() == 0, "omp_in_final() = %d in an ordinary task", omp_in_final());
      f = fib_final_checked(20, 0);
    }
  }
  CHECK(f == fib_serial(20), "fib(20) with final cutoff = %ld, expected %ld", f, fib_serial(20));

  /* mergeable (merged under final, deferred above the cutoff). */
  long s = -1;
#pragma omp parallel
#pragma omp single
  s = sum_mergeable(data, 0, 4096);
  CHECK(s == expect_sum, "mergeable sum = %ld, expected %ld", s, expect_sum);

  if (failures) {
    fprintf(stderr, "undeferred_final: %d check(s) failed\n", failures);
    return 1;
  }
  printf("undeferred_final: if(0) ordering and copies, final trees included on the encountering "
         "thread, final(expr) cutoff, mergeable sums, team of %d: ok\n", team);
  return 0;
}
