/*
 * test_admission.c - admission control: max_pending with ARAYON_FULL_BLOCK, _REJECT and
 * _RUN_INLINE.
 *
 *   flood          for each policy, max_pending in {1, 4, 1000} and 1, 2 or 4 workers:
 *                  12000 leaves (fewer under sanitizers, and with BLOCK and a tiny bound)
 *                  spawned by one producer outside the pool, by three outside threads, and
 *                  by producer tasks inside the pool. Each leaf marks its own slot (it must
 *                  run exactly once if its spawn was accepted, never if it was rejected) and
 *                  tells whether it ran inline inside its own spawn call. At every accepted
 *                  spawn the producer measures accepted-minus-finished leaves, a lower bound
 *                  of the pool's pending count, which must never exceed max_pending
 *                  (documented as a hard bound; the test also states the looser max_pending
 *                  + workers). The number of leaves running at once is bounded too. After
 *                  shutdown the metrics must match the counts exactly: spawned, completed,
 *                  rejected (the EAGAIN returns counted), run_inline (the inline runs
 *                  observed), 1 <= peak_pending <= max_pending.
 *   nested fib     recursive fib with a scope per level (both children spawned into it, run
 *                  serially on EAGAIN) with 1, 2 and 4 workers, every policy and max_pending
 *                  1, 4, 1000: no deadlock, result equal to the serial fib, exact counts.
 *   full, outside  every credit held by gated tasks: REJECT -> EAGAIN and the task never
 *                  runs; RUN_INLINE -> runs on the calling thread before the spawn returns;
 *                  BLOCK with max_pending_wait_ns -> EAGAIN; BLOCK without a limit -> the
 *                  spawner stays blocked until the gate opens, then its task runs. With
 *                  max_pending 1000, exactly 1000 spawns are accepted before the first EAGAIN.
 *   full, inside   a task spawning while the pool is full and nothing else is queued:
 *                  BLOCK and RUN_INLINE run each task inline on the spawning worker, REJECT
 *                  returns EAGAIN.
 *   unbounded      max_pending 0: 100000 gated tasks all accepted, pending == 100000.
 *   presets, env   the presets' defaults; ARAYON_MAX_PENDING / ARAYON_FULL_POLICY change
 *                  them, malformed values are ignored; a pool made from an env-configured
 *                  preset enforces it.
 *   bad input      full_policy out of range -> EINVAL.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "rc.h"

static const char *policy_name(arayon_full_policy_t p)
{
    return p == ARAYON_FULL_BLOCK ? "block" : p == ARAYON_FULL_REJECT ? "reject" : "inline";
}

/* The spawn in progress on this thread (its task argument): a task that finds its own
 * argument here runs inline, inside its own spawn call. */
static __thread void *tls_spawning;

/* ---------------------------------------------------------------------------------------
 * Flood
 * ------------------------------------------------------------------------------------- */
enum { SC_OUTSIDE_ONE, SC_OUTSIDE_MANY, SC_INSIDE, SC_COUNT };
static const char *const sc_name[SC_COUNT] = {"one outside producer", "3 outside producers",
                                              "2 producer tasks inside"};
enum { OUTSIDE_THREADS = 3, INSIDE_PRODUCERS = 2 };

typedef struct flood {
    arayon_pool_t *pool;
    size_t max_pending;
    long n;             /* leaves */
    atomic_int *ran;    /* per leaf: times it ran */
    char *accepted_at;  /* per leaf: 1 if its spawn returned OK (written by its producer) */
    atomic_long accepted, finished, eagain, inline_runs, live;
    atomic_llong max_outstanding, max_live;
    /* producer tasks (SC_INSIDE) */
    atomic_long prod_accepted, prod_eagain, prod_inline, prod_done;
    atomic_int prod_ran[INSIDE_PRODUCERS];
} flood;

static flood *g_flood;

static int leaf(void *arg)
{
    flood *f = g_flood;
    long l = atomic_fetch_add(&f->live, 1) + 1;
    rc_atomic_max(&f->max_live, l);
    if (tls_spawning == arg)
        atomic_fetch_add(&f->inline_runs, 1);
    atomic_fetch_add((atomic_int *)arg, 1);
    /* a little work, so that producers outrun the workers and the bound is reached */
    volatile unsigned x = 0;
    for (unsigned i = 0; i < 300; i++)
        x += i;
    (void)x;
    atomic_fetch_sub(&f->live, 1);
    atomic_fetch_add(&f->finished, 1); /* its last action */
    return 0;
}

/* Spawns leaf i and measures the bound. Returns the spawn's code. */
static int flood_spawn(flood *f, long i)
{
    void *arg = &f->ran[i];
    void *prev = tls_spawning;
    tls_spawning = arg;
    int rc = arayon_spawn(f->pool, leaf, arg);
    tls_spawning = prev;
    if (rc == ARAYON_OK) {
        f->accepted_at[i] = 1;
        /* accepted is read before finished: every leaf counted in (a - fin) was accepted and
         * has not finished its body, so it still holds its admission credit (an inline leaf
         * finished before its spawn returned, so it is counted in both). */
        long a = atomic_fetch_add(&f->accepted, 1) + 1;
        long fin = atomic_load(&f->finished);
        rc_atomic_max(&f->max_outstanding, a - fin);
    } else if (rc == ARAYON_EAGAIN) {
        atomic_fetch_add(&f->eagain, 1);
    } else {
        TASK_CHECK(rc == ARAYON_OK || rc == ARAYON_EAGAIN);
    }
    return rc;
}

typedef struct range {
    flood *f;
    long lo, hi;
    int k;
} range;

static void produce(range *r)
{
    for (long i = r->lo; i < r->hi; i++)
        flood_spawn(r->f, i);
}

static void *outside_producer(void *arg)
{
    produce(arg);
    return NULL;
}

static int inside_producer(void *arg)
{
    range *r = arg;
    if (tls_spawning == arg)
        atomic_fetch_add(&r->f->prod_inline, 1);
    atomic_fetch_add(&r->f->prod_ran[r->k], 1);
    produce(r);
    atomic_fetch_add(&r->f->prod_done, 1);
    return 0;
}

static void run_flood(unsigned nworkers, size_t max_pending, arayon_full_policy_t policy, int sc,
                      long n)
{
    char phase[160];
    snprintf(phase, sizeof phase, "flood: %s, %s, max_pending %zu, %u workers", sc_name[sc],
             policy_name(policy), max_pending, nworkers);
    test_phase(phase);

    flood *f = calloc(1, sizeof *f);
    CHECK(f != NULL);
    f->pool = rc_pool(nworkers, max_pending, policy);
    f->max_pending = max_pending;
    f->n = n;
    f->ran = calloc((size_t)n, sizeof *f->ran);
    f->accepted_at = calloc((size_t)n, 1);
    CHECK(f->ran && f->accepted_at);
    g_flood = f;

    unsigned outside_threads = 0;
    if (sc == SC_OUTSIDE_ONE) {
        outside_threads = 1;
        range r = {f, 0, n, 0};
        produce(&r);
    } else if (sc == SC_OUTSIDE_MANY) {
        outside_threads = OUTSIDE_THREADS;
        pthread_t th[OUTSIDE_THREADS];
        range r[OUTSIDE_THREADS];
        for (int k = 0; k < OUTSIDE_THREADS; k++) {
            r[k] = (range){f, n * k / OUTSIDE_THREADS, n * (k + 1) / OUTSIDE_THREADS, k};
            CHECK_EQ(pthread_create(&th[k], NULL, outside_producer, &r[k]), 0);
        }
        for (int k = 0; k < OUTSIDE_THREADS; k++)
            CHECK_EQ(pthread_join(th[k], NULL), 0);
    } else {
        outside_threads = 1; /* under RUN_INLINE a producer may run on this thread */
        static range r[INSIDE_PRODUCERS];
        for (int k = 0; k < INSIDE_PRODUCERS; k++) {
            r[k] = (range){f, n * k / INSIDE_PRODUCERS, n * (k + 1) / INSIDE_PRODUCERS, k};
            tls_spawning = &r[k];
            int rc;
            /* REJECT: a real producer retries until the pool has room */
            while ((rc = arayon_spawn(f->pool, inside_producer, &r[k])) == ARAYON_EAGAIN) {
                CHECK_EQ(policy, ARAYON_FULL_REJECT);
                atomic_fetch_add(&f->prod_eagain, 1);
                sched_yield();
            }
            tls_spawning = NULL;
            CHECK_OK(rc);
            atomic_fetch_add(&f->prod_accepted, 1);
        }
    }
    /* Shutdown runs every task spawned, including the ones spawned by running tasks. */
    CHECK_OK(arayon_pool_shutdown(f->pool));
    CHECK_NO_TASK_ERRORS();

    /* Every accepted leaf ran exactly once; every rejected one never ran. */
    long acc = atomic_load(&f->accepted), rej = atomic_load(&f->eagain);
    CHECK_EQ(acc + rej, n);
    CHECK_EQ(atomic_load(&f->finished), acc);
    for (long i = 0; i < n; i++)
        CHECK_MSG(atomic_load(&f->ran[i]) == f->accepted_at[i],
                  "leaf %ld ran %d times, accepted %d", i, atomic_load(&f->ran[i]),
                  f->accepted_at[i]);
    if (sc == SC_INSIDE) {
        CHECK_EQ(atomic_load(&f->prod_done), INSIDE_PRODUCERS);
        for (int k = 0; k < INSIDE_PRODUCERS; k++)
            CHECK_EQ(atomic_load(&f->prod_ran[k]), 1);
    }
    if (policy != ARAYON_FULL_REJECT) /* no wait limit: nothing is refused */
        CHECK_EQ(rej, 0);
    if (policy == ARAYON_FULL_REJECT)
        CHECK_EQ(atomic_load(&f->inline_runs) + atomic_load(&f->prod_inline), 0);
    if (policy == ARAYON_FULL_BLOCK && sc != SC_INSIDE) /* outside threads never run inline */
        CHECK_EQ(atomic_load(&f->inline_runs), 0);

    /* The bound. */
    long long out = atomic_load(&f->max_outstanding);
    CHECK_MSG(out <= (long long)(max_pending + nworkers),
              "%lld leaves accepted and not finished at a spawn, max_pending %zu + %u workers",
              out, max_pending, nworkers);
    CHECK_MSG(out <= (long long)max_pending,
              "%lld leaves accepted and not finished at a spawn, above max_pending %zu", out,
              max_pending);
    /* Leaves running at once: the ones holding credits (<= max_pending) plus the ones run
     * inline (one per thread that can run a task inline), and at most one per thread. */
    unsigned inline_threads = policy == ARAYON_FULL_RUN_INLINE  ? nworkers + outside_threads
                              : policy == ARAYON_FULL_BLOCK && sc == SC_INSIDE ? nworkers
                                                                                : 0;
    unsigned run_threads = nworkers + (policy == ARAYON_FULL_RUN_INLINE ? outside_threads : 0);
    long long live_bound = (long long)max_pending + inline_threads;
    if (live_bound > run_threads)
        live_bound = run_threads;
    CHECK_MSG(atomic_load(&f->max_live) <= live_bound, "%lld leaves ran at once, bound %lld",
              atomic_load(&f->max_live), live_bound);
    CHECK_GE(atomic_load(&f->max_live), acc > 0 ? 1 : 0);

    /* Exact accounting. */
    arayon_metrics_t m = rc_metrics(f->pool);
    rc_check_quiescent(&m);
    long prod = atomic_load(&f->prod_accepted);
    CHECK_EQ(m.spawned, acc + prod);
    CHECK_EQ(m.completed, acc + prod);
    CHECK_EQ(m.failed + m.cancelled + m.timed_out, 0);
    CHECK_EQ(m.rejected, rej + atomic_load(&f->prod_eagain));
    CHECK_EQ(m.run_inline, atomic_load(&f->inline_runs) + atomic_load(&f->prod_inline));
    CHECK_EQ(m.max_pending, max_pending);
    CHECK_GE(m.peak_pending, 1);
    CHECK_LE(m.peak_pending, max_pending);
    CHECK_EQ(m.abandoned, 0);
    if (sc != SC_INSIDE) /* queued from outside: accepted and not run inline */
        CHECK_EQ(m.injected, acc - atomic_load(&f->inline_runs));
    fprintf(stderr, "   accepted %ld, rejected %ld, inline %" PRIu64 ", max outstanding %lld, "
                    "max live %lld, peak_pending %" PRIu64 "\n",
            acc, rej, m.run_inline, out, atomic_load(&f->max_live), m.peak_pending);

    arayon_pool_destroy(&f->pool);
    CHECK(f->pool == NULL);
    g_flood = NULL;
    free(f->ran);
    free(f->accepted_at);
    free(f);
}

/* ---------------------------------------------------------------------------------------
 * Nested spawners: fib with a scope per level
 * ------------------------------------------------------------------------------------- */
static arayon_pool_t *g_fib_pool;
static atomic_long fib_spawned, fib_eagain, fib_finished;
static atomic_llong fib_max_outstanding;

typedef struct fibarg {
    int n;
    long result;
} fibarg;

static long fib_serial(int n) { return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2); }
static long fib_calls(int n) { return n < 2 ? 1 : 1 + fib_calls(n - 1) + fib_calls(n - 2); }

static int fib_task(void *arg)
{
    fibarg *f = arg;
    if (f->n < 2) {
        f->result = f->n;
    } else {
        fibarg c[2] = {{f->n - 1, 0}, {f->n - 2, 0}};
        arayon_scope_t *s = NULL;
        int rc = arayon_scope_begin(g_fib_pool, &s);
        TASK_CHECK(rc == ARAYON_OK);
        if (rc != ARAYON_OK)
            return 1;
        for (int k = 0; k < 2; k++) {
            rc = arayon_scope_spawn(s, fib_task, &c[k], NULL);
            if (rc == ARAYON_OK) {
                long a = atomic_fetch_add(&fib_spawned, 1) + 1 + 1; /* + the root */
                rc_atomic_max(&fib_max_outstanding, a - atomic_load(&fib_finished));
            } else if (rc == ARAYON_EAGAIN) {
                atomic_fetch_add(&fib_eagain, 1);
                fib_task(&c[k]); /* no room: compute it here */
                atomic_fetch_sub(&fib_finished, 1); /* (it counted itself, it was no task) */
            } else {
                TASK_CHECK(rc == ARAYON_OK || rc == ARAYON_EAGAIN);
            }
        }
        rc = arayon_scope_end(&s);
        TASK_CHECK(rc == ARAYON_OK);
        TASK_CHECK(s == NULL);
        f->result = c[0].result + c[1].result;
    }
    atomic_fetch_add(&fib_finished, 1);
    return 0;
}

static void run_fib(unsigned nworkers, size_t max_pending, arayon_full_policy_t policy, int n)
{
    char phase[160];
    snprintf(phase, sizeof phase, "nested fib(%d): %s, max_pending %zu, %u workers", n,
             policy_name(policy), max_pending, nworkers);
    test_phase(phase);
    g_fib_pool = rc_pool(nworkers, max_pending, policy);
    atomic_store(&fib_spawned, 0);
    atomic_store(&fib_eagain, 0);
    atomic_store(&fib_finished, 0);
    atomic_store(&fib_max_outstanding, 0);

    fibarg root = {n, -1};
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(g_fib_pool, fib_task, &root, &h)); /* the pool is empty */
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_NO_TASK_ERRORS();
    CHECK_EQ(root.result, fib_serial(n));

    long spawned = atomic_load(&fib_spawned), eagain = atomic_load(&fib_eagain);
    CHECK_EQ(spawned + eagain, fib_calls(n) - 1); /* every call but the root is a spawn */
    CHECK_EQ(atomic_load(&fib_finished), spawned + 1);
    CHECK_LE(atomic_load(&fib_max_outstanding), (long long)max_pending);
    if (policy != ARAYON_FULL_REJECT)
        CHECK_EQ(eagain, 0);

    arayon_metrics_t m = rc_metrics(g_fib_pool); /* after the wait: quiescent */
    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, spawned + 1);
    CHECK_EQ(m.completed, spawned + 1);
    CHECK_EQ(m.rejected, eagain);
    CHECK_GE(m.peak_pending, 1);
    CHECK_LE(m.peak_pending, max_pending);
    if (max_pending == 1) {
        /* the root holds the only credit: every spawn below it is refused or run inline */
        if (policy == ARAYON_FULL_REJECT)
            CHECK_EQ(spawned, 0);
        else
            CHECK_EQ(m.run_inline, spawned);
    }
    if (policy == ARAYON_FULL_REJECT)
        CHECK_EQ(m.run_inline, 0);
    arayon_pool_destroy(&g_fib_pool);
}

/* ---------------------------------------------------------------------------------------
 * A full pool, deterministically: every credit held by tasks waiting on a gate.
 * ------------------------------------------------------------------------------------- */
static test_gate g_gate;
static atomic_int g_gated_started;

static int gated(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_gated_started, 1);
    gate_wait(&g_gate);
    return 0;
}

typedef struct probe {
    atomic_int ran;
    atomic_int worker; /* worker index it ran on (-1 outside) */
    atomic_int was_inline;
} probe;

static int probe_task(void *arg)
{
    probe *p = arg;
    atomic_store(&p->worker, arayon_worker_index());
    atomic_store(&p->was_inline, tls_spawning == arg);
    atomic_fetch_add(&p->ran, 1);
    return 0;
}

static int probe_spawn(arayon_pool_t *pool, probe *p)
{
    void *prev = tls_spawning;
    tls_spawning = p;
    int rc = arayon_spawn(pool, probe_task, p);
    tls_spawning = prev;
    return rc;
}

/* Spawns count gated tasks into a pool where nothing else holds credits (all accepted) and
 * waits until the workers hold them. */
static void fill_with_gated(arayon_pool_t *pool, size_t count, unsigned nworkers,
                            size_t max_pending)
{
    gate_init(&g_gate);
    atomic_store(&g_gated_started, 0);
    for (size_t i = 0; i < count; i++)
        CHECK_OK(arayon_spawn(pool, gated, NULL));
    WAIT_UNTIL_GE(&g_gated_started, nworkers < count ? nworkers : count);
    arayon_metrics_t m = rc_metrics(pool);
    CHECK_EQ(m.pending, count);
    CHECK_EQ(m.peak_pending, count);
    CHECK_EQ(m.queued, count - (nworkers < count ? nworkers : count));
    CHECK(arayon_metrics_queue_pressure(&m) == (double)count / (double)max_pending);
}

typedef struct blocked_spawner {
    arayon_pool_t *pool;
    probe p;
    atomic_int returned;
    int rc;
} blocked_spawner;

static void *blocked_spawner_main(void *arg)
{
    blocked_spawner *b = arg;
    b->rc = probe_spawn(b->pool, &b->p);
    atomic_store(&b->returned, 1);
    return NULL;
}

static void test_full_outside(arayon_full_policy_t policy, size_t max_pending, bool wait_limit)
{
    char phase[160];
    snprintf(phase, sizeof phase, "full pool, spawns from outside: %s%s, max_pending %zu",
             policy_name(policy), wait_limit ? " with max_pending_wait_ns 1 ms" : "", max_pending);
    test_phase(phase);
    const unsigned nw = 2;
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = nw;
    cfg.max_pending = max_pending;
    cfg.full_policy = policy;
    cfg.max_pending_wait_ns = wait_limit ? 1000000 : 0;
    arayon_pool_t *pool = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &pool));
    fill_with_gated(pool, max_pending, nw, max_pending);

    enum { TRIES = 5 };
    probe pr[TRIES];
    memset(pr, 0, sizeof pr);
    uint64_t expect_rejected = 0, expect_inline = 0, expect_spawned = max_pending;
    if (policy == ARAYON_FULL_REJECT || (policy == ARAYON_FULL_BLOCK && wait_limit)) {
        for (int k = 0; k < TRIES; k++) {
            uint64_t t0 = test_now_ns();
            CHECK_RC(probe_spawn(pool, &pr[k]), ARAYON_EAGAIN);
            if (k == 0)
                fprintf(stderr, "   EAGAIN after %.3f ms\n", (test_now_ns() - t0) / 1e6);
        }
        expect_rejected = TRIES;
    } else if (policy == ARAYON_FULL_RUN_INLINE) {
        for (int k = 0; k < TRIES; k++) {
            CHECK_OK(probe_spawn(pool, &pr[k]));
            CHECK_EQ(atomic_load(&pr[k].ran), 1); /* ran before the spawn returned */
            CHECK_EQ(atomic_load(&pr[k].was_inline), 1);
            CHECK_EQ(atomic_load(&pr[k].worker), -1); /* on this thread, not a worker */
        }
        expect_spawned = max_pending + TRIES;
        expect_inline = TRIES;
    } else {
        /* BLOCK without a limit: a thread outside the pool waits for room. */
        blocked_spawner b;
        memset(&b, 0, sizeof b);
        b.pool = pool;
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, blocked_spawner_main, &b), 0);
        test_sleep_us(30000); /* likely blocked by now; it cannot return before the gate opens */
        CHECK_EQ(atomic_load(&b.returned), 0);
        CHECK_EQ(atomic_load(&b.p.ran), 0);
        gate_open(&g_gate);
        CHECK_EQ(pthread_join(th, NULL), 0);
        CHECK_OK(b.rc);
        CHECK_OK(arayon_pool_shutdown(pool));
        CHECK_EQ(atomic_load(&b.p.ran), 1);
        CHECK_EQ(atomic_load(&b.p.was_inline), 0);
        CHECK_GE(atomic_load(&b.p.worker), 0);
        expect_spawned = max_pending + 1;
    }
    /* Rejected tasks never run, even after the gate opens and the pool drains. */
    gate_open(&g_gate);
    CHECK_OK(arayon_pool_shutdown(pool));
    if (policy != ARAYON_FULL_RUN_INLINE)
        for (int k = 0; k < TRIES; k++)
            CHECK_EQ(atomic_load(&pr[k].ran), 0);
    arayon_metrics_t m = rc_metrics(pool);
    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, expect_spawned);
    CHECK_EQ(m.completed, expect_spawned);
    CHECK_EQ(m.rejected, expect_rejected);
    CHECK_EQ(m.run_inline, expect_inline);
    CHECK_EQ(m.peak_pending, max_pending);
    arayon_pool_destroy(&pool);
    gate_destroy(&g_gate);
}

/* A task spawning while the pool is full: 2 workers, max_pending 2. A gated task holds one
 * worker and one credit; the spawner task holds the other credit on the other worker. No
 * credit is free and nothing is queued anywhere. */
enum { INSIDE_TRIES = 50 };
static probe g_inside_probes[INSIDE_TRIES];
static atomic_int g_inside_rc[INSIDE_TRIES];
static arayon_pool_t *g_inside_pool;

static int full_spawner(void *arg)
{
    (void)arg;
    for (int k = 0; k < INSIDE_TRIES; k++) {
        atomic_store(&g_inside_rc[k], probe_spawn(g_inside_pool, &g_inside_probes[k]));
        /* inline or refused: either way it has not run on another thread */
        TASK_CHECK(atomic_load(&g_inside_probes[k].ran) == 0 ||
                   atomic_load(&g_inside_probes[k].worker) == arayon_worker_index());
    }
    return 0;
}

static void test_full_inside(arayon_full_policy_t policy)
{
    char phase[160];
    snprintf(phase, sizeof phase, "full pool, spawns from a task, nothing queued: %s",
             policy_name(policy));
    test_phase(phase);
    memset(g_inside_probes, 0, sizeof g_inside_probes);
    g_inside_pool = rc_pool(2, 2, policy);
    fill_with_gated(g_inside_pool, 1, 2, 2);
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(g_inside_pool, full_spawner, NULL, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_NO_TASK_ERRORS();
    for (int k = 0; k < INSIDE_TRIES; k++) {
        if (policy == ARAYON_FULL_REJECT) {
            CHECK_RC(atomic_load(&g_inside_rc[k]), ARAYON_EAGAIN);
            CHECK_EQ(atomic_load(&g_inside_probes[k].ran), 0);
        } else {
            /* BLOCK: a worker never blocks; nothing to run meanwhile, so it runs the task */
            CHECK_OK(atomic_load(&g_inside_rc[k]));
            CHECK_EQ(atomic_load(&g_inside_probes[k].ran), 1);
            CHECK_EQ(atomic_load(&g_inside_probes[k].was_inline), 1);
        }
    }
    gate_open(&g_gate);
    CHECK_OK(arayon_pool_shutdown(g_inside_pool));
    for (int k = 0; k < INSIDE_TRIES; k++)
        CHECK_EQ(atomic_load(&g_inside_probes[k].ran), policy == ARAYON_FULL_REJECT ? 0 : 1);
    arayon_metrics_t m = rc_metrics(g_inside_pool);
    rc_check_quiescent(&m);
    uint64_t accepted = policy == ARAYON_FULL_REJECT ? 0 : INSIDE_TRIES;
    CHECK_EQ(m.spawned, 2 + accepted);
    CHECK_EQ(m.completed, 2 + accepted);
    CHECK_EQ(m.run_inline, accepted);
    CHECK_EQ(m.rejected, INSIDE_TRIES - accepted);
    CHECK_EQ(m.peak_pending, 2);
    arayon_worker_metrics_t wm[2];
    uint64_t inl = 0, rej = 0;
    for (unsigned i = 0; i < 2; i++) {
        CHECK_OK(arayon_pool_worker_metrics(g_inside_pool, i, &wm[i]));
        inl += wm[i].run_inline;
        rej += wm[i].rejected;
    }
    CHECK_EQ(inl, accepted);
    CHECK_EQ(rej, INSIDE_TRIES - accepted);
    arayon_pool_destroy(&g_inside_pool);
    gate_destroy(&g_gate);
}

/* ---------------------------------------------------------------------------------------
 * Unbounded
 * ------------------------------------------------------------------------------------- */
static atomic_long g_unbounded_ran;

static int gated_count(void *arg)
{
    (void)arg;
    gate_wait(&g_gate);
    atomic_fetch_add(&g_unbounded_ran, 1);
    return 0;
}

static void test_unbounded(void)
{
    test_phase("max_pending 0 (unbounded): 100000 gated tasks");
    const long n = 100000;
    for (arayon_full_policy_t policy = ARAYON_FULL_BLOCK; policy <= ARAYON_FULL_RUN_INLINE;
         policy++) {
        atomic_store(&g_unbounded_ran, 0);
        arayon_pool_t *pool = rc_pool(2, 0, policy);
        gate_init(&g_gate);
        for (long i = 0; i < n; i++)
            CHECK_OK(arayon_spawn(pool, gated_count, NULL));
        arayon_metrics_t m = rc_metrics(pool);
        CHECK_EQ(m.max_pending, 0);
        CHECK_EQ(m.spawned, n);
        CHECK_EQ(m.pending, n); /* none can finish before the gate opens */
        CHECK_EQ(m.rejected, 0);
        CHECK_EQ(m.run_inline, 0);
        CHECK_GE(m.peak_pending, n);
        CHECK(arayon_metrics_queue_pressure(&m) == 0.0);
        gate_open(&g_gate);
        CHECK_OK(arayon_pool_shutdown(pool));
        CHECK_EQ(atomic_load(&g_unbounded_ran), n);
        m = rc_metrics(pool);
        rc_check_quiescent(&m);
        CHECK_EQ(m.completed, n);
        arayon_pool_destroy(&pool);
        gate_destroy(&g_gate);
    }
}

/* ---------------------------------------------------------------------------------------
 * Presets and the environment (run first, before any thread exists: setenv is not
 * thread-safe)
 * ------------------------------------------------------------------------------------- */
static void check_presets(size_t max_pending, arayon_full_policy_t policy)
{
    arayon_config_t c[3] = {arayon_config_default(), arayon_config_cpu_bound(),
                            arayon_config_io_bound()};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(c[i].max_pending, max_pending);
        CHECK_EQ(c[i].full_policy, policy);
        CHECK_EQ(c[i].max_pending_wait_ns, 0);
        CHECK_EQ(c[i].task_timeout_ns, 0);
    }
}

static void test_presets_env(void)
{
    test_phase("presets: defaults");
    unsetenv("ARAYON_MAX_PENDING");
    unsetenv("ARAYON_FULL_POLICY");
    arayon_config_t d = arayon_config_default();
    CHECK_GE(d.max_pending, 65536);
    CHECK_EQ(d.max_pending, ARAYON_DEFAULT_MAX_PENDING);
    CHECK_EQ(d.full_policy, ARAYON_FULL_BLOCK);
    check_presets(ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_BLOCK);

    test_phase("presets: ARAYON_MAX_PENDING and ARAYON_FULL_POLICY");
    CHECK_EQ(setenv("ARAYON_MAX_PENDING", "123", 1), 0);
    check_presets(123, ARAYON_FULL_BLOCK);
    CHECK_EQ(setenv("ARAYON_MAX_PENDING", "0", 1), 0); /* 0 = unbounded */
    check_presets(0, ARAYON_FULL_BLOCK);
    CHECK_EQ(setenv("ARAYON_MAX_PENDING", "4611686018427387903", 1), 0); /* 2^62 - 1 */
    check_presets((size_t)4611686018427387903ull, ARAYON_FULL_BLOCK);
    unsetenv("ARAYON_MAX_PENDING");
    const struct {
        const char *v;
        arayon_full_policy_t p;
    } pol[] = {{"reject", ARAYON_FULL_REJECT},
               {"inline", ARAYON_FULL_RUN_INLINE},
               {"run_inline", ARAYON_FULL_RUN_INLINE},
               {"block", ARAYON_FULL_BLOCK}};
    for (size_t i = 0; i < sizeof pol / sizeof pol[0]; i++) {
        CHECK_EQ(setenv("ARAYON_FULL_POLICY", pol[i].v, 1), 0);
        check_presets(ARAYON_DEFAULT_MAX_PENDING, pol[i].p);
    }

    test_phase("presets: malformed values are ignored");
    const char *bad_counts[] = {"12abc", "abc", "-5", " 7x", "99999999999999999999999",
                                "18446744073709551615"};
    CHECK_EQ(setenv("ARAYON_FULL_POLICY", "reject", 1), 0);
    for (size_t i = 0; i < sizeof bad_counts / sizeof bad_counts[0]; i++) {
        CHECK_EQ(setenv("ARAYON_MAX_PENDING", bad_counts[i], 1), 0);
        /* the count is ignored, the policy still applies */
        check_presets(ARAYON_DEFAULT_MAX_PENDING, ARAYON_FULL_REJECT);
    }
    CHECK_EQ(setenv("ARAYON_MAX_PENDING", "77", 1), 0);
    const char *bad_policies[] = {"sometimes", "REJECT", "1", "blocking", " block"};
    for (size_t i = 0; i < sizeof bad_policies / sizeof bad_policies[0]; i++) {
        CHECK_EQ(setenv("ARAYON_FULL_POLICY", bad_policies[i], 1), 0);
        check_presets(77, ARAYON_FULL_BLOCK);
    }

    test_phase("presets: a pool made from the environment enforces it");
    CHECK_EQ(setenv("ARAYON_MAX_PENDING", "3", 1), 0);
    CHECK_EQ(setenv("ARAYON_FULL_POLICY", "reject", 1), 0);
    arayon_config_t cfg = arayon_config_default();
    unsetenv("ARAYON_MAX_PENDING");
    unsetenv("ARAYON_FULL_POLICY");
    cfg.num_threads = 1;
    arayon_pool_t *pool = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &pool));
    gate_init(&g_gate);
    atomic_store(&g_gated_started, 0);
    for (int i = 0; i < 3; i++)
        CHECK_OK(arayon_spawn(pool, gated, NULL));
    probe pr;
    memset(&pr, 0, sizeof pr);
    CHECK_RC(probe_spawn(pool, &pr), ARAYON_EAGAIN);
    arayon_metrics_t m = rc_metrics(pool);
    CHECK_EQ(m.max_pending, 3);
    CHECK_EQ(m.pending, 3);
    CHECK_EQ(m.rejected, 1);
    gate_open(&g_gate);
    CHECK_OK(arayon_pool_shutdown(pool));
    CHECK_EQ(atomic_load(&pr.ran), 0);
    CHECK_EQ(atomic_load(&g_gated_started), 3);
    arayon_pool_destroy(&pool);
    gate_destroy(&g_gate);
}

static void test_bad_input(void)
{
    test_phase("bad input: full_policy out of range");
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 1;
    arayon_full_policy_t bad[] = {(arayon_full_policy_t)3, (arayon_full_policy_t)-1,
                                  (arayon_full_policy_t)1000};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg.full_policy = bad[i];
        arayon_pool_t *pool = (arayon_pool_t *)&cfg; /* must be overwritten with NULL */
        CHECK_RC(arayon_pool_create(&cfg, &pool), ARAYON_EINVAL);
        CHECK(pool == NULL);
    }
    /* in range, with every other admission field at an extreme: accepted */
    cfg.full_policy = ARAYON_FULL_RUN_INLINE;
    cfg.max_pending = 1;
    cfg.max_pending_wait_ns = UINT64_MAX;
    arayon_pool_t *pool = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &pool));
    arayon_pool_destroy(&pool);
}

int main(void)
{
    test_watchdog(280);
    test_presets_env(); /* first: it calls setenv */
    test_bad_input();

    for (arayon_full_policy_t policy = ARAYON_FULL_BLOCK; policy <= ARAYON_FULL_RUN_INLINE;
         policy++) {
        test_full_outside(policy, 4, false);
        test_full_outside(policy, 1000, false);
        test_full_inside(policy);
    }
    test_full_outside(ARAYON_FULL_BLOCK, 4, true);
    test_full_outside(ARAYON_FULL_BLOCK, 1, true);

    const size_t maxes[] = {1, 4, 1000};
    const unsigned workers[] = {1, 2, 4};
    const long n = 12000 / TEST_SCALE_DOWN;
    for (arayon_full_policy_t policy = ARAYON_FULL_BLOCK; policy <= ARAYON_FULL_RUN_INLINE;
         policy++)
        for (size_t i = 0; i < 3; i++)
            for (int sc = 0; sc < SC_COUNT; sc++)
                for (size_t w = 0; w < 3; w++) {
                    /* outside threads blocked on a tiny bound hand over one task at a time
                     * (a futex wake-up each): fewer of those, so the test stays fast on a
                     * loaded machine */
                    bool handover =
                        policy == ARAYON_FULL_BLOCK && maxes[i] <= 4 && sc != SC_INSIDE;
                    run_flood(workers[w], maxes[i], policy, sc, handover ? n / 4 : n);
                }

    const int fib_n = TEST_TSAN ? 16 : 19;
    for (arayon_full_policy_t policy = ARAYON_FULL_BLOCK; policy <= ARAYON_FULL_RUN_INLINE;
         policy++)
        for (size_t i = 0; i < 3; i++)
            for (size_t w = 0; w < 3; w++)
                run_fib(workers[w], maxes[i], policy, fib_n);

    test_unbounded();
    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_admission: all checks passed\n");
    return 0;
}
