/*
 * test_spawn.c - spawning and waiting, the basics.
 *
 *   - detached tasks from outside are all run by the time shutdown returns;
 *   - detached tasks spawning more detached tasks (a tree) are drained by shutdown too;
 *   - spawn_handle + wait: ARAYON_OK for 0, ARAYON_EFAILED for any other return value, and
 *     arayon_task_result gives the raw value (including negative ones that look like codes);
 *   - many handles at once, each computing its own value;
 *   - a pool made from a NULL config works;
 *   - the pool counters add up: spawned == completed + failed + cancelled, pending == 0,
 *     rejected == 0, injected == the tasks spawned from outside.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "check.h"

static arayon_pool_t *g_pool;
static atomic_long g_count;
static atomic_long g_inner_errors;

static int count_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_count, 1);
    return 0;
}

/* Adds its argument to g_count (so the sum checks that every argument arrived intact). */
static int add_task(void *arg)
{
    atomic_fetch_add(&g_count, (long)(intptr_t)arg);
    return 0;
}

static void check_stats_quiescent(arayon_pool_t *pool, uint64_t spawned, uint64_t completed,
                                  uint64_t failed, uint64_t injected)
{
    arayon_stats_t st;
    CHECK_OK(arayon_pool_stats(pool, &st));
    CHECK_EQ(st.spawned, spawned);
    CHECK_EQ(st.completed, completed);
    CHECK_EQ(st.failed, failed);
    CHECK_EQ(st.cancelled, 0);
    CHECK_EQ(st.timed_out, 0);
    CHECK_EQ(st.rejected, 0);
    CHECK_EQ(st.pending, 0);
    CHECK_EQ(st.injected, injected);
    CHECK_EQ(st.spawned,
             st.completed + st.failed + st.cancelled + st.timed_out + st.pending);
    CHECK_EQ(st.num_threads, arayon_pool_num_threads(pool));
}

static arayon_pool_t *make_pool(unsigned n)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = n;
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    CHECK(p != NULL);
    CHECK_EQ(arayon_pool_num_threads(p), n);
    return p;
}

/* ---------------------------------------------------------------------------------------
 * Detached tasks
 * ------------------------------------------------------------------------------------- */
static void test_detached(unsigned nthreads)
{
    test_phase("detached tasks drained by shutdown");
    const long n = 200000 / TEST_SCALE_DOWN;
    arayon_pool_t *p = make_pool(nthreads);
    atomic_store(&g_count, 0);
    long expected_sum = 0;
    for (long i = 1; i <= n; i++) {
        CHECK_OK(arayon_spawn(p, add_task, (void *)(intptr_t)i));
        expected_sum += i;
    }
    CHECK_OK(arayon_pool_shutdown(p));
    CHECK_EQ(atomic_load(&g_count), expected_sum);
    check_stats_quiescent(p, (uint64_t)n, (uint64_t)n, 0, (uint64_t)n);
    arayon_pool_destroy(&p);
    CHECK(p == NULL);
}

/* A binary tree of detached tasks: the node at depth d spawns two of depth d-1. */
static int tree_task(void *arg)
{
    intptr_t depth = (intptr_t)arg;
    atomic_fetch_add(&g_count, 1);
    if (depth > 0) {
        for (int k = 0; k < 2; k++) {
            int rc = arayon_spawn(g_pool, tree_task, (void *)(depth - 1));
            if (rc != ARAYON_OK)
                atomic_fetch_add(&g_inner_errors, 1);
        }
    }
    return 0;
}

static void test_detached_tree(unsigned nthreads)
{
    test_phase("detached task tree drained by shutdown");
    const int depth = TEST_TSAN ? 14 : 16;
    const int roots = 3;
    g_pool = make_pool(nthreads);
    atomic_store(&g_count, 0);
    atomic_store(&g_inner_errors, 0);
    for (int r = 0; r < roots; r++)
        CHECK_OK(arayon_spawn(g_pool, tree_task, (void *)(intptr_t)depth));
    CHECK_OK(arayon_pool_shutdown(g_pool));
    long per_tree = (1L << (depth + 1)) - 1;
    CHECK_EQ(atomic_load(&g_inner_errors), 0);
    CHECK_EQ(atomic_load(&g_count), roots * per_tree);
    check_stats_quiescent(g_pool, (uint64_t)(roots * per_tree), (uint64_t)(roots * per_tree), 0,
                          (uint64_t)roots);
    arayon_pool_destroy(&g_pool);
    CHECK(g_pool == NULL);
}

/* ---------------------------------------------------------------------------------------
 * Handles
 * ------------------------------------------------------------------------------------- */
static int return_arg_task(void *arg)
{
    atomic_fetch_add(&g_count, 1);
    return (int)(intptr_t)arg;
}

static void test_handle_outcomes(void)
{
    test_phase("spawn_handle + wait outcomes and raw results");
    arayon_pool_t *p = make_pool(2);
    atomic_store(&g_count, 0);
    /* Values that look like arayon codes must still come back raw. */
    static const int values[] = {0, 1, 42, -1, -4, -7, 1000000, -2147483647 - 1, 2147483647};
    const int nv = (int)(sizeof values / sizeof values[0]);
    uint64_t nfailed = 0;
    for (int i = 0; i < nv; i++) {
        arayon_task_t *h = NULL;
        CHECK_OK(arayon_spawn_handle(p, return_arg_task, (void *)(intptr_t)values[i], &h));
        CHECK(h != NULL);
        int expected = values[i] == 0 ? ARAYON_OK : ARAYON_EFAILED;
        CHECK_RC(arayon_task_wait(h), expected);
        CHECK_RC(arayon_task_wait(h), expected); /* waiting again gives the same outcome */
        CHECK_OK(arayon_task_poll(h));
        int raw = 12345;
        CHECK_OK(arayon_task_result(h, &raw));
        CHECK_EQ(raw, values[i]);
        arayon_task_release(h);
        if (values[i] != 0)
            nfailed++;
    }
    CHECK_EQ(atomic_load(&g_count), nv);
    CHECK_OK(arayon_pool_shutdown(p));
    check_stats_quiescent(p, (uint64_t)nv, (uint64_t)nv - nfailed, nfailed, (uint64_t)nv);
    arayon_pool_destroy(&p);
}

typedef struct square_job {
    long in;
    long out;
} square_job;

static int square_task(void *arg)
{
    square_job *j = arg;
    j->out = j->in * j->in;
    return j->in % 7 == 3 ? 1 : 0; /* every 7th one "fails" */
}

static void test_many_handles(unsigned nthreads)
{
    test_phase("many handles waited out of order");
    const int n = 40000 / TEST_SCALE_DOWN;
    arayon_pool_t *p = make_pool(nthreads);
    square_job *jobs = calloc((size_t)n, sizeof *jobs);
    arayon_task_t **h = calloc((size_t)n, sizeof *h);
    CHECK(jobs && h);
    for (int i = 0; i < n; i++) {
        jobs[i].in = i;
        jobs[i].out = -1;
        CHECK_OK(arayon_spawn_handle(p, square_task, &jobs[i], &h[i]));
    }
    /* Wait in reverse order: the last spawned is the most likely still to be queued. */
    uint64_t nfailed = 0;
    for (int i = n - 1; i >= 0; i--) {
        int expected_raw = i % 7 == 3 ? 1 : 0;
        CHECK_RC(arayon_task_wait(h[i]), expected_raw ? ARAYON_EFAILED : ARAYON_OK);
        int raw = -1;
        CHECK_OK(arayon_task_result(h[i], &raw));
        CHECK_EQ(raw, expected_raw);
        CHECK_EQ(jobs[i].out, (long)i * i);
        nfailed += (uint64_t)expected_raw;
        arayon_task_release(h[i]);
    }
    CHECK_OK(arayon_pool_shutdown(p));
    check_stats_quiescent(p, (uint64_t)n, (uint64_t)n - nfailed, nfailed, (uint64_t)n);
    arayon_pool_destroy(&p);
    free(jobs);
    free(h);
}

/* Tasks spawned from inside tasks with handles: a task spawns children, waits for them
 * and returns the sum of their results as its own "raw" return value. */
static int sum_children_task(void *arg)
{
    intptr_t k = (intptr_t)arg;
    arayon_task_t *h[8];
    for (intptr_t i = 0; i < k; i++) {
        int rc = arayon_spawn_handle(g_pool, return_arg_task, (void *)(i + 1), &h[i]);
        if (rc != ARAYON_OK) {
            atomic_fetch_add(&g_inner_errors, 1);
            return -1;
        }
    }
    int sum = 0;
    for (intptr_t i = 0; i < k; i++) {
        int rc = arayon_task_wait(h[i]);
        int raw = 0;
        if (rc != ARAYON_EFAILED || arayon_task_result(h[i], &raw) != ARAYON_OK)
            atomic_fetch_add(&g_inner_errors, 1);
        sum += raw;
        arayon_task_release(h[i]);
    }
    return sum;
}

static void test_handles_inside(unsigned nthreads)
{
    test_phase("handles spawned and waited inside tasks");
    g_pool = make_pool(nthreads);
    atomic_store(&g_count, 0);
    atomic_store(&g_inner_errors, 0);
    const int n = 2000 / TEST_SCALE_DOWN + 8;
    arayon_task_t **h = calloc((size_t)n, sizeof *h);
    CHECK(h);
    long children = 0;
    for (int i = 0; i < n; i++) {
        intptr_t k = 1 + i % 8;
        children += k;
        CHECK_OK(arayon_spawn_handle(g_pool, sum_children_task, (void *)k, &h[i]));
    }
    for (int i = 0; i < n; i++) {
        int k = 1 + i % 8;
        CHECK_RC(arayon_task_wait(h[i]), ARAYON_EFAILED); /* sums are non-zero */
        int raw = 0;
        CHECK_OK(arayon_task_result(h[i], &raw));
        CHECK_EQ(raw, k * (k + 1) / 2);
        arayon_task_release(h[i]);
    }
    CHECK_EQ(atomic_load(&g_inner_errors), 0);
    CHECK_EQ(atomic_load(&g_count), children);
    CHECK_OK(arayon_pool_shutdown(g_pool));
    /* Every task returned non-zero: all of them count as failed. */
    check_stats_quiescent(g_pool, (uint64_t)(n + children), 0, (uint64_t)(n + children),
                          (uint64_t)n);
    arayon_pool_destroy(&g_pool);
    free(h);
}

static void test_null_config(void)
{
    test_phase("pool from a NULL config");
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(NULL, &p));
    CHECK(p != NULL);
    unsigned n = arayon_pool_num_threads(p);
    CHECK_GE(n, 1);
    CHECK_LE(n, ARAYON_MAX_THREADS);
    atomic_store(&g_count, 0);
    for (int i = 0; i < 100; i++)
        CHECK_OK(arayon_spawn(p, count_task, NULL));
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(p, count_task, NULL, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_OK(arayon_pool_shutdown(p));
    CHECK_EQ(atomic_load(&g_count), 101);
    check_stats_quiescent(p, 101, 101, 0, 101);
    arayon_pool_destroy(&p);
}

/* Snapshots taken right after a wait satisfy the documented identity (the values may still
 * be moving, so only the identity is checked, not the numbers). */
static void test_stats_identity_while_running(void)
{
    test_phase("stats identity after waits");
    arayon_pool_t *p = make_pool(2);
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 20; i++)
            CHECK_OK(arayon_spawn(p, count_task, NULL));
        arayon_task_t *h = NULL;
        CHECK_OK(arayon_spawn_handle(p, count_task, NULL, &h));
        CHECK_OK(arayon_task_wait(h));
        arayon_task_release(h);
        arayon_stats_t st;
        CHECK_OK(arayon_pool_stats(p, &st));
        CHECK_EQ(st.spawned,
                 st.completed + st.failed + st.cancelled + st.timed_out + st.pending);
        CHECK_LE(st.spawned, (uint64_t)(round + 1) * 21);
        CHECK_GE(st.completed, (uint64_t)(round + 1)); /* at least the waited handles */
    }
    CHECK_OK(arayon_pool_shutdown(p));
    check_stats_quiescent(p, 50 * 21, 50 * 21, 0, 50 * 21);
    arayon_pool_destroy(&p);
}

/* ---------------------------------------------------------------------------------------
 * Waking parked workers
 *
 * Each round first lets the pool go idle long enough for its workers to park (the default
 * spin is 50 us), then spawns from outside and waits. A lost wake-up hangs a round, which
 * the watchdog reports; the sleeps only make parking likely, the checks are on counts.
 * ------------------------------------------------------------------------------------- */
static void test_wake_parked(unsigned nthreads)
{
    test_phase("spawns wake parked workers");
    arayon_pool_t *p = make_pool(nthreads);
    atomic_store(&g_count, 0);
    const int rounds = TEST_TSAN ? 60 : 300;
    long expected = 0;
    for (int r = 0; r < rounds; r++) {
        test_sleep_us(100 + (unsigned)(r % 5) * 100);
        switch (r % 3) {
        case 0: { /* one handle */
            arayon_task_t *h = NULL;
            CHECK_OK(arayon_spawn_handle(p, count_task, NULL, &h));
            CHECK_OK(arayon_task_wait(h));
            arayon_task_release(h);
            expected += 1;
            break;
        }
        case 1: { /* a scope with a few tasks */
            arayon_scope_t *s = NULL;
            CHECK_OK(arayon_scope_begin(p, &s));
            for (int i = 0; i <= r % 4; i++)
                CHECK_OK(arayon_scope_spawn(s, count_task, NULL, NULL));
            CHECK_OK(arayon_scope_end(&s));
            expected += 1 + r % 4;
            break;
        }
        default: { /* detached, then a handle behind them */
            for (int i = 0; i < 3; i++)
                CHECK_OK(arayon_spawn(p, count_task, NULL));
            arayon_task_t *h = NULL;
            CHECK_OK(arayon_spawn_handle(p, count_task, NULL, &h));
            CHECK_OK(arayon_task_wait(h));
            arayon_task_release(h);
            expected += 4;
            break;
        }
        }
    }
    CHECK_OK(arayon_pool_shutdown(p));
    CHECK_EQ(atomic_load(&g_count), expected);
    arayon_stats_t st;
    CHECK_OK(arayon_pool_stats(p, &st));
    fprintf(stderr, "   %d rounds, %llu parks, %llu wakeups\n", rounds,
            (unsigned long long)st.parks, (unsigned long long)st.wakeups);
    check_stats_quiescent(p, (uint64_t)expected, (uint64_t)expected, 0, (uint64_t)expected);
    arayon_pool_destroy(&p);
}

/* ---------------------------------------------------------------------------------------
 * Tasks that wait for each other: every worker must take part
 *
 * n tasks meet at a barrier (a mutex and condition variable, not an arayon wait, so a
 * waiting task does not run the others itself): they can only all arrive if all n workers
 * run one each at the same time. Before each round the pool goes idle so that its workers
 * park; the round's spawns must wake every one of them, whether they come from outside
 * (the injection queue) or from a task. A worker left asleep shows up as a barrier that
 * times out (after many seconds: a correct runtime gets there in microseconds).
 * ------------------------------------------------------------------------------------- */
typedef struct barrier {
    pthread_mutex_t m;
    pthread_cond_t c;
    unsigned parties, arrived, generation;
} barrier;

static barrier g_barrier = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};

/* Returns false if the other parties did not all arrive within 10 s. */
static bool barrier_wait(barrier *b)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&b->m);
    unsigned gen = b->generation;
    bool ok = true;
    if (++b->arrived == b->parties) {
        b->arrived = 0;
        b->generation++;
        pthread_cond_broadcast(&b->c);
    } else {
        while (gen == b->generation) {
            if (pthread_cond_timedwait(&b->c, &b->m, &until) != 0 && gen == b->generation) {
                ok = false;
                b->arrived--; /* leave, so that the count stays right for a report */
                break;
            }
        }
    }
    pthread_mutex_unlock(&b->m);
    return ok;
}

static int barrier_task(void *arg)
{
    (void)arg;
    if (!barrier_wait(&g_barrier))
        atomic_fetch_add(&g_inner_errors, 1);
    atomic_fetch_add(&g_count, 1);
    return 0;
}

/* Spawns the other n-1 parties, then is the n-th itself. */
static int barrier_spawner_task(void *arg)
{
    intptr_t others = (intptr_t)arg;
    for (intptr_t i = 0; i < others; i++)
        if (arayon_spawn(g_pool, barrier_task, NULL) != ARAYON_OK)
            atomic_fetch_add(&g_inner_errors, 1);
    return barrier_task(NULL);
}

static void test_all_workers_wake(unsigned nthreads)
{
    test_phase("tasks that wait for each other wake every worker");
    g_pool = make_pool(nthreads);
    atomic_store(&g_count, 0);
    atomic_store(&g_inner_errors, 0);
    g_barrier.parties = nthreads;
    g_barrier.arrived = 0;
    const int rounds = TEST_TSAN ? 10 : 30;
    for (int r = 0; r < rounds; r++) {
        test_sleep_us(1000); /* idle: the workers park (the test passes either way) */
        if (r % 2 == 0) {
            for (unsigned i = 0; i < nthreads; i++)
                CHECK_OK(arayon_spawn(g_pool, barrier_task, NULL));
        } else {
            intptr_t others = (intptr_t)nthreads - 1;
            CHECK_OK(arayon_spawn(g_pool, barrier_spawner_task, (void *)others));
        }
        WAIT_UNTIL_GE(&g_count, (long)(r + 1) * nthreads);
        CHECK_MSG(atomic_load(&g_inner_errors) == 0,
                  "round %d: %u tasks waiting for each other did not all run at once: a worker "
                  "was not woken", r, nthreads);
    }
    CHECK_OK(arayon_pool_shutdown(g_pool));
    CHECK_EQ(atomic_load(&g_count), (long)rounds * nthreads);
    arayon_pool_destroy(&g_pool);
}

/* ---------------------------------------------------------------------------------------
 * Several outside threads spawning at once (the injection queue has many producers)
 *
 * Each producer spawns detached tasks and tasks with handles, waits for some handles right
 * away and pauses now and then so that the pool goes idle and its workers park: every
 * empty -> non-empty transition of the queue must wake a worker, or a wait hangs.
 * ------------------------------------------------------------------------------------- */
typedef struct producer {
    arayon_pool_t *pool;
    int id;
    long spawned;
    int rc;
} producer;

static void *producer_main(void *arg)
{
    producer *pr = arg;
    const long n = 30000 / TEST_SCALE_DOWN;
    pr->rc = ARAYON_OK;
    pr->spawned = 0;
    for (long i = 0; i < n && pr->rc == ARAYON_OK; i++) {
        if (i % 16 == 7) {
            arayon_task_t *h = NULL;
            int rc = arayon_spawn_handle(pr->pool, add_task, (void *)(intptr_t)1, &h);
            if (rc == ARAYON_OK)
                rc = arayon_task_wait(h);
            arayon_task_release(h);
            if (rc != ARAYON_OK)
                pr->rc = rc;
        } else {
            int rc = arayon_spawn(pr->pool, add_task, (void *)(intptr_t)1);
            if (rc != ARAYON_OK)
                pr->rc = rc;
        }
        pr->spawned++;
        if (i % 2000 == 1999)
            test_sleep_us(200 + 100 * (unsigned)pr->id); /* let the pool go idle */
    }
    return NULL;
}

static void test_many_producers(unsigned nthreads)
{
    test_phase("several outside threads spawn at once");
    enum { P = 4 };
    arayon_pool_t *p = make_pool(nthreads);
    atomic_store(&g_count, 0);
    producer pr[P];
    pthread_t th[P];
    for (int i = 0; i < P; i++) {
        pr[i] = (producer){p, i, 0, ARAYON_OK};
        CHECK_EQ(pthread_create(&th[i], NULL, producer_main, &pr[i]), 0);
    }
    long total = 0;
    for (int i = 0; i < P; i++) {
        CHECK_EQ(pthread_join(th[i], NULL), 0);
        CHECK_RC(pr[i].rc, ARAYON_OK);
        total += pr[i].spawned;
    }
    CHECK_OK(arayon_pool_shutdown(p));
    CHECK_EQ(atomic_load(&g_count), total);
    check_stats_quiescent(p, (uint64_t)total, (uint64_t)total, 0, (uint64_t)total);
    arayon_pool_destroy(&p);
}

/* ---------------------------------------------------------------------------------------
 * Two pools: tasks of one use the other (they are "outside" it)
 * ------------------------------------------------------------------------------------- */
static arayon_pool_t *g_other;

static int cross_task(void *arg)
{
    (void)arg;
    /* detached into the other pool */
    if (arayon_spawn(g_other, count_task, NULL) != ARAYON_OK)
        atomic_fetch_add(&g_inner_errors, 1);
    /* a handle of the other pool, waited here (blocks this worker: it is not the other
     * pool's worker, so it cannot help there) */
    arayon_task_t *h = NULL;
    if (arayon_spawn_handle(g_other, count_task, NULL, &h) != ARAYON_OK ||
        arayon_task_wait(h) != ARAYON_OK)
        atomic_fetch_add(&g_inner_errors, 1);
    arayon_task_release(h);
    /* a scope of the other pool, owned by this task */
    arayon_scope_t *s = NULL;
    if (arayon_scope_begin(g_other, &s) != ARAYON_OK) {
        atomic_fetch_add(&g_inner_errors, 1);
        return 1;
    }
    for (int i = 0; i < 5; i++)
        if (arayon_scope_spawn(s, count_task, NULL, NULL) != ARAYON_OK)
            atomic_fetch_add(&g_inner_errors, 1);
    if (arayon_scope_end(&s) != ARAYON_OK)
        atomic_fetch_add(&g_inner_errors, 1);
    return 0;
}

static void test_two_pools(void)
{
    test_phase("tasks of one pool spawning into another");
    g_pool = make_pool(2);
    g_other = make_pool(2);
    atomic_store(&g_count, 0);
    atomic_store(&g_inner_errors, 0);
    const int n = 2000 / TEST_SCALE_DOWN + 10;
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(g_pool, &s));
    for (int i = 0; i < n; i++)
        CHECK_OK(arayon_scope_spawn(s, cross_task, NULL, NULL));
    CHECK_OK(arayon_scope_end(&s));
    CHECK_EQ(atomic_load(&g_inner_errors), 0);
    CHECK_OK(arayon_pool_shutdown(g_other)); /* drains the detached ones */
    CHECK_EQ(atomic_load(&g_count), 7L * n);
    check_stats_quiescent(g_other, 7 * (uint64_t)n, 7 * (uint64_t)n, 0, 7 * (uint64_t)n);
    CHECK_OK(arayon_pool_shutdown(g_pool));
    check_stats_quiescent(g_pool, (uint64_t)n, (uint64_t)n, 0, (uint64_t)n);
    arayon_pool_destroy(&g_other);
    arayon_pool_destroy(&g_pool);
}

int main(void)
{
    test_watchdog(110);
    CHECK_STREQ(arayon_version(), ARAYON_VERSION_STRING);
    static const unsigned sizes[] = {1, 2, 4};
    for (int i = 0; i < 3; i++) {
        fprintf(stderr, "== %u worker(s)\n", sizes[i]);
        test_detached(sizes[i]);
        test_detached_tree(sizes[i]);
        test_many_handles(sizes[i]);
        test_handles_inside(sizes[i]);
        test_wake_parked(sizes[i]);
        test_many_producers(sizes[i]);
        test_all_workers_wake(sizes[i]);
    }
    test_two_pools();
    test_handle_outcomes();
    test_null_config();
    test_stats_identity_while_running();
    fprintf(stderr, "test_spawn: OK\n");
    return 0;
}
