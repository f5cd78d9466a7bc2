/* parallel_basic: parallel regions and the team constructs.
 * - num_threads(k) for k = 1..5: thread numbers distinct and in [0, n), omp_get_num_threads()
 *   the same for all, omp_in_parallel/omp_get_level/omp_get_active_level as the spec says;
 *   n == k unless COMPAT_ALLOW_SMALLER_TEAMS is set in the environment (then 1 <= n <= k);
 * - default team size = omp_get_max_threads(); if(0), if(1) and if(expr);
 * - 18 shared variables of many types plus firstprivate double/float/char/long long/struct in one
 *   region (many fork_call arguments), writes to shared variables visible after the region;
 * - nested parallel: serialized when max-active-levels is 1 (team of 1, level 2);
 * - 2000 consecutive regions with team sizes cycling 1..4 (team reuse and resizing);
 * - barrier phases (every thread checks that all arrived), orphaned barrier and single;
 * - single (exactly once per encounter, also nowait, its write seen by all after its barrier),
 *   master, masked, masked filter(1);
 * - critical and named critical: plain (non-atomic) increments must add up exactly. */
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
    fprintf(stderr, "parallel_basic.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
#define MAXT 64

static int allow_smaller;

static void spin(int n)
{
  for (volatile int s = 0; s < n; s++)
    ;
}

static void check_team_size(int n, int requested, const char *where)
{
  if (allow_smaller)
    CHECK(n >= 1 && n <= requested, "%s: team of %d, requested %d", where, n, requested);
  else
    CHECK(n == requested, "%s: team of %d, requested %d", where, n, requested);
}

/* Runs one region with num_threads(k) and checks its shape; returns the team size. */
static int team_shape(int k)
{
  int seen[MAXT] = {0};
  int size = -1, bad = 0;
#pragma omp parallel num_threads(k) shared(seen, size, bad)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
#pragma omp single
    size = n;
    /* after the single's barrier everyone sees size */
    int b = 0;
    if (n != size || t < 0 || t >= n || t >= MAXT)
      b = 1;
    else {
#pragma omp atomic
      seen[t]++;
    }
    if (omp_in_parallel() != (n > 1) || omp_get_level() != 1 || omp_get_active_level() != (n > 1))
      b = 1;
    if (b) {
#pragma omp atomic
      bad++;
    }
  }
  check_team_size(size, k, "num_threads");
  CHECK(bad == 0, "num_threads(%d): %d threads saw a wrong thread number, team size or level", k, bad);
  for (int t = 0; t < size && t < MAXT; t++)
    CHECK(seen[t] == 1, "num_threads(%d): thread number %d seen %d times", k, t, seen[t]);
  return size;
}

static void if_clause(void)
{
  int n0 = -1, n1 = -1, ne = -1, lvl0 = -1, act0 = -1, inpar0 = -1, tid0 = -1;
#pragma omp parallel if(0) num_threads(4)
  {
    n0 = omp_get_num_threads();
    tid0 = omp_get_thread_num();
    lvl0 = omp_get_level();
    act0 = omp_get_active_level();
    inpar0 = omp_in_parallel();
  }
  CHECK(n0 == 1 && tid0 == 0, "if(0): team of %d, thread %d", n0, tid0);
  CHECK(lvl0 == 1 && act0 == 0 && inpar0 == 0,
        "if(0): level %d (expected 1), active level %d (0), in_parallel %d (0)", lvl0, act0, inpar0);

#pragma omp parallel if(1) num_threads(2)
#pragma omp master
  n1 = omp_get_num_threads();
  check_team_size(n1, 2, "if(1) num_threads(2)");

  volatile int big = 1000;
#pragma omp parallel if(big < 10) num_threads(3)
#pragma omp master
  ne = omp_get_num_threads();
  CHECK(ne == 1, "if(false expression): team of %d", ne);
}

struct pt {
  int x, y;
  double w;
};

static void many_arguments(void)
{
  char c = 'a';
  signed char sc = -5;
  short s = -300;
  unsigned short us = 60000;
  int i = -123456;
  unsigned u = 4000000000u;
  long l = -9000000000L;
  unsigned long long ull = 18000000000000000000ULL;
  float f = 1.5f;
  double d = -2.25;
  long double ld = 3.0L;
  void *p = &d;
  struct pt st = {3, 4, 0.5};
  int arr[5] = {1, 2, 3, 4, 5};
  _Bool flag = 1;
  /* outputs */
  long hits = 0, bad = 0;
  int writer = -1;

  double fd = 6.75;
  float ff = -0.125f;
  char fc = 'z';
  long long fll = -(1LL << 40);
  struct pt fst = {7, 8, 9.5};

#pragma omp parallel shared(c, sc, s, us, i, u, l, ull, f, d, ld, p, st, arr, flag, hits, bad,   \
                            writer) firstprivate(fd, ff, fc, fll, fst)
  {
    int ok = c == 'a' && sc == -5 && s == -300 && us == 60000 && i == -123456 && u == 4000000000u &&
             l == -9000000000L && ull == 18000000000000000000ULL && f == 1.5f && d == -2.25 &&
             ld == 3.0L && p == (void *)&d && st.x == 3 && st.y == 4 && st.w == 0.5 &&
             arr[0] + arr[4] == 6 && flag;
    ok = ok && fd == 6.75 && ff == -0.125f && fc == 'z' && fll == -(1LL << 40) && fst.x == 7 &&
         fst.y == 8 && fst.w == 9.5;
    /* firstprivate copies are private: change ours, then check nobody else's changed */
    fd += omp_get_thread_num();
    fst.x = omp_get_thread_num();
#pragma omp barrier
    ok = ok && fd == 6.75 + omp_get_thread_num() && fst.x == omp_get_thread_num();
#pragma omp atomic
    hits++;
    if (!ok) {
#pragma omp atomic
      bad++;
    }
#pragma omp barrier
#pragma omp master
    {
      writer = omp_get_thread_num();
      i = 42;
      st.w = -1.0;
      arr[2] = 99;
    }
  }
  CHECK(bad == 0, "%ld of %ld threads saw wrong shared or firstprivate values", bad, hits);
  CHECK(hits >= 1, "region with many arguments ran on %ld threads", hits);
  CHECK(writer == 0 && i == 42 && st.w == -1.0 && arr[2] == 99,
        "writes to shared variables inside the region are not visible after it");
  CHECK(fd == 6.75 && fst.x == 7, "firstprivate copies leaked back to the originals");
}

static void nested(void)
{
  int bad = 0, outer_n = 0;
  int mal = omp_get_max_active_levels();
#pragma omp parallel shared(bad, outer_n)
  {
    int on = omp_get_num_threads();
#pragma omp single
    outer_n = on;
#pragma omp parallel num_threads(2) shared(bad)
    {
      int b = 0;
      if (omp_get_level() != 2)
        b = 1;
      if (omp_get_active_level() != (on > 1) + (omp_get_num_threads() > 1))
        b = 1;
      if (mal == 1 && on > 1 && (omp_get_num_threads() != 1 || omp_get_thread_num() != 0))
        b = 1;
      if (omp_in_parallel() != (on > 1 || omp_get_num_threads() > 1))
        b = 1;
      if (b) {
#pragma omp atomic
        bad++;
      }
    }
  }
  CHECK(bad == 0, "nested regions (outer team %d, max-active-levels %d): %d inner threads saw a "
        "wrong level, team size or thread number", outer_n, mal, bad);
}

static long consecutive(int regions)
{
  long members = 0, expect = 0;
  int bad = 0;
  for (int r = 0; r < regions; r++) {
    int k = 1 + r % 4;
    int size = 0;
#pragma omp parallel num_threads(k) shared(members, size)
    {
#pragma omp atomic
      members++;
      if (omp_get_thread_num() == 0)
        size = omp_get_num_threads();
    }
    expect += size;
    if (allow_smaller ? size < 1 || size > k : size != k)
      bad++;
  }
  CHECK(bad == 0, "%d of %d consecutive regions had a wrong team size", bad, regions);
  CHECK(members == expect, "consecutive regions: %ld members ran, the teams had %ld", members,
        expect);
  /* Plain default-size regions back to back. */
  long count = 0;
  for (int r = 0; r < regions; r++) {
#pragma omp parallel shared(count)
    {
#pragma omp atomic
      count++;
    }
  }
  return count;
}

/* Orphaned constructs: bind to whatever region calls this. */
static void orphan_barrier(int *arrive, int phase, int n)
{
#pragma omp atomic
  arrive[phase]++;
#pragma omp barrier
  int a;
#pragma omp atomic read
  a = arrive[phase];
  CHECK(a == n, "orphaned barrier phase %d: %d of %d threads had arrived", phase, a, n);
}

static int orphan_single(int *count)
{
  int did = 0;
#pragma omp single
  {
    (*count)++;
    did = 1;
  }
  return did;
}

#define PHASES 50
#define SINGLES 300

static void team_constructs(void)
{
  int arrive[PHASES] = {0}, oarrive[PHASES] = {0};
  int single_count[SINGLES] = {0}, nowait_count[SINGLES] = {0}, single_value[SINGLES];
  int master_count = 0, masked_count = 0, masked1_count = 0, orphan_count = 0, orphan_did = 0;
  int master_bad = 0, masked1_bad = 0, value_bad = 0, n = 0;
  int crit = 0, crit_a = 0, crit_b = 0;
  const int per_thread = 2000;

  for (int e = 0; e < SINGLES; e++)
    single_value[e] = -1;

#pragma omp parallel shared(arrive, oarrive, single_count, nowait_count, single_value, n)
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
#pragma omp single
    n = nt;

    for (int ph = 0; ph < PHASES; ph++) {
      if ((ph + t) % 7 == 0)
        spin(2000); /* some threads arrive late */
#pragma omp atomic
      arrive[ph]++;
#pragma omp barrier
      int a;
#pragma omp atomic read
      a = arrive[ph];
      CHECK(a == nt, "barrier phase %d: thread %d saw %d of %d arrivals", ph, t, a, nt);
    }
    for (int ph = 0; ph < 10; ph++)
      orphan_barrier(oarrive, ph, nt);

    for (int e = 0; e < SINGLES; e++) {
#pragma omp single
      {
        single_count[e]++;
        single_value[e] = e * 3;
      }
      if (single_value[e] != e * 3) {
#pragma omp atomic
        value_bad++;
      }
#pragma omp single nowait
      nowait_count[e]++;
    }
    int did = orphan_single(&orphan_count);
#pragma omp atomic
    orphan_did += did;

    for (int e = 0; e < 100; e++) {
#pragma omp master
      {
        master_count++;
        if (omp_get_thread_num() != 0)
          master_bad++;
      }
#pragma omp masked
      masked_count++;
#pragma omp masked filter(1)
      {
        masked1_count++;
        if (omp_get_thread_num() != 1)
          masked1_bad++;
      }
    }

    for (int k = 0; k < per_thread; k++) {
#pragma omp critical
      {
        int v = crit;
        spin(5);
        crit = v + 1;
      }
#pragma omp critical(alpha)
      {
        int v = crit_a;
        spin(5);
        crit_a = v + 1;
#pragma omp critical(beta)
        crit_b++;
      }
#pragma omp critical(beta)
      {
        int v = crit_b;
        spin(5);
        crit_b = v + 1;
      }
    }
  }
  for (int e = 0; e < SINGLES; e++) {
    CHECK(single_count[e] == 1, "single #%d ran %d times", e, single_count[e]);
    CHECK(nowait_count[e] == 1, "single nowait #%d ran %d times", e, nowait_count[e]);
  }
  CHECK(value_bad == 0, "%d threads did not see a single's write after its barrier", value_bad);
  CHECK(orphan_count == 1 && orphan_did == 1, "orphaned single ran %d times (%d threads say they "
        "ran it)", orphan_count, orphan_did);
  CHECK(master_count == 100 && master_bad == 0, "master ran %d times (expected 100), %d times on a "
        "thread other than 0", master_count, master_bad);
  CHECK(masked_count == 100, "masked ran %d times, expected 100", masked_count);
  CHECK(masked1_count == (n > 1 ? 100 : 0) && masked1_bad == 0,
        "masked filter(1) ran %d times with a team of %d (%d times on another thread)",
        masked1_count, n, masked1_bad);
  CHECK(crit == n * per_thread, "critical: counter %d, expected %d", crit, n * per_thread);
  CHECK(crit_a == n * per_thread, "critical(alpha): counter %d, expected %d", crit_a,
        n * per_thread);
  CHECK(crit_b == 2 * n * per_thread, "critical(beta): counter %d, expected %d", crit_b,
        2 * n * per_thread);
}

int main(void)
{
  allow_smaller = getenv("COMPAT_ALLOW_SMALLER_TEAMS") != NULL;

  CHECK(omp_in_parallel() == 0 && omp_get_level() == 0 && omp_get_active_level() == 0 &&
        omp_get_thread_num() == 0 && omp_get_num_threads() == 1,
        "outside any region: in_parallel %d, level %d, active level %d, thread %d of %d",
        omp_in_parallel(), omp_get_level(), omp_get_active_level(), omp_get_thread_num(),
        omp_get_num_threads());

  int sizes[6];
  for (int k = 1; k <= 5; k++)
    sizes[k] = team_shape(k);

  int def = 0, maxt = omp_get_max_threads();
#pragma omp parallel
#pragma omp single
  def = omp_get_num_threads();
  check_team_size(def, maxt, "default region vs omp_get_max_threads()");

  if_clause();
  many_arguments();
  nested();
  long count = consecutive(2000);
  team_constructs();

  if (failures) {
    fprintf(stderr, "parallel_basic: %d check(s) failed\n", failures);
    return 1;
  }
  printf("parallel_basic: teams %d/%d/%d/%d/%d for num_threads(1..5), default %d, if clauses, 18 "
         "shared + 5 firstprivate args, nested, 2x2000 regions (%ld members in the default ones), "
         "barriers, single, master, masked, critical: ok\n",
         sizes[1], sizes[2], sizes[3], sizes[4], sizes[5], def, count);
  return 0;
}
