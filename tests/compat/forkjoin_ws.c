/* forkjoin_ws: the team constructs, many times over in each region and over many regions
 * (issue 15), with threads perturbed at random points (forkjoin.h):
 * - single: exactly once per encounter, its write seen by every thread after its barrier;
 *   single nowait: exactly once per encounter;
 * - single copyprivate of an int, a double, a long long and a struct: every thread's private
 *   copies hold the broadcast values of that round;
 * - master and masked filter(n - 1): exactly once per encounter, on the right thread;
 * - critical (unnamed and two named ones, one nested in the other): plain read-modify-writes
 *   add up exactly;
 * - atomic update, capture (the captured values of a shared counter are all different) and
 *   read/write;
 * - ordered loops (static, static with a chunk, dynamic, guided, runtime): the ordered blocks
 *   append their iteration to a log with plain writes; the log is in iteration order;
 * - sections (with and without nowait): each section exactly once per construct;
 * - loops of every schedule (static, static chunked, dynamic, guided, runtime with
 *   omp_set_schedule changing between regions, auto), with and without nowait, with 0, 1,
 *   fewer-than-threads and many iterations: every iteration exactly once;
 * - private, firstprivate and lastprivate (for of a monotonic and of a nonmonotonic dynamic
 *   schedule, and sections; libomp 14 gets the nonmonotonic one wrong, so that one is checked on
 *   the arayon routes only: forkjoin.h, fj_all_checks);
 * - threadprivate with copyin: copyin gives every thread the initial thread's value; the values
 *   persist between regions of the same team size. */
#define FJ_NAME "forkjoin_ws"
#include "forkjoin.h"

struct rec {
  int a;
  double b;
  char tag[12];
  long long c;
};

/* ---- single, copyprivate, master, masked -------------------------------------------------- */

static void singles(int rounds)
{
  int *once = calloc((size_t)rounds, sizeof *once);
  int *once_nw = calloc((size_t)rounds, sizeof *once_nw);
  int *mast = calloc((size_t)rounds, sizeof *mast);
  int *mask = calloc((size_t)rounds, sizeof *mask);
  if (!once || !once_nw || !mast || !mask) {
    fprintf(stderr, "forkjoin_ws: out of memory\n");
    exit(2);
  }
  int value = -1, bad_value = 0, bad_copy = 0, bad_master = 0, team = 0;
#pragma omp parallel shared(value, bad_value, bad_copy, bad_master, team)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
#pragma omp single
    team = n;
    for (int r = 0; r < rounds; r++) {
      fj_jitter((unsigned)r, (unsigned)t);
#pragma omp single
      {
        once[r]++;
        value = r * 3 + 1;
      }
      /* the single's barrier: its write is visible */
      if (value != r * 3 + 1) {
#pragma omp atomic
        bad_value++;
      }
#pragma omp single nowait
      once_nw[r]++;

      int ci = -1;
      double cd = -1;
      long long cl = -1;
      struct rec cr = {0, 0, "", 0};
#pragma omp single copyprivate(ci, cd, cl, cr)
      {
        ci = r;
        cd = r + 0.25;
        cl = (long long)r << 33;
        cr.a = -r;
        cr.b = r * 0.5;
        snprintf(cr.tag, sizeof cr.tag, "r%d", r % 100000);
        cr.c = -((long long)r << 20);
        fj_jitter((unsigned)r, 99);
      }
      char want[12];
      snprintf(want, sizeof want, "r%d", r % 100000);
      if (ci != r || cd != r + 0.25 || cl != (long long)r << 33 || cr.a != -r ||
          cr.b != r * 0.5 || strcmp(cr.tag, want) != 0 || cr.c != -((long long)r << 20)) {
        CHECK(0, "round %d: thread %d of %d got copyprivate values %d %g %lld {%d %g %s %lld}", r,
              t, n, ci, cd, cl, cr.a, cr.b, cr.tag, cr.c);
#pragma omp atomic
        bad_copy++;
      }
#pragma omp master
      {
        mast[r]++;
        if (t != 0) {
#pragma omp atomic
          bad_master++;
        }
      }
#pragma omp masked filter(n - 1)
      {
        mask[r]++;
        if (t != n - 1) {
#pragma omp atomic
          bad_master++;
        }
      }
    }
  }
  int bad_once = 0, bad_nw = 0, bad_m = 0;
  for (int r = 0; r < rounds; r++) {
    if (once[r] != 1 && bad_once++ < 3)
      CHECK(once[r] == 1, "single #%d ran %d times", r, once[r]);
    if (once_nw[r] != 1 && bad_nw++ < 3)
      CHECK(once_nw[r] == 1, "single nowait #%d ran %d times", r, once_nw[r]);
    if ((mast[r] != 1 || mask[r] != 1) && bad_m++ < 3)
      CHECK(0, "encounter %d: master ran %d times, masked filter(n-1) %d times (team of %d)", r,
            mast[r], mask[r], team);
  }
  CHECK(bad_value == 0, "%d times a thread passed a single's barrier without its write",
        bad_value);
  CHECK(bad_copy == 0, "%d wrong copyprivate broadcasts", bad_copy);
  CHECK(bad_master == 0, "master or masked ran %d times on the wrong thread", bad_master);
  free(once);
  free(once_nw);
  free(mast);
  free(mask);
}

/* ---- critical and atomic ------------------------------------------------------------------ */

static void criticals_atomics(int per)
{
  long c0 = 0, ca = 0, cb = 0;
  long at = 0;
  double ad = 0;
  int team = 0, bad_capture = 0;
  long total_captures = 0;
  unsigned char *captured = NULL;
#pragma omp parallel shared(c0, ca, cb, at, ad, team, captured, bad_capture, total_captures)
  {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
#pragma omp single
    {
      team = n;
      total_captures = (long)n * per;
      captured = calloc((size_t)total_captures, 1);
      if (!captured) {
        fprintf(stderr, "forkjoin_ws: out of memory\n");
        exit(2);
      }
    }
    for (int k = 0; k < per; k++) {
      if (k % 16 == 0)
        fj_jitter((unsigned)k, (unsigned)t);
#pragma omp critical
      {
        long v = c0;
        fj_spin(20);
        c0 = v + 1;
      }
#pragma omp critical(fj_alpha)
      {
        long v = ca;
        ca = v + 2;
#pragma omp critical(fj_beta)
        cb += 1;
      }
#pragma omp critical(fj_beta)
      {
        long v = cb;
        cb = v + 3;
      }
      long before;
#pragma omp atomic capture
      before = at++;
      if (before < 0 || before >= total_captures) {
#pragma omp atomic
        bad_capture++;
      } else {
        unsigned char old;
#pragma omp atomic capture
        {
          old = captured[before];
          captured[before] = 1;
        }
        if (old) {
#pragma omp atomic
          bad_capture++;
        }
      }
#pragma omp atomic update
      ad += 0.5;
    }
  }
  long n = team;
  CHECK(c0 == n * per, "unnamed critical counter %ld, expected %ld", c0, n * per);
  CHECK(ca == 2 * n * per, "critical(fj_alpha) counter %ld, expected %ld", ca, 2 * n * per);
  CHECK(cb == 4 * n * per, "critical(fj_beta) counter %ld, expected %ld", cb, 4 * n * per);
  CHECK(at == n * per && ad == 0.5 * (double)(n * per),
        "atomic counters %ld and %g, expected %ld and %g", at, ad, n * per, 0.5 * (double)(n * per));
  CHECK(bad_capture == 0, "atomic capture: %d captured values out of range or seen twice",
        bad_capture);
  free(captured);
}

/* ---- ordered ------------------------------------------------------------------------------ */

#define ON 157
static int olog[ON], olen;

static int check_order(const char *sched, int r)
{
  if (olen != ON) {
    CHECK(olen == ON, "ordered %s, round %d: %d ordered blocks ran, expected %d", sched, r, olen,
          ON);
    return 1;
  }
  for (int i = 0; i < ON; i++)
    if (olog[i] != i) {
      CHECK(olog[i] == i, "ordered %s, round %d: position %d of the log holds iteration %d",
            sched, r, i, olog[i]);
      return 1;
    }
  return 0;
}

static void ordered_loops(int rounds)
{
  int bad = 0;
  for (int r = 0; r < rounds && !bad; r++) {
    olen = 0;
#pragma omp parallel for ordered schedule(static)
    for (int i = 0; i < ON; i++) {
      fj_jitter((unsigned)r, (unsigned)i);
#pragma omp ordered
      olog[olen++] = i;
    }
    bad |= check_order("static", r);
    olen = 0;
#pragma omp parallel for ordered schedule(static, 3)
    for (int i = 0; i < ON; i++) {
#pragma omp ordered
      olog[olen++] = i;
    }
    bad |= check_order("static,3", r);
    olen = 0;
#pragma omp parallel
    {
#pragma omp for ordered schedule(dynamic, 2)
      for (int i = 0; i < ON; i++) {
        fj_jitter((unsigned)r + 7, (unsigned)i);
#pragma omp ordered
        olog[olen++] = i;
      }
      /* after the loop's barrier, the log is complete */
      if (olen != ON) {
#pragma omp atomic
        bad++;
      }
    }
    bad |= check_order("dynamic,2", r);
    olen = 0;
#pragma omp parallel for ordered schedule(guided)
    for (int i = 0; i < ON; i++) {
#pragma omp ordered
      olog[olen++] = i;
    }
    bad |= check_order("guided", r);
    olen = 0;
    omp_set_schedule(r % 2 ? omp_sched_dynamic : omp_sched_static, r % 3 + 1);
#pragma omp parallel for ordered schedule(runtime)
    for (int i = 0; i < ON; i++) {
#pragma omp ordered
      olog[olen++] = i;
    }
    bad |= check_order("runtime", r);
  }
  CHECK(bad == 0, "ordered loops: wrong order or incomplete logs");
}

/* ---- sections ----------------------------------------------------------------------------- */

static void sections(int rounds)
{
  int (*ran)[5] = calloc((size_t)rounds, sizeof *ran);
  int (*ran_nw)[3] = calloc((size_t)rounds, sizeof *ran_nw);
  if (!ran || !ran_nw) {
    fprintf(stderr, "forkjoin_ws: out of memory\n");
    exit(2);
  }
  int last = -1, bad_seen = 0;
#pragma omp parallel shared(ran, ran_nw, last, bad_seen)
  {
    int t = omp_get_thread_num();
    for (int r = 0; r < rounds; r++) {
      fj_jitter((unsigned)r, (unsigned)t);
#pragma omp sections lastprivate(last)
      {
#pragma omp section
        {
          ran[r][0]++;
          last = 0;
        }
#pragma omp section
        {
          ran[r][1]++;
          last = 1;
        }
#pragma omp section
        {
          fj_jitter((unsigned)r, 500);
          ran[r][2]++;
          last = 2;
        }
#pragma omp section
        {
          ran[r][3]++;
          last = 3;
        }
#pragma omp section
        {
          ran[r][4]++;
          last = 4 + r;
        }
      }
      /* the barrier of the construct: all five ran and lastprivate is the last section's */
      int s = ran[r][0] + ran[r][1] + ran[r][2] + ran[r][3] + ran[r][4];
      if (s != 5 || last != 4 + r) {
#pragma omp atomic
        bad_seen++;
      }
#pragma omp sections nowait
      {
#pragma omp section
        ran_nw[r][0]++;
#pragma omp section
        ran_nw[r][1]++;
#pragma omp section
        ran_nw[r][2]++;
      }
      /* nobody may overwrite `last` before everyone has read it */
#pragma omp barrier
    }
  }
  int bad = 0;
  for (int r = 0; r < rounds; r++)
    for (int k = 0; k < 5; k++)
      if ((ran[r][k] != 1 || (k < 3 && ran_nw[r][k] != 1)) && bad++ < 3)
        CHECK(0, "sections round %d: section %d ran %d times (nowait construct: %d)", r, k,
              ran[r][k], k < 3 ? ran_nw[r][k] : 1);
  CHECK(bad_seen == 0, "%d times a thread passed a sections' barrier before every section had "
        "run, or saw a wrong lastprivate", bad_seen);
  free(ran);
  free(ran_nw);
}

/* ---- loops of every schedule -------------------------------------------------------------- */

#define LMAX 1000
static int lcount[8][LMAX];

static int check_counts(const int *c, int len, const char *sched, int r)
{
  for (int i = 0; i < LMAX; i++) {
    int want = i < len ? 1 : 0;
    if (c[i] != want) {
      CHECK(c[i] == want, "loop %s, round %d, %d iterations: iteration %d ran %d times", sched, r,
            len, i, c[i]);
      return 1;
    }
  }
  return 0;
}

static void loops(int rounds)
{
  static const char *names[8] = {"static", "static,7", "dynamic", "dynamic,5", "guided",
                                 "guided,4", "runtime", "auto"};
  int bad = 0;
  for (int r = 0; r < rounds && !bad; r++) {
    /* 0, 1, fewer than the threads, and many iterations */
    int lens[] = {0, 1, fj_threads > 1 ? fj_threads - 1 : 1, 37 + r % 50, LMAX - r % 3};
    int len = lens[r % 5];
    memset(lcount, 0, sizeof lcount);
    static const omp_sched_t kinds[] = {omp_sched_static, omp_sched_dynamic, omp_sched_guided,
                                        omp_sched_auto};
    omp_set_schedule(kinds[r % 4], r % 3);
    int nowait = r % 2;
#pragma omp parallel
    {
      int t = omp_get_thread_num();
      fj_jitter((unsigned)r, (unsigned)t);
      if (nowait) {
#pragma omp for schedule(static) nowait
        for (int i = 0; i < len; i++)
          lcount[0][i]++;
#pragma omp for schedule(static, 7) nowait
        for (int i = 0; i < len; i++)
          lcount[1][i]++;
#pragma omp for schedule(dynamic) nowait
        for (int i = 0; i < len; i++)
          lcount[2][i]++;
#pragma omp for schedule(dynamic, 5) nowait
        for (int i = 0; i < len; i++)
          lcount[3][i]++;
#pragma omp for schedule(guided) nowait
        for (int i = 0; i < len; i++)
          lcount[4][i]++;
#pragma omp for schedule(guided, 4) nowait
        for (int i = 0; i < len; i++)
          lcount[5][i]++;
#pragma omp for schedule(runtime) nowait
        for (int i = 0; i < len; i++)
          lcount[6][i]++;
#pragma omp for schedule(auto) nowait
        for (int i = 0; i < len; i++)
          lcount[7][i]++;
      } else {
#pragma omp for schedule(static)
        for (int i = 0; i < len; i++)
          lcount[0][i]++;
#pragma omp for schedule(static, 7)
        for (int i = 0; i < len; i++)
          lcount[1][i]++;
#pragma omp for schedule(dynamic)
        for (int i = 0; i < len; i++)
          lcount[2][i]++;
#pragma omp for schedule(dynamic, 5)
        for (int i = 0; i < len; i++)
          lcount[3][i]++;
#pragma omp for schedule(guided)
        for (int i = 0; i < len; i++)
          lcount[4][i]++;
#pragma omp for schedule(guided, 4)
        for (int i = 0; i < len; i++)
          lcount[5][i]++;
#pragma omp for schedule(runtime)
        for (int i = 0; i < len; i++)
          lcount[6][i]++;
#pragma omp for schedule(auto)
        for (int i = 0; i < len; i++)
          lcount[7][i]++;
      }
    }
    for (int s = 0; s < 8; s++)
      bad |= check_counts(lcount[s], len, names[s], r);
  }
  CHECK(bad == 0, "worksharing loops ran some iteration other than exactly once");
}

/* ---- data-sharing clauses ----------------------------------------------------------------- */

static void clauses(int rounds)
{
  int bad = 0;
  for (int r = 0; r < rounds; r++) {
    int fp = r * 5, pv = -1, lp = -1, lpn = -1, lps = -1;
    struct rec frec = {r, r * 0.5, "fp", -(long long)r};
#pragma omp parallel firstprivate(fp, frec) private(pv) shared(bad)
    {
      int t = omp_get_thread_num();
      if (fp != r * 5 || frec.a != r || frec.b != r * 0.5 || strcmp(frec.tag, "fp") != 0 ||
          frec.c != -(long long)r) {
#pragma omp atomic
        bad++;
      }
      fp += t; /* private copies: nobody else's changes */
      frec.a = t;
      pv = t * 7;
      fj_jitter((unsigned)r, (unsigned)t);
#pragma omp barrier
      if (fp != r * 5 + t || frec.a != t || pv != t * 7) {
#pragma omp atomic
        bad++;
      }
#pragma omp for lastprivate(lp) schedule(monotonic: dynamic, 3)
      for (int i = 0; i < 100 + r % 7; i++)
        lp = i * 2; /* the last iteration's value, whichever thread ran it */
      /* the same with clang's default (nonmonotonic) dynamic schedule: libomp 14 often tells
         no thread that it ran the last iteration (its static-steal dispatch), and the
         original keeps its old value; checked where fj_all_checks says */
      if (fj_all_checks) {
#pragma omp for lastprivate(lpn) schedule(dynamic, 3)
        for (int i = 0; i < 100 + r % 7; i++)
          lpn = i * 3;
      }
#pragma omp sections lastprivate(lps)
      {
#pragma omp section
        lps = 1;
#pragma omp section
        lps = 2;
#pragma omp section
        lps = 3 + r;
      }
    }
    int lpn_want = fj_all_checks ? 3 * (99 + r % 7) : -1;
    if (fp != r * 5 || frec.a != r || lp != 2 * (99 + r % 7) || lpn != lpn_want || lps != 3 + r) {
      if (bad++ < 3)
        CHECK(0, "round %d: after the region firstprivate originals %d %d (expected %d %d), "
              "lastprivate of for %d and %d (expected %d and %d), of sections %d (expected %d)",
              r, fp, frec.a, r * 5, r, lp, lpn, 2 * (99 + r % 7), lpn_want, lps, 3 + r);
    }
  }
  CHECK(bad == 0, "%d wrong private, firstprivate or lastprivate values", bad);
}

/* ---- threadprivate and copyin ------------------------------------------------------------- */

static int tp_i = 11;
static struct rec tp_r = {1, 2.0, "init", 3};
#pragma omp threadprivate(tp_i, tp_r)

static void threadprivates(int rounds)
{
  int bad = 0;
  for (int r = 0; r < rounds; r++) {
    tp_i = 1000 + r;
    tp_r.a = -r;
    snprintf(tp_r.tag, sizeof tp_r.tag, "c%d", r % 1000);
    char want[12];
    snprintf(want, sizeof want, "c%d", r % 1000);
#pragma omp parallel copyin(tp_i, tp_r) shared(bad)
    {
      int t = omp_get_thread_num();
      if (tp_i != 1000 + r || tp_r.a != -r || strcmp(tp_r.tag, want) != 0) {
#pragma omp atomic
        bad++;
      }
      tp_i = t * 10 + r; /* each thread's own copy */
    }
    /* the initial thread's copy is thread 0's */
    if (tp_i != r) {
      if (bad++ < 3)
        CHECK(tp_i == r, "round %d: the initial thread's threadprivate is %d after the region, "
              "thread 0 wrote %d", r, tp_i, r);
    }
    /* persistence: a region with the same team size sees each thread's last value */
#pragma omp parallel shared(bad)
    {
      int t = omp_get_thread_num();
      if (tp_i != t * 10 + r) {
#pragma omp atomic
        bad++;
      }
    }
  }
  CHECK(bad == 0, "%d wrong threadprivate values (copyin, or kept between regions of the same "
        "team size)", bad);
}

int main(void)
{
  fj_start();
  int rounds = (int)fj_count(2000, 40, 600);
  fj_part = "single, copyprivate, master, masked";
  singles(rounds);
  fj_part = "critical and atomic";
  criticals_atomics((int)fj_count(4000, 50, 1000));
  fj_part = "ordered loops";
  ordered_loops((int)fj_count(200, 8, 60));
  fj_part = "sections";
  sections(rounds);
  fj_part = "loops of every schedule";
  loops((int)fj_count(300, 10, 100));
  fj_part = "data-sharing clauses";
  clauses((int)fj_count(400, 10, 100));
  fj_part = "threadprivate and copyin";
  threadprivates((int)fj_count(400, 10, 100));
  char summary[200];
  snprintf(summary, sizeof summary, "single, copyprivate, master, masked, sections %d rounds; "
           "critical, atomic, ordered, loops of every schedule, data-sharing clauses, "
           "threadprivate + copyin", rounds);
  return fj_finish(summary);
}
