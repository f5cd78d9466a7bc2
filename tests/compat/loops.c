/* loops: worksharing loops. For int, unsigned, long long and unsigned long long induction
 * variables, with the schedules static, static,1, static,7, dynamic, dynamic,5,
 * monotonic:dynamic,3, guided, nonmonotonic:guided,3, runtime (under seven omp_set_schedule
 * settings, int and unsigned long long only), auto and no schedule clause; loops counting up
 * (<, <=) and down (>, >=) with unit, non-unit and larger-than-range steps, zero-, one- and
 * few-trip loops, values that cross 2^31 / 2^40 / 2^63; blocking and nowait. Every iteration must
 * run exactly once; lastprivate of a body variable and of the loop variable must hold the
 * sequentially last values; schedule(static) must hand out one contiguous, thread-ordered chunk
 * per thread, schedule(static, c) chunk k to thread k % nthreads, and static and monotonic
 * schedules must run each thread's iterations in increasing order. Also: collapse(2), a != loop,
 * omp_set_schedule/omp_get_schedule.
 *
 * libomp 14 loses lastprivate values under schedule(dynamic) without a modifier (which it runs
 * as nonmonotonic "static steal"): with 2+ threads the last-iteration flag is often never set.
 * That one check is skipped when the process runs on libomp (no arayon_omp_runtime_name).
 *
 * gcc 12 passes the step of a decreasing `unsigned` (32-bit) loop to GOMP_loop_*_start
 * zero-extended (4294967295 for -1, 4294967289 for -7: -fdump-tree-ompexp shows it), so with a
 * dynamic or guided schedule such a loop runs no iteration, or the wrong ones, on any runtime,
 * libgomp included. Built by gcc, those loops (unsigned, > and >=, dynamic or guided schedules)
 * are left out; the static schedules (inlined by gcc) and the other types still run them. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
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
    fprintf(stderr, "loops.c:%d: check failed (%s): ", line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
  }
  va_end(ap);
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__LINE__, #cond, __VA_ARGS__))
#define MAXIT 2048

enum shape { LT, LE, GT, GE };
enum kind { K_ANY, K_STATIC, K_STATIC_CHUNK, K_MONOTONIC };

static int hits[MAXIT], owner[MAXIT];
static int out_of_range, nonmonotonic;
static long loops_run, loops_skipped;

#if defined(__GNUC__) && !defined(__clang__)
#define GCC_U32_DOWN_STEP_BUG 1
#else
#define GCC_U32_DOWN_STEP_BUG 0
#endif

static void record(long idx, int t, long *prev)
{
  if (idx < 0 || idx >= MAXIT) {
#pragma omp atomic
    out_of_range++;
    return;
  }
#pragma omp atomic
  hits[idx]++;
#pragma omp atomic write
  owner[idx] = t;
  if (idx <= *prev) {
#pragma omp atomic
    nonmonotonic++;
  }
  *prev = idx;
}

#define STR(...) #__VA_ARGS__
#define PRAGMA(...) _Pragma(STR(__VA_ARGS__))

#define UP_BODY                                                                                    \
  {                                                                                                \
    record((long)((iv - start) / step), t, &prev);                                                 \
    lastv = iv;                                                                                    \
  }
#define DOWN_BODY                                                                                  \
  {                                                                                                \
    record((long)((start - iv) / step), t, &prev);                                                 \
    lastv = iv;                                                                                    \
  }

#define FOUR_LOOPS(...)                                                                            \
  switch (shape) {                                                                                 \
  case LT:                                                                                         \
    PRAGMA(omp for __VA_ARGS__ lastprivate(lastv, iv))                                             \
    for (iv = start; iv < end; iv += step)                                                         \
      UP_BODY break;                                                                               \
  case LE:                                                                                         \
    PRAGMA(omp for __VA_ARGS__ lastprivate(lastv, iv))                                             \
    for (iv = start; iv <= end; iv += step)                                                        \
      UP_BODY break;                                                                               \
  case GT:                                                                                         \
    PRAGMA(omp for __VA_ARGS__ lastprivate(lastv, iv))                                             \
    for (iv = start; iv > end; iv -= step)                                                         \
      DOWN_BODY break;                                                                             \
  default:                                                                                         \
    PRAGMA(omp for __VA_ARGS__ lastprivate(lastv, iv))                                             \
    for (iv = start; iv >= end; iv -= step)                                                        \
      DOWN_BODY break;                                                                             \
  }

/* One runner per (type, schedule): runs one loop in a fresh region, returns lastprivates. */
#define DEFINE_RUNNER(T, NAME, ...)                                                                \
  static int NAME(T start, T end, T step, int shape, int nowait, T *lastv_out, T *iv_out)          \
  {                                                                                                \
    T lastv = 0, iv = 0;                                                                           \
    int nt = 0;                                                                                    \
    PRAGMA(omp parallel shared(lastv, iv, nt))                                                     \
    {                                                                                              \
      int t = omp_get_thread_num();                                                                \
      long prev = -1;                                                                              \
      PRAGMA(omp single)                                                                           \
      nt = omp_get_num_threads();                                                                  \
      if (nowait) {                                                                                \
        FOUR_LOOPS(__VA_ARGS__ nowait)                                                             \
        PRAGMA(omp barrier)                                                                        \
      } else {                                                                                     \
        FOUR_LOOPS(__VA_ARGS__)                                                                    \
      }                                                                                            \
    }                                                                                              \
    *lastv_out = lastv;                                                                            \
    *iv_out = iv;                                                                                  \
    return nt;                                                                                     \
  }

struct runner_info {
  const char *name;
  enum kind kind;
  int chunk;
  int steal; /* nonmonotonic dynamic: libomp's lastprivate bug */
};

static int on_libomp;

static const struct runner_info runners[] = {
    {"static", K_STATIC, 0, 0},
    {"static,1", K_STATIC_CHUNK, 1, 0},
    {"static,7", K_STATIC_CHUNK, 7, 0},
    {"dynamic", K_ANY, 0, 1},
    {"dynamic,5", K_ANY, 0, 1},
    {"monotonic:dynamic,3", K_MONOTONIC, 0, 0},
    {"guided", K_ANY, 0, 0},
    {"nonmonotonic:guided,3", K_ANY, 0, 0},
    {"runtime", K_ANY, 0, 0}, /* refined from omp_get_schedule below */
    {"auto", K_ANY, 0, 0},
    {"(none)", K_ANY, 0, 0},
};
#define NRUNNERS (int)(sizeof runners / sizeof runners[0])

#define DEFINE_TYPE(T, TAG)                                                                        \
  DEFINE_RUNNER(T, TAG##_static, schedule(static))                                                 \
  DEFINE_RUNNER(T, TAG##_static1, schedule(static, 1))                                             \
  DEFINE_RUNNER(T, TAG##_static7, schedule(static, 7))                                             \
  DEFINE_RUNNER(T, TAG##_dynamic, schedule(dynamic))                                               \
  DEFINE_RUNNER(T, TAG##_dynamic5, schedule(dynamic, 5))                                           \
  DEFINE_RUNNER(T, TAG##_mdynamic3, schedule(monotonic : dynamic, 3))                              \
  DEFINE_RUNNER(T, TAG##_guided, schedule(guided))                                                 \
  DEFINE_RUNNER(T, TAG##_nmguided3, schedule(nonmonotonic : guided, 3))                            \
  DEFINE_RUNNER(T, TAG##_runtime, schedule(runtime))                                               \
  DEFINE_RUNNER(T, TAG##_auto, schedule(auto))                                                     \
  DEFINE_RUNNER(T, TAG##_none, )                                                                   \
  typedef int (*TAG##_runner)(T, T, T, int, int, T *, T *);                                        \
  static const TAG##_runner TAG##_runners[NRUNNERS] = {                                            \
      TAG##_static,  TAG##_static1, TAG##_static7,   TAG##_dynamic, TAG##_dynamic5, TAG##_mdynamic3, \
      TAG##_guided,  TAG##_nmguided3, TAG##_runtime, TAG##_auto,    TAG##_none};                   \
                                                                                                   \
  /* The sequential answer: trip count, last body value, final loop variable. */                   \
  static long TAG##_serial(T start, T end, T step, int shape, T *lastv, T *final)                  \
  {                                                                                                \
    long trips = 0;                                                                                \
    T iv;                                                                                          \
    switch (shape) {                                                                               \
    case LT:                                                                                       \
      for (iv = start; iv < end; iv += step, trips++)                                              \
        *lastv = iv;                                                                               \
      break;                                                                                       \
    case LE:                                                                                       \
      for (iv = start; iv <= end; iv += step, trips++)                                             \
        *lastv = iv;                                                                               \
      break;                                                                                       \
    case GT:                                                                                       \
      for (iv = start; iv > end; iv -= step, trips++)                                              \
        *lastv = iv;                                                                               \
      break;                                                                                       \
    default:                                                                                       \
      for (iv = start; iv >= end; iv -= step, trips++)                                             \
        *lastv = iv;                                                                               \
      break;                                                                                       \
    }                                                                                              \
    *final = iv;                                                                                   \
    return trips;                                                                                  \
  }                                                                                                \
                                                                                                   \
  static void TAG##_one(int r, enum kind kind, int chunk, T start, T end, T step, int shape,       \
                        int nowait)                                                                \
  {                                                                                                \
    if (GCC_U32_DOWN_STEP_BUG && sizeof(T) == 4 && (T)-1 > (T)0 && shape >= GT &&                 \
        (strstr(runners[r].name, "dynamic") || strstr(runners[r].name, "guided"))) {               \
      loops_skipped++; /* gcc 12's zero-extended step (top of the file) */                         \
      return;                                                                                      \
    }                                                                                              \
    T slast = 0, sfinal = 0, plast = 0, pfinal = 0;                                                \
    long trips = TAG##_serial(start, end, step, shape, &slast, &sfinal);                           \
    memset(hits, 0, sizeof hits);                                                                  \
    memset(owner, -1, sizeof owner);                                                               \
    out_of_range = nonmonotonic = 0;                                                               \
    int nt = TAG##_runners[r](start, end, step, shape, nowait, &plast, &pfinal);                   \
    loops_run++;                                                                                   \
    static const char *const shapes[] = {"<", "<=", ">", ">="};                                    \
    char what[160];                                                                                \
    snprintf(what, sizeof what, "%s %s(%s) start %lld end %lld step %lld (%s, %ld trips, %d thr)", \
             #T, runners[r].name, nowait ? "nowait" : "", (long long)start, (long long)end,        \
             (long long)step, shapes[shape], trips, nt);                                           \
    int dup = 0, missing = 0;                                                                      \
    for (long k = 0; k < MAXIT; k++) {                                                             \
      if (k < trips && hits[k] == 0)                                                               \
        missing++;                                                                                 \
      if (hits[k] > 1 || (k >= trips && hits[k] != 0))                                             \
        dup++;                                                                                     \
    }                                                                                              \
    CHECK(missing == 0 && dup == 0 && out_of_range == 0,                                           \
          "%s: %d iterations missing, %d extra, %d out of range", what, missing, dup,              \
          out_of_range);                                                                           \
    if (trips > 0 && !(on_libomp && runners[r].steal)) {                                           \
      CHECK(plast == slast, "%s: lastprivate body value %lld, expected %lld", what,                \
            (long long)plast, (long long)slast);                                                   \
      CHECK(pfinal == sfinal, "%s: lastprivate loop variable %lld, expected %lld", what,           \
            (long long)pfinal, (long long)sfinal);                                                 \
    }                                                                                              \
    if (kind != K_ANY)                                                                             \
      CHECK(nonmonotonic == 0, "%s: a thread ran its iterations out of order (%d times)", what,    \
            nonmonotonic);                                                                         \
    if (kind == K_STATIC) {                                                                        \
      int bad = 0;                                                                                 \
      for (long k = 1; k < trips && k < MAXIT; k++)                                                \
        if (owner[k] < owner[k - 1])                                                               \
          bad++;                                                                                   \
      CHECK(bad == 0, "%s: schedule(static) chunks not contiguous in thread order", what);         \
    } else if (kind == K_STATIC_CHUNK) {                                                           \
      int bad = 0;                                                                                 \
      for (long k = 0; k < trips && k < MAXIT; k++)                                                \
        if (owner[k] != (int)((k / chunk) % nt))                                                   \
          bad++;                                                                                   \
      CHECK(bad == 0, "%s: %d iterations not on thread (k / %d) %% %d", what, bad, chunk, nt);     \
    }                                                                                              \
  }                                                                                                \
                                                                                                   \
  static void TAG##_all(T base, int r, enum kind kind, int chunk)                                  \
  {                                                                                                \
    static const long cases[][3] = {{0, 1000, 1}, {0, 1000, 7}, {0, 0, 1},    {5, 0, 1},           \
                                    {0, 1, 1},    {0, 3, 1},    {0, 500, 1000}, {0, 2047, 1},      \
                                    {0, 1999, 13}};                                                \
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {                                  \
      T a = (T)(base + (T)cases[c][0]), b = (T)(base + (T)cases[c][1]), s = (T)cases[c][2];        \
      for (int nowait = 0; nowait < 2; nowait++) {                                                 \
        TAG##_one(r, kind, chunk, a, b, s, LT, nowait);                                            \
        TAG##_one(r, kind, chunk, a, b, s, LE, nowait);                                            \
        TAG##_one(r, kind, chunk, b, a, s, GT, nowait);                                            \
        TAG##_one(r, kind, chunk, b, a, s, GE, nowait);                                            \
      }                                                                                            \
    }                                                                                              \
  }

DEFINE_TYPE(int, i32)
DEFINE_TYPE(unsigned, u32)
DEFINE_TYPE(long long, i64)
DEFINE_TYPE(unsigned long long, u64)

static const struct {
  omp_sched_t kind;
  int chunk;
  const char *name;
} runtime_settings[] = {
    {omp_sched_static, 0, "static"},   {omp_sched_static, 3, "static,3"},
    {omp_sched_dynamic, 1, "dynamic,1"}, {omp_sched_dynamic, 4, "dynamic,4"},
    {omp_sched_guided, 0, "guided"},   {omp_sched_guided, 5, "guided,5"},
    {omp_sched_auto, 0, "auto"},
};

static void all_types(int r, enum kind kind, int chunk, int all)
{
  i32_all(-500, r, kind, chunk);
  if (all) {
    u32_all(0x7ffffe00u, r, kind, chunk);
    i64_all((1LL << 40) - 500, r, kind, chunk);
  }
  u64_all(0x7ffffffffffffe00ULL, r, kind, chunk);
}

int main(void)
{
  on_libomp = dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name") == NULL;
  for (int r = 0; r < NRUNNERS; r++) {
    if (strcmp(runners[r].name, "runtime") == 0) {
      for (size_t s = 0; s < sizeof runtime_settings / sizeof runtime_settings[0]; s++) {
        omp_set_schedule(runtime_settings[s].kind, runtime_settings[s].chunk);
        omp_sched_t k;
        int c;
        omp_get_schedule(&k, &c);
        CHECK((k & ~omp_sched_monotonic) == runtime_settings[s].kind,
              "omp_set_schedule(%s) then omp_get_schedule gives kind %d", runtime_settings[s].name,
              (int)k);
        if (runtime_settings[s].chunk > 0)
          CHECK(c == runtime_settings[s].chunk,
                "omp_set_schedule(%s) then omp_get_schedule gives chunk %d",
                runtime_settings[s].name, c);
        enum kind kind = K_ANY;
        if (runtime_settings[s].kind == omp_sched_static)
          kind = runtime_settings[s].chunk > 0 ? K_STATIC_CHUNK : K_STATIC;
        all_types(r, kind, runtime_settings[s].chunk, 0);
      }
    } else {
      all_types(r, runners[r].kind, runners[r].chunk, 1);
    }
  }

  /* collapse(2) with mixed types and a negative inner step. */
  static int grid[40][10];
  memset(grid, 0, sizeof grid);
#pragma omp parallel for collapse(2) schedule(dynamic, 3)
  for (int i = 0; i < 40; i++)
    for (long long j = 5; j > -15; j -= 2) {
#pragma omp atomic
      grid[i][(5 - j) / 2]++;
    }
  int gbad = 0;
  for (int i = 0; i < 40; i++)
    for (int j = 0; j < 10; j++)
      gbad += grid[i][j] != 1;
  CHECK(gbad == 0, "collapse(2): %d of 400 cells not visited exactly once", gbad);

  /* A != loop (OpenMP 5.0 canonical form). gcc 12 accepts != only with a unit increment
   * ("increment is not constant 1 or -1 for '!=' condition"), so gcc runs the same iterations as
   * a < loop; clang keeps the != case. */
  int ne_hits[64] = {0};
#pragma omp parallel for schedule(static, 2)
#ifdef __clang__
  for (unsigned i = 3; i != 3 + 3 * 50; i += 3) {
#else
  for (unsigned i = 3; i < 3 + 3 * 50; i += 3) {
#endif
#pragma omp atomic
    ne_hits[(i - 3) / 3]++;
  }
  int nebad = 0;
  for (int k = 0; k < 64; k++)
    nebad += ne_hits[k] != (k < 50);
  CHECK(nebad == 0, "!= loop: %d iterations wrong", nebad);

  if (failures) {
    fprintf(stderr, "loops: %d check(s) failed\n", failures);
    return 1;
  }
  printf("loops: %ld worksharing loops (4 types x %d schedules, 7 runtime settings, 4 "
         "shapes, 9 bounds, blocking and nowait), collapse(2), != loop: ok\n", loops_run, NRUNNERS);
  if (loops_skipped)
    printf("loops: %ld decreasing unsigned dynamic/guided loops left out (gcc 12 passes their "
           "step zero-extended)\n", loops_skipped);
  return 0;
}
