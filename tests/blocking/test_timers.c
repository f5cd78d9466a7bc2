/*
 * test_timers.c - arayon_spawn_after and arayon_spawn_every.
 *
 *   order        timers spawned in shuffled order: a timer whose deadline is surely later
 *                never starts before one whose deadline is surely earlier (1 worker: the
 *                start order is observable with a counter), and none starts early.
 *   100,000      100,000 pending timers at once: each fires exactly once, never early; the
 *                metrics count them (timers_pending, pending, peak_pending, timers_fired).
 *   cancel       pending timers cancelled through their handles finish at once as
 *                ARAYON_ECANCELED and never run; one that fired but has not started yet too.
 *   every        a periodic task stops when fn returns non-zero (ARAYON_OK, its value as
 *                result), when cancelled between runs or during a run (ARAYON_ECANCELED, no
 *                run after), never overlaps itself, and skips missed ticks.
 *   shutdown     unfired timers (1-hour deadlines, periodic ones) are cancelled by the
 *                shutdown, which does not wait for them; spawns after it are refused.
 *   admission    a timer holds a max_pending place from its spawn: a full pool refuses under
 *                REJECT and RUN_INLINE, waits under BLOCK (limit, or until room appears).
 *   tasks        timers spawned by tasks and by timers; the pool's task timeout counts from
 *                the deadline.
 *   bad input    NULL pool or fn, period 0.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "blk.h"

/* ---- order ------------------------------------------------------------------------------- */

enum { ORDER_N = 200 };
typedef struct order_ctx {
    atomic_int next, done;
    int order[ORDER_N];
    uint64_t lo[ORDER_N], hi[ORDER_N]; /* bounds of each timer's deadline */
    atomic_int early;
} order_ctx;
static order_ctx oc;

typedef struct order_arg {
    int rank;
} order_arg;
static order_arg oargs[ORDER_N];

static int order_fn(void *arg)
{
    order_arg *a = arg;
    if (test_now_ns() < oc.lo[a->rank])
        atomic_fetch_add(&oc.early, 1);
    oc.order[a->rank] = atomic_fetch_add(&oc.next, 1);
    atomic_fetch_add(&oc.done, 1); /* after the write above: the test waits for this */
    return 0;
}

static void run_order(unsigned workers)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = workers});
    arayon_metrics_t m0 = rc_metrics(p);
    memset(&oc, 0, sizeof oc);
    /* A shuffled spawn order (a fixed permutation), deadlines 300 us apart by rank. */
    int perm[ORDER_N];
    for (int i = 0; i < ORDER_N; i++)
        perm[i] = i;
    uint64_t x = 88172645463325252ull;
    for (int i = ORDER_N - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int j = (int)(x % (uint64_t)(i + 1));
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    uint64_t base = test_now_ns() + 100 * MS;
    for (int k = 0; k < ORDER_N; k++) {
        int r = perm[k];
        oargs[r].rank = r;
        uint64_t target = base + (uint64_t)r * 300000u;
        uint64_t before = test_now_ns();
        uint64_t delay = target > before ? target - before : 0;
        oc.lo[r] = before + delay; /* the runtime reads its clock between before and after */
        CHECK_OK(arayon_spawn_after(p, delay, order_fn, &oargs[r], NULL));
        uint64_t after = test_now_ns();
        oc.hi[r] = after + delay; /* (read by this thread only) */
    }
    WAIT_UNTIL_GE(&oc.done, ORDER_N);
    CHECK_EQ(atomic_load(&oc.early), 0);
    if (workers == 1) {
        /* One worker starts timers one after the other: the start order is the order of
         * the counter. Check every pair whose deadlines are surely ordered. */
        unsigned long pairs = 0;
        for (int i = 0; i < ORDER_N; i++)
            for (int j = 0; j < ORDER_N; j++)
                if (oc.hi[i] < oc.lo[j]) {
                    CHECK_MSG(oc.order[i] < oc.order[j],
                              "rank %d (deadline <= %llu) started after rank %d (>= %llu)", i,
                              (unsigned long long)oc.hi[i], j, (unsigned long long)oc.lo[j]);
                    pairs++;
                }
        fprintf(stderr, "   %lu ordered pairs checked\n", pairs);
        CHECK_GT(pairs, (unsigned long)ORDER_N * (ORDER_N - 1) / 4); /* most of them */
    }
    arayon_metrics_t m1 = rc_metrics(p);
    blk_delta d = blk_diff(&m0, &m1);
    CHECK_EQ(d.spawned, ORDER_N);
    CHECK_EQ(d.completed, ORDER_N);
    CHECK_EQ(d.timers_spawned, ORDER_N);
    CHECK_EQ(d.timers_fired, ORDER_N);
    arayon_pool_destroy(&p);
}

/* ---- 100,000 pending timers ------------------------------------------------------------ */

enum { MANY = 100000 };
static atomic_uchar many_ran[MANY];
static uint64_t many_lo[MANY];
static atomic_int many_count, many_early;

static int many_fn(void *arg)
{
    size_t i = (size_t)(uintptr_t)arg;
    if (test_now_ns() < many_lo[i])
        atomic_fetch_add(&many_early, 1);
    atomic_fetch_add(&many_ran[i], 1);
    atomic_fetch_add(&many_count, 1);
    return 0;
}

static void run_many(void)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 2, .max_pending = 2 * MANY});
    arayon_metrics_t m0 = rc_metrics(p);
    atomic_store(&many_count, 0);
    atomic_store(&many_early, 0);
    /* Deadlines from 1 s to 1.2 s after the start, in a scattered order. */
    uint64_t t0 = test_now_ns();
    for (size_t i = 0; i < MANY; i++) {
        atomic_store(&many_ran[i], 0);
        uint64_t delay = 1000 * MS + (uint64_t)((i * 7919u) % 200u) * MS - 0;
        uint64_t now = test_now_ns();
        uint64_t target = t0 + delay;
        uint64_t d = target > now ? target - now : 0;
        many_lo[i] = now + d;
        CHECK_OK(arayon_spawn_after(p, d, many_fn, (void *)(uintptr_t)i, NULL));
    }
    uint64_t spawn_ns = test_now_ns() - t0;
    arayon_metrics_t m = rc_metrics(p);
    blk_check_sum(&m);
    fprintf(stderr, "   %d timers spawned in %.1f ms; %llu pending now, %llu fired\n", MANY,
            (double)spawn_ns / 1e6, (unsigned long long)m.timers_pending,
            (unsigned long long)m.timers_fired);
    if (m.timers_fired == 0 && atomic_load(&many_count) == 0) {
        /* Spawned before the first deadline: all of them pending at once. */
        CHECK_EQ(m.timers_pending, MANY);
        CHECK_EQ(m.pending, MANY);
        CHECK_GE(m.peak_pending, MANY);
    }
    CHECK_EQ(m.timers_spawned - m0.timers_spawned, MANY);
    WAIT_UNTIL_GE(&many_count, MANY);
    CHECK_EQ(atomic_load(&many_early), 0);
    for (size_t i = 0; i < MANY; i++)
        CHECK_EQ(atomic_load(&many_ran[i]), 1);
    WAIT_METRICS(p, m.pending == 0 && m.queued == 0);
    arayon_metrics_t m1 = rc_metrics(p);
    blk_delta d = blk_diff(&m0, &m1);
    CHECK_EQ(d.spawned, MANY);
    CHECK_EQ(d.completed, MANY);
    CHECK_EQ(d.timers_fired, MANY);
    arayon_pool_destroy(&p);
}

/* ---- cancel ----------------------------------------------------------------------------- */

static atomic_int cancel_ran;
static int cancel_fn(void *arg)
{
    (void)arg;
    atomic_fetch_add(&cancel_ran, 1);
    return 0;
}

static void run_cancel(void)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 1});
    arayon_metrics_t m0 = rc_metrics(p);
    atomic_store(&cancel_ran, 0);
    enum { N = 1000 };
    static arayon_task_t *h[N];
    for (int i = 0; i < N; i++)
        CHECK_OK(arayon_spawn_after(p, HOUR, cancel_fn, NULL, &h[i]));
    arayon_metrics_t m = rc_metrics(p);
    CHECK_EQ(m.timers_pending, N);
    CHECK_EQ(m.pending, N);
    blk_check_sum(&m);
    for (int i = 0; i < N; i += 2)
        CHECK_OK(arayon_task_cancel(h[i]));
    for (int i = 0; i < N; i++) {
        if (i % 2 == 0) {
            CHECK_RC(arayon_task_poll(h[i]), ARAYON_OK); /* finished at once */
            CHECK_RC(arayon_task_wait(h[i]), ARAYON_ECANCELED);
            int r = -1;
            CHECK_OK(arayon_task_result(h[i], &r));
            CHECK_EQ(r, 0);
            CHECK_OK(arayon_task_cancel(h[i])); /* again: no effect */
            CHECK_RC(arayon_task_wait(h[i]), ARAYON_ECANCELED);
        } else {
            CHECK_RC(arayon_task_poll(h[i]), ARAYON_ETIMEDOUT); /* still pending */
        }
    }
    m = rc_metrics(p);
    CHECK_EQ(m.timers_pending, N / 2);
    CHECK_EQ(m.pending, N / 2);
    CHECK_EQ(m.cancelled - m0.cancelled, N / 2);
    blk_check_sum(&m);

    /* Fired, but not started yet (the only worker is busy): cancelled before it runs. */
    gated g;
    gated_init(&g);
    arayon_task_t *hg = NULL, *hf = NULL;
    CHECK_OK(arayon_spawn_handle(p, gated_task, &g, &hg));
    WAIT_UNTIL_GE(&g.inside, 1);
    uint64_t fired0 = rc_metrics(p).timers_fired;
    CHECK_OK(arayon_spawn_after(p, 1 * MS, cancel_fn, NULL, &hf));
    WAIT_METRICS(p, m.timers_fired == fired0 + 1);
    CHECK_OK(arayon_task_cancel(hf));
    gate_open(&g.gate);
    CHECK_RC(arayon_task_wait(hf), ARAYON_ECANCELED);
    CHECK_OK(arayon_task_wait(hg));
    arayon_task_release(hf);
    arayon_task_release(hg);
    gate_destroy(&g.gate);
    CHECK_EQ(atomic_load(&cancel_ran), 0);

    /* The others are cancelled by the shutdown. */
    CHECK_OK(arayon_pool_shutdown(p));
    for (int i = 1; i < N; i += 2)
        CHECK_RC(arayon_task_wait(h[i]), ARAYON_ECANCELED);
    for (int i = 0; i < N; i++)
        arayon_task_release(h[i]);
    CHECK_EQ(atomic_load(&cancel_ran), 0);
    arayon_metrics_t m1 = rc_metrics(p);
    blk_delta d = blk_diff(&m0, &m1);
    CHECK_EQ(d.timers_spawned, N + 1);
    CHECK_EQ(d.cancelled, N + 1);
    CHECK_EQ(d.completed, 1);
    arayon_pool_destroy(&p);
}

/* ---- every -------------------------------------------------------------------------------- */

typedef struct every_ctx {
    atomic_int runs, inside, overlap;
    int stop_at;     /* return non-zero at this run (0: never) */
    int sleep_us;    /* each run takes this long */
    gated *gate_run; /* run 1 waits on this gate */
} every_ctx;

static int every_fn(void *arg)
{
    every_ctx *e = arg;
    if (atomic_fetch_add(&e->inside, 1) != 0)
        atomic_fetch_add(&e->overlap, 1);
    int n = atomic_fetch_add(&e->runs, 1) + 1;
    if (n == 1 && e->gate_run)
        gated_task(e->gate_run);
    if (e->sleep_us)
        test_sleep_us((unsigned)e->sleep_us);
    atomic_fetch_sub(&e->inside, 1);
    return e->stop_at && n >= e->stop_at ? 42 : 0;
}

static void run_every(void)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 2});
    arayon_metrics_t m0 = rc_metrics(p);

    /* Stops on non-zero: outcome OK, the value as result. */
    every_ctx e1 = {.stop_at = 5};
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_every(p, 1 * MS, every_fn, &e1, &h));
    CHECK_OK(arayon_task_wait(h));
    int r = 0;
    CHECK_OK(arayon_task_result(h, &r));
    CHECK_EQ(r, 42);
    CHECK_EQ(atomic_load(&e1.runs), 5);
    arayon_task_release(h);

    /* Runs longer than the period: never two at once; missed ticks are skipped. */
    every_ctx e2 = {.stop_at = 4, .sleep_us = 5000};
    CHECK_OK(arayon_spawn_every(p, 1 * MS, every_fn, &e2, &h));
    CHECK_OK(arayon_task_wait(h));
    CHECK_EQ(atomic_load(&e2.runs), 4);
    CHECK_EQ(atomic_load(&e2.overlap), 0);
    arayon_task_release(h);

    /* Cancelled between runs: no run after the handle finished. */
    every_ctx e3 = {0};
    CHECK_OK(arayon_spawn_every(p, 1 * MS, every_fn, &e3, &h));
    WAIT_UNTIL_GE(&e3.runs, 3);
    CHECK_OK(arayon_task_cancel(h));
    CHECK_RC(arayon_task_wait(h), ARAYON_ECANCELED);
    int runs = atomic_load(&e3.runs);
    CHECK_EQ(atomic_load(&e3.inside), 0);
    test_sleep_us(20000);
    CHECK_EQ(atomic_load(&e3.runs), runs);
    arayon_task_release(h);

    /* Cancelled during its first run: that run finishes, no other starts. */
    gated g;
    gated_init(&g);
    every_ctx e4 = {.gate_run = &g};
    CHECK_OK(arayon_spawn_every(p, 1 * MS, every_fn, &e4, &h));
    WAIT_UNTIL_GE(&g.inside, 1);
    CHECK_OK(arayon_task_cancel(h));
    CHECK_RC(arayon_task_poll(h), ARAYON_ETIMEDOUT); /* the run is still in progress */
    gate_open(&g.gate);
    CHECK_RC(arayon_task_wait(h), ARAYON_ECANCELED);
    test_sleep_us(10000);
    CHECK_EQ(atomic_load(&e4.runs), 1);
    arayon_task_release(h);
    gate_destroy(&g.gate);

    /* Detached, stops by itself. */
    every_ctx e5 = {.stop_at = 3};
    CHECK_OK(arayon_spawn_every(p, 2 * MS, every_fn, &e5, NULL));
    WAIT_UNTIL_GE(&e5.runs, 3);
    WAIT_METRICS(p, m.pending == 0 && m.queued == 0);
    CHECK_EQ(atomic_load(&e5.runs), 3);

    arayon_metrics_t m1 = rc_metrics(p);
    blk_delta d = blk_diff(&m0, &m1);
    CHECK_EQ(d.spawned, 5); /* one task per spawn_every, however many runs */
    CHECK_EQ(d.completed, 3);
    CHECK_EQ(d.cancelled, 2);
    CHECK_EQ(d.timers_spawned, 5);
    /* (the cancelled one may have fired once more without running) */
    CHECK_GE(d.timers_fired, (uint64_t)(5 + 4 + runs + 1 + 3));
    CHECK_LE(d.timers_fired, (uint64_t)(5 + 4 + runs + 1 + 3 + 1));
    arayon_pool_destroy(&p);
}

/* ---- shutdown ----------------------------------------------------------------------------- */

static void run_shutdown(void)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 2});
    atomic_store(&cancel_ran, 0);
    enum { N = 1000 };
    static arayon_task_t *h[N];
    for (int i = 0; i < N; i++)
        CHECK_OK(arayon_spawn_after(p, HOUR + (uint64_t)i, cancel_fn, NULL, &h[i]));
    for (int i = 0; i < 100; i++)
        CHECK_OK(arayon_spawn_after(p, HOUR, cancel_fn, NULL, NULL));
    arayon_task_t *hevery = NULL, *hfast = NULL;
    CHECK_OK(arayon_spawn_every(p, HOUR, cancel_fn, NULL, &hevery));
    every_ctx fast = {0};
    CHECK_OK(arayon_spawn_every(p, 100000, every_fn, &fast, &hfast)); /* every 100 us */
    WAIT_UNTIL_GE(&fast.runs, 3);
    arayon_metrics_t m = rc_metrics(p);
    blk_check_sum(&m);
    CHECK_GE(m.timers_pending, N + 100 + 1);
    uint64_t t0 = test_now_ns();
    CHECK_OK(arayon_pool_shutdown(p)); /* does not wait an hour */
    fprintf(stderr, "   shutdown with %d far timers took %.1f ms\n", N + 102,
            (double)(test_now_ns() - t0) / 1e6);
    for (int i = 0; i < N; i++) {
        CHECK_RC(arayon_task_wait(h[i]), ARAYON_ECANCELED);
        arayon_task_release(h[i]);
    }
    CHECK_RC(arayon_task_wait(hevery), ARAYON_ECANCELED);
    CHECK_RC(arayon_task_wait(hfast), ARAYON_ECANCELED);
    arayon_task_release(hevery);
    arayon_task_release(hfast);
    CHECK_EQ(atomic_load(&cancel_ran), 0);
    m = rc_metrics(p);
    rc_check_quiescent(&m);
    CHECK_EQ(m.timers_pending, 0);
    CHECK_EQ(m.cancelled, N + 100 + 2);
    CHECK_EQ(m.spawned, N + 100 + 2);
    /* Refused from now on. */
    arayon_task_t *hx = (arayon_task_t *)&hx;
    CHECK_RC(arayon_spawn_after(p, 0, cancel_fn, NULL, &hx), ARAYON_ESHUTDOWN);
    CHECK(hx == NULL);
    CHECK_RC(arayon_spawn_every(p, MS, cancel_fn, NULL, NULL), ARAYON_ESHUTDOWN);
    m = rc_metrics(p);
    CHECK_EQ(m.spawned, N + 100 + 2);
    CHECK_EQ(m.rejected, 2);
    arayon_pool_destroy(&p);

    /* A pool whose first timer comes after the shutdown began, and a timed shutdown. */
    p = blk_pool((blk_cfg){.threads = 1});
    CHECK_OK(arayon_pool_shutdown(p));
    CHECK_RC(arayon_spawn_after(p, 0, cancel_fn, NULL, NULL), ARAYON_ESHUTDOWN);
    arayon_pool_destroy(&p);
    p = blk_pool((blk_cfg){.threads = 1});
    for (int i = 0; i < 10; i++)
        CHECK_OK(arayon_spawn_after(p, HOUR, cancel_fn, NULL, NULL));
    CHECK_OK(arayon_pool_shutdown_timeout(p, 10ull * 1000 * MS));
    m = rc_metrics(p);
    rc_check_quiescent(&m);
    CHECK_EQ(m.cancelled, 10);
    CHECK_EQ(m.abandoned, 0);
    arayon_pool_destroy(&p);
}

/* ---- admission ------------------------------------------------------------------------------ */

typedef struct spawner {
    arayon_pool_t *pool;
    atomic_int done;
    int rc;
} spawner;

static void *spawn_after_thread(void *arg)
{
    spawner *s = arg;
    s->rc = arayon_spawn_after(s->pool, HOUR, cancel_fn, NULL, NULL);
    atomic_store(&s->done, 1);
    return NULL;
}

typedef struct inner_full {
    arayon_pool_t *pool;
    int rc;
} inner_full;

static int spawn_after_in_full_pool(void *arg)
{
    inner_full *f = arg;
    f->rc = arayon_spawn_after(f->pool, HOUR, cancel_fn, NULL, NULL);
    return 0;
}

static void run_admission(void)
{
    for (int pol = 0; pol < 3; pol++) {
        arayon_full_policy_t policy = pol == 0 ? ARAYON_FULL_REJECT
                                      : pol == 1 ? ARAYON_FULL_RUN_INLINE
                                                 : ARAYON_FULL_BLOCK;
        arayon_pool_t *p = blk_pool((blk_cfg){.threads = 1, .max_pending = 8, .policy = policy,
                                              .max_pending_wait_ns = 20 * MS});
        arayon_task_t *h[8];
        for (int i = 0; i < 8; i++)
            CHECK_OK(arayon_spawn_after(p, HOUR, cancel_fn, NULL, &h[i]));
        arayon_metrics_t m = rc_metrics(p);
        CHECK_EQ(m.pending, 8);
        CHECK_EQ(m.timers_pending, 8);
        CHECK_EQ(m.peak_pending, 8);
        blk_check_sum(&m);
        /* Full: refused (BLOCK: after waiting 20 ms for room). */
        arayon_task_t *hx = (arayon_task_t *)&hx;
        CHECK_RC(arayon_spawn_after(p, 0, cancel_fn, NULL, &hx), ARAYON_EAGAIN);
        CHECK(hx == NULL);
        CHECK_RC(arayon_spawn_every(p, MS, cancel_fn, NULL, NULL), ARAYON_EAGAIN);
        if (policy != ARAYON_FULL_RUN_INLINE)
            CHECK_RC(arayon_spawn(p, blk_noop, NULL), ARAYON_EAGAIN);
        m = rc_metrics(p);
        CHECK_EQ(m.rejected, policy != ARAYON_FULL_RUN_INLINE ? 3 : 2);
        CHECK_EQ(m.pending, 8);
        /* A cancel makes room. */
        CHECK_OK(arayon_task_cancel(h[0]));
        CHECK_RC(arayon_task_wait(h[0]), ARAYON_ECANCELED);
        arayon_task_release(h[0]);
        CHECK_OK(arayon_spawn_after(p, HOUR, cancel_fn, NULL, &h[0]));
        CHECK_RC(arayon_spawn_after(p, HOUR, cancel_fn, NULL, NULL), ARAYON_EAGAIN);
        CHECK_OK(arayon_pool_shutdown(p));
        for (int i = 0; i < 8; i++) {
            CHECK_RC(arayon_task_wait(h[i]), ARAYON_ECANCELED);
            arayon_task_release(h[i]);
        }
        m = rc_metrics(p);
        rc_check_quiescent(&m);
        CHECK_EQ(m.cancelled, 9);
        CHECK_LE(m.peak_pending, 8);
        arayon_pool_destroy(&p);
    }

    /* BLOCK without a limit: a spawner waits until a cancel makes room. */
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 1, .max_pending = 2, .policy = ARAYON_FULL_BLOCK});
    arayon_task_t *h0 = NULL, *h1 = NULL;
    CHECK_OK(arayon_spawn_after(p, HOUR, cancel_fn, NULL, &h0));
    CHECK_OK(arayon_spawn_after(p, HOUR, cancel_fn, NULL, &h1));
    spawner s = {.pool = p};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, spawn_after_thread, &s), 0);
    test_sleep_us(20000);
    CHECK_EQ(atomic_load(&s.done), 0);
    CHECK_OK(arayon_task_cancel(h0));
    pthread_join(th, NULL);
    CHECK_OK(s.rc);
    arayon_metrics_t m = rc_metrics(p);
    CHECK_EQ(m.timers_pending, 2);
    CHECK_EQ(m.pending, 2);
    /* A task of the full pool: nothing to run meanwhile, so it is refused at once. */
    CHECK_OK(arayon_task_cancel(h1));
    inner_full f = {.pool = p};
    arayon_task_t *ht = NULL;
    CHECK_OK(arayon_spawn_handle(p, spawn_after_in_full_pool, &f, &ht));
    CHECK_OK(arayon_task_wait(ht));
    arayon_task_release(ht);
    CHECK_RC(f.rc, ARAYON_EAGAIN);
    CHECK_OK(arayon_pool_shutdown(p));
    m = rc_metrics(p);
    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, 4);
    CHECK_EQ(m.cancelled, 3);
    CHECK_EQ(m.completed, 1);
    arayon_task_release(h0);
    arayon_task_release(h1);
    arayon_pool_destroy(&p);
}

/* ---- timers and tasks --------------------------------------------------------------------- */

typedef struct chain {
    arayon_pool_t *pool;
    atomic_int links;
    int want;
    atomic_int errors;
} chain;

static int chain_fn(void *arg)
{
    chain *c = arg;
    TASK_CHECK(arayon_in_worker());
    if (atomic_fetch_add(&c->links, 1) + 1 < c->want &&
        arayon_spawn_after(c->pool, 200000, chain_fn, c, NULL) != ARAYON_OK)
        atomic_fetch_add(&c->errors, 1);
    return 0;
}

static int spawn_chain(void *arg)
{
    chain *c = arg;
    return arayon_spawn_after(c->pool, 0, chain_fn, c, NULL) == ARAYON_OK ? 0 : 1;
}

static atomic_int timeout_saw;
static int quick(void *arg)
{
    (void)arg;
    return 0;
}
static int until_deadline(void *arg)
{
    (void)arg;
    uint64_t t0 = test_now_ns();
    while (!arayon_cancelled()) {
        TASK_CHECK(test_now_ns() - t0 < TEST_HANG_NS);
        test_sleep_us(200);
    }
    atomic_fetch_add(&timeout_saw, 1);
    return 0;
}

static void run_tasks(void)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 2});
    arayon_metrics_t m0 = rc_metrics(p);
    chain c = {.pool = p, .want = 50};
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(p, spawn_chain, &c, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    WAIT_UNTIL_GE(&c.links, 50);
    WAIT_METRICS(p, m.pending == 0 && m.queued == 0);
    CHECK_EQ(atomic_load(&c.errors), 0);
    arayon_metrics_t m1 = rc_metrics(p);
    blk_delta d = blk_diff(&m0, &m1);
    CHECK_EQ(d.spawned, 51);
    CHECK_EQ(d.timers_spawned, 50);
    arayon_pool_destroy(&p);

    /* The pool's task timeout counts from each deadline, not from the spawn: a task due in
     * 300 ms with a 150 ms timeout runs (unless no worker could start it for 150 ms). */
    p = blk_pool((blk_cfg){.threads = 2, .task_timeout_ns = 150 * MS});
    m0 = rc_metrics(p);
    arayon_task_t *hq = NULL, *hd = NULL, *he = NULL;
    CHECK_OK(arayon_spawn_after(p, 300 * MS, quick, NULL, &hq));
    CHECK_OK(arayon_spawn_after(p, 1 * MS, until_deadline, NULL, &hd));
    CHECK_OK(arayon_task_wait(hq));
    CHECK_RC(arayon_task_wait(hd), ARAYON_ETIMEDOUT); /* ran until its deadline (or never) */
    /* A periodic task: each run gets its own deadline; one that overruns stops it. */
    CHECK_OK(arayon_spawn_every(p, 30 * MS, until_deadline, NULL, &he));
    CHECK_RC(arayon_task_wait(he), ARAYON_ETIMEDOUT);
    CHECK_LE(atomic_load(&timeout_saw), 2);
    arayon_task_release(hq);
    arayon_task_release(hd);
    arayon_task_release(he);
    m1 = rc_metrics(p);
    d = blk_diff(&m0, &m1);
    CHECK_EQ(d.completed, 1);
    CHECK_EQ(d.timed_out, 2);
    arayon_pool_destroy(&p);
}

/* ---- bad input --------------------------------------------------------------------------- */

static void run_bad_input(void)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 1});
    arayon_task_t *h = (arayon_task_t *)&h;
    CHECK_RC(arayon_spawn_after(NULL, 0, quick, NULL, &h), ARAYON_EINVAL);
    CHECK(h == NULL);
    h = (arayon_task_t *)&h;
    CHECK_RC(arayon_spawn_after(p, 0, NULL, NULL, &h), ARAYON_EINVAL);
    CHECK(h == NULL);
    CHECK_RC(arayon_spawn_every(NULL, MS, quick, NULL, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_spawn_every(p, MS, NULL, NULL, NULL), ARAYON_EINVAL);
    h = (arayon_task_t *)&h;
    CHECK_RC(arayon_spawn_every(p, 0, quick, NULL, &h), ARAYON_EINVAL);
    CHECK(h == NULL);
    arayon_metrics_t m = rc_metrics(p);
    CHECK_EQ(m.spawned, 0);
    CHECK_EQ(m.timers_spawned, 0);
    /* Delay 0 and the largest delay are fine. */
    CHECK_OK(arayon_spawn_after(p, 0, quick, NULL, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_OK(arayon_spawn_after(p, UINT64_MAX, quick, NULL, &h));
    CHECK_OK(arayon_spawn_every(p, UINT64_MAX, quick, NULL, NULL));
    CHECK_OK(arayon_pool_shutdown(p));
    CHECK_RC(arayon_task_wait(h), ARAYON_ECANCELED);
    arayon_task_release(h);
    m = rc_metrics(p);
    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, 3);
    arayon_pool_destroy(&p);
}

int main(void)
{
    test_watchdog(280);
    test_phase("order: one worker");
    run_order(1);
    test_phase("order: two workers (never early)");
    run_order(2);
    test_phase("100,000 pending timers");
    run_many();
    test_phase("cancel");
    run_cancel();
    test_phase("every");
    run_every();
    test_phase("shutdown cancels unfired timers");
    run_shutdown();
    test_phase("admission: timers hold max_pending places");
    run_admission();
    test_phase("timers from tasks and timers; task timeouts");
    run_tasks();
    test_phase("bad input");
    run_bad_input();
    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_timers: all passed\n");
    return 0;
}
