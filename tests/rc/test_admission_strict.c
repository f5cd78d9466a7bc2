/*
 * test_admission_strict.c - admission-control guarantees that must hold at every moment, not
 * only at quiescence (test_admission.c checks the bound itself and the accounting).
 *
 *   empty pool     a pool with nothing pending (metrics.pending == 0 after the waits, no
 *                  other spawner) has room: a spawn is accepted (REJECT: not EAGAIN; BLOCK
 *                  with max_pending_wait_ns: not EAGAIN; RUN_INLINE: queued, not run on the
 *                  calling thread). arayon.h: the policy is "what a spawn does when
 *                  max_pending tasks are already pending". Checked with small bounds (1 with
 *                  1 worker, 4 with 2 workers), with the default spin and with spin_us =
 *                  200 ms (an idle worker then looks for work for 200 ms before it parks).
 *   idle threads   20 threads outside the pool each spawn one task (at most 20 pending:
 *                  accepted), wait for it, and stay alive; the pool is empty; another thread
 *                  spawns 10 gated tasks: all are accepted (at most 9 pending, max_pending
 *                  1000).
 *   peak_pending   "never above max_pending" (arayon.h), also in a snapshot taken by a task
 *                  that a worker runs inline because the pool is full.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "rc.h"

#define MS (UINT64_C(1000000))

/* A violated guarantee is reported and counted, and the test goes on to the next case, so
 * that one run lists every case that fails; the exit code is 1 if any did. */
static atomic_int g_violations;
#define GUARANTEE(cond, ...)                                                                \
    (!(cond) ? (fprintf(stderr, "%s:%d: [%s] VIOLATED: %s: ", __FILE__, __LINE__,           \
                        atomic_load(&test_phase_name), #cond),                              \
                fprintf(stderr, __VA_ARGS__), fprintf(stderr, "\n"),                        \
                atomic_fetch_add(&g_violations, 1), false)                                  \
             : true)

static const char *policy_name(arayon_full_policy_t p)
{
    return p == ARAYON_FULL_BLOCK ? "block (max_pending_wait_ns 1 ms)"
           : p == ARAYON_FULL_REJECT ? "reject"
                                     : "inline";
}

static __thread void *tls_spawning;

typedef struct probe {
    atomic_int ran;
    atomic_int was_inline;
} probe;

static int probe_task(void *arg)
{
    probe *p = arg;
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

static arayon_pool_t *make_pool(unsigned n, size_t max_pending, arayon_full_policy_t policy,
                                unsigned spin_us)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = n;
    cfg.max_pending = max_pending;
    cfg.full_policy = policy;
    cfg.max_pending_wait_ns = policy == ARAYON_FULL_BLOCK ? 1 * MS : 0;
    cfg.spin_us = spin_us;
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    return p;
}

static int nop(void *arg)
{
    (void)arg;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * An empty pool has room
 * ------------------------------------------------------------------------------------- */
static void test_empty_pool(unsigned nworkers, size_t max_pending, arayon_full_policy_t policy,
                            unsigned spin_us)
{
    char phase[200];
    snprintf(phase, sizeof phase, "empty pool accepts a spawn: %s, max_pending %zu, %u workers, "
             "spin_us %u", policy_name(policy), max_pending, nworkers, spin_us);
    test_phase(phase);
    arayon_pool_t *pool = make_pool(nworkers, max_pending, policy, spin_us);
    enum { ROUNDS = 10 };
    probe pr[ROUNDS];
    memset(pr, 0, sizeof pr);
    for (int r = 0; r < ROUNDS; r++) {
        arayon_task_t *h = NULL;
        CHECK_OK(arayon_spawn_handle(pool, nop, NULL, &h));
        CHECK_OK(arayon_task_wait(h));
        arayon_task_release(h);
        arayon_metrics_t m = rc_metrics(pool);
        CHECK_EQ(m.pending, 0); /* nothing pending: the pool is empty */
        int rc = probe_spawn(pool, &pr[r]);
        if (!GUARANTEE(rc == ARAYON_OK, "round %d: spawn into an empty pool returned %s (pending "
                       "was 0, max_pending %zu)", r, arayon_errname(rc), max_pending) ||
            !GUARANTEE(atomic_load(&pr[r].was_inline) == 0, "round %d: ran inline on the spawning "
                       "thread although nothing was pending", r)) {
            CHECK_OK(arayon_pool_shutdown(pool));
            arayon_pool_destroy(&pool);
            return;
        }
        /* let it finish before the next round: its body ran, and it is no longer pending
         * (the task returns its admission credit after its body, before it counts as finished) */
        uint64_t t0 = test_now_ns();
        while (atomic_load(&pr[r].ran) == 0 || rc_metrics(pool).pending != 0) {
            CHECK(test_now_ns() - t0 < TEST_HANG_NS);
            sched_yield();
        }
    }
    CHECK_OK(arayon_pool_shutdown(pool));
    arayon_metrics_t m = rc_metrics(pool);
    rc_check_quiescent(&m);
    CHECK_EQ(m.rejected, 0);
    CHECK_EQ(m.run_inline, 0);
    CHECK_EQ(m.spawned, 2 * ROUNDS);
    arayon_pool_destroy(&pool);
}

/* ---------------------------------------------------------------------------------------
 * Credits kept by idle threads outside the pool
 * ------------------------------------------------------------------------------------- */
enum { IDLE_THREADS = 20 };
static arayon_pool_t *g_idle_pool;
static test_gate g_exit_gate;
static atomic_int g_idle_ready;

static atomic_int g_idle_accepted;

static void *idle_spawner(void *arg)
{
    (void)arg;
    arayon_task_t *h = NULL;
    int rc = arayon_spawn_handle(g_idle_pool, nop, NULL, &h);
    if (GUARANTEE(rc == ARAYON_OK, "an idle thread's only spawn returned %s (at most %d tasks "
                  "pending, max_pending 1000)", arayon_errname(rc), IDLE_THREADS)) {
        CHECK_OK(arayon_task_wait(h));
        arayon_task_release(h);
        atomic_fetch_add(&g_idle_accepted, 1);
    }
    atomic_fetch_add(&g_idle_ready, 1);
    gate_wait(&g_exit_gate); /* alive, idle */
    return NULL;
}

static int gated(void *arg);
static test_gate g_gate;

static void test_idle_threads(void)
{
    test_phase("idle outside threads: a nearly empty pool accepts spawns (reject, "
               "max_pending 1000, 2 workers)");
    g_idle_pool = make_pool(2, 1000, ARAYON_FULL_REJECT, 0);
    gate_init(&g_exit_gate);
    gate_init(&g_gate);
    pthread_t th[IDLE_THREADS];
    for (int i = 0; i < IDLE_THREADS; i++)
        CHECK_EQ(pthread_create(&th[i], NULL, idle_spawner, NULL), 0);
    WAIT_UNTIL_GE(&g_idle_ready, IDLE_THREADS);
    test_sleep_us(20000); /* likely parked by now (a worker gives back what it holds) */
    arayon_metrics_t m = rc_metrics(g_idle_pool);
    CHECK_EQ(m.pending, 0);
    /* K gated tasks: at most K - 1 pending at each spawn, far below the bound */
    enum { K = 10 };
    int accepted = 0, rc = ARAYON_OK;
    for (int k = 0; k < K; k++) {
        rc = arayon_spawn(g_idle_pool, gated, NULL);
        if (!GUARANTEE(rc == ARAYON_OK, "spawn %d returned %s with %d tasks pending, max_pending "
                       "1000, while %d idle threads had spawned one task each", k,
                       arayon_errname(rc), accepted, atomic_load(&g_idle_accepted)))
            break;
        accepted++;
    }
    gate_open(&g_gate);
    gate_open(&g_exit_gate);
    for (int i = 0; i < IDLE_THREADS; i++)
        CHECK_EQ(pthread_join(th[i], NULL), 0);
    CHECK_OK(arayon_pool_shutdown(g_idle_pool));
    m = rc_metrics(g_idle_pool);
    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, atomic_load(&g_idle_accepted) + accepted);
    arayon_pool_destroy(&g_idle_pool);
    gate_destroy(&g_exit_gate);
    gate_destroy(&g_gate);
}

/* ---------------------------------------------------------------------------------------
 * peak_pending while a worker runs a task inline
 * ------------------------------------------------------------------------------------- */
static atomic_int g_gated_started;
static arayon_pool_t *g_pool;
static arayon_metrics_t g_inline_snapshot;
static atomic_int g_inline_ran;

static int gated(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_gated_started, 1);
    gate_wait(&g_gate);
    return 0;
}

static int snapshot_task(void *arg)
{
    (void)arg;
    arayon_pool_metrics(g_pool, &g_inline_snapshot);
    atomic_store(&g_inline_ran, 1);
    return 0;
}

static int spawner(void *arg)
{
    (void)arg;
    return arayon_spawn(g_pool, snapshot_task, NULL) == ARAYON_OK ? 0 : 1;
}

static void test_peak_during_inline(arayon_full_policy_t policy)
{
    char phase[160];
    snprintf(phase, sizeof phase, "peak_pending <= max_pending during an inline run: %s",
             policy == ARAYON_FULL_BLOCK ? "block" : "inline");
    test_phase(phase);
    /* 2 workers, max_pending 2: a gated task and the spawner hold both credits, nothing is
     * queued, so the spawner's spawn runs inline (both policies) */
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = 2;
    cfg.max_pending = 2;
    cfg.full_policy = policy;
    CHECK_OK(arayon_pool_create(&cfg, &g_pool));
    gate_init(&g_gate);
    atomic_store(&g_gated_started, 0);
    atomic_store(&g_inline_ran, 0);
    CHECK_OK(arayon_spawn(g_pool, gated, NULL));
    WAIT_UNTIL_GE(&g_gated_started, 1);
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, spawner, NULL, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_EQ(atomic_load(&g_inline_ran), 1);
    const arayon_metrics_t *m = &g_inline_snapshot;
    fprintf(stderr, "   snapshot in the inline task: pending %" PRIu64 ", peak_pending %" PRIu64
                    ", max_pending %" PRIu64 "\n",
            m->pending, m->peak_pending, m->max_pending);
    gate_open(&g_gate);
    CHECK_OK(arayon_pool_shutdown(g_pool));
    arayon_metrics_t end = rc_metrics(g_pool);
    CHECK_EQ(end.run_inline, 1);
    CHECK_EQ(m->max_pending, 2);
    GUARANTEE(m->peak_pending <= m->max_pending, "peak_pending %" PRIu64 " above max_pending %"
              PRIu64 " (documented: never above)", m->peak_pending, m->max_pending);
    arayon_pool_destroy(&g_pool);
    gate_destroy(&g_gate);
}

int main(void)
{
    test_watchdog(280);
    test_peak_during_inline(ARAYON_FULL_BLOCK);
    test_peak_during_inline(ARAYON_FULL_RUN_INLINE);
    test_idle_threads();
    const arayon_full_policy_t policies[] = {ARAYON_FULL_REJECT, ARAYON_FULL_RUN_INLINE,
                                             ARAYON_FULL_BLOCK};
    for (size_t i = 0; i < 3; i++) {
        test_empty_pool(1, 1, policies[i], 0);
        test_empty_pool(2, 4, policies[i], 0);
        test_empty_pool(1, 1, policies[i], 200000);
        test_empty_pool(2, 4, policies[i], 200000);
    }
    CHECK_NO_TASK_ERRORS();
    int v = atomic_load(&g_violations);
    if (v) {
        fprintf(stderr, "test_admission_strict: %d case(s) violated a documented guarantee\n", v);
        return 1;
    }
    fprintf(stderr, "test_admission_strict: all checks passed\n");
    return 0;
}
