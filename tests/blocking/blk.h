/*
 * blk.h - helpers shared by the blocking-task and timer tests (tests/blocking/test_*.c).
 *
 * Include after `#define _GNU_SOURCE` and <arayon.h>. Pools, metrics and the quiescence
 * invariants come from tests/rc/rc.h, the assertions, gates and WAIT_UNTIL_GE from
 * tests/unit/check.h. Pass/fail never depends on how long something took: waits are bounded
 * by hang guards only, and orderings are checked with counters.
 */
#ifndef ARAYON_TEST_BLK_H
#define ARAYON_TEST_BLK_H

#include "../rc/rc.h"

#define MS (UINT64_C(1000000))
#define HOUR (UINT64_C(3600) * 1000 * MS)

typedef struct blk_cfg {
    unsigned threads;
    size_t max_pending;
    arayon_full_policy_t policy;
    uint64_t max_pending_wait_ns;
    unsigned max_blocking;
    uint64_t idle_ns;
    uint64_t task_timeout_ns;
} blk_cfg;

static inline arayon_pool_t *blk_pool(blk_cfg c)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = c.threads ? c.threads : 2;
    cfg.max_pending = c.max_pending;
    cfg.full_policy = c.policy;
    cfg.max_pending_wait_ns = c.max_pending_wait_ns;
    cfg.max_blocking_threads = c.max_blocking;
    cfg.blocking_idle_ns = c.idle_ns;
    cfg.task_timeout_ns = c.task_timeout_ns;
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    CHECK(p != NULL);
    return p;
}

/* The counters that moved between two snapshots of a quiescent pool, checked: every task
 * spawned in between finished exactly one way and nothing is pending. */
typedef struct blk_delta {
    uint64_t spawned, completed, failed, cancelled, timed_out, rejected, run_inline;
    uint64_t blocking_spawned, timers_spawned, timers_fired;
} blk_delta;

static inline blk_delta blk_diff(const arayon_metrics_t *a, const arayon_metrics_t *b)
{
    rc_check_quiescent(b);
    CHECK_EQ(b->blocking_running, 0);
    CHECK_EQ(b->blocking_queued, 0);
    CHECK_EQ(b->timers_pending, 0);
    blk_delta d = {b->spawned - a->spawned,
                   b->completed - a->completed,
                   b->failed - a->failed,
                   b->cancelled - a->cancelled,
                   b->timed_out - a->timed_out,
                   b->rejected - a->rejected,
                   b->run_inline - a->run_inline,
                   b->blocking_spawned - a->blocking_spawned,
                   b->timers_spawned - a->timers_spawned,
                   b->timers_fired - a->timers_fired};
    CHECK_EQ(d.spawned, d.completed + d.failed + d.cancelled + d.timed_out);
    return d;
}

/* The invariant that holds in every snapshot, quiescent or not. */
static inline void blk_check_sum(const arayon_metrics_t *m)
{
    CHECK_EQ(m->spawned, m->completed + m->failed + m->cancelled + m->timed_out + m->pending);
    if (m->max_pending)
        CHECK_LE(m->pending, m->max_pending);
}

/* A task that waits until its gate opens, counting how many wait at once. */
typedef struct gated {
    test_gate gate;
    atomic_int inside, max_inside, entered;
} gated;

static inline void gated_init(gated *g)
{
    gate_init(&g->gate);
    atomic_init(&g->inside, 0);
    atomic_init(&g->max_inside, 0);
    atomic_init(&g->entered, 0);
}

static inline int gated_task(void *arg)
{
    gated *g = arg;
    int now = atomic_fetch_add(&g->inside, 1) + 1;
    int m = atomic_load(&g->max_inside);
    while (now > m && !atomic_compare_exchange_weak(&g->max_inside, &m, now))
        ;
    atomic_fetch_add(&g->entered, 1);
    gate_wait(&g->gate);
    atomic_fetch_sub(&g->inside, 1);
    return 0;
}

/* Waits (hang guard only) until the pool's metrics satisfy `cond` (an expression of m). */
#define WAIT_METRICS(pool, cond)                                                             \
    do {                                                                                     \
        uint64_t wm_t0_ = test_now_ns();                                                     \
        for (;;) {                                                                           \
            arayon_metrics_t m = rc_metrics(pool);                                           \
            if (cond)                                                                        \
                break;                                                                       \
            CHECK_MSG(test_now_ns() - wm_t0_ < TEST_HANG_NS, "waited too long for %s", #cond); \
            test_sleep_us(200);                                                              \
        }                                                                                    \
    } while (0)

static inline int blk_noop(void *arg)
{
    (void)arg;
    return 0;
}

#endif
