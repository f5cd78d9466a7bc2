/* omp_api: the omp_* runtime library routines a program calls directly.
 * omp_get_wtime never goes backwards (in every thread) and advances across a 10 ms sleep;
 * omp_get_wtick > 0; omp_get_num_procs >= 1; omp_get_max_threads matches OMP_NUM_THREADS when
 * it is set and is the size of a default team; omp_set_num_threads changes the next region's
 * team and omp_get_max_threads; omp_get_thread_limit >= 1; omp_get_dynamic and
 * omp_get_cancellation match the environment; omp_in_final is 0 outside final tasks;
 * omp_get_level, omp_get_ancestor_thread_num and omp_get_team_size at levels 0, 1 and 2 (the
 * inner region nested and serialized when max-active-levels is 1). Team sizes are compared
 * strictly unless COMPAT_ALLOW_SMALLER_TEAMS is set. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>
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
    fprintf(stderr, "omp_api.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
static int allow_smaller;

static int team_of_next_region(void)
{
  int n = -1;
#pragma omp parallel
#pragma omp master
  n = omp_get_num_threads();
  return n;
}

static void check_size(int n, int expect, const char *what)
{
  if (allow_smaller)
    CHECK(n >= 1 && n <= expect, "%s: team of %d, expected at most %d", what, n, expect);
  else
    CHECK(n == expect, "%s: team of %d, expected %d", what, n, expect);
}

static int env_true(const char *name)
{
  const char *v = getenv(name);
  return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "TRUE") == 0 ||
               strcmp(v, "True") == 0);
}

int main(void)
{
  allow_smaller = getenv("COMPAT_ALLOW_SMALLER_TEAMS") != NULL;

  /* Timer. */
  double prev = omp_get_wtime(), first = prev;
  int backwards = 0;
  for (int i = 0; i < 100000; i++) {
    double now = omp_get_wtime();
    if (now < prev)
      backwards++;
    prev = now;
  }
  CHECK(backwards == 0, "omp_get_wtime went backwards %d times", backwards);
  struct timespec ts = {0, 10 * 1000 * 1000};
  double before = omp_get_wtime();
  nanosleep(&ts, NULL);
  double slept = omp_get_wtime() - before;
  CHECK(slept >= 0.005, "omp_get_wtime advanced %g s across a 10 ms sleep", slept);
  CHECK(prev >= first, "omp_get_wtime: %f then %f", first, prev);
  double tick = omp_get_wtick();
  CHECK(tick > 0.0 && tick < 1.0, "omp_get_wtick() = %g", tick);
  int thread_backwards = 0;
#pragma omp parallel shared(thread_backwards)
  {
    double p = omp_get_wtime();
    int back = 0;
    for (int i = 0; i < 20000; i++) {
      double now = omp_get_wtime();
      if (now < p)
        back++;
      p = now;
    }
#pragma omp atomic
    thread_backwards += back;
  }
  CHECK(thread_backwards == 0, "omp_get_wtime went backwards %d times inside a region",
        thread_backwards);

  /* Processors, threads, limits. */
  int procs = omp_get_num_procs();
  CHECK(procs >= 1, "omp_get_num_procs() = %d", procs);
  int maxt = omp_get_max_threads();
  CHECK(maxt >= 1, "omp_get_max_threads() = %d", maxt);
  const char *env = getenv("OMP_NUM_THREADS");
  if (env && atoi(env) > 0)
    CHECK(maxt == atoi(env), "omp_get_max_threads() = %d with OMP_NUM_THREADS=%s", maxt, env);
  CHECK(omp_get_thread_limit() >= 1, "omp_get_thread_limit() = %d", omp_get_thread_limit());
  if (!getenv("OMP_DYNAMIC"))
    CHECK(omp_get_dynamic() == 0, "omp_get_dynamic() = %d without OMP_DYNAMIC", omp_get_dynamic());
  CHECK(omp_get_cancellation() == env_true("OMP_CANCELLATION"),
        "omp_get_cancellation() = %d, OMP_CANCELLATION=%s", omp_get_cancellation(),
        getenv("OMP_CANCELLATION") ? getenv("OMP_CANCELLATION") : "(unset)");
  check_size(team_of_next_region(), maxt, "default region");

  omp_set_num_threads(3);
  CHECK(omp_get_max_threads() == 3, "after omp_set_num_threads(3), omp_get_max_threads() = %d",
        omp_get_max_threads());
  check_size(team_of_next_region(), 3, "after omp_set_num_threads(3)");
  omp_set_num_threads(1);
  CHECK(team_of_next_region() == 1, "after omp_set_num_threads(1) the team is not 1");
  omp_set_num_threads(2);
  check_size(team_of_next_region(), 2, "after omp_set_num_threads(2)");
  /* num_threads() overrides it for one region only. */
  int k = -1;
#pragma omp parallel num_threads(4)
#pragma omp master
  k = omp_get_num_threads();
  check_size(k, 4, "num_threads(4) after omp_set_num_threads(2)");
  check_size(team_of_next_region(), 2, "the region after num_threads(4)");
  omp_set_num_threads(maxt);
  CHECK(omp_get_max_threads() == maxt, "omp_get_max_threads() = %d after restoring %d",
        omp_get_max_threads(), maxt);

  /* Outside any region. */
  CHECK(omp_in_final() == 0, "omp_in_final() = %d outside any task", omp_in_final());
  CHECK(omp_get_level() == 0 && omp_get_active_level() == 0, "level %d / active level %d outside",
        omp_get_level(), omp_get_active_level());
  CHECK(omp_get_ancestor_thread_num(0) == 0 && omp_get_team_size(0) == 1,
        "level 0: ancestor thread %d, team size %d", omp_get_ancestor_thread_num(0),
        omp_get_team_size(0));
  CHECK(omp_get_ancestor_thread_num(1) == -1 && omp_get_team_size(1) == -1,
        "level 1 outside any region: ancestor thread %d, team size %d (expected -1)",
        omp_get_ancestor_thread_num(1), omp_get_team_size(1));

  /* Inside: levels 1 and 2. */
  int bad = 0, outer = 0, mal = omp_get_max_active_levels();
  CHECK(mal >= 1, "omp_get_max_active_levels() = %d", mal);
#pragma omp parallel shared(bad, outer)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads(), b = 0;
#pragma omp single
    outer = n;
    if (omp_get_ancestor_thread_num(0) != 0 || omp_get_ancestor_thread_num(1) != t ||
        omp_get_ancestor_thread_num(2) != -1 || omp_get_team_size(0) != 1 ||
        omp_get_team_size(1) != n || omp_get_team_size(2) != -1 || omp_in_final() != 0)
      b++;
#pragma omp task shared(b)
    {
      if (omp_in_final() != 0)
        b++;
    }
#pragma omp taskwait
#pragma omp parallel num_threads(2) shared(b)
    {
      int inner_n = omp_get_num_threads();
      if (mal == 1 && n > 1 && inner_n != 1)
        b++;
#pragma omp critical
      {
        if (omp_get_level() != 2 || omp_get_ancestor_thread_num(1) != t ||
            omp_get_team_size(1) != n || omp_get_ancestor_thread_num(2) != omp_get_thread_num() ||
            omp_get_team_size(2) != inner_n || omp_get_ancestor_thread_num(3) != -1)
          b++;
      }
    }
#pragma omp atomic
    bad += b;
  }
  CHECK(bad == 0, "%d wrong answers from the level/ancestor/team-size queries in a team of %d", bad,
        outer);

  if (failures) {
    fprintf(stderr, "omp_api: %d check(s) failed\n", failures);
    return 1;
  }
  printf("omp_api: wtime (tick %g), %d procs, max threads %d, thread limit %d, set_num_threads, "
         "levels and ancestors in a team of %d (max-active-levels %d): ok\n", tick, procs, maxt,
         omp_get_thread_limit(), outer, mal);
  return 0;
}
