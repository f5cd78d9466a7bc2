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
 *   uts       unbalanced tree search (binomial, bench_common.h): every node runs one task per
 *             child in a local task_group (its count into an array on the parent's stack; the
 *             root's on the heap) and waits; the root is run in a task_group from main.
 *             tasks = nodes, as in bench_arayon.
 *   reduce    tbb::parallel_reduce over blocked_range<uint64_t>(0, N) (default grain and
 *             auto_partitioner), each range summed with bench_reduce_range. tasks = N indexes.
 *   stream    tbb::parallel_pipeline with max_number_of_live_tokens = W: a serial_in_order
 *             input filter yields the item indexes, a parallel filter runs bench_stream_work,
 *             a serial_out_of_order filter sums the results. Run from main (which joins the
 *             arena). tasks = N items.
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

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/parallel_reduce.h>
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

/* ---------------------------------------------------------------------------------------
 * uts
 * ------------------------------------------------------------------------------------- */
static uint64_t uts_task(uint64_t state, int depth, int b0)
{
    int nc = bench_uts_nchildren(state, depth, b0);
    if (nc == 0)
        return 1;
    uint64_t local[BENCH_UTS_M];
    uint64_t *res = nc <= BENCH_UTS_M ? local : (uint64_t *)malloc((size_t)nc * sizeof *res);
    if (!res) {
        printf("ERROR runtime=" RT " bench=uts out of memory\n");
        exit(1);
    }
    {
        tbb::task_group g;
        for (int i = 0; i < nc; i++) {
            uint64_t cs = bench_uts_child(state, i);
            res[i] = 0;
            g.run([res, cs, i, depth, b0] { res[i] = uts_task(cs, depth + 1, b0); });
        }
        g.wait();
    }
    uint64_t sum = 1;
    for (int i = 0; i < nc; i++)
        sum += res[i];
    if (res != local)
        free(res);
    return sum;
}

static uint64_t uts_run(int b0)
{
    uint64_t r = 0;
    tbb::task_group top;
    top.run([&r, b0] { r = uts_task(bench_uts_root(), 0, b0); });
    top.wait();
    return r;
}

static void bench_uts(const bench_opts *o)
{
    int b0 = o->uts_b0;
    bench_sample samples[BENCH_MAX_REPS];
    int depth = 0;
    uint64_t want = bench_uts_serial(b0, &depth);
    if (o->warmup) {
        int w = b0 < 100 ? b0 : 100;
        if (uts_run(w) != bench_uts_serial(w, NULL)) {
            printf("ERROR runtime=" RT " bench=uts warm-up uts(%d) wrong\n", w);
            exit(1);
        }
    }
    for (int r = 0; r < o->reps; r++) {
        bench_clock c = bench_clock_start();
        uint64_t got = uts_run(b0);
        samples[r] = bench_clock_stop(c);
        if (got != want) {
            printf("ERROR runtime=" RT " bench=uts n=%d counted %llu nodes, expected %llu\n", b0,
                   (unsigned long long)got, (unsigned long long)want);
            exit(1);
        }
    }
    char extra[64];
    snprintf(extra, sizeof extra, "depth=%d", depth);
    bench_report_ex(RT, "uts", b0, o->threads, (double)want, samples, o->reps, extra);
}

/* ---------------------------------------------------------------------------------------
 * reduce
 * ------------------------------------------------------------------------------------- */
static uint64_t reduce_run(long n)
{
    return tbb::parallel_reduce(
        tbb::blocked_range<uint64_t>(0, (uint64_t)n), (uint64_t)0,
        [](const tbb::blocked_range<uint64_t> &r, uint64_t acc) {
            return acc + bench_reduce_range(r.begin(), r.end());
        },
        [](uint64_t a, uint64_t b) { return a + b; });
}

static void bench_reduce(const bench_opts *o)
{
    long n = o->reduce_n;
    bench_sample samples[BENCH_MAX_REPS];
    uint64_t want = bench_reduce_expected(n);
    if (o->warmup) {
        long w = n < 1000000 ? n : 1000000;
        if (reduce_run(w) != bench_reduce_range(0, (uint64_t)w)) {
            printf("ERROR runtime=" RT " bench=reduce warm-up reduce(%ld) wrong\n", w);
            exit(1);
        }
    }
    for (int r = 0; r < o->reps; r++) {
        bench_clock c = bench_clock_start();
        uint64_t got = reduce_run(n);
        samples[r] = bench_clock_stop(c);
        if (got != want) {
            printf("ERROR runtime=" RT " bench=reduce n=%ld sum %llu, expected %llu\n", n,
                   (unsigned long long)got, (unsigned long long)want);
            exit(1);
        }
    }
    bench_report(RT, "reduce", n, o->threads, (double)n, samples, o->reps);
}

/* ---------------------------------------------------------------------------------------
 * stream
 * ------------------------------------------------------------------------------------- */
static std::atomic<long> g_in_flight;

/* One stream of n items, at most w tokens live; *count, *sum: what the output filter got. */
static void stream_run(long n, long w, uint64_t *count, uint64_t *sum, long *peak)
{
    long next = 0, pk = 0;
    uint64_t c = 0, s = 0;
    g_in_flight = 0;
    tbb::parallel_pipeline(
        (size_t)w,
        tbb::make_filter<void, uint64_t>(tbb::filter_mode::serial_in_order,
                                         [&](tbb::flow_control &fc) -> uint64_t {
                                             if (next >= n) {
                                                 fc.stop();
                                                 return 0;
                                             }
                                             long f = ++g_in_flight;
                                             if (f > pk)
                                                 pk = f;
                                             return (uint64_t)next++;
                                         }) &
            tbb::make_filter<uint64_t, uint64_t>(
                tbb::filter_mode::parallel,
                [](uint64_t i) -> uint64_t { return bench_stream_work(i); }) &
            tbb::make_filter<uint64_t, void>(tbb::filter_mode::serial_out_of_order,
                                             [&](uint64_t r) {
                                                 s += r;
                                                 c++;
                                                 --g_in_flight;
                                             }));
    *count = c;
    *sum = s;
    *peak = pk;
}

static void bench_stream(const bench_opts *o)
{
    long n = o->stream_n, w = o->window, peak = 0, pk;
    bench_sample samples[BENCH_MAX_REPS];
    uint64_t count, sum;
    double body_ns = 0;
    if (o->warmup) {
        long kw = n < 10000 ? n : 10000;
        stream_run(kw, w, &count, &sum, &pk);
        bench_stream_verify(RT, kw, w, count, sum, pk);
    }
    for (int r = 0; r < o->reps; r++) {
        bench_clock c = bench_clock_start();
        stream_run(n, w, &count, &sum, &pk);
        samples[r] = bench_clock_stop(c);
        body_ns = bench_stream_verify(RT, n, w, count, sum, pk);
        if (pk > peak)
            peak = pk;
    }
    char extra[96];
    snprintf(extra, sizeof extra, "window=%ld peak_in_flight=%ld body_ns=%.1f", w, peak, body_ns);
    bench_report_ex(RT, "stream", n, o->threads, (double)n, samples, o->reps, extra);
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
    if (o.benches & BENCH_UTS)
        bench_uts(&o);
    if (o.benches & BENCH_REDUCE)
        bench_reduce(&o);
    if (o.benches & BENCH_STREAM)
        bench_stream(&o);
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
