/* forkjoin_nested: nested regions and teams running at the same time (issue 15).
 * 1. Nested regions with omp_set_max_active_levels(2): an outer team (num_threads up to 8)
 *    whose every thread forks inner teams of 3, 2 and 1 threads, many times over. Inside,
 *    omp_get_level(), omp_get_active_level(), omp_get_num_threads(), omp_get_team_size(1),
 *    omp_get_ancestor_thread_num(1) are checked; each inner team runs barrier episodes on its
 *    own slots (a barrier that lets an inner thread through before its team has arrived, or
 *    that mixes up the inner teams, leaves an old value in a slot) and a reduction, whose
 *    results the outer team sums in its own reduction. Then with max-active-levels 1 the
 *    inner regions are teams of one (level 2, active level 1).
 * 2. Concurrent teams: 4 pthreads, each the initial thread of its own regions, run regions at
 *    the same time, each with barrier episodes on its own slots and reductions (parallel and
 *    for), all checked per pthread. A runtime short of threads may give a pthread a smaller
 *    team than it asked for (OpenMP leaves that to the implementation): the size is reported,
 *    and every result is checked against the size the team really had. */
#define FJ_NAME "forkjoin_nested"
#include "forkjoin.h"
#include <pthread.h>

#define OUTER_MAX 8
#define INNER_MAX 3

/* per outer thread, two alternating slot arrays for its inner team */
static int islot[OUTER_MAX][2][INNER_MAX];

static void nested(int rounds, int episodes)
{
  omp_set_max_active_levels(2);
  int outer = fj_threads < OUTER_MAX ? fj_threads : OUTER_MAX;
  if (outer < 2)
    outer = 2;
  int bad = 0;
  for (int r = 0; r < rounds; r++) {
    long total = 0;
    int outer_seen = 0;
#pragma omp parallel num_threads(outer) reduction(+: total) shared(bad, outer_seen)
    {
      int ot = omp_get_thread_num(), on = omp_get_num_threads();
      if (ot == 0)
        outer_seen = on;
      static const int sizes[3] = {3, 2, 1};
      for (int s = 0; s < 3; s++) {
        int want = sizes[(s + r + ot) % 3];
        long inner_sum = 0;
        int inner_n = 0, inner_bad = 0;
#pragma omp parallel num_threads(want) reduction(+: inner_sum) shared(inner_n, inner_bad)
        {
          int it = omp_get_thread_num(), in = omp_get_num_threads();
          int b = 0;
          if (it == 0)
            inner_n = in;
          if (in != want || it < 0 || it >= in || omp_get_level() != 2 ||
              omp_get_active_level() != (on > 1) + (in > 1) || omp_get_team_size(1) != on ||
              omp_get_ancestor_thread_num(1) != ot || omp_get_ancestor_thread_num(2) != it) {
            CHECK(0, "round %d: inner thread %d of %d (asked %d) under outer thread %d of %d: "
                  "level %d, active level %d, team size(1) %d, ancestor(1) %d", r, it, in, want,
                  ot, on, omp_get_level(), omp_get_active_level(), omp_get_team_size(1),
                  omp_get_ancestor_thread_num(1));
            b = 1;
          }
          /* every thread runs every episode (a thread that stopped would leave the others
             waiting in the barrier); it reports its first error only */
          for (int e = 0; e < episodes; e++) {
            int stamp = r * 100000 + s * 10000 + e + 1;
            fj_jitter((unsigned)(r * 64 + e), (unsigned)(ot * 8 + it));
            islot[ot][e & 1][it] = stamp;
#pragma omp barrier
            for (int u = 0; u < in && !b; u++)
              if (islot[ot][e & 1][u] != stamp) {
                CHECK(0, "round %d, outer thread %d: inner thread %d passed barrier episode %d "
                      "while inner thread %d's slot held %d (expected %d)", r, ot, it, e, u,
                      islot[ot][e & 1][u], stamp);
                b = 1;
                break;
              }
          }
          if (b) {
#pragma omp atomic
            inner_bad++;
          }
          inner_sum += 1000 * (ot + 1) + it;
        }
        /* expected from the team it really had (checked above to be `want`) */
        long expect = 0;
        for (int it = 0; it < inner_n; it++)
          expect += 1000 * (ot + 1) + it;
        if (inner_sum != expect || inner_bad || inner_n != want) {
          CHECK(0, "round %d, outer thread %d, inner region %d: team of %d (asked %d), sum %ld "
                "(expected %ld), %d inner threads saw errors", r, ot, s, inner_n, want,
                inner_sum, expect, inner_bad);
#pragma omp atomic
          bad++;
        }
        total += inner_sum;
      }
    }
    long expect = 0;
    for (int ot = 0; ot < outer_seen; ot++)
      for (int s = 0; s < 3; s++) {
        int want = (int[]){3, 2, 1}[(s + r + ot) % 3];
        for (int it = 0; it < want; it++)
          expect += 1000 * (ot + 1) + it;
      }
    if (outer_seen != outer || total != expect) {
      CHECK(0, "round %d: outer team of %d (asked %d), sum of the inner reductions %ld, "
            "expected %ld", r, outer_seen, outer, total, expect);
      bad++;
    }
    if (bad > 3)
      break;
  }

  /* max-active-levels 1: inner regions are teams of one */
  omp_set_max_active_levels(1);
  int wrong = 0, inner_runs = 0;
#pragma omp parallel num_threads(outer) shared(wrong, inner_runs)
  {
    int on = omp_get_num_threads();
#pragma omp parallel num_threads(3) shared(wrong, inner_runs)
    {
#pragma omp atomic
      inner_runs++;
      if (omp_get_num_threads() != 1 || omp_get_thread_num() != 0 || omp_get_level() != 2 ||
          omp_get_active_level() != (on > 1)) {
#pragma omp atomic
        wrong++;
      }
#pragma omp barrier
    }
  }
  CHECK(wrong == 0 && inner_runs == outer, "max-active-levels 1: %d of %d inner regions were "
        "not a team of one at level 2 (expected %d inner regions)", wrong, inner_runs, outer);
}

/* ---- concurrent teams from pthreads ------------------------------------------------------- */

#define ROOTS 4
#define RSLOTS 8

struct root {
  int id;
  int regions, episodes;
  int want;
  int slots[2][RSLOTS];
  int min_team, max_team;
  int errors;
};

static void *root_main(void *arg)
{
  struct root *rt = arg;
  rt->min_team = 1 << 30;
  for (int r = 0; r < rt->regions; r++) {
    long psum = 0, fsum = 0;
    int team = 0, bad = 0;
    int base = (rt->id + 1) * 1000000 + r * 1000;
#pragma omp parallel num_threads(rt->want) reduction(+: psum) shared(team, bad)
    {
      int t = omp_get_thread_num(), n = omp_get_num_threads();
      if (t == 0)
        team = n;
      if (n < 1 || n > rt->want || t >= n || omp_get_level() != 1) {
#pragma omp atomic
        bad++;
      }
      int b = 0;
      for (int e = 0; e < rt->episodes && n <= RSLOTS; e++) {
        fj_jitter((unsigned)(base + e), (unsigned)t);
        rt->slots[e & 1][t] = base + e + 1;
#pragma omp barrier
        for (int u = 0; u < n && !b; u++)
          if (rt->slots[e & 1][u] != base + e + 1) {
            CHECK(0, "pthread %d, region %d: thread %d passed barrier episode %d while thread "
                  "%d's slot held %d (expected %d)", rt->id, r, t, e, u, rt->slots[e & 1][u],
                  base + e + 1);
            b = 1;
            break;
          }
      }
      if (b) {
#pragma omp atomic
        bad++;
      }
      psum += t + 1;
#pragma omp for reduction(+: fsum) schedule(dynamic, 2)
      for (int i = 0; i < 100; i++)
        fsum += i + rt->id;
    }
    long pexpect = (long)team * (team + 1) / 2, fexpect = 4950 + 100L * rt->id;
    if (bad || psum != pexpect || fsum != fexpect) {
      CHECK(0, "pthread %d, region %d: team of %d (asked %d): parallel reduction %ld (expected "
            "%ld), for reduction %ld (expected %ld), %d threads saw errors", rt->id, r, team,
            rt->want, psum, pexpect, fsum, fexpect, bad);
      rt->errors++;
      if (rt->errors > 3)
        break;
    }
    if (team < rt->min_team)
      rt->min_team = team;
    if (team > rt->max_team)
      rt->max_team = team;
  }
  return NULL;
}

static void concurrent(int regions, int episodes, int *min_team, int *max_team)
{
  struct root roots[ROOTS];
  pthread_t th[ROOTS];
  for (int i = 0; i < ROOTS; i++) {
    memset(&roots[i], 0, sizeof roots[i]);
    roots[i].id = i;
    roots[i].regions = regions;
    roots[i].episodes = episodes;
    roots[i].want = 2 + i % 2; /* 2, 3, 2, 3 */
    if (pthread_create(&th[i], NULL, root_main, &roots[i]) != 0) {
      fprintf(stderr, "forkjoin_nested: pthread_create failed\n");
      exit(2);
    }
  }
  *min_team = 1 << 30;
  *max_team = 0;
  for (int i = 0; i < ROOTS; i++) {
    pthread_join(th[i], NULL);
    if (roots[i].min_team < *min_team)
      *min_team = roots[i].min_team;
    if (roots[i].max_team > *max_team)
      *max_team = roots[i].max_team;
  }
}

int main(void)
{
  fj_start();
  int rounds = (int)fj_count(400, 10, 40);
  int episodes = 8;
  fj_part = "1. nested regions";
  nested(rounds, episodes);
  int regions = (int)fj_count(800, 30, 200), min_team, max_team;
  fj_part = "2. concurrent teams from pthreads";
  concurrent(regions, 6, &min_team, &max_team);
  char summary[300];
  snprintf(summary, sizeof summary, "%d rounds of nested regions (outer team of %d, inner "
           "teams of 3, 2, 1, %d barrier episodes each), %d pthreads x %d concurrent regions "
           "(teams of %d to %d threads)", rounds, fj_threads < OUTER_MAX ?
           (fj_threads < 2 ? 2 : fj_threads) : OUTER_MAX, episodes, ROOTS, regions, min_team,
           max_team);
  return fj_finish(summary);
}
