/*
 * test_shutdown.c - pool shutdown and destruction.
 *
 *   in flight      every worker held by a gate task, many tasks queued behind them; a
 *                  helper thread notices that shutdown has begun (its spawns start failing
 *                  with ESHUTDOWN) and only then opens the gates. The released tasks spawn
 *                  more work (detached, with handles, into scopes); shutdown returns only
 *                  when all of it ran. stats.rejected counts the refused spawn.
 *   after          spawn, spawn_handle, scope_spawn, scope_begin from outside: ESHUTDOWN,
 *                  nothing runs, rejected counts the spawn calls
 *   idempotent     second shutdown, and two threads calling shutdown at once
 *   from a task    shutdown inside a task: EBUSY; destroy inside a task does nothing
 *   destroy        without shutdown (drains first), sets the pointer NULL, NULL no-ops
 *   handles        held past arayon_pool_destroy stay valid (ASan checks the memory)
 *   churn          many pools created and destroyed, some idle, some busy
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "check.h"

static arayon_pool_t *g_pool;
static atomic_long g_count;
static atomic_long g_errors;

#define TASK_CHECK(cond)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: task check failed: %s\n", __FILE__, __LINE__, #cond);   \
            atomic_fetch_add(&g_errors, 1);                                                 \
        }                                                                                   \
    } while (0)

static arayon_pool_t *make_pool(unsigned n)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = n;
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    CHECK(p != NULL);
    return p;
}

static int count_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_count, 1);
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Shutdown with work in flight
 * ------------------------------------------------------------------------------------- */
static test_gate g_gate;
static atomic_int g_gate_started;

enum { TREE_DEPTH = 6, SCOPE_TASKS = 25 }; /* spawned by each released gate task */

static int tree_task(void *arg)
{
    intptr_t d = (intptr_t)arg;
    atomic_fetch_add(&g_count, 1);
    if (d > 0)
        for (int k = 0; k < 2; k++)
            TASK_CHECK(arayon_spawn(g_pool, tree_task, (void *)(d - 1)) == ARAYON_OK);
    return 0;
}

/* Runs while shutdown is in progress: everything it spawns must be accepted and run. */
static int gate_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_gate_started, 1);
    gate_wait(&g_gate);
    TASK_CHECK(!arayon_cancelled()); /* shutdown does not cancel */

    /* detached */
    TASK_CHECK(arayon_spawn(g_pool, tree_task, (void *)(intptr_t)TREE_DEPTH) == ARAYON_OK);
    /* with a handle, waited here */
    arayon_task_t *h = NULL;
    TASK_CHECK(arayon_spawn_handle(g_pool, count_task, NULL, &h) == ARAYON_OK);
    if (h) {
        TASK_CHECK(arayon_task_wait(h) == ARAYON_OK);
        arayon_task_release(h);
    }
    /* a scope begun during shutdown, and its tasks */
    arayon_scope_t *s = NULL;
    TASK_CHECK(arayon_scope_begin(g_pool, &s) == ARAYON_OK);
    if (s) {
        for (int i = 0; i < SCOPE_TASKS; i++)
            TASK_CHECK(arayon_scope_spawn(s, count_task, NULL, NULL) == ARAYON_OK);
        TASK_CHECK(arayon_scope_end(&s) == ARAYON_OK);
    }
    atomic_fetch_add(&g_count, 1);
    return 0;
}

typedef struct prober {
    arayon_pool_t *pool;
    long accepted;
    int last_rc;
} prober;

/* Spawns (counted) tasks until the pool refuses with ESHUTDOWN, then opens the gate. */
static void *probe_then_open(void *p)
{
    prober *pr = p;
    pr->accepted = 0;
    uint64_t t0 = test_now_ns();
    for (;;) {
        int rc = arayon_spawn(pr->pool, count_task, NULL);
        pr->last_rc = rc;
        if (rc != ARAYON_OK)
            break;
        pr->accepted++;
        CHECK_MSG(test_now_ns() - t0 < TEST_HANG_NS, "spawns from outside still accepted long "
                  "after arayon_pool_shutdown was called");
        test_sleep_us(50);
    }
    gate_open(&g_gate);
    return NULL;
}

static void test_in_flight(unsigned nthreads)
{
    test_phase("shutdown with work in flight");
    g_pool = make_pool(nthreads);
    gate_init(&g_gate);
    atomic_store(&g_gate_started, 0);
    atomic_store(&g_count, 0);
    atomic_store(&g_errors, 0);

    for (unsigned i = 0; i < nthreads; i++)
        CHECK_OK(arayon_spawn(g_pool, gate_task, NULL));
    WAIT_UNTIL_GE(&g_gate_started, (int)nthreads); /* every worker is held */

    const long queued = 50000 / TEST_SCALE_DOWN;
    for (long i = 0; i < queued; i++)
        CHECK_OK(arayon_spawn(g_pool, count_task, NULL));

    prober pr = {g_pool, 0, 0};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, probe_then_open, &pr), 0);
    CHECK_OK(arayon_pool_shutdown(g_pool));
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_RC(pr.last_rc, ARAYON_ESHUTDOWN);
    CHECK_EQ(atomic_load(&g_errors), 0);

    long tree = (1L << (TREE_DEPTH + 1)) - 1;
    long per_gate = 1 + tree + 1 + SCOPE_TASKS;
    long expected = queued + pr.accepted + (long)nthreads * per_gate;
    CHECK_EQ(atomic_load(&g_count), expected);

    arayon_stats_t st;
    CHECK_OK(arayon_pool_stats(g_pool, &st));
    CHECK_EQ(st.spawned, expected);
    CHECK_EQ(st.completed, expected);
    CHECK_EQ(st.pending, 0);
    CHECK_EQ(st.rejected, 1);
    CHECK_EQ(st.injected, nthreads + queued + pr.accepted);
    fprintf(stderr, "   %ld tasks, %ld spawned by the prober before shutdown began\n", expected,
            pr.accepted);
    arayon_pool_destroy(&g_pool);
    CHECK(g_pool == NULL);
    gate_destroy(&g_gate);
}

/* ---------------------------------------------------------------------------------------
 * An idle worker must still pick up work spawned during shutdown
 *
 * Two workers, each held by a gate task. Shutdown begins (the prober sees ESHUTDOWN). The
 * first gate task is released and finishes, so its worker goes idle while the pool is
 * shutting down, but the second task is still running: the pool is not drained. That task
 * is then released; it spawns a helper task and blocks (on a condition variable, not an
 * arayon wait, so it cannot run the helper itself) until the helper ran. Only the idle
 * worker can run it: it must not have left.
 * ------------------------------------------------------------------------------------- */
static test_gate g_first_gate, g_second_gate;
static atomic_int g_first_done;

typedef struct flag_cv {
    pthread_mutex_t m;
    pthread_cond_t c;
    int set;
} flag_cv;
static flag_cv g_helper_ran = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static int helper_task(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_helper_ran.m);
    g_helper_ran.set = 1;
    pthread_cond_broadcast(&g_helper_ran.c);
    pthread_mutex_unlock(&g_helper_ran.m);
    atomic_fetch_add(&g_count, 1);
    return 0;
}

static int first_gate_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_gate_started, 1);
    gate_wait(&g_first_gate);
    atomic_fetch_add(&g_count, 1);
    atomic_store(&g_first_done, 1);
    return 0;
}

static int second_gate_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_gate_started, 1);
    gate_wait(&g_second_gate);
    TASK_CHECK(arayon_spawn(g_pool, helper_task, NULL) == ARAYON_OK);
    /* Block without helping; give up (and fail) after a long time instead of hanging. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 30;
    pthread_mutex_lock(&g_helper_ran.m);
    int rc = 0;
    while (!g_helper_ran.set && rc == 0)
        rc = pthread_cond_timedwait(&g_helper_ran.c, &g_helper_ran.m, &until);
    int ran = g_helper_ran.set;
    pthread_mutex_unlock(&g_helper_ran.m);
    TASK_CHECK(ran); /* else the idle worker left while the pool was not drained */
    atomic_fetch_add(&g_count, 1);
    return 0;
}

static void *probe_then_release_first(void *p)
{
    prober *pr = p;
    uint64_t t0 = test_now_ns();
    for (;;) {
        int rc = arayon_spawn(pr->pool, count_task, NULL);
        pr->last_rc = rc;
        if (rc != ARAYON_OK)
            break;
        pr->accepted++;
        CHECK_MSG(test_now_ns() - t0 < TEST_HANG_NS, "spawns from outside still accepted long "
                  "after arayon_pool_shutdown was called");
        test_sleep_us(50);
    }
    gate_open(&g_first_gate);
    return NULL;
}

static void *release_second_later(void *p)
{
    (void)p;
    WAIT_UNTIL_GE(&g_first_done, 1);
    test_sleep_us(20000); /* the first worker finds nothing and goes idle meanwhile */
    gate_open(&g_second_gate);
    return NULL;
}

static void test_idle_worker_during_shutdown(void)
{
    test_phase("an idle worker still runs work spawned during shutdown");
    g_pool = make_pool(2);
    gate_init(&g_first_gate);
    gate_init(&g_second_gate);
    atomic_store(&g_gate_started, 0);
    atomic_store(&g_first_done, 0);
    atomic_store(&g_count, 0);
    atomic_store(&g_errors, 0);
    g_helper_ran.set = 0;

    /* Two gate tasks from outside; with two workers each ends up on its own worker (one
     * cannot take the second while it is blocked in the first). */
    CHECK_OK(arayon_spawn(g_pool, first_gate_task, NULL));
    CHECK_OK(arayon_spawn(g_pool, second_gate_task, NULL));
    WAIT_UNTIL_GE(&g_gate_started, 2);

    prober pr = {g_pool, 0, 0};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, probe_then_release_first, &pr), 0);
    /* The releaser of the second gate: after the first gate task finished, give its worker
     * time to go idle (the test passes whether or not it did in time), then release. */
    pthread_t th2;
    CHECK_EQ(pthread_create(&th2, NULL, release_second_later, NULL), 0);
    CHECK_OK(arayon_pool_shutdown(g_pool));
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(pthread_join(th2, NULL), 0);
    CHECK_RC(pr.last_rc, ARAYON_ESHUTDOWN);
    CHECK_EQ(atomic_load(&g_errors), 0);
    CHECK_EQ(atomic_load(&g_count), pr.accepted + 3);
    arayon_pool_destroy(&g_pool);
    gate_destroy(&g_first_gate);
    gate_destroy(&g_second_gate);
}

/* ---------------------------------------------------------------------------------------
 * After shutdown
 * ------------------------------------------------------------------------------------- */
static void test_after_shutdown(void)
{
    test_phase("spawns after shutdown are refused");
    arayon_pool_t *p = make_pool(2);
    atomic_store(&g_count, 0);
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(p, &s)); /* begun before, used after */
    CHECK_OK(arayon_scope_spawn(s, count_task, NULL, NULL));
    CHECK_OK(arayon_scope_wait(s));
    CHECK_OK(arayon_pool_shutdown(p));
    CHECK_EQ(atomic_load(&g_count), 1);

    CHECK_RC(arayon_spawn(p, count_task, NULL), ARAYON_ESHUTDOWN);
    arayon_task_t *h = NULL;
    CHECK_RC(arayon_spawn_handle(p, count_task, NULL, &h), ARAYON_ESHUTDOWN);
    arayon_task_t *h2 = NULL;
    CHECK_RC(arayon_scope_spawn(s, count_task, NULL, &h2), ARAYON_ESHUTDOWN);
    arayon_stats_t st;
    CHECK_OK(arayon_pool_stats(p, &st));
    CHECK_EQ(st.rejected, 3);
    CHECK_EQ(st.spawned, 1);
    CHECK_EQ(st.completed, 1);
    CHECK_EQ(st.pending, 0);

    arayon_scope_t *s2 = NULL;
    CHECK_RC(arayon_scope_begin(p, &s2), ARAYON_ESHUTDOWN);
    CHECK_OK(arayon_scope_end(&s)); /* nothing pending: the first task succeeded */
    CHECK(s == NULL);

    CHECK_OK(arayon_pool_shutdown(p)); /* idempotent */
    CHECK_OK(arayon_pool_shutdown(p));
    CHECK_EQ(atomic_load(&g_count), 1); /* nothing refused ever ran */
    CHECK_OK(arayon_pool_stats(p, &st));
    CHECK_EQ(st.spawned, 1);
    CHECK_EQ(arayon_pool_num_threads(p), 2);
    arayon_pool_destroy(&p);
    CHECK(p == NULL);
    CHECK_EQ(atomic_load(&g_count), 1);
}

/* ---------------------------------------------------------------------------------------
 * Concurrent shutdowns
 * ------------------------------------------------------------------------------------- */
static void *shutdown_thread(void *p)
{
    int *rc = p;
    *rc = arayon_pool_shutdown(g_pool);
    return NULL;
}

static void test_concurrent_shutdown(void)
{
    test_phase("two threads shut down the same pool");
    g_pool = make_pool(2);
    atomic_store(&g_count, 0);
    const long n = 30000 / TEST_SCALE_DOWN;
    for (long i = 0; i < n; i++)
        CHECK_OK(arayon_spawn(g_pool, count_task, NULL));
    int rc[3] = {99, 99, 99};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        CHECK_EQ(pthread_create(&th[i], NULL, shutdown_thread, &rc[i]), 0);
    rc[2] = arayon_pool_shutdown(g_pool);
    for (int i = 0; i < 2; i++)
        CHECK_EQ(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < 3; i++)
        CHECK_RC(rc[i], ARAYON_OK);
    CHECK_EQ(atomic_load(&g_count), n);
    arayon_pool_destroy(&g_pool);
}

/* ---------------------------------------------------------------------------------------
 * Shutdown and destroy called from inside a task
 * ------------------------------------------------------------------------------------- */
static atomic_int g_inner_shutdown_rc = 99;

static int shutdown_from_task(void *arg)
{
    (void)arg;
    atomic_store(&g_inner_shutdown_rc, arayon_pool_shutdown(g_pool));
    arayon_pool_t *copy = g_pool;
    arayon_pool_destroy(&copy); /* does nothing from inside one of the pool's tasks */
    TASK_CHECK(copy == g_pool);
    return 0;
}

static void test_from_task(void)
{
    test_phase("shutdown/destroy from inside a task");
    g_pool = make_pool(2);
    atomic_store(&g_count, 0);
    atomic_store(&g_errors, 0);
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, shutdown_from_task, NULL, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_RC(atomic_load(&g_inner_shutdown_rc), ARAYON_EBUSY);
    CHECK_EQ(atomic_load(&g_errors), 0);
    /* The pool still works. */
    for (int i = 0; i < 100; i++)
        CHECK_OK(arayon_spawn(g_pool, count_task, NULL));
    CHECK_OK(arayon_spawn_handle(g_pool, count_task, NULL, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_OK(arayon_pool_shutdown(g_pool));
    CHECK_EQ(atomic_load(&g_count), 101);
    arayon_pool_destroy(&g_pool);
}

/* ---------------------------------------------------------------------------------------
 * Destroy
 * ------------------------------------------------------------------------------------- */
static void test_destroy(void)
{
    test_phase("destroy without shutdown drains the pool");
    atomic_store(&g_count, 0);
    arayon_pool_t *p = make_pool(3);
    const long n = 50000 / TEST_SCALE_DOWN;
    for (long i = 0; i < n; i++)
        CHECK_OK(arayon_spawn(p, count_task, NULL));
    arayon_pool_destroy(&p);
    CHECK(p == NULL);
    CHECK_EQ(atomic_load(&g_count), n);

    test_phase("destroy of NULL is a no-op");
    arayon_pool_destroy(NULL);
    arayon_pool_t *null_pool = NULL;
    arayon_pool_destroy(&null_pool);
    CHECK(null_pool == NULL);
    arayon_pool_destroy(&p); /* already destroyed: p is NULL */
    CHECK(p == NULL);
}

static int ret_arg_task(void *arg)
{
    atomic_fetch_add(&g_count, 1);
    return (int)(intptr_t)arg;
}

typedef struct late_waiter {
    arayon_task_t *h;
    int rc;
} late_waiter;

static void *late_wait_thread(void *p)
{
    late_waiter *w = p;
    w->rc = arayon_task_wait(w->h);
    arayon_task_release(w->h);
    return NULL;
}

static void test_handles_outlive_pool(void)
{
    test_phase("handles held past pool destroy");
    atomic_store(&g_count, 0);
    g_pool = make_pool(1);
    gate_init(&g_gate);
    atomic_store(&g_gate_started, 0);
    atomic_store(&g_errors, 0);

    /* A detached gate task holds the only worker, so the cancel below wins for sure. */
    CHECK_OK(arayon_spawn(g_pool, gate_task, NULL));
    WAIT_UNTIL_GE(&g_gate_started, 1);
    arayon_task_t *ok = NULL, *bad = NULL, *cancelled = NULL, *never_waited = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, ret_arg_task, NULL, &ok));
    CHECK_OK(arayon_spawn_handle(g_pool, ret_arg_task, (void *)(intptr_t)17, &bad));
    CHECK_OK(arayon_spawn_handle(g_pool, ret_arg_task, (void *)(intptr_t)5, &cancelled));
    CHECK_OK(arayon_spawn_handle(g_pool, ret_arg_task, NULL, &never_waited));
    CHECK_OK(arayon_task_cancel(cancelled));
    late_waiter lw = {arayon_task_retain(bad), 99};
    gate_open(&g_gate);
    arayon_pool_destroy(&g_pool); /* drains: every task has finished after this */
    CHECK(g_pool == NULL);
    CHECK_EQ(atomic_load(&g_errors), 0);

    /* The pool is gone; the handles are not. */
    CHECK_OK(arayon_task_poll(ok));
    CHECK_OK(arayon_task_wait(ok));
    CHECK_OK(arayon_task_wait_timeout(ok, 0));
    CHECK_OK(arayon_task_cancel(ok));
    CHECK_OK(arayon_task_wait(ok));
    int raw = -1;
    CHECK_OK(arayon_task_result(ok, &raw));
    CHECK_EQ(raw, 0);

    CHECK_RC(arayon_task_wait(bad), ARAYON_EFAILED);
    CHECK_OK(arayon_task_result(bad, &raw));
    CHECK_EQ(raw, 17);

    CHECK_RC(arayon_task_wait(cancelled), ARAYON_ECANCELED);
    CHECK_OK(arayon_task_result(cancelled, &raw));
    CHECK_EQ(raw, 0);

    arayon_task_t *extra = arayon_task_retain(ok);
    CHECK(extra == ok);
    arayon_task_release(ok);
    CHECK_OK(arayon_task_wait(extra));

    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, late_wait_thread, &lw), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_RC(lw.rc, ARAYON_EFAILED);

    arayon_task_release(extra);
    arayon_task_release(bad);
    arayon_task_release(cancelled);
    arayon_task_release(never_waited); /* the last handle: frees the pool's memory */
    long tree = (1L << (TREE_DEPTH + 1)) - 1;
    CHECK_EQ(atomic_load(&g_count), 3 + (1 + tree + 1 + SCOPE_TASKS));
    gate_destroy(&g_gate);
}

/* ---------------------------------------------------------------------------------------
 * Many pools
 * ------------------------------------------------------------------------------------- */
static void test_churn(void)
{
    test_phase("create/destroy churn");
    const int rounds = TEST_TSAN ? 40 : 100;
    atomic_store(&g_count, 0);
    long expected = 0;
    arayon_task_t *kept[4] = {NULL, NULL, NULL, NULL};
    for (int r = 0; r < rounds; r++) {
        arayon_pool_t *p = make_pool(1 + (unsigned)r % 4);
        switch (r % 4) {
        case 0: /* idle: destroyed right after creation, workers maybe still starting */
            break;
        case 1: /* idle, explicit shutdown */
            CHECK_OK(arayon_pool_shutdown(p));
            break;
        case 2: /* busy */
            for (int i = 0; i < 200; i++)
                CHECK_OK(arayon_spawn(p, count_task, NULL));
            expected += 200;
            break;
        case 3: /* busy, a handle kept across the destroy */
            for (int i = 0; i < 50; i++)
                CHECK_OK(arayon_spawn(p, count_task, NULL));
            arayon_task_release(kept[r / 4 % 4]);
            CHECK_OK(arayon_spawn_handle(p, count_task, NULL, &kept[r / 4 % 4]));
            expected += 51;
            break;
        }
        arayon_pool_destroy(&p);
        CHECK(p == NULL);
        CHECK_EQ(atomic_load(&g_count), expected);
    }
    for (int i = 0; i < 4; i++) {
        if (kept[i]) {
            CHECK_OK(arayon_task_wait(kept[i]));
            arayon_task_release(kept[i]);
        }
    }
}

int main(void)
{
    test_watchdog(110);
    static const unsigned sizes[] = {1, 2, 4};
    for (int i = 0; i < 3; i++) {
        fprintf(stderr, "== %u worker(s)\n", sizes[i]);
        test_in_flight(sizes[i]);
    }
    test_idle_worker_during_shutdown();
    test_after_shutdown();
    test_concurrent_shutdown();
    test_from_task();
    test_destroy();
    test_handles_outlive_pool();
    test_churn();
    fprintf(stderr, "test_shutdown: OK\n");
    return 0;
}
