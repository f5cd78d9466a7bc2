/*
 * test_timeout.c - per-task deadlines: arayon_spawn_ex (ARAYON_SPAWN_OPTS_INIT, timeout_ns)
 * and the pool's default task_timeout_ns.
 *
 *   before start   one worker held by a gate; a task with a 2 ms deadline is queued behind it;
 *                  the gate opens only after the deadline has certainly passed (measured by
 *                  the test's clock after the spawn returned): the task never runs, its wait
 *                  returns ARAYON_ETIMEDOUT, its result is 0. Detached and scoped ones too.
 *   while running  a task that loops until arayon_cancelled() becomes true: it does (the
 *                  loop ends), and it finishes as ARAYON_ETIMEDOUT whatever it returned (0, 5
 *                  or 7); arayon_task_result() still gives that value. A task with a far
 *                  deadline never sees arayon_cancelled() and completes normally.
 *   pool default   task_timeout_ns applies to arayon_spawn, arayon_spawn_handle,
 *                  arayon_scope_spawn and arayon_spawn_ex with timeout_ns 0; per-task
 *                  timeout_ns overrides it; UINT64_MAX opts out (a task held past the default
 *                  runs, and running past it never sees arayon_cancelled()).
 *   scopes         a scope whose only failures are deadlines ends with ARAYON_ETIMEDOUT.
 *   accounting     metrics.timed_out counts exactly the timed-out tasks; the invariants hold.
 *   bad input      opts.scope of another pool, opts.flags != 0, NULL pool or fn -> EINVAL
 *                  (the task never runs, *out is NULL); NULL opts is fine.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "rc.h"

#define MS (UINT64_C(1000000))

static test_gate g_gate;
static atomic_int g_gate_started;

static int hold(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_gate_started, 1);
    gate_wait(&g_gate);
    return 0;
}

/* Counts its runs; returns the value it points at (after the counter). */
typedef struct runner {
    atomic_int runs;
    atomic_int saw_cancelled_at_start;
    int ret;
} runner;

static int run_once(void *arg)
{
    runner *r = arg;
    atomic_store(&r->saw_cancelled_at_start, arayon_cancelled());
    atomic_fetch_add(&r->runs, 1);
    return r->ret;
}

static arayon_pool_t *make_pool(unsigned n, uint64_t task_timeout_ns)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = n;
    cfg.task_timeout_ns = task_timeout_ns;
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    return p;
}

/* Holds the pool's only worker. */
static void hold_worker(arayon_pool_t *pool)
{
    gate_init(&g_gate);
    atomic_store(&g_gate_started, 0);
    arayon_spawn_opts_t no_deadline = ARAYON_SPAWN_OPTS_INIT;
    no_deadline.timeout_ns = UINT64_MAX; /* the holder itself must not time out */
    CHECK_OK(arayon_spawn_ex(pool, hold, NULL, &no_deadline, NULL));
    WAIT_UNTIL_GE(&g_gate_started, 1);
}

/* Waits until at least d ns have passed since t0 (by the test's monotonic clock, the same
 * clock the runtime uses), so that a deadline of d set before t0 has certainly passed. */
static void sleep_past(uint64_t t0, uint64_t d)
{
    while (test_now_ns() - t0 <= d + 100000)
        test_sleep_us(500);
}

/* ---------------------------------------------------------------------------------------
 * Deadline passes before the task starts
 * ------------------------------------------------------------------------------------- */
static void test_before_start(void)
{
    test_phase("deadline passes before the task starts");
    arayon_pool_t *pool = make_pool(1, 0);
    hold_worker(pool);

    runner r_handle = {0, 0, 0}, r_detached = {0, 0, 0}, r_scoped = {0, 0, 0}, r_ok = {0, 0, 0};
    arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
    o.timeout_ns = 2 * MS;
    arayon_task_t *h = NULL, *h_ok = NULL;
    CHECK_OK(arayon_spawn_ex(pool, run_once, &r_handle, &o, &h));
    CHECK(h != NULL);
    CHECK_OK(arayon_spawn_ex(pool, run_once, &r_detached, &o, NULL));
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(pool, &s));
    arayon_spawn_opts_t os = o;
    os.scope = s;
    CHECK_OK(arayon_spawn_ex(pool, run_once, &r_scoped, &os, NULL));
    /* the same wait with a deadline far away: runs */
    arayon_spawn_opts_t far = ARAYON_SPAWN_OPTS_INIT;
    far.timeout_ns = 3600 * UINT64_C(1000000000);
    CHECK_OK(arayon_spawn_ex(pool, run_once, &r_ok, &far, &h_ok));
    uint64_t t0 = test_now_ns(); /* after the spawns: their deadlines are before t0 + 2 ms */

    sleep_past(t0, o.timeout_ns);
    CHECK_RC(arayon_task_poll(h), ARAYON_ETIMEDOUT); /* not finished: behind the gate */
    int res = -1;
    CHECK_RC(arayon_task_result(h, &res), ARAYON_EBUSY);
    gate_open(&g_gate);

    CHECK_RC(arayon_task_wait(h), ARAYON_ETIMEDOUT);
    CHECK_RC(arayon_task_wait_timeout(h, 0), ARAYON_ETIMEDOUT); /* outcome, already finished */
    CHECK_OK(arayon_task_poll(h));                                /* finished */
    CHECK_OK(arayon_task_result(h, &res));
    CHECK_EQ(res, 0); /* never ran */
    CHECK_RC(arayon_scope_end(&s), ARAYON_ETIMEDOUT);
    CHECK_OK(arayon_task_wait(h_ok));
    CHECK_OK(arayon_pool_shutdown(pool)); /* the detached one finished too */

    CHECK_EQ(atomic_load(&r_handle.runs), 0);
    CHECK_EQ(atomic_load(&r_detached.runs), 0);
    CHECK_EQ(atomic_load(&r_scoped.runs), 0);
    CHECK_EQ(atomic_load(&r_ok.runs), 1);
    CHECK_EQ(atomic_load(&r_ok.saw_cancelled_at_start), 0);

    arayon_metrics_t m = rc_metrics(pool);
    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, 5);
    CHECK_EQ(m.timed_out, 3);
    CHECK_EQ(m.completed, 2);
    CHECK_EQ(m.cancelled + m.failed, 0);
    arayon_task_release(h);
    arayon_task_release(h_ok);
    arayon_pool_destroy(&pool);
    gate_destroy(&g_gate);
}

/* ---------------------------------------------------------------------------------------
 * Deadline passes while the task runs
 * ------------------------------------------------------------------------------------- */
typedef struct looper {
    int ret;
    atomic_int saw_cancel, started, not_cancelled_at_start;
} looper;

/* Runs until its deadline makes arayon_cancelled() true (the test's hang guard aside). */
static int loop_until_cancelled(void *arg)
{
    looper *l = arg;
    atomic_store(&l->started, 1);
    uint64_t t0 = test_now_ns();
    while (!arayon_cancelled()) {
        if (test_now_ns() - t0 > TEST_HANG_NS) {
            fprintf(stderr, "task never saw arayon_cancelled()\n");
            test_fail_exit();
        }
        test_sleep_us(200);
    }
    atomic_store(&l->saw_cancel, 1);
    return l->ret;
}

/* A task that starts after its deadline never runs, so the "while running" cases retry
 * (with a longer deadline) until the looper did start: the first attempt, normally. Each
 * attempt finishes as ARAYON_ETIMEDOUT either way. Returns the number of attempts. */
static int looper_with_handle(arayon_pool_t *pool, looper *l, const arayon_spawn_opts_t *o0,
                              bool double_timeout)
{
    arayon_spawn_opts_t o = *o0;
    for (int attempt = 1;; attempt++) {
        CHECK_LE(attempt, 50);
        l->saw_cancel = 0;
        l->started = 0;
        arayon_task_t *h = NULL;
        CHECK_OK(arayon_spawn_ex(pool, loop_until_cancelled, l, &o, &h));
        CHECK_RC(arayon_task_wait(h), ARAYON_ETIMEDOUT); /* whatever it returned */
        int res = -1;
        CHECK_OK(arayon_task_result(h, &res));
        arayon_task_release(h);
        if (!atomic_load(&l->started)) {
            CHECK_EQ(res, 0);
            if (double_timeout)
                o.timeout_ns *= 2;
            continue;
        }
        CHECK_EQ(atomic_load(&l->saw_cancel), 1); /* arayon_cancelled() became true */
        CHECK_EQ(res, l->ret);                     /* the raw return value is kept */
        return attempt;
    }
}

static void test_while_running(void)
{
    test_phase("deadline passes while the task runs");
    arayon_pool_t *pool = make_pool(2, 0);
    uint64_t spawned = 0, timed_out = 0, failed = 0, completed = 0;
    looper l0 = {.ret = 0}, l7 = {.ret = 7};
    arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
    o.timeout_ns = 20 * MS;
    int k = looper_with_handle(pool, &l0, &o, true); /* returned 0: still timed out */
    spawned += k, timed_out += k;
    k = looper_with_handle(pool, &l7, &o, true);     /* returned 7: timed out, result 7 */
    spawned += k, timed_out += k;

    /* a deadline that does not pass: the task is not cancelled and its own outcome stands */
    runner ok = {0, 0, 0}, bad = {0, 0, 3};
    arayon_spawn_opts_t far = ARAYON_SPAWN_OPTS_INIT;
    far.timeout_ns = 3600 * UINT64_C(1000000000);
    arayon_task_t *hok = NULL, *hbad = NULL;
    CHECK_OK(arayon_spawn_ex(pool, run_once, &ok, &far, &hok));
    CHECK_OK(arayon_spawn_ex(pool, run_once, &bad, &far, &hbad));
    CHECK_OK(arayon_task_wait(hok));
    CHECK_RC(arayon_task_wait(hbad), ARAYON_EFAILED);
    CHECK_EQ(atomic_load(&ok.saw_cancelled_at_start), 0);
    int res = -1;
    CHECK_OK(arayon_task_result(hbad, &res));
    CHECK_EQ(res, 3);
    arayon_task_release(hok);
    arayon_task_release(hbad);
    spawned += 2, completed += 1, failed += 1;

    /* a running task of a scope: the scope's first (only) error is the deadline */
    for (int attempt = 1;; attempt++) {
        CHECK_LE(attempt, 50);
        looper ls = {.ret = 0};
        runner fine = {0, 0, 0};
        arayon_scope_t *s = NULL;
        CHECK_OK(arayon_scope_begin(pool, &s));
        arayon_spawn_opts_t os = o;
        os.scope = s;
        os.timeout_ns = o.timeout_ns << (attempt - 1);
        CHECK_OK(arayon_spawn_ex(pool, loop_until_cancelled, &ls, &os, NULL));
        CHECK_OK(arayon_scope_spawn(s, run_once, &fine, NULL));
        CHECK_RC(arayon_scope_wait(s), ARAYON_ETIMEDOUT);
        CHECK_RC(arayon_scope_end(&s), ARAYON_ETIMEDOUT);
        CHECK_EQ(atomic_load(&fine.runs), 1);
        spawned += 2, timed_out += 1, completed += 1;
        if (atomic_load(&ls.started)) {
            CHECK_EQ(atomic_load(&ls.saw_cancel), 1);
            break;
        }
    }

    arayon_metrics_t m = rc_metrics(pool); /* after the waits covering every task */
    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, spawned);
    CHECK_EQ(m.timed_out, timed_out);
    CHECK_EQ(m.failed, failed);
    CHECK_EQ(m.completed, completed);
    CHECK_EQ(m.cancelled, 0);
    CHECK(arayon_metrics_success_rate(&m) == (double)completed / (double)spawned);
    arayon_pool_destroy(&pool);
}

/* ---------------------------------------------------------------------------------------
 * The pool's default deadline
 * ------------------------------------------------------------------------------------- */
static atomic_int g_default_runs;

static int count_run(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_default_runs, 1);
    return 0;
}

/* Runs past 3x the pool's default deadline; must not be cancelled (it opted out). */
static int outlive_default(void *arg)
{
    uint64_t d = *(uint64_t *)arg;
    uint64_t t0 = test_now_ns();
    while (test_now_ns() - t0 <= 3 * d)
        test_sleep_us(500);
    return arayon_cancelled() ? 1 : 0;
}

static void test_pool_default(void)
{
    test_phase("pool default task_timeout_ns");
    const uint64_t d = 20 * MS;
    arayon_pool_t *pool = make_pool(1, d);
    atomic_store(&g_default_runs, 0);
    hold_worker(pool);

    /* every spawn path gets the default deadline */
    arayon_task_t *h_plain = NULL, *h_ex0 = NULL, *h_null = NULL, *h_out = NULL, *h_long = NULL;
    CHECK_OK(arayon_spawn(pool, count_run, NULL));
    CHECK_OK(arayon_spawn_handle(pool, count_run, NULL, &h_plain));
    arayon_spawn_opts_t zero = ARAYON_SPAWN_OPTS_INIT; /* timeout_ns 0 = the pool's */
    CHECK_OK(arayon_spawn_ex(pool, count_run, NULL, &zero, &h_ex0));
    CHECK_OK(arayon_spawn_ex(pool, count_run, NULL, NULL, &h_null)); /* NULL opts = INIT */
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(pool, &s));
    CHECK_OK(arayon_scope_spawn(s, count_run, NULL, NULL));
    /* opted out, and overridden by a far deadline: both run */
    runner out = {0, 0, 0}, longer = {0, 0, 0};
    arayon_spawn_opts_t optout = ARAYON_SPAWN_OPTS_INIT, far = ARAYON_SPAWN_OPTS_INIT;
    optout.timeout_ns = UINT64_MAX;
    far.timeout_ns = 3600 * UINT64_C(1000000000);
    CHECK_OK(arayon_spawn_ex(pool, run_once, &out, &optout, &h_out));
    CHECK_OK(arayon_spawn_ex(pool, run_once, &longer, &far, &h_long));
    uint64_t t0 = test_now_ns();

    sleep_past(t0, d);
    gate_open(&g_gate);
    CHECK_RC(arayon_task_wait(h_plain), ARAYON_ETIMEDOUT);
    CHECK_RC(arayon_task_wait(h_ex0), ARAYON_ETIMEDOUT);
    CHECK_RC(arayon_task_wait(h_null), ARAYON_ETIMEDOUT);
    CHECK_RC(arayon_scope_end(&s), ARAYON_ETIMEDOUT);
    CHECK_OK(arayon_task_wait(h_out));
    CHECK_OK(arayon_task_wait(h_long));
    CHECK_EQ(atomic_load(&out.runs), 1);
    CHECK_EQ(atomic_load(&out.saw_cancelled_at_start), 0);
    CHECK_EQ(atomic_load(&longer.runs), 1);
    arayon_task_release(h_plain);
    arayon_task_release(h_ex0);
    arayon_task_release(h_null);
    arayon_task_release(h_out);
    arayon_task_release(h_long);

    /* opted out and running well past the default: not cancelled, completes */
    uint64_t dd = d;
    arayon_task_t *h_run = NULL;
    CHECK_OK(arayon_spawn_ex(pool, outlive_default, &dd, &optout, &h_run));
    CHECK_OK(arayon_task_wait(h_run));
    int res = -1;
    CHECK_OK(arayon_task_result(h_run, &res));
    CHECK_EQ(res, 0);
    arayon_task_release(h_run);

    /* a default-deadline task running past it: cancelled, timed out */
    looper l = {.ret = 5};
    arayon_spawn_opts_t dflt = ARAYON_SPAWN_OPTS_INIT;
    int loops = looper_with_handle(pool, &l, &dflt, false);

    CHECK_OK(arayon_pool_shutdown(pool));
    CHECK_EQ(atomic_load(&g_default_runs), 0); /* none of the five default-deadline tasks ran */
    arayon_metrics_t m = rc_metrics(pool);
    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, 1 + 5 + 2 + 1 + loops);
    CHECK_EQ(m.timed_out, 5 + loops);
    CHECK_EQ(m.completed, 1 + 2 + 1);
    arayon_pool_destroy(&pool);
    gate_destroy(&g_gate);
}

/* ---------------------------------------------------------------------------------------
 * Bad input
 * ------------------------------------------------------------------------------------- */
static void test_bad_input(void)
{
    test_phase("spawn_ex: bad input");
    arayon_pool_t *a = make_pool(1, 0), *b = make_pool(1, 0);
    runner r = {0, 0, 0};
    arayon_scope_t *sb = NULL;
    CHECK_OK(arayon_scope_begin(b, &sb));

    arayon_task_t *h = (arayon_task_t *)&r; /* must be overwritten with NULL */
    arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
    o.scope = sb; /* a scope of pool b, spawning into pool a */
    CHECK_RC(arayon_spawn_ex(a, run_once, &r, &o, &h), ARAYON_EINVAL);
    CHECK(h == NULL);
    CHECK_RC(arayon_spawn_ex(a, run_once, &r, &o, NULL), ARAYON_EINVAL);

    /* Unknown bits, and MIGRATABLE without SUSPENDABLE (1 alone is a suspendable task). */
    unsigned flags[] = {ARAYON_TASK_MIGRATABLE, 4, 0x80000000u,
                        ARAYON_TASK_SUSPENDABLE | 0x100u};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        arayon_spawn_opts_t of = ARAYON_SPAWN_OPTS_INIT;
        of.flags = flags[i];
        h = (arayon_task_t *)&r;
        CHECK_RC(arayon_spawn_ex(a, run_once, &r, &of, &h), ARAYON_EINVAL);
        CHECK(h == NULL);
    }
    h = (arayon_task_t *)&r;
    CHECK_RC(arayon_spawn_ex(NULL, run_once, &r, NULL, &h), ARAYON_EINVAL);
    CHECK(h == NULL);
    h = (arayon_task_t *)&r;
    CHECK_RC(arayon_spawn_ex(a, NULL, &r, NULL, &h), ARAYON_EINVAL);
    CHECK(h == NULL);

    /* valid: NULL opts with and without a handle; the scope with its own pool */
    CHECK_OK(arayon_spawn_ex(a, run_once, &r, NULL, NULL));
    CHECK_OK(arayon_spawn_ex(a, run_once, &r, NULL, &h));
    CHECK(h != NULL);
    CHECK_OK(arayon_task_wait(h));
    arayon_task_release(h);
    runner rb = {0, 0, 0};
    CHECK_OK(arayon_spawn_ex(b, run_once, &rb, &o, NULL));
    CHECK_OK(arayon_scope_end(&sb));
    CHECK_EQ(atomic_load(&rb.runs), 1);

    CHECK_OK(arayon_pool_shutdown(a));
    CHECK_EQ(atomic_load(&r.runs), 2); /* only the two valid spawns ran */
    arayon_metrics_t m = rc_metrics(a);
    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, 2);
    CHECK_EQ(m.rejected, 0); /* invalid calls are not admission rejections */
    arayon_pool_destroy(&a);
    arayon_pool_destroy(&b);
}

int main(void)
{
    test_watchdog(280);
    test_before_start();
    test_while_running();
    test_pool_default();
    test_bad_input();
    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_timeout: all checks passed\n");
    return 0;
}
