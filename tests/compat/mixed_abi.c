/* mixed_abi: one program made of objects compiled by clang -fopenmp (this file: main and the
 * __kmpc_* half) and by gcc -fopenmp (mixed_abi_gcc.c: the GOMP_* half), each running inside
 * the other's parallel regions, so that one runtime must serve both ABIs at once:
 * - clang regions in which every thread runs gcc orphaned worksharing (a guided loop with a
 *   reduction, sections, single copyprivate, barriers) and gcc-created tasks, waited for by
 *   clang's taskwait, taskgroup and barrier; gcc tasks with their own nested tasks and taskwait;
 * - gcc regions in which every thread runs clang orphaned worksharing (a dynamic loop with a
 *   reduction, single copyprivate) and clang-created tasks, waited for by a gcc taskgroup and
 *   the region's end;
 * - one omp_lock_t and one omp_nest_lock_t used by both halves' code at once (the lock memory
 *   is big enough for either compiler's omp.h), and each compiler's critical sections entered
 *   from threads of the other's regions.
 * Not checked: mutual exclusion between a clang critical and a gcc critical, even of the same
 * name. The compilers name their critical locks differently (clang: a 32-byte
 * .gomp_critical_user_<name>.var, or __kmpc_critical's unnamed lock; gcc: an 8-byte
 * .gomp_critical_user_<name>, or GOMP_critical_start's own), so they are separate locks on
 * libomp as on any runtime (docs: openmp-abi.md, pitfall 14). */
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mixed_abi.h"

static int failures;

void mixed_fail(int line, const char *file, const char *fmt, ...)
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
    const char *base = strrchr(file, '/');
    fprintf(stderr, "%s:%d: check failed: ", base ? base + 1 : file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) MIXED_CHECK(cond, __VA_ARGS__)

/* ---- the clang half, called from gcc regions ---------------------------------------------- */

long clang_orphan_for(int n)
{
  static long sum;
#pragma omp single
  sum = 0;
#pragma omp for schedule(dynamic, 3) reduction(+ : sum)
  for (int i = 0; i < n; i++)
    sum += 2 * i;
  long r = sum;
#pragma omp barrier
  return r;
}

void clang_tasks(long *cells, int n)
{
  for (int i = 0; i < n; i++) {
#pragma omp task firstprivate(i)
    {
      for (volatile int s = 0; s < 200; s++)
        ;
      __atomic_store_n(&cells[i], (long)i * 7 + 3, __ATOMIC_RELEASE);
    }
  }
}

long clang_single_broadcast(long v)
{
  long x = -1;
#pragma omp single copyprivate(x)
  x = v;
  return x;
}

void clang_locked_add(mixed_lock *lk, long *c, long v)
{
  omp_set_lock((omp_lock_t *)lk->bytes);
  long old = *c;
  for (volatile int s = 0; s < 20; s++)
    ;
  *c = old + v;
  omp_unset_lock((omp_lock_t *)lk->bytes);
}

void clang_nest_locked_add(mixed_lock *nlk, long *c, long v)
{
  omp_nest_lock_t *l = (omp_nest_lock_t *)nlk->bytes;
  omp_set_nest_lock(l);
  omp_set_nest_lock(l);
  long old = *c;
  *c = old + v;
  omp_unset_nest_lock(l);
  omp_unset_nest_lock(l);
}

void clang_critical_add(long *c, long v)
{
#pragma omp critical(mixed_clang)
  {
    long old = *c;
    for (volatile int s = 0; s < 20; s++)
      ;
    *c = old + v;
  }
}

/* ---- gcc regions running clang code -------------------------------------------------------- */

#define NC 300
static mixed_lock lk, nlk;
static long locked, nested, gcc_crit, clang_crit;
static long cells[NC];
static int team;

struct region_result {
  long sums[64];
  long bcast[64];
  int bad_team;
};

static void in_gcc_region(void *arg)
{
  struct region_result *r = arg;
  int t = omp_get_thread_num();
  if (omp_get_num_threads() != team)
    __atomic_fetch_add(&r->bad_team, 1, __ATOMIC_RELAXED);
  long s = clang_orphan_for(500);
  long b = clang_single_broadcast(1000 + omp_get_num_threads());
  if (t < 64) {
    r->sums[t] = s;
    r->bcast[t] = b;
  }
  for (int k = 0; k < 200; k++) {
    clang_locked_add(&lk, &locked, 1);
    gcc_locked_add(&lk, &locked, 2);
    gcc_nest_locked_add(&nlk, &nested, 4);
    clang_nest_locked_add(&nlk, &nested, 8);
    clang_critical_add(&clang_crit, 1);
    gcc_critical_add(&gcc_crit, 1);
  }
#pragma omp single
  clang_tasks(cells, NC); /* clang tasks in a gcc team: the region's end waits for them */
}

static void clang_tasks_body(void *arg)
{
  clang_tasks(arg, NC);
}

/* ---- main: clang regions running gcc code -------------------------------------------------- */

int main(void)
{
#pragma omp parallel
#pragma omp single
  team = omp_get_num_threads();
  gcc_init_locks(&lk, &nlk);

  for (int rep = 0; rep < 20; rep++) {
    /* 1. a clang region; every thread runs gcc worksharing, locks and criticals */
    long sums[64], bcast[64];
    int secs[4] = {0}, sec_total = 0;
    locked = nested = gcc_crit = clang_crit = 0;
    memset(cells, 0, sizeof cells);
#pragma omp parallel shared(sums, bcast, secs, sec_total)
    {
      int t = omp_get_thread_num();
      long s = gcc_orphan_for(1000);
      long b = gcc_single_broadcast(rep * 10 + 1);
      if (t < 64) {
        sums[t] = s;
        bcast[t] = b;
      }
      int mine = gcc_sections(secs);
#pragma omp atomic
      sec_total += mine;
      gcc_barrier();
      for (int k = 0; k < 200; k++) {
        gcc_locked_add(&lk, &locked, 1);
        clang_locked_add(&lk, &locked, 2);
        gcc_nest_locked_add(&nlk, &nested, 4);
        clang_nest_locked_add(&nlk, &nested, 8);
        gcc_critical_add(&gcc_crit, 1);
        clang_critical_add(&clang_crit, 1);
      }
      /* gcc tasks from a clang single, waited for by clang's taskwait */
#pragma omp single
      {
        gcc_tasks(cells, NC / 2);
#pragma omp taskwait
        int bad = 0;
        for (int i = 0; i < NC / 2; i++)
          bad += __atomic_load_n(&cells[i], __ATOMIC_ACQUIRE) != (long)i * 3 + 1;
        CHECK(bad == 0, "rep %d: after clang's taskwait, %d gcc tasks had not run", rep, bad);
        /* ... and by a clang taskgroup */
#pragma omp taskgroup
        gcc_tasks(cells + NC / 2, NC / 2);
        bad = 0;
        for (int i = 0; i < NC / 2; i++)
          bad += __atomic_load_n(&cells[NC / 2 + i], __ATOMIC_ACQUIRE) != (long)i * 3 + 1;
        CHECK(bad == 0, "rep %d: after a clang taskgroup, %d gcc tasks had not run", rep, bad);
      }
      /* every thread creates gcc tasks; clang's barrier waits for all of them */
      static long per_thread[64][20];
      if (t < 64)
        gcc_tasks(per_thread[t], 20);
#pragma omp barrier
      if (t < 64) {
        int bad = 0;
        for (int i = 0; i < 20; i++)
          bad += __atomic_load_n(&per_thread[t][i], __ATOMIC_ACQUIRE) != (long)i * 3 + 1;
        CHECK(bad == 0, "rep %d: after clang's barrier, %d of thread %d's gcc tasks had not run",
              rep, bad, t);
      }
#pragma omp barrier
#pragma omp single
      memset(per_thread, 0, sizeof per_thread);
      /* gcc tasks with nested tasks and gcc's own taskwait, inside a clang task */
#pragma omp single
      {
#pragma omp task
        {
          static long nested[40];
          memset(nested, 0, sizeof nested);
          gcc_tasks_taskwait(nested, 40);
          int bad = 0;
          for (int i = 0; i < 40; i++)
            bad += nested[i] != (long)i * 5 + 2;
          CHECK(bad == 0, "rep %d: after gcc's taskwait in a clang task, %d tasks had not run",
                rep, bad);
        }
      }
    }
    long want = 999L * 1000 / 2;
    for (int t = 0; t < team && t < 64; t++) {
      CHECK(sums[t] == want, "rep %d: gcc orphaned loop in a clang region: thread %d got %ld, "
            "expected %ld", rep, t, sums[t], want);
      CHECK(bcast[t] == rep * 10 + 1, "rep %d: gcc copyprivate in a clang region: thread %d got "
            "%ld", rep, t, bcast[t]);
    }
    CHECK(sec_total == 4 && secs[0] == 1 && secs[1] == 1 && secs[2] == 1 && secs[3] == 1,
          "rep %d: gcc sections in a clang region ran %d %d %d %d (total %d)", rep, secs[0],
          secs[1], secs[2], secs[3], sec_total);
    CHECK(locked == 3L * 200 * team && nested == 12L * 200 * team,
          "rep %d: the shared lock's counter is %ld (expected %ld), the nest lock's %ld (expected "
          "%ld)", rep, locked, 3L * 200 * team, nested, 12L * 200 * team);
    CHECK(gcc_crit == 200L * team && clang_crit == 200L * team,
          "rep %d: critical counters gcc %ld, clang %ld, expected %ld", rep, gcc_crit, clang_crit,
          200L * team);

    /* 2. a gcc region; every thread runs clang worksharing, locks, criticals and tasks */
    struct region_result r;
    memset(&r, 0, sizeof r);
    locked = nested = gcc_crit = clang_crit = 0;
    memset(cells, 0, sizeof cells);
    gcc_parallel(in_gcc_region, &r);
    CHECK(r.bad_team == 0, "rep %d: %d threads of the gcc region saw another team size than %d",
          rep, r.bad_team, team);
    for (int t = 0; t < team && t < 64; t++) {
      CHECK(r.sums[t] == 499L * 500, "rep %d: clang orphaned loop in a gcc region: thread %d got "
            "%ld", rep, t, r.sums[t]);
      CHECK(r.bcast[t] == 1000 + team, "rep %d: clang copyprivate in a gcc region: thread %d got "
            "%ld", rep, t, r.bcast[t]);
    }
    int bad = 0;
    for (int i = 0; i < NC; i++)
      bad += cells[i] != (long)i * 7 + 3;
    CHECK(bad == 0, "rep %d: after the gcc region, %d clang tasks had not run", rep, bad);
    CHECK(locked == 3L * 200 * team && nested == 12L * 200 * team,
          "rep %d: in the gcc region, the shared lock's counter is %ld (expected %ld), the nest "
          "lock's %ld (expected %ld)", rep, locked, 3L * 200 * team, nested, 12L * 200 * team);
    CHECK(gcc_crit == 200L * team && clang_crit == 200L * team,
          "rep %d: critical counters in the gcc region: gcc %ld, clang %ld", rep, gcc_crit,
          clang_crit);

    /* 3. clang tasks inside a gcc taskgroup, from a clang single */
    memset(cells, 0, sizeof cells);
#pragma omp parallel
#pragma omp single
    {
      gcc_taskgroup(clang_tasks_body, cells);
      int bad2 = 0;
      for (int i = 0; i < NC; i++)
        bad2 += __atomic_load_n(&cells[i], __ATOMIC_ACQUIRE) != (long)i * 7 + 3;
      CHECK(bad2 == 0, "rep %d: after a gcc taskgroup, %d clang tasks had not run", rep, bad2);
    }
  }
  gcc_destroy_locks(&lk, &nlk);

  if (failures) {
    fprintf(stderr, "mixed_abi: %d check(s) failed\n", failures);
    return 1;
  }
  printf("mixed_abi: clang regions running gcc worksharing and tasks, gcc regions running clang "
         "worksharing and tasks, shared locks; team of %d: ok\n", team);
  return 0;
}
