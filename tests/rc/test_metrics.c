/*
 * test_metrics.c - arayon_pool_metrics, arayon_pool_stats, arayon_pool_worker_metrics, the
 * derived ratios and arayon_metrics_print.
 *
 *   fresh pool     nothing spawned: all task counters 0, success rate 1, pressure 0.
 *   known mix      2 gate tasks, A tasks returning 0, B returning non-zero, C cancelled
 *                  before they ran (handles cancelled behind the gate, and a cancelled scope),
 *                  D whose deadline passed before they started: after the waits the metrics
 *                  give exactly those counts, spawned == completed + failed + cancelled +
 *                  timed_out, pending == queued == 0, success rate == completed / finished;
 *                  the per-worker `executed` sum to the finished tasks; busy <= uptime x
 *                  threads, utilization in [0, 1]. The same after shutdown, where
 *                  arayon_pool_stats gives the same snapshot.
 *   pending        gated tasks: pending and queued exact, queue pressure == pending / max
 *                  (0 when unbounded), active == workers held.
 *   steals         a task waits (without helping) until a child it pushed on its own deque
 *                  has run: another worker must have stolen it, so steals >= 1, and
 *                  steal_attempts >= steals, per worker and in total.
 *   print          TEXT, JSON and PROMETHEUS through a write callback: JSON parses (python3,
 *                  skipped with a message when missing) and has the struct's values;
 *                  Prometheus has # HELP / # TYPE lines and arayon_tasks_*_total samples with
 *                  the struct's values; a callback returning non-zero gives ARAYON_EFAILED.
 *   bad input      NULL pool/out, worker index out of range, NULL m/write, unknown format:
 *                  ARAYON_EINVAL.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "rc.h"

#include <math.h>

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

static int ret_value(void *arg)
{
    atomic_int *runs = arg;
    atomic_fetch_add(&runs[0], 1);
    return atomic_load(&runs[1]);
}

static int count_run(void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
    return 0;
}

static arayon_pool_t *make_pool(unsigned n, size_t max_pending)
{
    arayon_config_t cfg = arayon_config_default();
    cfg.num_threads = n;
    cfg.max_pending = max_pending;
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&cfg, &p));
    return p;
}

static void check_ratios(const arayon_metrics_t *m)
{
    double u = arayon_metrics_utilization(m);
    CHECK(u >= 0.0 && u <= 1.0);
    CHECK_LE(m->busy_ns, m->uptime_ns * m->num_threads);
    double q = arayon_metrics_queue_pressure(m);
    if (m->max_pending == 0)
        CHECK(q == 0.0);
    else
        CHECK(q == (double)m->pending / (double)m->max_pending);
    uint64_t fin = m->completed + m->failed + m->cancelled + m->timed_out;
    double sr = arayon_metrics_success_rate(m);
    if (fin == 0)
        CHECK(sr == 1.0);
    else
        CHECK(sr == (double)m->completed / (double)fin);
    CHECK(sr >= 0.0 && sr <= 1.0);
}

/* Per-worker metrics, read after m: their sums match m once the workers have stopped (idle
 * workers still probe for work, so before that the sums can only be larger). Returns the sum
 * of executed. */
static uint64_t check_workers(arayon_pool_t *pool, const arayon_metrics_t *m, bool stopped)
{
    unsigned n = arayon_pool_num_threads(pool);
    CHECK_EQ(n, m->num_threads);
    uint64_t executed = 0, steals = 0, attempts = 0;
    for (unsigned i = 0; i < n; i++) {
        arayon_worker_metrics_t w;
        CHECK_OK(arayon_pool_worker_metrics(pool, i, &w));
        CHECK_EQ(w.index, i);
        CHECK_GE(w.steal_attempts, w.steals);
        executed += w.executed;
        steals += w.steals;
        attempts += w.steal_attempts;
    }
    if (stopped) {
        CHECK_EQ(steals, m->steals);
        CHECK_EQ(attempts, m->steal_attempts);
    } else {
        CHECK_GE(steals, m->steals);
        CHECK_GE(attempts, m->steal_attempts);
    }
    arayon_worker_metrics_t w;
    CHECK_RC(arayon_pool_worker_metrics(pool, n, &w), ARAYON_EINVAL);
    CHECK_RC(arayon_pool_worker_metrics(pool, UINT32_MAX, &w), ARAYON_EINVAL);
    CHECK_RC(arayon_pool_worker_metrics(pool, 0, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_pool_worker_metrics(NULL, 0, &w), ARAYON_EINVAL);
    return executed;
}

/* ---------------------------------------------------------------------------------------
 * A fresh pool
 * ------------------------------------------------------------------------------------- */
static void test_fresh(void)
{
    test_phase("metrics: fresh pool");
    arayon_pool_t *pool = make_pool(2, 1000);
    arayon_metrics_t m = rc_metrics(pool);
    CHECK_EQ(m.num_threads, 2);
    CHECK_EQ(m.spawned + m.completed + m.failed + m.cancelled + m.timed_out, 0);
    CHECK_EQ(m.pending + m.queued + m.rejected + m.run_inline + m.injected + m.abandoned, 0);
    CHECK_EQ(m.peak_pending, 0);
    CHECK_EQ(m.max_pending, 1000);
    CHECK(arayon_metrics_success_rate(&m) == 1.0);
    CHECK(arayon_metrics_queue_pressure(&m) == 0.0);
    check_ratios(&m);
    CHECK_EQ(check_workers(pool, &m, false), 0);
    CHECK_RC(arayon_pool_metrics(NULL, &m), ARAYON_EINVAL);
    CHECK_RC(arayon_pool_metrics(pool, NULL), ARAYON_EINVAL);
    CHECK_RC(arayon_pool_stats(NULL, &m), ARAYON_EINVAL);
    CHECK_RC(arayon_pool_stats(pool, NULL), ARAYON_EINVAL);
    /* the ratio helpers accept NULL */
    CHECK(arayon_metrics_utilization(NULL) == 0.0);
    CHECK(arayon_metrics_queue_pressure(NULL) == 0.0);
    arayon_pool_destroy(&pool);
}

/* ---------------------------------------------------------------------------------------
 * A known mix of outcomes
 * ------------------------------------------------------------------------------------- */
enum { MIX_OK = 300, MIX_FAIL = 40, MIX_CANCEL_H = 25, MIX_CANCEL_S = 15, MIX_TIMEOUT = 10 };

typedef struct mix {
    arayon_pool_t *pool;
    uint64_t completed, failed, cancelled, timed_out;
} mix;

static void run_mix(mix *x)
{
    arayon_pool_t *pool = x->pool;
    unsigned nw = arayon_pool_num_threads(pool);
    gate_init(&g_gate);
    atomic_store(&g_gate_started, 0);
    for (unsigned i = 0; i < nw; i++)
        CHECK_OK(arayon_spawn(pool, hold, NULL));
    WAIT_UNTIL_GE(&g_gate_started, nw);

    static atomic_int ok_runs[2], fail_runs[2], cancel_runs, scope_runs, timeout_runs;
    atomic_store(&ok_runs[0], 0);
    atomic_store(&fail_runs[0], 0);
    atomic_store(&fail_runs[1], 9); /* their return value */
    atomic_store(&cancel_runs, 0);
    atomic_store(&scope_runs, 0);
    atomic_store(&timeout_runs, 0);
    arayon_task_t *hok[MIX_OK], *hfail[MIX_FAIL], *hc[MIX_CANCEL_H], *ht[MIX_TIMEOUT];
    for (int i = 0; i < MIX_OK; i++)
        CHECK_OK(arayon_spawn_handle(pool, ret_value, ok_runs, &hok[i]));
    for (int i = 0; i < MIX_FAIL; i++)
        CHECK_OK(arayon_spawn_handle(pool, ret_value, fail_runs, &hfail[i]));
    for (int i = 0; i < MIX_CANCEL_H; i++) {
        CHECK_OK(arayon_spawn_handle(pool, count_run, &cancel_runs, &hc[i]));
        CHECK_OK(arayon_task_cancel(hc[i]));
    }
    arayon_scope_t *s = NULL;
    CHECK_OK(arayon_scope_begin(pool, &s));
    for (int i = 0; i < MIX_CANCEL_S; i++)
        CHECK_OK(arayon_scope_spawn(s, count_run, &scope_runs, NULL));
    CHECK_OK(arayon_scope_cancel(s));
    arayon_spawn_opts_t o = ARAYON_SPAWN_OPTS_INIT;
    o.timeout_ns = 1 * MS;
    for (int i = 0; i < MIX_TIMEOUT; i++)
        CHECK_OK(arayon_spawn_ex(pool, count_run, &timeout_runs, &o, &ht[i]));
    uint64_t t0 = test_now_ns();

    /* while held: everything is pending, nothing finished */
    arayon_metrics_t m = rc_metrics(pool);
    uint64_t total = nw + MIX_OK + MIX_FAIL + MIX_CANCEL_H + MIX_CANCEL_S + MIX_TIMEOUT;
    CHECK_EQ(m.spawned, total);
    CHECK_EQ(m.pending, total);
    CHECK_EQ(m.queued, total - nw);
    CHECK_EQ(m.completed + m.failed + m.cancelled + m.timed_out, 0);
    CHECK_EQ(m.active, nw);
    CHECK_EQ(m.injected, total);
    check_ratios(&m);

    while (test_now_ns() - t0 <= o.timeout_ns + 100000) /* past the deadlines */
        test_sleep_us(500);
    gate_open(&g_gate);
    for (int i = 0; i < MIX_OK; i++)
        CHECK_OK(arayon_task_wait(hok[i]));
    for (int i = 0; i < MIX_FAIL; i++)
        CHECK_RC(arayon_task_wait(hfail[i]), ARAYON_EFAILED);
    for (int i = 0; i < MIX_CANCEL_H; i++)
        CHECK_RC(arayon_task_wait(hc[i]), ARAYON_ECANCELED);
    for (int i = 0; i < MIX_TIMEOUT; i++)
        CHECK_RC(arayon_task_wait(ht[i]), ARAYON_ETIMEDOUT);
    CHECK_RC(arayon_scope_end(&s), ARAYON_ECANCELED);
    for (int i = 0; i < MIX_OK; i++)
        arayon_task_release(hok[i]);
    for (int i = 0; i < MIX_FAIL; i++)
        arayon_task_release(hfail[i]);
    for (int i = 0; i < MIX_CANCEL_H; i++)
        arayon_task_release(hc[i]);
    for (int i = 0; i < MIX_TIMEOUT; i++)
        arayon_task_release(ht[i]);
    CHECK_EQ(atomic_load(&ok_runs[0]), MIX_OK);
    CHECK_EQ(atomic_load(&fail_runs[0]), MIX_FAIL);
    CHECK_EQ(atomic_load(&cancel_runs) + atomic_load(&scope_runs) + atomic_load(&timeout_runs), 0);
    /* The gate tasks are detached: no wait covers them, so wait until they are counted. */
    x->completed = nw + MIX_OK;
    x->failed = MIX_FAIL;
    x->cancelled = MIX_CANCEL_H + MIX_CANCEL_S;
    x->timed_out = MIX_TIMEOUT;
    uint64_t w0 = test_now_ns();
    for (;;) {
        m = rc_metrics(pool);
        if (m.completed == x->completed)
            break;
        CHECK_MSG(test_now_ns() - w0 < TEST_HANG_NS, "completed stays %" PRIu64, m.completed);
        test_sleep_us(100);
    }
    gate_destroy(&g_gate);
}

static void check_mix(arayon_pool_t *pool, const mix *x, const arayon_metrics_t *m, bool stopped)
{
    rc_check_quiescent(m);
    CHECK_EQ(m->completed, x->completed);
    CHECK_EQ(m->failed, x->failed);
    CHECK_EQ(m->cancelled, x->cancelled);
    CHECK_EQ(m->timed_out, x->timed_out);
    uint64_t fin = x->completed + x->failed + x->cancelled + x->timed_out;
    CHECK_EQ(m->spawned, fin);
    CHECK_EQ(m->injected, fin); /* all spawned from this thread */
    CHECK_EQ(m->rejected + m->run_inline + m->abandoned, 0);
    CHECK(arayon_metrics_success_rate(m) == (double)x->completed / (double)fin);
    check_ratios(m);
    CHECK_EQ(check_workers(pool, m, stopped), fin); /* every task finished on a worker */
}

static void test_mix(void)
{
    test_phase("metrics: a known mix of outcomes");
    mix x = {make_pool(2, 0), 0, 0, 0, 0};
    run_mix(&x);
    arayon_metrics_t m = rc_metrics(x.pool);
    check_mix(x.pool, &x, &m, false);
    CHECK_EQ(m.max_pending, 0);
    CHECK(arayon_metrics_queue_pressure(&m) == 0.0);

    CHECK_OK(arayon_pool_shutdown(x.pool));
    arayon_metrics_t a, b;
    CHECK_OK(arayon_pool_metrics(x.pool, &a));
    CHECK_OK(arayon_pool_stats(x.pool, &b));
    check_mix(x.pool, &x, &a, true);
    CHECK_EQ(a.active, 0);
    /* the same snapshot under its first name (time fields move on between the two calls) */
    CHECK_LE(a.uptime_ns, b.uptime_ns);
    CHECK_LE(a.busy_ns, b.busy_ns);
#define SAME(f) CHECK_EQ(a.f, b.f)
    SAME(num_threads); SAME(active); SAME(queued); SAME(pending); SAME(peak_pending);
    SAME(max_pending); SAME(spawned); SAME(completed); SAME(failed); SAME(cancelled);
    SAME(timed_out); SAME(rejected); SAME(run_inline); SAME(steals); SAME(steal_attempts);
    SAME(injected); SAME(parks); SAME(wakeups); SAME(abandoned);
#undef SAME
    arayon_pool_destroy(&x.pool);
}

/* ---------------------------------------------------------------------------------------
 * Pending, queued, pressure
 * ------------------------------------------------------------------------------------- */
static void test_pending(void)
{
    test_phase("metrics: pending, queued, queue pressure");
    const size_t maxes[] = {0, 100, 1000};
    for (size_t k = 0; k < 3; k++) {
        arayon_pool_t *pool = make_pool(2, maxes[k]);
        gate_init(&g_gate);
        atomic_store(&g_gate_started, 0);
        enum { P = 10 };
        for (int i = 0; i < P; i++)
            CHECK_OK(arayon_spawn(pool, hold, NULL));
        WAIT_UNTIL_GE(&g_gate_started, 2);
        arayon_metrics_t m = rc_metrics(pool);
        CHECK_EQ(m.pending, P);
        CHECK_EQ(m.queued, P - 2);
        CHECK_EQ(m.active, 2);
        CHECK_GE(m.peak_pending, P);
        if (maxes[k]) {
            CHECK_LE(m.peak_pending, maxes[k]);
            CHECK(arayon_metrics_queue_pressure(&m) == (double)P / (double)maxes[k]);
        } else {
            CHECK(arayon_metrics_queue_pressure(&m) == 0.0);
        }
        CHECK(arayon_metrics_success_rate(&m) == 1.0); /* nothing finished */
        check_ratios(&m);
        gate_open(&g_gate);
        CHECK_OK(arayon_pool_shutdown(pool));
        m = rc_metrics(pool);
        rc_check_quiescent(&m);
        CHECK_EQ(m.completed, P);
        CHECK(arayon_metrics_queue_pressure(&m) == 0.0);
        arayon_pool_destroy(&pool);
        gate_destroy(&g_gate);
    }
}

/* ---------------------------------------------------------------------------------------
 * Steals
 * ------------------------------------------------------------------------------------- */
static arayon_pool_t *g_steal_pool;
static atomic_int g_child_ran, g_child_worker;

static int child(void *arg)
{
    (void)arg;
    atomic_store(&g_child_worker, arayon_worker_index());
    atomic_store(&g_child_ran, 1);
    return 0;
}

/* Pushes a child on its own deque, then waits for it without helping: only another worker
 * can run it, by stealing it. */
static int parent(void *arg)
{
    (void)arg;
    TASK_CHECK(arayon_spawn(g_steal_pool, child, NULL) == ARAYON_OK);
    uint64_t t0 = test_now_ns();
    while (!atomic_load(&g_child_ran)) {
        if (test_now_ns() - t0 > TEST_HANG_NS) {
            TASK_CHECK(!"the child was never stolen");
            break;
        }
        sched_yield();
    }
    TASK_CHECK(atomic_load(&g_child_worker) != arayon_worker_index());
    return 0;
}

static void test_steals(void)
{
    test_phase("metrics: steals");
    g_steal_pool = make_pool(2, 0);
    uint64_t rounds = 20;
    for (uint64_t r = 0; r < rounds; r++) {
        atomic_store(&g_child_ran, 0);
        arayon_task_t *h = NULL;
        CHECK_OK(arayon_spawn_handle(g_steal_pool, parent, NULL, &h));
        CHECK_OK(arayon_task_wait(h));
        arayon_task_release(h);
    }
    CHECK_NO_TASK_ERRORS();
    CHECK_OK(arayon_pool_shutdown(g_steal_pool));
    arayon_metrics_t m = rc_metrics(g_steal_pool);
    rc_check_quiescent(&m);
    CHECK_EQ(m.spawned, 2 * rounds);
    CHECK_EQ(m.injected, rounds);
    CHECK_GE(m.steals, rounds); /* every child was stolen */
    CHECK_GE(m.steal_attempts, m.steals);
    CHECK_EQ(check_workers(g_steal_pool, &m, true), 2 * rounds);
    check_ratios(&m);
    arayon_pool_destroy(&g_steal_pool);
}

/* ---------------------------------------------------------------------------------------
 * Printing
 * ------------------------------------------------------------------------------------- */
static int failing_write(const char *buf, size_t len, void *ctx)
{
    (void)buf;
    (void)len;
    ++*(int *)ctx;
    return 1;
}

/* The value of `"key": <n>` in a JSON text, -1 if absent. */
static long long json_value(const char *text, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(text, pat);
    if (!p)
        return -1;
    return strtoll(p + strlen(pat), NULL, 10);
}

/* The value of a Prometheus sample line `name value`, -1 if absent. */
static double prom_value(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = text; *line;) {
        if (line[0] != '#' && strncmp(line, name, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    return -1;
}

static void test_print(void)
{
    test_phase("metrics: print");
    mix x = {make_pool(2, 5000), 0, 0, 0, 0};
    run_mix(&x);
    CHECK_OK(arayon_pool_shutdown(x.pool));
    arayon_metrics_t m = rc_metrics(x.pool);
    check_mix(x.pool, &x, &m, true);

    /* TEXT */
    rc_buf b = {0};
    CHECK_OK(arayon_metrics_print(&m, rc_buf_write, &b, ARAYON_METRICS_TEXT));
    CHECK(b.len > 0 && b.data[b.len - 1] == '\n');
    CHECK(strncmp(b.data, "arayon:", 7) == 0);
    char expect[128];
    snprintf(expect, sizeof expect,
             "%" PRIu64 " tasks (%" PRIu64 " ok, %" PRIu64 " failed, %" PRIu64
             " cancelled, %" PRIu64 " timed out",
             m.spawned, m.completed, m.failed, m.cancelled, m.timed_out);
    CHECK_MSG(strstr(b.data, expect) != NULL, "no \"%s\" in:\n%s", expect, b.data);
    CHECK(strstr(b.data, "completed") != NULL && strstr(b.data, "peak_pending") != NULL);
    rc_buf_reset(&b);

    /* JSON */
    CHECK_OK(arayon_metrics_print(&m, rc_buf_write, &b, ARAYON_METRICS_JSON));
    CHECK(b.len > 2 && b.data[0] == '{');
    const struct {
        const char *key;
        uint64_t v;
    } jv[] = {{"num_threads", m.num_threads},   {"spawned", m.spawned},
              {"completed", m.completed},       {"failed", m.failed},
              {"cancelled", m.cancelled},       {"timed_out", m.timed_out},
              {"rejected", m.rejected},         {"pending", m.pending},
              {"max_pending", m.max_pending},   {"peak_pending", m.peak_pending},
              {"abandoned", m.abandoned},       {"steals", m.steals},
              {"run_inline", m.run_inline},     {"injected", m.injected}};
    for (size_t i = 0; i < sizeof jv / sizeof jv[0]; i++)
        CHECK_MSG(json_value(b.data, jv[i].key) == (long long)jv[i].v,
                  "JSON %s: %lld, expected %" PRIu64 "\n%s", jv[i].key,
                  json_value(b.data, jv[i].key), jv[i].v, b.data);
    if (system("command -v python3 >/dev/null 2>&1") != 0) {
        fprintf(stderr, "   python3 not found: JSON not parsed (the values were checked)\n");
    } else {
        char path[] = "/tmp/arayon_rc_metrics_XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        CHECK_EQ(write(fd, b.data, b.len), (long long)b.len);
        close(fd);
        char cmd[512];
        snprintf(cmd, sizeof cmd,
                 "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
                 "assert isinstance(d, dict); assert d[\"spawned\"] == %" PRIu64 "; "
                 "assert d[\"completed\"] == %" PRIu64 "; "
                 "assert 0 <= d[\"utilization\"] <= 1; assert 0 <= d[\"success_rate\"] <= 1' %s",
                 m.spawned, m.completed, path);
        int rc = system(cmd);
        unlink(path);
        CHECK_MSG(rc == 0, "python3 rejected the JSON:\n%s", b.data);
    }
    rc_buf_reset(&b);

    /* PROMETHEUS */
    CHECK_OK(arayon_metrics_print(&m, rc_buf_write, &b, ARAYON_METRICS_PROMETHEUS));
    CHECK(strstr(b.data, "# TYPE arayon_tasks_spawned_total counter\n") != NULL);
    CHECK(strstr(b.data, "# HELP arayon_tasks_spawned_total ") != NULL);
    const struct {
        const char *name;
        uint64_t v;
    } pv[] = {{"arayon_tasks_spawned_total", m.spawned},
              {"arayon_tasks_completed_total", m.completed},
              {"arayon_tasks_failed_total", m.failed},
              {"arayon_tasks_cancelled_total", m.cancelled},
              {"arayon_tasks_timed_out_total", m.timed_out},
              {"arayon_tasks_rejected_total", m.rejected},
              {"arayon_tasks_run_inline_total", m.run_inline},
              {"arayon_tasks_injected_total", m.injected},
              {"arayon_tasks_abandoned_total", m.abandoned},
              {"arayon_tasks_pending", m.pending},
              {"arayon_tasks_pending_max", m.max_pending},
              {"arayon_tasks_pending_peak", m.peak_pending},
              {"arayon_steals_total", m.steals},
              {"arayon_workers", m.num_threads}};
    for (size_t i = 0; i < sizeof pv / sizeof pv[0]; i++)
        CHECK_MSG(prom_value(b.data, pv[i].name) == (double)pv[i].v,
                  "Prometheus %s: %g, expected %" PRIu64 "\n%s", pv[i].name,
                  prom_value(b.data, pv[i].name), pv[i].v, b.data);
    /* every sample has a # TYPE line, and counters end in _total */
    unsigned samples = 0;
    for (char *line = b.data; *line;) {
        char *nl = strchr(line, '\n');
        CHECK(nl != NULL); /* every line ends */
        *nl = '\0';
        if (line[0] != '#') {
            char name[128];
            CHECK_EQ(sscanf(line, "%127s", name), 1);
            char type_counter[192], type_gauge[192];
            snprintf(type_counter, sizeof type_counter, "# TYPE %s counter", name);
            snprintf(type_gauge, sizeof type_gauge, "# TYPE %s gauge", name);
            *nl = '\n';
            bool counter = strstr(b.data, type_counter) != NULL;
            bool gauge = strstr(b.data, type_gauge) != NULL;
            CHECK_MSG(counter != gauge, "sample %s: no single # TYPE line", name);
            if (counter)
                CHECK_MSG(strlen(name) > 6 && strcmp(name + strlen(name) - 6, "_total") == 0,
                          "counter %s does not end in _total", name);
            CHECK(strncmp(name, "arayon_", 7) == 0);
            samples++;
        } else {
            *nl = '\n';
        }
        line = nl + 1;
    }
    CHECK_GE(samples, 15);
    rc_buf_reset(&b);

    /* the callback says stop */
    for (int f = ARAYON_METRICS_TEXT; f <= ARAYON_METRICS_PROMETHEUS; f++) {
        int calls = 0;
        CHECK_RC(arayon_metrics_print(&m, failing_write, &calls, (arayon_metrics_format_t)f),
                 ARAYON_EFAILED);
        CHECK_GE(calls, 1);
    }
    /* bad input */
    CHECK_RC(arayon_metrics_print(NULL, rc_buf_write, &b, ARAYON_METRICS_TEXT), ARAYON_EINVAL);
    CHECK_RC(arayon_metrics_print(&m, NULL, &b, ARAYON_METRICS_JSON), ARAYON_EINVAL);
    CHECK_RC(arayon_metrics_print(&m, rc_buf_write, &b, (arayon_metrics_format_t)3), ARAYON_EINVAL);
    CHECK_RC(arayon_metrics_print(&m, rc_buf_write, &b, (arayon_metrics_format_t)-1),
             ARAYON_EINVAL);
    CHECK_EQ(b.calls, 0);
    rc_buf_reset(&b);
    arayon_pool_destroy(&x.pool);
}

int main(void)
{
    test_watchdog(280);
    test_fresh();
    test_mix();
    test_pending();
    test_steals();
    test_print();
    CHECK_NO_TASK_ERRORS();
    fprintf(stderr, "test_metrics: all checks passed\n");
    return 0;
}
