/* gomp_sync: synchronization and worksharing other than loops, in libgomp's ABI (built by gcc
 * only, run with OMP_CANCELLATION=true; the entry each part reaches is named in its comment):
 * - parallel sections with num_threads and lastprivate (GOMP_parallel_sections,
 *   GOMP_sections_next), sections inside a region, blocking and nowait (GOMP_sections_start,
 *   GOMP_sections_end[_nowait]): every section runs exactly once;
 * - unnamed and named critical (GOMP_critical_start/end, GOMP_critical_name_start/end):
 *   non-atomic read-modify-writes from every thread and from tasks add up;
 * - atomic update, capture, read and write on long double (GOMP_atomic_start/end; gcc 12
 *   rejects atomic on _Complex double, which the reductions below cover instead);
 * - reductions with several variables and operators at once (+ and max together, * min & | ^
 *   && ||, long double, _Complex double, an array section): gcc combines them under
 *   GOMP_atomic_start/end;
 * - single copyprivate of a scalar, a struct and an array, many times over
 *   (GOMP_single_copy_start/end);
 * - master and masked filter(1);
 * - chains of nowait constructs that threads race through (a slow thread stays many constructs
 *   behind): single, dynamic / guided / runtime / ordered loops and sections, each must still
 *   run exactly once per construct (the runtime keeps several work shares in flight);
 * - cancellation: a dynamic loop cancelled by the thread that runs its first iteration (that
 *   thread runs no later iteration), loops, sections and barriers of a cancellable region that
 *   is not cancelled (GOMP_loop_end_cancel, GOMP_sections_end_cancel, GOMP_barrier_cancel) run
 *   to completion, and the same region cancelled skips everything after its barrier;
 * - host teams (GOMP_teams_reg): every team number runs once, omp_get_num_teams and
 *   omp_get_team_num are consistent, each team forks its own parallel region, whose threads
 *   see their team's number and thread_limit; teams distribute parallel for, dist_schedule and
 *   a reduction over the teams;
 * - the error directive at execution time: severity(warning) prints its message and goes on
 *   (GOMP_warning); severity(fatal), in a forked child, prints it and ends the child with a
 *   failure status (GOMP_error). */
#define _GNU_SOURCE
#include <complex.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
    fprintf(stderr, "gomp_sync.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))

static void spin(int n)
{
  for (volatile int s = 0; s < n; s++)
    ;
}

static int team;

/* ---- sections --------------------------------------------------------------------------------- */

static void sections(void)
{
  for (int rep = 0; rep < 50; rep++) {
    int ran[5] = {0}, last = -1;
#pragma omp parallel sections num_threads(3) lastprivate(last)
    {
#pragma omp section
      {
        ran[0]++;
        last = 0;
      }
#pragma omp section
      {
        spin(rep * 10);
        ran[1]++;
        last = 1;
      }
#pragma omp section
      {
        ran[2]++;
        last = 2;
      }
#pragma omp section
      {
        ran[3]++;
        last = 3;
      }
#pragma omp section
      {
        ran[4]++;
        last = 4;
      }
    }
    CHECK(ran[0] == 1 && ran[1] == 1 && ran[2] == 1 && ran[3] == 1 && ran[4] == 1,
          "rep %d: parallel sections ran %d %d %d %d %d times", rep, ran[0], ran[1], ran[2], ran[3],
          ran[4]);
    CHECK(last == 4, "rep %d: lastprivate of parallel sections is %d, expected 4", rep, last);

    int a[3] = {0}, b[2] = {0}, seen_b = 0;
#pragma omp parallel shared(a, b, seen_b)
    {
#pragma omp sections nowait
      {
#pragma omp section
        a[0]++;
#pragma omp section
        a[1]++;
#pragma omp section
        a[2]++;
      }
#pragma omp barrier
#pragma omp sections
      {
#pragma omp section
        b[0] = a[0] + a[1] + a[2];
#pragma omp section
        b[1] = 10;
      }
      /* the blocking sections' barrier: both are visible here */
      if (b[0] + b[1] != 13) {
#pragma omp atomic
        seen_b++;
      }
    }
    CHECK(a[0] == 1 && a[1] == 1 && a[2] == 1 && b[0] == 3 && b[1] == 10,
          "rep %d: sections in a region: %d %d %d / %d %d", rep, a[0], a[1], a[2], b[0], b[1]);
    CHECK(seen_b == 0, "rep %d: %d threads passed a blocking sections before it ended", rep,
          seen_b);
  }
}

/* ---- critical ---------------------------------------------------------------------------------- */

static void criticals(void)
{
  long c1 = 0, c2 = 0, c3 = 0;
  const int per = 2000;
#pragma omp parallel shared(c1, c2, c3)
  {
    for (int k = 0; k < per; k++) {
#pragma omp critical
      {
        long v = c1;
        spin(2);
        c1 = v + 1;
      }
#pragma omp critical(alpha)
      {
        long v = c2;
        c2 = v + 2;
      }
    }
#pragma omp single
    for (int k = 0; k < 400; k++) {
#pragma omp task shared(c1, c3)
      {
#pragma omp critical
        c1 += 3;
#pragma omp critical(beta)
        c3 += 1;
      }
    }
  }
  CHECK(c1 == (long)team * per + 1200, "unnamed critical counter %ld, expected %ld", c1,
        (long)team * per + 1200);
  CHECK(c2 == 2L * team * per, "critical(alpha) counter %ld, expected %ld", c2, 2L * team * per);
  CHECK(c3 == 400, "critical(beta) counter from tasks %ld, expected 400", c3);
}

/* ---- atomics on long double and _Complex double ------------------------------------------------ */

static void atomics(void)
{
  long double ld = 0.5L, ldmax = -1e30L, captured_sum = 0;
  int captures_bad = 0;
  const int per = 500;
#pragma omp parallel shared(ld, ldmax, captured_sum, captures_bad)
  {
    int t = omp_get_thread_num();
    for (int k = 0; k < per; k++) {
      long double before;
#pragma omp atomic capture
      {
        before = ld;
        ld += 1.0L;
      }
      if (before < 0.5L || before > 0.5L + (long double)team * per) {
#pragma omp atomic
        captures_bad++;
      }
#pragma omp atomic
      captured_sum += before;
      long double mine = (long double)(t * per + k);
#pragma omp critical(ldmax)
      if (mine > ldmax)
        ldmax = mine;
    }
  }
  long double n = (long double)team * per;
  CHECK(ld == 0.5L + n, "atomic += on long double: %Lf, expected %Lf", ld, 0.5L + n);
  /* the captured values are exactly 0.5, 1.5, ..., 0.5 + n - 1, once each */
  long double expect_sum = n * 0.5L + n * (n - 1) / 2;
  CHECK(captured_sum == expect_sum, "atomic capture on long double: the captured values sum to "
        "%Lf, expected %Lf", captured_sum, expect_sum);
  CHECK(captures_bad == 0, "atomic capture returned values out of range");
  CHECK(ldmax == n - 1, "max under critical: %Lf", ldmax);

  long double rd = 0;
#pragma omp parallel shared(rd)
  {
#pragma omp single
    {
#pragma omp atomic write
      rd = 42.25L;
    }
    long double r;
#pragma omp atomic read
    r = rd;
    CHECK(r == 42.25L, "atomic read after atomic write and a barrier: %Lf", r);
  }
}

/* ---- reductions ------------------------------------------------------------------------------- */

static void reductions(void)
{
  for (int rep = 0; rep < 30; rep++) {
    const int n = 1000;
    long sum = 5, mx = -7;
    double prod = 1;
    int mn = 1 << 30, band = ~0, bor = 0, bxor = 0, land = 1, lor = 0;
    long double lsum = 0.25L;
    _Complex double csum = 1.0;
    long arr[8] = {0};
#pragma omp parallel for reduction(+ : sum) reduction(max : mx) reduction(* : prod)            \
    reduction(min : mn) reduction(& : band) reduction(| : bor) reduction(^ : bxor)              \
    reduction(&& : land) reduction(|| : lor) reduction(+ : lsum, csum) reduction(+ : arr[:8])  \
    schedule(dynamic, 7)
    for (int i = 0; i < n; i++) {
      sum += i;
      if ((i * 37) % 1009 > mx)
        mx = (i * 37) % 1009;
      if (i % 100 == 0)
        prod *= 2;
      if ((i * 13) % 997 + 3 < mn)
        mn = (i * 13) % 997 + 3;
      band &= ~(1 << (i % 20));
      bor |= 1 << (i % 12);
      bxor ^= i;
      land = land && (i < 5000);
      lor = lor || (i == 777);
      lsum += 0.5L;
      csum += (double)(i % 3) * I;
      arr[i % 8] += i;
    }
    long s_sum = 5, s_mx = -7, s_arr[8] = {0};
    int s_mn = 1 << 30, s_xor = 0;
    double s_csum_im = 0;
    for (int i = 0; i < n; i++) {
      s_sum += i;
      if ((i * 37) % 1009 > s_mx)
        s_mx = (i * 37) % 1009;
      if ((i * 13) % 997 + 3 < s_mn)
        s_mn = (i * 13) % 997 + 3;
      s_xor ^= i;
      s_csum_im += i % 3;
      s_arr[i % 8] += i;
    }
    CHECK(sum == s_sum && mx == s_mx, "rep %d: + and max together: %ld and %ld, expected %ld and "
          "%ld", rep, sum, mx, s_sum, s_mx);
    CHECK(prod == 1024.0 && mn == s_mn, "rep %d: * and min: %g and %d", rep, prod, mn);
    CHECK(band == ~((1 << 20) - 1) && bor == (1 << 12) - 1 && bxor == s_xor,
          "rep %d: & | ^: %#x %#x %#x", rep, (unsigned)band, (unsigned)bor, (unsigned)bxor);
    CHECK(land == 1 && lor == 1, "rep %d: && ||: %d %d", rep, land, lor);
    CHECK(lsum == 0.25L + 0.5L * n, "rep %d: long double sum %Lf", rep, lsum);
    CHECK(creal(csum) == 1.0 && cimag(csum) == s_csum_im, "rep %d: complex sum %f%+fi", rep,
          creal(csum), cimag(csum));
    int abad = 0;
    for (int k = 0; k < 8; k++)
      abad += arr[k] != s_arr[k];
    CHECK(abad == 0, "rep %d: array section reduction: %d wrong elements", rep, abad);

    /* reduction on a parallel region: every thread contributes */
    long psum = 100, pmax = 0;
#pragma omp parallel reduction(+ : psum) reduction(max : pmax)
    {
      psum += omp_get_thread_num() + 1;
      if (omp_get_thread_num() > pmax)
        pmax = omp_get_thread_num();
    }
    CHECK(psum == 100 + (long)team * (team + 1) / 2 && pmax == team - 1,
          "rep %d: parallel reduction + and max: %ld and %ld", rep, psum, pmax);
  }
}

/* ---- copyprivate ------------------------------------------------------------------------------- */

struct cfg {
  int a;
  double b;
  char name[24];
};

static void copyprivates(void)
{
  int bad = 0;
#pragma omp parallel shared(bad)
  {
    for (int rep = 0; rep < 200; rep++) {
      int x = -1;
      struct cfg c = {0, 0, ""};
      long arr[6] = {0};
#pragma omp single copyprivate(x, c, arr)
      {
        x = rep * 3;
        c.a = rep;
        c.b = rep * 0.5;
        snprintf(c.name, sizeof c.name, "rep-%d", rep);
        for (int k = 0; k < 6; k++)
          arr[k] = rep + k;
      }
      char want[24];
      snprintf(want, sizeof want, "rep-%d", rep);
      int ok = x == rep * 3 && c.a == rep && c.b == rep * 0.5 && strcmp(c.name, want) == 0;
      for (int k = 0; k < 6; k++)
        ok = ok && arr[k] == rep + k;
      if (!ok) {
#pragma omp atomic
        bad++;
      }
    }
  }
  CHECK(bad == 0, "single copyprivate: %d thread-rounds got wrong values", bad);
}

/* ---- master / masked --------------------------------------------------------------------------- */

static void masters(void)
{
  int m = 0, f1 = 0, who_m = -1, who_f = -1;
#pragma omp parallel shared(m, f1, who_m, who_f)
  {
#pragma omp master
    {
      m++;
      who_m = omp_get_thread_num();
    }
#pragma omp masked filter(1)
    {
      f1++;
      who_f = omp_get_thread_num();
    }
  }
  CHECK(m == 1 && who_m == 0, "master ran %d times, on thread %d", m, who_m);
  if (team > 1)
    CHECK(f1 == 1 && who_f == 1, "masked filter(1) ran %d times, on thread %d", f1, who_f);
  else
    CHECK(f1 == 0, "masked filter(1) ran in a team of 1");
}

/* ---- nowait chains ----------------------------------------------------------------------------- */

#define NW_CONSTRUCTS 48
#define NW_N 150
static int nw_hits[NW_CONSTRUCTS][NW_N], nw_single[NW_CONSTRUCTS][2], nw_sec[NW_CONSTRUCTS][3];
static int nw_ord[NW_CONSTRUCTS][NW_N], nw_pos[NW_CONSTRUCTS];

static void nowait_chains(void)
{
  for (int rep = 0; rep < 10; rep++) {
    memset(nw_hits, 0, sizeof nw_hits);
    memset(nw_single, 0, sizeof nw_single);
    memset(nw_sec, 0, sizeof nw_sec);
    memset(nw_pos, 0, sizeof nw_pos);
#pragma omp parallel
    {
      int t = omp_get_thread_num();
      for (int l = 0; l < NW_CONSTRUCTS; l++) {
        if (t == 1 && l % 7 == 0)
          spin(20000); /* falls behind */
#pragma omp single nowait
        nw_single[l][0]++;
#pragma omp for schedule(dynamic, 3) nowait
        for (int i = 0; i < NW_N; i++)
          __atomic_fetch_add(&nw_hits[l][i], 1, __ATOMIC_RELAXED);
#pragma omp single nowait
        nw_single[l][1]++;
#pragma omp for schedule(guided) nowait
        for (int i = 0; i < NW_N; i++)
          __atomic_fetch_add(&nw_hits[l][i], 2, __ATOMIC_RELAXED);
#pragma omp sections nowait
        {
#pragma omp section
          nw_sec[l][0]++;
#pragma omp section
          nw_sec[l][1]++;
#pragma omp section
          nw_sec[l][2]++;
        }
#pragma omp for ordered schedule(dynamic) nowait
        for (int i = 0; i < NW_N; i++) {
#pragma omp ordered
          nw_ord[l][nw_pos[l]++] = i;
        }
#pragma omp for schedule(runtime) nowait
        for (unsigned long long i = 0; i < NW_N; i++)
          __atomic_fetch_add(&nw_hits[l][i], 4, __ATOMIC_RELAXED);
      }
    }
    int bad_loop = 0, bad_single = 0, bad_sec = 0, bad_ord = 0;
    for (int l = 0; l < NW_CONSTRUCTS; l++) {
      for (int i = 0; i < NW_N; i++)
        bad_loop += nw_hits[l][i] != 7;
      bad_single += (nw_single[l][0] != 1) + (nw_single[l][1] != 1);
      bad_sec += (nw_sec[l][0] != 1) + (nw_sec[l][1] != 1) + (nw_sec[l][2] != 1);
      bad_ord += nw_pos[l] != NW_N;
      for (int i = 0; i < nw_pos[l] && i < NW_N; i++)
        bad_ord += nw_ord[l][i] != i;
    }
    CHECK(bad_loop == 0 && bad_single == 0 && bad_sec == 0 && bad_ord == 0,
          "rep %d: chains of nowait constructs: %d loop iterations, %d singles, %d sections, %d "
          "ordered entries wrong", rep, bad_loop, bad_single, bad_sec, bad_ord);
  }
}

/* ---- cancellation ----------------------------------------------------------------------------- */

static void cancellation(void)
{
  CHECK(omp_get_cancellation() == 1, "omp_get_cancellation() = %d (run with OMP_CANCELLATION=true)",
        omp_get_cancellation());

  /* cancel for in a monotonic dynamic loop: iteration 0 is handed out first, to the thread that
   * cancels, which then leaves the loop and runs no later iteration */
  for (int rep = 0; rep < 30; rep++) {
    int canceller = -1, after = 0, total = 0, past_loop = 0;
#pragma omp parallel shared(canceller, after, total, past_loop)
    {
      int t = omp_get_thread_num();
#pragma omp for schedule(monotonic : dynamic, 1)
      for (int i = 0; i < 2000; i++) {
        int c;
#pragma omp atomic read
        c = canceller;
        if (c == t) {
#pragma omp atomic
          after++;
        }
#pragma omp atomic
        total++;
        if (i == 0) {
#pragma omp atomic write
          canceller = t;
#pragma omp cancel for
        }
#pragma omp cancellation point for
        spin(50);
      }
#pragma omp atomic
      past_loop++;
    }
    CHECK(after == 0, "rep %d: the thread that cancelled the loop ran %d more iterations", rep,
          after);
    CHECK(total >= 1 && total <= 2000, "rep %d: %d iterations", rep, total);
    CHECK(past_loop == team, "rep %d: %d of %d threads got past the cancelled loop", rep,
          past_loop, team);
  }

  /* a cancellable region (it holds a cancel parallel) that is not cancelled: its loop,
   * sections and barriers end with the _cancel entry points and must run to completion */
  for (int rep = 0; rep < 30; rep++) {
    for (int do_cancel = 0; do_cancel < 2; do_cancel++) {
      int hits[500] = {0}, sec[3] = {0}, after_barrier = 0, reached = 0;
#pragma omp parallel shared(hits, sec, after_barrier, reached)
      {
#pragma omp for schedule(dynamic, 4)
        for (int i = 0; i < 500; i++) {
#pragma omp atomic
          hits[i]++;
        }
#pragma omp sections
        {
#pragma omp section
          sec[0]++;
#pragma omp section
          sec[1]++;
#pragma omp section
          sec[2]++;
        }
#pragma omp atomic
        reached++;
        if (do_cancel && omp_get_thread_num() == 0) {
#pragma omp cancel parallel
        }
#pragma omp barrier
#pragma omp atomic
        after_barrier++;
      }
      int bad = 0;
      for (int i = 0; i < 500; i++)
        bad += hits[i] != 1;
      /* (once cancelled, a thread still waking from the sections' barrier may see the
       * cancellation there and skip to the end: all reach the cancel only when none happens) */
      CHECK(bad == 0 && sec[0] == 1 && sec[1] == 1 && sec[2] == 1 &&
            (do_cancel ? reached >= 1 : reached == team),
            "rep %d, cancellable region (%s): %d loop iterations wrong, sections %d %d %d, %d of "
            "%d threads reached the cancel", rep, do_cancel ? "cancelled" : "not cancelled", bad,
            sec[0], sec[1], sec[2], reached, team);
      if (do_cancel)
        CHECK(after_barrier == 0, "rep %d: %d threads went past the barrier of a cancelled "
              "region", rep, after_barrier);
      else
        CHECK(after_barrier == team, "rep %d: %d of %d threads past the barrier", rep,
              after_barrier, team);
    }
  }
}

/* ---- host teams --------------------------------------------------------------------------------- */

static void teams(void)
{
  int seen[8] = {0}, nteams_seen[8] = {0}, inner[8] = {0}, bad_limit = 0, bad_num = 0;
  int max_threads = omp_get_max_threads();
#pragma omp teams num_teams(3) thread_limit(2)
  {
    int tn = omp_get_team_num(), nt = omp_get_num_teams();
    if (tn >= 0 && tn < 8) {
      seen[tn]++;
      nteams_seen[tn] = nt;
    }
#pragma omp parallel
    {
#pragma omp atomic
      inner[tn & 7]++;
      if (omp_get_thread_limit() > 2) {
#pragma omp atomic
        bad_limit++;
      }
      if (omp_get_team_num() != tn || omp_get_num_teams() != nt) {
#pragma omp atomic
        bad_num++;
      }
    }
  }
  int n = nteams_seen[0];
  CHECK(n >= 1 && n <= 3, "teams num_teams(3): omp_get_num_teams() = %d", n);
  for (int t = 0; t < 8; t++) {
    if (t < n) {
      CHECK(seen[t] == 1 && nteams_seen[t] == n, "team %d ran %d times (num_teams %d)", t, seen[t],
            nteams_seen[t]);
      CHECK(inner[t] >= 1 && inner[t] <= 2 && inner[t] <= max_threads,
            "team %d's parallel region had %d threads (thread_limit(2), nthreads-var %d)", t,
            inner[t], max_threads);
    } else {
      CHECK(seen[t] == 0, "team number %d ran, beyond %d teams", t, n);
    }
  }
  CHECK(bad_limit == 0, "omp_get_thread_limit() above thread_limit(2) on %d threads of the teams' "
        "parallel regions", bad_limit);
  CHECK(bad_num == 0, "in the teams' parallel regions, %d threads saw another team number or "
        "number of teams than their team's", bad_num);
  CHECK(omp_get_num_teams() == 1 && omp_get_team_num() == 0, "outside teams: %d teams, team %d",
        omp_get_num_teams(), omp_get_team_num());

  /* teams distribute parallel for with a reduction, a teams reduction, dist_schedule */
  static int hits[5000];
  for (int rep = 0; rep < 5; rep++) {
    memset(hits, 0, sizeof hits);
    long s = 0, tsum = 0;
#pragma omp teams distribute parallel for num_teams(3) reduction(+ : s) schedule(dynamic, 7)
    for (int i = 0; i < 5000; i++) {
      hits[i]++;
      s += i;
    }
#pragma omp teams num_teams(4) reduction(+ : tsum)
    tsum += omp_get_team_num() + 1;
#pragma omp teams distribute num_teams(2) dist_schedule(static, 5)
    for (int i = 0; i < 100; i++)
      hits[i] += 10;
    int bad = 0;
    for (int i = 0; i < 5000; i++)
      bad += hits[i] != (i < 100 ? 11 : 1);
    CHECK(bad == 0 && s == 4999L * 5000 / 2, "rep %d: teams distribute (parallel for): %d "
          "iterations wrong, sum %ld", rep, bad, s);
    CHECK(tsum >= 1 && tsum <= 10 && (tsum == 1 || tsum == 3 || tsum == 6 || tsum == 10),
          "rep %d: teams num_teams(4) reduction over team numbers + 1: %ld", rep, tsum);
  }
}

/* ---- error directive ------------------------------------------------------------------------- */

/* Runs fn with stderr going to a temporary file; returns what it wrote. */
static char *capture_stderr(void (*fn)(void))
{
  static char buf[4096];
  FILE *tmp = tmpfile();
  if (!tmp)
    return NULL;
  fflush(stderr);
  int saved = dup(2);
  dup2(fileno(tmp), 2);
  fn();
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  rewind(tmp);
  size_t n = fread(buf, 1, sizeof buf - 1, tmp);
  buf[n] = 0;
  fclose(tmp);
  return buf;
}

static int after_warning;
static void warn_directive(void)
{
#pragma omp error at(execution) severity(warning) message("gomp_sync: a warning directive")
  after_warning = 1;
}

static void fatal_directive(void)
{
#pragma omp error at(execution) severity(fatal) message("gomp_sync: a fatal directive")
}

static void error_directive(void)
{
  const char *out = capture_stderr(warn_directive);
  CHECK(out && strstr(out, "gomp_sync: a warning directive"), "error severity(warning) printed "
        "\"%s\", not its message", out ? out : "(nothing captured)");
  CHECK(after_warning == 1, "error severity(warning) did not go on");

  fflush(stdout);
  fflush(stderr);
  int pipefd[2];
  if (pipe(pipefd) != 0)
    return;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    fatal_directive();
    _exit(0); /* not reached when the directive ends the program */
  }
  close(pipefd[1]);
  char buf[2048];
  size_t n = 0;
  ssize_t r;
  while (n < sizeof buf - 1 && (r = read(pipefd[0], buf + n, sizeof buf - 1 - n)) > 0)
    n += (size_t)r;
  buf[n] = 0;
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0,
        "error severity(fatal): the child %s %d", WIFEXITED(status) ? "exited with" : "died of signal",
        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
  CHECK(strstr(buf, "gomp_sync: a fatal directive") != NULL,
        "error severity(fatal) printed \"%s\", not its message", buf);
}

int main(void)
{
  /* first, while no OpenMP construct has run (the fatal one runs in a forked child) */
  error_directive();

#pragma omp parallel
#pragma omp single
  team = omp_get_num_threads();

  sections();
  criticals();
  atomics();
  reductions();
  copyprivates();
  masters();
  nowait_chains();
  cancellation();
  teams();

  if (failures) {
    fprintf(stderr, "gomp_sync: %d check(s) failed\n", failures);
    return 1;
  }
  printf("gomp_sync: sections, critical, long double atomics, reductions, copyprivate, "
         "masked, nowait chains, cancellation, host teams, error directive; team of %d: ok\n", team);
  return 0;
}
