/*
 * test_handle.c - task handles: wait, wait_timeout, poll, result, cancel, retain/release.
 *
 * A "gate task" holds a worker until the test opens its gate, which gives exact orderings
 * without sleeping: with a one-worker pool, everything spawned after it stays queued.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "check.h"

static arayon_pool_t *g_pool;
static atomic_long g_count;
static atomic_long g_errors;

static test_gate g_gate;
static atomic_int g_gate_started;
static atomic_int g_gate_saw_cancel;

#define TASK_CHECK(cond)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: task check failed: %s\n", __FILE__, __LINE__, #cond);   \
            atomic_fetch_add(&g_errors, 1);                                                 \
        }                                                                                   \
    } while (0)

static void pool_start(unsigned n)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = n;
    CHECK_OK(arayon_pool_create(&cfg, &g_pool));
    atomic_store(&g_count, 0);
    atomic_store(&g_errors, 0);
    atomic_store(&g_gate_started, 0);
    atomic_store(&g_gate_saw_cancel, 0);
    gate_init(&g_gate);
}

static arayon_stats_t pool_stop(void)
{
    arayon_stats_t st;
    CHECK_OK(arayon_pool_shutdown(g_pool));
    CHECK_OK(arayon_pool_stats(g_pool, &st));
    CHECK_EQ(st.pending, 0);
    CHECK_EQ(st.timed_out, 0); /* no task here has a deadline */
    CHECK_EQ(st.spawned, st.completed + st.failed + st.cancelled);
    arayon_pool_destroy(&g_pool);
    CHECK_EQ(atomic_load(&g_errors), 0);
    gate_destroy(&g_gate);
    return st;
}

static int count_task(void *arg)
{
    atomic_fetch_add(&g_count, 1);
    return (int)(intptr_t)arg;
}

/* Holds a worker until g_gate opens, then returns its argument. Records whether it was
 * cancelled while it waited. */
static int gate_task(void *arg)
{
    atomic_fetch_add(&g_gate_started, 1);
    gate_wait(&g_gate);
    if (arayon_cancelled())
        atomic_fetch_add(&g_gate_saw_cancel, 1);
    atomic_fetch_add(&g_count, 1);
    return (int)(intptr_t)arg;
}

/* Spawns a gate task and waits until it runs: the pool's only worker is then busy. */
static arayon_task_t *hold_the_worker(intptr_t ret)
{
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, gate_task, (void *)ret, &h));
    WAIT_UNTIL_GE(&g_gate_started, 1);
    return h;
}

/* ---------------------------------------------------------------------------------------
 * wait_timeout, poll, result while a task runs
 * ------------------------------------------------------------------------------------- */
static void test_wait_timeout(void)
{
    test_phase("wait_timeout / poll / result on a running task");
    pool_start(1);
    arayon_task_t *h = hold_the_worker(0);

    CHECK_RC(arayon_task_wait_timeout(h, 0), ARAYON_ETIMEDOUT); /* 0 = poll */
    CHECK_RC(arayon_task_wait_timeout(h, 1000000), ARAYON_ETIMEDOUT);      /* 1 ms */
    CHECK_RC(arayon_task_wait_timeout(h, 20 * 1000000), ARAYON_ETIMEDOUT); /* 20 ms */
    CHECK_RC(arayon_task_poll(h), ARAYON_ETIMEDOUT);
    int raw = 77;
    CHECK_RC(arayon_task_result(h, &raw), ARAYON_EBUSY);

    /* A queued task (behind the gate) times out the same way. */
    arayon_task_t *q = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, count_task, (void *)(intptr_t)3, &q));
    CHECK_RC(arayon_task_wait_timeout(q, 0), ARAYON_ETIMEDOUT);
    CHECK_RC(arayon_task_wait_timeout(q, 2000000), ARAYON_ETIMEDOUT);
    CHECK_RC(arayon_task_poll(q), ARAYON_ETIMEDOUT);
    CHECK_RC(arayon_task_result(q, &raw), ARAYON_EBUSY);
    CHECK_EQ(atomic_load(&g_count), 0);

    /* Timing out cancelled nothing. */
    gate_open(&g_gate);
    CHECK_OK(arayon_task_wait(h));
    CHECK_EQ(atomic_load(&g_gate_saw_cancel), 0);
    CHECK_RC(arayon_task_wait(q), ARAYON_EFAILED);
    CHECK_OK(arayon_task_result(q, &raw));
    CHECK_EQ(raw, 3);
    CHECK_EQ(atomic_load(&g_count), 2);
    /* Finished: every kind of wait reports the outcome at once. */
    CHECK_OK(arayon_task_wait_timeout(h, 0));
    CHECK_OK(arayon_task_wait_timeout(h, UINT64_MAX));
    CHECK_RC(arayon_task_wait_timeout(q, 0), ARAYON_EFAILED);
    CHECK_RC(arayon_task_wait_timeout(q, 5000000000u), ARAYON_EFAILED);
    CHECK_OK(arayon_task_poll(h));
    CHECK_OK(arayon_task_poll(q));
    arayon_task_release(h);
    arayon_task_release(q);
    arayon_stats_t st = pool_stop();
    CHECK_EQ(st.completed, 1);
    CHECK_EQ(st.failed, 1);
    CHECK_EQ(st.cancelled, 0);
}

/* wait_timeout with a long timeout returns as soon as the task finishes (the gate is opened
 * by another thread while the main thread waits). The outcome is checked, not the time. */
static void *open_gate_later(void *arg)
{
    (void)arg;
    test_sleep_us(20000);
    gate_open(&g_gate);
    return NULL;
}

static void test_wait_timeout_completes(void)
{
    test_phase("wait_timeout sees a completion that happens while it waits");
    pool_start(2);
    /* UINT64_MAX (centuries) must not overflow into an immediate timeout. */
    arayon_task_t *h = hold_the_worker(0);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, open_gate_later, NULL), 0);
    CHECK_OK(arayon_task_wait_timeout(h, UINT64_MAX));
    CHECK_EQ(pthread_join(th, NULL), 0);
    arayon_task_release(h);
    /* A finite timeout, retried on ETIMEDOUT so that a slow machine cannot fail the test. */
    gate_destroy(&g_gate);
    gate_init(&g_gate);
    atomic_store(&g_gate_started, 0);
    h = hold_the_worker(0);
    CHECK_EQ(pthread_create(&th, NULL, open_gate_later, NULL), 0);
    int rc;
    do {
        rc = arayon_task_wait_timeout(h, UINT64_C(10) * 1000000000u);
    } while (rc == ARAYON_ETIMEDOUT);
    CHECK_OK(rc);
    CHECK_EQ(pthread_join(th, NULL), 0);
    arayon_task_release(h);
    pool_stop();
}

/* ---------------------------------------------------------------------------------------
 * Cancellation through handles
 * ------------------------------------------------------------------------------------- */
static void test_cancel_before_start(void)
{
    test_phase("cancel before start: never runs, ECANCELED");
    pool_start(1);
    arayon_task_t *g = hold_the_worker(0);
    enum { N = 16 };
    arayon_task_t *h[N];
    for (int i = 0; i < N; i++)
        CHECK_OK(arayon_spawn_handle(g_pool, count_task, (void *)(intptr_t)(i % 2), &h[i]));
    for (int i = 0; i < N; i += 2) {
        CHECK_OK(arayon_task_cancel(h[i]));
        CHECK_OK(arayon_task_cancel(h[i])); /* idempotent */
    }
    CHECK_RC(arayon_task_poll(h[0]), ARAYON_ETIMEDOUT); /* cancelled, but still queued */
    gate_open(&g_gate);
    for (int i = 0; i < N; i++) {
        int expected = i % 2 == 0 ? ARAYON_ECANCELED : ARAYON_EFAILED;
        CHECK_RC(arayon_task_wait(h[i]), expected);
        int raw = -1;
        CHECK_OK(arayon_task_result(h[i], &raw));
        CHECK_EQ(raw, i % 2 == 0 ? 0 : 1); /* 0 when cancelled, else the returned value */
        CHECK_OK(arayon_task_cancel(h[i])); /* after completion: changes nothing */
        CHECK_RC(arayon_task_wait(h[i]), expected);
        arayon_task_release(h[i]);
    }
    CHECK_OK(arayon_task_wait(g));
    arayon_task_release(g);
    CHECK_EQ(atomic_load(&g_count), 1 + N / 2); /* the gate task and the odd ones */
    arayon_stats_t st = pool_stop();
    CHECK_EQ(st.cancelled, N / 2);
    CHECK_EQ(st.failed, N / 2);
    CHECK_EQ(st.completed, 1);
}

static void test_cancel_after_completion(void)
{
    test_phase("cancel after completion changes nothing");
    pool_start(2);
    arayon_task_t *ok = NULL, *bad = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, count_task, NULL, &ok));
    CHECK_OK(arayon_spawn_handle(g_pool, count_task, (void *)(intptr_t)-9, &bad));
    CHECK_OK(arayon_task_wait(ok));
    CHECK_RC(arayon_task_wait(bad), ARAYON_EFAILED);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(arayon_task_cancel(ok));
        CHECK_OK(arayon_task_cancel(bad));
    }
    CHECK_OK(arayon_task_wait(ok));
    CHECK_OK(arayon_task_wait_timeout(ok, 0));
    CHECK_RC(arayon_task_wait(bad), ARAYON_EFAILED);
    int raw = 0;
    CHECK_OK(arayon_task_result(bad, &raw));
    CHECK_EQ(raw, -9);
    CHECK_OK(arayon_task_result(ok, &raw));
    CHECK_EQ(raw, 0);
    arayon_task_release(ok);
    arayon_task_release(bad);
    arayon_stats_t st = pool_stop();
    CHECK_EQ(st.cancelled, 0);
    CHECK_EQ(st.completed, 1);
    CHECK_EQ(st.failed, 1);
}

/* A running task that is cancelled keeps running and sees arayon_cancelled(). */
static void test_cancel_running(void)
{
    test_phase("cancel a running task: it sees arayon_cancelled()");
    pool_start(1);
    arayon_task_t *h = hold_the_worker(0);
    CHECK_OK(arayon_task_cancel(h));
    CHECK_OK(arayon_task_cancel(h));
    gate_open(&g_gate);
    int rc = arayon_task_wait(h);
    CHECK_EQ(atomic_load(&g_gate_saw_cancel), 1);
    CHECK_EQ(atomic_load(&g_count), 1); /* it did run to the end */
    /* It ran and returned 0, so it did not finish as "cancelled before it ran". */
    CHECK_RC(rc, ARAYON_OK);
    arayon_task_release(h);
    pool_stop();
}

/* ---------------------------------------------------------------------------------------
 * Reference counting
 * ------------------------------------------------------------------------------------- */
static void test_release_before_completion(void)
{
    test_phase("release before completion: the task still runs");
    pool_start(1);
    arayon_task_t *g = hold_the_worker(0);
    enum { N = 50 };
    for (int i = 0; i < N; i++) {
        arayon_task_t *h = NULL;
        CHECK_OK(arayon_spawn_handle(g_pool, count_task, NULL, &h));
        arayon_task_release(h); /* still queued behind the gate */
    }
    arayon_task_release(g); /* the running one too */
    CHECK_EQ(atomic_load(&g_count), 0);
    gate_open(&g_gate);
    arayon_stats_t st = pool_stop();
    CHECK_EQ(atomic_load(&g_count), N + 1);
    CHECK_EQ(st.completed, N + 1);
    CHECK_EQ(st.cancelled, 0);
}

typedef struct waiter_arg {
    arayon_task_t *h;
    int rc;
    int raw;
} waiter_arg;

static void *waiter_thread(void *p)
{
    waiter_arg *a = p;
    a->rc = arayon_task_wait(a->h);
    a->raw = -1;
    arayon_task_result(a->h, &a->raw);
    arayon_task_release(a->h); /* each waiter owns one reference */
    return NULL;
}

static void test_retain_release(void)
{
    test_phase("retain/release and waits from several threads");
    pool_start(2);
    arayon_task_t *h = hold_the_worker(21);
    CHECK(arayon_task_retain(h) == h);
    arayon_task_release(h); /* back to one reference */

    enum { W = 4 };
    waiter_arg wa[W];
    pthread_t th[W];
    for (int i = 0; i < W; i++) {
        wa[i].h = arayon_task_retain(h);
        CHECK(wa[i].h == h);
        CHECK_EQ(pthread_create(&th[i], NULL, waiter_thread, &wa[i]), 0);
    }
    arayon_task_release(h); /* main's own reference: the waiters keep it alive */
    gate_open(&g_gate);
    for (int i = 0; i < W; i++) {
        CHECK_EQ(pthread_join(th[i], NULL), 0);
        CHECK_RC(wa[i].rc, ARAYON_EFAILED);
        CHECK_EQ(wa[i].raw, 21);
    }
    pool_stop();
}

/* ---------------------------------------------------------------------------------------
 * Waiting inside tasks
 * ------------------------------------------------------------------------------------- */
/* Spawns a child with a handle and waits for it: with a single worker the wait must run
 * the child itself (helping) instead of blocking. */
static int chain_task(void *arg)
{
    intptr_t depth = (intptr_t)arg;
    atomic_fetch_add(&g_count, 1);
    if (depth == 0)
        return 0;
    arayon_task_t *h = NULL;
    int rc = arayon_spawn_handle(g_pool, chain_task, (void *)(depth - 1), &h);
    TASK_CHECK(rc == ARAYON_OK);
    if (rc != ARAYON_OK)
        return 1;
    TASK_CHECK(arayon_task_poll(h) == ARAYON_OK || arayon_task_poll(h) == ARAYON_ETIMEDOUT);
    rc = arayon_task_wait(h);
    TASK_CHECK(rc == ARAYON_OK);
    TASK_CHECK(arayon_task_poll(h) == ARAYON_OK);
    arayon_task_release(h);
    return rc == ARAYON_OK ? 0 : 1;
}

static void test_wait_inside_task(unsigned nthreads)
{
    test_phase("task waits for its child (helping)");
    pool_start(nthreads);
    const intptr_t depth = 500;
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, chain_task, (void *)depth, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_EQ(atomic_load(&g_count), depth + 1);
    arayon_stats_t st = pool_stop();
    CHECK_EQ(st.spawned, depth + 1);
    CHECK_EQ(st.completed, depth + 1);
}

/* wait_timeout inside a task on a task that cannot finish yet: a gate task already running
 * on another worker (so that helping cannot pick it up). The gate opens only once the
 * timeout was seen; then a full wait succeeds. Needs two workers. */
static atomic_int g_timeout_seen;
static arayon_task_t *_Atomic g_blocked;

static int parent_times_out(void *arg)
{
    (void)arg;
    arayon_task_t *h = atomic_load(&g_blocked);
    TASK_CHECK(arayon_task_wait_timeout(h, 0) == ARAYON_ETIMEDOUT);
    TASK_CHECK(arayon_task_wait_timeout(h, 2000000) == ARAYON_ETIMEDOUT);
    TASK_CHECK(arayon_task_poll(h) == ARAYON_ETIMEDOUT);
    atomic_store(&g_timeout_seen, 1);
    TASK_CHECK(arayon_task_wait(h) == ARAYON_OK);
    return 0;
}

static void *open_gate_after_timeout(void *arg)
{
    (void)arg;
    WAIT_UNTIL_GE(&g_timeout_seen, 1);
    gate_open(&g_gate);
    return NULL;
}

static void test_wait_timeout_inside_task(unsigned nthreads)
{
    test_phase("wait_timeout inside a task");
    CHECK_GE(nthreads, 2);
    pool_start(nthreads);
    atomic_store(&g_timeout_seen, 0);
    arayon_task_t *blocked = hold_the_worker(0);
    atomic_store(&g_blocked, blocked);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, open_gate_after_timeout, NULL), 0);
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, parent_times_out, NULL, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_OK(arayon_task_wait(blocked));
    arayon_task_release(blocked);
    CHECK_EQ(atomic_load(&g_count), 1);
    CHECK_EQ(atomic_load(&g_gate_saw_cancel), 0);
    pool_stop();
}

/* A task that waits for its own handle gets EBUSY instead of deadlocking. */
static arayon_task_t *_Atomic g_self;
static atomic_int g_self_rc_wait, g_self_rc_timeout;

static int self_wait_task(void *arg)
{
    (void)arg;
    gate_wait(&g_gate); /* main publishes g_self, then opens the gate */
    arayon_task_t *me = atomic_load(&g_self);
    atomic_store(&g_self_rc_wait, arayon_task_wait(me));
    atomic_store(&g_self_rc_timeout, arayon_task_wait_timeout(me, 1000000));
    TASK_CHECK(arayon_task_poll(me) == ARAYON_ETIMEDOUT);
    int raw;
    TASK_CHECK(arayon_task_result(me, &raw) == ARAYON_EBUSY);
    return 0;
}

static void test_wait_for_self(void)
{
    test_phase("a task waiting for itself gets EBUSY");
    pool_start(1);
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, self_wait_task, NULL, &h));
    atomic_store(&g_self, h);
    gate_open(&g_gate);
    CHECK_OK(arayon_task_wait(h));
    CHECK_RC(atomic_load(&g_self_rc_wait), ARAYON_EBUSY);
    CHECK_RC(atomic_load(&g_self_rc_timeout), ARAYON_EBUSY);
    arayon_task_release(h);
    pool_stop();
}

/* Many handles, all waited from inside one task on a multi-worker pool. */
static int fan_in_task(void *arg)
{
    intptr_t n = (intptr_t)arg;
    arayon_task_t **h = calloc((size_t)n, sizeof *h);
    TASK_CHECK(h != NULL);
    if (!h)
        return 1;
    for (intptr_t i = 0; i < n; i++)
        TASK_CHECK(arayon_spawn_handle(g_pool, count_task, (void *)(intptr_t)(i % 3 == 0), &h[i]) ==
                   ARAYON_OK);
    for (intptr_t i = 0; i < n; i++) {
        if (!h[i])
            continue;
        TASK_CHECK(arayon_task_wait(h[i]) == (i % 3 == 0 ? ARAYON_EFAILED : ARAYON_OK));
        arayon_task_release(h[i]);
    }
    free(h);
    return 0;
}

static void test_fan_in(unsigned nthreads)
{
    test_phase("one task waits for many handles");
    pool_start(nthreads);
    const intptr_t n = 30000 / TEST_SCALE_DOWN;
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, fan_in_task, (void *)n, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_EQ(atomic_load(&g_count), n);
    arayon_stats_t st = pool_stop();
    CHECK_EQ(st.failed, (n + 2) / 3);
    CHECK_EQ(st.completed, n + 1 - (n + 2) / 3);
}

/* ---------------------------------------------------------------------------------------
 * Cancel racing with execution
 *
 * Tasks are cancelled while workers may be starting them. Whatever the interleaving, each
 * task either ran (outcome OK: a cancel that came too late changes nothing but the flag)
 * or did not (outcome ECANCELED), and the counters agree with the handles.
 * ------------------------------------------------------------------------------------- */
static atomic_uchar *g_ran;

static int mark_ran_task(void *arg)
{
    long i = (long)(intptr_t)arg;
    unsigned prev = atomic_fetch_add(&g_ran[i], 1);
    TASK_CHECK(prev == 0);
    /* a little work, so that some cancels land while the task runs */
    volatile unsigned x = 0;
    for (unsigned k = 0; k < (unsigned)(i % 64) * 16; k++)
        x += k;
    (void)x;
    return 0;
}

typedef struct canceller {
    arayon_task_t **h;
    long n;
    atomic_long *published;
} canceller;

static void *cancel_thread(void *p)
{
    canceller *c = p;
    for (long i = 0; i < c->n; i += 3) {
        while (atomic_load(c->published) <= i)
            sched_yield();
        arayon_task_cancel(c->h[i]);
    }
    return NULL;
}

static void test_cancel_race(unsigned nthreads)
{
    test_phase("cancel racing with execution");
    pool_start(nthreads);
    const long n = 100000 / TEST_SCALE_DOWN;
    arayon_task_t **h = calloc((size_t)n, sizeof *h);
    g_ran = calloc((size_t)n, sizeof *g_ran);
    CHECK(h && g_ran);
    atomic_long published = 0;
    canceller c = {h, n, &published};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, cancel_thread, &c), 0);
    for (long i = 0; i < n; i++) {
        CHECK_OK(arayon_spawn_handle(g_pool, mark_ran_task, (void *)(intptr_t)i, &h[i]));
        atomic_store(&published, i + 1);
        if (i % 3 == 1)
            CHECK_OK(arayon_task_cancel(h[i])); /* from the spawning thread too */
    }
    CHECK_EQ(pthread_join(th, NULL), 0);
    long ran = 0, cancelled = 0;
    for (long i = 0; i < n; i++) {
        int rc = arayon_task_wait(h[i]);
        unsigned r = atomic_load(&g_ran[i]);
        if (rc == ARAYON_ECANCELED) {
            CHECK_MSG(r == 0, "task %ld finished ECANCELED but ran", i);
            CHECK_MSG(i % 3 != 2, "task %ld was never cancelled", i);
            cancelled++;
        } else {
            CHECK_RC(rc, ARAYON_OK);
            CHECK_MSG(r == 1, "task %ld finished OK but ran %u times", i, r);
            ran++;
        }
        arayon_task_release(h[i]);
    }
    arayon_stats_t st = pool_stop();
    fprintf(stderr, "   %ld ran, %ld cancelled before they started\n", ran, cancelled);
    CHECK_EQ(st.cancelled, cancelled);
    CHECK_EQ(st.completed, ran);
    CHECK_EQ(st.spawned, n);
    free(h);
    free(g_ran);
}

/* ---------------------------------------------------------------------------------------
 * Cancelling a running task reaches the scopes it began
 * ------------------------------------------------------------------------------------- */
static atomic_int g_children_started, g_children_saw_cancel;

static int child_until_cancelled(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_children_started, 1);
    uint64_t t0 = test_now_ns();
    while (!arayon_cancelled()) {
        if (test_now_ns() - t0 > TEST_HANG_NS) {
            TASK_CHECK(!"the child never saw its parent task's cancellation");
            return 0;
        }
        sched_yield();
    }
    atomic_fetch_add(&g_children_saw_cancel, 1);
    return 0;
}

static int parent_with_scope(void *arg)
{
    (void)arg;
    arayon_scope_t *s = NULL;
    TASK_CHECK(arayon_scope_begin(g_pool, &s) == ARAYON_OK);
    if (!s)
        return 1;
    for (int i = 0; i < 4; i++)
        TASK_CHECK(arayon_scope_spawn(s, child_until_cancelled, NULL, NULL) == ARAYON_OK);
    int rc = arayon_scope_end(&s);
    TASK_CHECK(rc == ARAYON_OK || rc == ARAYON_ECANCELED);
    TASK_CHECK(arayon_cancelled());
    return 0;
}

static void test_cancel_reaches_inner_scopes(unsigned nthreads)
{
    test_phase("cancelling a running task cancels the scopes it began");
    pool_start(nthreads);
    atomic_store(&g_children_started, 0);
    atomic_store(&g_children_saw_cancel, 0);
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, parent_with_scope, NULL, &h));
    WAIT_UNTIL_GE(&g_children_started, 1);
    CHECK_OK(arayon_task_cancel(h));
    CHECK_OK(arayon_task_wait(h)); /* it ran, and returned 0 */
    arayon_task_release(h);
    int started = atomic_load(&g_children_started);
    CHECK_GE(started, 1);
    CHECK_EQ(atomic_load(&g_children_saw_cancel), started);
    arayon_stats_t st = pool_stop();
    CHECK_EQ(st.cancelled, (uint64_t)(4 - started));
}

int main(void)
{
    test_watchdog(110);
    test_wait_timeout();
    test_wait_timeout_completes();
    test_cancel_before_start();
    test_cancel_after_completion();
    test_cancel_running();
    test_release_before_completion();
    test_retain_release();
    test_wait_for_self();
    static const unsigned sizes[] = {1, 2, 4};
    for (int i = 0; i < 3; i++) {
        fprintf(stderr, "== %u worker(s)\n", sizes[i]);
        test_wait_inside_task(sizes[i]);
        if (sizes[i] >= 2)
            test_wait_timeout_inside_task(sizes[i]);
        test_fan_in(sizes[i]);
        test_cancel_race(sizes[i]);
        test_cancel_reaches_inner_scopes(sizes[i]);
    }
    fprintf(stderr, "test_handle: OK\n");
    return 0;
}
