/* gomp_loops: the worksharing-loop entry points of libgomp's ABI that gcc 12 emits (built by gcc
 * only; the entry each part reaches is named in its comment).
 * - combined `parallel for` with loop-invariant bounds under every schedule: static, static,c,
 *   auto (inlined), monotonic:dynamic,c (GOMP_parallel_loop_dynamic), dynamic
 *   (_nonmonotonic_dynamic), monotonic:guided (_guided), guided (_nonmonotonic_guided), runtime
 *   (_maybe_nonmonotonic_runtime), monotonic:runtime (_runtime), nonmonotonic:runtime
 *   (_nonmonotonic_runtime), counting up and down, with num_threads and lastprivate;
 * - orphaned loops with bounds known only at run time: monotonic:guided (GOMP_loop_guided_*),
 *   monotonic:runtime (GOMP_loop_runtime_*) and nonmonotonic:runtime
 *   (GOMP_loop_nonmonotonic_runtime_*), under several omp_set_schedule settings;
 * - unsigned long long loops above 2^63, up and down, under every schedule (GOMP_loop_ull_*);
 * - ordered loops under every schedule, long and unsigned long long (GOMP_loop_ordered_* and
 *   GOMP_loop_ull_ordered_*, GOMP_ordered_start/end): the ordered blocks log their iteration
 *   with plain writes and the log must be the sequential order;
 * - doacross loops, ordered(1) under guided and runtime schedules, ordered(2) static,2, and
 *   unsigned long long ones under every schedule (GOMP_loop_doacross_*,
 *   GOMP_loop_ull_doacross_*, GOMP_doacross_[ull_]post/wait): recurrences equal their serial
 *   results;
 * - loops with a task reduction (reduction(task, +: s) with tasks in_reduction), plain, ordered
 *   and doacross, long and unsigned long long (GOMP_loop_start, GOMP_loop_ull_start,
 *   GOMP_loop_[ull_]ordered_start, GOMP_loop_[ull_]doacross_start,
 *   GOMP_workshare_task_reduction_unregister);
 * (GOMP_loop_static_start and GOMP_loop_ull_static_start are not emitted by gcc 12, which
 * inlines static schedules.)
 * - inclusive and exclusive scans (reduction(inscan, +: s): GOMP_loop_start);
 * - lastprivate(conditional:) on parallel for (dynamic, guided, static,c) and on parallel
 *   sections (GOMP_sections2_start): the value from the sequentially last assignment.
 * Every iteration must run exactly once; static schedules must hand out their chunks in thread
 * order; monotonic schedules must run each thread's iterations in increasing order. */
#include <omp.h>
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
    fprintf(stderr, "gomp_loops.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
#define STR(...) #__VA_ARGS__
#define PRAGMA(...) _Pragma(STR(__VA_ARGS__))

#define MAXIT 4096
#define MAXT 64

enum kind { K_ANY, K_MONO, K_STATIC, K_STATIC_CHUNK };

static int hits[MAXIT], owner[MAXIT];
static long prev_idx[MAXT];
static int out_of_range, nonmono, team_seen;
static long loops_checked;

static void reset(void)
{
  memset(hits, 0, sizeof hits);
  memset(owner, -1, sizeof owner);
  for (int t = 0; t < MAXT; t++)
    prev_idx[t] = -1;
  out_of_range = nonmono = team_seen = 0;
}

/* Iteration number idx (0-based, in sequential order) runs on the calling thread. */
static void visit(long idx)
{
  int t = omp_get_thread_num();
  if (idx < 0 || idx >= MAXIT || t >= MAXT) {
#pragma omp atomic
    out_of_range++;
    return;
  }
#pragma omp atomic
  hits[idx]++;
#pragma omp atomic write
  owner[idx] = t;
  if (idx <= prev_idx[t]) {
#pragma omp atomic
    nonmono++;
  }
  prev_idx[t] = idx;
  int nt = omp_get_num_threads();
#pragma omp atomic write
  team_seen = nt;
}

static void check(const char *what, long trips, enum kind kind, int chunk)
{
  loops_checked++;
  int missing = 0, extra = 0;
  for (long k = 0; k < MAXIT; k++) {
    if (k < trips && hits[k] != 1)
      missing += hits[k] == 0, extra += hits[k] > 1;
    if (k >= trips && hits[k])
      extra++;
  }
  CHECK(missing == 0 && extra == 0 && out_of_range == 0,
        "%s: %d iterations missing, %d run twice or beyond the end, %d out of range", what,
        missing, extra, out_of_range);
  if (kind != K_ANY)
    CHECK(nonmono == 0, "%s: a thread ran its iterations out of order (%d times)", what, nonmono);
  int nt = team_seen > 0 ? team_seen : 1;
  if (kind == K_STATIC) {
    int bad = 0;
    for (long k = 1; k < trips && k < MAXIT; k++)
      bad += owner[k] < owner[k - 1];
    CHECK(bad == 0, "%s: static chunks not contiguous in thread order", what);
  } else if (kind == K_STATIC_CHUNK) {
    int bad = 0;
    for (long k = 0; k < trips && k < MAXIT; k++)
      bad += owner[k] != (int)((k / chunk) % nt);
    CHECK(bad == 0, "%s: %d iterations not on thread (k / %d) %% %d", what, bad, chunk, nt);
  }
}

/* ---- combined parallel for, invariant bounds (GOMP_parallel_loop_*) ----------------------- */

/* Up: i = 3, 10, ..., < 3 + 7 * 900; down: i = 2000 down to > -1000 by 3. Each returns the
 * lastprivate value of the body variable. */
#define PFOR(NAME, ...)                                                                            \
  static long NAME##_up(void)                                                                      \
  {                                                                                                \
    long lastv = -1;                                                                               \
    PRAGMA(omp parallel for __VA_ARGS__ lastprivate(lastv))                                        \
    for (long i = 3; i < 3 + 7 * 900; i += 7) {                                                    \
      visit((i - 3) / 7);                                                                          \
      lastv = i;                                                                                   \
    }                                                                                              \
    return lastv;                                                                                  \
  }                                                                                                \
  static long NAME##_down(void)                                                                    \
  {                                                                                                \
    long lastv = -1;                                                                               \
    PRAGMA(omp parallel for __VA_ARGS__ lastprivate(lastv) num_threads(3))                         \
    for (int i = 2000; i > -1000; i -= 3) {                                                        \
      visit((2000 - i) / 3);                                                                       \
      lastv = i;                                                                                   \
    }                                                                                              \
    return lastv;                                                                                  \
  }

PFOR(pf_static, schedule(static))
PFOR(pf_static5, schedule(static, 5))
PFOR(pf_auto, schedule(auto))
PFOR(pf_mdynamic3, schedule(monotonic : dynamic, 3))
PFOR(pf_dynamic, schedule(dynamic))
PFOR(pf_mguided, schedule(monotonic : guided))
PFOR(pf_guided7, schedule(guided, 7))
PFOR(pf_runtime, schedule(runtime))
PFOR(pf_mruntime, schedule(monotonic : runtime))
PFOR(pf_nmruntime, schedule(nonmonotonic : runtime))

static const struct {
  const char *name;
  long (*up)(void), (*down)(void);
  enum kind kind;
  int chunk;
  int runtime; /* 1: kind comes from the run-sched setting, 2: and the schedule is monotonic */
} pfors[] = {
    {"static", pf_static_up, pf_static_down, K_STATIC, 0, 0},
    {"static,5", pf_static5_up, pf_static5_down, K_STATIC_CHUNK, 5, 0},
    {"auto", pf_auto_up, pf_auto_down, K_ANY, 0, 0},
    {"monotonic:dynamic,3", pf_mdynamic3_up, pf_mdynamic3_down, K_MONO, 0, 0},
    {"dynamic", pf_dynamic_up, pf_dynamic_down, K_ANY, 0, 0},
    {"monotonic:guided", pf_mguided_up, pf_mguided_down, K_MONO, 0, 0},
    {"guided,7", pf_guided7_up, pf_guided7_down, K_ANY, 0, 0},
    {"runtime", pf_runtime_up, pf_runtime_down, K_ANY, 0, 1},
    {"monotonic:runtime", pf_mruntime_up, pf_mruntime_down, K_MONO, 0, 2},
    {"nonmonotonic:runtime", pf_nmruntime_up, pf_nmruntime_down, K_ANY, 0, 1},
};

static const struct {
  omp_sched_t kind;
  int chunk;
  const char *name;
} settings[] = {
    {omp_sched_static, 0, "static"},   {omp_sched_static, 4, "static,4"},
    {omp_sched_dynamic, 1, "dynamic"}, {omp_sched_dynamic, 6, "dynamic,6"},
    {omp_sched_guided, 0, "guided"},   {omp_sched_guided, 3, "guided,3"},
    {omp_sched_auto, 0, "auto"},
};
#define NSETTINGS (int)(sizeof settings / sizeof settings[0])

/* The checks a loop under run-sched setting s allows. */
static enum kind runtime_kind(int s, int monotonic, int *chunk)
{
  *chunk = settings[s].chunk;
  if (settings[s].kind == omp_sched_static)
    return settings[s].chunk ? K_STATIC_CHUNK : K_STATIC;
  return monotonic ? K_MONO : K_ANY;
}

static void combined_loops(void)
{
  char what[160];
  for (size_t p = 0; p < sizeof pfors / sizeof pfors[0]; p++) {
    int nsets = pfors[p].runtime ? NSETTINGS : 1;
    for (int s = 0; s < nsets; s++) {
      enum kind kind = pfors[p].kind;
      int chunk = pfors[p].chunk;
      if (pfors[p].runtime) {
        omp_set_schedule(settings[s].kind, settings[s].chunk);
        kind = runtime_kind(s, pfors[p].runtime == 2, &chunk);
      }
      reset();
      long last = pfors[p].up();
      snprintf(what, sizeof what, "parallel for %s%s%s, long up by 7", pfors[p].name,
               pfors[p].runtime ? " with run-sched " : "", pfors[p].runtime ? settings[s].name : "");
      check(what, 900, kind, chunk);
      CHECK(last == 3 + 7 * 899, "%s: lastprivate %ld, expected %d", what, last, 3 + 7 * 899);
      reset();
      last = pfors[p].down();
      snprintf(what, sizeof what, "parallel for %s%s%s num_threads(3), int down by 3",
               pfors[p].name, pfors[p].runtime ? " with run-sched " : "",
               pfors[p].runtime ? settings[s].name : "");
      check(what, 1000, kind, chunk);
      CHECK(last == 2000 - 3 * 999, "%s: lastprivate %ld, expected %d", what, last, 2000 - 3 * 999);
      CHECK(team_seen >= 1 && team_seen <= 3, "%s: a team of %d under num_threads(3)", what,
            team_seen);
    }
  }
  omp_set_schedule(omp_sched_dynamic, 1);
}

/* ---- orphaned loops, run-time bounds (GOMP_loop_{guided,runtime,nonmonotonic_runtime}_*) --- */

#define OFOR(NAME, ...)                                                                            \
  static void NAME(long start, long end, long step, int nowait)                                    \
  {                                                                                                \
    if (nowait) {                                                                                  \
      PRAGMA(omp for __VA_ARGS__ nowait)                                                           \
      for (long i = start; i < end; i += step)                                                     \
        visit((i - start) / step);                                                                 \
    } else {                                                                                       \
      PRAGMA(omp for __VA_ARGS__)                                                                  \
      for (long i = start; i < end; i += step)                                                     \
        visit((i - start) / step);                                                                 \
    }                                                                                              \
  }

OFOR(of_mguided, schedule(monotonic : guided))
OFOR(of_mguided5, schedule(monotonic : guided, 5))
OFOR(of_mruntime, schedule(monotonic : runtime))
OFOR(of_nmruntime, schedule(nonmonotonic : runtime))

static void orphaned_loops(long start, long n, long step)
{
  static const struct {
    const char *name;
    void (*fn)(long, long, long, int);
    enum kind kind;
    int runtime;
  } ofors[] = {
      {"monotonic:guided", of_mguided, K_MONO, 0},
      {"monotonic:guided,5", of_mguided5, K_MONO, 0},
      {"monotonic:runtime", of_mruntime, K_MONO, 2},
      {"nonmonotonic:runtime", of_nmruntime, K_ANY, 1},
  };
  char what[160];
  for (size_t o = 0; o < sizeof ofors / sizeof ofors[0]; o++) {
    int nsets = ofors[o].runtime ? NSETTINGS : 1;
    for (int s = 0; s < nsets; s++)
      for (int nowait = 0; nowait < 2; nowait++) {
        enum kind kind = ofors[o].kind;
        int chunk = 0;
        if (ofors[o].runtime) {
          omp_set_schedule(settings[s].kind, settings[s].chunk);
          kind = runtime_kind(s, ofors[o].runtime == 2, &chunk);
        }
        reset();
#pragma omp parallel
        {
          ofors[o].fn(start, start + n * step, step, nowait);
          if (nowait) {
#pragma omp barrier
          }
        }
        snprintf(what, sizeof what, "for %s%s%s%s, %ld iterations", ofors[o].name,
                 ofors[o].runtime ? " with run-sched " : "",
                 ofors[o].runtime ? settings[s].name : "", nowait ? " nowait" : "", n);
        check(what, n, kind, chunk);
      }
  }
  omp_set_schedule(omp_sched_dynamic, 1);
}

/* ---- unsigned long long loops (GOMP_loop_ull_*) --------------------------------------------- */

#define ULL_BASE 0x8000000000000000ULL

#define UFOR(NAME, ...)                                                                            \
  static void NAME(unsigned long long lo, unsigned long long n, unsigned long long step, int down) \
  {                                                                                                \
    unsigned long long hi = lo + n * step;                                                         \
    if (!down) {                                                                                   \
      PRAGMA(omp for __VA_ARGS__)                                                                  \
      for (unsigned long long i = lo; i < hi; i += step)                                           \
        visit((long)((i - lo) / step));                                                           \
    } else {                                                                                       \
      PRAGMA(omp for __VA_ARGS__ nowait)                                                           \
      for (unsigned long long i = hi; i > lo; i -= step)                                           \
        visit((long)((hi - i) / step));                                                            \
      PRAGMA(omp barrier)                                                                          \
    }                                                                                              \
  }

UFOR(uf_static, schedule(static))
UFOR(uf_static3, schedule(static, 3))
UFOR(uf_mdynamic, schedule(monotonic : dynamic))
UFOR(uf_dynamic4, schedule(dynamic, 4))
UFOR(uf_mguided, schedule(monotonic : guided))
UFOR(uf_guided, schedule(guided))
UFOR(uf_runtime, schedule(runtime))
UFOR(uf_mruntime, schedule(monotonic : runtime))
UFOR(uf_nmruntime, schedule(nonmonotonic : runtime))

static void ull_loops(void)
{
  static const struct {
    const char *name;
    void (*fn)(unsigned long long, unsigned long long, unsigned long long, int);
    enum kind kind;
    int chunk, runtime;
  } ufors[] = {
      {"static", uf_static, K_STATIC, 0, 0},
      {"static,3", uf_static3, K_STATIC_CHUNK, 3, 0},
      {"monotonic:dynamic", uf_mdynamic, K_MONO, 0, 0},
      {"dynamic,4", uf_dynamic4, K_ANY, 0, 0},
      {"monotonic:guided", uf_mguided, K_MONO, 0, 0},
      {"guided", uf_guided, K_ANY, 0, 0},
      {"runtime", uf_runtime, K_ANY, 0, 1},
      {"monotonic:runtime", uf_mruntime, K_MONO, 0, 2},
      {"nonmonotonic:runtime", uf_nmruntime, K_ANY, 0, 1},
  };
  static const unsigned long long cases[][3] = {
      {ULL_BASE - 500, 1000, 1}, {ULL_BASE + 12345, 700, 13}, {~0ULL - 3000, 1000, 3},
      {ULL_BASE, 1, 1},          {ULL_BASE, 0, 1},            {0, 2000, 1}};
  char what[200];
  for (size_t u = 0; u < sizeof ufors / sizeof ufors[0]; u++) {
    int nsets = ufors[u].runtime ? NSETTINGS : 1;
    for (int s = 0; s < nsets; s++)
      for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int down = 0; down < 2; down++) {
          enum kind kind = ufors[u].kind;
          int chunk = ufors[u].chunk;
          if (ufors[u].runtime) {
            omp_set_schedule(settings[s].kind, settings[s].chunk);
            kind = runtime_kind(s, ufors[u].runtime == 2, &chunk);
          }
          reset();
#pragma omp parallel
          ufors[u].fn(cases[c][0], cases[c][1], cases[c][2], down);
          snprintf(what, sizeof what, "unsigned long long for %s%s%s, %s from %llu, %llu "
                   "iterations of step %llu", ufors[u].name, ufors[u].runtime ? " run-sched " : "",
                   ufors[u].runtime ? settings[s].name : "", down ? "down" : "up", cases[c][0],
                   cases[c][1], cases[c][2]);
          check(what, (long)cases[c][1], kind, chunk);
        }
  }
  omp_set_schedule(omp_sched_dynamic, 1);
}

/* ---- ordered (GOMP_loop_[ull_]ordered_*, GOMP_ordered_start/end) --------------------------- */

static long long logv[MAXIT];
static int pos;

static void check_log(const char *what, long long first, long long step, int count)
{
  loops_checked++;
  CHECK(pos == count, "%s: %d ordered blocks ran, expected %d", what, pos, count);
  int bad = 0;
  for (int k = 0; k < pos && k < count; k++)
    bad += logv[k] != first + k * step;
  CHECK(bad == 0, "%s: %d log entries out of order", what, bad);
  pos = 0;
}

static void spin(long i)
{
  for (volatile long s = 0; s < (i * 37) % 150; s++)
    ;
}

#define ORD_LONG(NAME, ...)                                                                        \
  static void NAME(long n)                                                                         \
  {                                                                                                \
    PRAGMA(omp parallel for ordered __VA_ARGS__)                                                   \
    for (long i = 5 * n; i > 0; i -= 5) {                                                          \
      spin(i);                                                                                     \
      PRAGMA(omp ordered)                                                                          \
      logv[pos++] = i; /* plain: the ordered construct serializes it */                            \
    }                                                                                              \
  }
#define ORD_ULL(NAME, ...)                                                                         \
  static void NAME(long n)                                                                         \
  {                                                                                                \
    unsigned long long lo = ULL_BASE + 77;                                                         \
    PRAGMA(omp parallel for ordered __VA_ARGS__)                                                   \
    for (unsigned long long i = lo; i < lo + 2 * (unsigned long long)n; i += 2) {                  \
      spin((long)(i & 1023));                                                                      \
      PRAGMA(omp ordered)                                                                          \
      logv[pos++] = (long long)(i - lo);                                                           \
    }                                                                                              \
  }

ORD_LONG(ord_static, schedule(static))
ORD_LONG(ord_static3, schedule(static, 3))
ORD_LONG(ord_dynamic, schedule(dynamic))
ORD_LONG(ord_mdynamic2, schedule(monotonic : dynamic, 2))
ORD_LONG(ord_guided, schedule(guided))
ORD_LONG(ord_runtime, schedule(runtime))
ORD_ULL(ordu_static, schedule(static))
ORD_ULL(ordu_static5, schedule(static, 5))
ORD_ULL(ordu_dynamic, schedule(dynamic))
ORD_ULL(ordu_guided2, schedule(guided, 2))
ORD_ULL(ordu_runtime, schedule(runtime))

static void ordered_loops(void)
{
  static const struct {
    const char *name;
    void (*fn)(long);
    int ull;
  } ords[] = {
      {"static", ord_static, 0},     {"static,3", ord_static3, 0},
      {"dynamic", ord_dynamic, 0},   {"monotonic:dynamic,2", ord_mdynamic2, 0},
      {"guided", ord_guided, 0},     {"runtime", ord_runtime, 0},
      {"static", ordu_static, 1},    {"static,5", ordu_static5, 1},
      {"dynamic", ordu_dynamic, 1},  {"guided,2", ordu_guided2, 1},
      {"runtime", ordu_runtime, 1},
  };
  char what[120];
  for (size_t o = 0; o < sizeof ords / sizeof ords[0]; o++)
    for (int s = 0; s < (strcmp(ords[o].name, "runtime") ? 1 : NSETTINGS); s++) {
      omp_set_schedule(settings[s].kind, settings[s].chunk);
      long n = 600;
      pos = 0;
      ords[o].fn(n);
      snprintf(what, sizeof what, "ordered %s loop, schedule %s%s%s",
               ords[o].ull ? "unsigned long long" : "long", ords[o].name,
               strcmp(ords[o].name, "runtime") ? "" : " ", strcmp(ords[o].name, "runtime") ? "" :
               settings[s].name);
      if (ords[o].ull)
        check_log(what, 0, 2, (int)n);
      else
        check_log(what, 5 * n, -5, (int)n);
    }
  omp_set_schedule(omp_sched_dynamic, 1);
}

/* ---- doacross (GOMP_loop_[ull_]doacross_*, GOMP_doacross_[ull_]post/wait) ------------------ */

#define ND 160
static long long da[ND + 8], sda[ND + 8];
static long long g2[24][24], sg2[24][24];

static long long fv(long long i) { return i % 11 + 1; }

#define DOA_LONG(NAME, ...)                                                                        \
  static void NAME(long n)                                                                         \
  {                                                                                                \
    PRAGMA(omp parallel for ordered(1) __VA_ARGS__)                                                \
    for (long i = 1; i < n; i++) {                                                                 \
      long long v = fv(i);                                                                         \
      PRAGMA(omp ordered depend(sink : i - 1))                                                     \
      da[i] = da[i - 1] + v;                                                                       \
      PRAGMA(omp ordered depend(source))                                                           \
    }                                                                                              \
  }
#define DOA_ULL(NAME, ...)                                                                         \
  static void NAME(long n)                                                                         \
  {                                                                                                \
    unsigned long long lo = ULL_BASE + 1, hi = ULL_BASE + (unsigned long long)n;                   \
    PRAGMA(omp parallel for ordered(1) __VA_ARGS__)                                                \
    for (unsigned long long i = lo; i < hi; i++) {                                                 \
      long k = (long)(i - ULL_BASE);                                                               \
      long long v = fv(k);                                                                         \
      PRAGMA(omp ordered depend(sink : i - 1))                                                     \
      da[k] = da[k - 1] + v;                                                                       \
      PRAGMA(omp ordered depend(source))                                                           \
    }                                                                                              \
  }

DOA_LONG(doa_guided, schedule(guided))
DOA_LONG(doa_runtime, schedule(runtime))
DOA_ULL(doau_static, schedule(static))
DOA_ULL(doau_static2, schedule(static, 2))
DOA_ULL(doau_dynamic, schedule(dynamic))
DOA_ULL(doau_guided, schedule(guided))
DOA_ULL(doau_runtime, schedule(runtime))

static void doacross_loops(void)
{
  static const struct {
    const char *name;
    void (*fn)(long);
  } doas[] = {
      {"long, guided", doa_guided},
      {"long, runtime", doa_runtime},
      {"unsigned long long, static", doau_static},
      {"unsigned long long, static,2", doau_static2},
      {"unsigned long long, dynamic", doau_dynamic},
      {"unsigned long long, guided", doau_guided},
      {"unsigned long long, runtime", doau_runtime},
  };
  sda[0] = 1;
  for (int i = 1; i < ND; i++)
    sda[i] = sda[i - 1] + fv(i);
  for (size_t d = 0; d < sizeof doas / sizeof doas[0]; d++) {
    memset(da, 0, sizeof da);
    da[0] = 1;
    doas[d].fn(ND);
    loops_checked++;
    int bad = 0;
    for (int i = 0; i < ND; i++)
      bad += da[i] != sda[i];
    CHECK(bad == 0, "doacross ordered(1) %s: %d wrong entries", doas[d].name, bad);
  }

  /* ordered(2), static,2: a wavefront with sinks on both neighbours */
  for (int i = 0; i < 24; i++)
    for (int j = 0; j < 24; j++)
      sg2[i][j] = (i == 0 || j == 0) ? 1 : (sg2[i - 1][j] + sg2[i][j - 1]) % 1000003;
  for (int round = 0; round < 2; round++) {
    memset(g2, 0, sizeof g2);
    for (int i = 0; i < 24; i++)
      g2[i][0] = g2[0][i] = 1;
    if (round == 0) {
#pragma omp parallel for ordered(2) schedule(static, 2)
      for (int i = 1; i < 24; i++)
        for (int j = 1; j < 24; j++) {
#pragma omp ordered depend(sink : i - 1, j) depend(sink : i, j - 1)
          g2[i][j] = (g2[i - 1][j] + g2[i][j - 1]) % 1000003;
#pragma omp ordered depend(source)
        }
    } else {
#pragma omp parallel for ordered(2) schedule(guided)
      for (unsigned long long i = 1; i < 24; i++)
        for (unsigned long long j = 1; j < 24; j++) {
#pragma omp ordered depend(sink : i - 1, j) depend(sink : i, j - 1)
          g2[i][j] = (g2[i - 1][j] + g2[i][j - 1]) % 1000003;
#pragma omp ordered depend(source)
        }
    }
    loops_checked++;
    int bad = 0;
    for (int i = 0; i < 24; i++)
      for (int j = 0; j < 24; j++)
        bad += g2[i][j] != sg2[i][j];
    CHECK(bad == 0, "doacross ordered(2) wavefront (%s): %d wrong cells",
          round ? "unsigned long long, guided" : "int, static,2", bad);
  }
}

/* ---- loops with a task reduction (GOMP_loop_[ull_][ordered_|doacross_]start) --------------- */

/* (an end only known at run time: with a constant one gcc runs this doacross loop as a long
 * one) */
static volatile long nd_volatile = ND;

static void task_reduction_loops(void)
{
  const long n = 300;
  const long nd = nd_volatile;
  const long long expect = 3 * (n * (n - 1) / 2) + n;
  for (int kind = 0; kind < 7; kind++) {
    long long s = 0, s2 = 0;
    pos = 0;
    memset(da, 0, sizeof da);
    da[0] = 1;
    static const char *const names[] = {
        "for reduction(task) schedule(dynamic)",
        "for reduction(task) schedule(static)",
        "for reduction(task), unsigned long long, schedule(guided)",
        "for ordered reduction(task) schedule(dynamic)",
        "for ordered reduction(task), unsigned long long, schedule(static,3)",
        "for ordered(1) reduction(task) schedule(dynamic) (doacross)",
        "for ordered(1) reduction(task), unsigned long long, schedule(guided) (doacross)"};
#pragma omp parallel shared(s, s2)
    {
      switch (kind) {
      case 0:
#pragma omp for reduction(task, + : s) schedule(dynamic)
        for (long i = 0; i < n; i++) {
#pragma omp task in_reduction(+ : s) firstprivate(i)
          s += 2 * i + 1;
          s += i;
        }
        break;
      case 1:
#pragma omp for reduction(task, + : s) reduction(+ : s2) schedule(static)
        for (long i = 0; i < n; i++) {
#pragma omp task in_reduction(+ : s) firstprivate(i)
          s += 2 * i;
          s += i + 1;
          s2 += 1;
        }
        break;
      case 2:
#pragma omp for reduction(task, + : s) schedule(guided)
        for (unsigned long long i = ULL_BASE; i < ULL_BASE + (unsigned long long)n; i++) {
          long k = (long)(i - ULL_BASE);
#pragma omp task in_reduction(+ : s) firstprivate(k)
          s += 3 * k;
          s += 1;
        }
        break;
      case 3:
#pragma omp for ordered reduction(task, + : s) schedule(dynamic)
        for (long i = 0; i < n; i++) {
#pragma omp task in_reduction(+ : s) firstprivate(i)
          s += 3 * i + 1;
#pragma omp ordered
          logv[pos++] = i;
        }
        break;
      case 4:
#pragma omp for ordered reduction(task, + : s) schedule(static, 3)
        for (unsigned long long i = ULL_BASE; i < ULL_BASE + (unsigned long long)n; i++) {
          long long k = (long long)(i - ULL_BASE);
#pragma omp task in_reduction(+ : s) firstprivate(k)
          s += 3 * k;
#pragma omp ordered
          logv[pos++] = k;
          s += 1;
        }
        break;
      case 5:
#pragma omp for ordered(1) reduction(task, + : s) schedule(dynamic)
        for (long i = 1; i < ND; i++) {
#pragma omp task in_reduction(+ : s) firstprivate(i)
          s += i;
#pragma omp ordered depend(sink : i - 1)
          da[i] = da[i - 1] + fv(i);
#pragma omp ordered depend(source)
        }
        break;
      default:
#pragma omp for ordered(1) reduction(task, + : s) schedule(guided)
        for (unsigned long long i = ULL_BASE + 1; i < ULL_BASE + (unsigned long long)nd; i++) {
          long k = (long)(i - ULL_BASE);
#pragma omp task in_reduction(+ : s) firstprivate(k)
          s += k;
#pragma omp ordered depend(sink : i - 1)
          da[k] = da[k - 1] + fv(k);
#pragma omp ordered depend(source)
        }
        break;
      }
    }
    loops_checked++;
    if (kind >= 5) {
      int bad = 0;
      for (int i = 0; i < ND; i++)
        bad += da[i] != sda[i];
      CHECK(bad == 0, "%s: %d wrong entries", names[kind], bad);
      CHECK(s == (long long)ND * (ND - 1) / 2, "%s: sum %lld, expected %lld", names[kind], s,
            (long long)ND * (ND - 1) / 2);
    } else {
      CHECK(s == expect, "%s: sum %lld, expected %lld", names[kind], s, expect);
    }
    if (kind == 1)
      CHECK(s2 == n, "%s: the plain reduction next to it gave %lld, expected %ld", names[kind], s2,
            n);
    if (kind == 3 || kind == 4) { /* and the ordered blocks' log */
      loops_checked--;
      check_log(names[kind], 0, 1, (int)n);
    }
  }
}

/* ---- scans (reduction(inscan): GOMP_loop_start) --------------------------------------------- */

#define NS 1000
static long long sin_[NS], sout[NS];

static void scans(void)
{
  for (int i = 0; i < NS; i++)
    sin_[i] = (i * 7) % 13 - 4;
  long long s = 0;
#pragma omp parallel for reduction(inscan, + : s)
  for (int i = 0; i < NS; i++) {
    s += sin_[i];
#pragma omp scan inclusive(s)
    sout[i] = s;
  }
  long long r = 0;
  int bad = 0;
  for (int i = 0; i < NS; i++) {
    r += sin_[i];
    bad += sout[i] != r;
  }
  CHECK(bad == 0 && s == r, "inclusive scan: %d wrong prefixes, total %lld, expected %lld", bad, s,
        r);
  s = 100;
#pragma omp parallel
#pragma omp for reduction(inscan, + : s)
  for (int i = 0; i < NS; i++) {
    sout[i] = s;
#pragma omp scan exclusive(s)
    s += sin_[i];
  }
  r = 100;
  bad = 0;
  for (int i = 0; i < NS; i++) {
    bad += sout[i] != r;
    r += sin_[i];
  }
  CHECK(bad == 0 && s == r, "exclusive scan: %d wrong prefixes, total %lld, expected %lld", bad, s,
        r);
  loops_checked += 2;
}

/* ---- lastprivate(conditional:) ------------------------------------------------------------ */

/* (gcc 12 warns that its own code for the sections' conditional lastprivate may read w
 * uninitialized) */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

static void conditional_lastprivate(void)
{
  static int v[1000];
  for (int i = 0; i < 1000; i++)
    v[i] = (i * 37) % 101;
  int sx = -1, sy = -1, sz = -1;
  for (int i = 0; i < 1000; i++) {
    if (v[i] > 90)
      sx = i;
    if (v[i] < 5)
      sy = 2 * i;
    if (v[i] == 50)
      sz = i;
  }
  for (int rep = 0; rep < 20; rep++) {
    int x = -1, y = -1, z = -1;
    long w = -1;
#pragma omp parallel for lastprivate(conditional : x) schedule(dynamic, 3)
    for (int i = 0; i < 1000; i++)
      if (v[i] > 90)
        x = i;
#pragma omp parallel
#pragma omp for lastprivate(conditional : y) schedule(guided)
    for (int i = 0; i < 1000; i++)
      if (v[i] < 5)
        y = i * 2;
#pragma omp parallel for lastprivate(conditional : z) schedule(static, 7)
    for (int i = 0; i < 1000; i++)
      if (v[i] == 50)
        z = i;
#pragma omp parallel sections lastprivate(conditional : w)
    {
#pragma omp section
      w = 1;
#pragma omp section
      {
        if (rep < 0) /* never: the last section does not assign */
          w = 2;
      }
    }
    CHECK(x == sx && y == sy && z == sz && w == 1,
          "rep %d: lastprivate(conditional:) dynamic %d (expected %d), guided %d (%d), static,7 "
          "%d (%d), sections %ld (1)", rep, x, sx, y, sy, z, sz, w);
    loops_checked += 4;
  }
}

int main(void)
{
  int team = 0;
#pragma omp parallel
#pragma omp single
  team = omp_get_num_threads();

  combined_loops();
  orphaned_loops(-1000, 777, 3);
  orphaned_loops(1L << 40, 1, 1);
  orphaned_loops(5, 0, 1);
  ull_loops();
  ordered_loops();
  doacross_loops();
  task_reduction_loops();
  scans();
  conditional_lastprivate();

  if (failures) {
    fprintf(stderr, "gomp_loops: %d check(s) failed\n", failures);
    return 1;
  }
  printf("gomp_loops: %ld loops (combined parallel for under every schedule, orphaned guided and "
         "runtime, unsigned long long, ordered, doacross, task reductions, scans, conditional "
         "lastprivate), team of %d: "
         "ok\n", loops_checked, team);
  return 0;
}
