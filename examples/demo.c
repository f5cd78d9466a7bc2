/*
 * demo.c - a tour of the native API: recursive fork-join with scopes, tasks with handles
 * and timeouts, cancellation of queued work, a failing task, admission control under a
 * flood with a monitor watching, and the pool's counters.
 *
 *   ./arayon-demo [threads]
 */
#define _POSIX_C_SOURCE 200809L
#include <arayon.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 1. Fork-join: parallel sum of an array, split in halves down to 4096 elements. --------- */
struct sum_job {
    arayon_pool_t *pool;
    const double *v;
    size_t n;
    double out;
};

static int sum_task(void *arg)
{
    struct sum_job *j = arg;
    if (j->n <= 4096) {
        double s = 0;
        for (size_t i = 0; i < j->n; i++)
            s += j->v[i];
        j->out = s;
        return 0;
    }
    struct sum_job left = {j->pool, j->v, j->n / 2, 0};
    struct sum_job right = {j->pool, j->v + j->n / 2, j->n - j->n / 2, 0};
    ARAYON_SCOPE(scope, j->pool); /* ends (waits) when this block is left */
    if (!scope)
        return 1;
    arayon_scope_spawn(scope, sum_task, &left, NULL);
    arayon_scope_spawn(scope, sum_task, &right, NULL);
    if (arayon_scope_wait(scope) != ARAYON_OK)
        return 1;
    j->out = left.out + right.out;
    return 0;
}

/* 2. Cancellation: tasks that would take a while, most of them cancelled while queued. ---- */
static atomic_int ran;
static int slow_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ran, 1);
    struct timespec ts = {0, 1000000}; /* 1 ms of "work" that checks for cancellation */
    for (int i = 0; i < 5 && !arayon_cancelled(); i++)
        nanosleep(&ts, NULL);
    return 0;
}

/* 5. Monitoring: a callback with a fresh snapshot every period. */
static void on_tick(const arayon_metrics_t *m, void *user)
{
    int *ticks = user;
    if (++*ticks > 6)
        return; /* keep the demo's output short */
    printf("   monitor: %llu pending (peak %llu of max %llu), %llu active workers, "
           "utilization %.0f%%\n",
           (unsigned long long)m->pending, (unsigned long long)m->peak_pending,
           (unsigned long long)m->max_pending, (unsigned long long)m->active,
           100.0 * arayon_metrics_utilization(m));
}

static int write_stdout(const char *buf, size_t len, void *ctx)
{
    (void)ctx;
    return fwrite(buf, 1, len, stdout) == len ? 0 : -1;
}

static int spin_task(void *arg)
{
    volatile double x = 1.0;
    for (int i = 0; i < 3000 * (int)(intptr_t)arg; i++)
        x = x * 1.0000001;
    return 0;
}

/* 3. A task that fails. */
static int failing_task(void *arg)
{
    (void)arg;
    return 42;
}

int main(int argc, char **argv)
{
    arayon_config_t cfg = arayon_config_default();
    if (argc > 1)
        cfg.num_threads = (unsigned)atoi(argv[1]);
    arayon_pool_t *pool;
    int rc = arayon_pool_create(&cfg, &pool);
    if (rc != ARAYON_OK) {
        fprintf(stderr, "arayon_pool_create: %s\n", arayon_strerror(rc));
        return 1;
    }
    printf("arayon %s: pool with %u workers\n", arayon_version(), arayon_pool_num_threads(pool));

    /* 1 */
    size_t n = 8u << 20;
    double *v = malloc(n * sizeof *v);
    if (!v)
        return 1;
    double expect = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = (double)(i % 1000) * 0.5;
        expect += v[i];
    }
    struct sum_job root = {pool, v, n, 0};
    arayon_task_t *t;
    double t0 = now_s();
    rc = arayon_spawn_handle(pool, sum_task, &root, &t);
    if (rc == ARAYON_OK) {
        rc = arayon_task_wait(t);
        arayon_task_release(t);
    }
    printf("1. parallel sum of %zu doubles: %.1f (serial %.1f) %s in %.1f ms\n", n, root.out,
           expect, root.out == expect ? "ok" : "MISMATCH", (now_s() - t0) * 1e3);
    free(v);

    /* 2 */
    arayon_scope_t *scope;
    arayon_scope_begin(pool, &scope);
    for (int i = 0; i < 200; i++)
        arayon_scope_spawn(scope, slow_task, NULL, NULL);
    struct timespec ts = {0, 3000000};
    nanosleep(&ts, NULL);
    arayon_scope_cancel(scope);
    rc = arayon_scope_end(&scope);
    printf("2. 200 slow tasks, scope cancelled after 3 ms: %d ran, the rest never started; "
           "scope_end: %s\n", atomic_load(&ran), arayon_errname(rc));

    /* 3 */
    arayon_spawn_handle(pool, failing_task, NULL, &t);
    int result = 0;
    int outcome = arayon_task_wait(t);
    arayon_task_result(t, &result);
    arayon_task_release(t);
    printf("3. a failing task: wait -> %s, its return value %d\n", arayon_errname(outcome), result);

    /* 4: a wait with a timeout that expires, then a cancel of the same task */
    arayon_spawn_handle(pool, slow_task, NULL, &t);
    rc = arayon_task_wait_timeout(t, 100000);
    printf("4. wait_timeout(100 us) on a 5 ms task -> %s; ", arayon_errname(rc));
    arayon_task_cancel(t);
    printf("after cancel, wait -> %s\n", arayon_errname(arayon_task_wait(t)));
    arayon_task_release(t);

    /* 5: a flood of 20,000 tasks into a pool bounded at 1,000 pending, watched by a monitor */
    arayon_config_t small = arayon_config_default();
    small.num_threads = cfg.num_threads;
    small.max_pending = 1000;
    arayon_pool_t *bounded;
    if (arayon_pool_create(&small, &bounded) == ARAYON_OK) {
        arayon_monitor_t *mon = NULL;
        int ticks = 0;
        printf("5. 20000 tasks from one producer into a pool with max_pending = 1000 "
               "(ARAYON_FULL_BLOCK):\n");
        arayon_monitor_start(bounded, 5000000, on_tick, &ticks, &mon);
        arayon_scope_begin(bounded, &scope);
        double t5 = now_s();
        for (int i = 0; i < 20000; i++)
            arayon_scope_spawn(scope, spin_task, (void *)(intptr_t)(1 + i % 3), NULL);
        rc = arayon_scope_end(&scope);
        arayon_monitor_stop(&mon);
        arayon_metrics_t bm;
        arayon_pool_metrics(bounded, &bm);
        printf("   done in %.0f ms: %s, peak pending %llu <= 1000, producer blocked instead of "
               "queueing\n",
               (now_s() - t5) * 1e3, arayon_errname(rc), (unsigned long long)bm.peak_pending);
        arayon_pool_destroy(&bounded);
    }

    arayon_pool_shutdown(pool);
    arayon_metrics_t m;
    arayon_pool_metrics(pool, &m);
    printf("pool counters (arayon_metrics_print, text):\n");
    arayon_metrics_print(&m, write_stdout, NULL, ARAYON_METRICS_TEXT);
    arayon_pool_destroy(&pool);
    return root.out == expect ? 0 : 1;
}
