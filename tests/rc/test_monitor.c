/*
 * test_monitor.c - arayon_monitor_start / arayon_monitor_stop.
 *
 *   periodic       a 2 ms monitor over a pool running a bounded flood: the callback runs
 *                  again and again, never twice at once, with sane snapshots (the metrics
 *                  identity spawned == completed + failed + cancelled + timed_out + pending,
 *                  pending and peak_pending within max_pending, busy <= uptime x threads,
 *                  uptime and counters never going back); it may call arayon_pool_metrics
 *                  itself. After stop returns no callback runs (none is running, and the
 *                  count stays the same over ten periods).
 *   from callback  arayon_monitor_stop from the monitor's own callback: ARAYON_EBUSY, the
 *                  handle untouched; the owner's stop then works.
 *   races          two threads start and stop monitors 200 times each on two pools.
 *   outliving      the pool is destroyed while its monitor runs: the monitor keeps going and
 *                  reports the pool as stopped (no active worker, nothing pending, the final
 *                  counts); stop afterwards is fine (ASan checks the memory).
 *   bad input      period below 1 ms, NULL pool, callback or out: ARAYON_EINVAL and *out NULL;
 *                  stop of NULL or of a NULL handle: ARAYON_EINVAL.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "rc.h"

#define MS (UINT64_C(1000000))

static int count_run(void *arg)
{
    atomic_fetch_add((atomic_long *)arg, 1);
    volatile unsigned x = 0;
    for (unsigned i = 0; i < 200; i++)
        x += i;
    (void)x;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Periodic callbacks with sane snapshots
 * ------------------------------------------------------------------------------------- */
typedef struct watch {
    arayon_pool_t *pool;
    unsigned nthreads;
    size_t max_pending;
    atomic_long calls;
    atomic_int in_cb;
    atomic_int overlaps;
    /* written by the callback only (one monitor thread); read after stop */
    arayon_metrics_t prev;
    long bad;
    uint64_t max_seen_pending;
} watch;

#define WATCH_CHECK(w, cond)                                                                \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: monitor callback: check failed: %s\n", __FILE__,        \
                    __LINE__, #cond);                                                       \
            (w)->bad++;                                                                     \
        }                                                                                   \
    } while (0)

static void check_snapshot(watch *w, const arayon_metrics_t *m)
{
    WATCH_CHECK(w, m->num_threads == w->nthreads);
    WATCH_CHECK(w, m->max_pending == w->max_pending);
    WATCH_CHECK(w, m->spawned ==
                       m->completed + m->failed + m->cancelled + m->timed_out + m->pending);
    WATCH_CHECK(w, m->pending <= w->max_pending);
    WATCH_CHECK(w, m->peak_pending <= w->max_pending);
    WATCH_CHECK(w, m->peak_pending >= m->pending);
    WATCH_CHECK(w, m->active <= m->num_threads);
    WATCH_CHECK(w, m->busy_ns <= m->uptime_ns * m->num_threads);
    WATCH_CHECK(w, m->steal_attempts >= m->steals);
    double u = arayon_metrics_utilization(m);
    WATCH_CHECK(w, u >= 0.0 && u <= 1.0);
    double q = arayon_metrics_queue_pressure(m);
    WATCH_CHECK(w, q >= 0.0 && q <= 1.0);
}

static void periodic_cb(const arayon_metrics_t *m, void *user)
{
    watch *w = user;
    if (atomic_exchange(&w->in_cb, 1))
        atomic_fetch_add(&w->overlaps, 1);
    check_snapshot(w, m);
    if (atomic_load(&w->calls) > 0) { /* monotonic */
        WATCH_CHECK(w, m->uptime_ns >= w->prev.uptime_ns);
        WATCH_CHECK(w, m->spawned >= w->prev.spawned);
        WATCH_CHECK(w, m->completed >= w->prev.completed);
        WATCH_CHECK(w, m->peak_pending >= w->prev.peak_pending);
    }
    if (m->pending > w->max_seen_pending)
        w->max_seen_pending = m->pending;
    /* a callback may take a snapshot of its own */
    arayon_metrics_t mine;
    WATCH_CHECK(w, arayon_pool_metrics(w->pool, &mine) == ARAYON_OK);
    check_snapshot(w, &mine);
    WATCH_CHECK(w, mine.uptime_ns >= m->uptime_ns);
    WATCH_CHECK(w, mine.spawned >= m->spawned);
    w->prev = *m;
    atomic_fetch_add(&w->calls, 1);
    atomic_store(&w->in_cb, 0);
}

static void test_periodic(void)
{
    test_phase("monitor: periodic callbacks, nothing after stop");
    const size_t maxp = 1000;
    watch *w = calloc(1, sizeof *w);
    CHECK(w != NULL);
    w->pool = rc_pool(2, maxp, ARAYON_FULL_BLOCK);
    w->nthreads = 2;
    w->max_pending = maxp;
    const uint64_t period = 2 * MS;
    arayon_monitor_t *mon = NULL;
    CHECK_OK(arayon_monitor_start(w->pool, period, periodic_cb, w, &mon));
    CHECK(mon != NULL);

    /* a bounded flood from this thread while the monitor watches */
    atomic_long ran = 0;
    const long n = 40000 / TEST_SCALE_DOWN;
    for (long i = 0; i < n; i++)
        CHECK_OK(arayon_spawn(w->pool, count_run, &ran));
    WAIT_UNTIL_GE(&ran, n);
    WAIT_UNTIL_GE(&w->calls, 5);

    CHECK_OK(arayon_monitor_stop(&mon));
    CHECK(mon == NULL);
    CHECK_EQ(atomic_load(&w->in_cb), 0); /* the last callback has returned */
    long calls = atomic_load(&w->calls);
    test_sleep_us(10 * period / 1000);
    CHECK_EQ(atomic_load(&w->calls), calls); /* none after stop */
    CHECK_EQ(atomic_load(&w->overlaps), 0);
    CHECK_EQ(w->bad, 0);
    fprintf(stderr, "   %ld callbacks, highest pending seen %" PRIu64 "\n", calls,
            w->max_seen_pending);

    /* start again on the same pool, now idle: callbacks resume */
    atomic_store(&w->calls, 0);
    CHECK_OK(arayon_monitor_start(w->pool, period, periodic_cb, w, &mon));
    WAIT_UNTIL_GE(&w->calls, 3);
    CHECK_OK(arayon_monitor_stop(&mon));
    CHECK_EQ(w->bad, 0);
    CHECK_OK(arayon_pool_shutdown(w->pool));
    arayon_metrics_t m = rc_metrics(w->pool);
    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, n);
    CHECK_EQ(m.completed, n);
    arayon_pool_destroy(&w->pool);
    free(w);
}

/* ---------------------------------------------------------------------------------------
 * Stop from the callback
 * ------------------------------------------------------------------------------------- */
typedef struct selfstop {
    _Atomic(arayon_monitor_t *) self;
    atomic_int tried, rc, still_set, calls;
} selfstop;

static void selfstop_cb(const arayon_metrics_t *m, void *user)
{
    (void)m;
    selfstop *s = user;
    atomic_fetch_add(&s->calls, 1);
    arayon_monitor_t *mon = atomic_load(&s->self);
    if (mon && !atomic_load(&s->tried)) {
        arayon_monitor_t *copy = mon;
        atomic_store(&s->rc, arayon_monitor_stop(&copy));
        atomic_store(&s->still_set, copy == mon);
        atomic_store(&s->tried, 1);
    }
}

static void test_stop_from_callback(void)
{
    test_phase("monitor: stop from its own callback");
    arayon_pool_t *pool = rc_pool(1, 100, ARAYON_FULL_BLOCK);
    selfstop s;
    memset(&s, 0, sizeof s);
    arayon_monitor_t *mon = NULL;
    CHECK_OK(arayon_monitor_start(pool, 1 * MS, selfstop_cb, &s, &mon));
    atomic_store(&s.self, mon);
    WAIT_UNTIL_GE(&s.tried, 1);
    CHECK_RC(atomic_load(&s.rc), ARAYON_EBUSY);
    CHECK_EQ(atomic_load(&s.still_set), 1);
    int calls = atomic_load(&s.calls);
    WAIT_UNTIL_GE(&s.calls, calls + 2); /* still running */
    CHECK_OK(arayon_monitor_stop(&mon));
    CHECK(mon == NULL);
    arayon_pool_destroy(&pool);
}

/* ---------------------------------------------------------------------------------------
 * Start/stop races
 * ------------------------------------------------------------------------------------- */
static arayon_pool_t *g_race_pools[2];
static atomic_long g_race_calls;

static void race_cb(const arayon_metrics_t *m, void *user)
{
    (void)user;
    if (m->num_threads != 2)
        atomic_fetch_add(&rc_task_errors, 1);
    atomic_fetch_add(&g_race_calls, 1);
}

static void *race_thread(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < 200; i++) {
        arayon_monitor_t *mon = NULL;
        int rc = arayon_monitor_start(g_race_pools[(t + i) % 2], 1 * MS, race_cb, NULL, &mon);
        if (rc != ARAYON_OK || mon == NULL) {
            fprintf(stderr, "start: %s\n", arayon_errname(rc));
            atomic_fetch_add(&rc_task_errors, 1);
            continue;
        }
        if (i % 8 == 0)
            test_sleep_us(1500); /* let a callback happen now and then */
        rc = arayon_monitor_stop(&mon);
        if (rc != ARAYON_OK || mon != NULL) {
            fprintf(stderr, "stop: %s\n", arayon_errname(rc));
            atomic_fetch_add(&rc_task_errors, 1);
        }
    }
    return NULL;
}

static atomic_long g_race_work;

static void test_races(void)
{
    test_phase("monitor: start/stop races, 2 threads x 200 on 2 pools");
    for (int k = 0; k < 2; k++)
        g_race_pools[k] = rc_pool(2, 0, ARAYON_FULL_BLOCK);
    pthread_t th[2];
    for (int t = 0; t < 2; t++)
        CHECK_EQ(pthread_create(&th[t], NULL, race_thread, (void *)(intptr_t)t), 0);
    for (long i = 0; i < 2000; i++) /* and work meanwhile */
        CHECK_OK(arayon_spawn(g_race_pools[i % 2], count_run, &g_race_work));
    for (int t = 0; t < 2; t++)
        CHECK_EQ(pthread_join(th[t], NULL), 0);
    CHECK_NO_TASK_ERRORS();
    long calls = atomic_load(&g_race_calls);
    test_sleep_us(5000);
    CHECK_EQ(atomic_load(&g_race_calls), calls); /* every monitor was stopped */
    fprintf(stderr, "   %ld callbacks\n", calls);
    for (int k = 0; k < 2; k++)
        arayon_pool_destroy(&g_race_pools[k]);
    CHECK_EQ(atomic_load(&g_race_work), 2000);
}

/* ---------------------------------------------------------------------------------------
 * A monitor outliving its pool
 * ------------------------------------------------------------------------------------- */
typedef struct outlive {
    atomic_int destroyed;  /* set by the test after arayon_pool_destroy returned */
    atomic_long calls, calls_after;
    uint64_t expect_spawned;
    long bad;              /* callback thread only */
} outlive;

static void outlive_cb(const arayon_metrics_t *m, void *user)
{
    outlive *o = user;
    atomic_fetch_add(&o->calls, 1);
    if (!atomic_load(&o->destroyed))
        return;
    /* the snapshot of the first callback that sees the flag may predate the destroy; the
     * ones after it were taken after it */
    if (atomic_fetch_add(&o->calls_after, 1) == 0)
        return;
    if (m->active != 0 || m->pending != 0 || m->queued != 0 || m->num_threads != 2 ||
        m->spawned != o->expect_spawned || m->completed != o->expect_spawned) {
        fprintf(stderr, "after destroy: active %" PRIu64 " pending %" PRIu64 " spawned %" PRIu64
                        " completed %" PRIu64 "\n",
                m->active, m->pending, m->spawned, m->completed);
        o->bad++;
    }
}

static void test_outlive(void)
{
    test_phase("monitor: outliving arayon_pool_destroy");
    arayon_pool_t *pool = rc_pool(2, 64, ARAYON_FULL_BLOCK);
    outlive o;
    memset(&o, 0, sizeof o);
    o.expect_spawned = 500;
    arayon_monitor_t *mon = NULL;
    CHECK_OK(arayon_monitor_start(pool, 1 * MS, outlive_cb, &o, &mon));
    atomic_long ran = 0;
    for (uint64_t i = 0; i < o.expect_spawned; i++)
        CHECK_OK(arayon_spawn(pool, count_run, &ran));
    WAIT_UNTIL_GE(&o.calls, 2);
    arayon_pool_destroy(&pool); /* runs the tasks, joins the workers; the monitor goes on */
    CHECK(pool == NULL);
    CHECK_EQ(atomic_load(&ran), (long)o.expect_spawned);
    atomic_store(&o.destroyed, 1);
    WAIT_UNTIL_GE(&o.calls_after, 4);
    CHECK_OK(arayon_monitor_stop(&mon));
    CHECK(mon == NULL);
    CHECK_EQ(o.bad, 0);
}

/* ---------------------------------------------------------------------------------------
 * Bad input
 * ------------------------------------------------------------------------------------- */
static void nop_cb(const arayon_metrics_t *m, void *user)
{
    (void)m;
    atomic_fetch_add((atomic_long *)user, 1);
}

static void test_bad_input(void)
{
    test_phase("monitor: bad input");
    arayon_pool_t *pool = rc_pool(1, 10, ARAYON_FULL_BLOCK);
    atomic_long calls = 0;
    arayon_monitor_t *dummy = (arayon_monitor_t *)&calls, *mon = dummy;
    const uint64_t short_periods[] = {0, 1, 999999};
    for (size_t i = 0; i < 3; i++) {
        mon = dummy;
        CHECK_RC(arayon_monitor_start(pool, short_periods[i], nop_cb, &calls, &mon), ARAYON_EINVAL);
        CHECK(mon == NULL);
    }
    mon = dummy;
    CHECK_RC(arayon_monitor_start(NULL, 1 * MS, nop_cb, &calls, &mon), ARAYON_EINVAL);
    CHECK(mon == NULL);
    mon = dummy;
    CHECK_RC(arayon_monitor_start(pool, 1 * MS, NULL, &calls, &mon), ARAYON_EINVAL);
    CHECK(mon == NULL);
    CHECK_RC(arayon_monitor_start(pool, 1 * MS, nop_cb, &calls, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_monitor_stop(NULL), ARAYON_EINVAL);
    mon = NULL;
    CHECK_RC(arayon_monitor_stop(&mon), ARAYON_EINVAL);
    CHECK_EQ(atomic_load(&calls), 0);

    /* exactly 1 ms is allowed */
    CHECK_OK(arayon_monitor_start(pool, 1 * MS, nop_cb, &calls, &mon));
    CHECK(mon != NULL);
    WAIT_UNTIL_GE(&calls, 2);
    CHECK_OK(arayon_monitor_stop(&mon));
    CHECK_RC(arayon_monitor_stop(&mon), ARAYON_EINVAL); /* already stopped: *mon is NULL */
    arayon_pool_destroy(&pool);
}

int main(void)
{
    test_watchdog(280);
    test_bad_input();
    test_periodic();
    test_stop_from_callback();
    test_races();
    test_outlive();
    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_monitor: all checks passed\n");
    return 0;
}
