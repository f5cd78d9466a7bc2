/*
 * bench_arayon.c - spawn/wait overhead of the native arayon API.
 *
 * Benchmarks (see bench/README.md; the peers in bench_omp.c and bench_tbb.cpp run the same
 * logic):
 *   fib       recursive fib(N), no cutoff: every call with n >= 2 begins a scope, spawns
 *             both children into it and ends the scope; results travel through a small
 *             struct on the parent's stack. The top call is itself spawned from main and
 *             waited on, so tasks = calls = 2*fib(N+1) - 1.
 *   nqueens   nqueens(N), no cut-off: every node of the search begins a scope, spawns one
 *             task per safe column of its row (each with its own copy of the board, in a
 *             struct on the parent's stack that also receives the child's count) and ends
 *             the scope; the root is spawned from main and waited on, as fib's top call.
 *             tasks = nodes of the search tree (35,539 for N = 10).
 *   flat_out  main (not a worker) begins a scope, spawns K empty tasks, ends the scope.
 *   flat_in   main spawns one producer task; the producer begins a scope, spawns K empty
 *             tasks and ends it (the OpenMP `single` producer). tasks = K (the producer is
 *             not counted).
 *   uts       unbalanced tree search (binomial, bench_common.h): every node begins a scope,
 *             spawns one task per child (m = 8, or b0 at the root; each child's argument
 *             struct on the parent's stack, the root's on the heap) and ends it; the root is
 *             spawned from main and waited on. tasks = nodes (1,968,097 for b0 = 2000).
 *   reduce    arayon_parallel_for over [0, N) (grain 0 = automatic: N / (8 * workers)), each
 *             subrange summed locally and added to an atomic total. tasks = N indexes (ns per
 *             index). `serial` also times the plain loop.
 *   stream    arayon_stream_process from a producer task: N items (item i = its index) pulled
 *             by next(), each processed as one task (bench_stream_work), at most W in flight,
 *             results delivered on the producer (unordered) and summed. tasks = N items.
 *   flood_out, flood_in   as flat_out and flat_in, but each task does ~50-100 ns of work
 *             (bench_flood_work), so tasks pile up while the producer spawns and the pool's
 *             admission control (--max-pending, --policy) decides what happens. Meant to run
 *             alone in a process (peak RSS); prints a FLOOD line with the pool's metrics.
 *
 * Correctness: fib is checked against the iterative value, nqueens against the known
 * solution count (and a serial search gives the node count); flat is checked once per size
 * with counting tasks (unmeasured), and the measured runs are cross-checked against the
 * pool's counters. A wrong result prints ERROR and exits 1; nothing else exits non-zero
 * (performance is reported, never asserted).
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include "arayon.h"
#include "bench_common.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#define RT "arayon"

static arayon_pool_t *g_pool;
static atomic_long g_api_errors;   /* failed arayon calls inside tasks */
static atomic_int g_first_api_err; /* the first such error code */
static atomic_long g_count;        /* counting tasks of the verification pass */

static void note_api_error(int rc)
{
    int zero = 0;
    atomic_compare_exchange_strong(&g_first_api_err, &zero, rc);
    atomic_fetch_add(&g_api_errors, 1);
}

static void fail(const char *bench, const char *fmt_what, long a, long b)
{
    printf("ERROR runtime=" RT " bench=%s ", bench);
    printf(fmt_what, a, b);
    printf("\n");
    fflush(stdout);
    exit(1);
}

static void fail_rc(const char *bench, const char *what, int rc)
{
    printf("ERROR runtime=" RT " bench=%s %s failed: %s (%s)\n", bench, what,
           arayon_errname(rc), arayon_strerror(rc));
    fflush(stdout);
    exit(1);
}

static void check_api_errors(const char *bench)
{
    long n = atomic_exchange(&g_api_errors, 0);
    int rc = atomic_exchange(&g_first_api_err, 0);
    if (n != 0) {
        printf("ERROR runtime=" RT " bench=%s %ld arayon calls failed inside tasks, first: %s "
               "(%s)\n",
               bench, n, arayon_errname(rc), arayon_strerror(rc));
        fflush(stdout);
        exit(1);
    }
}

static double thread_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return bench_tv_ns(ru.ru_utime) + bench_tv_ns(ru.ru_stime);
}

/* ---------------------------------------------------------------------------------------
 * Pool counters: deltas over the measured runs, printed as a STATS line.
 * ------------------------------------------------------------------------------------- */
static arayon_stats_t stats_now(void)
{
    arayon_stats_t st;
    memset(&st, 0, sizeof st);
    int rc = arayon_pool_stats(g_pool, &st);
    if (rc != ARAYON_OK)
        fail_rc("stats", "arayon_pool_stats", rc);
    return st;
}

/*
 * A snapshot with nothing pending (polls up to 1 s). Needed before a measurement: the pool's
 * counters may not yet include the last task of the previous wait (a worker counts a task
 * as finished after it has signalled the task's waiter).
 */
static arayon_stats_t stats_quiet(void)
{
    arayon_stats_t st = stats_now();
    for (int i = 0; i < 1000 && st.pending != 0; i++) {
        usleep(1000);
        st = stats_now();
    }
    return st;
}

/*
 * Waits (up to 2 s) until the pool's finished counters cover `expect` tasks since `before`:
 * counters may trail the wakeup of the waiter by a moment. A mismatch after that is printed
 * as a WARN line (the counters are wrong; the measured work itself was verified separately).
 */
static arayon_stats_t stats_settle(const char *bench, long n, arayon_stats_t before,
                                   uint64_t expect)
{
    arayon_stats_t st = stats_now();
    for (int i = 0; i < 2000; i++) {
        uint64_t done = (st.completed - before.completed) + (st.failed - before.failed) +
                        (st.cancelled - before.cancelled);
        if (done >= expect && st.spawned - before.spawned == expect)
            break;
        usleep(1000);
        st = stats_now();
    }
    uint64_t sp = st.spawned - before.spawned, co = st.completed - before.completed;
    if (sp != expect || co != expect || st.failed != before.failed ||
        st.cancelled != before.cancelled)
        printf("WARN runtime=" RT " bench=%s n=%ld pool counters disagree: expected %llu "
               "spawned and completed, got spawned=%llu completed=%llu failed=%llu "
               "cancelled=%llu pending=%llu\n",
               bench, n, (unsigned long long)expect, (unsigned long long)sp,
               (unsigned long long)co, (unsigned long long)(st.failed - before.failed),
               (unsigned long long)(st.cancelled - before.cancelled),
               (unsigned long long)st.pending);
    return st;
}

static void stats_print(const char *bench, long n, arayon_stats_t a, arayon_stats_t b,
                        double tasks_total, double main_cpu_ns, int reps)
{
    double k = tasks_total / 1000.0;
    printf("STATS runtime=" RT " bench=%s n=%ld threads=%u steals_per_ktask=%.2f "
           "injected_per_ktask=%.2f parks_per_ktask=%.3f wakeups_per_ktask=%.3f "
           "parks=%llu wakeups=%llu main_cpu_ms=%.2f\n",
           bench, n, a.num_threads, (double)(b.steals - a.steals) / k,
           (double)(b.injected - a.injected) / k, (double)(b.parks - a.parks) / k,
           (double)(b.wakeups - a.wakeups) / k, (unsigned long long)(b.parks - a.parks),
           (unsigned long long)(b.wakeups - a.wakeups), main_cpu_ns / 1e6 / reps);
    fflush(stdout);
}

/* ---------------------------------------------------------------------------------------
 * fib
 * ------------------------------------------------------------------------------------- */
typedef struct fib_arg {
    int n;
    uint64_t r;
} fib_arg;

static int fib_task(void *p)
{
    fib_arg *a = (fib_arg *)p;
    if (a->n < 2) {
        a->r = (uint64_t)a->n;
        return 0;
    }
    fib_arg x = {a->n - 1, 0};
    fib_arg y = {a->n - 2, 0};
    arayon_scope_t *s;
    int rc = arayon_scope_begin(g_pool, &s);
    if (rc != ARAYON_OK) {
        note_api_error(rc);
        return 1;
    }
    rc = arayon_scope_spawn(s, fib_task, &x, NULL);
    if (rc != ARAYON_OK)
        note_api_error(rc);
    rc = arayon_scope_spawn(s, fib_task, &y, NULL);
    if (rc != ARAYON_OK)
        note_api_error(rc);
    rc = arayon_scope_end(&s);
    if (rc != ARAYON_OK) {
        note_api_error(rc);
        return 1;
    }
    a->r = x.r + y.r;
    return 0;
}

/* One fib(n) from main: spawn the top call, wait for it. Returns the result. */
static uint64_t fib_run(int n)
{
    fib_arg top = {n, 0};
    arayon_task_t *t = NULL;
    int rc = arayon_spawn_handle(g_pool, fib_task, &top, &t);
    if (rc != ARAYON_OK)
        fail_rc("fib", "arayon_spawn_handle", rc);
    rc = arayon_task_wait(t);
    arayon_task_release(t);
    if (rc != ARAYON_OK)
        fail_rc("fib", "arayon_task_wait", rc);
    return top.r;
}

static void bench_fib(const bench_opts *o)
{
    int n = o->fib_n;
    bench_sample samples[BENCH_MAX_REPS];
    uint64_t want = bench_fib_ref(n);
    double tasks = (double)bench_fib_calls(n);

    if (o->warmup) {
        int w = n < 20 ? n : 20;
        uint64_t got = fib_run(w);
        check_api_errors("fib");
        if (got != bench_fib_ref(w))
            fail("fib", "warm-up fib(%ld) gave a wrong result (%ld)", w, (long)got);
    }

    arayon_stats_t before = stats_quiet();
    double main_cpu = 0;
    for (int r = 0; r < o->reps; r++) {
        double c0 = thread_cpu_ns();
        bench_clock c = bench_clock_start();
        uint64_t got = fib_run(n);
        samples[r] = bench_clock_stop(c);
        main_cpu += thread_cpu_ns() - c0;
        check_api_errors("fib");
        if (got != want) {
            printf("ERROR runtime=" RT " bench=fib n=%d result %llu, expected %llu\n", n,
                   (unsigned long long)got, (unsigned long long)want);
            fflush(stdout);
            exit(1);
        }
    }
    arayon_stats_t after = stats_settle("fib", n, before, (uint64_t)(tasks * o->reps));
    bench_report(RT, "fib", n, o->threads, tasks, samples, o->reps);
    stats_print("fib", n, before, after, tasks * o->reps, main_cpu, o->reps);
}

/* Serial recursive fib, the per-call baseline (not inlined into a loop by the compiler). */
__attribute__((noinline)) static uint64_t fib_serial(int n)
{
    if (n < 2)
        return (uint64_t)n;
    return fib_serial(n - 1) + fib_serial(n - 2);
}

static void bench_fib_serial(const bench_opts *o)
{
    int n = o->fib_n;
    bench_sample samples[BENCH_MAX_REPS];
    for (int r = 0; r < o->reps; r++) {
        bench_clock c = bench_clock_start();
        volatile uint64_t got = fib_serial(n);
        samples[r] = bench_clock_stop(c);
        if (got != bench_fib_ref(n))
            fail("fib", "serial fib(%ld) wrong: %ld", n, (long)got);
    }
    bench_report("serial", "fib", n, 1, (double)bench_fib_calls(n), samples, o->reps);
}

/* ---------------------------------------------------------------------------------------
 * nqueens
 * ------------------------------------------------------------------------------------- */
typedef struct nq_arg {
    bench_nq_board board; /* this task's own copy: queens in rows 0..row-1 */
    int n;
    int row;
    uint64_t r; /* solutions below this node, written by the task */
} nq_arg;

static int nq_task(void *p)
{
    nq_arg *a = (nq_arg *)p;
    if (a->row == a->n) {
        a->r = 1;
        return 0;
    }
    nq_arg child[sizeof a->board.q];
    int nc = 0;
    arayon_scope_t *s;
    int rc = arayon_scope_begin(g_pool, &s);
    if (rc != ARAYON_OK) {
        note_api_error(rc);
        return 1;
    }
    for (int col = 0; col < a->n; col++) {
        if (!bench_nq_safe(&a->board, a->row, col))
            continue;
        nq_arg *c = &child[nc++];
        c->board = a->board;
        c->board.q[a->row] = (unsigned char)col;
        c->n = a->n;
        c->row = a->row + 1;
        c->r = 0;
        rc = arayon_scope_spawn(s, nq_task, c, NULL);
        if (rc != ARAYON_OK)
            note_api_error(rc);
    }
    rc = arayon_scope_end(&s);
    if (rc != ARAYON_OK) {
        note_api_error(rc);
        return 1;
    }
    uint64_t sum = 0;
    for (int i = 0; i < nc; i++)
        sum += child[i].r;
    a->r = sum;
    return 0;
}

/* One nqueens(n) from main: spawn the root, wait for it. Returns the solution count. */
static uint64_t nq_run(int n)
{
    nq_arg top;
    memset(&top, 0, sizeof top);
    top.n = n;
    arayon_task_t *t = NULL;
    int rc = arayon_spawn_handle(g_pool, nq_task, &top, &t);
    if (rc != ARAYON_OK)
        fail_rc("nqueens", "arayon_spawn_handle", rc);
    rc = arayon_task_wait(t);
    arayon_task_release(t);
    if (rc != ARAYON_OK)
        fail_rc("nqueens", "arayon_task_wait", rc);
    return top.r;
}

static void bench_nqueens(const bench_opts *o)
{
    int n = o->nqueens_n;
    bench_sample samples[BENCH_MAX_REPS];
    uint64_t nodes = 0;
    uint64_t want = bench_nq_serial(n, &nodes);
    if (want != bench_nq_known[n])
        fail("nqueens", "serial reference nqueens(%ld) gave %ld solutions", n, (long)want);
    double tasks = (double)nodes;

    if (o->warmup) {
        int w = n < 8 ? n : 8;
        uint64_t got = nq_run(w);
        check_api_errors("nqueens");
        if (got != bench_nq_known[w])
            fail("nqueens", "warm-up nqueens(%ld) gave a wrong result (%ld)", w, (long)got);
    }

    arayon_stats_t before = stats_quiet();
    double main_cpu = 0;
    for (int r = 0; r < o->reps; r++) {
        double c0 = thread_cpu_ns();
        bench_clock c = bench_clock_start();
        uint64_t got = nq_run(n);
        samples[r] = bench_clock_stop(c);
        main_cpu += thread_cpu_ns() - c0;
        check_api_errors("nqueens");
        if (got != want) {
            printf("ERROR runtime=" RT " bench=nqueens n=%d result %llu, expected %llu\n", n,
                   (unsigned long long)got, (unsigned long long)want);
            fflush(stdout);
            exit(1);
        }
    }
    arayon_stats_t after = stats_settle("nqueens", n, before, nodes * (uint64_t)o->reps);
    bench_report(RT, "nqueens", n, o->threads, tasks, samples, o->reps);
    stats_print("nqueens", n, before, after, tasks * o->reps, main_cpu, o->reps);
}

/* ---------------------------------------------------------------------------------------
 * uts
 * ------------------------------------------------------------------------------------- */
typedef struct uts_arg {
    uint64_t state;
    int depth;
    int b0;
    uint64_t r; /* nodes in this subtree, written by the task */
} uts_arg;

static int uts_task(void *p)
{
    uts_arg *a = (uts_arg *)p;
    int nc = bench_uts_nchildren(a->state, a->depth, a->b0);
    if (nc == 0) {
        a->r = 1;
        return 0;
    }
    uts_arg local[BENCH_UTS_M];
    uts_arg *child = nc <= BENCH_UTS_M ? local : (uts_arg *)malloc((size_t)nc * sizeof *child);
    if (!child) {
        note_api_error(ARAYON_ENOMEM);
        return 1;
    }
    arayon_scope_t *s;
    int rc = arayon_scope_begin(g_pool, &s);
    if (rc != ARAYON_OK) {
        note_api_error(rc);
        if (child != local)
            free(child);
        return 1;
    }
    for (int i = 0; i < nc; i++) {
        child[i].state = bench_uts_child(a->state, i);
        child[i].depth = a->depth + 1;
        child[i].b0 = a->b0;
        child[i].r = 0;
        rc = arayon_scope_spawn(s, uts_task, &child[i], NULL);
        if (rc != ARAYON_OK)
            note_api_error(rc);
    }
    rc = arayon_scope_end(&s);
    if (rc != ARAYON_OK)
        note_api_error(rc);
    uint64_t sum = 1;
    for (int i = 0; i < nc; i++)
        sum += child[i].r;
    if (child != local)
        free(child);
    a->r = sum;
    return rc != ARAYON_OK;
}

static uint64_t uts_run(int b0)
{
    uts_arg top = {bench_uts_root(), 0, b0, 0};
    arayon_task_t *t = NULL;
    int rc = arayon_spawn_handle(g_pool, uts_task, &top, &t);
    if (rc != ARAYON_OK)
        fail_rc("uts", "arayon_spawn_handle", rc);
    rc = arayon_task_wait(t);
    arayon_task_release(t);
    if (rc != ARAYON_OK)
        fail_rc("uts", "arayon_task_wait", rc);
    return top.r;
}

static void bench_uts(const bench_opts *o)
{
    int b0 = o->uts_b0;
    bench_sample samples[BENCH_MAX_REPS];
    int depth = 0;
    uint64_t want = bench_uts_serial(b0, &depth);
    if (o->warmup) {
        int w = b0 < 100 ? b0 : 100;
        uint64_t wn = bench_uts_serial(w, NULL), got = uts_run(w);
        check_api_errors("uts");
        if (got != wn)
            fail("uts", "warm-up uts(%ld) gave a wrong count (%ld)", w, (long)got);
    }
    arayon_stats_t before = stats_quiet();
    double main_cpu = 0;
    for (int r = 0; r < o->reps; r++) {
        double c0 = thread_cpu_ns();
        bench_clock c = bench_clock_start();
        uint64_t got = uts_run(b0);
        samples[r] = bench_clock_stop(c);
        main_cpu += thread_cpu_ns() - c0;
        check_api_errors("uts");
        if (got != want) {
            printf("ERROR runtime=" RT " bench=uts n=%d counted %llu nodes, expected %llu\n", b0,
                   (unsigned long long)got, (unsigned long long)want);
            fflush(stdout);
            exit(1);
        }
    }
    arayon_stats_t after = stats_settle("uts", b0, before, want * (uint64_t)o->reps);
    char extra[64];
    snprintf(extra, sizeof extra, "depth=%d", depth);
    bench_report_ex(RT, "uts", b0, o->threads, (double)want, samples, o->reps, extra);
    stats_print("uts", b0, before, after, (double)want * o->reps, main_cpu, o->reps);
}

/* ---------------------------------------------------------------------------------------
 * reduce
 * ------------------------------------------------------------------------------------- */
static atomic_uint_least64_t g_reduce_sum;

static int reduce_range(void *ctx, size_t lo, size_t hi)
{
    (void)ctx;
    atomic_fetch_add_explicit(&g_reduce_sum, bench_reduce_range(lo, hi), memory_order_relaxed);
    return 0;
}

static void bench_reduce(const bench_opts *o)
{
    long n = o->reduce_n;
    bench_sample samples[BENCH_MAX_REPS];
    uint64_t want = bench_reduce_expected(n);
    if (o->warmup) {
        atomic_store(&g_reduce_sum, 0);
        long w = n < 1000000 ? n : 1000000;
        int rc = arayon_parallel_for(g_pool, 0, (size_t)w, 0, reduce_range, NULL);
        if (rc != ARAYON_OK)
            fail_rc("reduce", "arayon_parallel_for", rc);
        if (atomic_load(&g_reduce_sum) != bench_reduce_range(0, (uint64_t)w))
            fail("reduce", "warm-up reduce(%ld) gave a wrong sum%ld", w, 0);
    }
    double main_cpu = 0;
    for (int r = 0; r < o->reps; r++) {
        atomic_store(&g_reduce_sum, 0);
        double c0 = thread_cpu_ns();
        bench_clock c = bench_clock_start();
        int rc = arayon_parallel_for(g_pool, 0, (size_t)n, 0, reduce_range, NULL);
        samples[r] = bench_clock_stop(c);
        main_cpu += thread_cpu_ns() - c0;
        if (rc != ARAYON_OK)
            fail_rc("reduce", "arayon_parallel_for", rc);
        uint64_t got = atomic_load(&g_reduce_sum);
        if (got != want) {
            printf("ERROR runtime=" RT " bench=reduce n=%ld sum %llu, expected %llu\n", n,
                   (unsigned long long)got, (unsigned long long)want);
            fflush(stdout);
            exit(1);
        }
    }
    bench_report(RT, "reduce", n, o->threads, (double)n, samples, o->reps);
    (void)main_cpu;
}

static void bench_reduce_serial(const bench_opts *o)
{
    long n = o->reduce_n;
    bench_sample samples[BENCH_MAX_REPS];
    uint64_t want = bench_reduce_expected(n);
    for (int r = 0; r < o->reps; r++) {
        bench_clock c = bench_clock_start();
        volatile uint64_t got = bench_reduce_range(0, (uint64_t)n);
        samples[r] = bench_clock_stop(c);
        if (got != want)
            fail("reduce", "serial reduce(%ld) wrong: %ld", n, (long)got);
    }
    bench_report("serial", "reduce", n, 1, (double)n, samples, o->reps);
}

/* ---------------------------------------------------------------------------------------
 * stream
 * ------------------------------------------------------------------------------------- */
typedef struct stream_item {
    uint64_t i;
    uint64_t result;
} stream_item;

typedef struct stream_ctx {
    long n, next, in_flight, peak;
    uint64_t count, sum;
    int failed;
} stream_ctx;

static bool stream_next(void *ctx, void *item)
{
    stream_ctx *c = (stream_ctx *)ctx;
    if (c->next >= c->n)
        return false;
    ((stream_item *)item)->i = (uint64_t)c->next++;
    if (++c->in_flight > c->peak)
        c->peak = c->in_flight;
    return true;
}

static int stream_work(void *item, void *ctx)
{
    (void)ctx;
    stream_item *it = (stream_item *)item;
    it->result = bench_stream_work(it->i);
    return 0;
}

static void stream_done(void *item, int status, void *ctx)
{
    stream_ctx *c = (stream_ctx *)ctx;
    c->in_flight--;
    if (status != ARAYON_OK) {
        c->failed++;
        return;
    }
    c->count++;
    c->sum += ((stream_item *)item)->result;
}

/* BENCH_STREAM_ORDERED=1 in the environment: ordered delivery (for comparison). */
static bool g_stream_ordered;

typedef struct stream_arg {
    stream_ctx *c;
    long window;
    int rc;
} stream_arg;

static int stream_producer(void *p)
{
    stream_arg *a = (stream_arg *)p;
    a->rc = arayon_stream_process(g_pool, stream_next, sizeof(stream_item), (size_t)a->window,
                                  stream_work, stream_done, g_stream_ordered, a->c);
    return a->rc != ARAYON_OK;
}

/* One stream run of n items from a producer task. */
static void stream_run(long n, long window, stream_ctx *c)
{
    memset(c, 0, sizeof *c);
    c->n = n;
    stream_arg a = {c, window, ARAYON_OK};
    arayon_task_t *t = NULL;
    int rc = arayon_spawn_handle(g_pool, stream_producer, &a, &t);
    if (rc != ARAYON_OK)
        fail_rc("stream", "arayon_spawn_handle(producer)", rc);
    rc = arayon_task_wait(t);
    arayon_task_release(t);
    if (a.rc != ARAYON_OK)
        fail_rc("stream", "arayon_stream_process", a.rc);
    if (rc != ARAYON_OK)
        fail_rc("stream", "arayon_task_wait(producer)", rc);
}

static void bench_stream(const bench_opts *o)
{
    long n = o->stream_n, w = o->window;
    bench_sample samples[BENCH_MAX_REPS];
    stream_ctx c;
    long peak = 0;
    double body_ns = 0;
    const char *ord = getenv("BENCH_STREAM_ORDERED");
    g_stream_ordered = ord && *ord == '1';
    if (o->warmup) {
        long kw = n < 10000 ? n : 10000;
        stream_run(kw, w, &c);
        bench_stream_verify(RT, kw, w, c.count, c.sum, c.peak);
    }
    arayon_stats_t before = stats_quiet();
    double main_cpu = 0;
    for (int r = 0; r < o->reps; r++) {
        double c0 = thread_cpu_ns();
        bench_clock ck = bench_clock_start();
        stream_run(n, w, &c);
        samples[r] = bench_clock_stop(ck);
        main_cpu += thread_cpu_ns() - c0;
        body_ns = bench_stream_verify(RT, n, w, c.count, c.sum, c.peak);
        if (c.peak > peak)
            peak = c.peak;
    }
    arayon_stats_t after =
        stats_settle("stream", n, before, (uint64_t)(n + 1) * (uint64_t)o->reps);
    char extra[96];
    snprintf(extra, sizeof extra, "window=%ld peak_in_flight=%ld body_ns=%.1f%s", w, peak, body_ns,
             g_stream_ordered ? " ordered=1" : "");
    bench_report_ex(RT, "stream", n, o->threads, (double)n, samples, o->reps, extra);
    stats_print("stream", n, before, after, (double)n * o->reps, main_cpu, o->reps);
}

/* ---------------------------------------------------------------------------------------
 * flat spawn
 * ------------------------------------------------------------------------------------- */
static int empty_task(void *p)
{
    (void)p;
    bench_empty_body();
    return 0;
}

static int count_task(void *p)
{
    (void)p;
    atomic_fetch_add_explicit(&g_count, 1, memory_order_relaxed);
    return 0;
}

/* Begins a scope on the calling thread, spawns k tasks of fn into it, ends it. */
static int spawn_flat(long k, arayon_fn fn)
{
    arayon_scope_t *s;
    int rc = arayon_scope_begin(g_pool, &s);
    if (rc != ARAYON_OK)
        return rc;
    int first = ARAYON_OK;
    for (long i = 0; i < k; i++) {
        rc = arayon_scope_spawn(s, fn, NULL, NULL);
        if (rc != ARAYON_OK) {
            first = rc;
            break;
        }
    }
    rc = arayon_scope_end(&s);
    return first != ARAYON_OK ? first : rc;
}

static int flood_task(void *p)
{
    bench_flood_task(arayon_worker_index() + 1, (uint64_t)(uintptr_t)p);
    return 0;
}

/* Begins a scope on the calling thread, spawns the k flood tasks into it, ends it. */
static int spawn_flood(long k)
{
    arayon_scope_t *s;
    int rc = arayon_scope_begin(g_pool, &s);
    if (rc != ARAYON_OK)
        return rc;
    int first = ARAYON_OK;
    for (long i = 0; i < k; i++) {
        rc = arayon_scope_spawn(s, flood_task, (void *)(uintptr_t)i, NULL);
        if (rc != ARAYON_OK) {
            first = rc;
            break;
        }
    }
    rc = arayon_scope_end(&s);
    return first != ARAYON_OK ? first : rc;
}

typedef struct producer_arg {
    long k;
    arayon_fn fn;
    int rc;
} producer_arg;

static int producer_task(void *p)
{
    producer_arg *a = (producer_arg *)p;
    a->rc = a->fn ? spawn_flat(a->k, a->fn) : spawn_flood(a->k);
    return a->rc != ARAYON_OK;
}

/* One flat run of k tasks; inside: through a producer task. fn == NULL: the flood. */
static void flat_run(const char *bench, bool inside, long k, arayon_fn fn)
{
    if (!inside) {
        int rc = fn ? spawn_flat(k, fn) : spawn_flood(k);
        if (rc != ARAYON_OK)
            fail_rc(bench, "spawn from main (scope_begin/spawn/end)", rc);
        return;
    }
    producer_arg a = {k, fn, ARAYON_OK};
    arayon_task_t *t = NULL;
    int rc = arayon_spawn_handle(g_pool, producer_task, &a, &t);
    if (rc != ARAYON_OK)
        fail_rc(bench, "arayon_spawn_handle(producer)", rc);
    rc = arayon_task_wait(t);
    arayon_task_release(t);
    if (a.rc != ARAYON_OK)
        fail_rc(bench, "spawn in the producer task (scope_begin/spawn/end)", a.rc);
    if (rc != ARAYON_OK)
        fail_rc(bench, "arayon_task_wait(producer)", rc);
}

static void bench_flat(const bench_opts *o, bool inside, long k)
{
    const char *bench = inside ? "flat_in" : "flat_out";
    bench_sample samples[BENCH_MAX_REPS];

    /* Verification pass, unmeasured: every task runs exactly once. */
    long kv = k < BENCH_VERIFY_TASKS ? k : BENCH_VERIFY_TASKS;
    atomic_store(&g_count, 0);
    flat_run(bench, inside, kv, count_task);
    long ran = atomic_load(&g_count);
    if (ran != kv)
        fail(bench, "verification: %ld tasks spawned, %ld ran", kv, ran);
    if (o->warmup && k > 10000)
        flat_run(bench, inside, 10000, empty_task);

    arayon_stats_t before = stats_quiet();
    double main_cpu = 0;
    for (int r = 0; r < o->reps; r++) {
        double c0 = thread_cpu_ns();
        bench_clock c = bench_clock_start();
        flat_run(bench, inside, k, empty_task);
        samples[r] = bench_clock_stop(c);
        main_cpu += thread_cpu_ns() - c0;
    }
    arayon_stats_t after =
        stats_settle(bench, k, before, (uint64_t)(k + (inside ? 1 : 0)) * (uint64_t)o->reps);
    bench_report(RT, bench, k, o->threads, (double)k, samples, o->reps);
    stats_print(bench, k, before, after, (double)k * o->reps, main_cpu, o->reps);
}

/* ---------------------------------------------------------------------------------------
 * flood
 * ------------------------------------------------------------------------------------- */
static arayon_metrics_t metrics_now(void)
{
    arayon_metrics_t m;
    memset(&m, 0, sizeof m);
    int rc = arayon_pool_metrics(g_pool, &m);
    if (rc != ARAYON_OK)
        fail_rc("metrics", "arayon_pool_metrics", rc);
    return m;
}

static const char *policy_name(int policy)
{
    switch (policy) {
    case ARAYON_FULL_BLOCK:
        return "block";
    case ARAYON_FULL_REJECT:
        return "reject";
    case ARAYON_FULL_RUN_INLINE:
        return "inline";
    default:
        return "?";
    }
}

static void bench_flood(const bench_opts *o, bool inside, const arayon_config_t *cfg)
{
    const char *bench = inside ? "flood_in" : "flood_out";
    long k = o->flood;
    bench_sample samples[BENCH_MAX_REPS];
    int used = 0;
    double body_ns = 0;

    if (o->warmup) {
        long kw = k < 10000 ? k : 10000;
        bench_flood_reset();
        flat_run(bench, inside, kw, NULL);
        bench_flood_verify(RT, bench, kw, &used);
    }
    long rss_before = bench_maxrss_kb();
    arayon_stats_t before = stats_quiet();
    arayon_metrics_t m0 = metrics_now();
    double main_cpu = 0;
    for (int r = 0; r < o->reps; r++) {
        bench_flood_reset();
        double c0 = thread_cpu_ns();
        bench_clock c = bench_clock_start();
        flat_run(bench, inside, k, NULL);
        samples[r] = bench_clock_stop(c);
        main_cpu += thread_cpu_ns() - c0;
        body_ns = bench_flood_verify(RT, bench, k, &used);
    }
    arayon_stats_t after =
        stats_settle(bench, k, before, (uint64_t)(k + (inside ? 1 : 0)) * (uint64_t)o->reps);
    (void)after;
    arayon_metrics_t m1 = metrics_now();

    char config[64], extra[128];
    if (o->max_pending < 0)
        snprintf(config, sizeof config, "default");
    else
        snprintf(config, sizeof config, "%ld", o->max_pending);
    snprintf(extra, sizeof extra, "config=%s max_pending=%llu policy=%s", config,
             (unsigned long long)cfg->max_pending, policy_name(cfg->full_policy));
    bench_report_ex(RT, bench, k, o->threads, (double)k, samples, o->reps, extra);
    double reps = (double)o->reps;
    printf("FLOOD runtime=" RT " bench=%s n=%ld threads=%u %s peak_pending=%llu "
           "run_inline=%.0f parks=%.0f wakeups=%.0f steals=%.0f injected=%.0f rejected=%.0f "
           "utilization=%.3f rss_before_kb=%ld body_ns=%.1f threads_used=%d main_cpu_ms=%.2f\n",
           bench, k, o->threads, extra, (unsigned long long)m1.peak_pending,
           (double)(m1.run_inline - m0.run_inline) / reps, (double)(m1.parks - m0.parks) / reps,
           (double)(m1.wakeups - m0.wakeups) / reps, (double)(m1.steals - m0.steals) / reps,
           (double)(m1.injected - m0.injected) / reps, (double)(m1.rejected - m0.rejected) / reps,
           arayon_metrics_utilization(&m1), rss_before, body_ns, used, main_cpu / 1e6 / reps);
    if (m1.max_pending && m1.peak_pending > m1.max_pending)
        printf("WARN runtime=" RT " bench=%s n=%ld peak_pending %llu is above max_pending %llu\n",
               bench, k, (unsigned long long)m1.peak_pending,
               (unsigned long long)m1.max_pending);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(argc, argv, &o);
    setvbuf(stdout, NULL, _IOLBF, 0);

    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = o.threads;
    cfg.name = "bench";
    if (o.max_pending >= 0)
        cfg.max_pending = (size_t)o.max_pending;
    if (o.policy >= 0)
        cfg.full_policy = (arayon_full_policy_t)o.policy;
    double t0 = bench_now_ns();
    int rc = arayon_pool_create(&cfg, &g_pool);
    if (rc != ARAYON_OK)
        fail_rc("setup", "arayon_pool_create", rc);
    double t1 = bench_now_ns();
    printf("INFO runtime=" RT " version=%s threads=%u pool_create_ms=%.3f max_pending=%llu "
           "policy=%s\n",
           arayon_version(), arayon_pool_num_threads(g_pool), (t1 - t0) / 1e6,
           (unsigned long long)cfg.max_pending, policy_name(cfg.full_policy));
    if (arayon_pool_num_threads(g_pool) != o.threads)
        printf("WARN runtime=" RT " asked for %u threads, the pool has %u\n", o.threads,
               arayon_pool_num_threads(g_pool));

    if (o.benches & BENCH_FIB)
        bench_fib(&o);
    /* serial: the plain recursive fib, unless only the reduction asked for its serial loop */
    if ((o.benches & BENCH_SERIAL) && ((o.benches & BENCH_FIB) || !(o.benches & BENCH_REDUCE)))
        bench_fib_serial(&o);
    if (o.benches & BENCH_NQUEENS)
        bench_nqueens(&o);
    if (o.benches & BENCH_UTS)
        bench_uts(&o);
    if (o.benches & BENCH_REDUCE)
        bench_reduce(&o);
    if ((o.benches & BENCH_REDUCE) && (o.benches & BENCH_SERIAL))
        bench_reduce_serial(&o);
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
        bench_flood(&o, false, &cfg);
    if (o.benches & BENCH_FLOOD_IN)
        bench_flood(&o, true, &cfg);

    t0 = bench_now_ns();
    arayon_pool_destroy(&g_pool);
    t1 = bench_now_ns();
    printf("INFO runtime=" RT " pool_destroy_ms=%.3f maxrss_kb=%ld\n", (t1 - t0) / 1e6,
           bench_maxrss_kb());
    return 0;
}
