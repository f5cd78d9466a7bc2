/* roots: several user pthreads, each the initial thread of its own OpenMP regions, at once.
 * - "root" pthreads run parallel regions with the default team size (the team may be smaller
 *   if the runtime has no threads to spare: reported, not checked);
 * - meanwhile 2 "query" pthreads that never enter a region call omp_get_thread_num,
 *   omp_in_parallel and friends outside any region, and expect the initial-thread answers.
 * Every region checks its thread numbers (each 0..n-1 exactly once), omp_get_level and
 * omp_in_parallel inside, a static loop with a reduction, a dynamic loop with a reduction and
 * a critical section; with tasks, also tasks created by a single (waited for by its barrier)
 * and tasks created by every thread (waited for by an explicit barrier). The roots' data are
 * separate and every value is compared with the serial result.
 * Phase 1 (churn): 3 rounds, each starting 3 new roots (10 regions each, no tasks) and 2 query
 * threads, which all end before the next round, so per-thread runtime state is set up and torn
 * down repeatedly; the main thread runs a region between rounds and gets the default team.
 * Phase 2: 3 roots, 40 regions each, with tasks, while the main thread runs regions with tasks
 * too and 2 query threads poll. (libomp 14 crashes - SIGSEGV/SIGBUS in __kmpc_barrier - when a
 * root pthread that ran tasks has ended and a new root pthread runs tasks, so the roots with
 * tasks live until the end.) */
#define _POSIX_C_SOURCE 200809L
#include <omp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    fprintf(stderr, "roots.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))

#define NROOTS 3
#define NQUERY 2
#define ROUNDS 3
#define CHURN_REGIONS 10
#define REGIONS 40
#define N 4096
#define NTASKS 48

static int default_team; /* omp_get_max_threads() of the main thread */

static long value(int root, int r, int i) { return (long)(root + 1) * 1000003L + r * 7919L + i % 977; }

typedef struct root_data {
  int id;
  int nregions, with_tasks;
  long data[N];
  long task_out[NTASKS];
  long mine[64][8];
  int seen_tid[64];
  int min_team, max_team;
  long regions;
} root_data;

static void *root_main(void *arg)
{
  root_data *rd = arg;
  CHECK(omp_get_thread_num() == 0 && !omp_in_parallel() && omp_get_level() == 0,
        "root %d before its first region: thread %d, in_parallel %d, level %d", rd->id,
        omp_get_thread_num(), omp_in_parallel(), omp_get_level());
  CHECK(omp_get_max_threads() == default_team, "root %d: omp_get_max_threads() = %d, the main "
        "thread's is %d", rd->id, omp_get_max_threads(), default_team);
  for (int r = 0; r < rd->nregions; r++) {
    for (int i = 0; i < N; i++)
      rd->data[i] = value(rd->id, r, i);
    for (int k = 0; k < NTASKS; k++)
      rd->task_out[k] = -1;
    memset(rd->seen_tid, 0, sizeof rd->seen_tid);
    long sum = 0, dyn_sum = 0, crit_sum = 0;
    int team = 0;
#pragma omp parallel shared(sum, dyn_sum, crit_sum, team)
    {
      int t = omp_get_thread_num(), n = omp_get_num_threads();
#pragma omp single
      team = n;
      CHECK(t >= 0 && t < n && n <= 64, "root %d: thread %d of %d", rd->id, t, n);
      CHECK(omp_get_level() == 1, "root %d: omp_get_level() = %d in its region", rd->id,
            omp_get_level());
      CHECK(omp_in_parallel() == (n > 1), "root %d: omp_in_parallel() = %d in a team of %d",
            rd->id, omp_in_parallel(), n);
      if (t < 64) {
#pragma omp atomic
        rd->seen_tid[t]++;
      }
#pragma omp for reduction(+: sum)
      for (int i = 0; i < N; i++)
        sum += rd->data[i];
      if (rd->with_tasks) {
#pragma omp single
        for (int k = 0; k < NTASKS; k++) {
#pragma omp task firstprivate(k)
          {
            long s = 0;
            for (int i = k; i < N; i += NTASKS)
              s += rd->data[i];
            rd->task_out[k] = s;
          }
        }
        /* (the single's barrier waits for its tasks) */
        if (t < 64)
          for (int k = 0; k < 8; k++) {
#pragma omp task firstprivate(t, k)
            rd->mine[t][k] = rd->data[t * 8 + k] * 2;
          }
#pragma omp barrier
        if (t == 0)
          for (int u = 0; u < n && u < 64; u++)
            for (int k = 0; k < 8; k++)
              CHECK(rd->mine[u][k] == rd->data[u * 8 + k] * 2, "root %d region %d: thread %d's "
                    "task %d gave %ld", rd->id, r, u, k, rd->mine[u][k]);
      }
#pragma omp for schedule(dynamic, 64) reduction(+: dyn_sum)
      for (int i = 0; i < N; i++)
        dyn_sum += rd->data[i] % 13;
      long part = 0;
#pragma omp for schedule(static) nowait
      for (int i = 0; i < N; i++)
        part += rd->data[i] & 0xff;
#pragma omp critical(root_crit)
      crit_sum += part;
    }
    long expect = 0, expect_dyn = 0, expect_crit = 0;
    for (int i = 0; i < N; i++) {
      expect += rd->data[i];
      expect_dyn += rd->data[i] % 13;
      expect_crit += rd->data[i] & 0xff;
    }
    CHECK(sum == expect, "root %d region %d: reduction %ld, expected %ld", rd->id, r, sum, expect);
    CHECK(dyn_sum == expect_dyn, "root %d region %d: dynamic reduction %ld, expected %ld", rd->id,
          r, dyn_sum, expect_dyn);
    CHECK(crit_sum == expect_crit, "root %d region %d: critical sum %ld, expected %ld", rd->id, r,
          crit_sum, expect_crit);
    if (rd->with_tasks) {
      long tsum = 0;
      for (int k = 0; k < NTASKS; k++) {
        CHECK(rd->task_out[k] >= 0, "root %d region %d: task %d had not run", rd->id, r, k);
        tsum += rd->task_out[k];
      }
      CHECK(tsum == expect, "root %d region %d: task sums %ld, expected %ld", rd->id, r, tsum,
            expect);
    }
    for (int t = 0; t < team && t < 64; t++)
      CHECK(rd->seen_tid[t] == 1, "root %d region %d: thread number %d seen %d times", rd->id, r,
            t, rd->seen_tid[t]);
    if (team < rd->min_team)
      rd->min_team = team;
    if (team > rd->max_team)
      rd->max_team = team;
    rd->regions++;
    CHECK(omp_get_thread_num() == 0 && !omp_in_parallel() && omp_get_level() == 0,
          "root %d after region %d: thread %d, in_parallel %d, level %d", rd->id, r,
          omp_get_thread_num(), omp_in_parallel(), omp_get_level());
  }
  return NULL;
}

static int query_stop;
static long query_calls;

static void *query_main(void *arg)
{
  int id = *(int *)arg;
  long calls = 0;
  for (;;) {
    for (int k = 0; k < 200; k++) {
      CHECK(omp_get_thread_num() == 0, "query thread %d: omp_get_thread_num() = %d", id,
            omp_get_thread_num());
      CHECK(omp_get_num_threads() == 1, "query thread %d: omp_get_num_threads() = %d", id,
            omp_get_num_threads());
      CHECK(!omp_in_parallel(), "query thread %d: omp_in_parallel() = %d", id, omp_in_parallel());
      CHECK(omp_get_level() == 0 && omp_get_active_level() == 0, "query thread %d: level %d, "
            "active level %d", id, omp_get_level(), omp_get_active_level());
      CHECK(omp_get_ancestor_thread_num(0) == 0 && omp_get_team_size(0) == 1,
            "query thread %d: ancestor thread %d, team size %d at level 0", id,
            omp_get_ancestor_thread_num(0), omp_get_team_size(0));
      CHECK(omp_get_max_threads() == default_team, "query thread %d: omp_get_max_threads() = %d,"
            " expected %d", id, omp_get_max_threads(), default_team);
      calls += 6;
    }
    if (__atomic_load_n(&query_stop, __ATOMIC_ACQUIRE))
      break;
    sched_yield();
  }
  __atomic_fetch_add(&query_calls, calls, __ATOMIC_RELAXED);
  return NULL;
}

static void start(pthread_t *t, void *(*fn)(void *), void *arg)
{
  if (pthread_create(t, NULL, fn, arg) != 0) {
    fputs("roots.c: pthread_create failed\n", stderr);
    exit(1);
  }
}

int main(void)
{
  default_team = omp_get_max_threads();
  static root_data roots[NROOTS];
  int qid[NQUERY];
  pthread_t rt[NROOTS], qt[NQUERY];
  long main_regions = 0, regions = 0;
  int min_team = 1 << 30, max_team = 0;
  for (int i = 0; i < NROOTS; i++) {
    roots[i].id = i;
    roots[i].min_team = 1 << 30;
  }

  /* phase 1: new threads every round */
  for (int round = 0; round < ROUNDS; round++) {
    __atomic_store_n(&query_stop, 0, __ATOMIC_RELEASE);
    for (int q = 0; q < NQUERY; q++) {
      qid[q] = q;
      start(&qt[q], query_main, &qid[q]);
    }
    for (int i = 0; i < NROOTS; i++) {
      roots[i].nregions = CHURN_REGIONS;
      roots[i].with_tasks = 0;
      start(&rt[i], root_main, &roots[i]);
    }
    for (int i = 0; i < NROOTS; i++)
      pthread_join(rt[i], NULL);
    __atomic_store_n(&query_stop, 1, __ATOMIC_RELEASE);
    for (int q = 0; q < NQUERY; q++)
      pthread_join(qt[q], NULL);

    long s = 0;
    int team = 0;
#pragma omp parallel reduction(+: s) shared(team)
    {
#pragma omp single
      team = omp_get_num_threads();
#pragma omp for
      for (int i = 0; i < 100000; i++)
        s += i;
    }
    CHECK(s == 100000L * 99999 / 2, "main thread, round %d: %ld", round, s);
    CHECK(team == default_team, "main thread, round %d: team of %d, expected %d (no other root "
          "is running)", round, team, default_team);
    main_regions++;
  }

  /* phase 2: long-lived roots with tasks, the main thread too */
  __atomic_store_n(&query_stop, 0, __ATOMIC_RELEASE);
  for (int q = 0; q < NQUERY; q++)
    start(&qt[q], query_main, &qid[q]);
  for (int i = 0; i < NROOTS; i++) {
    roots[i].nregions = REGIONS;
    roots[i].with_tasks = 1;
    start(&rt[i], root_main, &roots[i]);
  }
  for (int r = 0; r < REGIONS; r++) {
    static long out[256];
    long s = 0;
#pragma omp parallel reduction(+: s)
    {
#pragma omp single
      for (int k = 0; k < 256; k++) {
#pragma omp task firstprivate(k)
        out[k] = (long)k * r;
      }
#pragma omp for
      for (int k = 0; k < 256; k++)
        s += out[k];
    }
    CHECK(s == 255L * 256 / 2 * r, "main thread, region %d with tasks: %ld, expected %ld", r, s,
          255L * 256 / 2 * r);
    main_regions++;
  }
  for (int i = 0; i < NROOTS; i++)
    pthread_join(rt[i], NULL);
  __atomic_store_n(&query_stop, 1, __ATOMIC_RELEASE);
  for (int q = 0; q < NQUERY; q++)
    pthread_join(qt[q], NULL);

  for (int i = 0; i < NROOTS; i++) {
    regions += roots[i].regions;
    if (roots[i].min_team < min_team)
      min_team = roots[i].min_team;
    if (roots[i].max_team > max_team)
      max_team = roots[i].max_team;
  }
  long expect_regions = (long)NROOTS * (ROUNDS * CHURN_REGIONS + REGIONS);
  CHECK(regions == expect_regions, "%ld regions ran in the roots, expected %ld", regions,
        expect_regions);

  if (failures) {
    fprintf(stderr, "roots: %d check(s) failed\n", failures);
    return 1;
  }
  printf("roots: %ld regions in %d root pthreads (%d rounds of new ones, then long-lived ones "
         "with tasks; teams of %d..%d, default %d), %ld on the main thread, %d query pthreads "
         "(%ld calls): ok\n", regions, NROOTS * (ROUNDS + 1), ROUNDS, min_team, max_team,
         default_team, main_regions, NQUERY, query_calls);
  return 0;
}
