/*
 * test_latency.c - task latency histograms (arayon_pool_latency_enable, the latency part of
 * arayon_metrics_t, arayon_latency_quantile, the reports).
 *
 * Every check is a count or a lower bound that holds however slow the machine is: a task
 * that spins for 50 us has a run time of at least 50 us; a task queued behind a blocker that
 * holds both workers for 2 ms waited at least that long.
 */
#define _GNU_SOURCE
#include <arayon.h>

#include "check.h"

#define SPIN_NS 50000u

static int spin_task(void *arg)
{
    (void)arg;
    uint64_t t0 = test_now_ns();
    while (test_now_ns() - t0 < SPIN_NS)
        ;
    return 0;
}

static int quick_task(void *arg)
{
    atomic_fetch_add((_Atomic int *)arg, 1);
    return 0;
}

static _Atomic int gate, blockers_running;

/* Holds its worker until the gate opens, then 2 ms more. */
static int blocker(void *arg)
{
    (void)arg;
    atomic_fetch_add(&blockers_running, 1);
    while (!atomic_load(&gate))
        sched_yield();
    uint64_t t0 = test_now_ns();
    while (test_now_ns() - t0 < 2000000u)
        sched_yield();
    return 0;
}

static uint64_t sum_buckets(const arayon_histogram_t *h)
{
    uint64_t n = 0;
    for (unsigned k = 0; k < ARAYON_LATENCY_BUCKETS; k++)
        n += h->bucket[k];
    return n;
}

/* Tasks counted at or above bucket k. */
static uint64_t at_least(const arayon_histogram_t *h, unsigned k)
{
    uint64_t n = 0;
    for (; k < ARAYON_LATENCY_BUCKETS; k++)
        n += h->bucket[k];
    return n;
}

typedef struct sink {
    char buf[1 << 16];
    size_t len;
} sink;

static int to_sink(const char *b, size_t n, void *ctx)
{
    sink *s = ctx;
    if (s->len + n >= sizeof s->buf)
        return 1;
    memcpy(s->buf + s->len, b, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return 0;
}

static arayon_pool_t *make_pool(unsigned n)
{
    arayon_config_t c = arayon_config_default();
    c.num_threads = n;
    arayon_pool_t *p = NULL;
    CHECK_OK(arayon_pool_create(&c, &p));
    return p;
}

/* Off by default: nothing is recorded. */
static void test_off(void)
{
    arayon_pool_t *p = make_pool(2);
    _Atomic int ran = 0;
    arayon_scope_t *s;
    CHECK_OK(arayon_scope_begin(p, &s));
    for (int i = 0; i < 100; i++)
        CHECK_OK(arayon_scope_spawn(s, quick_task, (void *)&ran, NULL));
    CHECK_OK(arayon_scope_end(&s));
    arayon_metrics_t m;
    CHECK_OK(arayon_pool_metrics(p, &m));
    CHECK_EQ(atomic_load(&ran), 100);
    CHECK_EQ(m.latency.wait.count, 0);
    CHECK_EQ(m.latency.run.count, 0);
    CHECK_EQ(sum_buckets(&m.latency.run), 0);
    arayon_pool_destroy(&p);
}

/* Run times: every spinning task is in a bucket of 2^15 ns (32.8 us) or above, and the
 * counts match the tasks, detached, scoped and with handles alike. */
static void test_run_times(void)
{
    arayon_pool_t *p = make_pool(2);
    CHECK_OK(arayon_pool_latency_enable(p, true));
    const int n = 60;
    arayon_scope_t *s;
    CHECK_OK(arayon_scope_begin(p, &s));
    for (int i = 0; i < n; i++)
        CHECK_OK(arayon_scope_spawn(s, spin_task, NULL, NULL));
    CHECK_OK(arayon_scope_end(&s));
    arayon_task_t *h[10];
    for (int i = 0; i < 10; i++)
        CHECK_OK(arayon_spawn_handle(p, spin_task, NULL, &h[i]));
    for (int i = 0; i < 10; i++) {
        CHECK_OK(arayon_task_wait(h[i]));
        arayon_task_release(h[i]);
    }
    arayon_metrics_t m;
    CHECK_OK(arayon_pool_metrics(p, &m));
    CHECK_EQ(m.latency.run.count, (uint64_t)n + 10);
    CHECK_EQ(sum_buckets(&m.latency.run), (uint64_t)n + 10);
    CHECK_EQ(at_least(&m.latency.run, 15), (uint64_t)n + 10);
    CHECK_GE(m.latency.run.sum_ns, (uint64_t)(n + 10) * SPIN_NS);
    /* every queued task has a queue wait (none ran inline) */
    CHECK_EQ(m.latency.wait.count, (uint64_t)n + 10);
    CHECK_GE(arayon_latency_quantile(&m.latency.run, 0.5), (uint64_t)SPIN_NS);
    CHECK_GE(arayon_latency_quantile(&m.latency.run, 1.0), (uint64_t)SPIN_NS);

    /* turned off: no more counts */
    CHECK_OK(arayon_pool_latency_enable(p, false));
    CHECK_OK(arayon_scope_begin(p, &s));
    for (int i = 0; i < 20; i++)
        CHECK_OK(arayon_scope_spawn(s, spin_task, NULL, NULL));
    CHECK_OK(arayon_scope_end(&s));
    arayon_metrics_t m2;
    CHECK_OK(arayon_pool_metrics(p, &m2));
    CHECK_EQ(m2.latency.run.count, m.latency.run.count);
    arayon_pool_destroy(&p);
}

/* Queue waits: tasks spawned while two blockers hold both workers, which go on for 2 ms
 * after the tasks are spawned, wait at least 2 ms. */
static void test_queue_wait(void)
{
    arayon_pool_t *p = make_pool(2);
    CHECK_OK(arayon_pool_latency_enable(p, true));
    atomic_store(&gate, 0);
    atomic_store(&blockers_running, 0);
    _Atomic int ran = 0;
    arayon_scope_t *s;
    CHECK_OK(arayon_scope_begin(p, &s));
    CHECK_OK(arayon_scope_spawn(s, blocker, NULL, NULL));
    CHECK_OK(arayon_scope_spawn(s, blocker, NULL, NULL));
    while (atomic_load(&blockers_running) < 2) /* both workers hold a blocker */
        sched_yield();
    for (int i = 0; i < 50; i++)
        CHECK_OK(arayon_scope_spawn(s, quick_task, (void *)&ran, NULL));
    atomic_store(&gate, 1);
    CHECK_OK(arayon_scope_end(&s));
    arayon_metrics_t m;
    CHECK_OK(arayon_pool_metrics(p, &m));
    CHECK_EQ(atomic_load(&ran), 50);
    CHECK_EQ(m.latency.wait.count, 52);
    /* the 50 quick tasks started after a blocker ended, 2 ms after they were spawned: at
     * least bucket 20 (2^20 ns = 1.05 ms) */
    CHECK_GE(at_least(&m.latency.wait, 20), 50);
    arayon_pool_destroy(&p);
}

/* The reports carry the histograms and the per-worker rows. */
static void test_reports(void)
{
    arayon_pool_t *p = make_pool(2);
    CHECK_OK(arayon_pool_latency_enable(p, true));
    arayon_scope_t *s;
    CHECK_OK(arayon_scope_begin(p, &s));
    for (int i = 0; i < 20; i++)
        CHECK_OK(arayon_scope_spawn(s, spin_task, NULL, NULL));
    CHECK_OK(arayon_scope_end(&s));
    static sink out;
    out.len = 0;
    CHECK_OK(arayon_pool_metrics_print(p, to_sink, &out, ARAYON_METRICS_TEXT));
    CHECK(strstr(out.buf, "queue wait") != NULL);
    CHECK(strstr(out.buf, "run time") != NULL);
    CHECK(strstr(out.buf, "worker ") != NULL);
    out.len = 0;
    CHECK_OK(arayon_pool_metrics_print(p, to_sink, &out, ARAYON_METRICS_JSON));
    CHECK(strstr(out.buf, "\"latency\": {\"wait\": {\"count\": 20") != NULL);
    CHECK(strstr(out.buf, "\"workers\": [{\"worker\": 0") != NULL);
    out.len = 0;
    CHECK_OK(arayon_pool_metrics_print(p, to_sink, &out, ARAYON_METRICS_PROMETHEUS));
    CHECK(strstr(out.buf, "# TYPE arayon_task_run_seconds histogram") != NULL);
    CHECK(strstr(out.buf, "arayon_task_run_seconds_count 20") != NULL);
    CHECK(strstr(out.buf, "arayon_task_run_seconds_bucket{le=\"+Inf\"} 20") != NULL);
    CHECK(strstr(out.buf, "arayon_worker_tasks_executed_total{worker=\"1\"}") != NULL);
    arayon_pool_destroy(&p);
}

/* Quantiles of a hand-made histogram, and bad input. */
static void test_quantile(void)
{
    arayon_histogram_t h;
    memset(&h, 0, sizeof h);
    CHECK_EQ(arayon_latency_quantile(&h, 0.5), 0); /* empty */
    h.bucket[3] = 90;  /* [8, 16) ns */
    h.bucket[10] = 10; /* [1024, 2048) ns */
    h.count = 100;
    CHECK_EQ(arayon_latency_quantile(&h, 0.5), 16);
    CHECK_EQ(arayon_latency_quantile(&h, 0.9), 16);
    CHECK_EQ(arayon_latency_quantile(&h, 0.91), 2048);
    CHECK_EQ(arayon_latency_quantile(&h, 1.0), 2048);
    CHECK_EQ(arayon_latency_quantile(&h, 0.0), 16);
    CHECK_EQ(arayon_latency_quantile(&h, -0.1), 0);
    CHECK_EQ(arayon_latency_quantile(&h, 1.5), 0);
    CHECK_EQ(arayon_latency_quantile(NULL, 0.5), 0);
    CHECK_RC(arayon_pool_latency_enable(NULL, true), ARAYON_EINVAL);
}

int main(void)
{
    test_quantile();
    test_off();
    test_run_times();
    test_queue_wait();
    test_reports();
    puts("test_latency: ok");
    return 0;
}
