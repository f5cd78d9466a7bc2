/*
 * bench_common.h - shared command line, timing and reporting for the arayon benchmarks.
 *
 * Included by bench_arayon.c, bench_omp.c (C11) and bench_tbb.cpp (C++17), so everything
 * here is header-only, static, and written in the common subset of C11 and C++17.
 *
 * Every benchmark binary accepts the same options and prints the same lines:
 *
 *   RESULT runtime=<rt> bench=<fib|flat_out|flat_in> n=<N or K> threads=<T> tasks=<count>
 *          reps=<R> ns_per_task=<median> total_ms=<median> min_ms=<min> cpu_ms=<median>
 *          sys_ms=<median> maxrss_kb=<process peak so far>
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
#define BENCH_ALL (BENCH_FIB | BENCH_FLAT_OUT | BENCH_FLAT_IN | BENCH_SERIAL)
/* Flat spawn is verified once per size with this many counting tasks (unmeasured); a fixed
 * count, so that it cancels out when callgrind.sh subtracts two sizes. */
#define BENCH_VERIFY_TASKS 10000L
#define BENCH_MAX_FLAT 8
#define BENCH_MAX_REPS 1000
#define BENCH_MAX_FIB 45

typedef struct bench_opts {
    unsigned threads;               /* pool / team size */
    int fib_n;                      /* fib argument */
    int reps;                       /* measured repetitions; the median is reported */
    int warmup;                     /* 1: one small unmeasured run of each benchmark first */
    int nflat;                      /* number of flat sizes */
    long flat[BENCH_MAX_FLAT];      /* flat spawn sizes K */
    unsigned benches;               /* BENCH_* mask */
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

static void bench_usage(const char *prog, FILE *f)
{
    fprintf(f,
            "usage: %s [--threads T] [--fib N] [--reps R] [--flat K1,K2,...]\n"
            "          [--bench fib,serial,flat_out,flat_in] [--no-warmup] [--samples]\n"
            "  --threads T   pool/team size (default 2)\n"
            "  --fib N       recursive fib argument, spawn+wait at every level (default 30)\n"
            "  --reps R      measured repetitions; the median is reported (default 5)\n"
            "  --flat LIST   flat spawn sizes, comma separated (default 10000,5000000)\n"
            "  --bench LIST  which benchmarks (default all: fib,serial,flat_out,flat_in;\n"
            "                serial = plain recursive fib, bench_arayon only)\n"
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
    o->reps = 5;
    o->warmup = 1;
    o->nflat = 2;
    o->flat[0] = 10000;
    o->flat[1] = 5000000;
    o->benches = BENCH_ALL;

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
                else if (!strcmp(tok, "all"))
                    o->benches |= BENCH_ALL;
                else
                    goto bad;
            }
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
static void bench_report(const char *runtime, const char *bench, long n, unsigned threads,
                         double tasks, bench_sample *samples, int reps)
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

    char what[64];
    if (!strcmp(bench, "fib"))
        snprintf(what, sizeof what, "fib(%ld)", n);
    else
        snprintf(what, sizeof what, "%s K=%ld", bench, n);
    printf("%-8s %-18s threads=%-3u %10.0f tasks %11.3f ms %9.1f ns/task"
           "  (median of %d, min %.3f ms, cpu %.1f ms, sys %.1f ms)\n",
           runtime, what, threads, tasks, med / 1e6, ns_per_task, reps, min / 1e6,
           cpu_med / 1e6, sys_med / 1e6);
    printf("RESULT runtime=%s bench=%s n=%ld threads=%u tasks=%.0f reps=%d ns_per_task=%.2f "
           "total_ms=%.4f min_ms=%.4f cpu_ms=%.2f sys_ms=%.2f maxrss_kb=%ld\n",
           runtime, bench, n, threads, tasks, reps, ns_per_task, med / 1e6, min / 1e6,
           cpu_med / 1e6, sys_med / 1e6, rss);
    fflush(stdout);
}

#endif /* ARAYON_BENCH_COMMON_H */
