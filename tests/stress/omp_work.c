/*
 * omp_work.c - random OpenMP episodes with exact checks (see omp_work.h).
 *
 * An episode is one construct family with random parameters drawn from its seed: team sizes
 * from 1 to more than the machine has cores, loop lengths, schedules and chunks, task counts
 * and kinds, dependence patterns, nesting. Every episode computes something whose right
 * answer is known (a sum, a count per iteration, a value per dependence chain, a sequence)
 * and compares. Parameters are drawn before a region starts; inside a region each thread
 * derives its own generator, so nothing random is shared between threads.
 *
 * Team sizes: a region gets the num_threads it asks for; one thread when it is nested deeper
 * than max-active-levels allows (checked), or when the OpenMP layer has no free guest slot for
 * the forking thread (README, "Threads that fork"); fewer when the layer's worker records
 * (64, or OMP_NUM_THREADS / OMP_THREAD_LIMIT) are all in other teams at the moment
 * (docs/design/openmp-compat.md, "Teams"). So the check is 1 <= team <= num_threads, and
 * every thread number in the team seen exactly once.
 *
 * Cancellation: with OMP_CANCELLATION=true the cancel constructs cut loops, task groups and
 * regions short, and the checks are bounds (every iteration at most once, the cancelling one
 * exactly once); without it they do nothing and the checks are exact. A normal loop always
 * follows, which must be complete (a cancellation must not leak into the next construct).
 */
#define _GNU_SOURCE
#include "omp_work.h"
#include "stress_rng.h"

#include <inttypes.h>
#include <limits.h>
#include <omp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OW_MAXT 64 /* largest team an episode looks at (arrays indexed by thread number) */

static void ow_no_tick(void) {}
static void (*_Atomic ow_tick_fn)(void) = ow_no_tick;

void ow_set_tick(void (*tick)(void)) { atomic_store(&ow_tick_fn, tick ? tick : ow_no_tick); }
static inline void ow_tick(void) { atomic_load_explicit(&ow_tick_fn, memory_order_relaxed)(); }

/* ---- failures ------------------------------------------------------------------------- */
typedef struct ow_err {
    _Atomic int n;
    char msg[512];
} ow_err;

static void ow_failf(ow_err *e, const char *episode, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void ow_failf(ow_err *e, const char *episode, int line, const char *fmt, ...)
{
    if (atomic_fetch_add(&e->n, 1) != 0)
        return; /* the first failure is the one reported */
    int k = snprintf(e->msg, sizeof e->msg, "omp_work.c:%d: %s: ", line, episode);
    if (k < 0 || (size_t)k >= sizeof e->msg)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg + k, sizeof e->msg - (size_t)k, fmt, ap);
    va_end(ap);
}

#define OW_CHECK(c, cond, ...)                                                              \
    do {                                                                                    \
        if (!(cond))                                                                        \
            ow_failf((c)->e, (c)->name, __LINE__, __VA_ARGS__);                             \
    } while (0)

/* The clauses are macro-expanded first (RED_CLAUSES, LOOP_WITH's schedule). */
#define OW_PRAGMA_(x) _Pragma(#x)
#define OW_PRAGMA(x) OW_PRAGMA_(x)

/* One episode's context. */
typedef struct ow_ctx {
    st_rng g;
    uint64_t seed;
    ow_err *e;
    const ow_limits *lim;
    const char *name;
    unsigned depth;
} ow_ctx;

static unsigned team_size(ow_ctx *c)
{
    unsigned m = c->lim->max_team ? c->lim->max_team : 1;
    if (m > OW_MAXT)
        m = OW_MAXT;
    /* mostly small teams, sometimes the largest */
    return st_pct(&c->g, 20) ? m : 1 + st_below(&c->g, m < 5 ? m : 5);
}

static unsigned scaled(ow_ctx *c, unsigned n)
{
    unsigned s = c->lim->scale ? c->lim->scale : 1;
    return n * s;
}

/* A team of n threads was asked for: did the region get an allowed size? */
static void check_team(ow_ctx *c, int got, unsigned asked, int level_before)
{
    if (level_before >= omp_get_max_active_levels())
        OW_CHECK(c, got == 1, "region nested at active level %d (max %d): team %d, not 1",
                 level_before, omp_get_max_active_levels(), got);
    else /* fewer when the layer's worker records are all busy (other teams, other threads) */
        OW_CHECK(c, got >= 1 && got <= (int)asked, "num_threads(%u) gave a team of %d", asked,
                 got);
}

static int episode(uint64_t seed, const ow_limits *lim, ow_err *e, unsigned depth);

/* A sub-episode (nested in a task or a region), when the depth allows. */
static void sub_episode(ow_ctx *c, uint64_t seed)
{
    if (c->depth < c->lim->max_depth)
        episode(seed, c->lim, c->e, c->depth + 1);
}

/* ---- 1. team constructs: ids, barrier, single, master, critical, atomic ---------------- */
static void ep_team(ow_ctx *c)
{
    unsigned nt = team_size(c);
    int hits[OW_MAXT] = {0};
    int arrived = 0, singles = 0, masters = 0, crit = 0, team = -1, late = 0;
    int level = omp_get_active_level();
    OW_PRAGMA(omp parallel num_threads(nt) shared(hits, arrived, singles, masters, crit, team, late))
    {
        int n = omp_get_num_threads(), id = omp_get_thread_num();
        if (id >= 0 && id < OW_MAXT) {
            OW_PRAGMA(omp atomic)
            hits[id]++;
        }
        OW_PRAGMA(omp atomic)
        arrived++;
        OW_PRAGMA(omp barrier)
        int a;
        OW_PRAGMA(omp atomic read)
        a = arrived;
        if (a != n) {
            OW_PRAGMA(omp atomic)
            late++;
        }
        OW_PRAGMA(omp single)
        {
            singles++;
            team = n;
        }
        OW_PRAGMA(omp master)
        masters++;
        OW_PRAGMA(omp critical(ow_team_crit))
        crit++;
        OW_PRAGMA(omp barrier)
        OW_CHECK(c, crit == n, "after the barrier crit is %d of %d", crit, n);
    }
    check_team(c, team, nt, level);
    OW_CHECK(c, late == 0, "%d threads passed the barrier before all had arrived", late);
    OW_CHECK(c, singles == 1 && masters == 1, "single ran %d times, master %d times", singles,
             masters);
    for (int i = 0; i < OW_MAXT; i++)
        OW_CHECK(c, hits[i] == (i < team), "thread number %d seen %d times in a team of %d", i,
                 hits[i], team);
}

/* ---- 2. worksharing loops, every schedule --------------------------------------------- */
#define LOOP_BODY                                                                           \
    {                                                                                       \
        OW_PRAGMA(omp atomic)                                                               \
        mark[i]++;                                                                          \
        sum += 3 * (long long)i + 1;                                                        \
        last = i;                                                                           \
    }
#define LOOP_WITH(...)                                                                    \
    OW_PRAGMA(omp parallel for num_threads(nt) schedule(__VA_ARGS__) reduction(+ : sum)           \
              lastprivate(last))                                                            \
    for (int i = 0; i < n; i++)                                                             \
        LOOP_BODY

static void ep_loop(ow_ctx *c)
{
    unsigned nt = team_size(c);
    int n = (int)st_below(&c->g, scaled(c, 3000) + 1);
    int chunk = 1 + (int)st_below(&c->g, 64);
    unsigned kind = st_below(&c->g, 9);
    omp_sched_t rk = (omp_sched_t)(1 + st_below(&c->g, 4)); /* static dynamic guided auto */
    unsigned char *mark = calloc((size_t)n + 1, 1);
    if (!mark)
        return;
    long long sum = 0;
    int last = -1;
    switch (kind) {
    case 0: LOOP_WITH(static) break;
    case 1: LOOP_WITH(static, chunk) break;
    case 2: LOOP_WITH(dynamic, chunk) break;
    case 3: LOOP_WITH(guided, chunk) break;
    case 4: LOOP_WITH(auto) break;
    case 5:
        omp_set_schedule(rk, st_pct(&c->g, 50) ? chunk : 0);
        LOOP_WITH(runtime)
        break;
    case 6: LOOP_WITH(dynamic) break;
    case 7: LOOP_WITH(nonmonotonic : dynamic, chunk) break;
    default:
        /* two loops in one region, the first nowait, then a barrier */
        OW_PRAGMA(omp parallel num_threads(nt) shared(mark, sum, last))
        {
            OW_PRAGMA(omp for schedule(dynamic, chunk) nowait)
            for (int i = 0; i < n; i++) {
                OW_PRAGMA(omp atomic)
                mark[i]++;
            }
            OW_PRAGMA(omp barrier)
            OW_PRAGMA(omp for schedule(guided) reduction(+ : sum) lastprivate(last))
            for (int i = 0; i < n; i++) {
                OW_CHECK(c, mark[i] == 1, "iteration %d of the nowait loop ran %d times "
                         "(seen after the barrier)", i, mark[i]);
                sum += 3 * (long long)i + 1;
                last = i;
            }
        }
        break;
    }
    long long want = 3 * ((long long)n * (n - 1) / 2) + n;
    OW_CHECK(c, sum == want, "schedule kind %u chunk %d: sum %lld, expected %lld (n %d)", kind,
             chunk, sum, want, n);
    if (n > 0)
        OW_CHECK(c, last == n - 1, "schedule kind %u: lastprivate %d, expected %d", kind, last,
                 n - 1);
    for (int i = 0; i < n; i++)
        if (mark[i] != 1) {
            OW_CHECK(c, 0, "schedule kind %u chunk %d: iteration %d ran %d times", kind, chunk,
                     i, mark[i]);
            break;
        }
    free(mark);

    /* a loop with a negative stride and a collapsed nest */
    int lo = (int)st_below(&c->g, 50), step = 1 + (int)st_below(&c->g, 7);
    int hi = lo + (int)st_below(&c->g, scaled(c, 500));
    long long s2 = 0, w2 = 0;
    for (int i = hi; i > lo; i -= step)
        w2 += i;
    OW_PRAGMA(omp parallel for num_threads(nt) schedule(dynamic, 3) reduction(+ : s2))
    for (int i = hi; i > lo; i -= step)
        s2 += i;
    OW_CHECK(c, s2 == w2, "downward loop %d..%d step %d: %lld, expected %lld", hi, lo, step, s2,
             w2);
    int a = (int)st_below(&c->g, 40), b = (int)st_below(&c->g, 40);
    long long s3 = 0;
    OW_PRAGMA(omp parallel for collapse(2) num_threads(nt) schedule(guided, 2) reduction(+ : s3))
    for (int i = 0; i < a; i++)
        for (int j = 0; j < b; j++)
            s3 += (long long)i * 100 + j;
    long long w3 = 0;
    for (int i = 0; i < a; i++)
        for (int j = 0; j < b; j++)
            w3 += (long long)i * 100 + j;
    OW_CHECK(c, s3 == w3, "collapse(2) %dx%d: %lld, expected %lld", a, b, s3, w3);
}

/* ---- 3. reductions, every operator -------------------------------------------------- */
static void ep_reduce(ow_ctx *c)
{
    unsigned nt = team_size(c);
    int n = (int)st_below(&c->g, scaled(c, 2000) + 1);
    int *v = malloc(sizeof(int) * ((size_t)n + 1));
    if (!v)
        return;
    for (int i = 0; i < n; i++)
        v[i] = (int)st_below(&c->g, 2001) - 1000;
    long long s = 0, ws = 0;
    unsigned prod = 1, wprod = 1, band = ~0u, wband = ~0u, bor = 0, wbor = 0, bx = 0, wbx = 0;
    int mx = INT_MIN, wmx = INT_MIN, mn = INT_MAX, wmn = INT_MAX, land = 1, wland = 1, lor = 0,
        wlor = 0;
    double ds = 0, wds = 0;
    for (int i = 0; i < n; i++) {
        ws += v[i];
        wprod *= (unsigned)v[i] | 1u;
        wband &= (unsigned)v[i] | 0x10000u;
        wbor |= (unsigned)v[i] & 0xffffu;
        wbx ^= (unsigned)v[i];
        wmx = v[i] > wmx ? v[i] : wmx;
        wmn = v[i] < wmn ? v[i] : wmn;
        wland = wland && v[i] != 999;
        wlor = wlor || v[i] == 7;
        wds += v[i] * 0.125;
    }
    unsigned sched = st_below(&c->g, 3);
#define RED_CLAUSES                                                                         \
    reduction(+ : s, ds) reduction(* : prod) reduction(& : band) reduction(| : bor)         \
        reduction(^ : bx) reduction(max : mx) reduction(min : mn) reduction(&& : land)      \
            reduction(|| : lor)
#define RED_BODY                                                                            \
    {                                                                                       \
        s += v[i];                                                                          \
        prod *= (unsigned)v[i] | 1u;                                                        \
        band &= (unsigned)v[i] | 0x10000u;                                                  \
        bor |= (unsigned)v[i] & 0xffffu;                                                    \
        bx ^= (unsigned)v[i];                                                               \
        mx = v[i] > mx ? v[i] : mx;                                                         \
        mn = v[i] < mn ? v[i] : mn;                                                         \
        land = land && v[i] != 999;                                                         \
        lor = lor || v[i] == 7;                                                             \
        ds += v[i] * 0.125;                                                                 \
    }
    if (sched == 0) {
        OW_PRAGMA(omp parallel for num_threads(nt) schedule(static) RED_CLAUSES)
        for (int i = 0; i < n; i++)
            RED_BODY
    } else if (sched == 1) {
        OW_PRAGMA(omp parallel for num_threads(nt) schedule(dynamic, 7) RED_CLAUSES)
        for (int i = 0; i < n; i++)
            RED_BODY
    } else {
        /* a reduction on a parallel region, each thread adding its share */
        OW_PRAGMA(omp parallel num_threads(nt) RED_CLAUSES)
        {
            int id = omp_get_thread_num(), k = omp_get_num_threads();
            for (int i = id; i < n; i += k)
                RED_BODY
        }
    }
    OW_CHECK(c, s == ws && prod == wprod && band == wband && bor == wbor && bx == wbx &&
                    mx == wmx && mn == wmn && land == wland && lor == wlor && ds == wds,
             "n %d schedule %u: + %lld/%lld * %u/%u & %u/%u | %u/%u ^ %u/%u max %d/%d "
             "min %d/%d && %d/%d || %d/%d double %g/%g", n, sched, s, ws, prod, wprod, band,
             wband, bor, wbor, bx, wbx, mx, wmx, mn, wmn, land, wland, lor, wlor, ds, wds);
    free(v);
}

/* ---- 4. explicit tasks of every kind ------------------------------------------------ */
static void ep_tasks(ow_ctx *c)
{
    unsigned nt = team_size(c);
    int n = 1 + (int)st_below(&c->g, scaled(c, 1500));
    unsigned char *kind = malloc((size_t)n);
    _Atomic int *ran = calloc((size_t)n, sizeof *ran);
    uint64_t *sub = malloc(sizeof(uint64_t) * (size_t)n);
    if (!kind || !ran || !sub) {
        free(kind), free((void *)ran), free(sub);
        return;
    }
    for (int i = 0; i < n; i++) {
        kind[i] = (unsigned char)st_below(&c->g, 7);
        sub[i] = st_pct(&c->g, 1) ? st_next(&c->g) : 0;
    }
    int wait_at = (int)st_below(&c->g, (unsigned)n);
    long long sum = 0;
    OW_PRAGMA(omp parallel num_threads(nt) shared(ran, kind, sum, sub))
    OW_PRAGMA(omp single)
    {
        for (int i = 0; i < n; i++) {
            switch (kind[i]) {
            case 0:
                OW_PRAGMA(omp task firstprivate(i))
                {
                    ran[i]++;
                    OW_PRAGMA(omp atomic)
                    sum += i;
                    if (sub[i])
                        sub_episode(c, sub[i]);
                }
                break;
            case 1:
                OW_PRAGMA(omp task if (0) firstprivate(i))
                {
                    ran[i]++;
                    OW_PRAGMA(omp atomic)
                    sum += i;
                }
                break;
            case 2:
                OW_PRAGMA(omp task final(1) firstprivate(i))
                {
                    /* an included task inside a final one */
                    OW_PRAGMA(omp task firstprivate(i))
                    {
                        OW_CHECK(c, omp_in_final(), "a task inside a final task is not final");
                        ran[i]++;
                    }
                    OW_PRAGMA(omp atomic)
                    sum += i;
                }
                break;
            case 3:
                OW_PRAGMA(omp task untied firstprivate(i))
                {
                    OW_PRAGMA(omp taskyield)
                    ran[i]++;
                    OW_PRAGMA(omp atomic)
                    sum += i;
                }
                break;
            case 4:
                OW_PRAGMA(omp task priority(3) firstprivate(i))
                {
                    ran[i]++;
                    OW_PRAGMA(omp atomic)
                    sum += i;
                }
                break;
            case 5:
                OW_PRAGMA(omp task mergeable firstprivate(i))
                {
                    ran[i]++;
                    OW_PRAGMA(omp atomic)
                    sum += i;
                }
                break;
            default:
                /* a task that makes a child and waits for it */
                OW_PRAGMA(omp task firstprivate(i))
                {
                    OW_PRAGMA(omp task firstprivate(i))
                    ran[i]++;
                    OW_PRAGMA(omp taskwait)
                    OW_CHECK(c, ran[i] == 1, "taskwait returned before the child of task %d ran",
                             i);
                    OW_PRAGMA(omp atomic)
                    sum += i;
                }
                break;
            }
            if (i == wait_at) {
                OW_PRAGMA(omp taskwait)
                ow_tick();
            }
        }
    }
    for (int i = 0; i < n; i++)
        if (ran[i] != 1) {
            OW_CHECK(c, 0, "task %d (kind %d) ran %d times", i, kind[i], ran[i]);
            break;
        }
    OW_CHECK(c, sum == (long long)n * (n - 1) / 2, "task sum %lld, expected %lld", sum,
             (long long)n * (n - 1) / 2);

    /* every thread makes tasks; the barrier finishes them all */
    int per = (int)st_below(&c->g, scaled(c, 40) + 1);
    int made = 0, done = 0, team = 0;
    OW_PRAGMA(omp parallel num_threads(nt) shared(made, done, team))
    {
        for (int k = 0; k < per; k++) {
            OW_PRAGMA(omp atomic)
            made++;
            OW_PRAGMA(omp task)
            {
                OW_PRAGMA(omp atomic)
                done++;
            }
        }
        OW_PRAGMA(omp barrier)
        int d;
        OW_PRAGMA(omp atomic read)
        d = done;
        OW_CHECK(c, d == per * omp_get_num_threads(), "after the barrier %d of %d tasks done", d,
                 per * omp_get_num_threads());
        OW_PRAGMA(omp master)
        team = omp_get_num_threads();
    }
    OW_CHECK(c, made == done && made == per * team, "made %d tasks, %d ran (team %d)", made, done,
             team);
    free(kind);
    free((void *)ran);
    free(sub);
}

/* ---- 5. recursive fib with tasks ----------------------------------------------------- */
static long ow_fib(int n, int cutoff)
{
    if (n < 2)
        return n;
    if (n < cutoff)
        return ow_fib(n - 1, cutoff) + ow_fib(n - 2, cutoff);
    long a = 0, b = 0;
    OW_PRAGMA(omp task shared(a))
    a = ow_fib(n - 1, cutoff);
    OW_PRAGMA(omp task shared(b) if (n % 3 != 0))
    b = ow_fib(n - 2, cutoff);
    OW_PRAGMA(omp taskwait)
    return a + b;
}

static void ep_fib(ow_ctx *c)
{
    unsigned nt = team_size(c);
    int n = 8 + (int)st_below(&c->g, c->lim->scale > 1 ? 15 : 11);
    int cutoff = (int)st_below(&c->g, 8);
    long want[40] = {0, 1};
    for (int i = 2; i < 40; i++)
        want[i] = want[i - 1] + want[i - 2];
    long got = -1;
    OW_PRAGMA(omp parallel num_threads(nt) shared(got))
    OW_PRAGMA(omp single)
    got = ow_fib(n, cutoff);
    OW_CHECK(c, got == want[n], "fib(%d) cutoff %d = %ld, expected %ld", n, cutoff, got, want[n]);
}

/* ---- 6. taskgroups --------------------------------------------------------------------- */
static void ep_taskgroup(ow_ctx *c)
{
    unsigned nt = team_size(c);
    int groups = 1 + (int)st_below(&c->g, 6);
    int k = 1 + (int)st_below(&c->g, scaled(c, 60));
    int m = (int)st_below(&c->g, 5);
    int bad = 0;
    OW_PRAGMA(omp parallel num_threads(nt) shared(bad))
    OW_PRAGMA(omp single)
    {
        for (int g = 0; g < groups; g++) {
            int cnt = 0;
            OW_PRAGMA(omp taskgroup)
            {
                for (int i = 0; i < k; i++) {
                    OW_PRAGMA(omp task shared(cnt))
                    {
                        OW_PRAGMA(omp atomic)
                        cnt++;
                        for (int j = 0; j < m; j++) {
                            OW_PRAGMA(omp task shared(cnt))
                            {
                                OW_PRAGMA(omp atomic)
                                cnt++;
                            }
                        }
                    }
                }
            }
            int got;
            OW_PRAGMA(omp atomic read)
            got = cnt;
            if (got != k * (1 + m)) {
                bad++;
                OW_CHECK(c, 0, "group %d: %d of %d tasks (descendants included) done at the end "
                         "of the taskgroup", g, got, k * (1 + m));
            }
            ow_tick();
        }
    }
    OW_CHECK(c, bad == 0, "%d taskgroups ended early", bad);
}

/* ---- 7. dependences -------------------------------------------------------------------- */
static void ep_depend(ow_ctx *c)
{
    unsigned nt = team_size(c);
    enum { NV = 8 };
    int nv = 1 + (int)st_below(&c->g, NV);
    int ntasks = 1 + (int)st_below(&c->g, scaled(c, 300));
    int x[NV] = {0};
    int expect[NV] = {0};
    unsigned seed_kinds = (unsigned)st_next(&c->g);
    st_rng kr;
    st_rng_init(&kr, seed_kinds);
    OW_PRAGMA(omp parallel num_threads(nt) shared(x, expect, kr))
    OW_PRAGMA(omp single)
    {
        for (int t = 0; t < ntasks; t++) {
            int v = (int)st_below(&kr, (unsigned)nv), w = (int)st_below(&kr, (unsigned)nv);
            unsigned kind = st_below(&kr, 6);
            if (kind == 0 || kind == 1) { /* inout / out: must see every earlier write */
                int want = expect[v]++;
                if (kind == 0) {
                    OW_PRAGMA(omp task depend(inout : x[v]) firstprivate(v, want) shared(x))
                    {
                        OW_CHECK(c, x[v] == want, "inout task saw x[%d] = %d, expected %d", v,
                                 x[v], want);
                        x[v] = want + 1;
                    }
                } else {
                    OW_PRAGMA(omp task depend(out : x[v]) firstprivate(v, want) shared(x))
                    {
                        OW_CHECK(c, x[v] == want, "out task saw x[%d] = %d, expected %d", v, x[v],
                                 want);
                        x[v] = want + 1;
                    }
                }
            } else if (kind == 2) { /* in: sees the last write before it, and no later one */
                int want = expect[v];
                OW_PRAGMA(omp task depend(in : x[v]) firstprivate(v, want) shared(x))
                OW_CHECK(c, x[v] == want, "in task saw x[%d] = %d, expected %d", v, x[v], want);
            } else if (kind == 3 && v != w) { /* in one, inout another */
                int wv = expect[v], ww = expect[w]++;
                OW_PRAGMA(omp task depend(in : x[v]) depend(inout : x[w]) firstprivate(v, w, wv, ww) shared(x))
                {
                    OW_CHECK(c, x[v] == wv && x[w] == ww, "in x[%d] = %d (expected %d), inout "
                             "x[%d] = %d (expected %d)", v, x[v], wv, w, x[w], ww);
                    x[w] = ww + 1;
                }
            } else if (kind == 4) { /* mutually exclusive, unordered among themselves */
                expect[v]++;
                OW_PRAGMA(omp task depend(mutexinoutset : x[v]) firstprivate(v) shared(x))
                x[v]++;
            } else if (st_pct(&kr, 50)) {
                OW_PRAGMA(omp taskwait)
                for (int i = 0; i < nv; i++)
                    OW_CHECK(c, x[i] == expect[i], "after taskwait x[%d] = %d, expected %d", i,
                             x[i], expect[i]);
                ow_tick();
            }
        }
    }
    for (int i = 0; i < nv; i++)
        OW_CHECK(c, x[i] == expect[i], "at the end x[%d] = %d, expected %d (%d tasks)", i, x[i],
                 expect[i], ntasks);
}

/* ---- 8. cancellation ------------------------------------------------------------------- */
static void ep_cancel(ow_ctx *c)
{
    unsigned nt = team_size(c);
    int on = omp_get_cancellation() && c->lim->cancel;
    int n = 1 + (int)st_below(&c->g, scaled(c, 2000));
    int k = (int)st_below(&c->g, (unsigned)n);
    unsigned what = st_below(&c->g, 3);
    if (what == 0) {
        unsigned char *mark = calloc((size_t)n, 1);
        if (!mark)
            return;
        /* (not a combined parallel for: gcc makes its loop nowait, where cancel is refused) */
        OW_PRAGMA(omp parallel num_threads(nt) shared(mark))
        OW_PRAGMA(omp for schedule(dynamic, 4))
        for (int i = 0; i < n; i++) {
            OW_PRAGMA(omp atomic)
            mark[i]++;
            if (i == k && c->lim->cancel) {
                OW_PRAGMA(omp cancel for)
            }
            OW_PRAGMA(omp cancellation point for)
        }
        int total = 0;
        for (int i = 0; i < n; i++) {
            OW_CHECK(c, mark[i] <= 1, "cancelled loop: iteration %d ran %d times", i, mark[i]);
            total += mark[i];
        }
        OW_CHECK(c, mark[k] == 1, "the cancelling iteration %d ran %d times", k, mark[k]);
        if (!on)
            OW_CHECK(c, total == n, "loop without cancellation ran %d of %d iterations", total,
                     n);
        free(mark);
    } else if (what == 1) {
        int ran = 0, cancelled_ran = 0;
        OW_PRAGMA(omp parallel num_threads(nt) shared(ran, cancelled_ran))
        OW_PRAGMA(omp single)
        OW_PRAGMA(omp taskgroup)
        {
            for (int i = 0; i < n; i++) {
                OW_PRAGMA(omp task firstprivate(i) shared(ran, cancelled_ran))
                {
                    if (i == k && c->lim->cancel) {
                        OW_PRAGMA(omp atomic)
                        cancelled_ran++;
                        OW_PRAGMA(omp cancel taskgroup)
                    }
                    OW_PRAGMA(omp cancellation point taskgroup)
                    OW_PRAGMA(omp atomic)
                    ran++;
                }
            }
        }
        OW_CHECK(c, ran <= n, "taskgroup: %d of %d tasks counted", ran, n);
        if (c->lim->cancel)
            OW_CHECK(c, cancelled_ran == 1, "the cancelling task ran %d times", cancelled_ran);
        if (!on)
            OW_CHECK(c, ran == n, "taskgroup without cancellation: %d of %d tasks ran", ran, n);
    } else {
        int after = 0, team = 0;
        bool cancel = c->lim->cancel && !c->lim->no_cancel_parallel;
        if (!cancel)
            on = 0;
        OW_PRAGMA(omp parallel num_threads(nt) shared(after, team))
        {
            OW_PRAGMA(omp master)
            team = omp_get_num_threads();
            if (omp_get_thread_num() == k % omp_get_num_threads() && cancel) {
                OW_PRAGMA(omp cancel parallel)
            }
            OW_PRAGMA(omp cancellation point parallel)
            OW_PRAGMA(omp atomic)
            after++;
        }
        OW_CHECK(c, after <= team, "cancelled region: %d past the cancellation point, team %d",
                 after, team);
        if (!on)
            OW_CHECK(c, after == team, "region without cancellation: %d of %d threads went on",
                     after, team);
    }
    /* the next construct is whole */
    long long s = 0;
    int m = 1 + (int)st_below(&c->g, 500);
    OW_PRAGMA(omp parallel for num_threads(nt) schedule(dynamic, 2) reduction(+ : s))
    for (int i = 0; i < m; i++)
        s += i;
    OW_CHECK(c, s == (long long)m * (m - 1) / 2,
             "the loop after a cancellation (kind %u) summed %lld, expected %lld", what, s,
             (long long)m * (m - 1) / 2);
}

/* ---- 9. nested regions ----------------------------------------------------------------- */
static void ep_nested(ow_ctx *c)
{
    unsigned a = team_size(c), b = team_size(c);
    int inner[OW_MAXT];
    for (int i = 0; i < OW_MAXT; i++)
        inner[i] = 0;
    int total = 0, outer_team = 0;
    int level = omp_get_level(), active = omp_get_active_level();
    uint64_t subseed = st_pct(&c->g, 10) ? st_next(&c->g) : 0;
    OW_PRAGMA(omp parallel num_threads(a) shared(inner, total, outer_team))
    {
        int o = omp_get_thread_num();
        int outer_active = omp_get_active_level();
        OW_PRAGMA(omp master)
        outer_team = omp_get_num_threads();
        OW_PRAGMA(omp parallel num_threads(b) shared(inner, total))
        {
            OW_PRAGMA(omp atomic)
            total++;
            OW_CHECK(c, omp_get_level() == level + 2, "inner level %d, expected %d",
                     omp_get_level(), level + 2);
            OW_CHECK(c, omp_get_ancestor_thread_num(level + 1) == o,
                     "ancestor thread number %d, expected %d", omp_get_ancestor_thread_num(level + 1), o);
            OW_PRAGMA(omp master)
            {
                if (o < OW_MAXT)
                    inner[o] = omp_get_num_threads();
                if (subseed && o == 0)
                    sub_episode(c, subseed);
            }
        }
        if (o < OW_MAXT)
            check_team(c, inner[o], b, outer_active);
    }
    check_team(c, outer_team, a, active);
    int sum = 0;
    for (int i = 0; i < outer_team && i < OW_MAXT; i++)
        sum += inner[i];
    OW_CHECK(c, total == sum, "%d inner threads ran, the inner teams add up to %d", total, sum);
}

/* ---- 10. taskloop ---------------------------------------------------------------------- */
static void ep_taskloop(ow_ctx *c)
{
    unsigned nt = team_size(c);
    int n = (int)st_below(&c->g, scaled(c, 3000) + 1);
    int grain = 1 + (int)st_below(&c->g, 100), ntasks = 1 + (int)st_below(&c->g, 32);
    unsigned variant = st_below(&c->g, 3);
    if (variant == 0 && !c->lim->taskloop_reduction)
        variant = 1;
    long long s = 0;
    unsigned char *mark = calloc((size_t)n + 1, 1);
    if (!mark)
        return;
    /* (unsigned: clang 14 warns about its own comparison in a taskloop over an int) */
    unsigned un = (unsigned)n;
    OW_PRAGMA(omp parallel num_threads(nt) shared(s, mark))
    OW_PRAGMA(omp single)
    {
        if (variant == 0) {
            OW_PRAGMA(omp taskloop grainsize(grain) reduction(+ : s))
            for (unsigned i = 0; i < un; i++) {
                s += i;
                mark[i]++;
            }
        } else if (variant == 1) {
            OW_PRAGMA(omp taskloop num_tasks(ntasks) shared(s))
            for (unsigned i = 0; i < un; i++) {
                OW_PRAGMA(omp atomic)
                s += i;
                mark[i]++;
            }
        } else {
            OW_PRAGMA(omp taskloop nogroup shared(s))
            for (unsigned i = 0; i < un; i++) {
                OW_PRAGMA(omp atomic)
                s += i;
                mark[i]++;
            }
            OW_PRAGMA(omp taskwait)
        }
    }
    OW_CHECK(c, s == (long long)n * (n - 1) / 2, "taskloop variant %u (grain %d, tasks %d): sum "
             "%lld, expected %lld", variant, grain, ntasks, s, (long long)n * (n - 1) / 2);
    for (int i = 0; i < n; i++)
        if (mark[i] != 1) {
            OW_CHECK(c, 0, "taskloop variant %u: iteration %d ran %d times", variant, i, mark[i]);
            break;
        }
    free(mark);
}

/* ---- 11. sections, ordered, locks, atomic capture ----------------------------------- */
static void ep_misc(ow_ctx *c)
{
    unsigned nt = team_size(c);
    int sec[4] = {0, 0, 0, 0};
    if (!c->lim->no_sections) {
        OW_PRAGMA(omp parallel sections num_threads(nt) shared(sec))
        {
            OW_PRAGMA(omp section)
            sec[0]++;
            OW_PRAGMA(omp section)
            sec[1]++;
            OW_PRAGMA(omp section)
            sec[2]++;
            OW_PRAGMA(omp section)
            sec[3]++;
        }
        OW_CHECK(c, sec[0] == 1 && sec[1] == 1 && sec[2] == 1 && sec[3] == 1,
                 "sections ran %d %d %d %d times", sec[0], sec[1], sec[2], sec[3]);
    }

    int n = (int)st_below(&c->g, scaled(c, 400) + 1), chunk = 1 + (int)st_below(&c->g, 5);
    int seq = 0, bad = 0;
    OW_PRAGMA(omp parallel for ordered schedule(dynamic, chunk) num_threads(nt) shared(seq, bad))
    for (int i = 0; i < n; i++) {
        OW_PRAGMA(omp ordered)
        {
            if (seq != i)
                bad++;
            seq++;
        }
    }
    OW_CHECK(c, bad == 0 && seq == n, "ordered: %d out of order, %d of %d ran", bad, seq, n);

    omp_lock_t lock;
    omp_nest_lock_t nlock;
    omp_init_lock(&lock);
    omp_init_nest_lock(&nlock);
    int per = (int)st_below(&c->g, scaled(c, 200) + 1);
    long long counter = 0, ncounter = 0;
    int team = 0;
    int *tickets = calloc((size_t)per * OW_MAXT + 1, sizeof(int));
    int next = 0;
    OW_PRAGMA(omp parallel num_threads(nt) shared(counter, ncounter, team, tickets, next, lock, nlock))
    {
        OW_PRAGMA(omp master)
        team = omp_get_num_threads();
        for (int k = 0; k < per; k++) {
            omp_set_lock(&lock);
            counter++;
            omp_unset_lock(&lock);
            omp_set_nest_lock(&nlock);
            omp_set_nest_lock(&nlock);
            ncounter++;
            omp_unset_nest_lock(&nlock);
            omp_unset_nest_lock(&nlock);
            int t;
            OW_PRAGMA(omp atomic capture)
            t = next++;
            if (tickets && t >= 0 && t < per * OW_MAXT) {
                OW_PRAGMA(omp atomic)
                tickets[t]++;
            }
        }
    }
    omp_destroy_lock(&lock);
    omp_destroy_nest_lock(&nlock);
    OW_CHECK(c, counter == (long long)per * team && ncounter == counter,
             "locks: %lld and %lld increments, expected %lld", counter, ncounter,
             (long long)per * team);
    OW_CHECK(c, next == per * team, "atomic capture: %d tickets, expected %d", next, per * team);
    if (tickets)
        for (int i = 0; i < per * team && i < per * OW_MAXT; i++)
            if (tickets[i] != 1) {
                OW_CHECK(c, 0, "ticket %d taken %d times", i, tickets[i]);
                break;
            }
    free(tickets);
}

/* ---- 12. episodes inside tasks and regions -------------------------------------------- */
static void ep_recursive(ow_ctx *c)
{
    unsigned nt = team_size(c);
    int n = 1 + (int)st_below(&c->g, 4);
    uint64_t seeds[4];
    for (int i = 0; i < 4; i++)
        seeds[i] = st_next(&c->g);
    bool in_region = st_pct(&c->g, 50);
    if (in_region) {
        OW_PRAGMA(omp parallel num_threads(nt) shared(seeds))
        {
            int id = omp_get_thread_num();
            if (id < n)
                sub_episode(c, seeds[id]);
        }
    } else {
        OW_PRAGMA(omp parallel num_threads(nt) shared(seeds))
        OW_PRAGMA(omp single)
        {
            for (int i = 0; i < n; i++) {
                OW_PRAGMA(omp task firstprivate(i))
                sub_episode(c, seeds[i]);
            }
        }
    }
}

/* ---- the table ------------------------------------------------------------------------- */
typedef struct ow_kind {
    const char *name;
    void (*fn)(ow_ctx *c);
    unsigned weight;
} ow_kind;

static const ow_kind kinds[] = {
    {"team", ep_team, 10},       {"loop", ep_loop, 12},         {"reduce", ep_reduce, 8},
    {"tasks", ep_tasks, 12},     {"fib", ep_fib, 6},            {"taskgroup", ep_taskgroup, 8},
    {"depend", ep_depend, 10},   {"cancel", ep_cancel, 8},      {"nested", ep_nested, 8},
    {"taskloop", ep_taskloop, 6}, {"misc", ep_misc, 6},          {"recursive", ep_recursive, 6},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static unsigned weight(unsigned i, const ow_limits *lim)
{
    return !lim->only || (lim->only >> i & 1u) ? kinds[i].weight : 0;
}

static unsigned pick(uint64_t seed, const ow_limits *lim)
{
    unsigned total = 0;
    for (unsigned i = 0; i < NKINDS; i++)
        total += weight(i, lim);
    if (!total)
        return 0;
    uint64_t x = seed;
    unsigned r = (unsigned)(st_splitmix(&x) % total);
    for (unsigned i = 0; i < NKINDS; i++) {
        if (r < weight(i, lim))
            return i;
        r -= weight(i, lim);
    }
    return 0;
}

const char *ow_episode_name(uint64_t seed, const ow_limits *lim)
{
    return kinds[pick(seed, lim)].name;
}

const char *ow_kind_name(unsigned i) { return i < NKINDS ? kinds[i].name : NULL; }

static int episode(uint64_t seed, const ow_limits *lim, ow_err *e, unsigned depth)
{
    ow_ctx c;
    unsigned k = pick(seed, lim);
    st_rng_init(&c.g, st_derive(seed, 1, depth));
    c.seed = seed;
    c.e = e;
    c.lim = lim;
    c.name = kinds[k].name;
    c.depth = depth;
    kinds[k].fn(&c);
    ow_tick();
    return atomic_load(&e->n);
}

int ow_episode(uint64_t seed, const ow_limits *lim, char *err, size_t errlen)
{
    ow_err e;
    atomic_init(&e.n, 0);
    e.msg[0] = 0;
    int n = episode(seed, lim, &e, 0);
    if (n && err && errlen)
        snprintf(err, errlen, "%s (%d failed checks; episode seed %" PRIu64 ")", e.msg, n, seed);
    return n;
}
