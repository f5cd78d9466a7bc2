/*
 * test_mixed.c - a mixed workload on one pool, all at once from four threads:
 *   - arayon_batch_process: 5,000 compute items, 100 in flight;
 *   - 300 blocking tasks (2 ms of sleep each) in a scope, each spawning a compute task and
 *     waiting for it;
 *   - arayon_stream_process: 5,000 items through a window of 32, ordered;
 *   - 500 delayed tasks (arayon_spawn_after) with scattered delays.
 * Every item's result is checked, and the metrics count exactly these tasks, all completed.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "blk.h"

static arayon_pool_t *pool;
static pthread_barrier_t start;

/* ---- batch ------------------------------------------------------------------------------- */
enum { BATCH_N = 5000 };
typedef struct bitem {
    uint64_t in, out;
} bitem;
static bitem batch_items[BATCH_N];
static int batch_st[BATCH_N];

static int batch_fn(void *item, void *ctx)
{
    (void)ctx;
    bitem *b = item;
    uint64_t x = b->in;
    for (int k = 0; k < 200; k++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    b->out = x;
    return 0;
}

static uint64_t batch_expect(uint64_t in)
{
    bitem b = {in, 0};
    batch_fn(&b, NULL);
    return b.out;
}

static void *batch_thread(void *arg)
{
    (void)arg;
    for (size_t i = 0; i < BATCH_N; i++)
        batch_items[i] = (bitem){i + 1, 0};
    pthread_barrier_wait(&start);
    CHECK_OK(arayon_batch_process(pool, batch_items, BATCH_N, sizeof(bitem), 100, batch_fn, NULL,
                                  batch_st));
    for (size_t i = 0; i < BATCH_N; i++) {
        CHECK_OK(batch_st[i]);
        CHECK_EQ(batch_items[i].out, batch_expect(i + 1));
    }
    return NULL;
}

/* ---- blocking ---------------------------------------------------------------------------- */
enum { BLOCKING_N = 300 };
typedef struct bjob {
    int id;
    atomic_int child_done;
    int result;
} bjob;
static bjob bjobs[BLOCKING_N];

static int child_fn(void *arg)
{
    bjob *j = arg;
    TASK_CHECK(arayon_in_worker());
    atomic_fetch_add(&j->child_done, 1);
    return 0;
}

static int blocking_fn(void *arg)
{
    bjob *j = arg;
    TASK_CHECK(!arayon_in_worker());
    test_sleep_us(2000); /* "I/O" */
    arayon_task_t *h = NULL;
    TASK_CHECK(arayon_spawn_handle(pool, child_fn, j, &h) == ARAYON_OK);
    TASK_CHECK(arayon_task_wait(h) == ARAYON_OK);
    arayon_task_release(h);
    j->result = j->id * 3;
    return 0;
}

static void *blocking_thread(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(pool, &s));
    for (int i = 0; i < BLOCKING_N; i++) {
        bjobs[i].id = i;
        atomic_init(&bjobs[i].child_done, 0);
        bjobs[i].result = -1;
        CHECK_OK(arayon_scope_spawn_blocking(s, blocking_fn, &bjobs[i], NULL));
    }
    CHECK_OK(arayon_scope_end(&s));
    for (int i = 0; i < BLOCKING_N; i++) {
        CHECK_EQ(bjobs[i].result, i * 3);
        CHECK_EQ(atomic_load(&bjobs[i].child_done), 1);
    }
    return NULL;
}

/* ---- stream ------------------------------------------------------------------------------ */
enum { STREAM_N = 5000 };
typedef struct sitem {
    uint64_t seq, sq;
} sitem;
typedef struct sctx {
    uint64_t pulled, delivered, in_order, bad;
} sctx;

static bool s_next(void *ctx, void *out)
{
    sctx *c = ctx;
    if (c->pulled >= STREAM_N)
        return false;
    ((sitem *)out)->seq = c->pulled++;
    return true;
}

static int s_fn(void *item, void *ctx)
{
    (void)ctx;
    sitem *it = item;
    it->sq = it->seq * it->seq;
    return 0;
}

static void s_done(void *item, int status, void *ctx)
{
    sctx *c = ctx;
    sitem *it = item;
    c->in_order += it->seq == c->delivered;
    c->bad += status != ARAYON_OK || it->sq != it->seq * it->seq;
    c->delivered++;
}

static void *stream_thread(void *arg)
{
    (void)arg;
    sctx c = {0};
    pthread_barrier_wait(&start);
    CHECK_OK(arayon_stream_process(pool, s_next, sizeof(sitem), 32, s_fn, s_done, true, &c));
    CHECK_EQ(c.delivered, STREAM_N);
    CHECK_EQ(c.in_order, STREAM_N);
    CHECK_EQ(c.bad, 0);
    return NULL;
}

/* ---- timers ------------------------------------------------------------------------------ */
enum { TIMERS_N = 500 };
static atomic_int timer_ran[TIMERS_N];
static atomic_int timers_done;

static int timer_fn(void *arg)
{
    atomic_fetch_add(&timer_ran[(uintptr_t)arg], 1);
    atomic_fetch_add(&timers_done, 1);
    return 0;
}

static void *timer_thread(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    for (uintptr_t i = 0; i < TIMERS_N; i++)
        CHECK_OK(arayon_spawn_after(pool, (i * 37 % 50) * 1000000u, timer_fn, (void *)i, NULL));
    WAIT_UNTIL_GE(&timers_done, TIMERS_N);
    for (int i = 0; i < TIMERS_N; i++)
        CHECK_EQ(atomic_load(&timer_ran[i]), 1);
    return NULL;
}

int main(void)
{
    test_watchdog(280);
    test_phase("mixed: batch + blocking + stream + timers at once");
    pool = blk_pool((blk_cfg){.threads = 2, .max_pending = ARAYON_DEFAULT_MAX_PENDING,
                              .max_blocking = 16});
    arayon_metrics_t m0 = rc_metrics(pool);
    pthread_barrier_init(&start, NULL, 4);
    pthread_t th[4];
    CHECK_EQ(pthread_create(&th[0], NULL, batch_thread, NULL), 0);
    CHECK_EQ(pthread_create(&th[1], NULL, blocking_thread, NULL), 0);
    CHECK_EQ(pthread_create(&th[2], NULL, stream_thread, NULL), 0);
    CHECK_EQ(pthread_create(&th[3], NULL, timer_thread, NULL), 0);
    /* The invariant holds in snapshots taken while everything runs. */
    for (int k = 0; k < 20; k++) {
        arayon_metrics_t m = rc_metrics(pool);
        blk_check_sum(&m);
        CHECK_LE(m.blocking_threads, 16);
        test_sleep_us(2000);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    WAIT_METRICS(pool, m.pending == 0 && m.queued == 0);
    arayon_metrics_t m1 = rc_metrics(pool);
    blk_delta d = blk_diff(&m0, &m1);
    uint64_t expect = BATCH_N + 2 * BLOCKING_N + STREAM_N + TIMERS_N;
    fprintf(stderr, "   %llu tasks: %llu completed; blocking threads peak %llu\n",
            (unsigned long long)d.spawned, (unsigned long long)d.completed,
            (unsigned long long)m1.blocking_threads_peak);
    CHECK_EQ(d.spawned, expect);
    CHECK_EQ(d.completed, expect);
    CHECK_EQ(d.blocking_spawned, BLOCKING_N);
    CHECK_EQ(d.timers_spawned, TIMERS_N);
    CHECK_EQ(d.timers_fired, TIMERS_N);
    CHECK_LE(m1.blocking_threads_peak, 16);
    CHECK_OK(arayon_pool_shutdown(pool));
    arayon_metrics_t m2 = rc_metrics(pool);
    rc_check_quiescent(&m2);
    CHECK_EQ(m2.spawned, m1.spawned);
    arayon_pool_destroy(&pool);
    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_mixed: all passed\n");
    return 0;
}
