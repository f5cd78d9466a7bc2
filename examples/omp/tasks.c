/*
 * tasks.c - an ordinary task-parallel OpenMP program, built with clang -fopenmp and nothing
 * else from arayon: it runs on whichever OpenMP runtime the loader gives it (libomp, or arayon
 * through -larayon-omp, the libomp.so.5 alias or arayon-run) and says which one that was.
 *
 * Three workloads, each checked against a serial computation and timed:
 *   1. fib(n) with one task per call (task shared(x) + taskwait), no cutoff;
 *   2. the n-queens count with one task per partial placement (firstprivate board, each task
 *      writes its count into its parent's slot, taskwait at every level);
 *   3. a flood: one thread creates many small tasks in a taskgroup while the others run them.
 *
 *   omp-tasks [fib_n [queens_n [flood_tasks [repeats]]]]      (defaults 27 11 500000 3)
 *
 * Each workload runs `repeats` times; every run is checked, the best time is reported. Prints
 * one line per workload and a summary ("total: <ms> ms ...", the sum of the best times);
 * exits 0 when every result is right, 1 when one is wrong, 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* 1. fib ------------------------------------------------------------------------------------ */
static long fib_serial(int n) { return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2); }

static long fib(int n)
{
    if (n < 2)
        return n;
    long x, y;
#pragma omp task shared(x)
    x = fib(n - 1);
#pragma omp task shared(y)
    y = fib(n - 2);
#pragma omp taskwait
    return x + y;
}

/* 2. nqueens -------------------------------------------------------------------------------- */
#define MAXQ 14
static const long queens_known[MAXQ + 1] = {1,   1,   0,    0,     2,     10,    4,    40,
                                            92, 352, 724, 2680, 14200, 73712, 365596};

static int safe(const int *q, int row, int col)
{
    for (int r = 0; r < row; r++) {
        int d = q[r] - col;
        if (d == 0 || d == row - r || d == r - row)
            return 0;
    }
    return 1;
}

/* Solutions below this placement; *placements counts the partial placements (= tasks). */
static long queens_serial(int n, int row, int *q, long *placements)
{
    if (row == n)
        return 1;
    long s = 0;
    for (int c = 0; c < n; c++)
        if (safe(q, row, c)) {
            q[row] = c;
            ++*placements;
            s += queens_serial(n, row + 1, q, placements);
        }
    return s;
}

static void queens(int n, int row, const int *board, long *out)
{
    if (row == n) {
        *out = 1;
        return;
    }
    long sub[MAXQ] = {0};
    for (int c = 0; c < n; c++) {
        if (!safe(board, row, c))
            continue;
        int next[MAXQ];
        memcpy(next, board, sizeof next);
        next[row] = c;
        long *slot = &sub[c];
#pragma omp task firstprivate(next, row, n, slot)
        queens(n, row + 1, next, slot);
    }
#pragma omp taskwait
    long s = 0;
    for (int c = 0; c < n; c++)
        s += sub[c];
    *out = s;
}

/* 3. flood ---------------------------------------------------------------------------------- */
static uint64_t work(uint64_t i)
{
    uint64_t x = i * 0x9E3779B97F4A7C15u + 1;
    for (int k = 0; k < 16; k++) { /* a few ns of arithmetic per task */
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9u;
    }
    return x;
}

static void main_marker(void) {} /* an address inside this executable */

/* Which runtime runs this process: the object that defines omp_get_num_threads for us, and
 * whether that is arayon's layer (which alone defines arayon_omp_runtime_name). The same
 * works for a gcc-built copy (libgomp, or arayon serving gcc's ABI). */
static const char *runtime_name(char *buf, size_t len)
{
    /* Our own reference (it carries the symbol version it was linked with, which dlsym
     * would not), unless it is a PLT stub in this executable (non-PIE builds). */
    void *fn = (void *)omp_get_num_threads;
    Dl_info info, ainfo, self;
    if (dladdr(fn, &info) && dladdr((void *)main_marker, &self) && info.dli_fbase == self.dli_fbase)
        fn = dlsym(RTLD_DEFAULT, "omp_get_num_threads");
    void *ar = dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name");
    if (!fn || !dladdr(fn, &info) || !info.dli_fname) {
        snprintf(buf, len, "an unknown runtime");
        return buf;
    }
    const char *lib = strrchr(info.dli_fname, '/');
    lib = lib ? lib + 1 : info.dli_fname;
    if (ar && dladdr(ar, &ainfo) && ainfo.dli_fbase == info.dli_fbase) {
        const char *(*name)(void) = (const char *(*)(void))ar;
        snprintf(buf, len, "%s (%s)", name(), lib);
    } else {
        const char *kind = !strncmp(lib, "libgomp", 7) ? "libgomp"
                           : !strncmp(lib, "libomp", 6) ? "libomp"
                                                        : lib;
        snprintf(buf, len, "%s (%s%s)", kind, lib, ar ? "; arayon is loaded but not in charge" : "");
    }
    return buf;
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0.0;
}

static int arg(int argc, char **argv, int i, int dflt, int lo, int hi, const char *what)
{
    if (argc <= i)
        return dflt;
    char *end;
    long v = strtol(argv[i], &end, 10);
    if (*end || end == argv[i] || v < lo || v > hi) {
        fprintf(stderr, "omp-tasks: %s must be an integer in %d..%d, not '%s'\n", what, lo, hi,
                argv[i]);
        fprintf(stderr, "usage: omp-tasks [fib_n [queens_n [flood_tasks [repeats]]]]\n");
        exit(2);
    }
    return (int)v;
}

/* One run of each workload (timed by the caller). */
static long run_fib(int n, int *team)
{
    long r = -1;
#pragma omp parallel shared(r)
#pragma omp single
    {
        *team = omp_get_num_threads();
        r = fib(n);
    }
    return r;
}

static long run_queens(int n)
{
    long r = -1;
#pragma omp parallel shared(r)
#pragma omp single
    {
        int board[MAXQ] = {0};
        queens(n, 0, board, &r);
    }
    return r;
}

static void run_flood(int n, uint64_t *out)
{
#pragma omp parallel
#pragma omp single
#pragma omp taskgroup
    for (int i = 0; i < n; i++) {
#pragma omp task firstprivate(i)
        out[i] = work((uint64_t)i);
    }
}

int main(int argc, char **argv)
{
    int fib_n = arg(argc, argv, 1, 27, 1, 40, "fib_n");
    int queens_n = arg(argc, argv, 2, 11, 1, MAXQ, "queens_n");
    int flood_n = arg(argc, argv, 3, 500000, 1, 50000000, "flood_tasks");
    int reps = arg(argc, argv, 4, 3, 1, 1000, "repeats");
    char rt[256];
    /* Line by line, so that the results come before a report the runtime prints at exit. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    int threads = omp_get_max_threads();
    printf("omp-tasks on %s, %d thread%s, best of %d run%s each\n", runtime_name(rt, sizeof rt),
           threads, threads == 1 ? "" : "s", reps, reps == 1 ? "" : "s");

    long fib_expect = fib_serial(fib_n);
    long fib_tasks = 2 * fib_serial(fib_n + 1) - 2; /* every call but the first is a task */
    int q[MAXQ] = {0};
    long placements = 0;
    long queens_expect = queens_serial(queens_n, 0, q, &placements);
    uint64_t flood_expect = 0;
    for (int i = 0; i < flood_n; i++)
        flood_expect += work((uint64_t)i);
    uint64_t *out = calloc((size_t)flood_n, sizeof *out);
    if (!out) {
        fprintf(stderr, "omp-tasks: out of memory\n");
        return 1;
    }

    /* Every run is checked; the best time of each workload is reported. */
    double best[3] = {1e30, 1e30, 1e30};
    int wrong[3] = {0, 0, 0};
    int team = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = omp_get_wtime();
        long f = run_fib(fib_n, &team);
        double t1 = omp_get_wtime();
        long nq = run_queens(queens_n);
        double t2 = omp_get_wtime();
        memset(out, 0, (size_t)flood_n * sizeof *out);
        double t3 = omp_get_wtime();
        run_flood(flood_n, out);
        double t4 = omp_get_wtime();
        uint64_t fl = 0;
        for (int i = 0; i < flood_n; i++)
            fl += out[i];
        double t[3] = {t1 - t0, t2 - t1, t4 - t3};
        for (int k = 0; k < 3; k++)
            best[k] = t[k] < best[k] ? t[k] : best[k];
        if (f != fib_expect && !wrong[0]++)
            fprintf(stderr, "omp-tasks: fib(%d) = %ld, expected %ld\n", fib_n, f, fib_expect);
        if (nq != queens_expect && !wrong[1]++)
            fprintf(stderr, "omp-tasks: nqueens(%d) = %ld, expected %ld\n", queens_n, nq,
                    queens_expect);
        if (fl != flood_expect && !wrong[2]++)
            fprintf(stderr, "omp-tasks: flood checksum %#llx, expected %#llx\n",
                    (unsigned long long)fl, (unsigned long long)flood_expect);
    }
    free(out);
    if (queens_expect != queens_known[queens_n] && !wrong[1]++)
        fprintf(stderr, "omp-tasks: serial nqueens(%d) = %ld, known %ld\n", queens_n,
                queens_expect, queens_known[queens_n]);

    printf("  fib(%d), a task per call:           %10ld  %-5s %8.1f ms  (%ld tasks, team of %d)\n",
           fib_n, fib_expect, wrong[0] ? "WRONG" : "ok", best[0] * 1e3, fib_tasks, team);
    printf("  nqueens(%d), a task per placement:  %10ld  %-5s %8.1f ms  (%ld tasks)\n", queens_n,
           queens_expect, wrong[1] ? "WRONG" : "ok", best[1] * 1e3, placements);
    printf("  flood, small tasks from one thread: %10d  %-5s %8.1f ms  (checksum %s)\n", flood_n,
           wrong[2] ? "WRONG" : "ok", best[2] * 1e3, wrong[2] ? "differs" : "matches");
    int bad = wrong[0] || wrong[1] || wrong[2];
    printf("total: %.1f ms, peak RSS %.1f MiB, %s\n", (best[0] + best[1] + best[2]) * 1e3,
           peak_rss_mib(), bad ? "SOME RESULTS WRONG" : "all results correct");
    return bad ? 1 : 0;
}
