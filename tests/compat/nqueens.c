/* nqueens: counts the solutions of the n-queens problem (default n = 9) with one task per
 * partial placement. Variant A copies the board into the task (firstprivate array) and waits with
 * taskwait at every level; variant B hands each task a malloc'd copy that the task frees and
 * relies on the barrier at the end of the single construct to finish the whole tree. Both
 * counts (kept with omp atomic) must equal a serial recount and the known value. */
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
    fprintf(stderr, "nqueens.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
#define MAXN 12

static const long known[MAXN + 1] = {1, 1, 0, 0, 2, 10, 4, 40, 92, 352, 724, 2680, 14200};

static int safe(const int *q, int row, int col)
{
  for (int r = 0; r < row; r++) {
    int d = q[r] - col;
    if (d == 0 || d == row - r || d == r - row)
      return 0;
  }
  return 1;
}

static long serial(int n, int row, int *q)
{
  if (row == n)
    return 1;
  long s = 0;
  for (int c = 0; c < n; c++)
    if (safe(q, row, c)) {
      q[row] = c;
      s += serial(n, row + 1, q);
    }
  return s;
}

static long count_a, count_b, tasks_a, tasks_b;

/* Variant A: the board travels by value (firstprivate array), taskwait at every level. */
static void solve_a(int n, int row, const int *board)
{
  if (row == n) {
#pragma omp atomic
    count_a++;
    return;
  }
  for (int c = 0; c < n; c++) {
    if (!safe(board, row, c))
      continue;
    int next[MAXN];
    memcpy(next, board, sizeof next);
    next[row] = c;
#pragma omp atomic
    tasks_a++;
#pragma omp task firstprivate(next, row, n)
    solve_a(n, row + 1, next);
    /* The task owns its copy: scribbling on ours must not change what it sees. */
    memset(next, 0x7f, sizeof next);
  }
#pragma omp taskwait
}

/* Variant B: a malloc'd copy per task, freed by the task; no taskwait. */
static void solve_b(int n, int row, int *board)
{
  if (row == n) {
#pragma omp atomic
    count_b++;
    free(board);
    return;
  }
  for (int c = 0; c < n; c++) {
    if (!safe(board, row, c))
      continue;
    int *next = malloc(sizeof(int) * (size_t)n);
    if (!next) {
      fprintf(stderr, "nqueens: out of memory\n");
      exit(2);
    }
    memcpy(next, board, sizeof(int) * (size_t)row);
    next[row] = c;
#pragma omp atomic
    tasks_b++;
#pragma omp task firstprivate(next)
    solve_b(n, row + 1, next);
  }
  free(board);
}

int main(int argc, char **argv)
{
  int n = argc > 1 ? atoi(argv[1]) : 9;
  if (n < 1 || n > MAXN) {
    fprintf(stderr, "nqueens: n must be in [1, %d]\n", MAXN);
    return 2;
  }
  int q[MAXN] = {0};
  long expect = serial(n, 0, q);
  CHECK(expect == known[n], "serial recount %ld differs from the known %ld", expect, known[n]);

  int team = 0;
#pragma omp parallel
  {
#pragma omp single
    {
      int board[MAXN] = {0};
      team = omp_get_num_threads();
      solve_a(n, 0, board);
      /* Right after the root's taskwait, the whole tree is done. */
      long seen;
#pragma omp atomic read
      seen = count_a;
      CHECK(seen == expect, "variant A after taskwait: %ld solutions, expected %ld", seen, expect);
    }
  }
  CHECK(count_a == expect, "variant A: %ld solutions, expected %ld", count_a, expect);

#pragma omp parallel
  {
#pragma omp single
    {
      int *board = calloc((size_t)n, sizeof(int));
      if (!board) {
        fprintf(stderr, "nqueens: out of memory\n");
        exit(2);
      }
      solve_b(n, 0, board);
    } /* implicit barrier: all tasks of the team complete here */
    long seen;
#pragma omp atomic read
    seen = count_b;
    CHECK(seen == expect, "variant B after the barrier (thread %d): %ld solutions, expected %ld",
          omp_get_thread_num(), seen, expect);
  }
  CHECK(tasks_a == tasks_b, "variant A made %ld tasks, variant B %ld", tasks_a, tasks_b);

  if (failures) {
    fprintf(stderr, "nqueens: %d check(s) failed\n", failures);
    return 1;
  }
  printf("nqueens: %d-queens has %ld solutions (firstprivate board and malloc'd board, %ld tasks "
         "each, team of %d): ok\n", n, count_a, tasks_a, team);
  return 0;
}
