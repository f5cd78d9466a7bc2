/*
 * test_scope.c - scopes (task groups).
 *
 *   nested           tasks of an outer scope each run an inner scope of their own
 *   self-spawning    tasks spawn more tasks into their own scope; the owner's scope_end
 *                    waits for all of them
 *   wait-then-more   scope_wait, more spawns, scope_end (the scope stays usable)
 *   first failure    scope_wait/scope_end report EFAILED; the first failure wins over a
 *                    later cancellation
 *   cancel queued    one worker held by a gate task: the scope's queued tasks never run and
 *                    finish ECANCELED (handles, scope_end and stats.cancelled agree)
 *   cancel running   a running task sees arayon_cancelled() become true
 *   cancelled spawn  spawning into a cancelled scope succeeds; the task never runs
 *   recursive cancel cancelling a scope cancels scopes begun inside its tasks, at any depth
 *   non-owner        scope_wait/scope_end from another thread or from a task return EINVAL
 *                    and leave the scope usable
 *   many owners      several external threads each run scopes on the same pool
 *
 * Orderings come from gates (test_gate in check.h) and counters, never from sleeping.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "check.h"

static arayon_pool_t *g_pool;
static atomic_long g_count;
static atomic_long g_errors;
static atomic_int g_first_error;

static void note_error(int rc)
{
    int zero = 0;
    atomic_compare_exchange_strong(&g_first_error, &zero, rc);
    atomic_fetch_add(&g_errors, 1);
}

static void reset_counters(void)
{
    atomic_store(&g_count, 0);
    atomic_store(&g_errors, 0);
    atomic_store(&g_first_error, 0);
}

static void check_no_task_errors(void)
{
    long n = atomic_load(&g_errors);
    int rc = atomic_load(&g_first_error);
    CHECK_MSG(n == 0, "%ld checks or arayon calls failed inside tasks, first code %d (%s)", n,
              rc, arayon_errname(rc));
}

/* CHECK inside a task: record, don't exit from under the runtime (the main thread reports). */
#define TASK_CHECK(cond)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: task check failed: %s\n", __FILE__, __LINE__, #cond);   \
            note_error(ARAYON_EINVAL);                                                      \
        }                                                                                   \
    } while (0)
#define TASK_RC(call, expected)                                                             \
    do {                                                                                    \
        int task_rc_ = (call);                                                              \
        if (task_rc_ != (expected)) {                                                       \
            fprintf(stderr, "%s:%d: task call %s returned %s\n", __FILE__, __LINE__, #call, \
                    arayon_errname(task_rc_));                                              \
            note_error(task_rc_ ? task_rc_ : ARAYON_EINVAL);                                \
        }                                                                                   \
    } while (0)

static void pool_start(unsigned n)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = n;
    CHECK_OK(arayon_pool_create(&cfg, &g_pool));
    reset_counters();
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
    CHECK(g_pool == NULL);
    check_no_task_errors();
    return st;
}

static int count_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_count, 1);
    return 0;
}

/* Waits (bounded) until arayon_cancelled() is true; returns whether it became true. */
static bool wait_for_cancelled(void)
{
    uint64_t t0 = test_now_ns();
    while (!arayon_cancelled()) {
        if (test_now_ns() - t0 > TEST_HANG_NS)
            return false;
        sched_yield();
    }
    return true;
}

/* ---------------------------------------------------------------------------------------
 * Nested scopes
 * ------------------------------------------------------------------------------------- */
typedef struct nest_arg {
    int inner_tasks;
    atomic_long inner_count;
} nest_arg;

static int inner_count_task(void *arg)
{
    nest_arg *a = arg;
    atomic_fetch_add(&a->inner_count, 1);
    atomic_fetch_add(&g_count, 1);
    return 0;
}

static int outer_task(void *arg)
{
    nest_arg *a = arg;
    TASK_CHECK(!arayon_cancelled());
    arayon_scope_t *s = NULL;
    TASK_RC(arayon_scope_begin(g_pool, &s), ARAYON_OK);
    if (!s)
        return 1;
    for (int i = 0; i < a->inner_tasks; i++)
        TASK_RC(arayon_scope_spawn(s, inner_count_task, a, NULL), ARAYON_OK);
    TASK_RC(arayon_scope_end(&s), ARAYON_OK);
    TASK_CHECK(s == NULL);
    /* the inner scope has ended: all of its tasks ran */
    TASK_CHECK(atomic_load(&a->inner_count) == a->inner_tasks);
    atomic_fetch_add(&g_count, 1);
    return 0;
}

static void test_nested(unsigned nthreads)
{
    test_phase("nested scopes");
    pool_start(nthreads);
    enum { OUTER = 400 };
    static nest_arg args[OUTER];
    long expected = 0;
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(g_pool, &s));
    for (int i = 0; i < OUTER; i++) {
        args[i].inner_tasks = 1 + i % 13;
        atomic_init(&args[i].inner_count, 0);
        expected += 1 + args[i].inner_tasks;
        CHECK_OK(arayon_scope_spawn(s, outer_task, &args[i], NULL));
    }
    CHECK_OK(arayon_scope_end(&s));
    CHECK(s == NULL);
    CHECK_EQ(atomic_load(&g_count), expected);
    for (int i = 0; i < OUTER; i++)
        CHECK_EQ(atomic_load(&args[i].inner_count), args[i].inner_tasks);
    arayon_stats_t st = pool_stop();
    CHECK_EQ(st.spawned, expected);
    CHECK_EQ(st.completed, expected);
}

/* ---------------------------------------------------------------------------------------
 * Tasks spawning into their own scope
 * ------------------------------------------------------------------------------------- */
typedef struct tree_arg {
    arayon_scope_t *scope;
    int depth;
} tree_arg;

static tree_arg *g_tree_nodes; /* preallocated: node i has children 2i+1, 2i+2 */
static int g_tree_depth;

static int tree_task(void *arg)
{
    tree_arg *a = arg;
    long i = a - g_tree_nodes;
    atomic_fetch_add(&g_count, 1);
    if (a->depth < g_tree_depth) {
        for (long c = 2 * i + 1; c <= 2 * i + 2; c++) {
            g_tree_nodes[c].scope = a->scope;
            g_tree_nodes[c].depth = a->depth + 1;
            TASK_RC(arayon_scope_spawn(a->scope, tree_task, &g_tree_nodes[c], NULL), ARAYON_OK);
        }
    }
    return 0;
}

static void test_self_spawning(unsigned nthreads)
{
    test_phase("tasks spawning into their own scope");
    pool_start(nthreads);
    g_tree_depth = TEST_TSAN ? 13 : 15;
    long nodes = (1L << (g_tree_depth + 1)) - 1;
    g_tree_nodes = calloc((size_t)nodes, sizeof *g_tree_nodes);
    CHECK(g_tree_nodes);
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(g_pool, &s));
    g_tree_nodes[0].scope = s;
    g_tree_nodes[0].depth = 0;
    CHECK_OK(arayon_scope_spawn(s, tree_task, &g_tree_nodes[0], NULL));
    CHECK_OK(arayon_scope_end(&s));
    /* Checked before shutdown: the scope itself waited for the whole tree. */
    CHECK_EQ(atomic_load(&g_count), nodes);
    arayon_stats_t st = pool_stop();
    CHECK_EQ(st.spawned, nodes);
    free(g_tree_nodes);
}

/* The same from inside a task: a task owns the scope, its tasks add more. */
static int tree_root_task(void *arg)
{
    (void)arg;
    arayon_scope_t *s = NULL;
    TASK_RC(arayon_scope_begin(g_pool, &s), ARAYON_OK);
    if (!s)
        return 1;
    g_tree_nodes[0].scope = s;
    g_tree_nodes[0].depth = 0;
    TASK_RC(arayon_scope_spawn(s, tree_task, &g_tree_nodes[0], NULL), ARAYON_OK);
    TASK_RC(arayon_scope_wait(s), ARAYON_OK);
    long nodes = (1L << (g_tree_depth + 1)) - 1;
    TASK_CHECK(atomic_load(&g_count) == nodes);
    /* the scope is still usable after the wait */
    TASK_RC(arayon_scope_spawn(s, count_task, NULL, NULL), ARAYON_OK);
    TASK_RC(arayon_scope_end(&s), ARAYON_OK);
    TASK_CHECK(atomic_load(&g_count) == nodes + 1);
    return 0;
}

static void test_self_spawning_in_task(unsigned nthreads)
{
    test_phase("tasks spawning into a scope owned by a task");
    pool_start(nthreads);
    g_tree_depth = TEST_TSAN ? 12 : 14;
    long nodes = (1L << (g_tree_depth + 1)) - 1;
    g_tree_nodes = calloc((size_t)nodes, sizeof *g_tree_nodes);
    CHECK(g_tree_nodes);
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, tree_root_task, NULL, &h));
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    check_no_task_errors();
    CHECK_EQ(atomic_load(&g_count), nodes + 1);
    pool_stop();
    free(g_tree_nodes);
}

/* ---------------------------------------------------------------------------------------
 * scope_wait, then more spawns, then scope_end
 * ------------------------------------------------------------------------------------- */
static void test_wait_then_more(unsigned nthreads)
{
    test_phase("scope_wait then more spawns then scope_end");
    pool_start(nthreads);
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(g_pool, &s));
    CHECK_OK(arayon_scope_wait(s)); /* empty scope: returns at once */
    long total = 0;
    for (int round = 1; round <= 5; round++) {
        for (int i = 0; i < 100 * round; i++)
            CHECK_OK(arayon_scope_spawn(s, count_task, NULL, NULL));
        total += 100 * round;
        CHECK_OK(arayon_scope_wait(s));
        CHECK_EQ(atomic_load(&g_count), total);
    }
    for (int i = 0; i < 77; i++)
        CHECK_OK(arayon_scope_spawn(s, count_task, NULL, NULL));
    CHECK_OK(arayon_scope_end(&s));
    CHECK(s == NULL);
    CHECK_EQ(atomic_load(&g_count), total + 77);
    arayon_stats_t st = pool_stop();
    CHECK_EQ(st.spawned, total + 77);
    CHECK_EQ(st.completed, total + 77);
}

/* ---------------------------------------------------------------------------------------
 * First failure
 * ------------------------------------------------------------------------------------- */
static int fail_task(void *arg)
{
    atomic_fetch_add(&g_count, 1);
    return (int)(intptr_t)arg;
}

static void test_first_failure(unsigned nthreads)
{
    test_phase("scope_end returns the first failure");
    pool_start(nthreads);

    /* One failure among many successes. */
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(g_pool, &s));
    arayon_task_t *bad = NULL;
    for (int i = 0; i < 50; i++)
        CHECK_OK(arayon_scope_spawn(s, count_task, NULL, NULL));
    CHECK_OK(arayon_scope_spawn(s, fail_task, (void *)(intptr_t)5, &bad));
    for (int i = 0; i < 50; i++)
        CHECK_OK(arayon_scope_spawn(s, count_task, NULL, NULL));
    CHECK_RC(arayon_scope_wait(s), ARAYON_EFAILED);
    CHECK_EQ(atomic_load(&g_count), 101); /* a failure does not stop the others */
    CHECK_RC(arayon_task_wait(bad), ARAYON_EFAILED);
    int raw = 0;
    CHECK_OK(arayon_task_result(bad, &raw));
    CHECK_EQ(raw, 5);
    arayon_task_release(bad);
    /* The failure is among "the tasks spawned so far", so later waits still report it. */
    for (int i = 0; i < 10; i++)
        CHECK_OK(arayon_scope_spawn(s, count_task, NULL, NULL));
    CHECK_RC(arayon_scope_wait(s), ARAYON_EFAILED);
    /* A cancellation after the failure: the failure came first. */
    CHECK_OK(arayon_scope_cancel(s));
    arayon_task_t *c = NULL;
    CHECK_OK(arayon_scope_spawn(s, count_task, NULL, &c));
    CHECK_RC(arayon_task_wait(c), ARAYON_ECANCELED);
    arayon_task_release(c);
    CHECK_RC(arayon_scope_end(&s), ARAYON_EFAILED);
    CHECK(s == NULL);
    CHECK_EQ(atomic_load(&g_count), 111);

    /* A cancellation first, then nothing else: scope_end reports ECANCELED. */
    CHECK_OK(arayon_scope_begin(g_pool, &s));
    CHECK_OK(arayon_scope_spawn(s, count_task, NULL, NULL));
    CHECK_OK(arayon_scope_wait(s));
    CHECK_OK(arayon_scope_cancel(s));
    CHECK_OK(arayon_scope_spawn(s, fail_task, (void *)(intptr_t)9, NULL));
    CHECK_RC(arayon_scope_end(&s), ARAYON_ECANCELED);
    CHECK_EQ(atomic_load(&g_count), 112); /* fail_task never ran */

    /* All tasks failing: still EFAILED, every one ran. */
    CHECK_OK(arayon_scope_begin(g_pool, &s));
    for (int i = 1; i <= 30; i++)
        CHECK_OK(arayon_scope_spawn(s, fail_task, (void *)(intptr_t)i, NULL));
    CHECK_RC(arayon_scope_end(&s), ARAYON_EFAILED);
    CHECK_EQ(atomic_load(&g_count), 142);

    arayon_stats_t st = pool_stop();
    CHECK_EQ(st.failed, 31);
    CHECK_EQ(st.cancelled, 2);
    CHECK_EQ(st.completed, 111);
}

/* ---------------------------------------------------------------------------------------
 * Cancelling queued tasks
 * ------------------------------------------------------------------------------------- */
static test_gate g_gate;
static atomic_int g_gate_started;

/* Holds its worker until the test opens g_gate. */
static int gate_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_gate_started, 1);
    gate_wait(&g_gate);
    return 0;
}

static void test_cancel_queued(void)
{
    test_phase("scope_cancel: queued tasks never run");
    pool_start(1);
    gate_init(&g_gate);
    atomic_store(&g_gate_started, 0);
    arayon_task_t *gh = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, gate_task, NULL, &gh));
    WAIT_UNTIL_GE(&g_gate_started, 1); /* the only worker is now busy */

    enum { N = 64 };
    arayon_task_t *h[N];
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(g_pool, &s));
    for (int i = 0; i < N; i++)
        CHECK_OK(arayon_scope_spawn(s, count_task, NULL, i % 2 ? &h[i] : NULL));
    for (int i = 1; i < N; i += 2)
        CHECK_RC(arayon_task_poll(h[i]), ARAYON_ETIMEDOUT);
    CHECK_OK(arayon_scope_cancel(s));
    CHECK_OK(arayon_scope_cancel(s)); /* idempotent */
    gate_open(&g_gate);
    CHECK_RC(arayon_scope_end(&s), ARAYON_ECANCELED);
    CHECK_EQ(atomic_load(&g_count), 0);
    for (int i = 1; i < N; i += 2) {
        CHECK_RC(arayon_task_wait(h[i]), ARAYON_ECANCELED);
        int raw = -1;
        CHECK_OK(arayon_task_result(h[i], &raw));
        CHECK_EQ(raw, 0);
        arayon_task_release(h[i]);
    }
    CHECK_OK(arayon_task_wait(gh));
    arayon_task_release(gh);
    arayon_stats_t st = pool_stop();
    CHECK_EQ(atomic_load(&g_count), 0);
    CHECK_EQ(st.cancelled, N);
    CHECK_EQ(st.completed, 1);
    CHECK_EQ(st.spawned, N + 1);
    gate_destroy(&g_gate);
}

/* ---------------------------------------------------------------------------------------
 * Cancelling running tasks
 * ------------------------------------------------------------------------------------- */
static atomic_int g_running;
static atomic_int g_saw_cancel;

static int until_cancelled_task(void *arg)
{
    (void)arg;
    TASK_CHECK(!arayon_cancelled());
    atomic_fetch_add(&g_running, 1);
    if (wait_for_cancelled())
        atomic_fetch_add(&g_saw_cancel, 1);
    else
        TASK_CHECK(!"arayon_cancelled() never became true");
    return 0;
}

static void test_cancel_running(unsigned nthreads)
{
    test_phase("scope_cancel: running tasks see arayon_cancelled()");
    pool_start(nthreads);
    atomic_store(&g_running, 0);
    atomic_store(&g_saw_cancel, 0);
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(g_pool, &s));
    /* One task per worker, so that all of them are running at once. */
    for (unsigned i = 0; i < nthreads; i++)
        CHECK_OK(arayon_scope_spawn(s, until_cancelled_task, NULL, NULL));
    WAIT_UNTIL_GE(&g_running, (int)nthreads);
    CHECK(!arayon_cancelled()); /* the main thread is not a task */
    CHECK_OK(arayon_scope_cancel(s));
    CHECK(!arayon_cancelled());
    int rc = arayon_scope_end(&s);
    /* They ran and returned 0: no task failed (a cancelled scope may still say so). */
    CHECK_MSG(rc == ARAYON_OK || rc == ARAYON_ECANCELED, "scope_end returned %s",
              arayon_errname(rc));
    CHECK_EQ(atomic_load(&g_saw_cancel), (int)nthreads);
    arayon_stats_t st = pool_stop();
    CHECK_EQ(st.completed, nthreads);
    CHECK_EQ(st.cancelled, 0);
}

/* Cancelling a task's own scope from inside the task. */
static int self_cancel_task(void *arg)
{
    arayon_scope_t *s = arg;
    TASK_CHECK(!arayon_cancelled());
    TASK_RC(arayon_scope_cancel(s), ARAYON_OK);
    TASK_CHECK(arayon_cancelled());
    return 0;
}

static void test_cancel_from_inside(void)
{
    test_phase("scope_cancel from one of the scope's tasks");
    pool_start(1);
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(g_pool, &s));
    CHECK_OK(arayon_scope_spawn(s, self_cancel_task, s, NULL));
    int rc = arayon_scope_wait(s);
    /* The task ran and returned 0 (nothing failed); a cancelled scope may still say so. */
    CHECK_MSG(rc == ARAYON_OK || rc == ARAYON_ECANCELED, "scope_wait returned %s",
              arayon_errname(rc));
    /* later spawns into it are cancelled */
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_scope_spawn(s, count_task, NULL, &h));
    CHECK_RC(arayon_task_wait(h), ARAYON_ECANCELED);
    arayon_task_release(h);
    CHECK_RC(arayon_scope_end(&s), ARAYON_ECANCELED);
    CHECK_EQ(atomic_load(&g_count), 0);
    pool_stop();
}

/* ---------------------------------------------------------------------------------------
 * Spawning into a cancelled scope
 * ------------------------------------------------------------------------------------- */
static void test_spawn_into_cancelled(unsigned nthreads)
{
    test_phase("spawn into an already-cancelled scope");
    pool_start(nthreads);
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(g_pool, &s));
    CHECK_OK(arayon_scope_cancel(s));
    enum { N = 100 };
    arayon_task_t *h[N];
    for (int i = 0; i < N; i++)
        CHECK_OK(arayon_scope_spawn(s, count_task, NULL, i % 4 == 0 ? &h[i] : NULL));
    CHECK_RC(arayon_scope_wait(s), ARAYON_ECANCELED);
    for (int i = 0; i < N; i += 4) {
        CHECK_RC(arayon_task_wait(h[i]), ARAYON_ECANCELED);
        CHECK_OK(arayon_task_poll(h[i]));
        arayon_task_release(h[i]);
    }
    CHECK_RC(arayon_scope_end(&s), ARAYON_ECANCELED);
    CHECK_EQ(atomic_load(&g_count), 0);
    arayon_stats_t st = pool_stop();
    CHECK_EQ(st.spawned, N);
    CHECK_EQ(st.cancelled, N);
    CHECK_EQ(st.completed, 0);
    CHECK_EQ(atomic_load(&g_count), 0);
}

/* ---------------------------------------------------------------------------------------
 * Recursive cancellation
 *
 * main begins scope S and spawns one task into it. Each level-d task (d < depth) begins a
 * scope of its own and spawns `fanout` level-(d+1) tasks into it, then ends it. Leaf tasks
 * count themselves as started and wait for arayon_cancelled(). Once at least one leaf is
 * running, main cancels S only. Every task that ran must have seen the cancellation (leaves
 * wait for it; inner tasks check after their inner scope ended); tasks that had not started
 * never run. After the cancellation a level-1 task also begins a brand-new scope: its task
 * must not run, or run cancelled.
 * ------------------------------------------------------------------------------------- */
typedef struct rec_ctx {
    int depth, fanout;
    atomic_int leaves_started;
    atomic_int leaves_saw_cancel;
    atomic_int inner_saw_cancel;
    atomic_int inner_ran;
    atomic_int late_ran;
    atomic_int late_ran_uncancelled;
} rec_ctx;

static rec_ctx g_rec;

static int late_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_rec.late_ran, 1);
    if (!arayon_cancelled())
        atomic_fetch_add(&g_rec.late_ran_uncancelled, 1);
    return 0;
}

static int rec_task(void *arg)
{
    int d = (int)(intptr_t)arg;
    if (d == g_rec.depth) {
        atomic_fetch_add(&g_rec.leaves_started, 1);
        if (wait_for_cancelled())
            atomic_fetch_add(&g_rec.leaves_saw_cancel, 1);
        else
            TASK_CHECK(!"a leaf never saw the cancellation of an enclosing scope");
        return 0;
    }
    atomic_fetch_add(&g_rec.inner_ran, 1);
    arayon_scope_t *s = NULL;
    TASK_RC(arayon_scope_begin(g_pool, &s), ARAYON_OK);
    if (!s)
        return 1;
    for (int i = 0; i < g_rec.fanout; i++)
        TASK_RC(arayon_scope_spawn(s, rec_task, (void *)(intptr_t)(d + 1), NULL), ARAYON_OK);
    int rc = arayon_scope_end(&s);
    /* The leaves only return once cancelled, so by now the cancellation has happened. */
    TASK_CHECK(rc == ARAYON_OK || rc == ARAYON_ECANCELED);
    if (arayon_cancelled())
        atomic_fetch_add(&g_rec.inner_saw_cancel, 1);
    if (d == 1) {
        /* A scope begun after the enclosing scope was cancelled is cancelled too. */
        arayon_scope_t *late = NULL;
        TASK_RC(arayon_scope_begin(g_pool, &late), ARAYON_OK);
        if (late) {
            arayon_task_t *h = NULL;
            TASK_RC(arayon_scope_spawn(late, late_task, NULL, &h), ARAYON_OK);
            if (h) {
                int hrc = arayon_task_wait(h);
                TASK_CHECK(hrc == ARAYON_ECANCELED || hrc == ARAYON_OK);
                arayon_task_release(h);
            }
            arayon_scope_end(&late);
        }
    }
    return 0;
}

static void test_recursive_cancel(unsigned nthreads, int depth, int fanout)
{
    static char phase[96];
    snprintf(phase, sizeof phase, "recursive cancel: depth %d, fanout %d, %u worker(s)", depth,
             fanout, nthreads);
    test_phase(phase);
    pool_start(nthreads);
    memset(&g_rec, 0, sizeof g_rec);
    g_rec.depth = depth;
    g_rec.fanout = fanout;

    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(g_pool, &s));
    CHECK_OK(arayon_scope_spawn(s, rec_task, (void *)(intptr_t)1, NULL));
    WAIT_UNTIL_GE(&g_rec.leaves_started, 1);
    CHECK_OK(arayon_scope_cancel(s));
    int rc = arayon_scope_end(&s);
    CHECK_MSG(rc == ARAYON_OK || rc == ARAYON_ECANCELED, "scope_end returned %s",
              arayon_errname(rc));
    arayon_stats_t st = pool_stop();

    int leaves_total = 1;
    int inner_total = 0;
    for (int d = 1; d < depth; d++) {
        inner_total += leaves_total;
        leaves_total *= fanout;
    }
    int started = atomic_load(&g_rec.leaves_started);
    fprintf(stderr, "   %d of %d leaves ran, %d of %d inner tasks ran, %llu cancelled\n",
            started, leaves_total, atomic_load(&g_rec.inner_ran), inner_total,
            (unsigned long long)st.cancelled);
    CHECK_GE(started, 1);
    CHECK_LE(started, leaves_total);
    CHECK_EQ(atomic_load(&g_rec.leaves_saw_cancel), started);
    CHECK_EQ(atomic_load(&g_rec.inner_saw_cancel), atomic_load(&g_rec.inner_ran));
    CHECK_EQ(atomic_load(&g_rec.late_ran_uncancelled), 0);
    /* Every task is either run or cancelled: 1 + inner spawns + leaf spawns + late ones. */
    CHECK_EQ(st.spawned, st.completed + st.cancelled);
    CHECK_EQ(st.failed, 0);
    CHECK_EQ(st.completed, (uint64_t)(started + atomic_load(&g_rec.inner_ran) +
                                      atomic_load(&g_rec.late_ran)));
}

/* ---------------------------------------------------------------------------------------
 * Calls from a thread that does not own the scope
 * ------------------------------------------------------------------------------------- */
typedef struct foreign_arg {
    arayon_scope_t *scope;
    int wait_rc, end_rc;
    bool ptr_kept;
} foreign_arg;

static void *foreign_thread(void *p)
{
    foreign_arg *a = p;
    arayon_scope_t *copy = a->scope;
    a->wait_rc = arayon_scope_wait(copy);
    a->end_rc = arayon_scope_end(&copy);
    a->ptr_kept = copy == a->scope;
    return NULL;
}

static int foreign_task(void *p)
{
    foreign_arg *a = p;
    arayon_scope_t *copy = a->scope;
    a->wait_rc = arayon_scope_wait(copy);
    a->end_rc = arayon_scope_end(&copy);
    a->ptr_kept = copy == a->scope;
    return 0;
}

static void test_non_owner(unsigned nthreads)
{
    test_phase("scope_wait/scope_end by a non-owner");
    pool_start(nthreads);
    gate_init(&g_gate);
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(g_pool, &s));
    /* Keep a task of the scope pending while the others try, so a wrong "success" from
     * them would have to wait or free a scope that is still in use. */
    atomic_store(&g_gate_started, 0);
    CHECK_OK(arayon_scope_spawn(s, gate_task, NULL, NULL));
    for (int i = 0; i < 10; i++)
        CHECK_OK(arayon_scope_spawn(s, count_task, NULL, NULL));

    foreign_arg fa = {s, 99, 99, false};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, foreign_thread, &fa), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_RC(fa.wait_rc, ARAYON_EINVAL);
    CHECK_RC(fa.end_rc, ARAYON_EINVAL);
    CHECK(fa.ptr_kept);

    /* A task of the same pool (but not of this scope's owner) is not the owner either. */
    foreign_arg ta = {s, 99, 99, false};
    arayon_task_t *h = NULL;
    CHECK_OK(arayon_spawn_handle(g_pool, foreign_task, &ta, &h));
    if (nthreads == 1) {
        /* the only worker is (or will be) held by gate_task: let it go first */
        gate_open(&g_gate);
    }
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    CHECK_RC(ta.wait_rc, ARAYON_EINVAL);
    CHECK_RC(ta.end_rc, ARAYON_EINVAL);
    CHECK(ta.ptr_kept);

    /* Still usable by its owner. */
    gate_open(&g_gate);
    for (int i = 0; i < 10; i++)
        CHECK_OK(arayon_scope_spawn(s, count_task, NULL, NULL));
    CHECK_OK(arayon_scope_wait(s));
    CHECK_EQ(atomic_load(&g_count), 20);
    CHECK_OK(arayon_scope_end(&s));
    CHECK(s == NULL);
    arayon_stats_t st = pool_stop();
    CHECK_EQ(st.spawned, 22);
    gate_destroy(&g_gate);
}

/* ---------------------------------------------------------------------------------------
 * Several external owners at once
 * ------------------------------------------------------------------------------------- */
typedef struct owner_arg {
    int id;
    atomic_long count;
    int rc;
} owner_arg;

static int owner_count_task(void *p)
{
    owner_arg *a = p;
    atomic_fetch_add(&a->count, 1);
    return 0;
}

static void *owner_thread(void *p)
{
    owner_arg *a = p;
    a->rc = ARAYON_OK;
    for (int round = 0; round < 20 && a->rc == ARAYON_OK; round++) {
        arayon_scope_t *s = NULL;
        int rc = arayon_scope_begin(g_pool, &s);
        if (rc != ARAYON_OK) {
            a->rc = rc;
            break;
        }
        for (int i = 0; i < 50 + a->id; i++)
            if ((rc = arayon_scope_spawn(s, owner_count_task, a, NULL)) != ARAYON_OK)
                a->rc = rc;
        if ((rc = arayon_scope_end(&s)) != ARAYON_OK)
            a->rc = rc;
        /* this owner's scope has ended: exactly its own tasks so far have run */
        if (atomic_load(&a->count) != (long)(round + 1) * (50 + a->id))
            a->rc = ARAYON_EINVAL;
    }
    return NULL;
}

static void test_many_owners(unsigned nthreads)
{
    test_phase("several external threads owning scopes");
    pool_start(nthreads);
    enum { T = 4 };
    owner_arg args[T];
    pthread_t th[T];
    for (int i = 0; i < T; i++) {
        args[i].id = i;
        atomic_init(&args[i].count, 0);
        CHECK_EQ(pthread_create(&th[i], NULL, owner_thread, &args[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        CHECK_EQ(pthread_join(th[i], NULL), 0);
        CHECK_RC(args[i].rc, ARAYON_OK);
        CHECK_EQ(atomic_load(&args[i].count), 20L * (50 + i));
    }
    pool_stop();
}

/* ---------------------------------------------------------------------------------------
 * Many short scopes: the owner's wait racing with the last task's completion
 *
 * Each scope has 1-3 tasks that do a little work, so the owner sometimes finds the count
 * already at zero, sometimes waits while helping, sometimes parks (inside a worker) or
 * blocks (outside) and must be woken by the last task. A lost wake-up is a hang.
 * ------------------------------------------------------------------------------------- */
static int spin_task(void *arg)
{
    unsigned n = (unsigned)(uintptr_t)arg;
    volatile unsigned x = 0;
    for (unsigned k = 0; k < n; k++)
        x += k;
    (void)x;
    atomic_fetch_add(&g_count, 1);
    return 0;
}

static long scope_loop(int rounds)
{
    long done = 0;
    for (int r = 0; r < rounds; r++) {
        arayon_scope_t *s = NULL;
        int rc = arayon_scope_begin(g_pool, &s);
        if (rc != ARAYON_OK) {
            note_error(rc);
            return done;
        }
        int k = 1 + r % 3;
        long before = atomic_load(&g_count);
        for (int i = 0; i < k; i++)
            if ((rc = arayon_scope_spawn(s, spin_task, (void *)(uintptr_t)((r * 7 + i) % 4000),
                                         NULL)) != ARAYON_OK)
                note_error(rc);
        if ((rc = arayon_scope_end(&s)) != ARAYON_OK)
            note_error(rc);
        /* other owners may add concurrently, so only a lower bound is exact here */
        if (atomic_load(&g_count) < before + k)
            note_error(ARAYON_EINVAL);
        done += k;
    }
    return done;
}

static int scope_loop_task(void *arg)
{
    atomic_long *total = arg;
    atomic_fetch_add(total, scope_loop(TEST_TSAN ? 2000 : 8000));
    return 0;
}

static void test_scope_end_races(unsigned nthreads)
{
    test_phase("many short scopes, outside and inside workers");
    pool_start(nthreads);
    atomic_long inside = 0;
    /* Owners inside the pool: one per worker, so that they wait for each other's tasks. */
    arayon_task_t *h[4];
    for (unsigned i = 0; i < nthreads && i < 4; i++)
        CHECK_OK(arayon_spawn_handle(g_pool, scope_loop_task, &inside, &h[i]));
    /* And an owner outside, at the same time. */
    long outside = scope_loop(TEST_TSAN ? 2000 : 8000);
    for (unsigned i = 0; i < nthreads && i < 4; i++) {
        CHECK_OK(arayon_task_wait(h[i]));
        arayon_task_release(h[i]);
    }
    check_no_task_errors();
    CHECK_EQ(atomic_load(&g_count), outside + atomic_load(&inside));
    pool_stop();
}

/* ---------------------------------------------------------------------------------------
 * scope_cancel racing with execution, from another thread
 * ------------------------------------------------------------------------------------- */
static atomic_uchar *g_ran;

static int mark_ran_task(void *arg)
{
    long i = (long)(intptr_t)arg;
    TASK_CHECK(atomic_fetch_add(&g_ran[i], 1) == 0);
    volatile unsigned x = 0;
    for (unsigned k = 0; k < (unsigned)(i % 50) * 20; k++)
        x += k;
    (void)x;
    return 0;
}

typedef struct scope_canceller {
    arayon_scope_t *s;
    atomic_long *spawned;
    long after;
} scope_canceller;

static void *scope_cancel_thread(void *p)
{
    scope_canceller *c = p;
    while (atomic_load(c->spawned) < c->after)
        sched_yield();
    arayon_scope_cancel(c->s);
    return NULL;
}

static void test_cancel_race(unsigned nthreads)
{
    test_phase("scope_cancel racing with execution");
    pool_start(nthreads);
    const long n = 40000 / TEST_SCALE_DOWN;
    arayon_task_t **h = calloc((size_t)n + 1, sizeof *h);
    g_ran = calloc((size_t)n + 1, sizeof *g_ran);
    CHECK(h && g_ran);
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(g_pool, &s));
    atomic_long spawned = 0;
    scope_canceller c = {s, &spawned, n / 2};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, scope_cancel_thread, &c), 0);
    for (long i = 0; i < n; i++) {
        CHECK_OK(arayon_scope_spawn(s, mark_ran_task, (void *)(intptr_t)i, &h[i]));
        atomic_store(&spawned, i + 1);
    }
    CHECK_EQ(pthread_join(th, NULL), 0);
    /* The cancel has happened now: one more spawn is certainly cancelled (the others may
     * all have run before it, on a fast machine). */
    CHECK_OK(arayon_scope_spawn(s, mark_ran_task, (void *)(intptr_t)n, &h[n]));
    int end_rc = arayon_scope_end(&s);
    CHECK_RC(arayon_task_wait(h[n]), ARAYON_ECANCELED);
    long ran = 0, cancelled = 0;
    for (long i = 0; i <= n; i++) {
        int rc = arayon_task_wait(h[i]);
        unsigned r = atomic_load(&g_ran[i]);
        if (rc == ARAYON_ECANCELED) {
            CHECK_MSG(r == 0, "task %ld finished ECANCELED but ran", i);
            cancelled++;
        } else {
            CHECK_RC(rc, ARAYON_OK);
            CHECK_MSG(r == 1, "task %ld finished OK but ran %u times", i, r);
            ran++;
        }
        arayon_task_release(h[i]);
    }
    check_no_task_errors();
    CHECK_GT(cancelled, 0);
    CHECK_RC(end_rc, ARAYON_ECANCELED); /* the first (and only kind of) failure */
    arayon_stats_t st = pool_stop();
    fprintf(stderr, "   %ld ran, %ld cancelled\n", ran, cancelled);
    CHECK_EQ(st.cancelled, cancelled);
    CHECK_EQ(st.completed, ran);
    free(h);
    free(g_ran);
}

int main(void)
{
    test_watchdog(110);
    static const unsigned sizes[] = {1, 2, 3};
    for (int i = 0; i < 3; i++) {
        unsigned n = sizes[i];
        fprintf(stderr, "== %u worker(s)\n", n);
        test_nested(n);
        test_self_spawning(n);
        test_self_spawning_in_task(n);
        test_wait_then_more(n);
        test_first_failure(n);
        test_cancel_running(n);
        test_spawn_into_cancelled(n);
        test_non_owner(n);
        test_many_owners(n);
        test_scope_end_races(n);
        test_cancel_race(n);
    }
    test_cancel_queued();
    test_cancel_from_inside();
    test_recursive_cancel(2, 2, 8);
    test_recursive_cancel(2, 3, 4);
    test_recursive_cancel(3, 4, 3);
    test_recursive_cancel(1, 3, 3);
    fprintf(stderr, "test_scope: OK\n");
    return 0;
}
