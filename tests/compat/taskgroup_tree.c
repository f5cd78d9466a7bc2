/* taskgroup_tree: the end of a taskgroup waits for all descendant tasks, not only children.
 * Children spawn grandchildren (some of which sleep) and return without waiting; after the
 * taskgroup every grandchild's flag must be set. Also: taskwait waits for the children (their
 * flags are set) while the grandchildren are only guaranteed done by an enclosing taskgroup;
 * a deep tree with no taskwait at all; nested taskgroups inside tasks; a taskgroup per thread
 * running concurrently; empty taskgroups. */
#define _POSIX_C_SOURCE 200809L
#include <time.h>
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
    fprintf(stderr, "taskgroup_tree.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
#define K 8 /* children */
#define M 8 /* grandchildren per child */

static int child_flag[K], grand_flag[K][M];

static void nap(long usec)
{
  struct timespec ts = {0, usec * 1000L};
  nanosleep(&ts, NULL);
}

static void set_flag(int *f)
{
#pragma omp atomic write
  *f = 1;
}

static int get_flag(const int *f)
{
  int v;
#pragma omp atomic read
  v = *f;
  return v;
}

static void reset(void)
{
  for (int i = 0; i < K; i++) {
    child_flag[i] = 0;
    for (int j = 0; j < M; j++)
      grand_flag[i][j] = 0;
  }
}

/* A child: spawns M grandchildren, does not wait for them. */
static void child(int i)
{
  for (int j = 0; j < M; j++) {
#pragma omp task firstprivate(i, j)
    {
      if ((i + j) % 3 == 0)
        nap(1000);
      set_flag(&grand_flag[i][j]);
    }
  }
  set_flag(&child_flag[i]);
}

/* A tree of the given depth and fan-out, no waiting anywhere. */
static void tree(int depth, int fanout, long *nodes)
{
#pragma omp atomic
  (*nodes)++;
  if (depth == 0)
    return;
  for (int k = 0; k < fanout; k++) {
#pragma omp task firstprivate(depth, fanout, nodes)
    tree(depth - 1, fanout, nodes);
  }
}

static long tree_size(int depth, int fanout)
{
  long s = 1, level = 1;
  for (int d = 0; d < depth; d++) {
    level *= fanout;
    s += level;
  }
  return s;
}

int main(void)
{
  int team = 0;
  long grands_done_at_taskwait = 0;

  /* 1. taskgroup waits for grandchildren. */
  reset();
#pragma omp parallel
#pragma omp single
  {
    team = omp_get_num_threads();
#pragma omp taskgroup
    {
      for (int i = 0; i < K; i++) {
#pragma omp task firstprivate(i)
        child(i);
      }
    }
    for (int i = 0; i < K; i++) {
      CHECK(get_flag(&child_flag[i]), "child %d not finished at the end of the taskgroup", i);
      for (int j = 0; j < M; j++)
        CHECK(get_flag(&grand_flag[i][j]),
              "grandchild %d.%d not finished at the end of the taskgroup", i, j);
    }
  }

  /* 2. taskwait waits for children; the enclosing taskgroup then for the grandchildren. */
  reset();
#pragma omp parallel
#pragma omp single
  {
#pragma omp taskgroup
    {
      for (int i = 0; i < K; i++) {
#pragma omp task firstprivate(i)
        child(i);
      }
#pragma omp taskwait
      for (int i = 0; i < K; i++) {
        CHECK(get_flag(&child_flag[i]), "child %d not finished after taskwait", i);
        for (int j = 0; j < M; j++)
          grands_done_at_taskwait += get_flag(&grand_flag[i][j]);
      }
    }
    for (int i = 0; i < K; i++)
      for (int j = 0; j < M; j++)
        CHECK(get_flag(&grand_flag[i][j]),
              "grandchild %d.%d not finished at the end of the enclosing taskgroup", i, j);
  }

  /* 3. A deep tree with no taskwait, under one taskgroup. */
  long nodes = 0, expect_nodes = tree_size(7, 3);
#pragma omp parallel
#pragma omp single
  {
#pragma omp taskgroup
    tree(7, 3, &nodes);
    long seen;
#pragma omp atomic read
    seen = nodes;
    CHECK(seen == expect_nodes, "deep tree: %ld nodes done at the end of the taskgroup, expected %ld",
          seen, expect_nodes);
  }

  /* 4. Nested taskgroups: each task waits for its own subtree in an inner taskgroup. */
  long inner_nodes[K] = {0};
  long outer_seen = 0;
#pragma omp parallel
#pragma omp single
  {
#pragma omp taskgroup
    {
      for (int i = 0; i < K; i++) {
#pragma omp task firstprivate(i) shared(inner_nodes)
        {
#pragma omp taskgroup
          tree(4, 3, &inner_nodes[i]);
          long seen;
#pragma omp atomic read
          seen = inner_nodes[i];
          CHECK(seen == tree_size(4, 3), "inner taskgroup %d: %ld nodes done, expected %ld", i, seen,
                tree_size(4, 3));
          /* More work after the inner group, covered by the outer group only. */
          tree(2, 2, &outer_seen);
        }
      }
    }
    long seen;
#pragma omp atomic read
    seen = outer_seen;
    CHECK(seen == K * tree_size(2, 2), "outer taskgroup: %ld nodes done, expected %ld", seen,
          (long)K * tree_size(2, 2));
  }

  /* 5. A taskgroup in every implicit task at once; each thread waits for its own tree only. */
  long per_thread[64] = {0};
  int nt = 0;
#pragma omp parallel shared(per_thread, nt)
  {
    int t = omp_get_thread_num();
#pragma omp single
    nt = omp_get_num_threads();
    if (t < 64) {
#pragma omp taskgroup
      tree(5, 3, &per_thread[t]);
      long seen;
#pragma omp atomic read
      seen = per_thread[t];
      CHECK(seen == tree_size(5, 3), "thread %d: %ld nodes done after its taskgroup, expected %ld", t,
            seen, tree_size(5, 3));
    }
    /* 6. Empty and nested empty taskgroups. */
#pragma omp taskgroup
    {
    }
#pragma omp taskgroup
    {
#pragma omp taskgroup
      {
      }
    }
  }

  if (failures) {
    fprintf(stderr, "taskgroup_tree: %d check(s) failed\n", failures);
    return 1;
  }
  printf("taskgroup_tree: %d children x %d grandchildren, deep tree of %ld nodes, nested and "
         "per-thread taskgroups, team of %d (%ld/%d grandchildren already done at taskwait): ok\n",
         K, M, expect_nodes, team, grands_done_at_taskwait, K * M);
  return 0;
}
