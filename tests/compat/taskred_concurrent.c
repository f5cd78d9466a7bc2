/* taskred_concurrent: a task with in_reduction creates a child task with in_reduction on the
 * same item, and the two then update the item at the same time on different threads. Each
 * thread that runs a participating task has its own private copy, so no update may be lost:
 * the parent waits (a flag, with a time limit) until its child has started before it does its
 * own 2,000,000 increments, so with 2 or more threads the two loops overlap, and a runtime that
 * hands the child the parent's copy loses updates. The parents run one at a time (taskwait),
 * so that a thread is free to take the child. With one thread the child is included and runs
 * before the parent goes on; the sum must be exact all the same. */
#define _POSIX_C_SOURCE 200809L
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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
    fprintf(stderr, "taskred_concurrent.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))

#define PARENTS 6
#define M 2000000L

static int started[PARENTS], other_thread[PARENTS], overlapped[PARENTS];

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* M increments through a volatile pointer: one load and one store each. */
static void add_many(volatile long *p)
{
  for (long i = 0; i < M; i++)
    *p += 1;
}

int main(void)
{
  long sum = 0;
  int team = 0;
#pragma omp parallel
#pragma omp single
  {
    team = omp_get_num_threads();
#pragma omp taskgroup task_reduction(+ : sum)
    for (int b = 0; b < PARENTS; b++) {
#pragma omp task in_reduction(+ : sum) firstprivate(b)
      {
        int me = omp_get_thread_num();
#pragma omp task in_reduction(+ : sum) firstprivate(b, me)
        {
          other_thread[b] = omp_get_thread_num() != me;
#pragma omp atomic write
          started[b] = 1;
          add_many(&sum);
        }
        double t0 = now();
        int s = 0;
        while (!s && now() - t0 < 0.5) {
#pragma omp atomic read
          s = started[b];
        }
        overlapped[b] = s;
        add_many(&sum);
      }
#pragma omp taskwait
    }
  }
  CHECK(sum == 2 * M * PARENTS, "sum %ld, expected %ld (%ld updates lost)", sum, 2 * M * PARENTS,
        2 * M * PARENTS - sum);
  int concurrent = 0;
  for (int b = 0; b < PARENTS; b++)
    concurrent += overlapped[b] && other_thread[b];

  if (failures) {
    fprintf(stderr, "taskred_concurrent: %d check(s) failed (children on another thread while "
            "their parent ran: %d of %d)\n", failures, concurrent, PARENTS);
    return 1;
  }
  printf("taskred_concurrent: %d parents with an in_reduction child each, %d of them running "
         "at once on two threads; team of %d: ok\n", PARENTS, concurrent, team);
  return 0;
}
