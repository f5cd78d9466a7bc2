/*
 * bench_forkjoin.c - fork-join overheads of an OpenMP runtime: the cost of each
 * synchronisation and work-sharing construct, and two bulk-synchronous kernels.
 *
 * One OpenMP C source, built twice (bench/CMakeLists.txt, targets bench-forkjoin-clang and
 * bench-forkjoin-gcc): `clang -O2 -fopenmp` (libomp's __kmpc_* ABI) and `gcc -O2 -fopenmp`
 * (libgomp's GOMP_* ABI). Each binary runs on its own runtime and, unchanged, on arayon
 * (LD_PRELOAD=<build>/compat/libarayon-omp.so, or build/<preset>/arayon-run). The process
 * says which runtime it found (arayon_omp_runtime_name() through dlsym; else libomp when
 * __kmpc_fork_call resolves, libgomp when GOMP_parallel does) and the team size
 * (omp_get_max_threads(), i.e. OMP_NUM_THREADS, or --threads).
 *
 * Method (the one of EPCC's syncbench, written anew here): a construct wraps a calibrated
 * busy delay (a dependent floating-point loop, --delay-us, 0.1 us by default) and is executed
 * `reps` times in a row; the same delay executed `reps` times without the construct, on one
 * thread, is the reference; overhead = (time of the test - time of the reference) / reps, in
 * microseconds per construct. The test is repeated `outer` times (--outer, default 20); the
 * line gives the mean, standard deviation, median and minimum of the overheads. Unless --reps
 * fixes it, reps is chosen per construct (and per runtime) so that one test lasts at least
 * --test-ms (1 ms; at least 16 reps), and a construct stops repeating its test once it has
 * spent --budget-ms (2000 ms; at least 3 tests): a runtime that needs 400 us per barrier
 * still finishes every construct in about two seconds (a kernel, likewise, is run
 * --kernel-reps times or until it has spent --budget-ms, at least once, and one run that
 * exceeds --kernel-limit-ms, 5 s, stops early and is extrapolated). Each construct also
 * checks that it did what OpenMP says (counters, copied values, order): a wrong one prints
 * WRONG and an ERROR line, and the process exits 1.
 *
 *   PARALLEL      reps x `parallel { delay }`
 *   FOR           `parallel { reps x for schedule(static) over T iterations { delay } }`
 *   PARALLEL_FOR  reps x `parallel for schedule(static)` over T iterations { delay }
 *   BARRIER       `parallel { reps x { delay; barrier } }`
 *   SINGLE        `parallel { reps x single { delay } }` (its implicit barrier included)
 *   CRITICAL      `parallel { reps/T x critical { delay } }` (reps delays in all, serialised)
 *   LOCK          as CRITICAL with omp_set_lock / omp_unset_lock
 *   ATOMIC        `parallel { reps/T x atomic x += 1 }` (no delay; the reference is reps
 *                 plain additions)
 *   REDUCTION     reps x `parallel reduction(+:x) { delay; x += 1 }`
 *   ORDERED       `parallel for schedule(static,1) ordered` over reps iterations, each
 *                 `ordered { delay }` (serialised)
 *   SECTIONS      `parallel { reps x sections { 4 x section { delay } } }` (the reference is
 *                 ceil(4/T) delays per construct)
 *   DYNAMIC       `parallel { reps x for schedule(dynamic,1) over 8T iterations { delay } }`
 *                 (reference 8 delays per construct: the dispatch of 8T chunks)
 *   GUIDED        as DYNAMIC with schedule(guided)
 *   PRIVATE       reps x `parallel private(a) { delay }`, a = int[1000]
 *   FIRSTPRIVATE  reps x `parallel firstprivate(a) { delay }` (4 KB copied per thread)
 *   COPYPRIVATE   `parallel { reps x single copyprivate(a) { delay } }`
 *   COPYIN        reps x `parallel copyin(t) { delay }`, t a threadprivate int[1000]
 *
 * Kernels (bulk-synchronous; the result is checked against a serial computation):
 *   jacobi   N doubles (20,000), S sweeps (2,000): one `parallel` region; per sweep a
 *            `for schedule(static)` 3-point stencil (its implicit barrier is the sync) and a
 *            `single` that swaps the two arrays. Total ms.
 *   redloop  S steps (10,000), each a `parallel for reduction(+:s) schedule(static)` over M
 *            doubles (4,096). Total ms.
 *
 * Output: `#` lines are comments; every other line is
 *   fj runtime=<rt> compiler=<cc> threads=<T> setup=1 lib=<file> delay_iters=... ...
 *   fj runtime=<rt> compiler=<cc> threads=<T> construct=<NAME> reps=<R> n=<tests>
 *      mean_us=... sd_us=... median_us=... min_us=... ref_us=... ok|WRONG
 *   fj runtime=<rt> compiler=<cc> threads=<T> kernel=<name> n=... steps=... reps=<K>
 *      ms=<median> min_ms=<min> [capped=1 sweeps_done=|steps_done=...] ok|WRONG
 *   ERROR <text>                               (a wrong result: exit status 1)
 * `--which-runtime` prints the runtime's name, then the files that define the program's
 * omp_get_thread_num (and, gcc binary, GOMP_parallel), as bench_omp.c does, and exits.
 */
#define _GNU_SOURCE /* clock_gettime, dladdr, RTLD_DEFAULT */
#include <ctype.h>
#include <dlfcn.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__clang__)
#define FJ_COMPILER "clang"
#elif defined(__GNUC__)
#define FJ_COMPILER "gcc"
/* libgomp's entry point for `parallel` (gcc -fopenmp calls it; no header declares it): its
 * address tells --which-runtime which library the program's GOMP_* calls go to. */
void GOMP_parallel(void (*fn)(void *), void *data, unsigned nthreads, unsigned flags);
#else
#define FJ_COMPILER "cc"
#endif

#define ARR_N 1000      /* ints in the PRIVATE / FIRSTPRIVATE / COPYPRIVATE / COPYIN array */
#define NSECTIONS 4     /* sections per SECTIONS construct */
#define ITERS_PER_THR 8 /* iterations per thread of DYNAMIC / GUIDED */
#define MAX_OUTER 1000

/* --------------------------------------------------------------------------------------
 * Options, runtime name, clock
 * ------------------------------------------------------------------------------------ */
static struct {
    long reps;         /* 0: chosen per construct (test_ms) */
    int outer;         /* tests per construct */
    double delay_us;   /* the delay inside each construct */
    double test_ms;    /* auto reps: one test lasts at least this long */
    double budget_ms;  /* per construct: stop repeating after this (at least 3 tests) */
    long min_reps;     /* auto reps start here */
    int threads;       /* 0: omp_get_max_threads() */
    long jacobi_n, jacobi_sweeps;
    long red_steps, red_elems;
    int kernel_reps;
    double kernel_limit_ms; /* one kernel run stops (extrapolated, capped=1) after this */
    int quick;
    char only[1024];   /* normalized, comma-separated; empty = everything */
} opt = {0, 20, 0.1, 1.0, 2000.0, 16, 0, 20000, 2000, 10000, 4096, 3, 5000.0, 0, ""};

static const char *g_rt = "unknown"; /* arayon, libomp or libgomp */
static int g_T;                      /* team size */
static long g_delay_iters;
static double g_delay_us_measured;
static volatile double g_sink; /* keeps results alive; written only on unlikely paths */
static long g_bad;             /* failed checks of the current construct (atomic updates) */
static int g_failures;         /* constructs or kernels that were WRONG */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef const char *(*name_fn)(void);

static const char *runtime_name(void)
{
    void *p = dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name");
    if (p) {
        name_fn fn;
        memcpy(&fn, &p, sizeof fn); /* object pointer -> function pointer */
        const char *n = fn();
        return n && *n ? n : "arayon";
    }
    /* libomp also exports GOMP_* (its libgomp compatibility), libgomp no __kmpc_*: ask for
     * __kmpc_fork_call first. */
    if (dlsym(RTLD_DEFAULT, "__kmpc_fork_call"))
        return "libomp";
    if (dlsym(RTLD_DEFAULT, "GOMP_parallel"))
        return "libgomp";
    return "unknown";
}

/* The file that defines the function at ADDR (dladdr), spaces replaced so that it stays one
 * field of a line. */
static const char *defining_file(void *addr, char *buf, size_t len)
{
    Dl_info info;
    const char *f = (dladdr(addr, &info) && info.dli_fname) ? info.dli_fname : "?";
    snprintf(buf, len, "%s", f);
    for (char *c = buf; *c; c++)
        if (*c == ' ')
            *c = '?';
    return buf;
}

static const char *omp_lib_file(char *buf, size_t len)
{
    int (*fn)(void) = omp_get_thread_num;
    void *addr;
    memcpy(&addr, &fn, sizeof addr);
    return defining_file(addr, buf, len);
}

static int which_runtime(void)
{
    char buf[512];
    printf("%s\n", runtime_name());
    int team = 0;
#pragma omp parallel num_threads(2) shared(team)
    {
#pragma omp single
        team = omp_get_num_threads();
    }
    printf("omp_get_thread_num %s team_of_2=%d\n", omp_lib_file(buf, sizeof buf), team);
#if !defined(__clang__) && defined(__GNUC__)
    void (*gfn)(void (*)(void *), void *, unsigned, unsigned) = GOMP_parallel;
    void *addr;
    memcpy(&addr, &gfn, sizeof addr);
    printf("GOMP_parallel %s\n", defining_file(addr, buf, sizeof buf));
#endif
    return 0;
}

/* --------------------------------------------------------------------------------------
 * The delay: a dependent floating-point loop (not reassociated without -ffast-math, so
 * neither compiler folds or vectorises it), calibrated at start-up.
 * ------------------------------------------------------------------------------------ */
__attribute__((noinline)) static void delay(long iters)
{
    double a = 0.0;
    for (long i = 0; i < iters; i++)
        a += (double)i;
    if (a < 0.0) /* never: keeps the loop */
        g_sink = a;
}

static void calibrate_delay(void)
{
    const long probe = 2000;
    double best = 1e30;
    for (int k = 0; k < 7; k++) {
        double t0 = now_s();
        for (int j = 0; j < 200; j++)
            delay(probe);
        double t = (now_s() - t0) / (200.0 * (double)probe);
        if (t < best)
            best = t;
    }
    g_delay_iters = (long)(opt.delay_us * 1e-6 / best + 0.5);
    if (g_delay_iters < 1)
        g_delay_iters = 1;
    double t0 = now_s();
    for (int j = 0; j < 10000; j++)
        delay(g_delay_iters);
    g_delay_us_measured = (now_s() - t0) / 10000.0 * 1e6;
}

/* The reference: COUNT delays on this thread, seconds (median of 3). */
static double ref_delays(long count)
{
    double t[3];
    for (int k = 0; k < 3; k++) {
        double t0 = now_s();
        for (long j = 0; j < count; j++)
            delay(g_delay_iters);
        t[k] = now_s() - t0;
    }
    double lo = t[0] < t[1] ? t[0] : t[1], hi = t[0] < t[1] ? t[1] : t[0];
    return t[2] < lo ? lo : (t[2] > hi ? hi : t[2]);
}

static void bad(void)
{
#pragma omp atomic
    g_bad++;
}

/* --------------------------------------------------------------------------------------
 * The constructs. Each runs REPS of its construct (the caller times the call).
 * ------------------------------------------------------------------------------------ */
static void t_parallel(long reps)
{
    for (long j = 0; j < reps; j++) {
#pragma omp parallel
        delay(g_delay_iters);
    }
}

static void t_for(long reps)
{
    int T = g_T;
#pragma omp parallel
    {
        for (long j = 0; j < reps; j++) {
#pragma omp for schedule(static)
            for (int i = 0; i < T; i++)
                delay(g_delay_iters);
        }
    }
}

static void t_parallel_for(long reps)
{
    int T = g_T;
    for (long j = 0; j < reps; j++) {
#pragma omp parallel for schedule(static)
        for (int i = 0; i < T; i++)
            delay(g_delay_iters);
    }
}

static void t_barrier(long reps)
{
#pragma omp parallel
    {
        for (long j = 0; j < reps; j++) {
            delay(g_delay_iters);
#pragma omp barrier
        }
    }
}

static void t_single(long reps)
{
    long count = 0;
#pragma omp parallel shared(count)
    {
        for (long j = 0; j < reps; j++) {
#pragma omp single
            {
                delay(g_delay_iters);
                count++;
            }
        }
    }
    if (count != reps)
        bad();
}

static void t_critical(long reps)
{
    long count = 0, per = reps / g_T;
#pragma omp parallel shared(count)
    {
        for (long j = 0; j < per; j++) {
#pragma omp critical
            {
                delay(g_delay_iters);
                count++;
            }
        }
    }
    if (count != per * g_T)
        bad();
}

static omp_lock_t g_lock;

static void t_lock(long reps)
{
    long count = 0, per = reps / g_T;
#pragma omp parallel shared(count)
    {
        for (long j = 0; j < per; j++) {
            omp_set_lock(&g_lock);
            delay(g_delay_iters);
            count++;
            omp_unset_lock(&g_lock);
        }
    }
    if (count != per * g_T)
        bad();
}

static void t_atomic(long reps)
{
    double x = 0.0;
    long per = reps / g_T;
#pragma omp parallel shared(x)
    {
        for (long j = 0; j < per; j++) {
#pragma omp atomic
            x += 1.0;
        }
    }
    if (x != (double)(per * g_T))
        bad();
}

/* ATOMIC's reference: REPS plain additions on this thread. */
static double ref_adds(long reps)
{
    volatile double x = 0.0;
    double t0 = now_s();
    for (long j = 0; j < reps; j++)
        x = x + 1.0;
    return now_s() - t0;
}

static void t_reduction(long reps)
{
    long total = 0;
    for (long j = 0; j < reps; j++) {
        long x = 0;
#pragma omp parallel reduction(+ : x)
        {
            delay(g_delay_iters);
            x += 1;
        }
        total += x;
    }
    if (total != reps * g_T)
        bad();
}

static void t_ordered(long reps)
{
    long next = 0;
#pragma omp parallel shared(next)
    {
#pragma omp for schedule(static, 1) ordered
        for (long i = 0; i < reps; i++) {
#pragma omp ordered
            {
                delay(g_delay_iters);
                if (next != i)
                    bad();
                next = i + 1;
            }
        }
    }
    if (next != reps)
        bad();
}

static struct {
    long n;
    char pad[64 - sizeof(long)];
} g_sec[NSECTIONS];

static void t_sections(long reps)
{
    for (int s = 0; s < NSECTIONS; s++)
        g_sec[s].n = 0;
#pragma omp parallel
    {
        for (long j = 0; j < reps; j++) {
#pragma omp sections
            {
#pragma omp section
                {
                    delay(g_delay_iters);
                    g_sec[0].n++;
                }
#pragma omp section
                {
                    delay(g_delay_iters);
                    g_sec[1].n++;
                }
#pragma omp section
                {
                    delay(g_delay_iters);
                    g_sec[2].n++;
                }
#pragma omp section
                {
                    delay(g_delay_iters);
                    g_sec[3].n++;
                }
            }
        }
    }
    for (int s = 0; s < NSECTIONS; s++)
        if (g_sec[s].n != reps)
            bad();
}

static void t_dynamic(long reps)
{
    long total = 0;
    int n = g_T * ITERS_PER_THR;
#pragma omp parallel shared(total)
    {
        long mine = 0;
        for (long j = 0; j < reps; j++) {
#pragma omp for schedule(dynamic, 1)
            for (int i = 0; i < n; i++) {
                delay(g_delay_iters);
                mine++;
            }
        }
#pragma omp atomic
        total += mine;
    }
    if (total != reps * n)
        bad();
}

static void t_guided(long reps)
{
    long total = 0;
    int n = g_T * ITERS_PER_THR;
#pragma omp parallel shared(total)
    {
        long mine = 0;
        for (long j = 0; j < reps; j++) {
#pragma omp for schedule(guided)
            for (int i = 0; i < n; i++) {
                delay(g_delay_iters);
                mine++;
            }
        }
#pragma omp atomic
        total += mine;
    }
    if (total != reps * n)
        bad();
}

/* Reads the array so that the compiler keeps it (and its copy). */
__attribute__((noinline)) static int touch(const int *a)
{
    return a[0] + a[ARR_N - 1];
}

static void t_private(long reps)
{
    int a[ARR_N];
    for (long j = 0; j < reps; j++) {
#pragma omp parallel private(a)
        {
            a[0] = 1;
            a[ARR_N - 1] = 2;
            delay(g_delay_iters);
            if (touch(a) != 3)
                bad();
        }
    }
}

static void t_firstprivate(long reps)
{
    int a[ARR_N];
    for (int i = 0; i < ARR_N; i++)
        a[i] = i;
    for (long j = 0; j < reps; j++) {
        a[0] = (int)j;
#pragma omp parallel firstprivate(a)
        {
            delay(g_delay_iters);
            if (touch(a) != (int)j + ARR_N - 1)
                bad();
        }
    }
}

static void t_copyprivate(long reps)
{
#pragma omp parallel
    {
        int a[ARR_N];
        a[ARR_N - 1] = 0;
        for (long j = 0; j < reps; j++) {
#pragma omp single copyprivate(a)
            {
                delay(g_delay_iters);
                for (int i = 0; i < ARR_N; i++)
                    a[i] = (int)j;
            }
            if (touch(a) != 2 * (int)j)
                bad();
        }
    }
}

static int g_tp[ARR_N];
#pragma omp threadprivate(g_tp)

static void t_copyin(long reps)
{
    for (long j = 0; j < reps; j++) {
        g_tp[0] = (int)j;
        g_tp[ARR_N - 1] = (int)j;
#pragma omp parallel copyin(g_tp)
        {
            delay(g_delay_iters);
            if (touch(g_tp) != 2 * (int)j)
                bad();
        }
    }
}

enum ref_kind { REF_DELAY, REF_ADD };

typedef struct construct {
    const char *name;
    void (*run)(long reps);
    int per_thread;  /* reps is split over the team: a multiple of T */
    enum ref_kind ref;
    int ref_mult;    /* delays per construct in the reference (0: ceil(NSECTIONS/T)) */
} construct;

static const construct constructs[] = {
    {"PARALLEL", t_parallel, 0, REF_DELAY, 1},
    {"FOR", t_for, 0, REF_DELAY, 1},
    {"PARALLEL_FOR", t_parallel_for, 0, REF_DELAY, 1},
    {"BARRIER", t_barrier, 0, REF_DELAY, 1},
    {"SINGLE", t_single, 0, REF_DELAY, 1},
    {"CRITICAL", t_critical, 1, REF_DELAY, 1},
    {"LOCK", t_lock, 1, REF_DELAY, 1},
    {"ATOMIC", t_atomic, 1, REF_ADD, 1},
    {"REDUCTION", t_reduction, 0, REF_DELAY, 1},
    {"ORDERED", t_ordered, 0, REF_DELAY, 1},
    {"SECTIONS", t_sections, 0, REF_DELAY, 0},
    {"DYNAMIC", t_dynamic, 0, REF_DELAY, ITERS_PER_THR},
    {"GUIDED", t_guided, 0, REF_DELAY, ITERS_PER_THR},
    {"PRIVATE", t_private, 0, REF_DELAY, 1},
    {"FIRSTPRIVATE", t_firstprivate, 0, REF_DELAY, 1},
    {"COPYPRIVATE", t_copyprivate, 0, REF_DELAY, 1},
    {"COPYIN", t_copyin, 0, REF_DELAY, 1},
};
#define NCONSTRUCTS ((int)(sizeof constructs / sizeof constructs[0]))
static const char *const kernels[] = {"jacobi", "redloop"};

/* --------------------------------------------------------------------------------------
 * Statistics and the measurement of one construct
 * ------------------------------------------------------------------------------------ */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static long round_reps(const construct *c, long reps)
{
    if (c->per_thread) {
        reps -= reps % g_T;
        if (reps < g_T)
            reps = g_T;
    }
    return reps < 1 ? 1 : reps;
}

static double time_run(const construct *c, long reps)
{
    double t0 = now_s();
    c->run(reps);
    return now_s() - t0;
}

static void measure(const construct *c)
{
    double start = now_s(), budget = opt.budget_ms * 1e-3;
    long reps;
    g_bad = 0;
    /* reps: fixed, or grown from min_reps (x2 to x8 a step) until one test lasts test_ms
     * (the tuning runs are the warm-up). */
    if (opt.reps > 0) {
        reps = round_reps(c, opt.reps);
        (void)time_run(c, reps); /* warm-up */
    } else {
        reps = round_reps(c, opt.min_reps);
        for (;;) {
            /* the better of two runs: one preempted run must not stop the tuning early */
            double t = time_run(c, reps), t2 = time_run(c, reps);
            t = t2 < t ? t2 : t;
            if (t >= opt.test_ms * 1e-3 || reps >= (1L << 24) || now_s() - start > budget / 4)
                break;
            double f = t > 0 ? opt.test_ms * 1e-3 / t : 8.0;
            f = f < 2.0 ? 2.0 : (f > 8.0 ? 8.0 : f);
            reps = round_reps(c, (long)((double)reps * f));
        }
    }
    int mult = c->ref_mult ? c->ref_mult : (NSECTIONS + g_T - 1) / g_T;
    double ref = c->ref == REF_ADD ? ref_adds(reps) : ref_delays(reps * mult);

    double s[MAX_OUTER];
    int n = 0;
    while (n < opt.outer) {
        double t = time_run(c, reps);
        s[n++] = (t - ref) / (double)reps * 1e6;
        double el = now_s() - start;
        if ((el > budget && n >= 3) || el > 3 * budget)
            break;
    }
    double mean = 0, sd = 0;
    for (int i = 0; i < n; i++)
        mean += s[i];
    mean /= n;
    for (int i = 0; i < n; i++)
        sd += (s[i] - mean) * (s[i] - mean);
    sd = n > 1 ? sqrt(sd / (n - 1)) : 0.0;
    qsort(s, (size_t)n, sizeof s[0], cmp_double);
    double median = (n % 2) ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    int wrong = g_bad != 0;
    printf("fj runtime=%s compiler=%s threads=%d construct=%s reps=%ld n=%d mean_us=%.4f "
           "sd_us=%.4f median_us=%.4f min_us=%.4f ref_us=%.4f %s\n",
           g_rt, FJ_COMPILER, g_T, c->name, reps, n, mean, sd, median, s[0],
           ref / (double)reps * 1e6, wrong ? "WRONG" : "ok");
    if (wrong) {
        printf("ERROR runtime=%s compiler=%s threads=%d construct=%s: %ld failed checks "
               "(counters, copied values or order not as OpenMP specifies)\n",
               g_rt, FJ_COMPILER, g_T, c->name, g_bad);
        g_failures++;
    }
}

/* --------------------------------------------------------------------------------------
 * Kernels. A run that exceeds --kernel-limit-ms stops early (after the sweep or step in
 * progress): its time is extrapolated to the full size (ms x total / done) and the line says
 * capped=1 and how many sweeps or steps the shortest such run did. The result is checked
 * against the serial computation of the same number of sweeps / steps.
 * ------------------------------------------------------------------------------------ */
static void jacobi_init(double *a, double *b, long n)
{
    for (long i = 0; i < n; i++)
        a[i] = b[i] = (double)((i * 7919) % 1000) * 0.001;
}

/* One parallel region; per sweep a static for (implicit barrier) and a single that swaps
 * (and, every 16 sweeps, looks at the clock: past DEADLINE, the sweeps end there). */
static double *jacobi_par(double *a, double *b, long n, long sweeps, double deadline,
                          long *done)
{
    double *src = a, *dst = b;
    long end = sweeps;
#pragma omp parallel shared(src, dst, end)
    {
        for (long s = 0; s < end; s++) {
            const double *x = src;
            double *y = dst;
#pragma omp for schedule(static)
            for (long i = 1; i < n - 1; i++)
                y[i] = (x[i - 1] + x[i] + x[i + 1]) * (1.0 / 3.0);
#pragma omp single
            {
                double *t = src;
                src = dst;
                dst = t;
                if ((s & 15) == 15 && now_s() > deadline)
                    end = s + 1; /* read by every thread after the single's barrier */
            }
        }
    }
    *done = end;
    return src;
}

static double *jacobi_serial(double *a, double *b, long n, long sweeps)
{
    double *src = a, *dst = b;
    for (long s = 0; s < sweeps; s++) {
        for (long i = 1; i < n - 1; i++)
            dst[i] = (src[i - 1] + src[i] + src[i + 1]) * (1.0 / 3.0);
        double *t = src;
        src = dst;
        dst = t;
    }
    return src;
}

/* The kernel's line: median and minimum of the K runs' times (ms[], extrapolated when a run
 * was capped; MIN_DONE = the fewest sweeps or steps a capped run did, 0 when none was). */
static void print_kernel(const char *name, const char *sizes, double *ms, int k, long min_done,
                         const char *unit, int wrong, const char *why)
{
    qsort(ms, (size_t)k, sizeof ms[0], cmp_double);
    double med = (k % 2) ? ms[k / 2] : 0.5 * (ms[k / 2 - 1] + ms[k / 2]);
    char cap[64] = "";
    if (min_done > 0)
        snprintf(cap, sizeof cap, " capped=1 %s_done=%ld", unit, min_done);
    printf("fj runtime=%s compiler=%s threads=%d kernel=%s %s reps=%d ms=%.3f min_ms=%.3f%s %s\n",
           g_rt, FJ_COMPILER, g_T, name, sizes, k, med, ms[0], cap, wrong ? "WRONG" : "ok");
    if (wrong) {
        printf("ERROR runtime=%s compiler=%s threads=%d kernel=%s: %s\n", g_rt, FJ_COMPILER,
               g_T, name, why);
        g_failures++;
    }
}

static void kernel_jacobi(void)
{
    long n = opt.jacobi_n, sw = opt.jacobi_sweeps;
    double *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
    double *ra = malloc((size_t)n * sizeof *ra), *rb = malloc((size_t)n * sizeof *rb);
    if (!a || !b || !ra || !rb) {
        printf("ERROR kernel=jacobi: out of memory\n");
        exit(1);
    }
    jacobi_init(ra, rb, n);
    const double *ref = jacobi_serial(ra, rb, n, sw);
    double ms[64];
    int k = opt.kernel_reps, wrong = 0;
    long min_done = 0;
    double maxdiff = 0, start = now_s();
    for (int r = 0; r < k; r++) {
        if (r > 0 && now_s() - start > opt.budget_ms * 1e-3) {
            k = r; /* out of time: the runs so far */
            break;
        }
        jacobi_init(a, b, n);
        long done;
        double t0 = now_s();
        const double *res = jacobi_par(a, b, n, sw, t0 + opt.kernel_limit_ms * 1e-3, &done);
        ms[r] = (now_s() - t0) * 1e3;
        const double *want = ref;
        if (done < sw) { /* capped: extrapolate, and check against as many serial sweeps */
            ms[r] *= (double)sw / (double)done;
            if (min_done == 0 || done < min_done)
                min_done = done;
            jacobi_init(ra, rb, n);
            want = jacobi_serial(ra, rb, n, done);
        }
        for (long i = 0; i < n; i++) {
            double d = fabs(res[i] - want[i]);
            if (d > maxdiff)
                maxdiff = d;
        }
        if (want != ref) { /* the full reference again, for the next run */
            jacobi_init(ra, rb, n);
            ref = jacobi_serial(ra, rb, n, sw);
        }
    }
    /* The same operations in the same order per element: equal up to rounding of a
     * contracted multiply-add, which a compiler may use on one side only. */
    if (maxdiff > 1e-9)
        wrong = 1;
    char sizes[96], why[128];
    snprintf(sizes, sizeof sizes, "n=%ld sweeps=%ld", n, sw);
    snprintf(why, sizeof why, "differs from the serial sweeps by up to %g", maxdiff);
    print_kernel("jacobi", sizes, ms, k, min_done, "sweeps", wrong, why);
    free(a);
    free(b);
    free(ra);
    free(rb);
}

static void kernel_redloop(void)
{
    long steps = opt.red_steps, m = opt.red_elems;
    double *v = malloc((size_t)m * sizeof *v);
    if (!v) {
        printf("ERROR kernel=redloop: out of memory\n");
        exit(1);
    }
    double expect = 0;
    for (long i = 0; i < m; i++) {
        v[i] = (double)(i % 7); /* small integers: every partial sum is exact */
        expect += v[i];
    }
    double ms[64];
    int k = opt.kernel_reps;
    long wrong_steps = 0, all_steps = 0, min_done = 0;
    double last = 0, start = now_s();
    for (int r = 0; r < k; r++) {
        if (r > 0 && now_s() - start > opt.budget_ms * 1e-3) {
            k = r; /* out of time: the runs so far */
            break;
        }
        double t0 = now_s(), deadline = t0 + opt.kernel_limit_ms * 1e-3;
        long st = 0;
        while (st < steps) {
            double s = 0;
#pragma omp parallel for reduction(+ : s) schedule(static)
            for (long i = 0; i < m; i++)
                s += v[i];
            if (s != expect) {
                wrong_steps++;
                last = s;
            }
            st++;
            if ((st & 15) == 0 && now_s() > deadline)
                break;
        }
        ms[r] = (now_s() - t0) * 1e3;
        all_steps += st;
        if (st < steps) {
            ms[r] *= (double)steps / (double)st;
            if (min_done == 0 || st < min_done)
                min_done = st;
        }
    }
    char sizes[96], why[160];
    snprintf(sizes, sizeof sizes, "steps=%ld elems=%ld", steps, m);
    snprintf(why, sizeof why, "%ld of %ld steps summed wrong (e.g. %.17g instead of %.17g)",
             wrong_steps, all_steps, last, expect);
    print_kernel("redloop", sizes, ms, k, min_done, "steps", wrong_steps != 0, why);
    free(v);
}

/* --------------------------------------------------------------------------------------
 * Command line
 * ------------------------------------------------------------------------------------ */
static void usage(FILE *f)
{
    fprintf(f,
        "bench_forkjoin - overhead of OpenMP fork-join constructs (EPCC syncbench method) and\n"
        "two bulk-synchronous kernels, on whichever OpenMP runtime the process runs.\n\n"
        "  bench_forkjoin [options]            (team size: OMP_NUM_THREADS or --threads)\n"
        "  bench_forkjoin --which-runtime      which runtime the process uses, then exit\n\n"
        "  --only LIST       constructs and kernels to run, comma-separated, any case:\n"
        "                    PARALLEL FOR PARALLEL_FOR BARRIER SINGLE CRITICAL LOCK ATOMIC\n"
        "                    REDUCTION ORDERED SECTIONS DYNAMIC GUIDED PRIVATE FIRSTPRIVATE\n"
        "                    COPYPRIVATE COPYIN, jacobi redloop; or the groups constructs,\n"
        "                    kernels (default: everything)\n"
        "  --reps R          constructs per test (default: chosen per construct so that a\n"
        "                    test lasts --test-ms, at least 16)\n"
        "  --outer N         tests per construct (default 20; --quick 5; max %d)\n"
        "  --delay-us X      busy delay inside each construct, us (default 0.1)\n"
        "  --test-ms X       automatic reps: one test lasts at least X ms (default 1)\n"
        "  --budget-ms X     per construct: no new test after X ms once 3 are done\n"
        "                    (default 2000; --quick 250)\n"
        "  --threads T       team size (omp_set_num_threads; default omp_get_max_threads())\n"
        "  --jacobi N,S      jacobi kernel: N doubles, S sweeps (default 20000,2000)\n"
        "  --redloop S,M     reduction kernel: S steps over M doubles (default 10000,4096)\n"
        "  --kernel-reps K   runs of each kernel, median reported (default 3; --quick 1;\n"
        "                    no new run once the kernel has spent --budget-ms)\n"
        "  --kernel-limit-ms X  a kernel run stops after X ms (default 5000; --quick 1000):\n"
        "                    its time is extrapolated to the full size (capped=1 on the line)\n"
        "  --quick           CI smoke sizes: outer 5, test 0.2 ms, budget 250 ms, jacobi\n"
        "                    2000,100, redloop 500,1024, kernel reps 1, kernel limit 1000 ms\n",
        MAX_OUTER);
}

static void normalize(const char *in, char *out, size_t len)
{
    size_t j = 0;
    for (; *in && j + 1 < len; in++) {
        if (*in == '_' || *in == '-' || *in == ' ')
            continue;
        out[j++] = (char)toupper((unsigned char)*in);
    }
    out[j] = 0;
}

/* Is NAME selected by --only? */
static int selected(const char *name, int is_kernel)
{
    if (!opt.only[0])
        return 1;
    char want[64];
    normalize(name, want, sizeof want);
    char buf[sizeof opt.only];
    memcpy(buf, opt.only, sizeof buf);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, want) || !strcmp(t, "ALL"))
            return 1;
        if (!strcmp(t, is_kernel ? "KERNELS" : "CONSTRUCTS"))
            return 1;
    }
    return 0;
}

static int known(const char *tok)
{
    char n[64];
    if (!strcmp(tok, "ALL") || !strcmp(tok, "KERNELS") || !strcmp(tok, "CONSTRUCTS"))
        return 1;
    for (int i = 0; i < NCONSTRUCTS; i++) {
        normalize(constructs[i].name, n, sizeof n);
        if (!strcmp(n, tok))
            return 1;
    }
    for (int i = 0; i < 2; i++) {
        normalize(kernels[i], n, sizeof n);
        if (!strcmp(n, tok))
            return 1;
    }
    return 0;
}

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "bench_forkjoin: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    usage(stderr);
    exit(2);
}

static double num(const char *s, const char *what)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= 0))
        die(what, s);
    return v;
}

static void pair(const char *s, long *a, long *b, const char *what)
{
    char *end;
    long x = strtol(s, &end, 10);
    if (end == s || *end != ',' || x < 1)
        die(what, s);
    long y = strtol(end + 1, &end, 10);
    if (*end || y < 1)
        die(what, s);
    *a = x;
    *b = y;
}

static void parse(int argc, char **argv)
{
    int outer_set = 0, budget_set = 0, test_set = 0, kreps_set = 0, jac_set = 0, red_set = 0;
    int klimit_set = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED()                                                                               \
    do {                                                                                     \
        if (!v)                                                                              \
            die("option needs a value", a);                                                  \
        i++;                                                                                 \
    } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--quick")) {
            opt.quick = 1;
        } else if (!strcmp(a, "--only")) {
            NEED();
            char buf[sizeof opt.only], tok[64];
            snprintf(buf, sizeof buf, "%s", v);
            opt.only[0] = 0;
            for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
                 t = strtok_r(NULL, ",", &save)) {
                normalize(t, tok, sizeof tok);
                if (!known(tok))
                    die("unknown construct or kernel in --only", t);
                if (strlen(opt.only) + strlen(tok) + 2 >= sizeof opt.only)
                    die("--only list too long", NULL);
                if (opt.only[0])
                    strcat(opt.only, ",");
                strcat(opt.only, tok);
            }
        } else if (!strcmp(a, "--reps")) {
            NEED();
            opt.reps = (long)num(v, "--reps needs a number");
            if (opt.reps < 1)
                die("--reps must be at least 1", v);
        } else if (!strcmp(a, "--outer")) {
            NEED();
            opt.outer = (int)num(v, "--outer needs a number");
            outer_set = 1;
            if (opt.outer < 1 || opt.outer > MAX_OUTER)
                die("--outer out of range", v);
        } else if (!strcmp(a, "--delay-us")) {
            NEED();
            opt.delay_us = num(v, "--delay-us needs a number");
        } else if (!strcmp(a, "--test-ms")) {
            NEED();
            opt.test_ms = num(v, "--test-ms needs a number");
            test_set = 1;
        } else if (!strcmp(a, "--budget-ms")) {
            NEED();
            opt.budget_ms = num(v, "--budget-ms needs a number");
            budget_set = 1;
        } else if (!strcmp(a, "--threads")) {
            NEED();
            opt.threads = (int)num(v, "--threads needs a number");
            if (opt.threads < 1)
                die("--threads must be at least 1", v);
        } else if (!strcmp(a, "--jacobi")) {
            NEED();
            pair(v, &opt.jacobi_n, &opt.jacobi_sweeps, "--jacobi needs N,SWEEPS");
            if (opt.jacobi_n < 3)
                die("--jacobi: N must be at least 3", v);
            jac_set = 1;
        } else if (!strcmp(a, "--redloop")) {
            NEED();
            pair(v, &opt.red_steps, &opt.red_elems, "--redloop needs STEPS,ELEMS");
            red_set = 1;
        } else if (!strcmp(a, "--kernel-limit-ms")) {
            NEED();
            opt.kernel_limit_ms = num(v, "--kernel-limit-ms needs a number");
            klimit_set = 1;
        } else if (!strcmp(a, "--kernel-reps")) {
            NEED();
            opt.kernel_reps = (int)num(v, "--kernel-reps needs a number");
            if (opt.kernel_reps < 1 || opt.kernel_reps > 64)
                die("--kernel-reps must be 1..64", v);
            kreps_set = 1;
        } else {
            die("unknown option", a);
        }
#undef NEED
    }
    if (opt.quick) {
        if (!outer_set)
            opt.outer = 5;
        if (!test_set)
            opt.test_ms = 0.2;
        if (!budget_set)
            opt.budget_ms = 250;
        if (!kreps_set)
            opt.kernel_reps = 1;
        if (!klimit_set)
            opt.kernel_limit_ms = 1000;
        if (!jac_set) {
            opt.jacobi_n = 2000;
            opt.jacobi_sweeps = 100;
        }
        if (!red_set) {
            opt.red_steps = 500;
            opt.red_elems = 1024;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--which-runtime"))
        return which_runtime();
    parse(argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_rt = runtime_name();
    omp_set_dynamic(0);
    if (opt.threads > 0)
        omp_set_num_threads(opt.threads);
    int want = omp_get_max_threads();
    int team = 0;
    /* Start the team (outside any measurement) and see how large it is. */
#pragma omp parallel shared(team)
    {
#pragma omp single
        team = omp_get_num_threads();
    }
    g_T = team;
    omp_init_lock(&g_lock);
    calibrate_delay();
    char lib[512];
    printf("# bench_forkjoin (%s build) on %s: team of %d, delay %.3f us (%ld iterations), "
           "outer %d, reps %s\n",
           FJ_COMPILER, g_rt, g_T, g_delay_us_measured, g_delay_iters, opt.outer,
           opt.reps ? "fixed" : "automatic");
    printf("fj runtime=%s compiler=%s threads=%d setup=1 lib=%s max_threads=%d delay_iters=%ld "
           "delay_us=%.4f outer=%d reps=%ld test_ms=%g budget_ms=%g quick=%d\n",
           g_rt, FJ_COMPILER, g_T, omp_lib_file(lib, sizeof lib), want, g_delay_iters,
           g_delay_us_measured, opt.outer, opt.reps, opt.test_ms, opt.budget_ms, opt.quick);
    if (team != want)
        printf("# WARN team of %d threads, %d asked for\n", team, want);

    for (int i = 0; i < NCONSTRUCTS; i++)
        if (selected(constructs[i].name, 0))
            measure(&constructs[i]);
    if (selected("jacobi", 1))
        kernel_jacobi();
    if (selected("redloop", 1))
        kernel_redloop();
    omp_destroy_lock(&g_lock);
    if (g_failures) {
        printf("# %d construct(s) or kernel(s) WRONG\n", g_failures);
        return 1;
    }
    return 0;
}
