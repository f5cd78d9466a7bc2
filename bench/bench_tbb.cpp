/*
 * bench_tbb.cpp - the oneTBB peer of bench_arayon.c, same logic with tbb::task_group.
 *
 * Built by bench/run with `g++ -std=c++17 -O2 ... -ltbb` (runtime=tbb).
 *
 *   fib       every call with n >= 2 runs both children in a local task_group and waits;
 *             the top call is itself run in a task_group from main and waited on, so
 *             tasks = calls = 2*fib(N+1) - 1, as in bench_arayon.
 *   nqueens   nqueens(N), no cut-off: every node runs one task per safe column in a local
 *             task_group (each lambda holds its own copy of the board) and waits; the
 *             children's counts go to an array on the parent's stack. The root is run in a
 *             task_group from main. tasks = nodes of the search tree, as in bench_arayon.
 *   flat_out  main runs K empty tasks in a task_group and waits. Note: in oneTBB the main
 *             thread joins the arena while it waits, so with --threads T the arena has T
 *             threads including main (arayon: T workers, main only blocks).
 *   flat_in   main runs one producer task; the producer runs K empty tasks in its own
 *             task_group and waits.
 *   flood_out, flood_in   as flat_out and flat_in, but each task does ~50-100 ns of work
 *             (bench_flood_work), so tasks pile up while the producer spawns; oneTBB has no
 *             bound on pending tasks.
 *
 * The thread count is set with tbb::global_control(max_allowed_parallelism, T).
 */
#include "bench_common.h"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#include <oneapi/tbb/version.h>

#include <atomic>

#define RT "tbb"

static uint64_t fib_task(int n)
{
    if (n < 2)
        return (uint64_t)n;
    uint64_t x, y;
    tbb::task_group g;
    g.run([&x, n] { x = fib_task(n - 1); });
    g.run([&y, n] { y = fib_task(n - 2); });
    g.wait();
    return x + y;
}

static uint64_t fib_run(int n)
{
    uint64_t r = 0;
    tbb::task_group top;
    top.run([&r, n] { r = fib_task(n); });
    top.wait();
    return r;
}

static void bench_fib(const bench_opts *o)
{
    int n = o->fib_n;
    bench_sample samples[BENCH_MAX_REPS];
    uint64_t want = bench_fib_ref(n);

    if (o->warmup) {
        int w = n < 20 ? n : 20;
        if (fib_run(w) != bench_fib_ref(w)) {
            printf("ERROR runtime=" RT " bench=fib warm-up fib(%d) wrong\n", w);
            exit(1);
        }
    }
    for (int r = 0; r < o->reps; r++) {
        bench_clock c = bench_clock_start();
        uint64_t got = fib_run(n);
        samples[r] = bench_clock_stop(c);
        if (got != want) {
            printf("ERROR runtime=" RT " bench=fib n=%d result %llu, expected %llu\n", n,
                   (unsigned long long)got, (unsigned long long)want);
            exit(1);
        }
    }
    bench_report(RT, "fib", n, o->threads, (double)bench_fib_calls(n), samples, o->reps);
}

/* nqueens below the node `b` (queens in rows 0..row-1, this task's own copy). */
static uint64_t nq_task(int n, int row, const bench_nq_board &b)
{
    if (row == n)
        return 1;
    uint64_t res[sizeof b.q];
    int nc = 0;
    tbb::task_group g;
    for (int col = 0; col < n; col++) {
        if (!bench_nq_safe(&b, row, col))
            continue;
        bench_nq_board c = b;
        c.q[row] = (unsigned char)col;
        int i = nc++;
        res[i] = 0;
        g.run([&res, c, i, n, row] { res[i] = nq_task(n, row + 1, c); });
    }
    g.wait();
    uint64_t sum = 0;
    for (int i = 0; i < nc; i++)
        sum += res[i];
    return sum;
}

static uint64_t nq_run(int n)
{
    uint64_t r = 0;
    bench_nq_board root;
    memset(&root, 0, sizeof root);
    tbb::task_group top;
    top.run([&r, n, root] { r = nq_task(n, 0, root); });
    top.wait();
    return r;
}

static void bench_nqueens(const bench_opts *o)
{
    int n = o->nqueens_n;
    bench_sample samples[BENCH_MAX_REPS];
    uint64_t nodes = 0;
    uint64_t want = bench_nq_serial(n, &nodes);
    if (want != bench_nq_known[n]) {
        printf("ERROR runtime=" RT " bench=nqueens serial reference nqueens(%d) gave %llu\n", n,
               (unsigned long long)want);
        exit(1);
    }
    if (o->warmup) {
        int w = n < 8 ? n : 8;
        if (nq_run(w) != bench_nq_known[w]) {
            printf("ERROR runtime=" RT " bench=nqueens warm-up nqueens(%d) wrong\n", w);
            exit(1);
        }
    }
    for (int r = 0; r < o->reps; r++) {
        bench_clock c = bench_clock_start();
        uint64_t got = nq_run(n);
        samples[r] = bench_clock_stop(c);
        if (got != want) {
            printf("ERROR runtime=" RT " bench=nqueens n=%d result %llu, expected %llu\n", n,
                   (unsigned long long)got, (unsigned long long)want);
            exit(1);
        }
    }
    bench_report(RT, "nqueens", n, o->threads, (double)nodes, samples, o->reps);
}

static std::atomic<long> g_count;

/* k tasks from the calling thread into a local task_group, then wait. */
static void spawn_flat(long k, bool count)
{
    tbb::task_group g;
    if (count) {
        for (long i = 0; i < k; i++)
            g.run([] { g_count.fetch_add(1, std::memory_order_relaxed); });
    } else {
        for (long i = 0; i < k; i++)
            g.run([] { bench_empty_body(); });
    }
    g.wait();
}

static void flat_run(bool inside, long k, bool count)
{
    if (!inside) {
        spawn_flat(k, count);
        return;
    }
    tbb::task_group outer;
    outer.run([k, count] { spawn_flat(k, count); });
    outer.wait();
}

static void bench_flat(const bench_opts *o, bool inside, long k)
{
    const char *bench = inside ? "flat_in" : "flat_out";
    bench_sample samples[BENCH_MAX_REPS];
    long kv = k < BENCH_VERIFY_TASKS ? k : BENCH_VERIFY_TASKS;
    g_count = 0;
    flat_run(inside, kv, true);
    if (g_count.load() != kv) {
        printf("ERROR runtime=" RT " bench=%s verification: %ld tasks spawned, %ld ran\n", bench,
               kv, g_count.load());
        exit(1);
    }
    if (o->warmup && k > 10000)
        flat_run(inside, 10000, false);
    for (int r = 0; r < o->reps; r++) {
        bench_clock c = bench_clock_start();
        flat_run(inside, k, false);
        samples[r] = bench_clock_stop(c);
    }
    bench_report(RT, bench, k, o->threads, (double)k, samples, o->reps);
}

static void spawn_flood(long k)
{
    tbb::task_group g;
    for (long i = 0; i < k; i++)
        g.run([i] {
            bench_flood_task(tbb::this_task_arena::current_thread_index() + 1, (uint64_t)i);
        });
    g.wait();
}

static void flood_run(bool inside, long k)
{
    if (!inside) {
        spawn_flood(k);
        return;
    }
    tbb::task_group outer;
    outer.run([k] { spawn_flood(k); });
    outer.wait();
}

static void bench_flood(const bench_opts *o, bool inside)
{
    const char *bench = inside ? "flood_in" : "flood_out";
    bench_sample samples[BENCH_MAX_REPS];
    long k = o->flood;
    int used = 0;
    double body_ns = 0;
    if (o->warmup) {
        long kw = k < 10000 ? k : 10000;
        bench_flood_reset();
        flood_run(inside, kw);
        bench_flood_verify(RT, bench, kw, &used);
    }
    long rss_before = bench_maxrss_kb();
    for (int r = 0; r < o->reps; r++) {
        bench_flood_reset();
        bench_clock c = bench_clock_start();
        flood_run(inside, k);
        samples[r] = bench_clock_stop(c);
        body_ns = bench_flood_verify(RT, bench, k, &used);
    }
    bench_report_ex(RT, bench, k, o->threads, (double)k, samples, o->reps, "config=peer");
    printf("FLOOD runtime=" RT " bench=%s n=%ld threads=%u config=peer rss_before_kb=%ld "
           "body_ns=%.1f threads_used=%d\n",
           bench, k, o->threads, rss_before, body_ns, used);
}

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(argc, argv, &o);
    setvbuf(stdout, NULL, _IOLBF, 0);

    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, o.threads);
    /* Start the arena's workers outside any measurement. */
    double t0 = bench_now_ns();
    flat_run(false, 1000, false);
    double t1 = bench_now_ns();
    printf("INFO runtime=" RT " version=%d.%d threads=%u allowed=%zu arena_start_ms=%.3f\n",
           TBB_VERSION_MAJOR, TBB_VERSION_MINOR, o.threads,
           tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism),
           (t1 - t0) / 1e6);

    if (o.benches & BENCH_FIB)
        bench_fib(&o);
    if (o.benches & BENCH_NQUEENS)
        bench_nqueens(&o);
    for (int i = 0; i < o.nflat; i++) {
        if (o.benches & BENCH_FLAT_OUT)
            bench_flat(&o, false, o.flat[i]);
        if (o.benches & BENCH_FLAT_IN)
            bench_flat(&o, true, o.flat[i]);
    }
    if (o.benches & BENCH_FLOOD_SERIAL)
        bench_flood_serial(&o);
    if (o.benches & BENCH_FLOOD_OUT)
        bench_flood(&o, false);
    if (o.benches & BENCH_FLOOD_IN)
        bench_flood(&o, true);
    printf("INFO runtime=" RT " maxrss_kb=%ld\n", bench_maxrss_kb());
    return 0;
}
