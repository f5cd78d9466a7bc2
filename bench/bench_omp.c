/*
 * bench_omp.c - the OpenMP peer of bench_arayon.c, same logic with explicit tasks.
 *
 * Built twice by bench/run: `clang -fopenmp` (LLVM libomp, runtime=libomp) and
 * `gcc -fopenmp` (GNU libgomp, runtime=libgomp). BENCH_RUNTIME overrides the name.
 *
 *   fib       every call with n >= 2 creates two `omp task`s and a `taskwait`; the top call
 *             is itself a task created by the `single` thread and waited on, so
 *             tasks = calls = 2*fib(N+1) - 1, as in bench_arayon.
 *   flat_in   `parallel` + `single`: the single thread creates K empty tasks, then
 *             `taskwait`. The other team threads run tasks from the implicit barrier.
 *   flat_out  not expressible: in OpenMP the producer is always a member of the team
 *             (a NOTE line says so).
 *   flood_in  as flat_in, but each task does ~50-100 ns of work (bench_flood_work), so tasks
 *             pile up while the single thread spawns; the runtime's own throttling applies
 *             (libomp: a full 256-slot deque makes the producer run new tasks itself;
 *             libgomp: more than 64 x threads queued does). flood_out: NOTE, as flat_out.
 *
 * Timing is inside the `single` region only; the team is started by a warm-up region
 * first (and OpenMP keeps its threads between regions), so thread creation is excluded.
 */
#define _GNU_SOURCE /* clock_gettime, getrusage */
#include "bench_common.h"

#include <omp.h>

#ifndef BENCH_RUNTIME
#if defined(__clang__)
#define BENCH_RUNTIME "libomp"
#else
#define BENCH_RUNTIME "libgomp"
#endif
#endif
#define RT BENCH_RUNTIME

static unsigned g_threads;

static uint64_t fib_task(int n)
{
    if (n < 2)
        return (uint64_t)n;
    uint64_t x, y;
#pragma omp task shared(x) firstprivate(n)
    x = fib_task(n - 1);
#pragma omp task shared(y) firstprivate(n)
    y = fib_task(n - 2);
#pragma omp taskwait
    return x + y;
}

/* One fib(n): team of g_threads, the single thread spawns the top call and waits. */
static uint64_t fib_run(int n, bench_sample *out, int *team)
{
    uint64_t r = 0;
    bench_sample s = {0, 0, 0};
    int nt = 0;
#pragma omp parallel num_threads(g_threads) shared(r, s, nt)
    {
#pragma omp single
        {
            nt = omp_get_num_threads();
            bench_clock c = bench_clock_start();
#pragma omp task shared(r) firstprivate(n)
            r = fib_task(n);
#pragma omp taskwait
            s = bench_clock_stop(c);
        }
    }
    if (out)
        *out = s;
    if (team)
        *team = nt;
    return r;
}

static void bench_fib(const bench_opts *o)
{
    int n = o->fib_n;
    bench_sample samples[BENCH_MAX_REPS];
    uint64_t want = bench_fib_ref(n);
    int team = 0;

    if (o->warmup) {
        int w = n < 20 ? n : 20;
        if (fib_run(w, NULL, NULL) != bench_fib_ref(w)) {
            printf("ERROR runtime=" RT " bench=fib warm-up fib(%d) wrong\n", w);
            exit(1);
        }
    }
    for (int r = 0; r < o->reps; r++) {
        uint64_t got = fib_run(n, &samples[r], &team);
        if (got != want) {
            printf("ERROR runtime=" RT " bench=fib n=%d result %llu, expected %llu\n", n,
                   (unsigned long long)got, (unsigned long long)want);
            exit(1);
        }
    }
    if ((unsigned)team != o->threads)
        printf("WARN runtime=" RT " bench=fib team has %d threads, asked for %u\n", team,
               o->threads);
    bench_report(RT, "fib", n, o->threads, (double)bench_fib_calls(n), samples, o->reps);
}

/* One flat run of k tasks from the single thread; counting tasks when count != NULL. */
static bench_sample flat_run(long k, long *count)
{
    bench_sample s = {0, 0, 0};
#pragma omp parallel num_threads(g_threads) shared(s)
    {
#pragma omp single
        {
            bench_clock c = bench_clock_start();
            if (count) {
                for (long i = 0; i < k; i++) {
#pragma omp task
                    {
#pragma omp atomic
                        (*count)++;
                    }
                }
            } else {
                for (long i = 0; i < k; i++) {
#pragma omp task
                    bench_empty_body();
                }
            }
#pragma omp taskwait
            s = bench_clock_stop(c);
        }
    }
    return s;
}

static void bench_flat(const bench_opts *o, long k)
{
    bench_sample samples[BENCH_MAX_REPS];
    long kv = k < BENCH_VERIFY_TASKS ? k : BENCH_VERIFY_TASKS;
    long count = 0;
    flat_run(kv, &count);
    if (count != kv) {
        printf("ERROR runtime=" RT " bench=flat_in verification: %ld tasks spawned, %ld ran\n",
               kv, count);
        exit(1);
    }
    if (o->warmup && k > 10000)
        flat_run(10000, NULL);
    for (int r = 0; r < o->reps; r++)
        samples[r] = flat_run(k, NULL);
    bench_report(RT, "flat_in", k, o->threads, (double)k, samples, o->reps);
}

/* One flood of k tasks from the single thread. */
static bench_sample flood_run(long k)
{
    bench_sample s = {0, 0, 0};
#pragma omp parallel num_threads(g_threads) shared(s)
    {
#pragma omp single
        {
            bench_clock c = bench_clock_start();
            for (long i = 0; i < k; i++) {
#pragma omp task firstprivate(i)
                bench_flood_task(omp_get_thread_num(), (uint64_t)i);
            }
#pragma omp taskwait
            s = bench_clock_stop(c);
        }
    }
    return s;
}

static void bench_flood(const bench_opts *o)
{
    bench_sample samples[BENCH_MAX_REPS];
    long k = o->flood;
    int used = 0;
    double body_ns = 0;
    if (o->warmup) {
        long kw = k < 10000 ? k : 10000;
        bench_flood_reset();
        flood_run(kw);
        bench_flood_verify(RT, "flood_in", kw, &used);
    }
    long rss_before = bench_maxrss_kb();
    for (int r = 0; r < o->reps; r++) {
        bench_flood_reset();
        samples[r] = flood_run(k);
        body_ns = bench_flood_verify(RT, "flood_in", k, &used);
    }
    bench_report_ex(RT, "flood_in", k, o->threads, (double)k, samples, o->reps, "config=peer");
    printf("FLOOD runtime=" RT " bench=flood_in n=%ld threads=%u config=peer rss_before_kb=%ld "
           "body_ns=%.1f threads_used=%d\n",
           k, o->threads, rss_before, body_ns, used);
}

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(argc, argv, &o);
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_threads = o.threads;
    omp_set_dynamic(0);

    /* Start the team outside any measurement. */
    double t0 = bench_now_ns();
#pragma omp parallel num_threads(g_threads)
    {
    }
    double t1 = bench_now_ns();
    printf("INFO runtime=" RT " openmp=%d threads=%u team_start_ms=%.3f\n", _OPENMP, o.threads,
           (t1 - t0) / 1e6);

    if (o.benches & BENCH_FIB)
        bench_fib(&o);
    for (int i = 0; i < o.nflat; i++) {
        if (o.benches & BENCH_FLAT_OUT)
            printf("NOTE runtime=" RT " bench=flat_out n=%ld not expressible: an OpenMP "
                   "producer is always a team member (see flat_in)\n",
                   o.flat[i]);
        if (o.benches & BENCH_FLAT_IN)
            bench_flat(&o, o.flat[i]);
    }
    if (o.benches & BENCH_FLOOD_SERIAL)
        bench_flood_serial(&o);
    if (o.benches & BENCH_FLOOD_OUT)
        printf("NOTE runtime=" RT " bench=flood_out n=%ld not expressible: an OpenMP "
               "producer is always a team member (see flood_in)\n",
               o.flood);
    if (o.benches & BENCH_FLOOD_IN)
        bench_flood(&o);
    printf("INFO runtime=" RT " maxrss_kb=%ld\n", bench_maxrss_kb());
    return 0;
}
