/* forkjoin_regions: parallel regions back to back (issue 15): the join waits for every thread,
 * no thread of a region is still running when the next one starts, and every region gets the
 * team size it asked for, however the runtime keeps its threads between regions.
 * 1. Thousands of regions in a tight loop, cycling through num_threads(4), (1), (3), (2), the
 *    default team, (5), if(0), an if() whose expression is false at run time, (7), a team size
 *    set by omp_set_num_threads() just before the region, and num_threads(default - 1). The
 *    initial thread numbers the regions; each thread checks the number when it starts and
 *    again when it ends (a thread still running region r when region r+1 has started sees the
 *    new number), omp_get_num_threads(), its thread number, omp_get_level(),
 *    omp_get_active_level() and omp_in_parallel(). After each region the initial thread checks
 *    that every thread number ran exactly once, that every thread's last write is visible and
 *    that no thread of a larger earlier team came back. Some regions end with a nowait loop
 *    (the join is still a barrier for it), some have a barrier inside, some have one thread
 *    sleep before its last write while the others leave at once.
 * 2. A region without num_threads right after one with if(false) num_threads(k) has the
 *    default team (libomp 14 gives it k threads: checked on the arayon routes only, see
 *    forkjoin.h: fj_all_checks).
 * 3. Edge cases: omp_set_num_threads(0), (-3) and (INT_MIN) must not crash (libomp and libgomp
 *    both clamp to 1; keeping the previous value is accepted too), and a region afterwards has
 *    omp_get_max_threads() threads; omp_set_num_threads(default + 3) gives a team of that size;
 *    empty regions; regions of one thread (num_threads(1)) with a barrier, a single, a loop and
 *    a reduction in them. */
#define FJ_NAME "forkjoin_regions"
#include "forkjoin.h"
#include <limits.h>

static int current = -1;          /* the region number, written by the initial thread */
static int seen[FJ_MAXT];         /* per thread number, how many threads had it */
static int last[FJ_MAXT];         /* per thread number, the region it last ran */
static int done;                  /* threads that finished the region */
static int inner_bad;             /* threads that saw a wrong value inside a region */
#define NWL 97
static int tail[NWL];             /* written by a nowait loop at the end of some regions */

enum kind { K_NUM, K_DEFAULT, K_IF0, K_IFEXPR, K_API };
struct shape {
  enum kind kind;
  int k;
};

static void body(int r, int expect)
{
  int t = omp_get_thread_num(), n = omp_get_num_threads();
  int c0 = current;
  int bad = 0;
  if (n != expect) {
    CHECK(n == expect, "region %d: thread %d sees a team of %d, expected %d", r, t, n, expect);
    bad = 1;
  }
  if (t < 0 || t >= n || t >= FJ_MAXT) {
    CHECK(0, "region %d: thread number %d in a team of %d", r, t, n);
    return;
  }
  if (c0 != r) {
    CHECK(c0 == r, "region %d: thread %d started while the current region number was %d", r, t,
          c0);
    bad = 1;
  }
  if (omp_get_level() != 1 || omp_get_active_level() != (n > 1) || omp_in_parallel() != (n > 1)) {
    CHECK(0, "region %d: thread %d of %d: level %d, active level %d, in_parallel %d", r, t, n,
          omp_get_level(), omp_get_active_level(), omp_in_parallel());
    bad = 1;
  }
#pragma omp atomic
  seen[t]++;
  fj_jitter((unsigned)r, (unsigned)t);
  if (r % 5 == 0) {
    /* a barrier inside: everyone has counted itself */
#pragma omp barrier
    int s = 0;
    for (int u = 0; u < n; u++) {
      int v;
#pragma omp atomic read
      v = seen[u];
      s += v;
    }
    if (s != n) {
      CHECK(s == n, "region %d: thread %d of %d after a barrier: %d threads had counted "
            "themselves", r, t, n, s);
      bad = 1;
    }
  }
  if (r % 32 == 3 && t == n - 1) {
    /* the last thread is late; the others leave the region at once */
    struct timespec ts = {0, 150000};
    nanosleep(&ts, NULL);
  }
  if (r % 3 == 1) {
#pragma omp for schedule(dynamic, 4) nowait
    for (int i = 0; i < NWL; i++)
      tail[i] = r;
  }
  int c1 = current;
  if (c1 != r) {
    CHECK(c1 == r, "thread %d of %d was still in region %d when region %d started", t, n, r, c1);
    bad = 1;
  }
  last[t] = r;
  if (bad) {
#pragma omp atomic
    inner_bad++;
  }
#pragma omp atomic
  done++;
}

/* Checks what region r left behind and resets it for the next; returns 1 if something was
 * wrong. */
static int after(int r, int expect, int maxteam)
{
  int bad = 0;
  if (done != expect) {
    CHECK(done == expect, "region %d: %d threads finished before the join returned, the team "
          "had %d", r, done, expect);
    bad = 1;
  }
  for (int u = 0; u < maxteam && u < FJ_MAXT; u++) {
    int want = u < expect ? 1 : 0;
    if (seen[u] != want) {
      CHECK(seen[u] == want, "region %d (team of %d): thread number %d ran %d times", r, expect,
            u, seen[u]);
      bad = 1;
    }
    if (u < expect && last[u] != r) {
      CHECK(last[u] == r, "region %d: thread %d's last write is missing after the join (it "
            "says %d)", r, u, last[u]);
      bad = 1;
    }
    seen[u] = 0;
  }
  if (r % 3 == 1) {
    for (int i = 0; i < NWL; i++)
      if (tail[i] != r) {
        CHECK(tail[i] == r, "region %d: element %d of the nowait loop at the region's end is "
              "%d after the join", r, i, tail[i]);
        bad = 1;
        break;
      }
  }
  done = 0;
  return bad;
}

static int many_regions(int regions)
{
  const int def = fj_threads;
  const struct shape cycle[] = {
      {K_NUM, 4}, {K_NUM, 1}, {K_NUM, 3}, {K_NUM, 2}, {K_DEFAULT, 0}, {K_NUM, 5}, {K_IF0, 0},
      {K_NUM, 2}, {K_IFEXPR, 0}, {K_NUM, 7}, {K_API, 3}, {K_NUM, def > 1 ? def - 1 : 2},
      {K_DEFAULT, 0}, {K_API, 6}, {K_NUM, 1},
  };
  const int ncycle = (int)(sizeof cycle / sizeof cycle[0]);
  /* whole cycles: every if() region is followed by one with a num_threads clause (see
     if_then_default for why) */
  regions = (regions + ncycle - 1) / ncycle * ncycle;
  int maxteam = def > 7 ? def : 7;
  volatile int falsy = 0;
  int bad_regions = 0;
  for (int r = 0; r < regions && bad_regions < 5; r++) {
    struct shape s = cycle[r % ncycle];
    int expect = 1;
    current = r;
    switch (s.kind) {
    case K_NUM:
      expect = s.k;
#pragma omp parallel num_threads(s.k)
      body(r, expect);
      break;
    case K_DEFAULT:
      expect = def;
#pragma omp parallel
      body(r, expect);
      break;
    case K_IF0:
#pragma omp parallel if(0) num_threads(4)
      body(r, expect);
      break;
    case K_IFEXPR:
#pragma omp parallel if(falsy) num_threads(3)
      body(r, expect);
      break;
    case K_API:
      expect = s.k;
      omp_set_num_threads(s.k);
#pragma omp parallel
      body(r, expect);
      omp_set_num_threads(def);
      break;
    }
    bad_regions += after(r, expect, maxteam);
  }
  CHECK(inner_bad == 0, "%d threads saw something wrong inside the regions", inner_bad);
  return regions;
}

/* A num_threads clause applies to its own region only, even when the region's if clause made
 * it a team of one. libomp 14 gets this wrong: it keeps the pushed num_threads of a region
 * serialized by if(0) and applies it to the thread's next region (so the cycle above never
 * puts a region without num_threads after an if() region); checked where fj_all_checks says. */
static void if_then_default(int reps)
{
  for (int r = 0; r < reps; r++) {
    int n0 = -1, n1 = -1;
    volatile int falsy = 0;
    if (r % 2) {
#pragma omp parallel if(0) num_threads(3)
      n0 = omp_get_num_threads();
    } else {
#pragma omp parallel if(falsy) num_threads(5)
      n0 = omp_get_num_threads();
    }
#pragma omp parallel shared(n1)
#pragma omp master
    n1 = omp_get_num_threads();
    if (n0 != 1 || n1 != fj_threads) {
      CHECK(0, "rep %d: a region with if(false) num_threads(%d) had %d threads, the default "
            "region after it %d (expected 1 and %d)", r, r % 2 ? 3 : 5, n0, n1, fj_threads);
      break;
    }
  }
}

/* Through a pointer the compiler cannot see through: clang's OpenMP optimizer (ICV tracking)
 * otherwise folds omp_get_max_threads() after omp_set_num_threads(x) into x, without asking the
 * runtime (at -O1, omp_set_num_threads(0) would then "return" 0 on every runtime). */
static int (*volatile get_max_threads)(void) = omp_get_max_threads;

static void set_num_threads_edges(void)
{
  const int def = fj_threads;
  const int odd[] = {0, -3, INT_MIN};
  for (int i = 0; i < 3; i++) {
    omp_set_num_threads(def);
    omp_set_num_threads(odd[i]);
    int m = get_max_threads();
    CHECK(m == 1 || m == def, "omp_set_num_threads(%d): omp_get_max_threads() = %d, expected 1 "
          "(clamped) or %d (ignored)", odd[i], m, def);
    int team = -1, count = 0;
#pragma omp parallel shared(team, count)
    {
#pragma omp single
      team = omp_get_num_threads();
#pragma omp atomic
      count++;
    }
    CHECK(team == m && count == m, "after omp_set_num_threads(%d): a region of %d threads (%d "
          "ran), omp_get_max_threads() is %d", odd[i], team, count, m);
  }
  omp_set_num_threads(def + 3);
  int team = -1, count = 0;
#pragma omp parallel shared(team, count)
  {
#pragma omp single
    team = omp_get_num_threads();
#pragma omp atomic
    count++;
  }
  CHECK(team == def + 3 && count == def + 3, "omp_set_num_threads(%d): team of %d, %d ran",
        def + 3, team, count);
  omp_set_num_threads(def);
  CHECK(get_max_threads() == def, "omp_get_max_threads() = %d after resetting it to %d",
        get_max_threads(), def);
}

static void empty_and_single_thread(int reps)
{
  for (int r = 0; r < reps; r++) {
#pragma omp parallel
    {
    }
#pragma omp parallel num_threads(1)
    {
    }
  }
  long sum = 0, psum = 0;
  int n1 = -1, lvl = -1, act = -1, singles = 0, loop_count = 0;
  int bar = 0;
#pragma omp parallel num_threads(1) reduction(+: psum) shared(n1, lvl, act, singles, loop_count, bar, sum)
  {
    psum += 7;
    n1 = omp_get_num_threads();
    lvl = omp_get_level();
    act = omp_get_active_level();
    for (int k = 0; k < 100; k++) {
      bar++;
#pragma omp barrier
#pragma omp single
      singles++;
#pragma omp for reduction(+: sum)
      for (int i = 0; i < 50; i++) {
        sum += i;
        loop_count++;
      }
    }
  }
  CHECK(n1 == 1 && lvl == 1 && act == 0, "num_threads(1): team of %d, level %d, active level %d",
        n1, lvl, act);
  CHECK(bar == 100 && singles == 100 && loop_count == 5000 && sum == 100L * 1225 && psum == 7,
        "a region of one thread: %d barriers, %d singles, %d iterations, sums %ld and %ld "
        "(expected 100, 100, 5000, %ld, 7)", bar, singles, loop_count, sum, psum, 100L * 1225);
}

int main(void)
{
  fj_start();
  fj_part = "1. regions back to back";
  int regions = many_regions((int)fj_count(4000, 150, 1500));
  fj_part = "2. if(false) num_threads, then a default region";
  if (fj_all_checks)
    if_then_default(50);
  fj_part = "3. omp_set_num_threads edge cases";
  set_num_threads_edges();
  fj_part = "3. empty and one-thread regions";
  empty_and_single_thread((int)fj_count(2000, 20, 500));
  char summary[200];
  snprintf(summary, sizeof summary, "%d regions of varying shape back to back, %s"
           "omp_set_num_threads edge cases, empty and one-thread regions", regions,
           fj_all_checks ? "if(false) num_threads regions, " : "");
  return fj_finish(summary);
}
