/*
 * test_shutdown_timeout.c - arayon_pool_shutdown_timeout.
 *
 *   in time        detached, handle and scoped tasks that all finish well before a generous
 *                  deadline: ARAYON_OK, every task ran once, nothing cancelled or abandoned;
 *                  then shutdown, shutdown_timeout again: ARAYON_OK; spawns: ESHUTDOWN.
 *   blocked        two running tasks wait for a gate that is not opened before the deadline
 *                  (they give up when arayon_cancelled() becomes true), with detached, handle
 *                  and scoped tasks queued behind them: ARAYON_ETIMEDOUT, the running tasks
 *                  see arayon_cancelled(), the queued ones never run and finish as cancelled
 *                  (handle wait and scope end: ARAYON_ECANCELED), `abandoned` counts them.
 *   stuck          the only worker's task never returns until the test sets a flag after
 *                  destroying the pool, with 1,228 tasks queued behind it (outside spawns,
 *                  handles, a scope's tasks, and the stuck task's own spawns in its deque):
 *                  ARAYON_ETIMEDOUT well within deadline + 5 s; on return every queued task
 *                  has finished as ARAYON_ECANCELED without running (handles and scope end
 *                  say so at once) and the counters add up with only the stuck task pending;
 *                  the task sees arayon_cancelled(), later spawns and scope_begin give
 *                  ESHUTDOWN, shutdown and a second shutdown_timeout give ARAYON_OK, destroy
 *                  returns; once released the task finishes and the worker thread exits (the
 *                  test waits for it, so that LeakSanitizer sees the pool's memory freed).
 *   context        from inside a task: ARAYON_EBUSY (and the pool keeps working); NULL: EINVAL.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "rc.h"

#define MS (UINT64_C(1000000))
#define SEC (UINT64_C(1000000000))

static arayon_pool_t *make_pool(unsigned n)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = n;
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    return p;
}

static int count_run(void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
    return 0;
}

static int sleepy(void *arg)
{
    test_sleep_us(2000);
    atomic_fetch_add((atomic_int *)arg, 1);
    return 0;
}

static void check_after_shutdown(arayon_pool_t *pool)
{
    atomic_int never = 0;
    arayon_task_t *h = (arayon_task_t *)&never;
    CHECK_RC(arayon_spawn(pool, count_run, &never), ARAYON_ESHUTDOWN);
    CHECK_RC(arayon_spawn_handle(pool, count_run, &never, &h), ARAYON_ESHUTDOWN);
    CHECK(h == NULL);
    CHECK_RC(arayon_spawn_ex(pool, count_run, &never, NULL, NULL), ARAYON_ESHUTDOWN);
    arayon_scope_t *s = (arayon_scope_t *)&never;
    CHECK_RC(arayon_scope_begin(pool, &s), ARAYON_ESHUTDOWN);
    CHECK(s == NULL);
    CHECK_EQ(atomic_load(&never), 0);
}

/* ---------------------------------------------------------------------------------------
 * Everything finishes in time
 * ------------------------------------------------------------------------------------- */
static void test_in_time(void)
{
    test_phase("shutdown_timeout: everything finishes in time");
    arayon_pool_t *pool = make_pool(2);
    enum { N = 2000, H = 20, S = 50, SLOW = 20 };
    static atomic_int ran[N + H + S + SLOW];
    for (int i = 0; i < N; i++)
        CHECK_OK(arayon_spawn(pool, count_run, &ran[i]));
    arayon_task_t *h[H];
    for (int i = 0; i < H; i++)
        CHECK_OK(arayon_spawn_handle(pool, count_run, &ran[N + i], &h[i]));
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(pool, &s));
    for (int i = 0; i < S; i++)
        CHECK_OK(arayon_scope_spawn(s, count_run, &ran[N + H + i], NULL));
    for (int i = 0; i < SLOW; i++)
        CHECK_OK(arayon_spawn(pool, sleepy, &ran[N + H + S + i]));

    CHECK_OK(arayon_pool_shutdown_timeout(pool, 60 * SEC));
    for (int i = 0; i < N + H + S + SLOW; i++)
        CHECK_MSG(atomic_load(&ran[i]) == 1, "task %d ran %d times", i, atomic_load(&ran[i]));
    for (int i = 0; i < H; i++) {
        CHECK_OK(arayon_task_wait(h[i]));
        arayon_task_release(h[i]);
    }
    CHECK_OK(arayon_scope_end(&s));

    arayon_metrics_t m = rc_metrics(pool);
    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, N + H + S + SLOW);
    CHECK_EQ(m.completed, N + H + S + SLOW);
    CHECK_EQ(m.cancelled, 0);
    CHECK_EQ(m.abandoned, 0);
    CHECK_EQ(m.active, 0);

    CHECK_OK(arayon_pool_shutdown(pool));
    CHECK_OK(arayon_pool_shutdown_timeout(pool, 0));
    CHECK_OK(arayon_pool_shutdown_timeout(pool, 60 * SEC));
    check_after_shutdown(pool);
    m = rc_metrics(pool);
    CHECK_EQ(m.rejected, 3); /* the three spawn calls; scope_begin is not a spawn */
    CHECK_EQ(m.spawned, N + H + S + SLOW);
    arayon_pool_destroy(&pool);
    CHECK(pool == NULL);

    /* an idle pool: ARAYON_OK */
    pool = make_pool(2);
    CHECK_OK(arayon_pool_shutdown_timeout(pool, 60 * SEC));
    m = rc_metrics(pool);
    CHECK_EQ(m.spawned, 0);
    CHECK_EQ(m.abandoned, 0);
    arayon_pool_destroy(&pool);
}

/* ---------------------------------------------------------------------------------------
 * Running tasks blocked past the deadline, tasks queued behind them
 * ------------------------------------------------------------------------------------- */
static test_gate g_gate;
static atomic_int g_coop_started, g_coop_saw_cancel, g_coop_done, g_coop_cancelled_early;

/* Waits for the gate, or gives up when cancelled. */
static int cooperative(void *arg)
{
    (void)arg;
    if (arayon_cancelled())
        atomic_fetch_add(&g_coop_cancelled_early, 1);
    atomic_fetch_add(&g_coop_started, 1);
    uint64_t t0 = test_now_ns();
    while (!gate_is_open(&g_gate)) {
        if (arayon_cancelled()) {
            atomic_fetch_add(&g_coop_saw_cancel, 1);
            break;
        }
        CHECK_MSG(test_now_ns() - t0 < TEST_HANG_NS, "never cancelled");
        test_sleep_us(200);
    }
    atomic_fetch_add(&g_coop_done, 1);
    return 0;
}

static void test_blocked(void)
{
    test_phase("shutdown_timeout: running tasks blocked past the deadline");
    gate_init(&g_gate);
    arayon_pool_t *pool = make_pool(2);
    for (int i = 0; i < 2; i++)
        CHECK_OK(arayon_spawn(pool, cooperative, NULL));
    WAIT_UNTIL_GE(&g_coop_started, 2); /* both workers are inside them */

    enum { Q = 100, QS = 5 };
    static atomic_int ran[Q + 1 + QS];
    for (int i = 0; i < Q; i++)
        CHECK_OK(arayon_spawn(pool, count_run, &ran[i]));
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(pool, count_run, &ran[Q], &h));
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(pool, &s));
    for (int i = 0; i < QS; i++)
        CHECK_OK(arayon_scope_spawn(s, count_run, &ran[Q + 1 + i], NULL));
    const uint64_t queued = Q + 1 + QS;

    uint64_t t0 = test_now_ns();
    CHECK_RC(arayon_pool_shutdown_timeout(pool, 30 * MS), ARAYON_ETIMEDOUT);
    fprintf(stderr, "   returned after %.1f ms\n", (test_now_ns() - t0) / 1e6);
    CHECK_EQ(gate_is_open(&g_gate), 0);

    /* the running tasks were told */
    WAIT_UNTIL_GE(&g_coop_done, 2);
    CHECK_EQ(atomic_load(&g_coop_saw_cancel), 2);
    CHECK_EQ(atomic_load(&g_coop_cancelled_early), 0);
    /* the queued ones finish as cancelled without running */
    CHECK_RC(arayon_task_wait(h), ARAYON_ECANCELED);
    int res = -1;
    CHECK_OK(arayon_task_result(h, &res));
    CHECK_EQ(res, 0);
    arayon_task_release(h);
    CHECK_RC(arayon_scope_end(&s), ARAYON_ECANCELED);
    arayon_metrics_t m;
    uint64_t w0 = test_now_ns();
    do { /* detached ones: counted when the workers have drained them */
        m = rc_metrics(pool);
        CHECK_MSG(test_now_ns() - w0 < TEST_HANG_NS, "cancelled stays %" PRIu64, m.cancelled);
        if (m.cancelled < queued)
            test_sleep_us(1000);
    } while (m.cancelled < queued);
    for (int i = 0; i < Q + 1 + QS; i++)
        CHECK_MSG(atomic_load(&ran[i]) == 0, "queued task %d ran", i);

    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, 2 + queued);
    CHECK_EQ(m.completed, 2); /* the two cooperative tasks returned 0 */
    CHECK_EQ(m.cancelled, queued);
    /* abandoned: the tasks cancelled by the deadline, plus any left running (0..2) */
    fprintf(stderr, "   abandoned %" PRIu64 "\n", m.abandoned);
    CHECK_GE(m.abandoned, queued);
    CHECK_LE(m.abandoned, queued + 2);

    CHECK_OK(arayon_pool_shutdown(pool));
    CHECK_OK(arayon_pool_shutdown_timeout(pool, 60 * SEC));
    check_after_shutdown(pool);
    gate_open(&g_gate);
    arayon_pool_destroy(&pool);
    gate_destroy(&g_gate);
}

/* ---------------------------------------------------------------------------------------
 * A task that never returns (until after the pool is destroyed)
 * ------------------------------------------------------------------------------------- */
static atomic_int g_stuck_started, g_stuck_saw_cancel, g_stuck_release, g_stuck_done;
static atomic_int g_stuck_ran; /* tasks queued behind the stuck one that ran (must stay 0) */
static arayon_pool_t *g_stuck_pool;

static int count_stuck_ran(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_stuck_ran, 1);
    return 0;
}

enum { STUCK_OWN = 200 }; /* spawned by the stuck task into its worker's own deque */

static int stuck(void *arg)
{
    (void)arg;
    for (int i = 0; i < STUCK_OWN; i++)
        CHECK_OK(arayon_spawn(g_stuck_pool, count_stuck_ran, NULL));
    atomic_store(&g_stuck_started, 1);
    uint64_t t0 = test_now_ns();
    while (!atomic_load(&g_stuck_release)) {
        if (arayon_cancelled())
            atomic_store(&g_stuck_saw_cancel, 1);
        CHECK_MSG(test_now_ns() - t0 < 2 * TEST_HANG_NS, "never released");
        test_sleep_us(200);
    }
    atomic_store(&g_stuck_done, 1); /* its last action */
    return 0;
}

/* The only worker never returns from its task; 1,000 outside spawns, handles and a scope's
 * tasks are queued behind it, and the stuck task's own spawns sit in its deque. When
 * shutdown_timeout returns, every one of them has finished as cancelled (the caller took
 * them off the queues) and the counters add up: only the stuck task is pending. */
static void test_stuck(void)
{
    test_phase("shutdown_timeout: a task that never returns, 1,000+ queued behind it");
    int threads0 = rc_thread_count();
    arayon_pool_t *pool = make_pool(1);
    g_stuck_pool = pool;
    CHECK_OK(arayon_spawn(pool, stuck, NULL));
    WAIT_UNTIL_GE(&g_stuck_started, 1);
    enum { QD = 1000, QH = 8, QS = 20 };
    for (int i = 0; i < QD; i++)
        CHECK_OK(arayon_spawn(pool, count_stuck_ran, NULL));
    arayon_task_t *h[QH];
    for (int i = 0; i < QH; i++)
        CHECK_OK(arayon_spawn_handle(pool, count_stuck_ran, NULL, &h[i]));
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(pool, &s));
    for (int i = 0; i < QS; i++)
        CHECK_OK(arayon_scope_spawn(s, count_stuck_ran, NULL, NULL));
    const uint64_t queued = STUCK_OWN + QD + QH + QS;

    const uint64_t timeout = 50 * MS;
    uint64_t t0 = test_now_ns();
    CHECK_RC(arayon_pool_shutdown_timeout(pool, timeout), ARAYON_ETIMEDOUT);
    uint64_t took = test_now_ns() - t0;
    fprintf(stderr, "   returned after %.1f ms (deadline %.1f ms)\n", took / 1e6, timeout / 1e6);
    CHECK_GE(took, timeout);
    CHECK_LT(took, timeout + 5 * SEC);

    /* Before the stuck task returns: everything behind it is finished and counted. */
    arayon_metrics_t m = rc_metrics(pool);
    fprintf(stderr,
            "   spawned %" PRIu64 " cancelled %" PRIu64 " pending %" PRIu64 " abandoned %" PRIu64
            " (1 left running, %" PRIu64 " queued behind it)\n",
            m.spawned, m.cancelled, m.pending, m.abandoned, queued);
    CHECK_EQ(m.spawned, 1 + queued);
    CHECK_EQ(m.cancelled, queued);
    CHECK_EQ(m.completed, 0);
    CHECK_EQ(m.failed + m.timed_out, 0);
    CHECK_EQ(m.pending, 1); /* the stuck task */
    CHECK_EQ(m.spawned, m.completed + m.failed + m.cancelled + m.timed_out + m.pending);
    CHECK_EQ(m.queued, 0);
    CHECK_EQ(m.abandoned, 1 + queued);
    for (int i = 0; i < QH; i++) {
        CHECK_RC(arayon_task_wait_timeout(h[i], 0), ARAYON_ECANCELED);
        arayon_task_release(h[i]);
    }
    CHECK_RC(arayon_scope_end(&s), ARAYON_ECANCELED);
    CHECK_EQ(atomic_load(&g_stuck_ran), 0);
    CHECK_EQ(atomic_load(&g_stuck_done), 0);

    WAIT_UNTIL_GE(&g_stuck_saw_cancel, 1); /* it is told, and ignores it */
    check_after_shutdown(pool);
    CHECK_OK(arayon_pool_shutdown(pool));
    CHECK_OK(arayon_pool_shutdown_timeout(pool, 10 * MS));
    t0 = test_now_ns();
    arayon_pool_destroy(&pool);
    CHECK(pool == NULL);
    CHECK_LT(test_now_ns() - t0, 5 * SEC); /* does not wait for the stuck task */
    CHECK_EQ(atomic_load(&g_stuck_done), 0);

    /* release it: it finishes and its worker exits (freeing the pool's memory) */
    atomic_store(&g_stuck_release, 1);
    WAIT_UNTIL_GE(&g_stuck_done, 1);
    CHECK_EQ(atomic_load(&g_stuck_ran), 0);
    if (threads0 > 0) {
        uint64_t w0 = test_now_ns();
        while (rc_thread_count() > threads0) {
            CHECK_MSG(test_now_ns() - w0 < TEST_HANG_NS,
                      "the stuck worker never exited (%d threads, %d before the pool)",
                      rc_thread_count(), threads0);
            test_sleep_us(1000);
        }
    } else {
        test_sleep_us(200000); /* no /proc: give the worker time to exit */
    }
}

/* ---------------------------------------------------------------------------------------
 * Context and bad input
 * ------------------------------------------------------------------------------------- */
static arayon_pool_t *g_pool;

static int shutdown_from_inside(void *arg)
{
    int *rc = arg;
    rc[0] = arayon_pool_shutdown_timeout(g_pool, 1 * MS);
    rc[1] = arayon_pool_shutdown_timeout(g_pool, 0);
    rc[2] = arayon_pool_shutdown(g_pool);
    return 0;
}

static void test_context(void)
{
    test_phase("shutdown_timeout: from inside a task, NULL");
    CHECK_RC(arayon_pool_shutdown_timeout(NULL, 0), ARAYON_EINVAL);
    CHECK_RC(arayon_pool_shutdown_timeout(NULL, 60 * SEC), ARAYON_EINVAL);

    g_pool = make_pool(2);
    int rc[3] = {1, 1, 1};
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, shutdown_from_inside, rc, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_RC(rc[0], ARAYON_EBUSY);
    CHECK_RC(rc[1], ARAYON_EBUSY);
    CHECK_RC(rc[2], ARAYON_EBUSY);
    /* the pool still works */
    atomic_int ran = 0;
    CHECK_OK(arayon_spawn_handle(g_pool, count_run, &ran, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_EQ(atomic_load(&ran), 1);
    CHECK_OK(arayon_pool_shutdown_timeout(g_pool, 60 * SEC));
    arayon_metrics_t m = rc_metrics(g_pool);
    rc_check_quiescent(&m);
    CHECK_EQ(m.abandoned, 0);
    arayon_pool_destroy(&g_pool);
}

int main(void)
{
    test_watchdog(280);
    test_context();
    test_in_time();
    test_blocked();
    test_stuck(); /* last: a thread outlives its pool here */
    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_shutdown_timeout: all checks passed\n");
    return 0;
}
