/* taskwait_nesting: taskwait at every depth of a task tree. Each node creates its children,
 * waits for them with taskwait and checks that every child finished and returned the size of its
 * own subtree (children wait for theirs, so a finished child means a finished subtree).
 * Per-level counters must equal fanout^level. Also: several taskwaits in sequence in one task,
 * taskwait with no children, an unbalanced tree, and every thread's implicit task creating
 * tasks and waiting for them (no single). */
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
    fprintf(stderr, "taskwait_nesting.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
#define DEPTH 6
#define FAN 4

static long level_count[DEPTH + 1];

static long subtree_size(int level)
{
  long s = 1, w = 1;
  for (int l = level; l < DEPTH; l++) {
    w *= FAN;
    s += w;
  }
  return s;
}

static long node(int level)
{
#pragma omp atomic
  level_count[level]++;
  if (level == DEPTH) {
#pragma omp taskwait /* no children: returns at once */
    return 1;
  }
  long sub[FAN];
  int done[FAN];
  for (int k = 0; k < FAN; k++) {
    sub[k] = -1;
    done[k] = 0;
  }
  for (int k = 0; k < FAN; k++) {
#pragma omp task shared(sub, done) firstprivate(k, level)
    {
      sub[k] = node(level + 1);
#pragma omp atomic write
      done[k] = 1;
    }
  }
#pragma omp taskwait
  long total = 1;
  for (int k = 0; k < FAN; k++) {
    int d;
#pragma omp atomic read
    d = done[k];
    CHECK(d == 1, "level %d: child %d not finished after taskwait", level, k);
    CHECK(sub[k] == subtree_size(level + 1), "level %d: child %d reports subtree %ld, expected %ld",
          level, k, sub[k], subtree_size(level + 1));
    total += sub[k];
  }
  return total;
}

/* Unbalanced: node n has n children (n-1, n-2, ..., 0); returns the number of nodes. */
static long skewed(int n)
{
  long sizes[16];
  for (int k = 0; k < n; k++) {
#pragma omp task shared(sizes) firstprivate(k)
    sizes[k] = skewed(k);
  }
#pragma omp taskwait
  long s = 1;
  for (int k = 0; k < n; k++)
    s += sizes[k];
  return s;
}

/* Several rounds of spawn + taskwait in the same task. */
static int rounds(int nrounds, int per_round)
{
  int bad = 0;
  for (int r = 0; r < nrounds; r++) {
    int finished = 0;
    for (int k = 0; k < per_round; k++) {
#pragma omp task shared(finished)
      {
#pragma omp atomic
        finished++;
      }
    }
#pragma omp taskwait
    int f;
#pragma omp atomic read
    f = finished;
    if (f != per_round)
      bad++;
  }
  return bad;
}

int main(void)
{
  long total = -1;
  int team = 0, bad_rounds = -1;
#pragma omp parallel
#pragma omp single
  {
    team = omp_get_num_threads();
    total = node(0);
    bad_rounds = 0;
    for (int t = 0; t < 4; t++) {
#pragma omp task shared(bad_rounds)
      {
        int b = rounds(50, 7);
#pragma omp atomic
        bad_rounds += b;
      }
    }
#pragma omp taskwait
  }
  CHECK(total == subtree_size(0), "tree of depth %d: root counted %ld nodes, expected %ld", DEPTH,
        total, subtree_size(0));
  long w = 1;
  for (int l = 0; l <= DEPTH; l++, w *= FAN)
    CHECK(level_count[l] == w, "level %d ran %ld nodes, expected %ld", l, level_count[l], w);
  CHECK(bad_rounds == 0, "%d rounds saw unfinished children after taskwait", bad_rounds);

  /* skewed(n) has 2^n nodes. */
  long sk = -1;
#pragma omp parallel
#pragma omp single
  sk = skewed(12);
  CHECK(sk == 1L << 12, "skewed tree: %ld nodes, expected %ld", sk, 1L << 12);

  /* Every implicit task spawns and waits for its own children. */
  int bad_implicit = 0;
#pragma omp parallel shared(bad_implicit)
  {
    int b = rounds(100, 5);
#pragma omp atomic
    bad_implicit += b;
  }
  CHECK(bad_implicit == 0, "%d rounds in implicit tasks saw unfinished children after taskwait",
        bad_implicit);

  if (failures) {
    fprintf(stderr, "taskwait_nesting: %d check(s) failed\n", failures);
    return 1;
  }
  printf("taskwait_nesting: tree of depth %d fan-out %d (%ld nodes), skewed tree, repeated rounds "
         "in explicit and implicit tasks, team of %d: ok\n", DEPTH, FAN, total, team);
  return 0;
}
