/* untied: untied tasks with task scheduling points inside them (taskyield, task creation,
 * taskwait), where an untied task may be suspended and resumed, possibly on another thread.
 * - 3000 untied tasks whose locals (scalars and an array) must survive three scheduling points
 *   (the compiler keeps them in the task's private data), each also creating a tied child and
 *   waiting for it; every result is checked;
 * - a fib tree of untied tasks with taskyield between creating the children and waiting;
 * - a nested tree of untied tasks: every node creates 4 untied children in a loop with a
 *   taskyield after each, waits for them and sums their results plus its own partial sums
 *   kept in locals; the total is compared with the serial recursion;
 * - untied tasks under a taskgroup that spawn untied grandchildren without waiting for them;
 *   after the group every grandchild has run;
 * - untied and tied tasks mixed, polling a lock with omp_test_lock + taskyield.
 * Threads may change across a scheduling point; that is only counted, never checked. */
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
    fprintf(stderr, "untied.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
static long migrations; /* scheduling points after which the task ran on another thread */

static void note_thread(int before)
{
  if (omp_get_thread_num() != before) {
#pragma omp atomic
    migrations++;
  }
}

/* ---- locals across scheduling points ---------------------------------------------------- */

#define NLOC 3000
static long out_loc[NLOC];

static void locals(void)
{
#pragma omp parallel
#pragma omp single
  for (int i = 0; i < NLOC; i++) {
#pragma omp task untied firstprivate(i)
    {
      long acc = i;
      int buf[8];
      for (int k = 0; k < 8; k++)
        buf[k] = i + k;
      int tid = omp_get_thread_num();
#pragma omp taskyield
      note_thread(tid);
      acc += 3L * i;
      long child = -1;
#pragma omp task shared(child) firstprivate(i)
      child = 7L * i;
      tid = omp_get_thread_num();
#pragma omp taskyield
      note_thread(tid);
      acc *= 2;
      tid = omp_get_thread_num();
#pragma omp taskwait
      note_thread(tid);
      long s = 0;
      for (int k = 0; k < 8; k++)
        s += buf[k];
      /* (i + 3i) * 2 + 7i + (8i + 28) */
      out_loc[i] = acc + child + s;
    }
  }
  for (int i = 0; i < NLOC; i++)
    CHECK(out_loc[i] == 23L * i + 28, "untied task %d: %ld, expected %ld", i, out_loc[i],
          23L * i + 28);
}

/* ---- fib ---------------------------------------------------------------------------------- */

static long fib_untied(int n)
{
  if (n < 2)
    return n;
  long x = 0, y = 0;
#pragma omp task untied shared(x) firstprivate(n)
  x = fib_untied(n - 1);
#pragma omp taskyield
#pragma omp task untied shared(y) firstprivate(n)
  y = fib_untied(n - 2);
#pragma omp taskyield
#pragma omp taskwait
  return x + y;
}

static long fib_serial(int n) { return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2); }

/* ---- nested tree -------------------------------------------------------------------------- */

static long tree_nodes;

/* The value of a node: its id, plus the values of its 4 children (ids 4id+1 .. 4id+4), to
 * depth d. */
static long tree(long id, int d)
{
#pragma omp atomic
  tree_nodes++;
  if (d == 0)
    return id;
  long r[4] = {-1, -1, -1, -1};
  long partial = 0;
  for (int c = 0; c < 4; c++) {
    long child = 4 * id + 1 + c;
#pragma omp task untied shared(r) firstprivate(c, child, d)
    r[c] = tree(child, d - 1);
    partial += child; /* a local updated between scheduling points */
#pragma omp taskyield
  }
  int tid = omp_get_thread_num();
#pragma omp taskwait
  note_thread(tid);
  long sum = id;
  for (int c = 0; c < 4; c++) {
    CHECK(r[c] >= 0, "tree node %ld: child %d had not finished after taskwait", id, c);
    sum += r[c];
  }
  CHECK(partial == 16 * id + 10, "tree node %ld: local partial sum %ld, expected %ld", id, partial,
        16 * id + 10);
  return sum;
}

static long tree_serial(long id, int d)
{
  if (d == 0)
    return id;
  long s = id;
  for (int c = 0; c < 4; c++)
    s += tree_serial(4 * id + 1 + c, d - 1);
  return s;
}

/* ---- taskgroup with grandchildren --------------------------------------------------------- */

#define NG 200
static int grand_ran[NG][5];

static void group(void)
{
#pragma omp parallel
#pragma omp single
  {
#pragma omp taskgroup
    for (int i = 0; i < NG; i++) {
#pragma omp task untied firstprivate(i)
      {
        for (int k = 0; k < 5; k++) {
#pragma omp task untied firstprivate(i, k)
          {
#pragma omp taskyield
#pragma omp atomic write
            grand_ran[i][k] = 1;
          }
        }
#pragma omp taskyield
      }
    }
    int missing = 0;
    for (int i = 0; i < NG; i++)
      for (int k = 0; k < 5; k++) {
        int v;
#pragma omp atomic read
        v = grand_ran[i][k];
        missing += v != 1;
      }
    CHECK(missing == 0, "after the taskgroup, %d of %d untied grandchildren had not run", missing,
          NG * 5);
  }
}

/* ---- lock polling ------------------------------------------------------------------------- */

static omp_lock_t lock;
static long guarded;

static void polled_add(long v)
{
  while (!omp_test_lock(&lock)) {
#pragma omp taskyield
  }
  long g = guarded;
  for (volatile int s = 0; s < 30; s++)
    ;
  guarded = g + v;
  omp_unset_lock(&lock);
}

static void lock_polling(void)
{
  omp_init_lock(&lock);
#pragma omp parallel
#pragma omp single
  for (int i = 1; i <= 600; i++) {
    if (i % 2) {
#pragma omp task untied firstprivate(i)
      {
        polled_add(i);
#pragma omp taskyield
        polled_add(1000);
      }
    } else {
#pragma omp task firstprivate(i)
      {
        polled_add(i);
        polled_add(1000);
      }
    }
  }
  omp_destroy_lock(&lock);
  long expect = 600L * 601 / 2 + 600L * 1000;
  CHECK(guarded == expect, "lock polled by untied and tied tasks: sum %ld, expected %ld", guarded,
        expect);
}

int main(void)
{
  locals();

  long f = -1;
  int team = 0;
#pragma omp parallel
#pragma omp single
  {
    team = omp_get_num_threads();
    f = fib_untied(20);
  }
  CHECK(f == fib_serial(20), "untied fib(20) = %ld, expected %ld", f, fib_serial(20));

  long t = -1;
#pragma omp parallel
#pragma omp single
  {
#pragma omp task untied shared(t)
    t = tree(0, 5);
  }
  CHECK(t == tree_serial(0, 5), "untied tree: %ld, expected %ld", t, tree_serial(0, 5));
  CHECK(tree_nodes == 1365, "the untied tree ran %ld nodes, expected 1365", tree_nodes);

  group();
  lock_polling();

  if (failures) {
    fprintf(stderr, "untied: %d check(s) failed\n", failures);
    return 1;
  }
  printf("untied: %d tasks with locals across scheduling points, fib(20) = %ld, tree of %ld "
         "nodes, taskgroup of %d, lock polling; team of %d, %ld resumptions on another thread: "
         "ok\n", NLOC, f, tree_nodes, NG * 6, team, migrations);
  return 0;
}
