/*
 * bench_common.h - shared command line, timing and reporting for the arayon benchmarks.
 *
 * Included by bench_arayon.c, bench_omp.c (C11) and bench_tbb.cpp (C++17), so everything
 * here is header-only, static, and written in the common subset of C11 and C++17.
 *
 * Every benchmark binary accepts the same options and prints the same lines:
 *
 *   RESULT runtime=<rt> bench=<fib|flat_out|flat_in|nqueens> n=<N or K> threads=<T> tasks=<count>
 *          reps=<R> ns_per_task=<median> total_ms=<median> min_ms=<min> cpu_ms=<median>
 *          sys_ms=<median> maxrss_kb=<process peak so far>
 *   FLOOD  runtime=<rt> bench=<flood_out|flood_in> n=<K> config=<c> ... (flood details:
 *          rss_before_kb, body_ns, and for arayon the pool's counters over the run)
 *   NOTE   runtime=<rt> bench=<b> <text>          (a variant this runtime cannot express)
 *   ERROR  runtime=<rt> bench=<b> <text>          (wrong result: the process exits 1)
 *
 * "total" is wall time of the spawn/wait region only (pool start-up excluded); cpu_ms and
 * sys_ms are the whole process's user+system and system CPU time over that region, which
 * shows a runtime that spins or burns time in the kernel.
 */
#ifndef ARAYON_BENCH_COMMON_H
#define ARAYON_BENCH_COMMON_H

/* clock_gettime, RUSAGE_THREAD: define _GNU_SOURCE before any system header. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BENCH_FIB 1u
#define BENCH_FLAT_OUT 2u
#define BENCH_FLAT_IN 4u
#define BENCH_SERIAL 8u /* bench_arayon only: the plain recursive fib, for scale */
#define BENCH_NQUEENS 128u
#define BENCH_UTS 256u    /* unbalanced tree search (binomial), one task per node */
#define BENCH_REDUCE 512u /* parallel-for reduction over --reduce N indexes */
#define BENCH_STREAM 1024u /* --stream N items through a window of --window W in flight */
#define BENCH_ALL                                                                            \
    (BENCH_FIB | BENCH_FLAT_OUT | BENCH_FLAT_IN | BENCH_SERIAL | BENCH_NQUEENS | BENCH_UTS |  \
     BENCH_REDUCE | BENCH_STREAM)
/* The flood (one producer, K tasks of ~50-100 ns that pile up while it spawns) is not part
 * of "all": it is meant to run alone in its own process, so that the process's peak RSS is
 * the flood's. */
#define BENCH_FLOOD_OUT 16u
#define BENCH_FLOOD_IN 32u
#define BENCH_FLOOD_SERIAL 64u /* the flood's task body in a plain loop, for scale */
#define BENCH_FLOOD_DEFAULT_K 5000000L
/* Dependent multiply-xorshift steps per flood task: about 50-100 ns on the project's
 * machine kind (the FLOOD line's body_ns gives the figure measured in each process). */
#define BENCH_FLOOD_ITERS 48
/* Per-thread result slots of the flood, indexed by the runtime's thread number. */
#define BENCH_FLOOD_SLOTS 4098
/* Flat spawn is verified once per size with this many counting tasks (unmeasured); a fixed
 * count, so that it cancels out when callgrind.sh subtracts two sizes. */
#define BENCH_VERIFY_TASKS 10000L
#define BENCH_MAX_FLAT 8
#define BENCH_MAX_REPS 1000
#define BENCH_MAX_FIB 45
/* nqueens: N up to 14 (the serial reference pass of N = 14 visits 27 M nodes). */
#define BENCH_MAX_NQUEENS 14
#define BENCH_NQUEENS_DEFAULT 10
/* UTS: root children (b0) by default, and the largest accepted. */
#define BENCH_UTS_DEFAULT 2000
#define BENCH_MAX_UTS 1000000
/* reduce: indexes by default; stream: items and window by default. */
#define BENCH_REDUCE_DEFAULT 100000000L
#define BENCH_STREAM_DEFAULT 1000000L
#define BENCH_WINDOW_DEFAULT 256L

typedef struct bench_opts {
    unsigned threads;               /* pool / team size */
    int fib_n;                      /* fib argument */
    int nqueens_n;                  /* nqueens board size N */
    int reps;                       /* measured repetitions; the median is reported */
    int warmup;                     /* 1: one small unmeasured run of each benchmark first */
    int nflat;                      /* number of flat sizes */
    long flat[BENCH_MAX_FLAT];      /* flat spawn sizes K */
    unsigned benches;               /* BENCH_* mask */
    long flood;                     /* flood size K */
    long max_pending;               /* arayon only: -1 = the pool's default, 0 = no bound */
    int policy;                     /* arayon only: -1 = default, else arayon_full_policy_t */
    int uts_b0;                     /* UTS: children of the root (the tree's size scales with it) */
    long reduce_n;                  /* reduce: number of indexes */
    long stream_n;                  /* stream: number of items */
    long window;                    /* stream: most items in flight at once */
} bench_opts;

/* --samples: print every repetition as a SAMPLE line, not only the median. */
static int bench_print_samples;

/* One measured repetition. */
typedef struct bench_sample {
    double wall_ns;
    double cpu_ns; /* user + system, whole process */
    double sys_ns; /* system, whole process */
} bench_sample;

typedef struct bench_clock {
    double wall_ns;
    double cpu_ns;
    double sys_ns;
} bench_clock;

/*
 * The body of every "empty" task, in every runtime: an opaque call the compiler cannot
 * remove (gcc deletes an `omp task` with an empty body altogether).
 */
#if defined(__GNUC__)
__attribute__((noinline, unused))
#endif
static void bench_empty_body(void)
{
#if defined(__GNUC__)
    __asm__ volatile("" ::: "memory");
#endif
}

static double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double bench_tv_ns(struct timeval tv)
{
    return (double)tv.tv_sec * 1e9 + (double)tv.tv_usec * 1e3;
}

/* Reads the process CPU counters, then the wall clock (start of a region). */
static bench_clock bench_clock_start(void)
{
    bench_clock c;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    c.cpu_ns = bench_tv_ns(ru.ru_utime) + bench_tv_ns(ru.ru_stime);
    c.sys_ns = bench_tv_ns(ru.ru_stime);
    c.wall_ns = bench_now_ns();
    return c;
}

/* Reads the wall clock, then the CPU counters (end of a region); returns the differences. */
static bench_sample bench_clock_stop(bench_clock start)
{
    bench_sample s;
    struct rusage ru;
    double wall = bench_now_ns();
    getrusage(RUSAGE_SELF, &ru);
    s.wall_ns = wall - start.wall_ns;
    s.cpu_ns = bench_tv_ns(ru.ru_utime) + bench_tv_ns(ru.ru_stime) - start.cpu_ns;
    s.sys_ns = bench_tv_ns(ru.ru_stime) - start.sys_ns;
    return s;
}

static long bench_maxrss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss; /* Linux: KiB */
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n-1] (sorts v). Mean of the two middle values for even n. */
static double bench_median(double *v, int n)
{
    if (n <= 0)
        return 0.0;
    qsort(v, (size_t)n, sizeof v[0], bench_cmp_double);
    return (n % 2) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* fib(n), iteratively: the reference result. */
static uint64_t bench_fib_ref(int n)
{
    uint64_t a = 0, b = 1;
    for (int i = 0; i < n; i++) {
        uint64_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

/* Number of calls the naive recursion makes for fib(n): 2*fib(n+1) - 1. */
static uint64_t bench_fib_calls(int n)
{
    return 2 * bench_fib_ref(n + 1) - 1;
}

/* ---------------------------------------------------------------------------------------
 * nqueens: the board and the reference counts, the same in every runtime.
 *
 * A node of the search is a board with queens in rows 0..row-1 (q[r] = the queen's column
 * in row r); its children are the safe columns of row `row`, each a task that receives its
 * own copy of the board (copied by the parent when it spawns). A node with row == N is a
 * solution. Tasks = nodes of the search tree, the root included (the root is itself a task
 * spawned from main, as fib's top call is).
 * ------------------------------------------------------------------------------------- */
typedef struct bench_nq_board {
    unsigned char q[16];
} bench_nq_board;

/* Can a queen go to (row, col) given the queens in rows 0..row-1? */
static inline int bench_nq_safe(const bench_nq_board *b, int row, int col)
{
    for (int r = 0; r < row; r++) {
        int c = b->q[r];
        if (c == col || c - col == row - r || col - c == row - r)
            return 0;
    }
    return 1;
}

/* Known solution counts (OEIS A000170) for N = 0..BENCH_MAX_NQUEENS. */
static const uint64_t bench_nq_known[BENCH_MAX_NQUEENS + 1] = {
    1, 1, 0, 0, 2, 10, 4, 40, 92, 352, 724, 2680, 14200, 73712, 365596};

static uint64_t bench_nq_serial_rec(int n, bench_nq_board *b, int row, uint64_t *nodes)
{
    ++*nodes;
    if (row == n)
        return 1;
    uint64_t s = 0;
    for (int col = 0; col < n; col++) {
        if (bench_nq_safe(b, row, col)) {
            b->q[row] = (unsigned char)col;
            s += bench_nq_serial_rec(n, b, row + 1, nodes);
        }
    }
    return s;
}

/* Solutions of nqueens(n), serially; *nodes = nodes of the search tree (= tasks). */
static uint64_t bench_nq_serial(int n, uint64_t *nodes)
{
    bench_nq_board b;
    memset(&b, 0, sizeof b);
    *nodes = 0;
    return bench_nq_serial_rec(n, &b, 0, nodes);
}

static void bench_usage(const char *prog, FILE *f)
{
    fprintf(f,
            "usage: %s [--threads T] [--fib N] [--nqueens N] [--reps R] [--flat K1,K2,...]\n"
            "          [--bench fib,serial,flat_out,flat_in,nqueens,uts,reduce,stream,\n"
            "                   flood_out,flood_in,flood_serial]\n"
            "          [--uts B0] [--reduce N] [--stream N] [--window W]\n"
            "          [--flood K] [--max-pending N|default] [--policy block|reject|inline]\n"
            "          [--no-warmup] [--samples]\n"
            "  --threads T   pool/team size (default 2)\n"
            "  --fib N       recursive fib argument, spawn+wait at every level (default 30)\n"
            "  --nqueens N   nqueens board size: a task per safe placement, with its own copy\n"
            "                of the board, no cut-off (default 10, at most 14)\n"
            "  --reps R      measured repetitions; the median is reported (default 5)\n"
            "  --flat LIST   flat spawn sizes, comma separated (default 10000,5000000)\n"
            "  --bench LIST  which benchmarks (default all: fib,serial,flat_out,flat_in,nqueens,\n"
            "                uts,reduce,stream; serial = plain recursive fib and the serial\n"
            "                reduction loop, bench_arayon only; flood_out, flood_in and\n"
            "                flood_serial run only when named)\n"
            "  --uts B0      UTS binomial tree: B0 children at the root, then m = 8 children\n"
            "                with probability 0.124875 (default 2000: 1,968,097 nodes)\n"
            "  --reduce N    parallel-for reduction over N indexes (default 100000000)\n"
            "  --stream N    stream: N items of ~200 ns through a bounded window (default 1000000)\n"
            "  --window W    stream: at most W items in flight (default 256)\n"
            "  --flood K     flood size: tasks of ~50-100 ns from one producer (default 5000000)\n"
            "  --max-pending N|default   arayon: the pool's max_pending (0 = no bound)\n"
            "  --policy P    arayon: full_policy, block (default), reject or inline\n"
            "  --no-warmup   skip the small unmeasured warm-up run of each benchmark\n"
            "  --samples     also print every repetition (SAMPLE lines)\n",
            prog);
}

static int bench_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Parses argv into o; exits 0 for --help and 2 for a bad option. */
static void bench_parse(int argc, char **argv, bench_opts *o)
{
    o->threads = 2;
    o->fib_n = 30;
    o->nqueens_n = BENCH_NQUEENS_DEFAULT;
    o->reps = 5;
    o->warmup = 1;
    o->nflat = 2;
    o->flat[0] = 10000;
    o->flat[1] = 5000000;
    o->benches = BENCH_ALL;
    o->flood = BENCH_FLOOD_DEFAULT_K;
    o->max_pending = -1;
    o->policy = -1;
    o->uts_b0 = BENCH_UTS_DEFAULT;
    o->reduce_n = BENCH_REDUCE_DEFAULT;
    o->stream_n = BENCH_STREAM_DEFAULT;
    o->window = BENCH_WINDOW_DEFAULT;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;
        char name[32];
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (len >= sizeof name)
            len = sizeof name - 1;
        memcpy(name, arg, len);
        name[len] = '\0';

        if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
            bench_usage(argv[0], stdout);
            exit(0);
        }
        if (!strcmp(name, "--no-warmup")) {
            o->warmup = 0;
            continue;
        }
        if (!strcmp(name, "--samples")) {
            bench_print_samples = 1;
            continue;
        }
        if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            fprintf(stderr, "%s: %s needs a value\n", argv[0], name);
            exit(2);
        }

        long v;
        if (!strcmp(name, "--threads")) {
            if (bench_parse_long(val, 1, 4096, &v) != 0)
                goto bad;
            o->threads = (unsigned)v;
        } else if (!strcmp(name, "--fib")) {
            if (bench_parse_long(val, 1, BENCH_MAX_FIB, &v) != 0)
                goto bad;
            o->fib_n = (int)v;
        } else if (!strcmp(name, "--nqueens")) {
            if (bench_parse_long(val, 1, BENCH_MAX_NQUEENS, &v) != 0)
                goto bad;
            o->nqueens_n = (int)v;
        } else if (!strcmp(name, "--reps")) {
            if (bench_parse_long(val, 1, BENCH_MAX_REPS, &v) != 0)
                goto bad;
            o->reps = (int)v;
        } else if (!strcmp(name, "--flat")) {
            char buf[256];
            snprintf(buf, sizeof buf, "%s", val);
            o->nflat = 0;
            for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
                if (o->nflat == BENCH_MAX_FLAT || bench_parse_long(tok, 1, 1000000000L, &v) != 0)
                    goto bad;
                o->flat[o->nflat++] = v;
            }
            if (o->nflat == 0)
                goto bad;
        } else if (!strcmp(name, "--bench")) {
            char buf[256];
            snprintf(buf, sizeof buf, "%s", val);
            o->benches = 0;
            for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
                if (!strcmp(tok, "fib"))
                    o->benches |= BENCH_FIB;
                else if (!strcmp(tok, "flat_out"))
                    o->benches |= BENCH_FLAT_OUT;
                else if (!strcmp(tok, "flat_in"))
                    o->benches |= BENCH_FLAT_IN;
                else if (!strcmp(tok, "flat"))
                    o->benches |= BENCH_FLAT_OUT | BENCH_FLAT_IN;
                else if (!strcmp(tok, "serial"))
                    o->benches |= BENCH_SERIAL;
                else if (!strcmp(tok, "nqueens"))
                    o->benches |= BENCH_NQUEENS;
                else if (!strcmp(tok, "uts"))
                    o->benches |= BENCH_UTS;
                else if (!strcmp(tok, "reduce"))
                    o->benches |= BENCH_REDUCE;
                else if (!strcmp(tok, "stream"))
                    o->benches |= BENCH_STREAM;
                else if (!strcmp(tok, "flood_out"))
                    o->benches |= BENCH_FLOOD_OUT;
                else if (!strcmp(tok, "flood_in"))
                    o->benches |= BENCH_FLOOD_IN;
                else if (!strcmp(tok, "flood"))
                    o->benches |= BENCH_FLOOD_OUT | BENCH_FLOOD_IN;
                else if (!strcmp(tok, "flood_serial"))
                    o->benches |= BENCH_FLOOD_SERIAL;
                else if (!strcmp(tok, "all"))
                    o->benches |= BENCH_ALL;
                else
                    goto bad;
            }
        } else if (!strcmp(name, "--uts")) {
            if (bench_parse_long(val, 1, BENCH_MAX_UTS, &v) != 0)
                goto bad;
            o->uts_b0 = (int)v;
        } else if (!strcmp(name, "--reduce")) {
            if (bench_parse_long(val, 1, 100000000000L, &v) != 0)
                goto bad;
            o->reduce_n = v;
        } else if (!strcmp(name, "--stream")) {
            if (bench_parse_long(val, 1, 1000000000L, &v) != 0)
                goto bad;
            o->stream_n = v;
        } else if (!strcmp(name, "--window")) {
            if (bench_parse_long(val, 1, 100000000L, &v) != 0)
                goto bad;
            o->window = v;
        } else if (!strcmp(name, "--flood")) {
            if (bench_parse_long(val, 1, 1000000000L, &v) != 0)
                goto bad;
            o->flood = v;
        } else if (!strcmp(name, "--max-pending")) {
            if (!strcmp(val, "default"))
                o->max_pending = -1;
            else if (bench_parse_long(val, 0, 1000000000000L, &v) != 0)
                goto bad;
            else
                o->max_pending = v;
        } else if (!strcmp(name, "--policy")) {
            if (!strcmp(val, "block"))
                o->policy = 0;
            else if (!strcmp(val, "reject"))
                o->policy = 1;
            else if (!strcmp(val, "inline"))
                o->policy = 2;
            else
                goto bad;
        } else {
            fprintf(stderr, "%s: unknown option %s\n", argv[0], arg);
            bench_usage(argv[0], stderr);
            exit(2);
        }
        continue;
    bad:
        fprintf(stderr, "%s: bad value for %s: %s\n", argv[0], name, val);
        exit(2);
    }
}

/*
 * Prints the human readable line and the RESULT line for one benchmark from its samples
 * (reordered by the call).
 */
static void bench_report_ex(const char *runtime, const char *bench, long n, unsigned threads,
                            double tasks, bench_sample *samples, int reps, const char *extra)
{
    double wall[BENCH_MAX_REPS], cpu[BENCH_MAX_REPS], sys[BENCH_MAX_REPS];
    for (int i = 0; bench_print_samples && i < reps; i++)
        printf("SAMPLE runtime=%s bench=%s n=%ld threads=%u rep=%d total_ms=%.4f cpu_ms=%.2f "
               "sys_ms=%.2f\n",
               runtime, bench, n, threads, i + 1, samples[i].wall_ns / 1e6,
               samples[i].cpu_ns / 1e6, samples[i].sys_ns / 1e6);
    for (int i = 0; i < reps; i++) {
        wall[i] = samples[i].wall_ns;
        cpu[i] = samples[i].cpu_ns;
        sys[i] = samples[i].sys_ns;
    }
    double med = bench_median(wall, reps); /* wall[] is sorted now */
    double min = wall[0];
    double cpu_med = bench_median(cpu, reps);
    double sys_med = bench_median(sys, reps);
    double ns_per_task = med / tasks;
    long rss = bench_maxrss_kb();

    char what[96];
    if (!strcmp(bench, "fib") || !strcmp(bench, "nqueens") || !strcmp(bench, "uts"))
        snprintf(what, sizeof what, "%s(%ld)", bench, n);
    else
        snprintf(what, sizeof what, "%s K=%ld%s%s", bench, n, *extra ? " " : "", extra);
    printf("%-8s %-18s threads=%-3u %10.0f tasks %11.3f ms %9.1f ns/task"
           "  (median of %d, min %.3f ms, cpu %.1f ms, sys %.1f ms)\n",
           runtime, what, threads, tasks, med / 1e6, ns_per_task, reps, min / 1e6,
           cpu_med / 1e6, sys_med / 1e6);
    printf("RESULT runtime=%s bench=%s n=%ld threads=%u tasks=%.0f reps=%d ns_per_task=%.2f "
           "total_ms=%.4f min_ms=%.4f cpu_ms=%.2f sys_ms=%.2f maxrss_kb=%ld%s%s\n",
           runtime, bench, n, threads, tasks, reps, ns_per_task, med / 1e6, min / 1e6,
           cpu_med / 1e6, sys_med / 1e6, rss, *extra ? " " : "", extra);
    fflush(stdout);
}

static void bench_report(const char *runtime, const char *bench, long n, unsigned threads,
                         double tasks, bench_sample *samples, int reps)
{
    bench_report_ex(runtime, bench, n, threads, tasks, samples, reps, "");
}

/* ---------------------------------------------------------------------------------------
 * Flood: the task body and its per-thread result slots, the same in every runtime.
 *
 * Each task i computes bench_flood_work(i) (BENCH_FLOOD_ITERS dependent steps, ~50-100 ns)
 * and adds it to the slot of the thread that ran it; no shared cache line is written, so
 * the check costs the runtimes nothing measurable. After the run the slots must hold K
 * tasks and the sum of bench_flood_work(i) over 0..K-1, computed serially (which also
 * gives the body's own cost, body_ns). The slots are 128 bytes apart: no false sharing
 * whatever the array's alignment.
 * ------------------------------------------------------------------------------------- */
typedef struct bench_flood_slot {
    uint64_t count;
    uint64_t sum;
    char pad[112];
} bench_flood_slot;

static bench_flood_slot bench_flood_slots[BENCH_FLOOD_SLOTS];

static inline uint64_t bench_flood_work(uint64_t i)
{
    uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;
    for (int k = 0; k < BENCH_FLOOD_ITERS; k++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        x ^= x >> 29;
#if defined(__GNUC__)
        __asm__ volatile("" : "+r"(x)); /* keep it a scalar dependent chain in every compiler */
#endif
    }
    return x;
}

/* Task i, run by the thread numbered `slot` (clamped into the array). */
static inline void bench_flood_task(long slot, uint64_t i)
{
    if (slot < 0 || slot >= BENCH_FLOOD_SLOTS)
        slot = BENCH_FLOOD_SLOTS - 1;
    bench_flood_slot *s = &bench_flood_slots[slot];
    s->count++;
    s->sum += bench_flood_work(i);
}

static void bench_flood_reset(void)
{
    for (int i = 0; i < BENCH_FLOOD_SLOTS; i++) {
        bench_flood_slots[i].count = 0;
        bench_flood_slots[i].sum = 0;
    }
}

/* Sums the slots; *used = number of threads that ran at least one task. */
static void bench_flood_collect(uint64_t *count, uint64_t *sum, int *used)
{
    uint64_t c = 0, s = 0;
    int u = 0;
    for (int i = 0; i < BENCH_FLOOD_SLOTS; i++) {
        c += bench_flood_slots[i].count;
        s += bench_flood_slots[i].sum;
        u += bench_flood_slots[i].count != 0;
    }
    *count = c;
    *sum = s;
    *used = u;
}

/* The expected sum for K tasks, serially; *ns_per_body = its time per task. */
static uint64_t bench_flood_expected(long k, double *ns_per_body)
{
    double t0 = bench_now_ns();
    uint64_t s = 0;
    for (long i = 0; i < k; i++)
        s += bench_flood_work((uint64_t)i);
    if (ns_per_body)
        *ns_per_body = (bench_now_ns() - t0) / (double)k;
    return s;
}

/*
 * Checks the slots after a flood of k tasks: prints ERROR and exits 1 when a task is
 * missing or ran twice. Returns the body's serial cost per task (ns), and the number of
 * threads that ran tasks in *used.
 */
static double bench_flood_verify(const char *runtime, const char *bench, long k, int *used)
{
    /* The expected sum for the last k (recomputed only when k changes). */
    static long cached_k = -1;
    static uint64_t cached_sum;
    static double cached_ns;
    uint64_t count, sum;
    bench_flood_collect(&count, &sum, used);
    if (cached_k != k) {
        cached_sum = bench_flood_expected(k, &cached_ns);
        cached_k = k;
    }
    uint64_t want = cached_sum;
    double body_ns = cached_ns;
    if (count != (uint64_t)k || sum != want) {
        printf("ERROR runtime=%s bench=%s n=%ld %llu tasks ran (expected %ld), checksum %s\n",
               runtime, bench, k, (unsigned long long)count, k,
               sum == want ? "right" : "wrong");
        fflush(stdout);
        exit(1);
    }
    return body_ns;
}

/* --bench flood_serial: the body alone in a loop of K, reported as runtime "serial". */
static void bench_flood_serial(const bench_opts *o)
{
    bench_sample samples[BENCH_MAX_REPS];
    volatile uint64_t sink = 0;
    for (int r = 0; r < o->reps; r++) {
        bench_clock c = bench_clock_start();
        sink = bench_flood_expected(o->flood, NULL);
        samples[r] = bench_clock_stop(c);
    }
    (void)sink;
    bench_report("serial", "flood_body", o->flood, 1, (double)o->flood, samples, o->reps);
}

/* ---------------------------------------------------------------------------------------
 * UTS: unbalanced tree search, binomial tree (as UTS's T3: b0 = 2000, m = 8, q = 0.124875),
 * the same tree in every runtime.
 *
 * A node is a 64-bit state; child i of a node has state bench_uts_child(state, i) (splitmix64
 * in place of UTS's SHA-1). The root has b0 children; every other node has m children when
 * its state, read as a number in [0, 1), is below q, else none. m * q = 0.999: the process is
 * barely subcritical, so subtrees are wildly different in size and only known by running
 * them. Each node is one task (the root a task spawned from main, as fib's top call); a
 * task returns the number of nodes of its subtree. The count is checked against a serial
 * traversal (outside the timing), and is the same for every runtime (tasks= in RESULT).
 * ------------------------------------------------------------------------------------- */
#define BENCH_UTS_M 8
#define BENCH_UTS_Q 0.124875
#define BENCH_UTS_SEED 42u

static inline uint64_t bench_splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static inline uint64_t bench_uts_root(void)
{
    return bench_splitmix64(BENCH_UTS_SEED);
}

static inline uint64_t bench_uts_child(uint64_t state, int i)
{
    return bench_splitmix64(state ^ ((uint64_t)(i + 1) * 0xD6E8FEB86659FD93ull));
}

/* Children of a node: b0 for the root (depth 0), else m or 0. */
static inline int bench_uts_nchildren(uint64_t state, int depth, int b0)
{
    if (depth == 0)
        return b0;
    /* the top 53 bits as a double in [0, 1) */
    return (double)(state >> 11) * (1.0 / 9007199254740992.0) < BENCH_UTS_Q ? BENCH_UTS_M : 0;
}

/* Nodes of the tree, serially, without recursion (an explicit stack: the tree is deep);
 * *max_depth = the deepest node's depth. */
static uint64_t bench_uts_serial(int b0, int *max_depth)
{
    size_t cap = 1024, sp = 0;
    uint64_t *st = (uint64_t *)malloc(cap * sizeof *st);
    int *dp = (int *)malloc(cap * sizeof *dp);
    uint64_t nodes = 0;
    int maxd = 0;
    if (!st || !dp) {
        printf("ERROR bench=uts out of memory in the serial reference\n");
        exit(1);
    }
    st[sp] = bench_uts_root();
    dp[sp++] = 0;
    while (sp > 0) {
        uint64_t s = st[--sp];
        int d = dp[sp];
        nodes++;
        if (d > maxd)
            maxd = d;
        int nc = bench_uts_nchildren(s, d, b0);
        if (sp + (size_t)nc > cap) {
            while (sp + (size_t)nc > cap)
                cap *= 2;
            st = (uint64_t *)realloc(st, cap * sizeof *st);
            dp = (int *)realloc(dp, cap * sizeof *dp);
            if (!st || !dp) {
                printf("ERROR bench=uts out of memory in the serial reference\n");
                exit(1);
            }
        }
        for (int i = 0; i < nc; i++) {
            st[sp] = bench_uts_child(s, i);
            dp[sp++] = d + 1;
        }
    }
    free(st);
    free(dp);
    if (max_depth)
        *max_depth = maxd;
    return nodes;
}

/* ---------------------------------------------------------------------------------------
 * reduce: sum of bench_reduce_f(i) over i in [0, N), the same loop body in every runtime.
 * f is a few dependent integer operations (~1-2 ns); the empty asm keeps every compiler
 * from vectorizing it, so gcc and clang builds run comparable scalar code and the figure is
 * the runtime's loop scheduling plus the body. Exact integer sum: checked against a serial
 * loop (outside the timing).
 * ------------------------------------------------------------------------------------- */
static inline uint64_t bench_reduce_f(uint64_t i)
{
    uint64_t x = i * 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
#if defined(__GNUC__)
    __asm__ volatile("" : "+r"(x));
#endif
    return x >> 44; /* 20 bits: N up to 10^11 without overflow */
}

/* Sum over [lo, hi). */
static inline uint64_t bench_reduce_range(uint64_t lo, uint64_t hi)
{
    uint64_t s = 0;
    for (uint64_t i = lo; i < hi; i++)
        s += bench_reduce_f(i);
    return s;
}

/* The expected sum for n (computed once per n). */
static uint64_t bench_reduce_expected(long n)
{
    static long cached_n = -1;
    static uint64_t cached;
    if (cached_n != n) {
        cached = bench_reduce_range(0, (uint64_t)n);
        cached_n = n;
    }
    return cached;
}

/* ---------------------------------------------------------------------------------------
 * stream: a producer feeds N items (item i is its index) through a window of at most W items
 * in flight; each item's processing is bench_stream_work(i) (BENCH_STREAM_ITERS dependent
 * steps, ~150-250 ns); the results are summed (in completion order) and checked, with the
 * item count, against the serial sum. The runtimes keep the bound each in its own way (see
 * each file); every one reports the largest number in flight it saw (peak_in_flight), which
 * must not exceed W.
 * ------------------------------------------------------------------------------------- */
#define BENCH_STREAM_ITERS 192

static inline uint64_t bench_stream_work(uint64_t i)
{
    uint64_t x = i * 0xD1B54A32D192ED03ull + 7;
    for (int k = 0; k < BENCH_STREAM_ITERS; k++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        x ^= x >> 29;
#if defined(__GNUC__)
        __asm__ volatile("" : "+r"(x));
#endif
    }
    return x;
}

/* The expected sum of n items (computed once per n); *ns_per_item = the serial cost. */
static uint64_t bench_stream_expected(long n, double *ns_per_item)
{
    static long cached_n = -1;
    static uint64_t cached;
    static double cached_ns;
    if (cached_n != n) {
        double t0 = bench_now_ns();
        uint64_t s = 0;
        for (long i = 0; i < n; i++)
            s += bench_stream_work((uint64_t)i);
        cached_ns = (bench_now_ns() - t0) / (double)n;
        cached = s;
        cached_n = n;
    }
    if (ns_per_item)
        *ns_per_item = cached_ns;
    return cached;
}

/* Checks a stream run: exits 1 with an ERROR line on a wrong count or sum, or a window
 * overrun. Returns the body's serial cost per item (ns). */
static double bench_stream_verify(const char *runtime, long n, long window, uint64_t count,
                                  uint64_t sum, long peak)
{
    double body_ns = 0;
    uint64_t want = bench_stream_expected(n, &body_ns);
    if (count != (uint64_t)n || sum != want || peak > window) {
        printf("ERROR runtime=%s bench=stream n=%ld %llu items delivered (expected %ld), "
               "checksum %s, peak in flight %ld (window %ld)\n",
               runtime, n, (unsigned long long)count, n, sum == want ? "right" : "wrong", peak,
               window);
        fflush(stdout);
        exit(1);
    }
    return body_ns;
}

#endif /* ARAYON_BENCH_COMMON_H */
