/*
 * test_blocking.c - arayon_spawn_blocking and arayon_scope_spawn_blocking.
 *
 *   thousand     1,000 blocking tasks that sleep 10 ms each on a 2-worker pool, and compute
 *                work (a parallel loop and 2,000 tasks) started after them: the compute work
 *                is all done while blocking tasks are still unfinished; every task ran once.
 *   not stalled  blocking threads all blocked on a gate (and more blocking tasks queued): the
 *                workers still run compute work to completion before the gate opens.
 *   bounded      max_blocking_threads = 4: never more threads or running tasks (metrics peak,
 *                and a count inside the tasks), the rest queued.
 *   idle exit    blocking_idle_ns = 20 ms: the threads exit (metrics and /proc), and come back.
 *   cancel       a queued task cancelled through its handle, a cancelled scope (queued tasks
 *                never run, a running one sees arayon_cancelled()), task timeouts (running:
 *                ETIMEDOUT; queued past its deadline: ETIMEDOUT without running).
 *   context      fn runs off the workers; it may spawn tasks and blocking tasks and wait.
 *   policies     max_pending counts blocking tasks: REJECT refuses, RUN_INLINE runs on the
 *                caller, BLOCK waits (with and without a limit; a worker runs it itself).
 *   shutdown     a blocking task running when shutdown begins may still spawn; the shutdown
 *                waits for it; afterwards spawns from outside are refused.
 *   bad input    NULL pool, fn, scope; a config above ARAYON_MAX_THREADS.
 *   metrics      blocking_* fields in the three renderers; the invariants everywhere.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "blk.h"

/* ---- thousand ------------------------------------------------------------------------- */

enum { THOUSAND = 1000 };
static atomic_int sleep_ran[THOUSAND];
static atomic_int sleep_done;
static atomic_int sleep_hold; /* set: the blocking tasks wait (up to 60 s) before their sleep */
static atomic_long compute_sum;

static int sleep10(void *arg)
{
    size_t i = (size_t)(uintptr_t)arg;
    TASK_CHECK(!arayon_in_worker());
    TASK_CHECK(arayon_worker_index() == -1);
    atomic_fetch_add(&sleep_ran[i], 1);
    for (int k = 0; k < 60000 && atomic_load(&sleep_hold); k++)
        test_sleep_us(1000);
    test_sleep_us(10000);
    atomic_fetch_add(&sleep_done, 1);
    return 0;
}

static int compute_task(void *arg)
{
    long v = (long)(intptr_t)arg, acc = 0;
    for (long k = 0; k < 2000; k++)
        acc += (v * k) % 7;
    atomic_fetch_add(&compute_sum, acc);
    return 0;
}

static long compute_expect(long n)
{
    long total = 0;
    for (long v = 0; v < n; v++)
        for (long k = 0; k < 2000; k++)
            total += (v * k) % 7;
    return total;
}

static atomic_long loop_sum;
static int loop_body(void *ctx, size_t lo, size_t hi)
{
    (void)ctx;
    long acc = 0;
    for (size_t i = lo; i < hi; i++)
        acc += (long)i;
    atomic_fetch_add(&loop_sum, acc);
    return 0;
}

/* Runs the compute part: a parallel loop and n tasks in a scope. */
static void run_compute(arayon_pool_t *p, long n)
{
    atomic_store(&loop_sum, 0);
    atomic_store(&compute_sum, 0);
    CHECK_OK(arayon_parallel_for(p, 0, 100000, 0, loop_body, NULL));
    CHECK_EQ(atomic_load(&loop_sum), 100000L * 99999L / 2);
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(p, &s));
    for (long v = 0; v < n; v++)
        CHECK_OK(arayon_scope_spawn(s, compute_task, (void *)(intptr_t)v, NULL));
    CHECK_OK(arayon_scope_end(&s));
    CHECK_EQ(atomic_load(&compute_sum), compute_expect(n));
}

static void run_thousand(void)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 2, .max_pending = ARAYON_DEFAULT_MAX_PENDING});
    arayon_metrics_t m0 = rc_metrics(p);
    atomic_store(&sleep_done, 0);
    /* Held until the compute work has ended, so that "it did not wait for them" does not
     * depend on how fast this machine runs it (a loaded machine took longer than the 160 ms
     * the blocking tasks need at the least). */
    atomic_store(&sleep_hold, 1);
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(p, &s));
    for (size_t i = 0; i < THOUSAND; i++) {
        atomic_store(&sleep_ran[i], 0);
        CHECK_OK(arayon_scope_spawn_blocking(s, sleep10, (void *)(uintptr_t)i, NULL));
    }
    /* 1,000 x 10 ms on at most 64 threads, held meanwhile. The compute work must not wait
     * for them: it is all done while the blocking tasks are still unfinished. */
    const long n = 2000;
    run_compute(p, n);
    int done_when_compute_ended = atomic_load(&sleep_done);
    atomic_store(&sleep_hold, 0);
    arayon_metrics_t mid = rc_metrics(p);
    blk_check_sum(&mid);
    fprintf(stderr, "   compute done with %d of %d blocking tasks finished; %llu blocking "
            "threads now, peak %llu\n", done_when_compute_ended, THOUSAND,
            (unsigned long long)mid.blocking_threads,
            (unsigned long long)mid.blocking_threads_peak);
    CHECK_LT(done_when_compute_ended, THOUSAND);
    CHECK_GT(mid.pending, 0);
    CHECK_OK(arayon_scope_end(&s));
    CHECK_EQ(atomic_load(&sleep_done), THOUSAND);
    for (size_t i = 0; i < THOUSAND; i++)
        CHECK_EQ(atomic_load(&sleep_ran[i]), 1);
    arayon_metrics_t m1 = rc_metrics(p);
    blk_delta d = blk_diff(&m0, &m1);
    CHECK_EQ(d.blocking_spawned, THOUSAND);
    CHECK_GE(d.spawned, THOUSAND + n);
    CHECK_EQ(d.completed, d.spawned);
    CHECK_GE(m1.blocking_threads_peak, 2);  /* elastic: more than one thread was started */
    CHECK_LE(m1.blocking_threads_peak, 64); /* the default bound */
    CHECK_LE(m1.blocking_threads, 64);
    arayon_pool_destroy(&p);
}

/* ---- not stalled, bounded --------------------------------------------------------------- */

static void run_bounded(void)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 2, .max_blocking = 4});
    CHECK_EQ(arayon_pool_num_threads(p), 2);
    arayon_metrics_t m0 = rc_metrics(p);
    gated g;
    gated_init(&g);
    arayon_task_t *h[10];
    for (int i = 0; i < 10; i++)
        CHECK_OK(arayon_spawn_blocking(p, gated_task, &g, &h[i]));
    /* Four threads, all blocked: the other six wait in the queue. */
    WAIT_UNTIL_GE(&g.inside, 4);
    WAIT_METRICS(p, m.blocking_running == 4 && m.blocking_queued == 6);
    arayon_metrics_t m = rc_metrics(p);
    CHECK_EQ(m.blocking_threads, 4);
    CHECK_EQ(m.blocking_threads_peak, 4);
    CHECK_GE(m.queued, 6);
    CHECK_EQ(m.pending, 10);
    blk_check_sum(&m);
    /* Every blocking thread is stuck, yet compute work runs to completion on the workers. */
    test_phase("not stalled: compute while every blocking thread is blocked");
    run_compute(p, 500);
    CHECK_EQ(atomic_load(&g.inside), 4);
    CHECK(!gate_is_open(&g.gate));
    gate_open(&g.gate);
    for (int i = 0; i < 10; i++) {
        CHECK_OK(arayon_task_wait(h[i]));
        arayon_task_release(h[i]);
    }
    CHECK_EQ(atomic_load(&g.entered), 10);
    CHECK_EQ(atomic_load(&g.max_inside), 4);
    arayon_metrics_t m1 = rc_metrics(p);
    CHECK_EQ(m1.blocking_threads_peak, 4);
    blk_delta d = blk_diff(&m0, &m1);
    CHECK_EQ(d.blocking_spawned, 10);
    arayon_pool_destroy(&p);
    gate_destroy(&g.gate);
}

/* ---- idle exit --------------------------------------------------------------------------- */

static void run_idle_exit(void)
{
    int base = rc_thread_count();
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 2, .max_blocking = 8, .idle_ns = 20 * MS});
    int with_workers = rc_thread_count();
    for (int round = 0; round < 2; round++) {
        gated g;
        gated_init(&g);
        arayon_scope_t *s = NULL;
        CHECK_OK(arayon_scope_begin(p, &s));
        for (int i = 0; i < 8; i++)
            CHECK_OK(arayon_scope_spawn_blocking(s, gated_task, &g, NULL));
        WAIT_UNTIL_GE(&g.inside, 8);
        arayon_metrics_t m = rc_metrics(p);
        CHECK_EQ(m.blocking_threads, 8);
        if (with_workers > 0)
            CHECK_GE(rc_thread_count(), with_workers + 8);
        gate_open(&g.gate);
        CHECK_OK(arayon_scope_end(&s));
        /* Idle for 20 ms: every blocking thread exits. */
        WAIT_METRICS(p, m.blocking_threads == 0);
        if (with_workers > 0) {
            uint64_t t0 = test_now_ns();
            while (rc_thread_count() > with_workers) {
                CHECK_MSG(test_now_ns() - t0 < TEST_HANG_NS, "blocking threads still alive");
                test_sleep_us(1000);
            }
        }
        gate_destroy(&g.gate);
    }
    arayon_metrics_t m = rc_metrics(p);
    CHECK_EQ(m.blocking_threads_peak, 8);
    CHECK_EQ(m.blocking_spawned, 16);
    arayon_pool_destroy(&p);
    if (base > 0) {
        uint64_t t0 = test_now_ns();
        while (rc_thread_count() > base) {
            CHECK_MSG(test_now_ns() - t0 < TEST_HANG_NS, "threads left after destroy");
            test_sleep_us(1000);
        }
    }
}

/* ---- cancel and timeouts --------------------------------------------------------------- */

static atomic_int never_ran;
static int must_not_run(void *arg)
{
    (void)arg;
    atomic_fetch_add(&never_ran, 1);
    return 0;
}

static atomic_int saw_cancel;
static int until_cancelled(void *arg)
{
    atomic_int *started = arg;
    atomic_fetch_add(started, 1);
    uint64_t t0 = test_now_ns();
    while (!arayon_cancelled()) {
        TASK_CHECK(test_now_ns() - t0 < TEST_HANG_NS);
        test_sleep_us(200);
    }
    atomic_fetch_add(&saw_cancel, 1);
    return 0;
}

/* A blocking task that begins a scope and runs compute tasks in it: cancelling the blocking
 * task cancels them too (the scope nests in the task, as in a worker's task). */
typedef struct nested_cancel {
    arayon_pool_t *pool;
    atomic_int started, inner_saw, outer_scope_rc;
} nested_cancel;

static int nc_inner(void *arg)
{
    nested_cancel *n = arg;
    atomic_fetch_add(&n->started, 1);
    uint64_t t0 = test_now_ns();
    while (!arayon_cancelled()) {
        TASK_CHECK(test_now_ns() - t0 < TEST_HANG_NS);
        test_sleep_us(200);
    }
    atomic_fetch_add(&n->inner_saw, 1);
    return 0;
}

static int nc_outer(void *arg)
{
    nested_cancel *n = arg;
    arayon_scope_t *s = NULL;
    TASK_CHECK(arayon_scope_begin(n->pool, &s) == ARAYON_OK);
    for (int i = 0; i < 2; i++)
        TASK_CHECK(arayon_scope_spawn(s, nc_inner, n, NULL) == ARAYON_OK);
    atomic_store(&n->outer_scope_rc, arayon_scope_end(&s));
    return 0;
}

static void run_cancel(void)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 2, .max_blocking = 1});
    arayon_metrics_t m0 = rc_metrics(p);
    atomic_store(&never_ran, 0);

    /* A queued task cancelled through its handle. */
    gated g;
    gated_init(&g);
    arayon_task_t *hg = NULL, *hq = NULL;
    CHECK_OK(arayon_spawn_blocking(p, gated_task, &g, &hg));
    WAIT_UNTIL_GE(&g.inside, 1);
    CHECK_OK(arayon_spawn_blocking(p, must_not_run, NULL, &hq));
    CHECK_OK(arayon_task_cancel(hq));
    CHECK_RC(arayon_task_poll(hq), ARAYON_ETIMEDOUT); /* still queued behind the gate */
    gate_open(&g.gate);
    CHECK_RC(arayon_task_wait(hq), ARAYON_ECANCELED);
    int r = -1;
    CHECK_OK(arayon_task_result(hq, &r));
    CHECK_EQ(r, 0);
    CHECK_OK(arayon_task_wait(hg));
    arayon_task_release(hg);
    arayon_task_release(hq);
    gate_destroy(&g.gate);

    /* A cancelled scope: the running task sees it, the queued ones never run. */
    atomic_int started = 0;
    atomic_store(&saw_cancel, 0);
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(p, &s));
    arayon_task_t *hr = NULL;
    CHECK_OK(arayon_scope_spawn_blocking(s, until_cancelled, &started, &hr));
    WAIT_UNTIL_GE(&started, 1);
    for (int i = 0; i < 5; i++)
        CHECK_OK(arayon_scope_spawn_blocking(s, must_not_run, NULL, NULL));
    CHECK_OK(arayon_scope_cancel(s));
    CHECK_RC(arayon_scope_end(&s), ARAYON_ECANCELED);
    CHECK_OK(arayon_task_wait(hr)); /* it ran, saw the cancel and returned 0 */
    arayon_task_release(hr);
    CHECK_EQ(atomic_load(&saw_cancel), 1);
    CHECK_EQ(atomic_load(&never_ran), 0);
    arayon_metrics_t m1 = rc_metrics(p);
    blk_delta d = blk_diff(&m0, &m1);
    CHECK_EQ(d.blocking_spawned, 8);
    CHECK_EQ(d.cancelled, 6);
    CHECK_EQ(d.completed, 2);

    /* Cancelling a blocking task reaches the scopes begun inside it. */
    nested_cancel nc = {.pool = p};
    atomic_store(&nc.outer_scope_rc, -100);
    arayon_task_t *hn = NULL;
    CHECK_OK(arayon_spawn_blocking(p, nc_outer, &nc, &hn));
    WAIT_UNTIL_GE(&nc.started, 2);
    CHECK_OK(arayon_task_cancel(hn));
    CHECK_OK(arayon_task_wait(hn)); /* it ran: its outcome is its own return */
    arayon_task_release(hn);
    CHECK_EQ(atomic_load(&nc.inner_saw), 2);
    CHECK_OK(atomic_load(&nc.outer_scope_rc)); /* both inner tasks ran and returned 0 */
    arayon_pool_destroy(&p);

    /* Task timeouts (the pool's default deadline). */
    test_phase("cancel: task timeouts");
    p = blk_pool((blk_cfg){.threads = 2, .max_blocking = 1, .task_timeout_ns = 200 * MS});
    m0 = rc_metrics(p);
    atomic_store(&saw_cancel, 0);
    atomic_store(&started, 0);
    arayon_task_t *ht = NULL;
    CHECK_OK(arayon_spawn_blocking(p, until_cancelled, &started, &ht)); /* its deadline passes */
    CHECK_RC(arayon_task_wait(ht), ARAYON_ETIMEDOUT); /* ran until its deadline (or never) */
    CHECK_LE(atomic_load(&saw_cancel), 1);
    arayon_task_release(ht);
    /* A task queued behind a blocked thread until after its deadline never runs. */
    gated g2;
    gated_init(&g2);
    CHECK_OK(arayon_spawn_blocking(p, gated_task, &g2, &hg));
    WAIT_UNTIL_GE(&g2.inside, 1);
    CHECK_OK(arayon_spawn_blocking(p, must_not_run, NULL, &hq));
    uint64_t spawned_at = test_now_ns(); /* its deadline is before spawned_at + 200 ms */
    while (test_now_ns() < spawned_at + 201 * MS)
        test_sleep_us(1000);
    gate_open(&g2.gate);
    CHECK_RC(arayon_task_wait(hg), ARAYON_ETIMEDOUT); /* the gate task ran past its deadline too */
    CHECK_RC(arayon_task_wait(hq), ARAYON_ETIMEDOUT);
    CHECK_EQ(atomic_load(&never_ran), 0);
    arayon_task_release(hg);
    arayon_task_release(hq);
    m1 = rc_metrics(p);
    d = blk_diff(&m0, &m1);
    CHECK_EQ(d.timed_out, 3);
    arayon_pool_destroy(&p);
    gate_destroy(&g2.gate);
}

/* ---- context: spawning and waiting from a blocking task -------------------------------- */

typedef struct nest {
    arayon_pool_t *pool;
    atomic_int compute_runs, inner_blocking_runs;
} nest;

static int nest_compute(void *arg)
{
    nest *n = arg;
    TASK_CHECK(arayon_in_worker());
    atomic_fetch_add(&n->compute_runs, 1);
    return 0;
}

static int nest_inner(void *arg)
{
    nest *n = arg;
    TASK_CHECK(!arayon_in_worker());
    atomic_fetch_add(&n->inner_blocking_runs, 1);
    return 7; /* fails on purpose */
}

static int nest_outer(void *arg)
{
    nest *n = arg;
    arayon_task_t *h[4];
    for (int i = 0; i < 4; i++)
        TASK_CHECK(arayon_spawn_handle(n->pool, nest_compute, n, &h[i]) == ARAYON_OK);
    arayon_task_t *hb = NULL;
    TASK_CHECK(arayon_spawn_blocking(n->pool, nest_inner, n, &hb) == ARAYON_OK);
    for (int i = 0; i < 4; i++) {
        TASK_CHECK(arayon_task_wait(h[i]) == ARAYON_OK);
        arayon_task_release(h[i]);
    }
    TASK_CHECK(arayon_task_wait(hb) == ARAYON_EFAILED);
    int r = 0;
    TASK_CHECK(arayon_task_result(hb, &r) == ARAYON_OK && r == 7);
    arayon_task_release(hb);
    /* A scope begun here is this task's. */
    arayon_scope_t *s = NULL;
    TASK_CHECK(arayon_scope_begin(n->pool, &s) == ARAYON_OK);
    for (int i = 0; i < 4; i++)
        TASK_CHECK(arayon_scope_spawn(s, nest_compute, n, NULL) == ARAYON_OK);
    TASK_CHECK(arayon_scope_end(&s) == ARAYON_OK);
    return 0;
}

/* A blocking task is a task of the pool: shutting the pool down from it would wait for
 * itself. */
static int shutdown_from_blocking(void *arg)
{
    arayon_pool_t *p = arg;
    TASK_CHECK(arayon_pool_shutdown(p) == ARAYON_EBUSY);
    TASK_CHECK(arayon_pool_shutdown_timeout(p, 1000) == ARAYON_EBUSY);
    arayon_pool_t *copy = p;
    arayon_pool_destroy(&copy); /* does nothing from inside */
    TASK_CHECK(copy == p);
    return 0;
}

/* A compute task that spawns a blocking task and waits for it (helping meanwhile). */
static int compute_spawns_blocking(void *arg)
{
    nest *n = arg;
    arayon_task_t *h = NULL;
    TASK_CHECK(arayon_spawn_blocking(n->pool, nest_outer, n, &h) == ARAYON_OK);
    TASK_CHECK(arayon_task_wait(h) == ARAYON_OK);
    arayon_task_release(h);
    return 0;
}

static void run_context(void)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 2});
    arayon_metrics_t m0 = rc_metrics(p);
    nest n = {.pool = p};
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_blocking(p, nest_outer, &n, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_OK(arayon_spawn_handle(p, compute_spawns_blocking, &n, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_EQ(atomic_load(&n.compute_runs), 16);
    CHECK_EQ(atomic_load(&n.inner_blocking_runs), 2);
    arayon_metrics_t m1 = rc_metrics(p);
    blk_delta d = blk_diff(&m0, &m1);
    CHECK_EQ(d.spawned, 21); /* 2 outer, 2 inner, 16 compute, the task that spawned one */
    CHECK_EQ(d.blocking_spawned, 4);
    CHECK_EQ(d.failed, 2);
    CHECK_OK(arayon_spawn_blocking(p, shutdown_from_blocking, p, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    arayon_pool_destroy(&p);
}

/* ---- admission policies ----------------------------------------------------------------- */

static atomic_int inline_on_caller;
static pthread_t caller_thread;
static int where_am_i(void *arg)
{
    (void)arg;
    if (pthread_equal(pthread_self(), caller_thread))
        atomic_fetch_add(&inline_on_caller, 1);
    return 0;
}

typedef struct blocked_spawn {
    arayon_pool_t *pool;
    atomic_int done;
    int rc;
} blocked_spawn;

static void *spawn_blocking_thread(void *arg)
{
    blocked_spawn *b = arg;
    b->rc = arayon_spawn_blocking(b->pool, blk_noop, NULL, NULL);
    atomic_store(&b->done, 1);
    return NULL;
}

typedef struct full_ctx {
    arayon_pool_t *pool;
    atomic_int in_worker_inline;
} full_ctx;

static int in_worker_blocking(void *arg)
{
    full_ctx *f = arg;
    if (arayon_in_worker())
        atomic_fetch_add(&f->in_worker_inline, 1);
    return 0;
}

/* A compute task of a full pool spawns a blocking task: nothing else is queued, so under
 * ARAYON_FULL_BLOCK the worker runs it itself. */
static int worker_spawns_when_full(void *arg)
{
    full_ctx *f = arg;
    TASK_CHECK(arayon_spawn_blocking(f->pool, in_worker_blocking, f, NULL) == ARAYON_OK);
    return 0;
}

static void run_policies(void)
{
    caller_thread = pthread_self();
    for (int pol = 0; pol < 3; pol++) {
        arayon_full_policy_t policy = pol == 0 ? ARAYON_FULL_REJECT
                                      : pol == 1 ? ARAYON_FULL_RUN_INLINE
                                                 : ARAYON_FULL_BLOCK;
        test_phase(pol == 0 ? "policies: reject" : pol == 1 ? "policies: run inline"
                                                            : "policies: block");
        arayon_pool_t *p = blk_pool((blk_cfg){.threads = 1, .max_pending = 4, .policy = policy,
                                              .max_pending_wait_ns = pol == 2 ? 20 * MS : 0});
        arayon_metrics_t m0 = rc_metrics(p);
        gated g;
        gated_init(&g);
        arayon_task_t *h[4];
        for (int i = 0; i < 4; i++)
            CHECK_OK(arayon_spawn_blocking(p, gated_task, &g, &h[i]));
        WAIT_UNTIL_GE(&g.inside, 4);
        arayon_metrics_t m = rc_metrics(p);
        CHECK_EQ(m.pending, 4); /* blocking tasks hold their places */
        blk_check_sum(&m);
        atomic_store(&inline_on_caller, 0);
        arayon_task_t *hx = NULL;
        int rc = arayon_spawn_blocking(p, where_am_i, NULL, &hx);
        if (policy == ARAYON_FULL_RUN_INLINE) {
            CHECK_OK(rc);
            CHECK_EQ(atomic_load(&inline_on_caller), 1);
            CHECK_OK(arayon_task_poll(hx)); /* already finished */
            CHECK_OK(arayon_task_wait(hx));
            arayon_task_release(hx);
        } else {
            CHECK_RC(rc, ARAYON_EAGAIN); /* reject: at once; block: after 20 ms */
            CHECK(hx == NULL);
            CHECK_RC(arayon_spawn(p, blk_noop, NULL), ARAYON_EAGAIN);
        }
        gate_open(&g.gate);
        for (int i = 0; i < 4; i++) {
            CHECK_OK(arayon_task_wait(h[i]));
            arayon_task_release(h[i]);
        }
        arayon_metrics_t m1 = rc_metrics(p);
        blk_delta d = blk_diff(&m0, &m1);
        CHECK_EQ(d.rejected, policy == ARAYON_FULL_RUN_INLINE ? 0 : 2);
        CHECK_EQ(d.run_inline, policy == ARAYON_FULL_RUN_INLINE ? 1 : 0);
        CHECK_EQ(d.blocking_spawned, policy == ARAYON_FULL_RUN_INLINE ? 5 : 4);
        arayon_pool_destroy(&p);
        gate_destroy(&g.gate);
    }

    /* ARAYON_FULL_BLOCK without a limit: a spawner outside waits until there is room. */
    test_phase("policies: block until room");
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 1, .max_pending = 2, .policy = ARAYON_FULL_BLOCK});
    gated g;
    gated_init(&g);
    CHECK_OK(arayon_spawn_blocking(p, gated_task, &g, NULL));
    CHECK_OK(arayon_spawn_blocking(p, gated_task, &g, NULL));
    WAIT_UNTIL_GE(&g.inside, 2);
    blocked_spawn b = {.pool = p};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, spawn_blocking_thread, &b), 0);
    test_sleep_us(20000);
    CHECK_EQ(atomic_load(&b.done), 0); /* still waiting: the pool is full */
    gate_open(&g.gate);
    pthread_join(th, NULL);
    CHECK_OK(b.rc);
    CHECK_OK(arayon_pool_shutdown(p));
    arayon_metrics_t m = rc_metrics(p);
    rc_check_quiescent(&m);
    CHECK_EQ(m.blocking_spawned, 3);
    arayon_pool_destroy(&p);
    gate_destroy(&g.gate);

    /* A worker under ARAYON_FULL_BLOCK with nothing queued runs the blocking task itself. */
    test_phase("policies: a worker of a full pool runs it itself");
    p = blk_pool((blk_cfg){.threads = 1, .max_pending = 1, .policy = ARAYON_FULL_BLOCK});
    full_ctx f = {.pool = p};
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(p, worker_spawns_when_full, &f, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_EQ(atomic_load(&f.in_worker_inline), 1);
    CHECK_OK(arayon_pool_shutdown(p));
    m = rc_metrics(p);
    rc_check_quiescent(&m);
    CHECK_EQ(m.run_inline, 1);
    CHECK_EQ(m.spawned, 2);
    arayon_pool_destroy(&p);
}

/* ---- shutdown ----------------------------------------------------------------------------- */

typedef struct late {
    arayon_pool_t *pool;
    gated g;
    int rc_spawn, rc_blocking, rc_wait1, rc_wait2;
    atomic_int child_runs;
} late;

static int late_child(void *arg)
{
    late *l = arg;
    atomic_fetch_add(&l->child_runs, 1);
    return 0;
}

static int late_parent(void *arg)
{
    late *l = arg;
    gated_task(&l->g);
    /* The pool is shutting down by now; a blocking task of it may still spawn. */
    arayon_task_t *h1 = NULL, *h2 = NULL;
    l->rc_spawn = arayon_spawn_handle(l->pool, late_child, l, &h1);
    l->rc_blocking = arayon_spawn_blocking(l->pool, late_child, l, &h2);
    l->rc_wait1 = h1 ? arayon_task_wait(h1) : -100;
    l->rc_wait2 = h2 ? arayon_task_wait(h2) : -100;
    arayon_task_release(h1);
    arayon_task_release(h2);
    return 0;
}

static void *shutdown_thread(void *arg)
{
    CHECK_OK(arayon_pool_shutdown((arayon_pool_t *)arg));
    return NULL;
}

static void run_shutdown(void)
{
    late l = {0};
    gated_init(&l.g);
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 2});
    l.pool = p;
    CHECK_OK(arayon_spawn_blocking(p, late_parent, &l, NULL));
    WAIT_UNTIL_GE(&l.g.inside, 1);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, shutdown_thread, p), 0);
    /* Wait until the shutdown began: spawns from here are refused. */
    uint64_t t0 = test_now_ns();
    while (arayon_spawn(p, blk_noop, NULL) == ARAYON_OK) {
        CHECK(test_now_ns() - t0 < TEST_HANG_NS);
        test_sleep_us(500);
    }
    CHECK_RC(arayon_spawn_blocking(p, blk_noop, NULL, NULL), ARAYON_ESHUTDOWN);
    gate_open(&l.g.gate);
    pthread_join(th, NULL);
    CHECK_OK(l.rc_spawn);
    CHECK_OK(l.rc_blocking);
    CHECK_OK(l.rc_wait1);
    CHECK_OK(l.rc_wait2);
    CHECK_EQ(atomic_load(&l.child_runs), 2);
    arayon_metrics_t m = rc_metrics(p);
    rc_check_quiescent(&m);
    CHECK_EQ(m.blocking_threads, 0);
    CHECK_EQ(m.blocking_spawned, 2);
    CHECK_GE(m.rejected, 2);
    CHECK_RC(arayon_spawn_blocking(p, blk_noop, NULL, NULL), ARAYON_ESHUTDOWN);
    arayon_task_t *h = (arayon_task_t *)&h;
    CHECK_RC(arayon_spawn_blocking(p, blk_noop, NULL, &h), ARAYON_ESHUTDOWN);
    CHECK(h == NULL);
    arayon_pool_destroy(&p);
    gate_destroy(&l.g.gate);

    /* A shutdown deadline with a blocking task that does not return in time: the task is
     * left behind (counted in abandoned), the call returns. */
    test_phase("shutdown: deadline with a stuck blocking task");
    gated g;
    gated_init(&g);
    p = blk_pool((blk_cfg){.threads = 1});
    CHECK_OK(arayon_spawn_blocking(p, gated_task, &g, NULL));
    WAIT_UNTIL_GE(&g.inside, 1);
    CHECK_RC(arayon_pool_shutdown_timeout(p, 10 * MS), ARAYON_ETIMEDOUT);
    m = rc_metrics(p);
    CHECK_GE(m.abandoned, 1);
    arayon_pool_destroy(&p); /* the stuck thread keeps the pool's memory alive */
    gate_open(&g.gate);
    WAIT_UNTIL_GE(&g.entered, 1);
    uint64_t t1 = test_now_ns();
    while (atomic_load(&g.inside) != 0) {
        CHECK(test_now_ns() - t1 < TEST_HANG_NS);
        test_sleep_us(500);
    }
    test_sleep_us(20000); /* let the left thread finish with the pool */
    gate_destroy(&g.gate);
}

/* ---- bad input and metrics rendering ---------------------------------------------------- */

static void run_bad_input(void)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 1});
    arayon_task_t *h = (arayon_task_t *)&h;
    CHECK_RC(arayon_spawn_blocking(NULL, blk_noop, NULL, &h), ARAYON_EINVAL);
    CHECK(h == NULL);
    h = (arayon_task_t *)&h;
    CHECK_RC(arayon_spawn_blocking(p, NULL, NULL, &h), ARAYON_EINVAL);
    CHECK(h == NULL);
    CHECK_RC(arayon_scope_spawn_blocking(NULL, blk_noop, NULL, NULL), ARAYON_EINVAL);
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(p, &s));
    CHECK_RC(arayon_scope_spawn_blocking(s, NULL, NULL, NULL), ARAYON_EINVAL);
    CHECK_OK(arayon_scope_end(&s));
    arayon_metrics_t m = rc_metrics(p);
    CHECK_EQ(m.spawned, 0);
    CHECK_EQ(m.blocking_spawned, 0);
    arayon_pool_destroy(&p);

    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 1;
    cfg.max_blocking_threads = ARAYON_MAX_THREADS + 1;
    p = (arayon_pool_t *)&cfg;
    CHECK_RC(arayon_pool_create(&cfg, &p), ARAYON_EINVAL);
    CHECK(p == NULL);
    cfg.max_blocking_threads = ARAYON_MAX_THREADS; /* the largest accepted */
    CHECK_OK(arayon_pool_create(&cfg, &p));
    arayon_pool_destroy(&p);
}

static void run_render(void)
{
    arayon_pool_t *p = blk_pool((blk_cfg){.threads = 1, .max_blocking = 3});
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(p, &s));
    for (int i = 0; i < 6; i++)
        CHECK_OK(arayon_scope_spawn_blocking(s, blk_noop, NULL, NULL));
    CHECK_OK(arayon_scope_end(&s));
    arayon_metrics_t m = rc_metrics(p);
    rc_check_quiescent(&m);
    CHECK_EQ(m.blocking_spawned, 6);
    rc_buf b = {0};
    CHECK_OK(arayon_pool_metrics_print(p, rc_buf_write, &b, ARAYON_METRICS_TEXT));
    CHECK(strstr(b.data, "blocking_threads_peak") != NULL);
    CHECK(strstr(b.data, "timers_fired") != NULL);
    rc_buf_reset(&b);
    CHECK_OK(arayon_pool_metrics_print(p, rc_buf_write, &b, ARAYON_METRICS_JSON));
    CHECK(strstr(b.data, "\"blocking_spawned\": 6") != NULL);
    CHECK(strstr(b.data, "\"blocking_running\": 0") != NULL);
    CHECK(strstr(b.data, "\"timers_pending\": 0") != NULL);
    rc_buf_reset(&b);
    CHECK_OK(arayon_pool_metrics_print(p, rc_buf_write, &b, ARAYON_METRICS_PROMETHEUS));
    CHECK(strstr(b.data, "# TYPE arayon_blocking_spawned_total counter\narayon_blocking_spawned_total 6\n") != NULL);
    CHECK(strstr(b.data, "# TYPE arayon_blocking_threads gauge\n") != NULL);
    CHECK(strstr(b.data, "# TYPE arayon_timers_fired_total counter\n") != NULL);
    rc_buf_reset(&b);
    arayon_pool_destroy(&p);
}

int main(void)
{
    test_watchdog(280);
    test_phase("thousand: 1,000 blocking tasks of 10 ms while compute runs");
    run_thousand();
    test_phase("bounded: max_blocking_threads = 4");
    run_bounded();
    test_phase("idle exit");
    run_idle_exit();
    test_phase("cancel: handle and scope");
    run_cancel();
    test_phase("context: spawning and waiting from blocking tasks");
    run_context();
    run_policies();
    test_phase("shutdown: a blocking task spawns while the pool shuts down");
    run_shutdown();
    test_phase("bad input");
    run_bad_input();
    test_phase("metrics rendering");
    run_render();
    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_blocking: all passed\n");
    return 0;
}
