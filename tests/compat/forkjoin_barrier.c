/* forkjoin_barrier: barriers let no thread through before every thread of the team has arrived,
 * and they complete the tasks created before them (issue 15). Each part runs many barrier
 * episodes in a row; every thread is perturbed at random points (forkjoin.h: fj_jitter), so
 * that it arrives early, late, or after the others went to sleep:
 * 1. explicit barriers in the region's own code: in episode e each thread writes e into its slot,
 *    passes the barrier and reads every other thread's slot: a slot still holding an older
 *    value means the barrier let the reader through early (two slot arrays used alternately,
 *    so that a fast thread's next write cannot hide a slow one's); with the default team and
 *    with an odd-sized one (num_threads);
 * 2. the same in orphaned functions (the barrier binds to whatever region calls them; called
 *    outside any region it binds to a team of one and must return at once);
 * 3. barriers after nowait loops (static, dynamic, guided), a nowait single and nowait
 *    sections: after the barrier every element written by any thread must be visible; and the
 *    implicit barrier of a loop without nowait;
 * 4. explicit tasks (some creating children after a delay) created by every thread before a
 *    barrier: after it, all of them (and their children) have completed (counter checks);
 * 5. tasks created by one thread only (a different one each episode) while the others already
 *    wait in the barrier, some creating children after a sleep, when the waiting threads may
 *    have gone to sleep: after the barrier all have completed. */
#define FJ_NAME "forkjoin_barrier"
#include "forkjoin.h"

static int stamp[2][FJ_MAXT];
static int epoch; /* episodes numbered across the parts, so that no part sees stale stamps as new */

/* Checks every slot of the team after episode e's barrier; returns 1 if one was wrong. */
static int check_stamps(int e, int t, int n, const char *where)
{
  for (int u = 0; u < n; u++) {
    int v = stamp[e & 1][u];
    if (v != e + 1) {
      CHECK(v == e + 1, "%s: episode %d: thread %d of %d passed the barrier while thread %d's "
            "slot held %d (expected %d: that thread had not arrived yet)", where, e, t, n, u, v,
            e + 1);
      return 1;
    }
  }
  return 0;
}

/* 1. Barriers in the region's own code (k > 0: num_threads(k); else the default team). */
static void inline_body(int e0, int episodes, int *team, const char *where)
{
  int t = omp_get_thread_num(), n = omp_get_num_threads(), reported = 0;
#pragma omp single
  *team = n;
  for (int e = e0; e < e0 + episodes; e++) {
    fj_jitter((unsigned)e, (unsigned)t + 1000 * (unsigned)n);
    stamp[e & 1][t] = e + 1;
#pragma omp barrier
    if (!reported)
      reported = check_stamps(e, t, n, where);
  }
}

static void inline_barriers(int episodes, int k)
{
  int e0 = epoch, team = 0;
  if (k > 0) {
#pragma omp parallel num_threads(k) shared(team)
    inline_body(e0, episodes, &team, "explicit barrier, num_threads");
    CHECK(team == k, "num_threads(%d): team of %d", k, team);
  } else {
#pragma omp parallel shared(team)
    inline_body(e0, episodes, &team, "explicit barrier, default team");
    CHECK(team == fj_threads, "default team of %d, omp_get_max_threads() was %d", team,
          fj_threads);
  }
  epoch += episodes + episodes % 2;
}

/* 2. Orphaned: the barrier binds to the caller's region. */
static __attribute__((noinline)) void orphan_episode(int e)
{
  int t = omp_get_thread_num(), n = omp_get_num_threads();
  stamp[e & 1][t] = e + 1;
#pragma omp barrier
  (void)check_stamps(e, t, n, "orphaned barrier");
}

static __attribute__((noinline)) void orphan_chain(int e, int depth)
{
  if (depth > 0)
    orphan_chain(e, depth - 1);
  else
    orphan_episode(e);
}

static void orphaned_barriers(int episodes)
{
  int e0 = epoch;
  /* outside any region: a team of one */
  orphan_episode(e0);
  orphan_episode(e0 + 1);
  e0 += 2;
#pragma omp parallel
  {
    int t = omp_get_thread_num();
    for (int e = e0; e < e0 + episodes; e++) {
      fj_jitter((unsigned)e, (unsigned)t + 2000);
      if (e % 3 == 0)
        orphan_chain(e, e % 5);
      else
        orphan_episode(e);
    }
  }
  epoch = e0 + episodes + episodes % 2;
}

/* 3. Barriers after nowait constructs. */
#define NW 203
static int nw_static[2][NW], nw_dynamic[2][NW], nw_guided[2][NW], nw_single[2], nw_sect[2][3];
static int implicit_a[NW];

static void nowait_barriers(int episodes)
{
  int e0 = epoch;
#pragma omp parallel
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads(), reported = 0;
    for (int e = e0; e < e0 + episodes; e++) {
      int p = e & 1;
      fj_jitter((unsigned)e, (unsigned)t + 3000);
#pragma omp for schedule(static) nowait
      for (int i = 0; i < NW; i++)
        nw_static[p][i] = e + 1;
#pragma omp for schedule(dynamic, 3) nowait
      for (int i = 0; i < NW; i++)
        nw_dynamic[p][i] = e + 1;
      fj_jitter((unsigned)e, (unsigned)t + 3500);
#pragma omp for schedule(guided) nowait
      for (int i = 0; i < NW; i++)
        nw_guided[p][i] = e + 1;
#pragma omp single nowait
      nw_single[p] = e + 1;
#pragma omp sections nowait
      {
#pragma omp section
        nw_sect[p][0] = e + 1;
#pragma omp section
        nw_sect[p][1] = e + 1;
#pragma omp section
        nw_sect[p][2] = e + 1;
      }
#pragma omp barrier
      if (reported)
        continue;
      for (int i = 0; i < NW; i++) {
        if (nw_static[p][i] != e + 1 || nw_dynamic[p][i] != e + 1 || nw_guided[p][i] != e + 1) {
          CHECK(0, "episode %d: thread %d of %d, after the barrier that follows nowait loops: "
                "element %d is %d (static) %d (dynamic) %d (guided), expected %d everywhere", e, t,
                n, i, nw_static[p][i], nw_dynamic[p][i], nw_guided[p][i], e + 1);
          reported = 1;
          break;
        }
      }
      if (!reported && (nw_single[p] != e + 1 || nw_sect[p][0] != e + 1 ||
                        nw_sect[p][1] != e + 1 || nw_sect[p][2] != e + 1)) {
        CHECK(0, "episode %d: thread %d of %d, after the barrier that follows a nowait single and "
              "nowait sections: single wrote %d, sections %d %d %d, expected %d", e, t, n,
              nw_single[p], nw_sect[p][0], nw_sect[p][1], nw_sect[p][2], e + 1);
        reported = 1;
      }
    }
    /* the implicit barrier of a loop without nowait */
    for (int e = e0; e < e0 + episodes / 4; e++) {
#pragma omp for schedule(dynamic, 7)
      for (int i = 0; i < NW; i++) {
        fj_jitter((unsigned)e, (unsigned)i + 4000);
        implicit_a[i] = e + 1;
      }
      int bad = -1;
      for (int i = 0; i < NW && bad < 0; i++)
        if (implicit_a[i] != e + 1)
          bad = i;
      if (bad >= 0 && !reported) {
        CHECK(bad < 0, "episode %d: thread %d of %d passed a loop's implicit barrier while "
              "element %d was %d (expected %d)", e, t, n, bad, implicit_a[bad], e + 1);
        reported = 1;
      }
      /* nobody may write the next episode's values before everyone has checked */
#pragma omp barrier
    }
  }
  epoch = e0 + episodes + episodes % 2;
}

/* 4. Tasks created by every thread before a barrier. The count of tasks of thread u in episode
 * e, and whether task j has a child, follow from a hash. */
static int ntasks(int e, int u) { return 1 + (int)(fj_hash((unsigned)e, (unsigned)u + 5000) % 3); }
static int has_child(int e, int u, int j) { return fj_hash((unsigned)e * 7 + (unsigned)j, (unsigned)u) % 2; }

static long task_done[2];

static void task_barriers(int episodes)
{
  long total = 0;
#pragma omp parallel shared(total)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads(), reported = 0;
    long expect[2] = {0, 0}; /* per slot, cumulative */
    for (int e = 0; e < episodes; e++) {
      int p = e & 1;
      int k = ntasks(e, t);
      for (int j = 0; j < k; j++) {
        int child = has_child(e, t, j);
#pragma omp task firstprivate(e, j, p, child)
        {
          fj_jitter((unsigned)e * 3 + (unsigned)j, (unsigned)omp_get_thread_num() + 5100);
          if (child) {
#pragma omp task firstprivate(e, j, p)
            {
              fj_jitter((unsigned)e * 5 + (unsigned)j, 5200);
#pragma omp atomic
              task_done[p]++;
            }
          }
#pragma omp atomic
          task_done[p]++;
        }
      }
      fj_jitter((unsigned)e, (unsigned)t + 5300);
#pragma omp barrier
      for (int u = 0; u < n; u++)
        for (int j = 0; j < ntasks(e, u); j++)
          expect[p] += 1 + has_child(e, u, j);
      long got;
#pragma omp atomic read
      got = task_done[p];
      if (got != expect[p] && !reported) {
        CHECK(got == expect[p], "episode %d: thread %d of %d after the barrier: %ld tasks of this "
              "slot done, expected %ld (tasks created before the barrier were not complete)", e, t,
              n, got, expect[p]);
        reported = 1;
      }
    }
    if (t == 0)
      total = expect[0] + expect[1];
  }
  CHECK(task_done[0] + task_done[1] == total, "after the region: %ld tasks done, expected %ld",
        task_done[0] + task_done[1], total);
}

/* 5. Tasks from one thread while the others already wait in the barrier. */
static long lone_done[2];

static void lone_creator(int episodes, int per)
{
#pragma omp parallel
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads(), reported = 0;
    long expect[2] = {0, 0};
    for (int e = 0; e < episodes; e++) {
      int p = e & 1;
      int creator = e % n;
      if (e % 4 == 3) {
        /* a nowait single creates them: whoever arrives first */
#pragma omp single nowait
        for (int j = 0; j < per; j++) {
#pragma omp task firstprivate(p)
          {
#pragma omp atomic
            lone_done[p]++;
          }
        }
      } else if (t == creator) {
        /* let the others reach the barrier (and maybe go to sleep) first */
        fj_spin(2000 + (e % 8) * 3000);
        for (int j = 0; j < per; j++) {
          int delayed = (j == per - 1) && e % 2 == 0;
#pragma omp task firstprivate(e, j, p, delayed)
          {
            if (delayed) {
              /* children created after a sleep: a barrier that saw no tasks a moment ago
                 must still wait for them */
              struct timespec ts = {0, 100000};
              nanosleep(&ts, NULL);
              for (int c = 0; c < 3; c++) {
#pragma omp task firstprivate(p)
                {
                  fj_spin(500);
#pragma omp atomic
                  lone_done[p]++;
                }
              }
            } else {
              fj_jitter((unsigned)e * 11 + (unsigned)j, 6000);
            }
#pragma omp atomic
            lone_done[p]++;
          }
        }
      }
#pragma omp barrier
      expect[p] += per + (e % 4 != 3 && e % 2 == 0 ? 3 : 0);
      long got;
#pragma omp atomic read
      got = lone_done[p];
      if (got != expect[p] && !reported) {
        CHECK(got == expect[p], "episode %d (%s): thread %d of %d after the barrier: %ld tasks "
              "of this slot done, expected %ld", e,
              e % 4 == 3 ? "tasks from a nowait single" : "tasks from one thread", t, n, got,
              expect[p]);
        reported = 1;
      }
    }
  }
}

int main(void)
{
  fj_start();
  int odd = fj_threads > 2 ? fj_threads - 1 : 3;
  int e1 = (int)fj_count(4000, 60, 2000);
  int e2 = (int)fj_count(1000, 30, 400);
  int e3 = (int)fj_count(800, 20, 300);
  int e4 = (int)fj_count(600, 16, 200);

  /* a team larger than OMP_NUM_THREADS (at 1 and 2) is oversubscribed even where the runtime
     thinks it is not, and spinning runtimes then pay a time slice per barrier: fewer episodes */
  int e1odd = odd > fj_threads ? e1 / 20 : e1 / 2;
  fj_part = "1. explicit barriers, default team";
  inline_barriers(e1, 0);
  fj_part = "1. explicit barriers, num_threads";
  inline_barriers(e1odd, odd);
  fj_part = "2. orphaned barriers";
  orphaned_barriers(e2);
  fj_part = "3. barriers after nowait constructs";
  nowait_barriers(e2);
  fj_part = "4. tasks from every thread before barriers";
  task_barriers(e3);
  fj_part = "5. tasks from one thread while the others wait";
  lone_creator(e4, 6);

  char summary[300];
  snprintf(summary, sizeof summary,
           "%d + %d explicit barriers (teams of %d and %d), %d orphaned, %d after nowait "
           "constructs, %d with tasks from every thread, %d with tasks from one thread",
           e1, e1odd, fj_threads, odd, e2, e2, e3, e4);
  return fj_finish(summary);
}
