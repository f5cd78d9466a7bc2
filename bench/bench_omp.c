/*
 * bench_omp.c - the OpenMP peer of bench_arayon.c, same logic with explicit tasks.
 *
 * Built twice by bench/run: `clang -fopenmp` (LLVM libomp, runtime=libomp) and
 * `gcc -fopenmp` (GNU libgomp, runtime=libgomp). BENCH_RUNTIME overrides the name.
 * Both binaries also run on arayon through the OpenMP shim
 * (LD_PRELOAD=<build>/compat/libarayon-omp.so, which exports libomp's __kmpc_* ABI and
 * libgomp's GOMP_* ABI): the process then finds arayon_omp_runtime_name() at start-up and
 * names itself runtime=arayon-omp (clang binary) or runtime=arayon-gomp (gcc binary).
 * `--which-runtime` prints which runtime the process really uses, and exits:
 *   line 1: arayon_omp_runtime_name() when that symbol exists (dlsym), else BENCH_RUNTIME;
 *   line 2: "omp_get_thread_num <file>", the shared object that defines the program's
 *           omp_get_thread_num (dladdr), and a parallel region's team size;
 *   line 3 (gcc binary only): "GOMP_taskwait <file>", the object that defines the
 *           program's GOMP_taskwait (dladdr).
 *
 *   fib       every call with n >= 2 creates two `omp task`s and a `taskwait`; the top call
 *             is itself a task created by the `single` thread and waited on, so
 *             tasks = calls = 2*fib(N+1) - 1, as in bench_arayon.
 *   nqueens   nqueens(N), no cut-off: every node creates one `omp task` per safe column,
 *             each with its own copy of the board (firstprivate), then `taskwait`; the
 *             children's counts go to an array on the parent's stack. The root is a task
 *             of the `single` thread. tasks = nodes of the search tree, as in bench_arayon.
 *   uts       unbalanced tree search (binomial, bench_common.h): every node creates one
 *             `omp task` per child (its state firstprivate, its count into an array on the
 *             parent's stack; the root's array on the heap), then `taskwait`; the root is a
 *             task of the `single` thread. tasks = nodes, as in bench_arayon.
 *   reduce    `parallel for reduction(+:s) schedule(static)` over [0, N) (the team already
 *             started). tasks = N indexes.
 *   stream    the `single` thread creates one `omp task` per item, keeping at most W in
 *             flight: an atomic counter of unfinished items, and while it is at W the
 *             producer runs `taskyield` (libomp and the shim may run a queued task there;
 *             libgomp's taskyield does nothing, so its producer just polls the counter).
 *             Each task adds its result to its thread's slot (bench_flood_slot). tasks = N.
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
#define _GNU_SOURCE /* clock_gettime, getrusage, dladdr, RTLD_DEFAULT */
#include "bench_common.h"

#include <dlfcn.h>
#include <omp.h>
#include <stdatomic.h>

#ifndef BENCH_RUNTIME
#if defined(__clang__)
#define BENCH_RUNTIME "libomp"
#else
#define BENCH_RUNTIME "libgomp"
#endif
#endif
/* The name a process of this binary takes when it runs on arayon's OpenMP shim: the clang
 * binary through the shim is "arayon-omp", the gcc binary (GOMP_* ABI) "arayon-gomp". */
#ifndef BENCH_SHIM_RUNTIME
#if defined(__clang__)
#define BENCH_SHIM_RUNTIME "arayon-omp"
#else
#define BENCH_SHIM_RUNTIME "arayon-gomp"
#endif
#endif
/* The runtime's name in every output line: BENCH_RUNTIME, or BENCH_SHIM_RUNTIME when the
 * process runs on arayon's OpenMP shim (set in main, before any output). */
static const char *RT = BENCH_RUNTIME;

#if !defined(__clang__) && defined(__GNUC__)
/* libgomp's entry point for `taskwait` (gcc -fopenmp calls it; no header declares it): its
 * address tells `--which-runtime` which library the program's GOMP_* calls go to. */
void GOMP_taskwait(void);
#endif

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
            printf("ERROR runtime=%s bench=fib warm-up fib(%d) wrong\n", RT, w);
            exit(1);
        }
    }
    for (int r = 0; r < o->reps; r++) {
        uint64_t got = fib_run(n, &samples[r], &team);
        if (got != want) {
            printf("ERROR runtime=%s bench=fib n=%d result %llu, expected %llu\n", RT, n,
                   (unsigned long long)got, (unsigned long long)want);
            exit(1);
        }
    }
    if ((unsigned)team != o->threads)
        printf("WARN runtime=%s bench=fib team has %d threads, asked for %u\n", RT, team,
               o->threads);
    bench_report(RT, "fib", n, o->threads, (double)bench_fib_calls(n), samples, o->reps);
}

/* nqueens below the node `b` (queens in rows 0..row-1, this task's own copy). */
static uint64_t nq_task(int n, int row, bench_nq_board b)
{
    if (row == n)
        return 1;
    uint64_t res[sizeof b.q];
    int nc = 0;
    for (int col = 0; col < n; col++) {
        if (!bench_nq_safe(&b, row, col))
            continue;
        bench_nq_board c = b;
        c.q[row] = (unsigned char)col;
        int i = nc++;
        res[i] = 0;
#pragma omp task shared(res) firstprivate(c, i, n, row)
        res[i] = nq_task(n, row + 1, c);
    }
#pragma omp taskwait
    uint64_t sum = 0;
    for (int i = 0; i < nc; i++)
        sum += res[i];
    return sum;
}

/* One nqueens(n): team of g_threads, the single thread spawns the root and waits. */
static uint64_t nq_run(int n, bench_sample *out)
{
    uint64_t r = 0;
    bench_sample s = {0, 0, 0};
    bench_nq_board root;
    memset(&root, 0, sizeof root);
#pragma omp parallel num_threads(g_threads) shared(r, s)
    {
#pragma omp single
        {
            bench_clock c = bench_clock_start();
#pragma omp task shared(r) firstprivate(n, root)
            r = nq_task(n, 0, root);
#pragma omp taskwait
            s = bench_clock_stop(c);
        }
    }
    if (out)
        *out = s;
    return r;
}

static void bench_nqueens(const bench_opts *o)
{
    int n = o->nqueens_n;
    bench_sample samples[BENCH_MAX_REPS];
    uint64_t nodes = 0;
    uint64_t want = bench_nq_serial(n, &nodes);
    if (want != bench_nq_known[n]) {
        printf("ERROR runtime=%s bench=nqueens serial reference nqueens(%d) gave %llu\n", RT, n,
               (unsigned long long)want);
        exit(1);
    }
    if (o->warmup) {
        int w = n < 8 ? n : 8;
        if (nq_run(w, NULL) != bench_nq_known[w]) {
            printf("ERROR runtime=%s bench=nqueens warm-up nqueens(%d) wrong\n", RT, w);
            exit(1);
        }
    }
    for (int r = 0; r < o->reps; r++) {
        uint64_t got = nq_run(n, &samples[r]);
        if (got != want) {
            printf("ERROR runtime=%s bench=nqueens n=%d result %llu, expected %llu\n", RT, n,
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
        printf("ERROR runtime=%s bench=uts out of memory\n", RT);
        exit(1);
    }
    for (int i = 0; i < nc; i++) {
        uint64_t cs = bench_uts_child(state, i);
        res[i] = 0;
#pragma omp task shared(res) firstprivate(cs, i, depth, b0)
        res[i] = uts_task(cs, depth + 1, b0);
    }
#pragma omp taskwait
    uint64_t sum = 1;
    for (int i = 0; i < nc; i++)
        sum += res[i];
    if (res != local)
        free(res);
    return sum;
}

/* One uts(b0): team of g_threads, the single thread spawns the root and waits. */
static uint64_t uts_run(int b0, bench_sample *out)
{
    uint64_t r = 0;
    bench_sample s = {0, 0, 0};
#pragma omp parallel num_threads(g_threads) shared(r, s)
    {
#pragma omp single
        {
            bench_clock c = bench_clock_start();
#pragma omp task shared(r) firstprivate(b0)
            r = uts_task(bench_uts_root(), 0, b0);
#pragma omp taskwait
            s = bench_clock_stop(c);
        }
    }
    if (out)
        *out = s;
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
        if (uts_run(w, NULL) != bench_uts_serial(w, NULL)) {
            printf("ERROR runtime=%s bench=uts warm-up uts(%d) wrong\n", RT, w);
            exit(1);
        }
    }
    for (int r = 0; r < o->reps; r++) {
        uint64_t got = uts_run(b0, &samples[r]);
        if (got != want) {
            printf("ERROR runtime=%s bench=uts n=%d counted %llu nodes, expected %llu\n", RT, b0,
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
static uint64_t reduce_run(long n, bench_sample *out)
{
    uint64_t s = 0;
    bench_clock c = bench_clock_start();
#pragma omp parallel for num_threads(g_threads) reduction(+ : s) schedule(static)
    for (long i = 0; i < n; i++)
        s += bench_reduce_f((uint64_t)i);
    if (out)
        *out = bench_clock_stop(c);
    return s;
}

static void bench_reduce(const bench_opts *o)
{
    long n = o->reduce_n;
    bench_sample samples[BENCH_MAX_REPS];
    uint64_t want = bench_reduce_expected(n);
    if (o->warmup) {
        long w = n < 1000000 ? n : 1000000;
        if (reduce_run(w, NULL) != bench_reduce_range(0, (uint64_t)w)) {
            printf("ERROR runtime=%s bench=reduce warm-up reduce(%ld) wrong\n", RT, w);
            exit(1);
        }
    }
    for (int r = 0; r < o->reps; r++) {
        uint64_t got = reduce_run(n, &samples[r]);
        if (got != want) {
            printf("ERROR runtime=%s bench=reduce n=%ld sum %llu, expected %llu\n", RT, n,
                   (unsigned long long)got, (unsigned long long)want);
            exit(1);
        }
    }
    bench_report(RT, "reduce", n, o->threads, (double)n, samples, o->reps);
}

/* ---------------------------------------------------------------------------------------
 * stream
 * ------------------------------------------------------------------------------------- */
static atomic_long g_in_flight;

/* One stream of n items, at most w in flight; *peak = the most in flight seen. */
static bench_sample stream_run(long n, long w, long *peak)
{
    bench_sample s = {0, 0, 0};
    long pk = 0;
    atomic_store(&g_in_flight, 0);
#pragma omp parallel num_threads(g_threads) shared(s, pk)
    {
#pragma omp single
        {
            bench_clock c = bench_clock_start();
            for (long i = 0; i < n; i++) {
                while (atomic_load_explicit(&g_in_flight, memory_order_acquire) >= w) {
#pragma omp taskyield
                }
                long f = atomic_fetch_add_explicit(&g_in_flight, 1, memory_order_relaxed) + 1;
                if (f > pk)
                    pk = f;
#pragma omp task firstprivate(i)
                {
                    bench_flood_slot *sl = &bench_flood_slots[omp_get_thread_num() %
                                                              BENCH_FLOOD_SLOTS];
                    sl->sum += bench_stream_work((uint64_t)i);
                    sl->count++;
                    atomic_fetch_sub_explicit(&g_in_flight, 1, memory_order_release);
                }
            }
#pragma omp taskwait
            s = bench_clock_stop(c);
        }
    }
    *peak = pk;
    return s;
}

static void bench_stream(const bench_opts *o)
{
    long n = o->stream_n, w = o->window, peak = 0, pk;
    bench_sample samples[BENCH_MAX_REPS];
    uint64_t count, sum;
    int used;
    double body_ns = 0;
    if (o->warmup) {
        long kw = n < 10000 ? n : 10000;
        bench_flood_reset();
        stream_run(kw, w, &pk);
        bench_flood_collect(&count, &sum, &used);
        bench_stream_verify(RT, kw, w, count, sum, pk);
    }
    for (int r = 0; r < o->reps; r++) {
        bench_flood_reset();
        samples[r] = stream_run(n, w, &pk);
        bench_flood_collect(&count, &sum, &used);
        body_ns = bench_stream_verify(RT, n, w, count, sum, pk);
        if (pk > peak)
            peak = pk;
    }
    char extra[96];
    snprintf(extra, sizeof extra, "window=%ld peak_in_flight=%ld body_ns=%.1f", w, peak, body_ns);
    bench_report_ex(RT, "stream", n, o->threads, (double)n, samples, o->reps, extra);
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
        printf("ERROR runtime=%s bench=flat_in verification: %ld tasks spawned, %ld ran\n", RT,
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
    printf("FLOOD runtime=%s bench=flood_in n=%ld threads=%u config=peer rss_before_kb=%ld "
           "body_ns=%.1f threads_used=%d\n",
           RT, k, o->threads, rss_before, body_ns, used);
}

/* ---------------------------------------------------------------------------------------
 * Which runtime this process uses
 * ------------------------------------------------------------------------------------- */
typedef const char *(*name_fn)(void);

/* arayon_omp_runtime_name(), when the shim is loaded (LD_PRELOAD), else NULL. */
static const char *shim_name(void)
{
    void *p = dlsym(RTLD_DEFAULT, "arayon_omp_runtime_name");
    if (!p)
        return NULL;
    name_fn fn;
    memcpy(&fn, &p, sizeof fn); /* object pointer -> function pointer, without a warning */
    return fn();
}

/* --which-runtime: see the header comment. */
static int which_runtime(void)
{
    const char *name = shim_name();
    printf("%s\n", name ? name : BENCH_RUNTIME);
    /* Where the program's own reference to omp_get_thread_num is bound (its GOT entry). */
    int (*fn)(void) = omp_get_thread_num;
    void *addr;
    memcpy(&addr, &fn, sizeof addr);
    Dl_info info;
    const char *file = (dladdr(addr, &info) && info.dli_fname) ? info.dli_fname : "?";
    int team = 0;
#pragma omp parallel num_threads(2) shared(team)
    {
#pragma omp single
        team = omp_get_num_threads();
    }
    printf("omp_get_thread_num %s team_of_2=%d\n", file, team);
#if !defined(__clang__) && defined(__GNUC__)
    /* gcc's constructs call GOMP_* entry points, which a preloaded library may or may not
     * define even when it defines omp_*: say where the program's GOMP_taskwait goes. */
    void (*gfn)(void) = GOMP_taskwait;
    memcpy(&addr, &gfn, sizeof addr);
    file = (dladdr(addr, &info) && info.dli_fname) ? info.dli_fname : "?";
    printf("GOMP_taskwait %s\n", file);
#endif
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--which-runtime"))
        return which_runtime();
    bench_opts o;
    bench_parse(argc, argv, &o);
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *shim = shim_name();
    if (shim && !strcmp(shim, "arayon"))
        RT = BENCH_SHIM_RUNTIME;
    g_threads = o.threads;
    omp_set_dynamic(0);

    /* Start the team outside any measurement. */
    double t0 = bench_now_ns();
#pragma omp parallel num_threads(g_threads)
    {
    }
    double t1 = bench_now_ns();
    printf("INFO runtime=%s openmp=%d threads=%u team_start_ms=%.3f\n", RT, _OPENMP, o.threads,
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
            printf("NOTE runtime=%s bench=flat_out n=%ld not expressible: an OpenMP "
                   "producer is always a team member (see flat_in)\n",
                   RT, o.flat[i]);
        if (o.benches & BENCH_FLAT_IN)
            bench_flat(&o, o.flat[i]);
    }
    if (o.benches & BENCH_FLOOD_SERIAL)
        bench_flood_serial(&o);
    if (o.benches & BENCH_FLOOD_OUT)
        printf("NOTE runtime=%s bench=flood_out n=%ld not expressible: an OpenMP "
               "producer is always a team member (see flood_in)\n",
               RT, o.flood);
    if (o.benches & BENCH_FLOOD_IN)
        bench_flood(&o);
    printf("INFO runtime=%s maxrss_kb=%ld\n", RT, bench_maxrss_kb());
    return 0;
}
